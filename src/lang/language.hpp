// Languages over a finite alphabet: deterministic automata and membership functions.
//
// Offers:
//   Dfa          complete DFA over an alphabet of single-character letters.
//   Language     a named language: membership function always, minimal DFA when regular.
// Conventions: letters are single printable, non-space characters; state 0.. states()-1;
// delta[state][letter index] is total (a complete automaton, with a sink where needed).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ahat::lang {

struct Dfa {
    std::string alphabet;                               // letter index -> character
    std::uint32_t start = 0;
    std::vector<std::vector<std::uint32_t>> delta;      // [state][letter index]
    std::vector<bool> accepting;                        // [state]

    std::size_t states() const { return delta.size(); }
    std::optional<std::uint32_t> letter(char c) const;  // index of c in the alphabet
    std::uint32_t run(std::uint32_t from, std::string_view w) const;  // w over the alphabet
    bool accepts(std::string_view w) const { return accepting[run(start, w)]; }
};

struct Language {
    std::string name;
    std::string alphabet;
    std::string description;                    // one line, for tables
    std::string source;                         // "builtin", "regex: ...", "dfa: FILE", "ltl: ..."
    std::function<bool(std::string_view)> member;
    std::optional<Dfa> dfa;                     // minimal DFA when the language is regular
};

}  // namespace ahat::lang
