// The interpreter: runs an encoder on an n x d input, exactly (Rational) or in
// double/float/bfloat16.
//
// Offers:
//   RunOptions         stop after a layer, record states, tie tolerance, --max-bits guard,
//                      threads of exact runs.
//   exact_threads(t)   the threads RunOptions::threads = t gives an exact run (0: every core).
//   Trace<S>           per layer and head the argmax-set size at every position (|M_i|; for
//                      uniform and softmax heads |U_i|), the states on request, the number of
//                      multiply-adds done by affine maps and scores.
//   RunResult<S>       final state, trace, readout (sequence outputs or acceptance).
//   LayerObserver<S>   called with the state after each layer (and the input) and that
//                      layer's head traces, as the run goes: a caller checks every layer while
//                      one state is kept (memory O(n d)), where record_states keeps them all.
//   Program<S>         an encoder lowered to scalar S once, then run on many inputs.
//                      Program<Rational> refuses softmax heads (no exact semantics).
//   default_tie_tolerance<S>()   0 for exact; 1e-9 double; 1e-4 float; 1e-2 bfloat16
//                      (relative to max(1,|max|)).
//   HeadMargin         exact runs with RunOptions::margins: per hard head, the smallest gap
//                      between the selected (maximal) score and the best unselected allowed
//                      score over all queries, and the largest |score| met in those
//                      comparisons. Costs one extra comparison per allowed key on the dense
//                      scan; on the structured path the runner-up is not on the convex
//                      chains, so margins there take O(G dk) per query (G distinct keys).
// Cost per layer and head (n positions, width d, key width dk): O(n * nnz(Q,K,V,O)) for the
// maps plus O(n^2 dk) for scores (O(n dv) for uniform heads and constant keys). Exact
// hard heads whose distinct keys span an affine space of dimension <= 2 take the structured
// path of fast_attention.hpp instead: O(n log n) to group and index the keys (and, for a
// mask or window, O(n log n) for the interval tree), then per query O(log n) comparisons
// without a mask, O(log^2 n) with one, plus O(|groups in M_i| (dv + log n)); so do heads
// with few distinct keys (G <= 16 or G^2 <= n, e.g. one-hot keys), at O(G (dk + log n)) per
// query. Both paths give identical results (tests compare them on every rule, mask and
// window); RunOptions::dense forces the dense scan. The dense scan forms scores in 128-bit
// integers when the queries and keys are small fractions (each key coordinate scaled by the
// lcm of its denominators, each query row by a positive factor of its own: one query's
// scores keep their order and ties), exactly otherwise. Inputs of fewer positions than
// RunOptions::structured_from (32) take the dense scan where its scores are such integers
// (building an index costs more than the n^2 scores), and the structured path where they
// are not. Memory: the state (n x d), which a layer
// updates in place, plus Q, K, V of one head and each head's n x dv output, an int64 copy of
// the layer's input state (exact runs: the operands of every map's fast path), the key
// indexes (O(n log n) for masked heads) and the structured path's group means or prefix sums
// (buffers reused by every head, and kept by each thread for its later runs); record_states
// adds one state per layer.
// Threads: an exact run splits its row-wise work (the maps, the output sums, the feed-forward
// circuits, the structured path's queries) into contiguous blocks of positions shared out
// among the threads (RunOptions::threads, 0: OpenMP's default, every core unless OMP_NUM_THREADS says otherwise;
// at most one per 128 positions); key indexes, the dense scan and margin
// recording stay on one thread. Every position is computed by the same code in the same order
// whatever the split, so results, traces and errors do not depend on it.
// The argument order of everything follows docs/semantics.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "circuit/eval.hpp"
#include "encoder/encoder.hpp"

namespace ahat {

struct RunOptions {
    std::optional<std::size_t> stop_after;  // run layers 0..stop_after-1 only
    bool record_states = false;
    std::optional<double> tie_tolerance;    // numeric runs; default_tie_tolerance if unset
    std::size_t max_bits = kDefaultMaxBits; // exact runs; 0 = no limit
    bool dense = false;                     // exact runs: never use the structured fast path
    std::size_t structured_from = 32;       // exact runs: take it from this many positions on
                                            // (below, the dense scan costs less than its index
                                            // when its scores are integers; it is taken then)
    bool margins = false;                   // exact runs: record HeadTrace::margin
    bool record_attention = false;          // record HeadTrace::positions (and weights); dense scan
    int threads = 0;                        // exact runs: threads for row-wise work (0: every core)
};

int exact_threads(int requested);

template <class S>
constexpr double default_tie_tolerance() {
    if constexpr (is_exact_v<S>) return 0.0;
    else if constexpr (std::is_same_v<S, double>) return 1e-9;
    else if constexpr (std::is_same_v<S, float>) return 1e-4;
    else return 1e-2;
}

// Over all query positions i of one average-hard / unique-hard head: with s_i the maximal
// allowed score and r_i the best allowed score below it (when some allowed key is not
// selected), gap = min_i (s_i - r_i) and scale = max_i sum_t |q_it| max_j |k_jt| (the size of
// the terms a floating-point score sums: its rounding error is proportional to this, not to
// the score, which cancellation can make small). gap/scale is a lower bound on every query's
// margin relative to the magnitude of its terms; gap/score_scale bounds it relative to the
// scores themselves (numeric runs' tie tolerances are relative to max(1, |max score|)).
struct HeadMargin {
    std::optional<Rational> gap;  // none: every allowed key was selected at every query
    Rational scale = 0;
    Rational score_scale = 1;     // max_i max(1, |s_i|, |r_i|): what tie tolerances scale with
    std::size_t position = 0;     // a query position attaining gap
};

struct HeadTrace {
    std::vector<std::uint32_t> selected;  // per position: |M_i| (0 where U_i is empty)
    std::optional<HeadMargin> margin;     // hard heads of exact runs with RunOptions::margins
    // With RunOptions::record_attention, per query position: the key positions it attends to
    // (average-hard: M_i; unique-hard: the one chosen; uniform and softmax: U_i), ascending;
    // `weights` (softmax heads only) the weight of each, as computed. Average-hard and uniform
    // weights are 1/|positions|, unique-hard ones 1.
    std::vector<std::vector<std::uint32_t>> positions;
    std::vector<std::vector<double>> weights;
};

template <class S>
struct Trace {
    std::vector<std::vector<HeadTrace>> heads;  // [layer][head]
    std::vector<Matrix<S>> states;              // states[0] = input, states[l+1] after layer l
    std::uint64_t mul_adds = 0;
    double tie_tolerance = 0;
};

template <class S>
struct RunResult {
    Matrix<S> state;
    Trace<S> trace;
    std::size_t layers_run = 0;
    Matrix<S> outputs;              // Sequence readout: n x |coordinates|
    std::optional<bool> accepted;   // Accept readout
    S score = S(0);                 // Accept readout: <t, x_p> + b
};

// layers_done = 0 with the input and no heads, then l + 1 after layer l with its heads' traces.
template <class S>
using LayerObserver =
    std::function<void(std::size_t layers_done, const Matrix<S>& state, const std::vector<HeadTrace>& heads)>;

template <class S>
class Program {
public:
    explicit Program(const Encoder& enc);
    RunResult<S> run(const Matrix<S>& input, const RunOptions& opts = {}, const LayerObserver<S>& observe = {}) const;
    // The same, taking over the input as the first state (no copy of it is kept).
    RunResult<S> run(Matrix<S>&& input, const RunOptions& opts = {}, const LayerObserver<S>& observe = {}) const;
    const Encoder& encoder() const { return *enc_; }

private:
    struct LoweredHead {
        Affine<S> query, key, value;
        Sparse<S> output;
        S beta;
    };
    // Per layer, the coordinates its heads' query, key and value maps read, and those its
    // heads and feed-forward part write (ascending): exact runs mark and bound-check only
    // these, so a layer costs O(n x coordinates it touches), not O(n x d).
    struct Touched {
        std::vector<std::uint32_t> reads, writes;
    };
    const Encoder* enc_;
    std::vector<std::vector<LoweredHead>> heads_;
    std::vector<Touched> touched_;
};

// Convenience: lower and run once.
template <class S>
RunResult<S> run(const Encoder& enc, const Matrix<S>& input, const RunOptions& opts = {}) {
    return Program<S>(enc).run(input, opts);
}

}  // namespace ahat
