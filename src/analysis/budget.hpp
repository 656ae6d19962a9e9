// Budgeted head gating (after Budgeted Attention Allocation, arXiv 2605.05697) on encoders
// whose every weight is known: a cost-conditioned monotone gate per head, its hard operating
// point at a requested budget, and the cost-quality frontier measured on generated instances
// (docs/analyses.md says what each number means and what is from the paper).
//
// Offers:
//   HeadGate            layer, head, a, s: g(b) = sigmoid(a + softplus(s) logit(b)), b in (0, 1).
//   gate_value(g, b)    that value.
//   read_gates(path, enc)   a gates file (docs/formats.md): every head of enc exactly once;
//                       InputError at file:line:col otherwise.
//   active_heads(gates, b)  the hard operating point: k = clamp(round(b H), L, H) heads, L the
//                       number of layers with heads: first each layer's best head, then the
//                       best of the rest, "best" meaning a larger g(b), ties to the earlier
//                       (layer, head). Sorted by (layer, head).
//   head_names(heads)   "L0H0 L1H2": layer and head numbers, in the given order.
//   without_heads(enc, active)  enc with every other head removed: a removed head adds
//                       exactly nothing to the residual stream (exact runs stay exact).
//   BudgetOptions / BudgetPoint / BudgetCheck / BudgetResult
//   budget(subject, opts)   gates from opts.gates or from measured ablation (a = 8 loss - 4,
//                       s = 0, loss = the fraction of answer positions lost when that head
//                       alone is removed), then per budget: active heads, gate mass,
//                       attention multiply-adds against dense, accuracy against the subject's
//                       reference (exact runs), engine time; and the checks (nested head sets,
//                       monotone gates, a head per layer, time additive over heads).
//   frontier_svg(r)     accuracy (whole answers, positions) against the fraction of dense
//                       attention multiply-adds, one point per budget; a standalone SVG
//                       (plot.hpp's line chart, as sinks and cascade draw theirs).
// Cost: (H + |budgets|) x samples exact runs of size n, and with timing (H + 1 + |budgets|) x
// repeats engine runs of a batch at size time_n.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capture/sweep.hpp"

namespace ahat::analysis {

struct HeadGate {
    std::uint32_t layer = 0, head = 0;
    double a = 0, s = 0;
    std::optional<double> loss;  // ablation: accuracy (positions) lost without this head
};

double gate_value(const HeadGate& g, double b);
std::vector<HeadGate> read_gates(const std::string& path, const Encoder& enc);
std::vector<HeadGate> active_heads(const std::vector<HeadGate>& gates, double b);
Encoder without_heads(const Encoder& enc, const std::vector<HeadGate>& active);
std::string head_names(const std::vector<HeadGate>& heads);

struct BudgetOptions {
    std::vector<double> budgets{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    std::size_t n = 16, samples = 32;
    std::uint64_t seed = 1;
    std::optional<std::string> gates_file;
    bool timing = true;
    std::size_t time_n = 2048, time_batch = 8, repeats = 5;
    double time_tolerance = 0.3;  // relative, plus 1 ms
    int threads = 1;
    std::function<void(const std::string&)> progress;
};

struct BudgetPoint {
    double budget = 0;
    std::vector<HeadGate> active;
    double gate_mass = 0;                        // sum over all heads of g(b)
    double flops = 0, dense_flops = 0;           // sum over active (all) heads of time_n^2 d_k
    std::size_t samples = 0, correct = 0;        // whole answers right
    std::size_t positions = 0, correct_positions = 0;
    std::optional<double> seconds, predicted_seconds;  // engine time, and the additive prediction
};

struct BudgetCheck {
    std::string name;
    bool ok = true;
    std::string detail;
};

struct BudgetResult {
    std::string subject;
    std::size_t heads = 0, layers = 0;
    std::vector<HeadGate> gates;
    std::string gate_source;                     // "ablation" or the gates file
    std::vector<BudgetPoint> points;             // budgets ascending
    std::vector<BudgetCheck> checks;
    std::optional<double> base_seconds;          // every head removed
    bool ok() const;
};

BudgetResult budget(const capture::Subject& subject, const BudgetOptions& opts);
std::string frontier_svg(const BudgetResult& r);

}  // namespace ahat::analysis
