#include "analysis/budget.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>

#include "analysis/plot.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"
#include "support/json.hpp"
#include "support/plural.hpp"

namespace ahat::analysis {

double gate_value(const HeadGate& g, double b) {
    const double softplus = g.s > 30 ? g.s : std::log1p(std::exp(g.s));
    const double z = g.a + softplus * std::log(b / (1 - b));
    return 1 / (1 + std::exp(-z));
}

std::vector<HeadGate> read_gates(const std::string& path, const Encoder& enc) {
    const JValue doc = parse_json(read_file(path), path);
    doc.object("a gates file").only_keys({"gates"});
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::vector<HeadGate> gates;
    for (const JValue& g : doc.at("gates").array("\"gates\"")) {
        g.object("a gate").only_keys({"layer", "head", "a", "s"});
        HeadGate h;
        h.layer = static_cast<std::uint32_t>(g.at("layer").count("\"layer\""));
        h.head = static_cast<std::uint32_t>(g.at("head").count("\"head\""));
        if (h.layer >= enc.layers.size() || h.head >= enc.layers[h.layer].heads.size())
            throw InputError(g.loc, fmt::format("the encoder has no head {} in layer {}", h.head, h.layer));
        if (!seen.insert({h.layer, h.head}).second)
            throw InputError(g.loc, fmt::format("head {} of layer {} is gated twice", h.head, h.layer));
        h.a = g.at("a").rational("\"a\"").convert_to<double>();
        h.s = g.at("s").rational("\"s\"").convert_to<double>();
        if (!std::isfinite(h.a) || !std::isfinite(h.s) || std::abs(h.a) > 1e6 || std::abs(h.s) > 1e6)
            throw InputError(g.loc, "gate parameters must be finite numbers of magnitude at most 10^6");
        gates.push_back(h);
    }
    for (std::uint32_t l = 0; l < enc.layers.size(); ++l)
        for (std::uint32_t h = 0; h < enc.layers[l].heads.size(); ++h)
            if (!seen.count({l, h})) throw InputError(doc.loc, fmt::format("head {} of layer {} has no gate", h, l));
    std::sort(gates.begin(), gates.end(), [](const HeadGate& x, const HeadGate& y) { return std::pair{x.layer, x.head} < std::pair{y.layer, y.head}; });
    return gates;
}

std::vector<HeadGate> active_heads(const std::vector<HeadGate>& gates, double b) {
    std::vector<std::size_t> order(gates.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::vector<double> g(gates.size());
    for (std::size_t k = 0; k < gates.size(); ++k) g[k] = gate_value(gates[k], b);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        if (g[x] != g[y]) return g[x] > g[y];
        return std::pair{gates[x].layer, gates[x].head} < std::pair{gates[y].layer, gates[y].head};
    });
    std::set<std::uint32_t> layers;
    for (const HeadGate& h : gates) layers.insert(h.layer);
    const auto H = static_cast<double>(gates.size());
    const std::size_t k = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(b * H)), layers.size(), gates.size());
    std::vector<char> on(gates.size(), 0);
    std::set<std::uint32_t> covered;
    for (std::size_t x : order)
        if (covered.insert(gates[x].layer).second) on[x] = 1;
    std::size_t count = covered.size();
    for (std::size_t x : order)
        if (count < k && !on[x]) on[x] = 1, ++count;
    std::vector<HeadGate> active;
    for (std::size_t x = 0; x < gates.size(); ++x)
        if (on[x]) active.push_back(gates[x]);
    std::sort(active.begin(), active.end(), [](const HeadGate& x, const HeadGate& y) { return std::pair{x.layer, x.head} < std::pair{y.layer, y.head}; });
    return active;
}

Encoder without_heads(const Encoder& enc, const std::vector<HeadGate>& active) {
    Encoder out = enc;
    for (std::uint32_t l = 0; l < out.layers.size(); ++l) {
        std::vector<Head> kept;
        for (std::uint32_t h = 0; h < enc.layers[l].heads.size(); ++h)
            if (std::any_of(active.begin(), active.end(), [&](const HeadGate& g) { return g.layer == l && g.head == h; }))
                kept.push_back(enc.layers[l].heads[h]);
        out.layers[l].heads = std::move(kept);
    }
    return out;
}

bool BudgetResult::ok() const {
    return std::all_of(checks.begin(), checks.end(), [](const BudgetCheck& c) { return c.ok; });
}

namespace {

using Clock = std::chrono::steady_clock;

struct Scored {
    std::size_t samples = 0, correct = 0, positions = 0, correct_positions = 0;
};

// Exact runs of `enc` on the samples, answers decoded as the subject's model decodes them.
Scored score(const capture::Model& model, const Encoder& enc, const std::vector<capture::Sample>& samples) {
    const Program<Rational> prog(enc);
    Scored s;
    for (const capture::Sample& smp : samples) {
        RunResult<Rational> r = prog.run(model.input(smp.tokens));
        const auto got = capture::safe_decode(model, capture::AnyMatrix(std::move(r.outputs)));
        const std::size_t wrong = capture::wrong_positions(got, smp.expected);
        s.samples += 1, s.correct += wrong == 0;
        s.positions += smp.expected.size(), s.correct_positions += smp.expected.size() - wrong;
    }
    return s;
}

double position_accuracy(const Scored& s) { return s.positions ? double(s.correct_positions) / double(s.positions) : 1.0; }

// The best of `repeats` engine runs (float, fast order, dense tiles) of the batch.
double engine_seconds(const Encoder& enc, const std::vector<Matrix<float>>& batch, const BudgetOptions& o) {
    const numeric::Plan<float> plan(enc);
    numeric::EngineOptions eo;
    eo.order = numeric::Order::Fast;
    eo.threads = o.threads;
    eo.shortcuts = false;  // dense tiles: a head's cost depends on its shape, not on what the
                           // heads removed before it leave in the residual stream
    double best = 0;
    for (std::size_t r = 0; r < std::max<std::size_t>(o.repeats, 1); ++r) {
        const auto t0 = Clock::now();
        plan.run(batch, eo);
        const double t = std::chrono::duration<double>(Clock::now() - t0).count();
        best = r == 0 ? t : std::min(best, t);
    }
    return best;
}

}  // namespace

std::string head_names(const std::vector<HeadGate>& hs) {
    std::string s;
    for (const HeadGate& h : hs) s += fmt::format("{}L{}H{}", s.empty() ? "" : " ", h.layer, h.head);
    return s;
}

BudgetResult budget(const capture::Subject& subject, const BudgetOptions& o) {
    if (!subject.not_compilable.empty()) throw InputError({}, fmt::format("'{}' does not compile: {}", subject.name, subject.not_compilable));
    if (o.budgets.empty()) throw InputError({}, "no budget to run");
    for (double b : o.budgets)
        if (!(b > 0 && b < 1) && b != 1) throw InputError({}, fmt::format("budgets lie in (0, 1], got {}", b));
    const capture::Model model = subject.compile();
    const Encoder& enc = model.encoder;
    BudgetResult res;
    res.subject = subject.name;
    for (const Layer& l : enc.layers) res.heads += l.heads.size(), res.layers += !l.heads.empty();
    if (res.heads == 0) throw InputError({}, fmt::format("'{}' has no attention head to gate", subject.name));
    auto say = [&](const std::string& s) {
        if (o.progress) o.progress(s);
    };

    std::mt19937_64 rng(o.seed);
    std::vector<capture::Sample> samples;
    for (std::size_t s = 0; s < o.samples; ++s) samples.push_back(subject.sample(o.n, rng));
    std::vector<HeadGate> all;
    for (std::uint32_t l = 0; l < enc.layers.size(); ++l)
        for (std::uint32_t h = 0; h < enc.layers[l].heads.size(); ++h) all.push_back(HeadGate{l, h, 0, 0, std::nullopt});

    if (o.gates_file) {
        res.gates = read_gates(*o.gates_file, enc);
        res.gate_source = *o.gates_file;
    } else {
        say(fmt::format("ablation: {}, {} of size {}", counted(res.heads, "head"), counted(o.samples, "sample"), o.n));
        const double full = position_accuracy(score(model, enc, samples));
        for (std::size_t k = 0; k < all.size(); ++k) {
            std::vector<HeadGate> rest = all;
            rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(k));
            const double loss = full - position_accuracy(score(model, without_heads(enc, rest), samples));
            HeadGate g = all[k];
            g.loss = loss, g.a = 8 * loss - 4, g.s = 0;
            res.gates.push_back(g);
        }
        res.gate_source = "ablation";
    }

    std::vector<double> budgets = o.budgets;
    std::sort(budgets.begin(), budgets.end());
    budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());

    std::vector<Matrix<float>> batch;
    std::vector<double> head_seconds;
    if (o.timing) {
        std::mt19937_64 trng(o.seed + 1);
        for (std::size_t b = 0; b < o.time_batch; ++b) batch.push_back(convert<float>(model.input(subject.sample(o.time_n, trng).tokens)));
        say(fmt::format("timing: {} + 1 runs of a batch of {} at n = {}", res.heads, o.time_batch, o.time_n));
        res.base_seconds = engine_seconds(without_heads(enc, {}), batch, o);
        for (const HeadGate& g : all) head_seconds.push_back(engine_seconds(without_heads(enc, {g}), batch, o) - *res.base_seconds);
    }

    const double tn = static_cast<double>(o.time_n);
    for (double b : budgets) {
        say(fmt::format("budget {}", b));
        BudgetPoint p;
        p.budget = b;
        p.active = active_heads(res.gates, b);
        for (const HeadGate& g : res.gates) {
            const double dk = static_cast<double>(enc.layers[g.layer].heads[g.head].query.rows());
            p.gate_mass += gate_value(g, b);
            p.dense_flops += tn * tn * dk;
        }
        for (const HeadGate& g : p.active) p.flops += tn * tn * static_cast<double>(enc.layers[g.layer].heads[g.head].query.rows());
        const Encoder eb = without_heads(enc, p.active);
        const Scored s = score(model, eb, samples);
        p.samples = s.samples, p.correct = s.correct, p.positions = s.positions, p.correct_positions = s.correct_positions;
        if (o.timing) {
            p.seconds = engine_seconds(eb, batch, o);
            double predicted = *res.base_seconds;
            for (const HeadGate& g : p.active)
                for (std::size_t k = 0; k < all.size(); ++k)
                    if (all[k].layer == g.layer && all[k].head == g.head) predicted += head_seconds[k];
            p.predicted_seconds = predicted;
        }
        res.points.push_back(std::move(p));
    }

    // Checks.
    BudgetCheck nested{"nested", true, "the active heads at each budget include those at every smaller budget"};
    for (std::size_t k = 1; k < res.points.size(); ++k) {
        const auto& lo = res.points[k - 1].active;
        const auto& hi = res.points[k].active;
        for (const HeadGate& g : lo)
            if (std::none_of(hi.begin(), hi.end(), [&](const HeadGate& x) { return x.layer == g.layer && x.head == g.head; })) {
                nested.ok = false;
                nested.detail = fmt::format("head L{}H{} is active at budget {} but not at {}", g.layer, g.head, res.points[k - 1].budget,
                                            res.points[k].budget);
            }
    }
    BudgetCheck monotone{"monotone", true, "every gate g(b) is non-decreasing on a grid of 999 budgets in (0, 1)"};
    for (const HeadGate& g : res.gates) {
        double prev = 0;
        for (int t = 1; t < 1000; ++t) {
            const double v = gate_value(g, t / 1000.0);
            if (v < prev) {
                monotone.ok = false;
                monotone.detail = fmt::format("the gate of L{}H{} decreases near b = {}", g.layer, g.head, t / 1000.0);
            }
            prev = v;
        }
    }
    BudgetCheck per_layer{"per_layer", true, "every layer with heads keeps at least one active head at every budget"};
    for (const BudgetPoint& p : res.points)
        for (std::uint32_t l = 0; l < enc.layers.size(); ++l)
            if (!enc.layers[l].heads.empty() &&
                std::none_of(p.active.begin(), p.active.end(), [&](const HeadGate& g) { return g.layer == l; })) {
                per_layer.ok = false;
                per_layer.detail = fmt::format("layer {} has no active head at budget {}", l, p.budget);
            }
    res.checks = {nested, monotone, per_layer};
    if (o.timing) {
        BudgetCheck additive{"time_additive", true,
                             fmt::format("engine time at each budget within {:.0f}% + 1 ms of the time with no head plus each active "
                                         "head's own time (best of {} runs each; dense tiles)",
                                         100 * o.time_tolerance, o.repeats)};
        for (const BudgetPoint& p : res.points) {
            const double t = *p.seconds, q = *p.predicted_seconds;
            if (std::abs(t - q) > o.time_tolerance * std::max(t, q) + 0.001) {
                additive.ok = false;
                additive.detail = fmt::format("budget {}: measured {:.4f} s, predicted {:.4f} s (heads {})", p.budget, t, q, head_names(p.active));
            }
        }
        res.checks.push_back(additive);
    }
    return res;
}

std::string frontier_svg(const BudgetResult& r) {
    Series answers{"whole answers", {}}, positions{"positions", {}};
    for (const BudgetPoint& p : r.points) {
        const double f = p.dense_flops > 0 ? p.flops / p.dense_flops : 1;
        answers.points.push_back({f, p.samples ? double(p.correct) / double(p.samples) : 1.0});
        positions.points.push_back({f, p.positions ? double(p.correct_positions) / double(p.positions) : 1.0});
    }
    return line_chart(fmt::format("budget: {} (gates: {})", r.subject, r.gate_source == "ablation" ? "ablation" : "file"),
                      "attention multiply-adds, fraction of dense", "accuracy", {answers, positions}, false);
}

}  // namespace ahat::analysis
