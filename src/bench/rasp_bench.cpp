#include "bench/rasp_bench.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include "capture/subjects.hpp"
#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "rasp/reader.hpp"
#include "tasks/tasks.hpp"

namespace ahat {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<RaspBenchPoint> bench_rasp(const RaspBenchParams& p) {
    std::vector<RaspBenchPoint> out;
    for (const std::string& name : p.tasks) {
        const tasks::Task* t = tasks::find_task(name);
        if (!t) fail(SourceLoc{name, 0, 0}, "unknown task '{}'", name);
        if (!t->not_compilable.empty()) fail(SourceLoc{name, 0, 0}, "task '{}' does not compile: {}", name, t->not_compilable);
        const rasp::Program prog = tasks::load_program(*t);
        for (std::size_t n : p.sizes) {
            RaspBenchPoint pt;
            pt.task = name;
            pt.n = n;
            auto t0 = std::chrono::steady_clock::now();
            const rasp::Compiled c = rasp::compile(prog, rasp::CompileOptions{t->output, tasks::vocabulary(*t, n)});
            pt.compile_seconds = seconds_since(t0);
            pt.layers = c.encoder.layers.size();
            for (const Layer& l : c.encoder.layers) pt.heads += l.heads.size();
            pt.width = c.encoder.d;
            Program<Rational> prog_exact(c.encoder);
            std::mt19937_64 rng(p.seed + n);
            pt.outputs_ok = true;
            pt.run_seconds = -1;
            for (std::size_t k = 0; k < p.repeat; ++k) {
                const tasks::Tokens tokens = t->generate(n, rng);
                std::vector<std::string> text;
                for (const auto& v : tokens) text.push_back(capture::token_text(v));
                Matrix<Rational> x = embed(c.encoder, text);
                t0 = std::chrono::steady_clock::now();
                const RunResult<Rational> r = prog_exact.run(std::move(x));  // the input becomes the state
                const double s = seconds_since(t0);
                if (pt.run_seconds < 0 || s < pt.run_seconds) pt.run_seconds = s;
                pt.outputs_ok = pt.outputs_ok && rasp::decode(c, r.outputs) == t->solve(tokens);
            }
            if (!out.empty() && out.back().task == name) {
                pt.run_ratio = pt.run_seconds / out.back().run_seconds;
                pt.size_ratio = double(n) / double(out.back().n);
                if (pt.size_ratio > 1 && pt.run_ratio > 0)
                    pt.growth_per_doubling = std::pow(pt.run_ratio, 1.0 / std::log2(pt.size_ratio));
            }
            out.push_back(pt);
        }
    }
    return out;
}

}  // namespace ahat
