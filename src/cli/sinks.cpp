// ahat sinks TASK|PROG.rasp|ENCODER.json [--sizes 8,16,32,64] [--samples 4] [--seed S]
//            [--as-softmax BETA] [--epsilon 0.3] [--loss readout|squared] [--early 8]
//            [--positions 8] [--fd-directions 4] [--fd-tolerance 1e-5] [--time-n N] [--per-query]
//            [--name SOP] [--alphabet A] [--json | --csv] [--svg FILE] [--quiet]
//            [--shard K/N] [--resume FILE]
// Attention sinks and gradient sinks of a compiled or imported subject, with the checks of
// src/analysis/sinks.hpp (docs/analyses.md). Exit 1 when a check fails.
#include "analysis/encoder_subject.hpp"
#include "analysis/sinks.hpp"
#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"
#include "encoder/encoder_json.hpp"
#include "numeric/device.hpp"

namespace ahat::cli {

capture::Subject analysis_subject(const std::string& subject, const std::string& name, const std::string& alphabet,
                                  const std::vector<std::size_t>& sizes) {
    if (subject.size() > 5 && subject.ends_with(".json")) {
        if (!name.empty() || !alphabet.empty()) fail(SourceLoc{"--name", 0, 0}, "--name and --alphabet are for .rasp files");
        return analysis::encoder_subject(load_encoder(subject), subject);
    }
    return subject_from(subject, name, alphabet, sizes);
}

namespace {

struct SinksArgs {
    std::string subject, name, alphabet, svg, loss = "readout", device = "cpu";
    std::vector<std::size_t> sizes{8, 16, 32, 64};
    std::size_t samples = 4, early = 8, positions = 8, fd_directions = 4;
    std::optional<std::size_t> time_n;
    std::uint64_t seed = 1;
    std::string as_softmax;
    double epsilon = 0.3, fd_tolerance = 1e-5;
    bool json_out = false, csv = false, quiet = false, per_query = false;
};

std::vector<json> records(const analysis::SinksResult& r, const analysis::SinksOptions& o, bool per_query) {
    std::vector<json> out;
    const std::string mode = r.exact ? "exact" : "double";
    for (const auto& h : r.heads_stats) {
        const std::optional<Rational> sink = r.exact && !h.mass.empty() ? std::optional<Rational>(h.mass[0]) : std::nullopt;
        const double sink_f = h.mass_float.empty() ? 0.0 : h.mass_float[0];
        out.push_back(json{{"type", "head"}, {"subject", r.subject}, {"mode", mode}, {"n", h.n}, {"layer", h.layer}, {"head", h.head},
                           {"name", h.name}, {"rule", h.rule}, {"sink", exact_or_null(sink)}, {"sink_float", sink_f},
                           {"sink_head", sink_f > o.epsilon}, {"entropy_mean", h.entropy_mean}, {"entropy_min", h.entropy_min},
                           {"entropy_max", h.entropy_max}, {"value_grad0_norm", h.value_grad0_norm},
                           {"out_grad_sum_norm", h.out_grad_sum_norm}});
    }
    for (const auto& h : r.heads_stats)
        for (std::size_t j = 0; j < h.mass_float.size(); ++j)
            out.push_back(json{{"type", "mass"}, {"subject", r.subject}, {"mode", mode}, {"n", h.n}, {"layer", h.layer}, {"head", h.head},
                               {"position", j}, {"mass", r.exact ? json(to_string(h.mass[j])) : json(nullptr)}, {"mass_float", h.mass_float[j]}});
    for (const auto& l : r.layer_stats)
        out.push_back(json{{"type", "layer"}, {"subject", r.subject}, {"mode", mode}, {"n", l.n}, {"layer", l.layer},
                           {"sink_fraction", or_null(l.sink_fraction)}, {"sink_mean", exact_or_null(l.sink_mean)},
                           {"sink_mean_float", or_null(l.sink_mean_float)}, {"norm0_sq", exact_or_null(l.norm0_sq)}, {"norm0_float", l.norm0},
                           {"early_norm_float", l.early_norm}, {"norm_ratio_float", or_null(l.norm_ratio)}, {"grad_norm0_float", l.grad_norm0},
                           {"grad_norm_rest_float", l.grad_norm_rest}, {"rgs_float", or_null(l.rgs)}});
    for (const auto& c : r.coords)
        out.push_back(json{{"type", "coord"}, {"subject", r.subject}, {"mode", mode}, {"n", c.n}, {"layer", c.layer}, {"coordinate", c.coordinate},
                           {"position", c.position}, {"max_abs", exact_or_null(c.max_abs)}, {"max_abs_float", c.max_abs_float}});
    if (per_query)
        for (const auto& q : r.queries)
            out.push_back(json{{"type", "query"}, {"subject", r.subject}, {"mode", mode}, {"n", q.n}, {"layer", q.layer}, {"head", q.head},
                               {"position", q.position}, {"entropy", or_null(q.entropy)}, {"weight0", exact_or_null(q.weight0)},
                               {"weight0_float", q.weight0_float}});
    if (r.time_n)
        out.push_back(json{{"type", "timing"}, {"subject", r.subject}, {"mode", mode}, {"n", *r.time_n}, {"forward_seconds", *r.forward_seconds},
                           {"backward_seconds", *r.backward_seconds}, {"ratio", *r.backward_seconds / std::max(*r.forward_seconds, 1e-12)}});
    for (const auto& c : r.checks) out.push_back(json{{"type", "check"}, {"subject", r.subject}, {"check", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    return out;
}

// One item's result as a sweep record (cli/sweep.hpp), and back exactly: rationals as their
// strings, reals that may be NaN or infinite as real_record writes them.
json reals_json(const std::vector<double>& v) {
    json a = json::array();
    for (double x : v) a.push_back(real_record(x));
    return a;
}
std::vector<double> reals_from(const json& a) {
    std::vector<double> v;
    for (const json& x : a) v.push_back(real_from(x).value_or(0));
    return v;
}
std::vector<Rational> exacts_from(const json& a) {
    std::vector<Rational> v;
    for (const json& x : a) {
        const std::optional<Rational> r = exact_from(x);
        if (!r) fail(SourceLoc{}, "an exact mass is null");
        v.push_back(*r);
    }
    return v;
}

json part_json(const analysis::SinksResult& r) {
    json heads = json::array(), layers = json::array(), coords = json::array(), queries = json::array(), checks = json::array();
    for (const auto& h : r.heads_stats)
        heads.push_back(json{{"n", h.n}, {"layer", h.layer}, {"head", h.head}, {"name", h.name}, {"rule", h.rule},
                             {"mass", rationals_json(h.mass)}, {"mass_float", reals_json(h.mass_float)},
                             {"entropy", reals_json({h.entropy_mean, h.entropy_min, h.entropy_max})},
                             {"value_grad0_norm", real_record(h.value_grad0_norm)}, {"out_grad_sum_norm", real_record(h.out_grad_sum_norm)}});
    for (const auto& l : r.layer_stats)
        layers.push_back(json{{"n", l.n}, {"layer", l.layer}, {"sink_fraction", real_record(l.sink_fraction)},
                              {"sink_mean", exact_or_null(l.sink_mean)}, {"sink_mean_float", real_record(l.sink_mean_float)},
                              {"norm0_sq", exact_or_null(l.norm0_sq)}, {"norm0", real_record(l.norm0)}, {"early_norm", real_record(l.early_norm)},
                              {"norm_ratio", real_record(l.norm_ratio)}, {"grad_norm0", real_record(l.grad_norm0)},
                              {"grad_norm_rest", real_record(l.grad_norm_rest)}, {"rgs", real_record(l.rgs)}});
    for (const auto& c : r.coords)
        coords.push_back(json{{"n", c.n}, {"layer", c.layer}, {"coordinate", c.coordinate}, {"position", c.position},
                              {"max_abs", exact_or_null(c.max_abs)}, {"max_abs_float", real_record(c.max_abs_float)}});
    for (const auto& q : r.queries)
        queries.push_back(json{{"n", q.n}, {"layer", q.layer}, {"head", q.head}, {"position", q.position}, {"entropy", real_record(q.entropy)},
                               {"weight0", exact_or_null(q.weight0)}, {"weight0_float", real_record(q.weight0_float)}});
    for (const auto& c : r.checks)
        checks.push_back(json{{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}, {"largest", real_record(c.largest)}});
    return json{{"subject", r.subject}, {"exact", r.exact}, {"layers", r.layers}, {"heads", r.heads}, {"head_stats", heads},
                {"layer_stats", layers}, {"coords", coords}, {"queries", queries}, {"checks", checks}, {"time_n", or_null(r.time_n)},
                {"forward_seconds", real_record(r.forward_seconds)}, {"backward_seconds", real_record(r.backward_seconds)}};
}

analysis::SinksResult part_from(const json& j) {
    analysis::SinksResult r;
    r.subject = j.at("subject").get<std::string>(), r.exact = j.at("exact").get<bool>();
    r.layers = j.at("layers").get<std::size_t>(), r.heads = j.at("heads").get<std::size_t>();
    for (const json& h : j.at("head_stats")) {
        analysis::SinkHead x;
        x.n = h.at("n").get<std::size_t>(), x.layer = h.at("layer").get<std::size_t>(), x.head = h.at("head").get<std::size_t>();
        x.name = h.at("name").get<std::string>(), x.rule = h.at("rule").get<std::string>();
        x.mass = exacts_from(h.at("mass")), x.mass_float = reals_from(h.at("mass_float"));
        const std::vector<double> e = reals_from(h.at("entropy"));
        if (e.size() != 3) fail(SourceLoc{}, "entropy is [mean, min, max]");
        x.entropy_mean = e[0], x.entropy_min = e[1], x.entropy_max = e[2];
        x.value_grad0_norm = real_at(h, "value_grad0_norm"), x.out_grad_sum_norm = real_at(h, "out_grad_sum_norm");
        r.heads_stats.push_back(std::move(x));
    }
    for (const json& l : j.at("layer_stats")) {
        analysis::SinkLayer x;
        x.n = l.at("n").get<std::size_t>(), x.layer = l.at("layer").get<std::size_t>();
        x.sink_fraction = real_from(l.at("sink_fraction")), x.sink_mean = exact_from(l.at("sink_mean"));
        x.sink_mean_float = real_from(l.at("sink_mean_float")), x.norm0_sq = exact_from(l.at("norm0_sq"));
        x.norm0 = real_at(l, "norm0"), x.early_norm = real_at(l, "early_norm"), x.norm_ratio = real_from(l.at("norm_ratio"));
        x.grad_norm0 = real_at(l, "grad_norm0"), x.grad_norm_rest = real_at(l, "grad_norm_rest"), x.rgs = real_from(l.at("rgs"));
        r.layer_stats.push_back(std::move(x));
    }
    for (const json& c : j.at("coords")) {
        analysis::SinkCoord x;
        x.n = c.at("n").get<std::size_t>(), x.layer = c.at("layer").get<std::size_t>();
        x.coordinate = c.at("coordinate").get<std::size_t>(), x.position = c.at("position").get<std::size_t>();
        x.max_abs = exact_from(c.at("max_abs")), x.max_abs_float = real_at(c, "max_abs_float");
        r.coords.push_back(std::move(x));
    }
    for (const json& q : j.at("queries")) {
        analysis::SinkQuery x;
        x.n = q.at("n").get<std::size_t>(), x.layer = q.at("layer").get<std::size_t>(), x.head = q.at("head").get<std::size_t>();
        x.position = q.at("position").get<std::size_t>(), x.entropy = real_from(q.at("entropy"));
        x.weight0 = exact_from(q.at("weight0")), x.weight0_float = real_at(q, "weight0_float");
        r.queries.push_back(std::move(x));
    }
    for (const json& c : j.at("checks"))
        r.checks.push_back(analysis::SinkCheck{c.at("name").get<std::string>(), c.at("ok").get<bool>(), c.at("detail").get<std::string>(),
                                               real_from(c.at("largest"))});
    r.time_n = none_or<std::size_t>(j.at("time_n"));
    r.forward_seconds = real_from(j.at("forward_seconds")), r.backward_seconds = real_from(j.at("backward_seconds"));
    if (r.time_n && (!r.forward_seconds || !r.backward_seconds)) fail(SourceLoc{}, "a timing without its seconds");
    return r;
}

int run_sinks(const SinksArgs& a) {
    if (a.json_out && a.csv) fail(SourceLoc{"--csv", 0, 0}, "give --json or --csv, not both");
    analysis::SinksOptions o;
    o.sizes = a.sizes, o.samples = a.samples, o.seed = a.seed, o.epsilon = a.epsilon, o.early = a.early, o.mass_positions = a.positions;
    o.fd_directions = a.fd_directions, o.fd_tolerance = a.fd_tolerance, o.time_n = a.time_n;
    if (a.loss == "readout") o.loss = analysis::SinkLoss::Readout;
    else if (a.loss == "squared") o.loss = analysis::SinkLoss::Squared;
    else fail(SourceLoc{"--loss", 0, 0}, "--loss is readout or squared, got '{}'", a.loss);
    o.as_softmax = parse_beta(a.as_softmax, "--as-softmax");
    o.device = numeric::parse_device(a.device);
    if (o.device == numeric::Device::Cuda) numeric::require_cuda();
    if (!a.quiet) o.progress = [](const std::string& s) { fmt::print(stderr, "sinks: {}\n", s); };
    std::vector<std::size_t> all = a.sizes;
    if (a.time_n) all.push_back(*a.time_n);
    const capture::Subject subject = analysis_subject(a.subject, a.name, a.alphabet, all);
    SweepItems items;  // one per size, then the timing (analysis::sinks_item)
    items.count = analysis::sinks_items(o);
    items.key = [&](std::size_t i) { return i < o.sizes.size() ? fmt::format("n = {}", o.sizes[i]) : fmt::format("timing n = {}", *o.time_n); };
    items.compute = [&](std::size_t i) { return part_json(analysis::sinks_item(subject, o, i)); };
    items.read = [](const json& j) { (void)part_from(j); };
    const std::optional<std::vector<json>> results = run_sweep(items);
    if (!results) return 0;
    std::vector<analysis::SinksResult> parts;
    for (const json& j : *results) parts.push_back(part_from(j));
    const analysis::SinksResult r = analysis::merge_sinks(std::move(parts));
    if (!a.svg.empty()) emit(a.svg, analysis::sinks_svg(r));
    const std::vector<json> recs = records(r, o, a.per_query);
    if (a.json_out) {
        print_json_lines(recs);
    } else if (a.csv) {
        print_csv(recs, "layer");
    } else {
        fmt::print("sinks {}: {} layers, {} heads, {} passes; loss: {}; epsilon {}\n", r.subject, r.layers, r.heads,
                   r.exact ? "exact" : "double", a.loss, a.epsilon);
        fmt::print("  {:>6} {:>5}  {:>9} {:>10} {:>10} {:>9} {:>9}\n", "n", "layer", "sink-mean", "sink-heads", "|h0|/early", "R_GS(0)", "|grad0|");
        for (const auto& l : r.layer_stats)
            fmt::print("  {:>6} {:>5}  {:>9} {:>10} {:>10} {:>9} {:>9.3g}\n", l.n, l.layer,
                       l.sink_mean_float ? fmt::format("{:.3f}", *l.sink_mean_float) : "-",
                       l.sink_fraction ? fmt::format("{:.0f}%", 100 * *l.sink_fraction) : "-",
                       l.norm_ratio ? fmt::format("{:.3f}", *l.norm_ratio) : "-", l.rgs ? fmt::format("{:.3f}", *l.rgs) : "-", l.grad_norm0);
        if (r.time_n)
            fmt::print("  time at n = {}: forward {:.4f} s, backward {:.4f} s (ratio {:.2f})\n", *r.time_n, *r.forward_seconds, *r.backward_seconds,
                       *r.backward_seconds / std::max(*r.forward_seconds, 1e-12));
        for (const auto& c : r.checks) fmt::print("  check {}: {} ({})\n", c.name, c.ok ? "ok" : "FAILED", c.detail);
    }
    if (!r.ok()) throw CheckFailed("a sinks check failed");
    return 0;
}

}  // namespace

void register_sinks(CLI::App& app, Action& action) {
    auto a = std::make_shared<SinksArgs>();
    CLI::App* sub = app.add_subcommand("sinks", "Attention sinks and gradient sinks of a compiled or imported subject, with checks");
    sub->add_option("subject", a->subject, "a task name (docs/tasks.md), a .rasp file or an encoder .json file")->required();
    add_number(sub, "--sizes", a->sizes, "sizes n, comma-separated", 1, 65536);
    add_number(sub, "--samples", a->samples, "instances per size (statistics are their mean)", 1, 100000);
    add_number(sub, "--seed", a->seed, "random seed", 0, UINT64_MAX);
    sub->add_option("--as-softmax", a->as_softmax, "run average-hard heads as softmax at this beta (double passes)");
    add_number(sub, "--epsilon", a->epsilon, "a head is a sink head when its sink score exceeds this", 0.0, 1.0);
    sub->add_option("--loss", a->loss, "readout (L = the sum of the readout) or squared (against the exact answer)")->capture_default_str();
    add_number(sub, "--early", a->early, "early positions 1..E for the first-token norm ratio", 1, 65536);
    add_number(sub, "--positions", a->positions, "key positions whose attention mass is reported per head", 0, 65536);
    add_number(sub, "--fd-directions", a->fd_directions, "double passes: directions checked against finite differences", 0, 1000);
    add_number(sub, "--fd-tolerance", a->fd_tolerance, "relative tolerance of the finite-difference check", 0.0, 1.0);
    add_number(sub, "--time-n", a->time_n, "also time the forward and backward passes (double) at this size", 1, 65536);
    sub->add_option("--device", a->device, "cpu, or cuda (double passes: softmax heads' backward pass on the GPU)")->capture_default_str();
    sub->add_option("--name", a->name, ".rasp files: the SOp to compile (default: the last named)");
    sub->add_option("--alphabet", a->alphabet, ".rasp files: tokens to draw, 'abc' or '0 1 2'");
    sub->add_flag("--json", a->json_out, "JSON Lines: records of type head, mass, layer, coord, query, timing, check");
    sub->add_flag("--per-query", a->per_query, "JSON: also one record per query of every head (entropy, weight on position 0)");
    sub->add_flag("--csv", a->csv, "CSV, one row per (size, layer)");
    sub->add_option("--svg", a->svg, "write R_GS(0) per layer against n");
    sub->add_flag("--quiet", a->quiet, "no progress lines on stderr");
    add_sweep_flags(sub);
    sub->callback([a, &action] { action = [a] { return run_sinks(*a); }; });
}

}  // namespace ahat::cli
