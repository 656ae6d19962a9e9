// Cascade token selection (src/analysis/cascade.hpp): on random matrices with repeated,
// scaled and orthogonal rows, the cascade's set equals the from-scratch set whatever the
// previous selection, every owner covers its token, representatives do not cover each other,
// and the multiply-adds counted are d x (comparisons + n); double and exact selections agree;
// attention on every token with multiplicity 1 is the dense attention exactly; compiled tasks'
// checks hold; the CLI's records and exit codes.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/cascade.hpp"
#include "analysis/flat_records.hpp"
#include "analysis/sinks.hpp"
#include "capture/subjects.hpp"
#include "cli/run_ahat.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::analysis;

namespace {

// Rows drawn from a few directions, scaled, sometimes negated, sometimes zero.
Matrix<Rational> clustered(std::mt19937_64& rng, std::size_t n, std::size_t d) {
    const std::size_t k = 1 + rng() % 4;
    std::vector<std::vector<long>> dirs(k, std::vector<long>(d));
    for (auto& v : dirs)
        for (auto& x : v) x = static_cast<long>(rng() % 5) - 2;
    Matrix<Rational> m(n, d);
    for (std::size_t i = 0; i < n; ++i) {
        if (rng() % 10 == 0) continue;  // a zero row
        const auto& v = dirs[rng() % k];
        const Rational scale(static_cast<long>(rng() % 3) + 1, static_cast<long>(rng() % 2) + 1);
        const bool noise = rng() % 3 == 0;
        for (std::size_t c = 0; c < d; ++c) {
            m.at(i, c) = scale * v[c] * (rng() % 5 == 0 ? -1 : 1);
            if (noise) m.at(i, c) += Rational(static_cast<long>(rng() % 3) - 1, 4);
        }
    }
    return m;
}

bool covers(const Matrix<Rational>& X, std::size_t i, std::size_t r, const Rational& tau) {
    Rational g = 0, a = 0, b = 0;
    for (std::size_t c = 0; c < X.cols; ++c) g += X.at(i, c) * X.at(r, c), a += X.at(i, c) * X.at(i, c), b += X.at(r, c) * X.at(r, c);
    if (b == 0) return a == 0;  // a zero representative covers zero rows only
    return g * g >= tau * tau * a * b;
}

}  // namespace

TEST_CASE("cascade: the cascade's set is the from-scratch set, owners cover, counts add up", "[analysis][cascade]") {
    std::mt19937_64 rng(21);
    const std::vector<Rational> taus{Rational(1, 10), Rational(1, 2), Rational(9, 10), Rational(1)};
    for (int t = 0; t < ahat_test::iterations(300); ++t) {
        const std::size_t n = 1 + rng() % 20, d = 1 + rng() % 5;
        const Matrix<Rational> X = clustered(rng, n, d), P = clustered(rng, n, d);
        const Rational tau = taus[rng() % taus.size()];
        const Selection scratch = select_from_scratch(X, tau);
        const Selection prev = select_from_scratch(P, taus[rng() % taus.size()]);
        const Selection cas = select_cascade(X, tau, prev);
        INFO("instance " << t);
        REQUIRE(cas.reps == scratch.reps);
        REQUIRE(cas.mul_adds == d * (cas.comparisons + n));
        REQUIRE(scratch.mul_adds == d * (scratch.comparisons + n));
        REQUIRE(select_cascade(X, tau, scratch).reps == scratch.reps);  // inheriting itself
        std::vector<char> rep(n, 0);
        for (std::size_t r : scratch.reps) rep[r] = 1;
        for (std::size_t i = 0; i < n; ++i) {
            for (const Selection* s : {&scratch, &cas}) {
                const std::size_t o = s->owner[i];
                REQUIRE(rep[o]);
                REQUIRE(o <= i);
                if (o != i) REQUIRE(covers(X, i, o, tau));
            }
            // A token is a representative exactly when no earlier representative covers it.
            bool covered = false;
            for (std::size_t r : scratch.reps)
                if (r < i && covers(X, i, r, tau)) covered = true;
            REQUIRE(bool(rep[i]) == !covered);
        }
        // Double selections agree where double arithmetic is exact here (dyadic rows and
        // tau = 1/2: every product is a small dyadic); with tau = 1/10 or 9/10 an exact tie
        // cos = tau, which small integer rows do produce, can round either way.
        if (tau == Rational(1, 2)) {
            const Selection sd = select_from_scratch(convert<double>(X), tau.convert_to<double>());
            CHECK(sd.reps == scratch.reps);
        }
    }
}

TEST_CASE("cascade: attention on every token with multiplicity 1 is the dense attention", "[analysis][cascade]") {
    for (const char* task : {"sort", "histogram", "copy", "induction"}) {
        INFO(task);
        const capture::Subject s = capture::task_subject(task, 16);
        const capture::Model m = s.compile();
        std::mt19937_64 rng(3);
        const Matrix<Rational> x = m.input(s.sample(12, rng).tokens);
        const Forward<Rational> dense = sink_forward(m.encoder, x, 0);
        const Forward<Rational> ones =
            sink_forward<Rational>(m.encoder, x, 0, [](std::size_t, const Matrix<Rational>& X) { return std::vector<Rational>(X.rows, Rational(1)); });
        CHECK(ones.outputs == dense.outputs);
        // Doubling every multiplicity changes nothing either.
        const Forward<Rational> twos =
            sink_forward<Rational>(m.encoder, x, 0, [](std::size_t, const Matrix<Rational>& X) { return std::vector<Rational>(X.rows, Rational(2)); });
        CHECK(twos.outputs == dense.outputs);
    }
}

TEST_CASE("cascade: compiled tasks pass both checks: tau = 1 keeps every answer of tasks whose rows never repeat a direction", "[analysis][cascade][tasks]") {
    for (const char* task : {"sort", "histogram", "copy", "induction"}) {
        INFO(task);
        CascadeOptions o;
        o.sizes = {8, 16}, o.samples = 2;
        o.taus = {Rational(9, 10), Rational(1)};
        const CascadeResult r = cascade(capture::task_subject(task, 16), o);
        CHECK(r.exact);
        REQUIRE(r.checks.size() == 2);
        for (const CascadeCheck& c : r.checks) {
            INFO(c.name << ": " << c.detail);
            CHECK(c.ok);
        }
        REQUIRE(r.points.size() == 2 * o.taus.size());
        for (const CascadePoint& p : r.points) {
            CHECK(p.dense_correct == p.samples);  // the dense exact run is the compiled program
            CHECK(p.rep_fraction > 0);
            CHECK(p.rep_fraction <= 1);
            CHECK(p.cascade_mul_adds <= p.dense_mul_adds + p.dense_mul_adds);
        }
        for (const CascadeLayer& l : r.layer_stats) CHECK(l.equal_to_scratch);
        // tau = 1 merges only tokens of one direction (positional coordinates make every state
        // row's direction its own, a zero BOS row aside): every answer agrees with dense
        for (const CascadePoint& p : r.points)
            if (p.tau == 1) CHECK(p.answers_agree == p.samples);
    }
}

TEST_CASE("cascade: a zero first row covers only zero rows", "[analysis][cascade]") {
    Matrix<Rational> X(4, 2);  // row 0 zero, rows 1 and 2 in different directions, row 3 zero
    X.at(1, 0) = 1, X.at(2, 1) = 3;
    for (const Rational& tau : {Rational(1, 2), Rational(1)}) {
        const Selection s = select_from_scratch(X, tau);
        CHECK(s.reps == std::vector<std::size_t>{0, 1, 2});
        CHECK(s.owner == std::vector<std::size_t>{0, 1, 2, 0});
        CHECK(select_cascade(X, tau, s).reps == s.reps);
    }
}

TEST_CASE("cli cascade: records load as flat rows with the same keys, bad taus exit 2", "[cli][analysis][cascade]") {
    using namespace ahat_test;
    Result r = run_ahat("cascade copy --sizes 8 --samples 2 --taus 1/2,0.9 --json --quiet --strict");
    REQUIRE(r.rc == 0);
    std::size_t points = 0;
    for (const nlohmann::json& j : ahat_test::flat_records(r.out)) {
        const std::string type = j["type"];
        points += type == "point";
        if (type == "point") CHECK(j["max_error"].is_string());
        if (type == "check") CHECK(j["ok"] == true);
    }
    CHECK(points == 2);
    r = run_ahat("cascade copy --taus 0");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--taus"));
}
