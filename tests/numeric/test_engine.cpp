// The numeric engine against the scalar interpreter: bit-for-bit in reference order on random
// encoders of every rule, mask and window (with feed-forward circuits and biases), on every
// compiled task and on both circuit constructions; the same bits with 1 and 2 threads and with
// either instruction set; the fast order close to the reference; pruned key blocks, sorted and
// deduplicated queries against the plain dense scan.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "capture/subjects.hpp"
#include "circuit/families.hpp"
#include "compile/circuit_to_encoder.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"
#include "tasks/tasks.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::numeric;

namespace {

Rational small_value(std::mt19937_64& rng, int range) {
    const long long p = static_cast<long long>(rng() % (2 * range + 1)) - range;
    const long long q = static_cast<long long>(rng() % 4) + 1;  // 1/3 and 1/4 round in binary
    return Rational(Integer(p), Integer(q * (q == 2 ? 3 : 1)));
}

Affine<Rational> random_affine(std::mt19937_64& rng, std::size_t rows, std::size_t d, int range, bool sparse) {
    Matrix<Rational> m(rows, d);
    std::vector<Rational> b(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < d; ++c)
            if (!sparse || rng() % 2 == 0) m.at(r, c) = small_value(rng, range);
        if (rng() % 2) b[r] = small_value(rng, 1);
    }
    return Affine<Rational>(Sparse<Rational>::from_dense(m), b);
}

// A random feed-forward circuit: reads 2..3 coordinates, mixes add, mul, sign and constants.
FeedForward random_ffn(std::mt19937_64& rng, std::size_t d) {
    FeedForward f;
    Circuit& c = f.circuit;
    std::vector<GateId> pool;
    const std::size_t reads = 2 + rng() % 2;
    for (std::size_t k = 0; k < reads; ++k) {
        pool.push_back(c.input());
        f.reads.push_back(static_cast<std::uint32_t>(rng() % d));
    }
    pool.push_back(c.constant(small_value(rng, 2)));
    for (int g = 0; g < 6; ++g) {
        const GateId a = pool[rng() % pool.size()], b = pool[rng() % pool.size()];
        switch (rng() % 4) {
            case 0: pool.push_back(c.add({a, b, pool[rng() % pool.size()]})); break;
            case 1: pool.push_back(c.mul(a, b)); break;
            case 2: pool.push_back(c.sign(a)); break;
            default: pool.push_back(c.sub(a, b)); break;
        }
    }
    const std::size_t outs = 1 + rng() % 2;
    const auto first = static_cast<std::uint32_t>(rng() % d);
    for (std::size_t k = 0; k < outs; ++k) {
        c.outputs.push_back(pool[pool.size() - 1 - k]);
        f.writes.push_back(static_cast<std::uint32_t>((first + k) % d));  // distinct coordinates
    }
    return f;
}

Encoder random_encoder(std::mt19937_64& rng, bool softmax) {
    Encoder enc;
    const std::size_t d = 3 + rng() % 4;
    enc.d = static_cast<std::uint32_t>(d);
    const std::size_t layers = 1 + rng() % 3;
    for (std::size_t l = 0; l < layers; ++l) {
        Layer layer;
        const std::size_t heads = 1 + rng() % 3;
        for (std::size_t k = 0; k < heads; ++k) {
            Head h;
            h.rule = static_cast<Rule>(rng() % (softmax ? 5 : 4));
            h.mask = static_cast<Mask>(rng() % 5);
            if (rng() % 3 == 0) h.window = rng() % 5;
            if (h.rule == Rule::Softmax) h.beta = Rational(Integer(1 + rng() % 8), Integer(2));
            const std::size_t dk = rng() % 5 == 0 ? 0 : 1 + rng() % 4, dv = 1 + rng() % 3;
            // Small integer keys make exact ties common; sometimes every key is equal.
            h.query = random_affine(rng, dk, d, 2, false);
            h.key = random_affine(rng, dk, d, 1, true);
            h.value = random_affine(rng, dv, d, 2, false);
            Matrix<Rational> O(d, dv);
            for (std::size_t r = 0; r < d; ++r)
                for (std::size_t c = 0; c < dv; ++c)
                    if (rng() % 3 == 0) O.at(r, c) = small_value(rng, 1);
            h.output = Sparse<Rational>::from_dense(O);
            layer.heads.push_back(std::move(h));
        }
        if (rng() % 2) layer.ffn = random_ffn(rng, d);
        enc.layers.push_back(std::move(layer));
    }
    for (std::uint32_t c = 0; c < d; ++c) enc.readout.coordinates.push_back(c);
    return enc;
}

template <class S>
std::vector<Matrix<S>> random_inputs(std::mt19937_64& rng, std::size_t B, std::size_t n, std::size_t d) {
    std::vector<Matrix<S>> in;
    for (std::size_t b = 0; b < B; ++b) {
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = rng() % 3 == 0 ? Rational(Integer(static_cast<long long>(rng() % 3))) : small_value(rng, 3);
        in.push_back(convert<S>(x));
    }
    return in;
}

template <class S>
bool same_bits(const S* a, const S* b, std::size_t count) {
    return count == 0 || std::memcmp(a, b, count * sizeof(S)) == 0;
}

// Plan<S> in reference order equals Program<S> on every instance: final state, readout and
// every |M_i|; returns the engine's result.
template <class S>
BatchResult<S> check_against_interpreter(const Encoder& enc, const std::vector<Matrix<S>>& inputs, const EngineOptions& base = {}) {
    EngineOptions opts = base;
    opts.record_selected = true;
    const BatchResult<S> got = Plan<S>(enc).run(inputs, opts);
    const Program<S> prog(enc);
    const std::size_t d = enc.d, n = got.n;
    RunOptions ro;
    ro.tie_tolerance = opts.tie_tolerance;
    ro.stop_after = opts.stop_after;
    for (std::size_t b = 0; b < inputs.size(); ++b) {
        const RunResult<S> want = prog.run(inputs[b], ro);
        INFO("instance " << b << " of " << inputs.size() << ", n = " << n << ", " << scalar_name<S>());
        REQUIRE(same_bits(got.state.data() + b * n * d, want.state.data.data(), n * d));
        if (enc.readout.kind == Readout::Kind::Sequence) {
            REQUIRE(same_bits(got.outputs[b].data.data(), want.outputs.data.data(), want.outputs.data.size()));
        } else {
            REQUIRE(got.accepted[b] == want.accepted);
            REQUIRE(same_bits(&got.score[b], &want.score, 1));
        }
        for (std::size_t l = 0; l < got.layers_run; ++l)
            for (std::size_t h = 0; h < got.selected[l].size(); ++h) {
                INFO("layer " << l << " head " << h);
                const auto& s = got.selected[l][h];
                REQUIRE(std::vector<std::uint32_t>(s.begin() + static_cast<std::ptrdiff_t>(b * n),
                                                   s.begin() + static_cast<std::ptrdiff_t>((b + 1) * n)) ==
                        want.trace.heads[l][h].selected);
            }
    }
    return got;
}

}  // namespace

TEMPLATE_TEST_CASE("numeric engine: reference order is bit-for-bit the interpreter on random encoders", "[numeric]", double, float, bfloat16) {
    std::mt19937_64 rng(91);
    const int encoders = ahat_test::iterations(std::is_same_v<TestType, bfloat16> ? 60 : 150);
    for (int e = 0; e < encoders; ++e) {
        const Encoder enc = random_encoder(rng, true);
        const std::size_t B = 1 + rng() % 3;
        const std::size_t n = rng() % 6 == 0 ? rng() % 3 : 1 + rng() % 70;
        INFO("encoder " << e);
        check_against_interpreter<TestType>(enc, random_inputs<TestType>(rng, B, n, enc.d));
    }
}

TEST_CASE("numeric engine: tie tolerances and early stops follow the interpreter", "[numeric]") {
    std::mt19937_64 rng(17);
    for (int e = 0; e < ahat_test::iterations(40); ++e) {
        const Encoder enc = random_encoder(rng, false);
        EngineOptions opts;
        opts.tie_tolerance = std::vector<double>{0.0, 1e-3, 0.25}[rng() % 3];
        opts.stop_after = rng() % (enc.layers.size() + 1);
        check_against_interpreter<float>(enc, random_inputs<float>(rng, 2, 1 + rng() % 50, enc.d), opts);
        check_against_interpreter<double>(enc, random_inputs<double>(rng, 2, 1 + rng() % 50, enc.d), opts);
    }
}

TEST_CASE("numeric engine: the result does not depend on threads or instruction set", "[numeric]") {
    std::mt19937_64 rng(23);
    for (int e = 0; e < ahat_test::iterations(30); ++e) {
        const Encoder enc = random_encoder(rng, true);
        const auto inputs = random_inputs<float>(rng, 3, 200 + rng() % 400, enc.d);
        for (Order order : {Order::Reference, Order::Fast}) {
            EngineOptions one, two;
            one.order = two.order = order;
            one.threads = 1, two.threads = 2;
            one.record_selected = two.record_selected = true;
            const Plan<float> plan(enc);
            const auto a = plan.run(inputs, one), b = plan.run(inputs, two);
            REQUIRE(a.state.size() == b.state.size());
            REQUIRE(same_bits(a.state.data(), b.state.data(), a.state.size()));
            REQUIRE(a.selected == b.selected);
            if (order == Order::Reference) {
                const bool was = force_baseline_kernels(true);
                const auto c = plan.run(inputs, two);
                force_baseline_kernels(was);
                REQUIRE(same_bits(a.state.data(), c.state.data(), a.state.size()));
            }
        }
    }
}

TEST_CASE("numeric engine: the fast order stays close to the reference", "[numeric]") {
    std::mt19937_64 rng(29);
    double worst = 0;
    for (int e = 0; e < ahat_test::iterations(60); ++e) {
        Encoder enc = random_encoder(rng, true);
        enc.layers.resize(1);  // one layer: no sign gate downstream to amplify a rounding
        enc.layers[0].ffn.reset();
        const auto inputs = random_inputs<double>(rng, 2, 100 + rng() % 300, enc.d);
        EngineOptions ref, fast;
        fast.order = Order::Fast;
        // A wide tolerance: ties between distinct scores are decided alike in both orders.
        ref.tie_tolerance = fast.tie_tolerance = 1e-6;
        const Plan<double> plan(enc);
        const auto a = plan.run(inputs, ref), b = plan.run(inputs, fast);
        for (std::size_t k = 0; k < a.state.size(); ++k) {
            const double err = std::abs(a.state[k] - b.state[k]) / std::max(1.0, std::abs(a.state[k]));
            worst = std::max(worst, err);
        }
    }
    CHECK(worst < 1e-9);
}

namespace {

// Every compilable task, compiled for lengths up to max_n, on 3 sampled inputs at its least
// length and at each of `sizes`: f(encoder, float inputs, double inputs).
template <class F>
void for_each_compiled_task(std::uint64_t seed, std::size_t max_n, std::initializer_list<std::size_t> sizes, F f) {
    std::mt19937_64 rng(seed);
    for (const std::string& name : capture::task_names()) {
        const capture::Subject subject = capture::task_subject(name, max_n);
        if (!subject.not_compilable.empty()) continue;
        const capture::Model model = subject.compile();
        std::vector<std::size_t> ns{tasks::find_task(name)->min_size};
        ns.insert(ns.end(), sizes.begin(), sizes.end());
        for (std::size_t n : ns) {
            std::vector<Matrix<Rational>> exact;
            for (int s = 0; s < 3; ++s) exact.push_back(model.input(subject.sample(n, rng).tokens));
            std::vector<Matrix<float>> fl;
            std::vector<Matrix<double>> dd;
            for (const auto& x : exact) fl.push_back(convert<float>(x)), dd.push_back(convert<double>(x));
            INFO(name << " n = " << n);
            f(model.encoder, fl, dd);
        }
    }
}

}  // namespace

TEST_CASE("numeric engine: every compiled task, bit-for-bit, in float and double", "[numeric][tasks]") {
    for_each_compiled_task(5, 64, {9, 40}, [](const Encoder& enc, const auto& fl, const auto& dd) {
        check_against_interpreter<float>(enc, fl);
        check_against_interpreter<double>(enc, dd);
    });
}

TEST_CASE("numeric engine: both circuit constructions, bit-for-bit", "[numeric][compile]") {
    std::mt19937_64 rng(3);
    for (Construction con : {Construction::Wire, Construction::Gate}) {
        for (int t = 0; t < 6; ++t) {
            const Circuit c = random_circuit(RandomCircuitParams{4, 3, static_cast<std::size_t>(20 + t * 5), 3, rng()});
            const Encoder enc = circuit_encoder(con, 3);
            const Encoding e = encode(con, c);
            std::vector<Rational> x;
            for (std::size_t k = 0; k < c.inputs.size(); ++k) x.push_back(small_value(rng, 3));
            const Matrix<Rational> tokens = with_inputs(e, x);
            check_against_interpreter<double>(enc, {convert<double>(tokens)});
            check_against_interpreter<float>(enc, {convert<float>(tokens)});
        }
    }
}

// Keys that vary along the positions (lines and parabolas in the position, quantized so that
// ties occur, with a little noise), queries from a small pool or each their own: the pruned,
// query-sorted and deduplicated path of attend_all against the plain dense scan of attend on
// the same job, bit for bit in the reference order, for every hard rule, mask and window.
// Returns whether the job's keys were cut into blocks (whether pruning was tried).
template <class S>
bool check_pruning(std::mt19937_64& rng) {
    const std::size_t n = 130 + rng() % 400, dk = 1 + rng() % 4, dv = 1 + rng() % 3;
    std::vector<S> Q(n * dk), K(n * dk), V(n * dv);
    std::uniform_real_distribution<double> unit(-1, 1);
    const std::size_t step = 1 + rng() % 4;  // keys constant over runs of `step` positions
    const int shape = static_cast<int>(rng() % 3);
    for (std::size_t j = 0; j < n; ++j) {
        const double t = static_cast<double>(j / step);
        for (std::size_t c = 0; c < dk; ++c) {
            double k = c == 0 ? (shape == 2 ? 1 / (t + 1) : t) : c == 1 ? (shape == 2 ? -1 / ((t + 1) * (t + 1)) : -t * t / 2) : -1;
            if (rng() % 8 == 0) k += 0.01 * unit(rng);
            K[j * dk + c] = static_cast<S>(k);
        }
        for (std::size_t c = 0; c < dv; ++c) V[j * dv + c] = static_cast<S>(std::round(8 * unit(rng)) / 4);
    }
    const std::size_t pool = rng() % 2 ? 1 + rng() % 8 : n;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t p = pool == n ? i : rng() % pool;
        const double target = static_cast<double>(p % (n / step + 1)) + (rng() % 3 == 0 ? 0.5 : 0.0);
        for (std::size_t c = 0; c < dk; ++c) {
            const double q = c == 0 ? (shape == 2 ? 2 / (target + 1) : target) : c == 1 ? 1 : (shape == 2 ? 1 / ((target + 1) * (target + 1)) : 1);
            Q[i * dk + c] = static_cast<S>(q);
        }
    }
    HeadJob<S> base;
    base.Q = Q.data(), base.K = K.data(), base.V = V.data();
    base.n = n, base.dk = dk, base.dv = dv, base.q_begin = 0, base.q_end = n;
    base.rule = std::vector<Rule>{Rule::AverageHard, Rule::UniqueHardLeft, Rule::UniqueHardRight}[rng() % 3];
    base.mask = static_cast<Mask>(rng() % 5);
    if (rng() % 4 == 0) base.window = rng() % 40;
    base.tol = std::vector<double>{0.0, 1e-4, 1e-2, default_tie_tolerance<S>()}[rng() % 4];
    INFO("n " << n << " dk " << dk << " dv " << dv << " step " << step << " shape " << shape << " pool " << pool << " rule "
              << int(base.rule) << " mask " << int(base.mask) << " window " << (base.window ? int(*base.window) : -1) << " tol " << base.tol);
    std::vector<S> plain(n * dv, S(-7)), fast1(n * dv, S(-7));
    std::vector<std::uint32_t> plain_sel(n, 99);
    HeadJob<S> dense = base;
    dense.A = plain.data(), dense.selected = plain_sel.data();
    attend(dense, Order::Reference);
    for (int threads : {1, 2}) {
        std::vector<S> got(n * dv, S(-7));
        std::vector<std::uint32_t> sel(n, 99);
        std::vector<HeadJob<S>> jobs{base};
        jobs[0].A = got.data(), jobs[0].selected = sel.data();
        attend_all(jobs, Order::Reference, threads);
        REQUIRE(same_bits(got.data(), plain.data(), got.size()));
        REQUIRE(sel == plain_sel);
        if constexpr (!std::is_same_v<S, bfloat16>) {
            std::vector<S> f(n * dv, S(-7));
            jobs[0].A = f.data();
            attend_all(jobs, Order::Fast, threads);
            if (threads == 1) fast1 = f;
            else REQUIRE(same_bits(f.data(), fast1.data(), f.size()));
        }
    }
    KeyBlocks kb;
    return key_blocks(base, kb);
}

TEMPLATE_TEST_CASE("numeric engine: pruned key blocks and repeated queries change no bit", "[numeric]", double, float, bfloat16) {
    std::mt19937_64 rng(37);
    const int instances = ahat_test::iterations(std::is_same_v<TestType, bfloat16> ? 60 : 200);
    int pruned = 0;
    for (int e = 0; e < instances; ++e) {
        INFO("instance " << e);
        pruned += check_pruning<TestType>(rng);
    }
    CHECK(pruned > instances / 3);  // the path under test was taken
}

TEST_CASE("numeric engine: key blocks are built for keys that vary along the positions only", "[numeric]") {
    const std::size_t n = 512, dk = 2;
    std::vector<float> line(n * dk), noise(n * dk), onehot(n * dk);
    std::mt19937_64 rng(41);
    std::normal_distribution<float> normal;
    for (std::size_t j = 0; j < n; ++j) {
        line[j * dk] = static_cast<float>(j), line[j * dk + 1] = -static_cast<float>(j * j) / 2;
        noise[j * dk] = normal(rng), noise[j * dk + 1] = normal(rng);
        onehot[j * dk] = float(rng() % 2), onehot[j * dk + 1] = 1 - onehot[j * dk];
    }
    HeadJob<float> job;
    job.n = n, job.dk = dk, job.dv = 1, job.tol = 1e-4;
    KeyBlocks kb;
    job.K = line.data();
    CHECK(key_blocks(job, kb));
    CHECK(kb.count == n / kKeyBlock);
    CHECK(kb.lo[3 * dk] == 96);
    CHECK(kb.hi[3 * dk] == 127);
    job.K = noise.data();
    CHECK_FALSE(key_blocks(job, kb));
    job.K = onehot.data();
    CHECK_FALSE(key_blocks(job, kb));
    job.K = line.data();
    job.rule = Rule::Softmax;
    CHECK_FALSE(key_blocks(job, kb));
    job.rule = Rule::AverageHard;
    job.tol = 0.3;
    CHECK_FALSE(key_blocks(job, kb));
}

TEST_CASE("numeric engine: compiled tasks at lengths where blocks are pruned, bit-for-bit", "[numeric][tasks]") {
    std::mt19937_64 rng(43);
    for (const std::string name : {"sort", "histogram", "copy", "reverse", "induction", "double-histogram"}) {
        REQUIRE(tasks::find_task(name));
        const capture::Subject subject = capture::task_subject(name, 512);
        REQUIRE(subject.not_compilable.empty());
        const capture::Model model = subject.compile();
        const std::size_t n = 200 + rng() % 200;
        std::vector<Matrix<float>> f;
        std::vector<Matrix<double>> dd;
        for (int s = 0; s < 2; ++s) {
            const Matrix<Rational> x = model.input(subject.sample(n, rng).tokens);
            f.push_back(convert<float>(x)), dd.push_back(convert<double>(x));
        }
        INFO(name << " n = " << n);
        check_against_interpreter<float>(model.encoder, f);
        check_against_interpreter<double>(model.encoder, dd);
    }
}

TEST_CASE("numeric engine: bad batches are refused", "[numeric]") {
    std::mt19937_64 rng(1);
    const Encoder enc = random_encoder(rng, false);
    const Plan<float> plan(enc);
    std::vector<Matrix<float>> wrong_width{Matrix<float>(3, enc.d + 1)};
    REQUIRE_THROWS_AS(plan.run(wrong_width), InputError);
    std::vector<Matrix<float>> mixed{Matrix<float>(3, enc.d), Matrix<float>(4, enc.d)};
    REQUIRE_THROWS_AS(plan.run(mixed), InputError);
}

TEST_CASE("numeric engine: as_softmax turns average-hard heads into softmax heads", "[numeric]") {
    std::mt19937_64 rng(2);
    const Encoder enc = random_encoder(rng, false);
    const Encoder soft = as_softmax(enc, Rational(7));
    for (std::size_t l = 0; l < enc.layers.size(); ++l)
        for (std::size_t h = 0; h < enc.layers[l].heads.size(); ++h) {
            const Head& a = enc.layers[l].heads[h];
            const Head& b = soft.layers[l].heads[h];
            CHECK(b.rule == (a.rule == Rule::AverageHard ? Rule::Softmax : a.rule));
            if (a.rule == Rule::AverageHard) CHECK(b.beta == 7);
        }
}

// ---- The GPU backend (numeric/device.hpp): skipped, with a message, where no CUDA device is
// usable (CI builds the kernels but has no GPU).

namespace {

bool have_gpu() {
    if (cuda_device()) return true;
    WARN("no CUDA device (" << (cuda_built() ? "built with CUDA" : "built without CUDA") << "): GPU checks skipped");
    return false;
}

// The engine with attention on the GPU against the CPU, reference order: every bit of the
// final state and every |M_i|.
template <class S>
void check_gpu_against_cpu(const Encoder& enc, const std::vector<Matrix<S>>& inputs, const EngineOptions& base = {}) {
    EngineOptions cpu = base, gpu = base;
    cpu.record_selected = gpu.record_selected = true;
    gpu.device = Device::Cuda;
    const Plan<S> plan(enc);
    const BatchResult<S> a = plan.run(inputs, cpu), b = plan.run(inputs, gpu);
    INFO("n = " << a.n << ", batch " << inputs.size() << ", " << scalar_name<S>());
    REQUIRE(a.state.size() == b.state.size());
    REQUIRE(same_bits(a.state.data(), b.state.data(), a.state.size()));
    REQUIRE(a.selected == b.selected);
}

}  // namespace

TEMPLATE_TEST_CASE("numeric engine on the GPU: reference order equals the CPU bit for bit on random encoders", "[numeric][gpu]", double, float,
                   bfloat16) {
    if (!have_gpu()) return;
    std::mt19937_64 rng(101);
    const int encoders = ahat_test::iterations(std::is_same_v<TestType, bfloat16> ? 40 : 120);
    for (int e = 0; e < encoders; ++e) {
        const Encoder enc = random_encoder(rng, false);  // hard and uniform heads
        const std::size_t B = 1 + rng() % 3;
        // Lengths across several query blocks (128) and key tiles (32) of the kernels.
        const std::size_t n = rng() % 6 == 0 ? rng() % 3 : 1 + rng() % (std::is_same_v<TestType, bfloat16> ? 200 : 700);
        EngineOptions opts;
        if (rng() % 3 == 0) opts.tie_tolerance = std::vector<double>{0.0, 1e-3, 0.25}[rng() % 3];
        INFO("encoder " << e);
        check_gpu_against_cpu<TestType>(enc, random_inputs<TestType>(rng, B, n, enc.d), opts);
    }
}

TEST_CASE("numeric engine on the GPU: every compiled task, bit for bit, in float and double", "[numeric][tasks][gpu]") {
    if (!have_gpu()) return;
    for_each_compiled_task(7, 512, {40, 300}, [](const Encoder& enc, const auto& fl, const auto& dd) {
        check_gpu_against_cpu<float>(enc, fl);
        check_gpu_against_cpu<double>(enc, dd);
    });
}

TEST_CASE("numeric engine on the GPU: the fast order's error against the CPU reference is reported and small", "[numeric][gpu]") {
    if (!have_gpu()) return;
    std::mt19937_64 rng(31);
    double worst = 0;
    for (int e = 0; e < ahat_test::iterations(40); ++e) {
        Encoder enc = random_encoder(rng, true);  // softmax heads too (the GPU's exp)
        enc.layers.resize(1);
        enc.layers[0].ffn.reset();
        const auto inputs = random_inputs<double>(rng, 2, 100 + rng() % 300, enc.d);
        EngineOptions ref, fast;
        fast.order = Order::Fast, fast.device = Device::Cuda;
        ref.tie_tolerance = fast.tie_tolerance = 1e-6;
        const Plan<double> plan(enc);
        const auto a = plan.run(inputs, ref), b = plan.run(inputs, fast);
        for (std::size_t k = 0; k < a.state.size(); ++k)
            worst = std::max(worst, std::abs(a.state[k] - b.state[k]) / std::max(1.0, std::abs(a.state[k])));
    }
    WARN("GPU fast order, double: largest relative error against the CPU reference " << worst);
    CHECK(worst < 1e-9);
}

TEST_CASE("numeric engine on the GPU: a batch split into runs over the GPUs gives the same bits as one run", "[numeric][gpu]") {
    if (!have_gpu()) return;
    std::mt19937_64 rng(41);
    for (int e = 0; e < ahat_test::iterations(20); ++e) {
        const Encoder enc = random_encoder(rng, e % 2 == 0);  // softmax heads too, on odd ones
        const auto inputs = random_inputs<double>(rng, 2 + rng() % 6, 1 + rng() % 300, enc.d);
        EngineOptions one;
        one.device = Device::Cuda, one.gpu_parts = 1, one.record_selected = true;
        const Plan<double> plan(enc);
        const auto a = plan.run(inputs, one);
        for (const std::size_t parts : {2, 3, 7}) {  // 7: more runs than instances for small batches
            EngineOptions split = one;
            split.gpu_parts = parts;
            const auto b = plan.run(inputs, split);
            INFO("encoder " << e << ", " << parts << " runs");
            REQUIRE(a.state.size() == b.state.size());
            REQUIRE(same_bits(a.state.data(), b.state.data(), a.state.size()));
            REQUIRE(a.selected == b.selected);
        }
    }
}

TEST_CASE("GPU: double average-hard on the FP64 tensor cores agrees with the fast-order kernel, tie sets cut and rescanned", "[numeric][gpu]") {
    if (!have_gpu()) return;
    // Coarse Q and K (multiples of 1/2 in [-2, 2]): every score is exact in any summation
    // order, so the two kernels must select the same tie sets; with a tolerance of 1/8 the
    // window max(1, |m|) / 8 holds several distinct scores, and a rising maximum cuts old tie
    // sets (rows rescanned). Random normal inputs: single-key tie sets.
    for (const bool causal : {false, true})
        for (const double tol : {0.0, 0.125, -1.0}) {
            CudaKernelShape s;
            s.n = tol < 0 ? 1000 : 3001, s.dk = 64, s.heads = 2, s.precision = "double", s.causal = causal, s.coarse = tol >= 0;
            if (tol >= 0) s.tol = tol;
            const CudaKernelPoint p = cuda_bench_kernel(s, 1);
            INFO("causal " << causal << ", tolerance " << tol << ": rescans " << p.rescans << ", largest error " << p.max_abs_error);
            REQUIRE(p.checked == s.n * s.dk);
            REQUIRE(p.off == 0);
            REQUIRE(p.max_abs_error <= 1e-12);
            if (tol > 0) CHECK(p.rescans > 0);  // the rescan path ran
        }
}

TEST_CASE("numeric engine: --device cuda without a usable GPU is an input error", "[numeric][gpu]") {
    if (cuda_device()) {
        SUCCEED("a GPU is present: nothing to refuse");
        return;
    }
    std::mt19937_64 rng(3);
    const Encoder enc = random_encoder(rng, false);
    EngineOptions opts;
    opts.device = Device::Cuda;
    REQUIRE_THROWS_AS(Plan<double>(enc).run(random_inputs<double>(rng, 1, 5, enc.d), opts), InputError);
    REQUIRE_THROWS_AS(parse_device("tpu"), InputError);
}
