// The .dfa text format (docs/automata.md): reader with located errors, writer.
//
//     # comments run to the end of the line
//     alphabet ab
//     states q0 q1         (optional: declares names, fixing their numbering)
//     start q0
//     accept q1            (zero or more states; several lines allowed)
//     q0 a q1              (transitions: FROM LETTER TO; state names are tokens)
//     q0 b q0
//     q1 a q1
//
// States are numbered by their first appearance; a missing transition goes to an implicit
// rejecting sink (added only when needed). Duplicate or conflicting transitions, letters
// outside the alphabet and a missing `alphabet`/`start` line are errors with file:line:col.
// The automaton read is as written (not minimized); write_dfa numbers states 0..n-1.
#pragma once

#include <string>
#include <string_view>

#include "lang/language.hpp"

namespace ahat::lang {

// More than max_states states is an error at the state that exceeds it.
Dfa parse_dfa(std::string_view text, const std::string& file = "<dfa>", std::size_t max_states = kDefaultMaxStates);
Dfa load_dfa(const std::string& path, std::size_t max_states = kDefaultMaxStates);
std::string write_dfa(const Dfa& d, const std::string& comment = "");

}  // namespace ahat::lang
