// Attention sinks and gradient sinks (after Attention Sinks Induce Gradient Sinks, arXiv
// 2603.17771) on encoders whose every weight is known: where each head puts its attention
// mass, how the residual stream's norms grow at the first position, and how the gradient of a
// loss on the readout concentrates there (docs/analyses.md says what each number means and
// what is from the paper).
//
// Offers:
//   SinkLoss            Readout (L = the sum of the readout: every output coordinate at every
//                       position, or the acceptance score) or Squared (L = 1/2 ||out - target||^2).
//   HeadStats<S>        one head in one pass: the attention mass per key position (the mean
//                       over queries with a non-empty allowed set of the weight on that key;
//                       the sink score is mass[0]) and the entropy of each query's weights.
//   Forward<S>          sink_forward(enc, input, tol): the states (states[0] the input,
//                       states[l + 1] after layer l, mid[l] after layer l's heads), per layer and head HeadStats, the
//                       readout (sequence: n x |coordinates|; accept: 1 x 1, the score).
//                       S = double runs every rule (hard heads decide ties as the interpreter
//                       does, with tie tolerance tol); S = Rational refuses softmax heads
//                       (InputError at the head) and is exact. With a KeySelector, every
//                       head of a layer attends only to the keys it names, each counted with
//                       its multiplicity (attention on representatives); the backward pass
//                       is for the encoder's own attention only.
//   Backward<S>         sink_backward(enc, fw, loss, target): L, and dL/d states[l] for every
//                       l (the gradient at layer l's attention input; l = L is the readout's
//                       input), per head dL/dv_0 (the value at position 0) and sum_i dL/da_i
//                       (the head's outputs). Gradients flow through the output maps, the
//                       residual stream, the feed-forward circuits (add, mul; sign has
//                       derivative 0), the values of every head and the scores of softmax
//                       heads; hard heads' weights are piecewise constant in the scores, so
//                       only their value path carries gradient. Exact for S = Rational.
//                       With device Cuda (double only), softmax heads' gradients dQ, dK, dV
//                       are computed on GPU 0 (numeric/device.hpp, softmax_backward_cuda),
//                       the rest on the CPU.
//   sink_loss(enc, fw, loss, target)   L alone (finite differences).
//   gradient_sink_ratio(g, s)   R_GS(s) = ||g_s|| / mean over j != s of ||g_j|| (rows of g);
//                       none when n < 2 or the mean is 0.
//   SinksOptions / SinkHead / SinkLayer / SinkCoord / SinkQuery / SinkCheck / SinksResult
//   sinks(subject, opts)  per size: samples exact runs (hard heads) or double runs (softmax
//                       heads, or --as-softmax), the statistics averaged over the samples,
//                       the backward pass and R_GS per layer; the checks: forward outputs
//                       against the interpreter (exact) or the numeric engine (double),
//                       the double backward against the exact one (exact mode), directional
//                       derivatives against central finite differences (double mode); and
//                       optionally the forward and backward time at one size.
//   sinks_items(opts) / sinks_item(subject, opts, i) / merge_sinks(parts)   sinks() as work
//                       items (docs/distributed.md): item i < |sizes| is the size sizes[i]
//                       (its samples from capture::size_rng(seed, n); the finite-difference
//                       check at the first item of the smallest size), the last item the
//                       timing when opts.time_n is set; merge_sinks joins the items' results
//                       in item order (a check fails when it fails in any item, with the first
//                       failure's detail and the largest error of all). sinks() is exactly
//                       merge_sinks of every item.
//   sinks_svg(r)        the sink score (mean over heads of each layer) and R_GS(0) against n;
//                       a standalone SVG.
// Cost of one pass at length n: per head O(n nnz(Q, K, V, O) + |allowed pairs| (dk + dv)); the
// backward pass recomputes the scores (nothing n x n is stored) and costs about twice the
// forward for softmax heads, about the same for hard heads; feed-forward circuits are
// evaluated again per position, O(gates) each. Memory O(L n d + n).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "capture/sweep.hpp"
#include "numeric/device.hpp"

namespace ahat::analysis {

enum class SinkLoss { Readout, Squared };

template <class S>
struct HeadStats {
    std::vector<S> mass;                // per key position j
    std::size_t queries = 0;            // queries with a non-empty allowed set
    double entropy_mean = 0, entropy_min = 0, entropy_max = 0;  // nats, over those queries
    std::vector<std::optional<double>> entropy;  // per query (none: empty allowed set)
    std::vector<S> weight0;             // per query: its weight on key 0
};

template <class S>
struct Forward {
    std::size_t n = 0;
    std::vector<Matrix<S>> states;
    std::vector<Matrix<S>> mid;         // mid[l]: after layer l's heads, before its feed-forward part
    std::vector<std::vector<HeadStats<S>>> heads;
    Matrix<S> outputs;
};

template <class S>
struct Backward {
    S loss = S(0);
    std::vector<Matrix<S>> grad;                       // grad[l] = dL / d states[l]
    std::vector<std::vector<std::vector<S>>> value_grad0;  // [layer][head] dL/dv_0
    std::vector<std::vector<std::vector<S>>> out_grad_sum; // [layer][head] sum_i dL/da_i
};

// Attention on chosen keys (cascade.hpp): called with layer l and its input state, returns
// a multiplicity per position (0: not a key; empty: every key, the encoder's own attention).
template <class S>
using KeySelector = std::function<std::vector<S>(std::size_t layer, const Matrix<S>& state)>;

template <class S>
Forward<S> sink_forward(const Encoder& enc, const Matrix<S>& input, double tie_tolerance = 1e-9, const KeySelector<S>& select = {});
template <class S>
Backward<S> sink_backward(const Encoder& enc, const Forward<S>& fw, SinkLoss loss,
                          const std::type_identity_t<Matrix<S>>* target = nullptr, double tie_tolerance = 1e-9,
                          numeric::Device device = numeric::Device::Cpu);
template <class S>
S sink_loss(const Forward<S>& fw, SinkLoss loss, const std::type_identity_t<Matrix<S>>* target = nullptr);

std::optional<double> gradient_sink_ratio(const Matrix<double>& g, std::size_t s = 0);

struct SinksOptions {
    std::vector<std::size_t> sizes{8, 16, 32, 64};
    std::size_t samples = 4;
    std::uint64_t seed = 1;
    std::optional<Rational> as_softmax;   // run average-hard heads as softmax at this beta
    double epsilon = 0.3;                 // a head is a sink head when its sink score > epsilon
    SinkLoss loss = SinkLoss::Readout;
    std::size_t early = 8;                // early positions 1..early for the norm ratio
    std::size_t mass_positions = 8;       // key positions reported per head
    std::size_t fd_directions = 4;        // double mode: directional derivatives checked
    double fd_tolerance = 1e-5;           // relative
    std::optional<std::size_t> time_n;    // also time forward and backward at this size
    numeric::Device device = numeric::Device::Cpu;  // double backward passes: softmax heads' gradients on the GPU
    std::function<void(const std::string&)> progress;
};

struct SinkHead {
    std::size_t n = 0, layer = 0, head = 0;
    std::string name, rule;
    std::vector<Rational> mass;           // first mass_positions key positions (exact mode)
    std::vector<double> mass_float;
    double entropy_mean = 0, entropy_min = 0, entropy_max = 0;
    double value_grad0_norm = 0, out_grad_sum_norm = 0;
};

struct SinkLayer {                        // the state entering layer `layer` (layer = L: the readout's input)
    std::size_t n = 0, layer = 0;
    std::optional<double> sink_fraction;  // heads of this layer with sink score > epsilon (none: no heads / final)
    std::optional<Rational> sink_mean;    // mean sink score over its heads (exact mode)
    std::optional<double> sink_mean_float;
    std::optional<Rational> norm0_sq;     // ||h_0||^2 (exact mode), averaged over samples
    double norm0 = 0, early_norm = 0;     // ||h_0||, mean over early positions of ||h_j||
    std::optional<double> norm_ratio;     // norm0 / early_norm
    double grad_norm0 = 0, grad_norm_rest = 0;
    std::optional<double> rgs;            // R_GS(0), averaged over the samples where defined
};

struct SinkCoord {
    std::size_t n = 0, layer = 0, coordinate = 0, position = 0;
    std::optional<Rational> max_abs;      // exact mode (first sample)
    double max_abs_float = 0;
};

struct SinkQuery {                        // one query of one head (first instance of each size)
    std::size_t n = 0, layer = 0, head = 0, position = 0;
    std::optional<double> entropy;        // none: the allowed set is empty
    std::optional<Rational> weight0;      // its weight on position 0 (exact mode)
    double weight0_float = 0;
};

struct SinkCheck {
    std::string name;
    bool ok = true;
    std::string detail;
    std::optional<double> largest;        // an item's largest error, until merge_sinks writes it into detail
};

struct SinksResult {
    std::string subject;
    bool exact = true;
    std::size_t layers = 0, heads = 0;
    std::vector<SinkHead> heads_stats;
    std::vector<SinkLayer> layer_stats;
    std::vector<SinkCoord> coords;
    std::vector<SinkQuery> queries;
    std::vector<SinkCheck> checks;
    std::optional<std::size_t> time_n;
    std::optional<double> forward_seconds, backward_seconds;
    bool ok() const;
};

std::size_t sinks_items(const SinksOptions& opts);
SinksResult sinks_item(const capture::Subject& subject, const SinksOptions& opts, std::size_t item);
SinksResult merge_sinks(std::vector<SinksResult> parts);
SinksResult sinks(const capture::Subject& subject, const SinksOptions& opts);
std::string sinks_svg(const SinksResult& r);

}  // namespace ahat::analysis
