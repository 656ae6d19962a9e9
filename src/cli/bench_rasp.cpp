// ahat bench rasp [--tasks sort,histogram] [--sizes 1024 2048 4096 8192 16384] [--repeat R] [--seed S] [--json]
#include "bench/rasp_bench.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"

namespace ahat::cli {
namespace {

int run_bench_rasp(const RaspBenchParams& p, const OutputFlags& out) {
    const auto points = bench_rasp(p);
    bool ok = true;
    json rows = json::array();
    for (const auto& pt : points) {
        ok = ok && pt.outputs_ok;
        json row{{"bench", "rasp"}, {"repeat", p.repeat}, {"seed", p.seed}, {"task", pt.task}, {"n", pt.n},
                 {"layers", pt.layers},   {"heads", pt.heads},
                 {"width", pt.width},     {"compile_seconds", pt.compile_seconds},
                 {"run_seconds", pt.run_seconds}, {"outputs_ok", pt.outputs_ok}};
        row["size_ratio"] = pt.size_ratio > 0 ? json(pt.size_ratio) : json(nullptr);
        row["run_ratio"] = pt.run_ratio > 0 ? json(pt.run_ratio) : json(nullptr);
        row["growth_per_doubling"] = pt.growth_per_doubling > 0 ? json(pt.growth_per_doubling) : json(nullptr);
        rows.push_back(std::move(row));
    }
    if (!out.text()) {
        RecordWriter records(out, {"bench", "repeat", "seed", "task", "n", "layers", "heads", "width", "compile_seconds",
                                   "run_seconds", "outputs_ok", "size_ratio", "run_ratio", "growth_per_doubling"});
        for (const json& row : rows) records.write(row);
    } else {
        fmt::print("compile and exact run of task programs (best of {})\n", p.repeat);
        fmt::print("{:<16} {:>6} {:>7} {:>6} {:>10} {:>10} {:>9} {:>12}\n", "task", "n", "layers", "heads", "compile", "run",
                   "run ratio", "per doubling");
        for (const auto& pt : points)
            fmt::print("{:<16} {:>6} {:>7} {:>6} {:>9.4f}s {:>9.4f}s {:>9} {:>12}{}\n", pt.task, pt.n, pt.layers, pt.heads,
                       pt.compile_seconds, pt.run_seconds, pt.run_ratio > 0 ? fmt::format("{:.2f}", pt.run_ratio) : "-",
                       pt.growth_per_doubling > 0 ? fmt::format("{:.2f}", pt.growth_per_doubling) : "-",
                       pt.outputs_ok ? "" : "  (WRONG OUTPUT)");
    }
    if (!ok) throw CheckFailed("a compiled task program disagreed with the task's solver");
    return 0;
}

}  // namespace

void register_bench_rasp(CLI::App& app, Action& action) {
    CLI::App* bench = &command_group(app, "bench", "Speed measurements that print JSON");
    auto p = std::make_shared<RaspBenchParams>();
    auto out = std::make_shared<OutputFlags>();
    auto sizes = std::make_shared<std::vector<std::string>>();
    auto tasks = std::make_shared<std::string>("sort,histogram");
    CLI::App* sub = bench->add_subcommand("rasp", "Compile and exact run time of task programs at growing n");
    sub->add_option("--tasks", *tasks, "comma-separated task names")->capture_default_str();
    sub->add_option("--sizes", *sizes, "input sizes: A..B, A..B*K or a list (default 1024..16384*2)");
    add_number(sub, "--repeat", p->repeat, "instances per size (best time kept)", 1, 1000);
    add_number(sub, "--seed", p->seed, "seed", 0, UINT64_MAX);
    add_output_flags(sub, *out, "JSON Lines: one flat record per task and size", "CSV: one row per task and size");
    sub->callback([p, tasks, out, sizes, &action] {
        p->tasks.clear();
        for (std::size_t pos = 0; pos <= tasks->size();) {
            std::size_t e = tasks->find(',', pos);
            if (e == std::string::npos) e = tasks->size();
            if (e > pos) p->tasks.push_back(tasks->substr(pos, e - pos));
            pos = e + 1;
        }
        action = [p, out, sizes] {
            if (!sizes->empty()) p->sizes = sizes_from(*sizes, "--sizes", 1 << 20);
            return run_bench_rasp(*p, *out);
        };
    });
}

}  // namespace ahat::cli
