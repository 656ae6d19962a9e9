// proofs/softmax-hard.md on instances: Theorem 1's bound on random heads, its attainment,
// beta_sufficient (Corollary 2) and its edge cases, exact ties (Proposition 4) through the
// engine, and --as-softmax on compiled tasks decoding at the beta it reports.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "capture/subjects.hpp"
#include "capture/validate.hpp"
#include "numeric/engine.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::numeric;

namespace {

// One query of a head: scores (exact small integers over a common denominator) and values.
struct OneQuery {
    std::vector<long double> s;                // scores
    std::vector<std::vector<long double>> v;   // values, dv each
};

struct Errors {
    long double err = 0;      // ||softmax - hard||_inf
    long double bound = 0;    // D x / (m + x)
    long double gap = 0, V = 0;
    std::size_t u = 0, m = 0;
};

Errors measure(const OneQuery& q, long double beta) {
    Errors e;
    e.u = q.s.size();
    const long double top = *std::max_element(q.s.begin(), q.s.end());
    long double second = -INFINITY;
    for (long double x : q.s) {
        if (x == top) ++e.m;
        else second = std::max(second, x);
    }
    e.gap = e.m == e.u ? 0 : top - second;
    const std::size_t dv = q.v[0].size();
    long double D = 0;
    for (std::size_t c = 0; c < dv; ++c) {
        long double lo = INFINITY, hi = -INFINITY;
        for (const auto& v : q.v) lo = std::min(lo, v[c]), hi = std::max(hi, v[c]), e.V = std::max(e.V, std::fabs(v[c]));
        D = std::max(D, hi - lo);
    }
    long double Z = 0;
    std::vector<long double> soft(dv, 0), hard(dv, 0);
    for (std::size_t j = 0; j < e.u; ++j) {
        const long double w = std::exp(beta * (q.s[j] - top));
        Z += w;
        for (std::size_t c = 0; c < dv; ++c) soft[c] += w * q.v[j][c];
        if (q.s[j] == top)
            for (std::size_t c = 0; c < dv; ++c) hard[c] += q.v[j][c];
    }
    for (std::size_t c = 0; c < dv; ++c) e.err = std::max(e.err, std::fabs(soft[c] / Z - hard[c] / static_cast<long double>(e.m)));
    const long double x = e.m == e.u ? 0 : static_cast<long double>(e.u - e.m) * std::exp(-beta * e.gap);
    e.bound = D * x / (static_cast<long double>(e.m) + x);
    return e;
}

OneQuery random_query(std::mt19937_64& rng) {
    OneQuery q;
    const std::size_t u = 1 + rng() % 40, dv = 1 + rng() % 3;
    const long double den = static_cast<long double>(1 + rng() % 8);
    for (std::size_t j = 0; j < u; ++j) {
        q.s.push_back(static_cast<long double>(static_cast<int>(rng() % 7) - 3) / den);  // many ties
        std::vector<long double> v;
        for (std::size_t c = 0; c < dv; ++c) v.push_back(static_cast<long double>(static_cast<int>(rng() % 21) - 10) / 4);
        q.v.push_back(v);
    }
    return q;
}

// Theorem 1's attaining configuration: m keys at s* with v = V, u - m keys at s* - gap with -V.
OneQuery attaining(std::size_t u, std::size_t m, long double gap, long double V) {
    OneQuery q;
    for (std::size_t j = 0; j < u; ++j) {
        q.s.push_back(j < m ? 0 : -gap);
        q.v.push_back({j < m ? V : -V});
    }
    return q;
}

}  // namespace

TEST_CASE("softmax-hard: Theorem 1's bound holds on random heads", "[numeric][softmax-hard]") {
    std::mt19937_64 rng(41);
    for (int t = 0; t < ahat_test::iterations(3000); ++t) {
        const OneQuery q = random_query(rng);
        for (long double beta : {0.0L, 0.5L, 1.0L, 3.0L, 10.0L, 100.0L}) {
            const Errors e = measure(q, beta);
            REQUIRE(e.err <= e.bound * (1 + 1e-12L) + 1e-15L);
        }
    }
}

TEST_CASE("softmax-hard: the bound is attained", "[numeric][softmax-hard]") {
    for (std::size_t u : {2, 5, 100})
        for (std::size_t m = 1; m < u; m += 2)
            for (long double beta : {0.1L, 1.0L, 7.0L}) {
                const Errors e = measure(attaining(u, m, 0.5L, 3.0L), beta);
                REQUIRE(std::fabs(e.err - e.bound) <= 1e-15L + 1e-12L * e.bound);
            }
}

TEST_CASE("softmax-hard: beta_sufficient gives error <= eps, and no smaller beta does on the attaining head", "[numeric][softmax-hard]") {
    std::mt19937_64 rng(43);
    for (int t = 0; t < ahat_test::iterations(2000); ++t) {
        const OneQuery q = random_query(rng);
        const Errors e0 = measure(q, 0);
        if (e0.m == e0.u) continue;
        const double eps = std::vector<double>{1e-1, 1e-3, 1e-6}[rng() % 3];
        const double beta = beta_sufficient(static_cast<double>(e0.gap), static_cast<double>(e0.u), static_cast<double>(e0.m),
                                            static_cast<double>(e0.V), eps) * (1 + 0x1p-40);
        REQUIRE(measure(q, beta).err <= eps * (1 + 1e-9));
    }
    for (double eps : {1e-2, 1e-5}) {
        const double beta = beta_sufficient(0.25, 64, 1, 2, eps);
        REQUIRE(beta > 0);
        REQUIRE(measure(attaining(64, 1, 0.25L, 2.0L), beta * 1.0000001).err <= eps);
        REQUIRE(measure(attaining(64, 1, 0.25L, 2.0L), beta * 0.99).err > eps);
    }
    CHECK(beta_sufficient(0.5, 7, 7, 3, 1e-3) == 0);   // u = m: everything ties
    CHECK(beta_sufficient(0.5, 7, 1, 0, 1e-3) == 0);   // V = 0
    CHECK(beta_sufficient(0.5, 7, 1, 1, 2) == 0);      // eps >= 2V
    CHECK_THROWS_AS(beta_sufficient(0, 7, 1, 1, 1e-3), InputError);
    CHECK_THROWS_AS(beta_sufficient(0.5, 7, 8, 1, 1e-3), InputError);
}

TEST_CASE("softmax-hard: equal keys make a softmax head the average-hard head bit for bit (Proposition 4)", "[numeric][softmax-hard]") {
    std::mt19937_64 rng(47);
    for (int t = 0; t < 20; ++t) {
        Encoder enc;
        enc.d = 3;
        Head h;
        h.rule = Rule::AverageHard;
        h.mask = static_cast<Mask>(rng() % 5);
        Matrix<Rational> Q(1, 3), K(1, 3), V(1, 3), O(3, 1);
        Q.at(0, 0) = Rational(Integer(1 + static_cast<long long>(rng() % 5)), Integer(3));
        K.at(0, 2) = 1;  // coordinate 2 is the same at every position: all keys equal
        V.at(0, 0) = 1, V.at(0, 1) = Rational(1, 3);
        O.at(1, 0) = 1;
        h.query = Affine<Rational>(Sparse<Rational>::from_dense(Q), {});
        h.key = Affine<Rational>(Sparse<Rational>::from_dense(K), {});
        h.value = Affine<Rational>(Sparse<Rational>::from_dense(V), {});
        h.output = Sparse<Rational>::from_dense(O);
        enc.layers.push_back(Layer{{h}, std::nullopt, {}});
        enc.readout.coordinates = {0, 1, 2};
        std::vector<Matrix<double>> in;
        Matrix<double> x(30, 3);
        for (std::size_t i = 0; i < 30; ++i) x.at(i, 0) = double(rng() % 9) / 7, x.at(i, 1) = double(rng() % 5) / 3, x.at(i, 2) = 0.5;
        in.push_back(x);
        const auto hard = Plan<double>(enc).run(in);
        for (double beta : {0.0, 1.0, 1e6}) {
            const Encoder soft = as_softmax(enc, Rational(beta));
            REQUIRE(Plan<double>(soft).run(in).state == hard.state);
        }
    }
}

TEST_CASE("softmax-hard: --as-softmax finds a beta at which every sample decodes, on compiled tasks", "[numeric][softmax-hard][tasks]") {
    for (const char* task : {"histogram", "reverse"}) {
        const capture::Subject subject = capture::task_subject(task, 32);
        capture::ValidateOptions o;
        o.sizes = {8, 16, 32};
        o.samples = 4;
        o.formats = {capture::Format::Double};
        o.as_softmax = true;
        o.beta_max = 0x1p30;
        const capture::ValidateResult r = capture::validate(subject, o);
        REQUIRE(r.rows.size() == 3);
        for (const capture::ValidateRow& row : r.rows) {
            INFO(task << " n = " << row.n);
            REQUIRE(row.beta.has_value());
            REQUIRE(*row.beta >= 1);
            // At the reported beta every sample decodes: run it again.
            const capture::Model model = subject.compile();
            const Encoder soft = as_softmax(model.encoder, Rational(*row.beta));
            std::mt19937_64 rng(row.n);
            std::vector<capture::Sample> samples;
            std::vector<Matrix<double>> inputs;
            for (int k = 0; k < 4; ++k) {
                samples.push_back(subject.sample(row.n, rng));
                inputs.push_back(convert<double>(model.input(samples.back().tokens)));
            }
            const auto out = Plan<double>(soft).run(inputs);
            for (std::size_t b = 0; b < samples.size(); ++b) REQUIRE(model.decode(capture::AnyMatrix(out.outputs[b])) == samples[b].expected);
        }
    }
}
