// Cascade token selection (after Cascade Token Selection / Activation Decorrelation
// Attention, arXiv 2605.03110) on encoders whose every weight is known: representative
// tokens chosen per layer with a Gram threshold, reused across depth, and attention computed
// on the representatives only (docs/analyses.md says what each number means and what is from
// the paper).
//
// Offers:
//   Selection           representatives (positions, ascending), each position's owner (the
//                       representative that covers it; a representative owns itself), and
//                       the multiply-adds and comparisons spent.
//   covers(xi, xr, ...) (x_i . x_r)^2 >= tau^2 ||x_i||^2 ||x_r||^2: |cos| >= tau compared in
//                       squares, so exact runs need no square roots (a zero row is covered by
//                       every representative; a zero representative covers zero rows only).
//   select_from_scratch(X, tau)  greedy in position order: a token joins when no
//                       representative so far covers it (it is compared with them in order
//                       until one does).
//   select_cascade(X, tau, prev) the same set, reusing the previous layer's selection: a token
//                       is first compared with its previous owner (validation), then with the
//                       other representatives; the set equals select_from_scratch's because a
//                       token joins exactly when no representative before it covers it,
//                       whatever the order of the comparisons (proofs/cascade.md).
//   CascadeOptions / CascadeLayer / CascadePoint / CascadeCheck / CascadeResult
//   cascade(subject, opts)  per size and tau: samples runs of the encoder with every layer's
//                       attention on its cascade representatives (each key weighted by the
//                       tokens it owns) against the dense run: decoded-answer agreement,
//                       max |output difference|, per-position argmax agreement; per layer:
//                       set size, Jaccard overlap with the previous selection, additions,
//                       removals, Gram multiply-adds (cascade, from scratch, dense Gram),
//                       savings; the checks (cascade set == from-scratch set at every layer;
//                       counted multiply-adds == d x comparisons + d x n norms).
//   cascade_item(subject, opts, i) / merge_cascade(parts)   cascade() as work items
//                       (docs/distributed.md): item i is the size sizes[i], every tau (its
//                       samples from capture::size_rng(seed, n)); merge_cascade joins the
//                       items' results in item order (a check fails when it fails in any
//                       item, with the first failure's detail). cascade() is exactly
//                       merge_cascade of every item.
//   cascade_svg(r)      the mean representative fraction and answer agreement against tau.
// Cost per layer: O(n d) for the norms plus d per comparison: at most n r d (r
// representatives) against n^2 d / 2 for the dense Gram matrix. Exact runs (hard heads) are
// exact throughout; softmax heads (or --as-softmax) run in double.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capture/sweep.hpp"

namespace ahat::analysis {

struct Selection {
    std::vector<std::size_t> reps;
    std::vector<std::size_t> owner;
    std::uint64_t mul_adds = 0, comparisons = 0;
};

template <class S>
Selection select_from_scratch(const Matrix<S>& X, const S& tau);
template <class S>
Selection select_cascade(const Matrix<S>& X, const S& tau, const Selection& prev);

struct CascadeOptions {
    std::vector<std::size_t> sizes{16, 64};
    std::size_t samples = 4;
    std::uint64_t seed = 1;
    std::vector<Rational> taus{Rational(1, 2), Rational(7, 10), Rational(9, 10), Rational(99, 100)};
    std::optional<Rational> as_softmax;
    std::function<void(const std::string&)> progress;
};

struct CascadeLayer {
    std::size_t n = 0, layer = 0;
    Rational tau = 0;
    double size = 0;                       // representatives, mean over samples
    std::optional<double> jaccard;         // with the previous selection (none at the first)
    double added = 0, removed = 0;
    std::uint64_t cascade_mul_adds = 0, scratch_mul_adds = 0, dense_mul_adds = 0;  // summed over samples
    bool equal_to_scratch = true;
};

struct CascadePoint {
    std::size_t n = 0;
    Rational tau = 0;
    std::size_t samples = 0, answers_agree = 0, correct = 0, dense_correct = 0;
    std::optional<Rational> max_error;     // exact mode
    double max_error_float = 0;
    double argmax_agreement = 0;           // fraction of positions
    double rep_fraction = 0;               // mean over layers and samples of |R| / n
    std::uint64_t cascade_mul_adds = 0, scratch_mul_adds = 0, dense_mul_adds = 0;
};

struct CascadeCheck {
    std::string name;
    bool ok = true;
    std::string detail;
};

struct CascadeResult {
    std::string subject;
    bool exact = true;
    std::size_t layers = 0;
    std::vector<CascadePoint> points;
    std::vector<CascadeLayer> layer_stats;
    std::vector<CascadeCheck> checks;      // "strict" (the set check), "mul_adds"
};

CascadeResult cascade_item(const capture::Subject& subject, const CascadeOptions& opts, std::size_t item);
CascadeResult merge_cascade(std::vector<CascadeResult> parts);
CascadeResult cascade(const capture::Subject& subject, const CascadeOptions& opts);
std::string cascade_svg(const CascadeResult& r);

}  // namespace ahat::analysis
