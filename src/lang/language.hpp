// Languages over a finite alphabet: deterministic automata and membership functions.
//
// Offers:
//   Dfa          complete DFA over an alphabet of single-character letters.
//   Language     a named language: membership function always, minimal DFA when regular.
//   minimize(d)                     the minimal DFA (Moore refinement, O(n^2 |Σ|) worst
//                                   case), states renumbered in breadth-first order from
//                                   the start (letters in alphabet order): canonical, so two
//                                   minimal DFAs of one language are equal as structures.
//   complement, intersect, unite    Boolean operations (product construction, minimized).
//   quotient_suffix(d, u)           minimal DFA of {w : w u ∈ L}.
//   quotient_prefix(d, u)           minimal DFA of {w : u w ∈ L}.
//   distinguishing_word(a, b)       shortest (then least in alphabet order) word in the
//                                   symmetric difference, nullopt when equal; O(|a||b||Σ|).
//   access_words(d)                 a shortest word from the start to each state (BFS).
//   check_dfa(d)                    InternalError unless d is complete and well formed (a
//                                   precondition of every operation: readers build only
//                                   well-formed DFAs, so a failure is a bug).
//   kDefaultMaxStates               the most states of an automaton read from a .dfa file or
//                                   built from a regex, unless a caller says otherwise (the CLI:
//                                   --max-states): minimizing and classifying take time growing
//                                   like the cube of the states.
// Conventions: letters are single printable, non-space characters; state 0.. states()-1;
// delta[state][letter index] is total (a complete automaton, with a sink where needed).
// Operations on two DFAs require the same alphabet (same letters in the same order).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
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
    bool operator==(const Dfa&) const = default;
};

struct Language {
    std::string name;
    std::string alphabet;
    std::string description;                    // one line, for tables
    std::string source;                         // "builtin", "regex: ...", "dfa: FILE", "ltl: ..."
    std::function<bool(std::string_view)> member;
    std::optional<Dfa> dfa;                     // minimal DFA when the language is regular
    bool nonregular = false;                    // proved not regular (the library's entries)
    // Optional: a uniformly or otherwise random member of the given length, nullopt when
    // there is none (used for languages with rare members and no DFA, e.g. a^n b^n).
    std::function<std::optional<std::string>(std::size_t, std::mt19937_64&)> sample_member;
    bool regular() const { return dfa.has_value(); }
};

Dfa minimize(const Dfa& d);
Dfa complement(const Dfa& d);
Dfa intersect(const Dfa& a, const Dfa& b);
Dfa unite(const Dfa& a, const Dfa& b);
Dfa quotient_suffix(const Dfa& d, std::string_view u);
Dfa quotient_prefix(const Dfa& d, std::string_view u);
std::optional<std::string> distinguishing_word(const Dfa& a, const Dfa& b);
std::vector<std::string> access_words(const Dfa& d);
void check_dfa(const Dfa& d);
constexpr std::size_t kDefaultMaxStates = 512;

}  // namespace ahat::lang
