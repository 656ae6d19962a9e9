// ahat budget TASK|PROG.rasp|ENCODER.json [--budgets 0.1,...,1] [--n 16] [--samples 32] [--seed S]
//             [--gates FILE] [--no-time] [--time-n 2048] [--time-batch 8] [--repeats 5]
//             [--time-tolerance 0.3] [--threads T] [--name SOP] [--alphabet A]
//             [--json | --csv] [--svg FILE] [--quiet]
// Budgeted head gating: the cost-quality frontier of a compiled subject and its checks
// (src/analysis/budget.hpp, docs/analyses.md). Exit 1 when a check fails.
#include <cmath>

#include "analysis/budget.hpp"
#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "support/plural.hpp"

namespace ahat::cli {
namespace {

struct BudgetArgs {
    std::string subject, name, alphabet, gates, svg;
    std::vector<double> budgets{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    std::size_t n = 16, samples = 32, time_n = 2048, time_batch = 8, repeats = 5;
    std::uint64_t seed = 1;
    double time_tolerance = 0.3;
    int threads = 1;
    bool no_time = false, quiet = false;
    OutputFlags out;
};

json point_json(const analysis::BudgetResult& r, const analysis::BudgetPoint& p) {
    return json{{"type", "budget"},
                {"subject", r.subject},
                {"budget", p.budget},
                {"active_heads", p.active.size()},
                {"heads", r.heads},
                {"active", analysis::head_names(p.active)},
                {"gate_mass", p.gate_mass},
                {"flops", p.flops},
                {"dense_flops", p.dense_flops},
                {"flops_fraction", p.dense_flops > 0 ? p.flops / p.dense_flops : 1.0},
                {"samples", p.samples},
                {"correct", p.correct},
                {"accuracy", p.samples ? double(p.correct) / double(p.samples) : 1.0},
                {"position_accuracy", p.positions ? double(p.correct_positions) / double(p.positions) : 1.0},
                {"seconds", or_null(p.seconds)},
                {"predicted_seconds", or_null(p.predicted_seconds)}};
}

int run_budget(const BudgetArgs& a) {
    if (!(a.time_tolerance > 0)) fail(SourceLoc{"--time-tolerance", 0, 0}, "--time-tolerance must be above 0");
    analysis::BudgetOptions o;
    for (double b : a.budgets)
        if (!(b > 0)) fail(SourceLoc{"--budgets", 0, 0}, "a budget is a number in (0, 1], got {}", b);
    o.budgets = a.budgets;
    o.n = a.n, o.samples = a.samples, o.seed = a.seed, o.timing = !a.no_time;
    o.time_n = a.time_n, o.time_batch = a.time_batch, o.repeats = a.repeats, o.time_tolerance = a.time_tolerance, o.threads = a.threads;
    if (!a.gates.empty()) o.gates_file = a.gates;
    if (!a.quiet) o.progress = [](const std::string& s) { fmt::print(stderr, "budget: {}\n", s); };
    const capture::Subject subject = analysis_subject(a.subject, a.name, a.alphabet, {a.n, a.time_n});
    const analysis::BudgetResult r = analysis::budget(subject, o);
    if (!a.svg.empty()) emit(a.svg, analysis::frontier_svg(r));
    if (a.out.json) {
        std::vector<json> records;
        for (const auto& g : r.gates)
            records.push_back(json{{"type", "head"}, {"subject", r.subject}, {"layer", g.layer}, {"head", g.head}, {"a", g.a},
                                   {"s", g.s}, {"loss", or_null(g.loss)}, {"gates", r.gate_source}});
        for (const auto& p : r.points) records.push_back(point_json(r, p));
        for (const auto& c : r.checks)
            records.push_back(json{{"type", "check"}, {"subject", r.subject}, {"check", c.name}, {"ok", c.ok}, {"detail", c.detail}});
        print_json_lines(records);
    } else if (a.out.csv) {  // one row per budget, in the JSON record's key order
        RecordWriter w(a.out, {"type", "subject", "budget", "active_heads", "heads", "active", "gate_mass", "flops", "dense_flops",
                               "flops_fraction", "samples", "correct", "accuracy", "position_accuracy", "seconds",
                               "predicted_seconds"});
        for (const auto& p : r.points) w.write(point_json(r, p));
    } else {
        fmt::print("budget {}: {} in {}, gates from {}; accuracy on {} exact runs of size {}\n", r.subject, counted(r.heads, "head"), counted(r.layers, "layer"),
                   r.gate_source, a.samples, a.n);
        for (const auto& g : r.gates)
            fmt::print("  gate L{}H{}: a = {:.3g}, s = {:.3g}{}\n", g.layer, g.head, g.a, g.s,
                       g.loss ? fmt::format("  (accuracy lost without it: {:.1f}%)", 100 * *g.loss) : "");
        fmt::print("  {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10}  {}\n", "budget", "heads", "gate-mass", "flops", "accuracy", "positions",
                   a.no_time ? "" : "seconds", "active");
        for (const auto& p : r.points)
            fmt::print("  {:>6.2f} {:>6} {:>9.3f} {:>8.1f}% {:>8.1f}% {:>8.1f}% {:>10}  {}\n", p.budget, p.active.size(), p.gate_mass,
                       100 * (p.dense_flops > 0 ? p.flops / p.dense_flops : 1.0), 100.0 * double(p.correct) / double(std::max<std::size_t>(p.samples, 1)),
                       100.0 * double(p.correct_positions) / double(std::max<std::size_t>(p.positions, 1)),
                       p.seconds ? fmt::format("{:.4f}", *p.seconds) : "", analysis::head_names(p.active));
        for (const auto& c : r.checks) fmt::print("  check {}: {} ({})\n", c.name, c.ok ? "ok" : "FAILED", c.detail);
        fmt::print("  assumptions: exact arithmetic for accuracy; flops = sum over active heads of n^2 d_k at n = {}; time: the numeric engine, "
                   "float, fast order, {} thread(s)\n",
                   a.time_n, a.threads);
    }
    if (!r.ok()) throw CheckFailed("a budget check failed");
    return 0;
}

}  // namespace

void register_budget(CLI::App& app, Action& action) {
    auto a = std::make_shared<BudgetArgs>();
    CLI::App* sub = app.add_subcommand("budget", "Budgeted head gating: the cost-quality frontier of a compiled subject, with checks");
    sub->add_option("subject", a->subject, "a task name (docs/tasks.md), a .rasp file or an encoder .json file")->required();
    add_number(sub, "--budgets", a->budgets, "budgets b in (0, 1], comma-separated", 0.0, 1.0);
    add_number(sub, "--n", a->n, "size of the instances scored exactly", 1, 4096);
    add_number(sub, "--samples", a->samples, "instances scored per budget", 1, 100000);
    add_number(sub, "--seed", a->seed, "random seed", 0, UINT64_MAX);
    sub->add_option("--gates", a->gates, "gate parameters (docs/formats.md); default: ranked by measured ablation");
    sub->add_flag("--no-time", a->no_time, "skip the engine timings and their check");
    add_number(sub, "--time-n", a->time_n, "size of the timed batch", 1, 65536);
    add_number(sub, "--time-batch", a->time_batch, "instances in the timed batch", 1, 4096);
    add_number(sub, "--repeats", a->repeats, "timed runs per point (the best counts)", 1, 100);
    add_number(sub, "--time-tolerance", a->time_tolerance, "relative tolerance of the additivity check", 0.0, 10.0);
    add_number(sub, "--threads", a->threads, "engine threads (0: every core)", 0, 4096);
    sub->add_option("--name", a->name, ".rasp files: the SOp to compile (default: the last named)");
    sub->add_option("--alphabet", a->alphabet, ".rasp files: tokens to draw, 'abc' or '0 1 2'");
    add_output_flags(sub, a->out, "JSON Lines: one record per head (type \"head\"), per budget (\"budget\"), per check (\"check\")",
                     "CSV, one row per budget");
    sub->add_option("--svg", a->svg, "write the frontier (accuracy against the fraction of dense multiply-adds)");
    sub->add_flag("--quiet", a->quiet, "no progress lines on stderr");
    sub->callback([a, &action] { action = [a] { return run_budget(*a); }; });
}

}  // namespace ahat::cli
