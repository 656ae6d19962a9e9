// ahat cascade TASK|PROG.rasp|ENCODER.json [--sizes 16,64] [--samples 4] [--seed S]
//              [--taus 0.5,0.7,0.9,0.99] [--as-softmax BETA] [--strict] [--name SOP]
//              [--alphabet A] [--json | --csv] [--svg FILE] [--quiet] [--shard K/N] [--resume FILE]
// Cascade token selection of a compiled or imported subject (src/analysis/cascade.hpp,
// docs/analyses.md). Exit 1 when the multiply-add count check fails, or with --strict when a
// cascade set differs from the from-scratch set.
#include "analysis/cascade.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"

namespace ahat::cli {
namespace {

struct CascadeArgs {
    std::string subject, name, alphabet, svg, taus = "0.5,0.7,0.9,0.99", as_softmax;
    std::vector<std::size_t> sizes{16, 64};
    std::size_t samples = 4;
    std::uint64_t seed = 1;
    bool strict = false, json_out = false, csv = false, quiet = false;
};

std::vector<json> records(const analysis::CascadeResult& r) {
    std::vector<json> out;
    const std::string mode = r.exact ? "exact" : "double";
    for (const auto& p : r.points)
        out.push_back(json{{"type", "point"}, {"subject", r.subject}, {"mode", mode}, {"n", p.n}, {"tau", to_string(p.tau)},
                           {"tau_float", p.tau.convert_to<double>()}, {"samples", p.samples}, {"answers_agree", p.answers_agree},
                           {"agreement", p.samples ? double(p.answers_agree) / double(p.samples) : 1.0}, {"correct", p.correct},
                           {"dense_correct", p.dense_correct}, {"max_error", exact_or_null(p.max_error)}, {"max_error_float", p.max_error_float},
                           {"argmax_agreement", p.argmax_agreement}, {"rep_fraction", p.rep_fraction}, {"cascade_mul_adds", p.cascade_mul_adds},
                           {"scratch_mul_adds", p.scratch_mul_adds}, {"dense_mul_adds", p.dense_mul_adds},
                           {"savings", static_cast<std::int64_t>(p.scratch_mul_adds) - static_cast<std::int64_t>(p.cascade_mul_adds)}});
    for (const auto& l : r.layer_stats)
        out.push_back(json{{"type", "layer"}, {"subject", r.subject}, {"mode", mode}, {"n", l.n}, {"tau", to_string(l.tau)},
                           {"tau_float", l.tau.convert_to<double>()}, {"layer", l.layer}, {"size", l.size}, {"jaccard", or_null(l.jaccard)},
                           {"added", l.added}, {"removed", l.removed}, {"cascade_mul_adds", l.cascade_mul_adds}, {"scratch_mul_adds", l.scratch_mul_adds},
                           {"dense_mul_adds", l.dense_mul_adds},
                           {"savings", static_cast<std::int64_t>(l.scratch_mul_adds) - static_cast<std::int64_t>(l.cascade_mul_adds)},
                           {"equal_to_scratch", l.equal_to_scratch}});
    for (const auto& c : r.checks) out.push_back(json{{"type", "check"}, {"subject", r.subject}, {"check", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    return out;
}

// One item's result as a sweep record (cli/sweep.hpp), and back exactly.
json part_json(const analysis::CascadeResult& r) {
    json points = json::array(), layers = json::array(), checks = json::array();
    for (const auto& p : r.points)
        points.push_back(json{{"n", p.n}, {"tau", to_string(p.tau)}, {"samples", p.samples}, {"answers_agree", p.answers_agree},
                              {"correct", p.correct}, {"dense_correct", p.dense_correct}, {"max_error", exact_or_null(p.max_error)},
                              {"max_error_float", real_record(p.max_error_float)}, {"argmax_agreement", real_record(p.argmax_agreement)},
                              {"rep_fraction", real_record(p.rep_fraction)}, {"mul_adds", {p.cascade_mul_adds, p.scratch_mul_adds, p.dense_mul_adds}}});
    for (const auto& l : r.layer_stats)
        layers.push_back(json{{"n", l.n}, {"layer", l.layer}, {"tau", to_string(l.tau)}, {"size", real_record(l.size)},
                              {"jaccard", real_record(l.jaccard)}, {"added", real_record(l.added)}, {"removed", real_record(l.removed)},
                              {"mul_adds", {l.cascade_mul_adds, l.scratch_mul_adds, l.dense_mul_adds}}, {"equal_to_scratch", l.equal_to_scratch}});
    for (const auto& c : r.checks) checks.push_back(json{{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    return json{{"subject", r.subject}, {"exact", r.exact}, {"layers", r.layers}, {"points", points}, {"layer_stats", layers}, {"checks", checks}};
}

Rational exact_at(const json& j, const char* key) {
    const std::optional<Rational> r = exact_from(j.at(key));
    if (!r) fail(SourceLoc{}, "{} is null", key);
    return *r;
}
void mul_adds_from(const json& j, std::uint64_t& cascade, std::uint64_t& scratch, std::uint64_t& dense) {
    const json& m = j.at("mul_adds");
    cascade = m.at(0).get<std::uint64_t>(), scratch = m.at(1).get<std::uint64_t>(), dense = m.at(2).get<std::uint64_t>();
}

analysis::CascadeResult part_from(const json& j) {
    analysis::CascadeResult r;
    r.subject = j.at("subject").get<std::string>(), r.exact = j.at("exact").get<bool>(), r.layers = j.at("layers").get<std::size_t>();
    for (const json& q : j.at("points")) {
        analysis::CascadePoint p;
        p.n = q.at("n").get<std::size_t>(), p.tau = exact_at(q, "tau"), p.samples = q.at("samples").get<std::size_t>();
        p.answers_agree = q.at("answers_agree").get<std::size_t>(), p.correct = q.at("correct").get<std::size_t>();
        p.dense_correct = q.at("dense_correct").get<std::size_t>(), p.max_error = exact_from(q.at("max_error"));
        p.max_error_float = real_at(q, "max_error_float"), p.argmax_agreement = real_at(q, "argmax_agreement");
        p.rep_fraction = real_at(q, "rep_fraction");
        mul_adds_from(q, p.cascade_mul_adds, p.scratch_mul_adds, p.dense_mul_adds);
        r.points.push_back(std::move(p));
    }
    for (const json& q : j.at("layer_stats")) {
        analysis::CascadeLayer l;
        l.n = q.at("n").get<std::size_t>(), l.layer = q.at("layer").get<std::size_t>(), l.tau = exact_at(q, "tau");
        l.size = real_at(q, "size"), l.jaccard = real_from(q.at("jaccard")), l.added = real_at(q, "added"), l.removed = real_at(q, "removed");
        mul_adds_from(q, l.cascade_mul_adds, l.scratch_mul_adds, l.dense_mul_adds);
        l.equal_to_scratch = q.at("equal_to_scratch").get<bool>();
        r.layer_stats.push_back(std::move(l));
    }
    for (const json& c : j.at("checks"))
        r.checks.push_back(analysis::CascadeCheck{c.at("name").get<std::string>(), c.at("ok").get<bool>(), c.at("detail").get<std::string>()});
    return r;
}

int run_cascade(const CascadeArgs& a) {
    if (a.json_out && a.csv) fail(SourceLoc{"--csv", 0, 0}, "give --json or --csv, not both");
    analysis::CascadeOptions o;
    o.sizes = a.sizes, o.samples = a.samples, o.seed = a.seed;
    o.taus = parse_values(a.taus, "--taus");
    for (const Rational& t : o.taus)
        if (t <= 0 || t > 1) fail(SourceLoc{"--taus", 0, 0}, "a tau lies in (0, 1], got {}", to_string(t));
    if (o.taus.empty()) fail(SourceLoc{"--taus", 0, 0}, "--taus needs at least one value");
    o.as_softmax = parse_beta(a.as_softmax, "--as-softmax");
    if (!a.quiet) o.progress = [](const std::string& s) { fmt::print(stderr, "cascade: {}\n", s); };
    const capture::Subject subject = analysis_subject(a.subject, a.name, a.alphabet, a.sizes);
    SweepItems items;  // one per size, every tau (analysis::cascade_item)
    items.count = o.sizes.size();
    items.key = [&](std::size_t i) { return fmt::format("n = {}", o.sizes[i]); };
    items.compute = [&](std::size_t i) { return part_json(analysis::cascade_item(subject, o, i)); };
    items.read = [](const json& j) { (void)part_from(j); };
    const std::optional<std::vector<json>> results = run_sweep(items);
    if (!results) return 0;
    std::vector<analysis::CascadeResult> parts;
    for (const json& j : *results) parts.push_back(part_from(j));
    const analysis::CascadeResult r = analysis::merge_cascade(std::move(parts));
    if (!a.svg.empty()) emit(a.svg, analysis::cascade_svg(r));
    const std::vector<json> recs = records(r);
    if (a.json_out) {
        print_json_lines(recs);
    } else if (a.csv) {
        print_csv(recs, "point");
    } else {
        fmt::print("cascade {}: {} layers, {} runs, {} samples per point\n", r.subject, r.layers, r.exact ? "exact" : "double", a.samples);
        fmt::print("  {:>6} {:>6} {:>9} {:>9} {:>9} {:>11} {:>12} {:>12}\n", "n", "tau", "reps/n", "agree", "argmax", "max-error", "gram-cascade",
                   "gram-scratch");
        for (const auto& p : r.points)
            fmt::print("  {:>6} {:>6} {:>8.1f}% {:>8.1f}% {:>8.1f}% {:>11.3g} {:>12} {:>12}\n", p.n, to_string(p.tau), 100 * p.rep_fraction,
                       100.0 * double(p.answers_agree) / double(std::max<std::size_t>(p.samples, 1)), 100 * p.argmax_agreement, p.max_error_float,
                       p.cascade_mul_adds, p.scratch_mul_adds);
        for (const auto& c : r.checks)
            fmt::print("  check {}: {} ({}){}\n", c.name, c.ok ? "ok" : "FAILED", c.detail, c.name == "strict" && !a.strict ? " [exit code with --strict]" : "");
    }
    for (const auto& c : r.checks)
        if (!c.ok && (c.name != "strict" || a.strict)) throw CheckFailed("a cascade check failed");
    return 0;
}

}  // namespace

void register_cascade(CLI::App& app, Action& action) {
    auto a = std::make_shared<CascadeArgs>();
    CLI::App* sub = app.add_subcommand("cascade", "Cascade token selection: attention on Gram-threshold representatives reused across depth");
    sub->add_option("subject", a->subject, "a task name (docs/tasks.md), a .rasp file or an encoder .json file")->required();
    add_number(sub, "--sizes", a->sizes, "sizes n, comma-separated", 1, 65536);
    add_number(sub, "--samples", a->samples, "instances per size", 1, 100000);
    add_number(sub, "--seed", a->seed, "random seed", 0, UINT64_MAX);
    sub->add_option("--taus", a->taus, "Gram thresholds tau in (0, 1], comma-separated exact numbers")->capture_default_str();
    sub->add_option("--as-softmax", a->as_softmax, "run average-hard heads as softmax at this beta (double runs)");
    sub->add_flag("--strict", a->strict, "exit 1 when a cascade set differs from the from-scratch set");
    sub->add_option("--name", a->name, ".rasp files: the SOp to compile (default: the last named)");
    sub->add_option("--alphabet", a->alphabet, ".rasp files: tokens to draw, 'abc' or '0 1 2'");
    sub->add_flag("--json", a->json_out, "JSON Lines: records of type point, layer, check");
    sub->add_flag("--csv", a->csv, "CSV, one row per (size, tau)");
    sub->add_option("--svg", a->svg, "write the representative fraction and answer agreement against tau");
    sub->add_flag("--quiet", a->quiet, "no progress lines on stderr");
    add_sweep_flags(sub);
    sub->callback([a, &action] { action = [a] { return run_cascade(*a); }; });
}

}  // namespace ahat::cli
