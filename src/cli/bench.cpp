// ahat bench interpreter [--n N] [--d D] [--repeat R] [--seed S] [--json]
#include <unistd.h>

#include <cmath>

#include "bench/compile_bench.hpp"
#include "bench/interpreter_bench.hpp"
#include "capture/sweep.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "encoder/interpreter.hpp"

namespace ahat::cli {
namespace {

int run_bench_interpreter(const BenchParams& p, const OutputFlags& out) {
    auto cases = bench_interpreter(p);
    if (!out.text()) {
        RecordWriter records(out, {"bench", "n", "d", "repeat", "seed", "case", "mul_adds", "gmp_mul_adds",
                                   "interpreter_seconds", "gmp_seconds", "interpreter_rate", "gmp_rate", "ratio",
                                   "same_result"});
        for (const auto& c : cases)
            records.write(json{{"bench", "interpreter"}, {"n", p.n}, {"d", p.d}, {"repeat", p.repeat}, {"seed", p.seed},
                               {"case", c.name},
                              {"mul_adds", c.mul_adds},
                              {"gmp_mul_adds", c.gmp_mul_adds},
                              {"interpreter_seconds", c.interpreter_seconds},
                              {"gmp_seconds", c.gmp_seconds},
                              {"interpreter_rate", c.interpreter_rate},
                              {"gmp_rate", c.gmp_rate},
                              {"ratio", c.ratio},
                              {"same_result", c.same_result}});
    } else {
        fmt::print("interpreter multiply-add rate vs a plain GMP loop (n = {}, d = {}, best of {})\n", p.n, p.d, p.repeat);
        for (const auto& c : cases)
            fmt::print("  {:<15} {:>10} mul-adds  interpreter {:.3e}/s  gmp loop {:.3e}/s  ratio {:.2f}{}\n", c.name,
                       c.mul_adds, c.interpreter_rate, c.gmp_rate, c.ratio, c.same_result ? "" : "  (RESULTS DIFFER)");
    }
    for (const auto& c : cases)
        if (!c.same_result || c.mul_adds != c.gmp_mul_adds) throw CheckFailed("the bench's cross-check failed for " + c.name);
    return 0;
}

int run_bench_compile(const CompileRunParams& p, const OutputFlags& out) {
    const bool tty = isatty(STDERR_FILENO);
    auto points = bench_compile_run(p, [&](const CompileRunPoint& pt) {
        if (tty) fmt::print(stderr, "  {} gates: {:.2f} s\n", pt.gates, pt.total_seconds());
    });
    json rows = json::array();
    bool ok = true;
    for (std::size_t k = 0; k < points.size(); ++k) {
        const auto& pt = points[k];
        ok = ok && pt.outputs_ok && (pt.dense_seconds < 0 || pt.dense_ok);
        json row{{"bench", "compile-run"},
                 {"construction", construction_name(p.construction)},
                 {"depth", p.depth},
                 {"inputs", p.inputs},
                 {"max_fanin", p.max_fanin},
                 {"seed", p.seed},
                 {"threads", exact_threads(p.threads)},
                 {"repeat", p.repeat},
                 {"isolated", p.isolate},
                 {"gates", pt.gates},
                 {"tokens", pt.tokens},
                 {"layers", pt.layers},
                 {"compile_seconds", pt.compile_seconds},
                 {"run_seconds", pt.run_seconds},
                 {"verify_seconds", pt.verify_seconds},
                 {"total_seconds", pt.total_seconds()},
                 {"outputs_ok", pt.outputs_ok}};
        row["dense_run_seconds"] = pt.dense_seconds >= 0 ? json(pt.dense_seconds) : json(nullptr);
        row["dense_agrees"] = pt.dense_seconds >= 0 ? json(pt.dense_ok) : json(nullptr);
        row["gate_ratio"] = k > 0 ? json(static_cast<double>(pt.gates) / static_cast<double>(points[k - 1].gates)) : json(nullptr);
        row["time_ratio"] = k > 0 ? json(pt.total_seconds() / points[k - 1].total_seconds()) : json(nullptr);
        row["growth_per_doubling"] = json(nullptr);  // time_ratio ^ (1 / log2 gate_ratio)
        if (k > 0 && pt.gates > points[k - 1].gates)
            row["growth_per_doubling"] = std::pow(pt.total_seconds() / points[k - 1].total_seconds(),
                                                  1.0 / std::log2(double(pt.gates) / double(points[k - 1].gates)));
        row["peak_rss_mb"] = pt.peak_rss_mb;
        rows.push_back(std::move(row));
    }
    if (!out.text()) {
        RecordWriter records(out, {"bench", "construction", "depth", "inputs", "max_fanin", "seed", "threads", "repeat", "isolated", "gates", "tokens",
                                   "layers", "compile_seconds", "run_seconds", "verify_seconds", "total_seconds",
                                   "outputs_ok", "dense_run_seconds", "dense_agrees", "gate_ratio", "time_ratio",
                                   "growth_per_doubling", "peak_rss_mb"});
        for (const json& row : rows) records.write(row);
    } else {
        fmt::print("compile, run and verify random depth-{} circuits ({} construction)\n", p.depth, construction_name(p.construction));
        fmt::print("{:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9}  {}\n", "gates", "tokens", "compile", "run", "verify", "total", "ratio",
                   "/doubling", "peak MB", "dense run");
        for (std::size_t k = 0; k < points.size(); ++k) {
            const auto& pt = points[k];
            fmt::print("{:>8} {:>8} {:>8.3f}s {:>8.3f}s {:>8.3f}s {:>8.3f}s {:>7} {:>9} {:>9.0f}  {}\n", pt.gates, pt.tokens, pt.compile_seconds,
                       pt.run_seconds, pt.verify_seconds, pt.total_seconds(),
                       k ? fmt::format("{:.2f}", pt.total_seconds() / points[k - 1].total_seconds()) : "-",
                       rows[k]["growth_per_doubling"].is_null() ? "-" : fmt::format("{:.2f}", rows[k]["growth_per_doubling"].get<double>()),
                       pt.peak_rss_mb, pt.dense_seconds >= 0 ? fmt::format("{:.3f}s", pt.dense_seconds) : "-");
        }
    }
    if (!ok) throw CheckFailed("a compiled run disagreed with direct evaluation or with the dense scan");
    return 0;
}

}  // namespace

void register_bench(CLI::App& app, Action& action) {
    CLI::App* bench = &command_group(app, "bench", "Speed measurements that print JSON");
    auto p = std::make_shared<BenchParams>();
    auto out = std::make_shared<OutputFlags>();
    CLI::App* interp = bench->add_subcommand("interpreter", "Exact interpreter multiply-add rate beside a plain GMP loop");
    add_number(interp, "--n", p->n, "positions", 1, 4096);
    add_number(interp, "--d", p->d, "width", 1, 1024);
    add_number(interp, "--repeat", p->repeat, "repetitions (best time is kept)", 1, 1000);
    add_number(interp, "--seed", p->seed, "random seed", 0, UINT64_MAX);
    add_output_flags(interp, *out, "JSON Lines: one flat record per case", "CSV: one row per case");
    interp->callback([p, out, &action] { action = [p, out] { return run_bench_interpreter(*p, *out); }; });

    auto cp = std::make_shared<CompileRunParams>();
    auto construction = std::make_shared<std::string>("wire");
    CLI::App* cr = bench->add_subcommand("compile-run", "Compile, run and verify random circuits (10^3 to 10^5 gates by default; --sizes up to 10^6 and beyond)");
    auto sizes = std::make_shared<std::vector<std::string>>();
    cr->add_option("--sizes", *sizes, "gate counts: A..B, A..B*K or a list (default 1000,2000,4000,...,64000,100000)");
    add_number(cr, "--depth", cp->depth, "circuit depth (and K)", 1, 64);
    add_number(cr, "--inputs", cp->inputs, "circuit inputs", 1, std::size_t{1} << 28);
    add_number(cr, "--fanin", cp->max_fanin, "largest add fan-in", 1, std::size_t{1} << 28);
    add_number(cr, "--seed", cp->seed, "seed", 0, UINT64_MAX);
    cr->add_option("--construction", *construction, "wire or gate")->capture_default_str();
    add_number(cr, "--dense-max", cp->dense_max, "also time the dense scan up to this many gates", 0, std::size_t{1} << 28);
    cr->add_flag("--in-process", [cp](std::int64_t) { cp->isolate = false; },
                 "run every size in this process, in the order given (default: each in a child process of its own)");
    add_number(cr, "--repeat", cp->repeat, "repetitions per size (the best total time is kept; every one is checked)", 1, 1000);
    add_number(cr, "--threads", cp->threads, "threads of the exact runs (0: every core; 1: one thread)", 0, 4096);
    auto cout_ = std::make_shared<OutputFlags>();
    add_output_flags(cr, *cout_, "JSON Lines: one flat record per size", "CSV: one row per size");
    cr->callback([cp, construction, cout_, sizes, &action] {
        action = [cp, construction, cout_, sizes] {
            if (!sizes->empty()) cp->sizes = sizes_from(*sizes, "--sizes", std::size_t{1} << 28);
            auto c = parse_construction(*construction);
            if (!c) fail(SourceLoc{"--construction", 1, 1}, "unknown construction '{}' (wire, gate)", *construction);
            for (std::size_t s : cp->sizes)
                if (s < cp->depth) fail(SourceLoc{"--sizes", 1, 1}, "size {} is below the depth {}", s, cp->depth);
            cp->construction = *c;
            return run_bench_compile(*cp, *cout_);
        };
    });
}

}  // namespace ahat::cli
