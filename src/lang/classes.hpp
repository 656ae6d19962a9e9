// Decisions of language classes on a minimal DFA, each with a certificate a reader can
// check by hand or by running the DFA on the certificate's words.
//
// Offers (d must be minimal, e.g. from minimize/compile_regex; m its transition monoid):
//   definite_degree(d)           least k such that membership of words of length >= k
//                                depends only on their last k letters (all words of length
//                                k synchronise all states); nullopt when not definite.
//                                O(n^2 |Σ|).
//   reverse_definite_degree(d)   same for the first k letters (start·u absorbing for |u| = k).
//   partial_order(d)             the po-DFA structure when the DFA has no cycle other than
//                                self-loops (R-trivial): states in a topological order, the
//                                start first, and each state's self-loop letters.
//   decide_definite, decide_reverse_definite, decide_r_trivial, decide_l_trivial,
//   decide_aperiodic, decide_locally_testable, decide_piecewise_testable,
//   decide_locally_r_trivial     the decisions (monoid ones O(|M| ...), see classes.cpp).
//                                Locally R-trivial: every local monoid eSe (e idempotent)
//                                is R-trivial, O(|M|^3) worst case; the class of LTL[P,Y]
//                                (docs/languages.md).
//   decide_all(d)                all eight in that order (builds the monoid once).
//
// Certificates name words and states. Conventions used by the decisions:
//   negative, two-context form: words x, w1, w2, z with x·w1·z ∈ L != x·w2·z ∈ L, where
//     w1, w2 are words the class would force to be syntactically equal;
//   definite no:  x, y, u, z: for every k, x u^k z and y u^k z differ in membership;
//   reverse definite no: x, u, z: for every k, x u^k and x u^k z differ in membership;
//   R-trivial no: states p != q, words u, v with p·u = q, q·v = p (x reaches p);
//   aperiodic no: word u, state p, period >= 2: p·u^period = p, p·u != p; x reaches p and
//     z distinguishes p from p·u, so x u^(period k) z and x u^(period k + 1) z differ;
//   locally R-trivial no: e, s, t, w1 = (p q)^k p, w2 = (p q)^k for p = e s e, q = e t e,
//     with x, z a context in which w1 and w2 differ; index k;
//   index: the k of (reverse) definite, the m of x^m = x^(m+1) (aperiodic), or the
//     period when not aperiodic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lang/language.hpp"
#include "lang/monoid.hpp"

namespace ahat::lang {

struct Certificate {
    std::string claim;                                          // one readable sentence
    std::vector<std::pair<std::string, std::string>> words;     // name -> word
    std::vector<std::pair<std::string, std::uint32_t>> states;  // name -> state
    std::optional<std::size_t> index;                           // k or m, when relevant
    const std::string& word(std::string_view name) const;       // std::out_of_range if absent
    std::uint32_t state(std::string_view name) const;
    bool has_word(std::string_view name) const;
};

struct Decision {
    std::string property;  // "definite", "reverse-definite", "R-trivial", "L-trivial",
                           // "aperiodic", "locally-testable", "piecewise-testable",
                           // "locally-R-trivial"
    bool holds = false;
    Certificate certificate;
};

struct PoDfa {
    std::vector<std::uint32_t> order;       // topological: p before q when q reachable from p
    std::vector<std::string> loop_letters;  // [state] letters a with q·a = q
};

std::optional<std::size_t> definite_degree(const Dfa& d);
std::optional<std::size_t> reverse_definite_degree(const Dfa& d);
std::optional<PoDfa> partial_order(const Dfa& d);

Decision decide_definite(const Dfa& d);
Decision decide_reverse_definite(const Dfa& d);
Decision decide_r_trivial(const Dfa& d);
Decision decide_l_trivial(const Dfa& d, const Monoid& m);
Decision decide_aperiodic(const Dfa& d, const Monoid& m);
Decision decide_locally_testable(const Dfa& d, const Monoid& m);
Decision decide_piecewise_testable(const Dfa& d, const Monoid& m);
Decision decide_locally_r_trivial(const Dfa& d, const Monoid& m);
std::vector<Decision> decide_all(const Dfa& d);

}  // namespace ahat::lang
