#include "bench/compile_bench.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <type_traits>

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
// One size in a child process; nullopt where the child could not be made or did not report (the
// caller then runs the size here, which reproduces any error with its message). The process
// that forks has run no OpenMP region (libgomp's threads do not survive a fork).
std::optional<CompileRunPoint> in_child(const CompileRunParams& p, std::size_t size) {
    static_assert(std::is_trivially_copyable_v<CompileRunPoint>);
    int fd[2];
    if (pipe(fd) != 0) return std::nullopt;
    const pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]), close(fd[1]);
        return std::nullopt;
    }
    if (pid == 0) {
        close(fd[0]);
        CompileRunParams one = p;
        one.sizes = {size};
        one.isolate = false;
        int status = 1;
        try {
            const CompileRunPoint pt = bench_compile_run(one, {}).at(0);
            status = write(fd[1], &pt, sizeof pt) == static_cast<ssize_t>(sizeof pt) ? 0 : 1;
        } catch (...) {
        }
        _exit(status);
    }
    close(fd[1]);
    CompileRunPoint pt;
    std::size_t got = 0;
    while (got < sizeof pt) {
        const ssize_t r = read(fd[0], reinterpret_cast<char*>(&pt) + got, sizeof pt - got);
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof pt || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return pt;
}

}  // namespace

std::vector<CompileRunPoint> bench_compile_run(const CompileRunParams& p,
                                               const std::function<void(const CompileRunPoint&)>& progress) {
    std::vector<CompileRunPoint> points;
    for (std::size_t size : p.sizes) {
        if (p.isolate)
            if (std::optional<CompileRunPoint> pt = in_child(p, size)) {
                points.push_back(*pt);
                if (progress) progress(*pt);
                continue;
            }
        std::mt19937_64 rng(p.seed + size);
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
        // One repetition: compile, run, verify (and the dense scan). The best total is kept;
        // every repetition must check out.
        auto once = [&] {
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
        return pt;
        };
        CompileRunPoint pt = once();
        for (std::size_t k = 1; k < p.repeat; ++k) {
            CompileRunPoint again = once();
            again.outputs_ok = again.outputs_ok && pt.outputs_ok;
            again.dense_ok = again.dense_ok && pt.dense_ok;
            if (again.total_seconds() < pt.total_seconds()) pt = again;
            else pt.outputs_ok = again.outputs_ok, pt.dense_ok = again.dense_ok;
        }
        rusage ru{};
        if (getrusage(RUSAGE_SELF, &ru) == 0) pt.peak_rss_mb = double(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
        points.push_back(pt);
        if (progress) progress(pt);
    }
    return points;
}

}  // namespace ahat
