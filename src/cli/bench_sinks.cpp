// ahat bench sinks [--tasks histogram,sort,copy,induction] [--n 4096] [--beta 8] [--repeats 3]
//                  [--device cpu|cuda] [--json]
// The sinks backward pass against its forward pass (src/analysis/sinks.hpp) at one size:
// double, one thread, the tasks' average-hard heads run as softmax at beta (score gradients
// included); best of --repeats each. With --device cuda, also the backward pass with the
// softmax heads' gradients on the GPU, against the CPU pass of the same run (its speed-up, and
// the largest difference of dL/dx between the two, relative to max(1, |g|)). A figure, not a
// check.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "analysis/sinks.hpp"
#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "numeric/device.hpp"
#include "numeric/engine.hpp"

namespace ahat::cli {
namespace {

struct BenchSinksArgs {
    std::string tasks = "histogram,sort,copy,induction", beta = "8", device = "cpu";
    std::size_t n = 4096, repeats = 3;
    bool json_out = false;
};

int run_bench_sinks(const BenchSinksArgs& a) {
    using Clock = std::chrono::steady_clock;
    const std::vector<Rational> beta = parse_values(a.beta, "--beta");
    if (beta.size() != 1 || beta[0] <= 0) fail(SourceLoc{"--beta", 0, 0}, "--beta takes one positive number");
    const numeric::Device device = numeric::parse_device(a.device);
    if (device == numeric::Device::Cuda) numeric::require_cuda();
    json points = json::array();
    for (const std::string& task : split_list(a.tasks)) {
        const capture::Subject s = capture::task_subject(task, a.n);
        const capture::Model m = s.compile();
        const Encoder enc = numeric::as_softmax(m.encoder, beta[0]);
        std::mt19937_64 rng(1);
        const Matrix<double> x = convert<double>(m.input(s.sample(a.n, rng).tokens));
        double fwd = 0, bwd = 0, gpu = 0, diff = 0;
        std::size_t heads = 0;
        for (const Layer& l : enc.layers) heads += l.heads.size();
        auto seconds = [](Clock::time_point t0, Clock::time_point t1) { return std::chrono::duration<double>(t1 - t0).count(); };
        for (std::size_t r = 0; r < a.repeats; ++r) {
            const auto t0 = Clock::now();
            const analysis::Forward<double> fw = analysis::sink_forward(enc, x);
            const auto t1 = Clock::now();
            const analysis::Backward<double> bw = analysis::sink_backward(enc, fw, analysis::SinkLoss::Readout, nullptr);
            const auto t2 = Clock::now();
            fwd = r ? std::min(fwd, seconds(t0, t1)) : seconds(t0, t1), bwd = r ? std::min(bwd, seconds(t1, t2)) : seconds(t1, t2);
            if (device != numeric::Device::Cuda) continue;
            const auto t3 = Clock::now();
            const analysis::Backward<double> bg = analysis::sink_backward(enc, fw, analysis::SinkLoss::Readout, nullptr, 1e-9, device);
            const auto t4 = Clock::now();
            gpu = r ? std::min(gpu, seconds(t3, t4)) : seconds(t3, t4);
            for (std::size_t k = 0; k < bw.grad[0].data.size(); ++k)
                diff = std::max(diff, std::abs(bw.grad[0].data[k] - bg.grad[0].data[k]) / std::max(1.0, std::abs(bw.grad[0].data[k])));
        }
        json pt{{"subject", task}, {"n", x.rows}, {"layers", enc.layers.size()}, {"heads", heads}, {"forward_seconds", fwd},
                {"backward_seconds", bwd}, {"ratio", bwd / std::max(fwd, 1e-12)}};
        if (device == numeric::Device::Cuda)
            pt.update(json{{"backward_gpu_seconds", gpu}, {"gpu_speedup", bwd / std::max(gpu, 1e-12)}, {"gpu_max_rel_diff", diff}});
        points.push_back(pt);
        if (!a.json_out) {
            fmt::print("{:>12} n = {}: forward {:.3f} s, backward {:.3f} s, ratio {:.2f}", task, x.rows, fwd, bwd, bwd / std::max(fwd, 1e-12));
            if (device == numeric::Device::Cuda)
                fmt::print("; backward with the GPU {:.3f} s ({:.1f}x), largest difference {:.2g}", gpu, bwd / std::max(gpu, 1e-12), diff);
            fmt::print("\n");
        }
    }
    if (a.json_out)
        print_json(json{{"bench", "sinks"}, {"beta", a.beta}, {"repeats", a.repeats}, {"threads", 1}, {"precision", "double"}, {"device", a.device}, {"points", points}});
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
    sub->add_option("--device", a->device, "cpu, or cuda (also the backward pass with softmax gradients on the GPU, against the CPU's)")
        ->capture_default_str();
    sub->add_flag("--json", a->json_out, "print one JSON document");
    sub->callback([a, &action] { action = [a] { return run_bench_sinks(*a); }; });
}

}  // namespace ahat::cli
