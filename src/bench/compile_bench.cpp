#include "bench/compile_bench.hpp"

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
        const Encoding e = encode(p.construction, circ);
        const Matrix<Rational> tokens = with_inputs(e, x);
        pt.compile_seconds = since(t0);
        pt.tokens = tokens.rows;
        pt.layers = enc.layers.size();
        const Program<Rational> prog(enc);
        RunOptions opts;
        opts.max_bits = 0;
        t0 = std::chrono::steady_clock::now();
        const RunResult<Rational> r = prog.run(tokens, opts);
        pt.run_seconds = since(t0);
        t0 = std::chrono::steady_clock::now();
        const std::vector<Rational> expected = evaluate<Rational>(circ, x, EvalOptions{0});
        pt.outputs_ok = decode(e, r.state) == expected;
        pt.verify_seconds = since(t0);
        if (size <= p.dense_max) {
            opts.dense = true;
            t0 = std::chrono::steady_clock::now();
            const RunResult<Rational> dense = prog.run(tokens, opts);
            pt.dense_seconds = since(t0);
            pt.dense_ok = dense.state == r.state;
        }
        points.push_back(pt);
        if (progress) progress(pt);
    }
    return points;
}

}  // namespace ahat
