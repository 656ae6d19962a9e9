// Formulas built from a minimal DFA, one construction per characterization (docs/languages.md).
//
// Offers:
//   definite_formula(d, k)      LTL[Y] for a k-definite language: a trie of Y-chains over the
//                   last letters (cut as soon as all states reachable under the suffix agree),
//                   short words pinned with !Y true. Size O(|Σ|^k).
//   r_trivial_formula(d)        LTL[P] for a partially ordered DFA: a disjunction over
//                   accepting paths A0* a1 A1* ... am Am* (shared prefixes share nodes);
//                   nullopt when the DFA has a cycle. O(paths · m) nodes, refuses > max_paths.
//   hybrid1_formula(d, s)       LTL[P,Y] when every quotient {w : wu ∈ L}, |u| = s, is R-trivial:
//                   the Y-chain of u over the quotient's P-formula, plus the short members.
//   window_formula(d, k, ...)   LTL[Y<=k] for a definite language that is a union of depth-r
//                   EOS types (r <= max_depth), through characteristic formulas of the types;
//                   the check on all words up to max(kr + k, degree) is complete. counted:
//                   the exact local-k types (multisets), characterized with counts #<=k.
//   profile_formula(d, k, ...)  LTL[P,Y<=k] when membership is a function of the profile (the
//                   depth-r window type of $, the set of depth-r window types before $): a
//                   search over (state, last kr+1 letters, types seen), complete when it ends
//                   (at most max_states); a disjunction over accepting profiles, each reduced
//                   greedily to the literals that keep out every rejecting profile. This covers
//                   the locally testable languages (factors = window types with k = 1).
//   smallest_formula(d, past, window, max_size)   a formula of at most max_size nodes over
//                   atoms, true, !, &, |, P (when past) and Y<=window (when window > 0) whose
//                   automaton is d's (checked by ltl_dfa and DFA equivalence: complete), found
//                   by enumeration in order of size keeping one formula per distinct meaning on
//                   every position of every word up to N = max(3·window, states + 1, 4) (fewer
//                   when that exceeds 12000 positions). Minimal in nodes up to that filter
//                   (two formulas equal on those words are taken as one); nullopt beyond
//                   max_size or the budget (40000 formulas, 4·10^5 pairs: a fraction of a second).
//   exceptions_formula(d, step)   when L or its complement is finite (at most 64 words): the
//                   disjunction of "the word is exactly w" over the finite side, negated when
//                   that side is the complement. step 1 (Y): the Y-chain of w ending in
//                   !Y true. step 0 (P) or k >= 2 (Y<=k), with O that operator: per length n,
//                   O^n true & !O^(n+1) true & (the words of length n as a trie of O-chains from
//                   their last letter back; a chain of n decreasing positions below the n-th is
//                   forced to be n-1, ..., 0). Size O(sum of |w|) plus O(n) per length.
//   counting_formula(alphabet, member, max_len)  the smallest conjunction of at most two
//                   literals [sum c_x #x REL 0] (c_x in -1..1), H[...], !P(x & P y) that agrees
//                   with member on every word up to max_len; callers verify it further.
// Every formula reads acceptance at the EOS position; callers compile and verify them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lang/language.hpp"
#include "lang/ltl.hpp"

namespace ahat::lang {

Formula definite_formula(const Dfa& d, std::size_t k);
std::optional<Formula> r_trivial_formula(const Dfa& d, std::size_t max_paths = 4096);
std::optional<Formula> hybrid1_formula(const Dfa& d, std::size_t suffix_len);
struct WindowFormula {
    Formula formula;
    std::uint32_t depth = 0;
};
std::optional<WindowFormula> window_formula(const Dfa& d, std::uint32_t k, std::size_t degree,
                                            std::uint32_t max_depth = 4, std::size_t max_words = 20000,
                                            bool counted = false);
std::optional<WindowFormula> profile_formula(const Dfa& d, std::uint32_t k, std::uint32_t max_depth = 3,
                                             std::size_t max_states = 50000);
std::optional<Formula> smallest_formula(const Dfa& d, bool past, std::uint32_t window, std::size_t max_size = 9);
std::optional<Formula> exceptions_formula(const Dfa& d, std::uint32_t step);
std::optional<Formula> counting_formula(const std::string& alphabet, const std::function<bool(std::string_view)>& member,
                                        std::size_t max_len = 8);

}  // namespace ahat::lang
