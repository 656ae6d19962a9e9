// Attention margins (RunOptions::margins) against brute force on random encoders, on the
// dense scan and on the structured path.
#include <catch2/catch.hpp>

#include <random>

#include "encoder/interpreter.hpp"
#include "random_heads.hpp"

using namespace ahat;
using namespace ahat_test;

namespace {

Encoder random_encoder(std::mt19937_64& rng, std::size_t d, bool integer) {
    Encoder enc;
    enc.d = static_cast<std::uint32_t>(d);
    for (int l = 0; l < 2; ++l) {
        Layer layer;
        for (int hi = 0; hi < 2; ++hi) {
            const auto rule = static_cast<Rule>(rng() % 4);  // the three hard rules and uniform
            const Mask mask = rng() % 3 == 0 ? static_cast<Mask>(rng() % 5) : Mask::None;
            std::optional<std::uint64_t> window;
            if (rng() % 6 == 0) window = rng() % 4;
            const std::size_t dk = 1 + rng() % 3;
            Matrix<Rational> Qm, Km;
            planar_maps(rng, dk, d, integer, true, Qm, Km);
            Head h = ahat_test::random_head(rng, Qm, Km, d, integer);
            h.rule = rule, h.mask = mask, h.window = window;
            layer.heads.push_back(std::move(h));
        }
        enc.layers.push_back(std::move(layer));
    }
    enc.readout.coordinates = {0};
    return enc;
}

// The margin of one head computed from its definition on the layer's input state X.
std::optional<HeadMargin> brute_margin(const Head& h, const Matrix<Rational>& X) {
    if (h.rule == Rule::Uniform || h.rule == Rule::Softmax) return std::nullopt;
    const std::size_t n = X.rows, dk = h.query.rows();
    Matrix<Rational> Q(n, dk), K(n, dk);
    for (std::size_t i = 0; i < n; ++i) {
        apply(h.query, X.row(i), Q.row(i));
        apply(h.key, X.row(i), K.row(i));
    }
    HeadMargin m;
    std::vector<Rational> kmax(dk, Rational(0));
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t t = 0; t < dk; ++t) kmax[t] = std::max(kmax[t], Rational(abs(K.at(j, t))));
    for (std::size_t i = 0; i < n; ++i) {
        auto [lo, hi] = allowed_interval(h, static_cast<std::int64_t>(i), static_cast<std::int64_t>(n));
        if (lo > hi) continue;
        std::vector<Rational> s;
        for (auto j = lo; j <= hi; ++j) s.push_back(dot(Q.row(i), K.row(static_cast<std::size_t>(j)), dk));
        Rational best = *std::max_element(s.begin(), s.end());
        std::optional<Rational> second;
        for (const Rational& x : s)
            if (x < best && (!second || x > *second)) second = x;
        Rational terms = 0;  // sum_t |q_it| max_j |k_jt|
        for (std::size_t t = 0; t < dk; ++t) terms += abs(Q.at(i, t)) * kmax[t];
        m.scale = std::max(m.scale, terms);
        m.score_scale = std::max(m.score_scale, Rational(abs(best)));
        if (!second) continue;
        m.score_scale = std::max(m.score_scale, Rational(abs(*second)));
        Rational gap = best - *second;
        if (!m.gap || gap < *m.gap) m.gap = gap, m.position = i;
    }
    return m;
}

}  // namespace

TEST_CASE("margins equal brute force on the dense and the structured path", "[capture][margins]") {
    std::mt19937_64 rng(4242);
    std::size_t with_gap = 0, without_gap = 0;
    for (int trial = 0; trial < 150; ++trial) {
        const std::size_t n = 1 + rng() % 24, d = 2 + rng() % 3;
        const Encoder enc = random_encoder(rng, d, trial % 2 == 0);
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = small_rational(rng, 3, true);
        Program<Rational> prog(enc);
        for (bool dense : {false, true}) {
            RunOptions o;
            o.margins = true;
            o.dense = dense;
            o.record_states = true;
            auto r = prog.run(x, o);
            for (std::size_t l = 0; l < 2; ++l)
                for (std::size_t h = 0; h < 2; ++h) {
                    auto want = brute_margin(enc.layers[l].heads[h], r.trace.states[l]);
                    const auto& got = r.trace.heads[l][h].margin;
                    REQUIRE(want.has_value() == got.has_value());
                    if (!want) continue;
                    REQUIRE(want->gap == got->gap);
                    REQUIRE(want->scale == got->scale);
                    REQUIRE(want->score_scale == got->score_scale);
                    if (want->gap) REQUIRE(want->position == got->position);
                    (want->gap ? with_gap : without_gap) += 1;
                }
        }
    }
    CHECK(with_gap > 100);
    CHECK(without_gap > 5);
}

TEST_CASE("margins are off unless asked, and absent in numeric runs", "[capture][margins]") {
    std::mt19937_64 rng(7);
    const Encoder enc = random_encoder(rng, 3, true);
    Matrix<Rational> x(5, 3);
    for (auto& v : x.data) v = small_rational(rng, 3, true);
    auto exact = Program<Rational>(enc).run(x);
    RunOptions o;
    o.margins = true;
    auto numeric = Program<double>(enc).run(convert<double>(x), o);
    for (std::size_t l = 0; l < 2; ++l)
        for (std::size_t h = 0; h < 2; ++h) {
            CHECK_FALSE(exact.trace.heads[l][h].margin.has_value());
            CHECK_FALSE(numeric.trace.heads[l][h].margin.has_value());
        }
}
