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
//                   the check on all words up to max(kr + k, degree) is complete.
// Every formula reads acceptance at the EOS position; callers compile and verify them.
#pragma once

#include <cstdint>
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
                                            std::uint32_t max_depth = 4, std::size_t max_words = 20000);

}  // namespace ahat::lang
