// ahat bench interpreter [--n N] [--d D] [--repeat R] [--seed S] [--json]
#include "bench/interpreter_bench.hpp"
#include "cli/common.hpp"

namespace ahat::cli {
namespace {

int run_bench_interpreter(const BenchParams& p, bool as_json) {
    auto cases = bench_interpreter(p);
    if (as_json) {
        json cs = json::array();
        for (const auto& c : cases)
            cs.push_back(json{{"case", c.name},
                              {"mul_adds", c.mul_adds},
                              {"gmp_mul_adds", c.gmp_mul_adds},
                              {"interpreter_seconds", c.interpreter_seconds},
                              {"gmp_seconds", c.gmp_seconds},
                              {"interpreter_rate", c.interpreter_rate},
                              {"gmp_rate", c.gmp_rate},
                              {"ratio", c.ratio},
                              {"same_result", c.same_result}});
        print_json(json{{"bench", "interpreter"}, {"n", p.n}, {"d", p.d}, {"repeat", p.repeat}, {"seed", p.seed}, {"cases", cs}});
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

}  // namespace

void register_bench(CLI::App& app, Action& action) {
    CLI::App* bench = app.add_subcommand("bench", "Speed measurements that print JSON");
    bench->require_subcommand(1);
    auto p = std::make_shared<BenchParams>();
    auto as_json = std::make_shared<bool>(false);
    CLI::App* interp = bench->add_subcommand("interpreter", "Exact interpreter multiply-add rate beside a plain GMP loop");
    interp->add_option("--n", p->n, "positions")->capture_default_str()->check(CLI::Range(1, 4096));
    interp->add_option("--d", p->d, "width")->capture_default_str()->check(CLI::Range(1, 1024));
    interp->add_option("--repeat", p->repeat, "repetitions (best time is kept)")->capture_default_str()->check(CLI::Range(1, 1000));
    interp->add_option("--seed", p->seed, "random seed")->capture_default_str();
    interp->add_flag("--json", *as_json, "print one JSON document");
    interp->callback([p, as_json, &action] { action = [p, as_json] { return run_bench_interpreter(*p, *as_json); }; });
}

}  // namespace ahat::cli
