// Regular expressions over single-character letters, compiled to minimal DFAs.
//
// Offers:
//   parse_regex(text, alphabet)  the AST; InputError with the column (in characters) on
//                                bad syntax or a letter outside a given alphabet.
//   regex_matches(r, w)          brute-force matcher over the AST (sets of end positions;
//                                O(|r| |w|^2) per call), independent of the automata: for tests.
//   regex_to_dfa(r, max_states)  Thompson NFA, then subset construction (complete, not
//                                minimal); InputError at the regex beyond max_states states.
//   compile_regex(text, alph)    parse + subset construction + minimize.
// Syntax: letters (any printable non-space character that is not special; `\c` escapes
// one), concatenation, `|`, postfix `*` `+` `?` and counts `{m}` `{m,}` `{m,n}` (n <= 1000,
// at most 10^5 nodes once expanded), parentheses (nesting <= 500; operators applied to
// operators, as in `a**?`, at most 1000 deep), `.` any letter of the
// alphabet, classes `[ab]`, `[a-d]` and `[^ab]` (complement within the alphabet), `()` or `ε`
// for the empty word, `∅` or `!` for the empty language. Spaces are ignored. Special characters (| * + ? ( ) . [ ] { } ! \)
// are letters only when escaped; `^` and `$` (anchors elsewhere) are errors unless escaped,
// since a regex always matches whole words. The alphabet is the given one, or else the letters
// occurring in the regex (classes and ranges included) in sorted order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lang/language.hpp"

namespace ahat::lang {

struct RegexNode {
    enum class Kind { Empty, Epsilon, Letters, Concat, Union, Star, Plus, Optional };
    Kind kind = Kind::Epsilon;
    std::vector<bool> letters;             // Letters: the set (by letter index)
    std::vector<std::uint32_t> children;   // Concat, Union (>= 2); Star/Plus/Optional (1)
};

struct Regex {
    std::string alphabet;
    std::string text, source;  // source: what errors call the regex
    std::vector<RegexNode> nodes;
    std::uint32_t root = 0;
};

Regex parse_regex(std::string_view text, std::string_view alphabet = "", const std::string& source = "regex");
bool regex_matches(const Regex& r, std::string_view w);
Dfa regex_to_dfa(const Regex& r, std::size_t max_states = kDefaultMaxStates);
Dfa compile_regex(std::string_view text, std::string_view alphabet = "", const std::string& source = "regex",
                  std::size_t max_states = kDefaultMaxStates);

}  // namespace ahat::lang
