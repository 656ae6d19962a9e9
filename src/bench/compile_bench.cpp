#include "bench/compile_bench.hpp"

#include <sys/resource.h>

#include <chrono>
#include <random>

#include "circuit/eval.hpp"
#include "circuit/families.hpp"
#include "encoder/interpreter.hpp"

namespace ahat {
namespace {
double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

std::vector<CompileRunPoint> bench_compile_run(const CompileRunParams& p,
                                               const std::function<void(const CompileRunPoint&)>& progress) {
    std::vector<CompileRunPoint> points;
    std::mt19937_64 rng(p.seed);
    for (std::size_t size : p.sizes) {
        RandomCircuitParams rp;
        rp.depth = p.depth;
        rp.size = size;
        rp.inputs = p.inputs;
        rp.max_fanin = p.max_fanin;
        rp.seed = p.seed + size;
        const Circuit circ = random_circuit(rp);
        std::vector<Rational> x;
        for (std::size_t k = 0; k < circ.inputs.size(); ++k)
            x.emplace_back(Integer(static_cast<long long>(rng() % 21) - 10), Integer(static_cast<long long>(rng() % 4) + 1));
        CompileRunPoint pt;
        pt.gates = size;
        auto t0 = std::chrono::steady_clock::now();
        const Encoder enc = circuit_encoder(p.construction, p.depth);
        Encoding e = encode(p.construction, circ);
        Matrix<Rational> tokens = std::move(e.tokens);  // decode needs the rest of e, not these
        set_inputs(e, x, tokens);
        pt.compile_seconds = since(t0);
        pt.tokens = tokens.rows;
        const bool with_dense = size <= p.dense_max;
        const Matrix<Rational> dense_tokens = with_dense ? tokens : Matrix<Rational>();
        pt.layers = enc.layers.size();
        const Program<Rational> prog(enc);
        RunOptions opts;
        opts.max_bits = 0;
        opts.threads = p.threads;
        t0 = std::chrono::steady_clock::now();
        const RunResult<Rational> r = prog.run(std::move(tokens), opts);  // one state at a time
        pt.run_seconds = since(t0);
        t0 = std::chrono::steady_clock::now();
        const std::vector<Rational> expected = evaluate<Rational>(circ, x, EvalOptions{0});
        pt.outputs_ok = decode(e, r.state) == expected;
        pt.verify_seconds = since(t0);
        if (with_dense) {
            opts.dense = true;
            t0 = std::chrono::steady_clock::now();
            const RunResult<Rational> dense = prog.run(dense_tokens, opts);
            pt.dense_seconds = since(t0);
            pt.dense_ok = dense.state == r.state;
        }
        rusage ru{};
        if (getrusage(RUSAGE_SELF, &ru) == 0) pt.peak_rss_mb = double(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
        points.push_back(pt);
        if (progress) progress(pt);
    }
    return points;
}

}  // namespace ahat
