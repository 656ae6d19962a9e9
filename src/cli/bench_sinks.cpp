// ahat bench sinks [--tasks histogram,sort,copy,induction] [--n 4096] [--beta 8] [--repeats 3]
//                  [--json]
// The sinks backward pass against its forward pass (src/analysis/sinks.hpp) at one size:
// double, one thread, the tasks' average-hard heads run as softmax at beta (score gradients
// included); best of --repeats each. A figure, not a check.
#include <chrono>
#include <random>

#include "analysis/sinks.hpp"
#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "numeric/engine.hpp"

namespace ahat::cli {
namespace {

struct BenchSinksArgs {
    std::string tasks = "histogram,sort,copy,induction", beta = "8";
    std::size_t n = 4096, repeats = 3;
    bool json_out = false;
};

int run_bench_sinks(const BenchSinksArgs& a) {
    using Clock = std::chrono::steady_clock;
    const std::vector<Rational> beta = parse_values(a.beta, "--beta");
    if (beta.size() != 1 || beta[0] <= 0) fail(SourceLoc{"--beta", 0, 0}, "--beta takes one positive number");
    json points = json::array();
    for (const std::string& task : split_list(a.tasks)) {
        const capture::Subject s = capture::task_subject(task, a.n);
        const capture::Model m = s.compile();
        const Encoder enc = numeric::as_softmax(m.encoder, beta[0]);
        std::mt19937_64 rng(1);
        const Matrix<double> x = convert<double>(m.input(s.sample(a.n, rng).tokens));
        double fwd = 0, bwd = 0;
        std::size_t heads = 0;
        for (const Layer& l : enc.layers) heads += l.heads.size();
        for (std::size_t r = 0; r < a.repeats; ++r) {
            const auto t0 = Clock::now();
            const analysis::Forward<double> fw = analysis::sink_forward(enc, x);
            const auto t1 = Clock::now();
            const analysis::Backward<double> bw = analysis::sink_backward(enc, fw, analysis::SinkLoss::Readout, nullptr);
            const auto t2 = Clock::now();
            const double f = std::chrono::duration<double>(t1 - t0).count(), b = std::chrono::duration<double>(t2 - t1).count();
            fwd = r ? std::min(fwd, f) : f, bwd = r ? std::min(bwd, b) : b;
            (void)bw;
        }
        points.push_back(json{{"subject", task}, {"n", x.rows}, {"layers", enc.layers.size()}, {"heads", heads}, {"forward_seconds", fwd},
                              {"backward_seconds", bwd}, {"ratio", bwd / std::max(fwd, 1e-12)}});
        if (!a.json_out)
            fmt::print("{:>12} n = {}: forward {:.3f} s, backward {:.3f} s, ratio {:.2f}\n", task, x.rows, fwd, bwd, bwd / std::max(fwd, 1e-12));
    }
    if (a.json_out)
        print_json(json{{"bench", "sinks"}, {"beta", a.beta}, {"repeats", a.repeats}, {"threads", 1}, {"precision", "double"}, {"points", points}});
    return 0;
}

}  // namespace

void register_bench_sinks(CLI::App& app, Action& action) {
    CLI::App* bench = &command_group(app, "bench", "Speed measurements that print JSON");
    auto a = std::make_shared<BenchSinksArgs>();
    CLI::App* sub = bench->add_subcommand("sinks", "The sinks backward pass against its forward pass at one size");
    sub->add_option("--tasks", a->tasks, "tasks, comma-separated")->capture_default_str();
    add_number(sub, "--n", a->n, "size", 1, 65536);
    sub->add_option("--beta", a->beta, "average-hard heads run as softmax at this beta")->capture_default_str();
    add_number(sub, "--repeats", a->repeats, "runs (the best counts)", 1, 100);
    sub->add_flag("--json", a->json_out, "print one JSON document");
    sub->callback([a, &action] { action = [a] { return run_bench_sinks(*a); }; });
}

}  // namespace ahat::cli
