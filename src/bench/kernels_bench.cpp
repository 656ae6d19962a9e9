#include "bench/kernels_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include <omp.h>

#include "capture/subjects.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"

namespace ahat {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A field of /proc/self/status in bytes (VmRSS, VmHWM); 0 where there is none.
std::uint64_t status_bytes(const char* key) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    std::uint64_t kb = 0;
    const std::size_t len = std::strlen(key);
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, key, len) == 0 && line[len] == ':') kb = std::strtoull(line + len + 1, nullptr, 10);
    std::fclose(f);
    return kb * 1024;
}

// Resets the peak resident set to the current one (Linux: clear_refs 5); returns the current
// resident set, from which the next peak is measured.
std::uint64_t reset_peak() {
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
        std::fputs("5", f);
        std::fclose(f);
    }
    return status_bytes("VmRSS");
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Heads reading q, k, v from their own input columns: d = heads * 3 dk.
Encoder identity_heads(const KernelShape& s) {
    Encoder enc;
    const std::size_t dk = s.dk, d = s.heads * 3 * dk;
    enc.d = static_cast<std::uint32_t>(d);
    Layer layer;
    auto select = [&](std::size_t first) {
        std::vector<Sparse<Rational>::Triple> t;
        for (std::size_t r = 0; r < dk; ++r) t.push_back({static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(first + r), Rational(1)});
        return Affine<Rational>(Sparse<Rational>::from_triples(dk, d, t), std::vector<Rational>(dk, Rational(0)));
    };
    for (std::size_t h = 0; h < s.heads; ++h) {
        Head head;
        head.rule = s.softmax ? Rule::Softmax : Rule::AverageHard;
        head.mask = s.causal ? Mask::PastOrSelf : Mask::None;
        head.query = select(h * 3 * dk), head.key = select(h * 3 * dk + dk), head.value = select(h * 3 * dk + 2 * dk);
        head.output = Sparse<Rational>(d, dk);  // the bench times attention, not the residual
        layer.heads.push_back(std::move(head));
    }
    enc.layers.push_back(std::move(layer));
    enc.readout.coordinates = {0};
    return enc;
}

template <class S>
void ceilings(KernelPoint& p) {
    constexpr std::size_t M = 256, N = 256, K = 256;
    std::vector<S> A(M * K), B(K * N), C(M * N);
    std::mt19937_64 rng(1);
    for (auto& x : A) x = S(static_cast<double>(rng() % 1000) / 1000.0);
    for (auto& x : B) x = S(static_cast<double>(rng() % 1000) / 1000.0);
    // Both cores: one GEMM per thread, as the kernels use every core.
    std::vector<double> times;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = Clock::now();
#pragma omp parallel
        {
            std::vector<S> Cl(M * N);
            for (int k = 0; k < 4; ++k) numeric::gemm(A.data(), B.data(), Cl.data(), M, N, K);
        }
        times.push_back(seconds_since(t0));
    }
    const int threads = omp_get_max_threads();
    p.gemm_flops_per_second = 2.0 * M * N * K * 4 * threads / median(times);
    std::vector<S> src(std::size_t(1) << 24), dst(src.size());
    std::fill(src.begin(), src.end(), S(1));
    times.clear();
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = Clock::now();
        std::memcpy(dst.data(), src.data(), src.size() * sizeof(S));
        times.push_back(seconds_since(t0));
    }
    p.copy_bytes_per_second = double(src.size() * sizeof(S)) / median(times);
}

template <class S>
void run_kernel(KernelPoint& p, numeric::Order order, std::size_t repeats) {
    const KernelShape& s = p.shape;
    ceilings<S>(p);
    const Encoder enc = identity_heads(s);
    std::vector<Matrix<S>> inputs;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    for (std::size_t b = 0; b < s.batch; ++b) {
        Matrix<S> x(s.n, enc.d);
        for (auto& v : x.data) v = S(normal(rng));
        inputs.push_back(std::move(x));
    }
    const numeric::Plan<S> plan(enc);
    numeric::EngineOptions eo;
    eo.order = order;
    const std::uint64_t rss0 = reset_peak();  // the inputs are not counted; the runs are
    plan.run(inputs, eo);  // warm-up
    std::vector<double> times;
    for (std::size_t r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        plan.run(inputs, eo);
        times.push_back(seconds_since(t0));
    }
    const std::uint64_t hwm = status_bytes("VmHWM");
    p.peak_bytes = hwm > rss0 ? hwm - rss0 : 0;
    const double secs = median(times);
    p.ms = 1e3 * secs;
    const double n = double(s.n);
    const double pairs = double(s.batch * s.heads) * (s.causal ? n * (n + 1) / 2 : n * n);
    p.pairs_per_second = pairs / secs;
    p.flops_per_second = pairs * 4.0 * double(s.dk) / secs;
    p.fraction_of_gemm = p.flops_per_second / p.gemm_flops_per_second;
}

}  // namespace

KernelPoint bench_kernel(const KernelShape& shape, numeric::Order order, std::size_t repeats) {
    KernelPoint p;
    p.shape = shape;
    p.isa = std::string(numeric::kernel_isa());
    p.order = order == numeric::Order::Fast ? "fast" : "reference";
    if (shape.dbl) run_kernel<double>(p, order, std::max<std::size_t>(repeats, 1));
    else run_kernel<float>(p, order, std::max<std::size_t>(repeats, 1));
    return p;
}

ProgramPoint bench_program(const std::string& task, std::size_t n, std::size_t batch, std::size_t interpreter_up_to) {
    const capture::Subject subject = capture::task_subject(task, n);
    if (!subject.not_compilable.empty()) fail({}, "task '{}' does not compile: {}", task, subject.not_compilable);
    const capture::Model model = subject.compile();
    ProgramPoint p;
    p.task = task, p.n = n, p.batch = batch, p.layers = model.encoder.layers.size(), p.width = model.encoder.d;
    for (const Layer& l : model.encoder.layers) p.heads += l.heads.size();
    std::mt19937_64 rng(11);
    std::vector<Matrix<float>> inputs;
    for (std::size_t b = 0; b < batch; ++b) inputs.push_back(convert<float>(model.input(subject.sample(n, rng).tokens)));
    const numeric::Plan<float> plan(model.encoder);
    numeric::EngineOptions fast, ref;
    fast.order = numeric::Order::Fast;
    auto t0 = Clock::now();
    plan.run(inputs, fast);
    p.engine_seconds = seconds_since(t0);
    t0 = Clock::now();
    const auto r = plan.run(inputs, ref);
    p.reference_seconds = seconds_since(t0);
    const double tokens = double(n * batch);
    p.engine_tokens_per_second = tokens / p.engine_seconds;
    p.reference_tokens_per_second = tokens / p.reference_seconds;
    if (n <= interpreter_up_to) {
        const Program<float> prog(model.encoder);
        t0 = Clock::now();
        for (std::size_t b = 0; b < batch; ++b) {
            const RunResult<float> want = prog.run(inputs[b]);
            p.reference_equals_interpreter = p.reference_equals_interpreter &&
                std::memcmp(want.state.data.data(), r.state.data() + b * r.n * model.encoder.d, want.state.data.size() * sizeof(float)) == 0;
        }
        p.interpreter_seconds = seconds_since(t0);
        p.interpreter_tokens_per_second = tokens / *p.interpreter_seconds;
        p.speedup = *p.interpreter_seconds / p.engine_seconds;
    }
    return p;
}

}  // namespace ahat
