// Attention and gradient sinks (src/analysis/sinks.hpp): the backward pass against central
// finite differences in double on random encoders (every rule, masks, windows, feed-forward
// circuits with mul and sign, both readouts and both losses), the value path of hard heads
// exactly in rationals (central differences of a quadratic are exact), the exact and double
// backward passes against each other, the pure-sink identity on the constructed encoders of
// proofs/pure-sink.md (exact and softmax), compiled tasks' checks, the CLI's records, and the
// backward pass with softmax gradients on the GPU against the CPU's (where a GPU is usable).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/flat_records.hpp"
#include "analysis/random_encoders.hpp"
#include "analysis/sinks.hpp"
#include "capture/subjects.hpp"
#include "cli/run_ahat.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/device.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::analysis;

using ahat_test::dense_affine;
using ahat_test::random_encoder;
using ahat_test::range_of;
using ahat_test::rat;

namespace {

// The constructed encoders of proofs/pure-sink.md. Coordinates: 0 = first, 1 = last,
// 2.. = the carried values. Exact: one average-hard head, no mask, key first + last, so that
// every query selects {0, n-1} (n >= 2) and puts mass 1/2 on position 0. Softmax: key c first,
// so every query puts mass e^c / (e^c + n - 1) on position 0.
Encoder pure_sink(bool softmax, std::size_t values, const Rational& c) {
    Encoder e;
    e.name = softmax ? "pure-sink-softmax" : "pure-sink";
    e.d = static_cast<std::uint32_t>(2 + values);
    Head h;
    h.rule = softmax ? Rule::Softmax : Rule::AverageHard;
    Matrix<Rational> q(1, e.d), k(1, e.d), v(values, e.d), o(e.d, values);
    k.at(0, 0) = softmax ? c : Rational(1);
    if (!softmax) k.at(0, 1) = 1;
    for (std::size_t t = 0; t < values; ++t) v.at(t, 2 + t) = 1, o.at(2 + t, t) = 1;
    h.query = Affine<Rational>(Sparse<Rational>::from_dense(q), {Rational(1)});
    h.key = Affine<Rational>(Sparse<Rational>::from_dense(k), {Rational(0)});
    h.value = Affine<Rational>(Sparse<Rational>::from_dense(v), std::vector<Rational>(values, Rational(0)));
    h.output = Sparse<Rational>::from_dense(o);
    e.layers.push_back(Layer{{h}, std::nullopt, {}});
    for (std::size_t t = 0; t < values; ++t) e.readout.coordinates.push_back(static_cast<std::uint32_t>(2 + t));
    validate(e);
    return e;
}

Matrix<Rational> sink_input(std::mt19937_64& rng, std::size_t n, std::size_t values) {
    Matrix<Rational> x(n, 2 + values);
    x.at(0, 0) = 1, x.at(n - 1, 1) = 1;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t t = 0; t < values; ++t) x.at(i, 2 + t) = rat(rng, 5, 7);
    return x;
}

Matrix<Rational> random_target(std::mt19937_64& rng, const Matrix<Rational>& like) {
    Matrix<Rational> t(like.rows, like.cols);
    for (auto& x : t.data) x = rat(rng, 4, 5);
    return t;
}

}  // namespace

TEST_CASE("sinks: gradients agree with central finite differences in double on random encoders", "[analysis][sinks]") {
    std::mt19937_64 rng(15);
    std::normal_distribution<double> nd;
    double worst = 0;
    for (int t = 0; t < ahat_test::iterations(300); ++t) {
        const Encoder e = random_encoder(rng, true, t % 2 == 0);
        const std::size_t n = 1 + rng() % 7;
        Matrix<double> x(n, e.d);
        for (auto& v : x.data) v = nd(rng);
        const SinkLoss loss = rng() % 2 ? SinkLoss::Readout : SinkLoss::Squared;
        const Forward<double> fw = sink_forward(e, x);
        Matrix<double> target(fw.outputs.rows, fw.outputs.cols);
        for (auto& v : target.data) v = nd(rng);
        const Backward<double> bw = sink_backward(e, fw, loss, &target);
        REQUIRE(bw.grad.size() == e.layers.size() + 1);
        double gmax = 0;
        for (double g : bw.grad[0].data) gmax = std::max(gmax, std::abs(g));
        for (std::size_t k = 0; k < x.data.size(); ++k) {
            auto central = [&](double h) {
                Matrix<double> xp = x, xm = x;
                xp.data[k] += h, xm.data[k] -= h;
                return (sink_loss(sink_forward(e, xp), loss, &target) - sink_loss(sink_forward(e, xm), loss, &target)) / (2 * h);
            };
            const double fd = (4 * central(0.5e-5) - central(1e-5)) / 3;  // central differences, one Richardson step
            const double an = bw.grad[0].data[k];
            const double rel = std::abs(fd - an) / std::max({std::abs(fd), std::abs(an), 0.01 * gmax, 1e-12});
            worst = std::max(worst, rel);
            INFO("instance " << t << ", entry " << k << ": analytic " << an << ", finite differences " << fd);
            REQUIRE(rel <= 1e-6);
        }
        // The gradient at each layer's input is the gradient of the loss as a function of
        // that state: check one random direction per layer.
        for (std::size_t l = 1; l < e.layers.size(); ++l) {
            Encoder tail = e;
            tail.layers.erase(tail.layers.begin(), tail.layers.begin() + static_cast<std::ptrdiff_t>(l));
            Matrix<double> u(n, e.d);
            double an = 0;
            for (std::size_t k = 0; k < u.data.size(); ++k) u.data[k] = nd(rng), an += bw.grad[l].data[k] * u.data[k];
            auto central = [&](double h) {
                Matrix<double> xp = fw.states[l], xm = fw.states[l];
                for (std::size_t k = 0; k < u.data.size(); ++k) xp.data[k] += h * u.data[k], xm.data[k] -= h * u.data[k];
                return (sink_loss(sink_forward(tail, xp), loss, &target) - sink_loss(sink_forward(tail, xm), loss, &target)) / (2 * h);
            };
            // One Richardson step on central differences: softmax at large scores has a large
            // third derivative (instance 78: the plain central difference is 1.1e-6 off at
            // h = 1e-5 and converges as h^2 to the analytic value).
            const double fd = (4 * central(0.5e-5) - central(1e-5)) / 3;
            INFO("instance " << t << ", layer " << l << ": analytic " << an << ", finite differences " << fd);
            REQUIRE(std::abs(fd - an) <= 1e-6 * std::max({std::abs(fd), std::abs(an), 1e-9}));
        }
    }
    CHECK(worst < 1e-6);
}

TEST_CASE("sinks: hard heads' value-path gradients are exact rationals", "[analysis][sinks]") {
    // Queries and keys read coordinates 0 and 1 only, outputs write 2.. only, no feed-forward
    // part: every score is fixed, the readout is affine in coordinates 2.. and the squared
    // loss quadratic, so a central difference at any step is the exact derivative.
    std::mt19937_64 rng(16);
    for (int t = 0; t < ahat_test::iterations(60); ++t) {
        Encoder e = random_encoder(rng, false, true);
        e.d = std::max<std::uint32_t>(e.d, 4);
        for (Layer& l : e.layers) {
            l.ffn.reset();
            for (Head& h : l.heads) {
                const std::size_t dk = h.query.rows(), dv = h.value.rows();
                h.query = dense_affine(rng, dk, e.d, {0, 1}, true);
                h.key = dense_affine(rng, dk, e.d, {0, 1}, true);
                h.value = dense_affine(rng, dv, e.d, range_of(0, e.d), true);
                Matrix<Rational> o(e.d, dv);
                for (std::size_t r = 2; r < e.d; ++r)
                    for (std::size_t c = 0; c < dv; ++c) o.at(r, c) = rat(rng, 2, 2);
                h.output = Sparse<Rational>::from_dense(o);
            }
        }
        e.readout = Readout{};
        e.readout.coordinates = {2, static_cast<std::uint32_t>(2 + rng() % (e.d - 2))};
        validate(e);
        const std::size_t n = 1 + rng() % 6;
        Matrix<Rational> x(n, e.d);
        for (auto& v : x.data) v = rat(rng, 3, 3);
        const Forward<Rational> fw = sink_forward(e, x, 0);
        const Matrix<Rational> target = random_target(rng, fw.outputs);
        const Backward<Rational> bw = sink_backward(e, fw, SinkLoss::Squared, &target, 0);
        const Rational step(1, 3);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 2; c < e.d; ++c) {
                Matrix<Rational> xp = x, xm = x;
                xp.at(i, c) += step, xm.at(i, c) -= step;
                const Rational fd = (sink_loss(sink_forward(e, xp, 0), SinkLoss::Squared, &target) -
                                     sink_loss(sink_forward(e, xm, 0), SinkLoss::Squared, &target)) /
                                    (2 * step);
                INFO("instance " << t << ", position " << i << ", coordinate " << c);
                REQUIRE(bw.grad[0].at(i, c) == fd);
            }
        // The double pass agrees with the exact one.
        const Forward<double> fd = sink_forward(e, convert<double>(x));
        const Matrix<double> td = convert<double>(target);
        const Backward<double> bd = sink_backward(e, fd, SinkLoss::Squared, &td);
        for (std::size_t l = 0; l < bw.grad.size(); ++l)
            for (std::size_t k = 0; k < bw.grad[l].data.size(); ++k) {
                const double ex = bw.grad[l].data[k].convert_to<double>();
                REQUIRE(std::abs(bd.grad[l].data[k] - ex) <= 1e-12 * std::max(1.0, std::abs(ex)));
            }
    }
}

TEST_CASE("sinks: exact and double passes agree on random hard encoders with feed-forward circuits", "[analysis][sinks]") {
    std::mt19937_64 rng(17);
    for (int t = 0; t < ahat_test::iterations(100); ++t) {
        const Encoder e = random_encoder(rng, false, true);
        const std::size_t n = 1 + rng() % 6;
        Matrix<Rational> x(n, e.d);
        for (auto& v : x.data) v = rat(rng, 3, 3);
        const Forward<Rational> fw = sink_forward(e, x, 0);
        // The forward readout is the interpreter's, exactly.
        const RunResult<Rational> ref = Program<Rational>(e).run(x);
        if (e.readout.kind == Readout::Kind::Sequence) REQUIRE(fw.outputs == ref.outputs);
        else REQUIRE(fw.outputs.at(0, 0) == ref.score);
        const Backward<Rational> bw = sink_backward(e, fw, SinkLoss::Readout, nullptr, 0);
        const Backward<double> bd = sink_backward(e, sink_forward(e, convert<double>(x)), SinkLoss::Readout, nullptr);
        for (std::size_t l = 0; l < bw.grad.size(); ++l)
            for (std::size_t k = 0; k < bw.grad[l].data.size(); ++k) {
                const double ex = bw.grad[l].data[k].convert_to<double>();
                INFO("instance " << t << ", layer " << l << ", entry " << k);
                REQUIRE(std::abs(bd.grad[l].data[k] - ex) <= 1e-9 * std::max(1.0, std::abs(ex)));
            }
    }
}

TEST_CASE("sinks: the pure-sink identity holds exactly on the constructed encoder", "[analysis][sinks]") {
    std::mt19937_64 rng(18);
    for (int t = 0; t < ahat_test::iterations(50); ++t) {
        const std::size_t values = 1 + rng() % 3, n = 2 + rng() % 30;
        const Encoder e = pure_sink(false, values, 1);
        const Matrix<Rational> x = sink_input(rng, n, values);
        const Forward<Rational> fw = sink_forward(e, x, 0);
        REQUIRE(fw.heads[0][0].mass[0] == Rational(1, 2));  // the sink score
        const Matrix<Rational> target = random_target(rng, fw.outputs);
        const Backward<Rational> bw = sink_backward(e, fw, rng() % 2 ? SinkLoss::Squared : SinkLoss::Readout, &target, 0);
        for (std::size_t c = 0; c < values; ++c) REQUIRE(bw.value_grad0[0][0][c] == Rational(1, 2) * bw.out_grad_sum[0][0][c]);
        // ... and the gradient at position 0's value coordinates is its own residual
        // gradient plus that: the gradient sink of the construction.
        for (std::size_t c = 0; c < values; ++c)
            REQUIRE(bw.grad[0].at(0, 2 + c) == bw.grad[1].at(0, 2 + c) + Rational(1, 2) * bw.out_grad_sum[0][0][c]);
    }
}

TEST_CASE("sinks: the pure-sink identity holds for softmax sinks in double", "[analysis][sinks]") {
    std::mt19937_64 rng(19);
    for (int t = 0; t < ahat_test::iterations(50); ++t) {
        const std::size_t values = 1 + rng() % 3, n = 2 + rng() % 30;
        const Rational c(static_cast<long>(rng() % 6), 1);
        const Encoder e = pure_sink(true, values, c);
        const Matrix<double> x = convert<double>(sink_input(rng, n, values));
        const Forward<double> fw = sink_forward(e, x);
        const double ec = std::exp(c.convert_to<double>()), a = ec / (ec + double(n - 1));
        REQUIRE(fw.heads[0][0].mass[0] == Approx(a).epsilon(1e-12));
        const Backward<double> bw = sink_backward(e, fw, SinkLoss::Readout, nullptr);
        for (std::size_t k = 0; k < values; ++k) REQUIRE(bw.value_grad0[0][0][k] == Approx(a * bw.out_grad_sum[0][0][k]).epsilon(1e-12));
        // With the readout loss every output gradient is 1: on the value coordinates the
        // gradient at the input is 1 + n a at position 0 and 1 + n (1 - a) / (n - 1) elsewhere
        // (the key coordinate also gets the scores' gradient, so it is left out here).
        Matrix<double> gv(n, values);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < values; ++k) gv.at(i, k) = bw.grad[0].at(i, 2 + k);
        const auto r = gradient_sink_ratio(gv, 0);
        REQUIRE(r);
        CHECK(*r == Approx((1 + double(n) * a) / (1 + double(n) * (1 - a) / double(n - 1))).epsilon(1e-9));
    }
}

TEST_CASE("sinks: compiled tasks pass every check, exact and as softmax", "[analysis][sinks][tasks]") {
    for (const char* task : {"sort", "histogram", "copy", "induction"}) {
        INFO(task);
        SinksOptions o;
        o.sizes = {8, 16}, o.samples = 2;
        const SinksResult r = sinks(capture::task_subject(task, 16), o);
        CHECK(r.exact);
        CHECK(r.ok());
        CHECK(r.layer_stats.size() == 2 * (r.layers + 1));
        CHECK(r.heads_stats.size() == 2 * r.heads);
        for (const SinkHead& h : r.heads_stats) {
            REQUIRE(h.mass.size() == std::min<std::size_t>(8, h.mass.size()));
            Rational total = 0;
            for (const Rational& m : h.mass) total += m;
            CHECK(total <= 1);
        }
        o.as_softmax = Rational(8);
        const SinksResult s = sinks(capture::task_subject(task, 16), o);
        CHECK_FALSE(s.exact);
        for (const SinkCheck& c : s.checks) {
            INFO(c.name << ": " << c.detail);
            CHECK(c.ok);
        }
    }
}

TEST_CASE("cli sinks: records load as flat rows with the same keys, checks set the exit code", "[cli][analysis][sinks]") {
    using namespace ahat_test;
    Result r = run_ahat("sinks histogram --sizes 8,16 --samples 2 --json --quiet");
    REQUIRE(r.rc == 0);
    std::size_t layers = 0, checks = 0;
    for (const nlohmann::json& j : ahat_test::flat_records(r.out)) {
        const std::string type = j["type"];
        layers += type == "layer", checks += type == "check";
        if (type == "check") CHECK(j["ok"] == true);
        if (type == "head") CHECK(j["sink"].is_string());  // exact mode: the exact value
    }
    CHECK(layers > 0);
    CHECK(checks == 2);
    // Per-query records: the sink score is the mean weight on position 0 over the queries
    // with a non-empty allowed set (one instance, so no averaging over samples).
    r = run_ahat("sinks copy --sizes 8 --samples 1 --json --per-query --quiet");
    REQUIRE(r.rc == 0);
    std::map<std::pair<int, int>, std::pair<Rational, int>> sums;
    std::map<std::pair<int, int>, std::string> sink;
    std::size_t queries = 0;
    for (const nlohmann::json& j : ahat_test::flat_records(r.out)) {
        if (j["type"] == "head") sink[{j["layer"], j["head"]}] = j["sink"];
        if (j["type"] != "query") continue;
        queries += 1;
        if (j["entropy"].is_null()) continue;
        auto& [sum, count] = sums[{j["layer"], j["head"]}];
        sum += *parse_rational(j["weight0"].get<std::string>()), count += 1;
    }
    CHECK(queries == 9 * sink.size());  // 8 tokens and BOS, every head
    REQUIRE_FALSE(sums.empty());
    for (const auto& [key, sc] : sums) CHECK(to_string(sc.first / Rational(sc.second)) == sink[key]);
    // An impossible tolerance fails the finite-difference check: exit 1.
    r = run_ahat("sinks sort --sizes 8 --samples 1 --as-softmax 4 --fd-tolerance 0 --quiet");
    CHECK(r.rc == 1);
    CHECK_THAT(r.out, Catch::Contains("check finite_differences: FAILED"));
    r = run_ahat("sinks sort --loss cubic");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--loss"));
    r = run_ahat("sinks sort --device tpu");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("unknown device 'tpu'"));
    if (!numeric::cuda_device()) {  // --device cuda without a usable GPU: exit 2, before any work
        r = run_ahat("sinks sort --sizes 8 --as-softmax 4 --device cuda --quiet");
        CHECK(r.rc == 2);
        CHECK_THAT(r.err, Catch::Contains("CUDA"));
        r = run_ahat("bench sinks --tasks histogram --n 16 --device cuda");
        CHECK(r.rc == 2);
    }
}

TEST_CASE("sinks: the backward pass with softmax gradients on the GPU equals the CPU's", "[analysis][sinks][gpu]") {
    std::mt19937_64 rng(23);
    std::normal_distribution<double> nd;
    if (!numeric::cuda_device()) {
        WARN("no CUDA device (" << (numeric::cuda_built() ? "built with CUDA" : "built without CUDA") << "): GPU checks skipped");
        const Encoder e = random_encoder(rng, true, false);
        Matrix<double> x(3, e.d);
        const Forward<double> fw = sink_forward(e, x);
        REQUIRE_THROWS_AS(sink_backward(e, fw, SinkLoss::Readout, nullptr, 1e-9, numeric::Device::Cuda), InputError);
        return;
    }
    double worst = 0;
    for (int t = 0; t < ahat_test::iterations(60); ++t) {
        const Encoder e = random_encoder(rng, true, t % 2 == 0);  // softmax heads (masks, windows), hard heads too
        // Lengths across several blocks of 128 threads, and empty allowed sets (j < i at i = 0).
        const std::size_t n = 1 + rng() % 400;
        Matrix<double> x(n, e.d);
        for (auto& v : x.data) v = nd(rng);
        const Forward<double> fw = sink_forward(e, x);
        const Backward<double> cpu = sink_backward(e, fw, SinkLoss::Readout, nullptr);
        const Backward<double> gpu = sink_backward(e, fw, SinkLoss::Readout, nullptr, 1e-9, numeric::Device::Cuda);
        REQUIRE(gpu.grad.size() == cpu.grad.size());
        for (std::size_t l = 0; l < cpu.grad.size(); ++l)
            for (std::size_t k = 0; k < cpu.grad[l].data.size(); ++k) {
                const double a = cpu.grad[l].data[k], b = gpu.grad[l].data[k];
                const double rel = std::abs(a - b) / std::max(1.0, std::abs(a));
                worst = std::max(worst, rel);
                INFO("instance " << t << ", n = " << n << ", layer " << l << ", entry " << k << ": CPU " << a << ", GPU " << b);
                REQUIRE(rel <= 1e-9);  // 5.3e-11 seen on an H200: exp and summation order differ
            }
    }
    WARN("GPU softmax backward, double: largest difference from the CPU pass " << worst << " (relative to max(1, |g|))");
    // The finite-difference check of the analysis itself, with the GPU's gradients.
    SinksOptions o;
    o.sizes = {8, 40}, o.samples = 2, o.as_softmax = Rational(4), o.device = numeric::Device::Cuda;
    const SinksResult r = sinks(capture::task_subject("histogram", 40), o);
    std::ostringstream details;
    for (const SinkCheck& c : r.checks) details << c.name << (c.ok ? " ok: " : " FAILED: ") << c.detail << "\n";
    INFO(details.str());
    REQUIRE(r.ok());
}
