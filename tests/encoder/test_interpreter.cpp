// The interpreter against a small, independent reference implementation of the attention
// formula of docs/semantics.md (written here over Rational, from the definition), plus the sign
// convention, exact vs double runs, RunOptions and the exact fast path of linalg.
#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "circuit/circ_io.hpp"
#include "encoder/encoder.hpp"
#include "encoder/interpreter.hpp"
#include "exact/linalg.hpp"
#include "support/error.hpp"

using namespace ahat;

namespace {

using Vec = std::vector<Rational>;
using Dense = std::vector<Vec>;

Dense zeros(std::size_t r, std::size_t c) { return Dense(r, Vec(c, Rational(0))); }

Matrix<Rational> mat(const Dense& m, std::size_t cols) {
    Matrix<Rational> out(m.size(), cols);
    for (std::size_t i = 0; i < m.size(); ++i)
        for (std::size_t j = 0; j < cols; ++j) out.at(i, j) = m[i][j];
    return out;
}

// ---- the reference: attention straight from the definition ----

struct RefHead {
    Dense Q, K, V, O;  // dk x d, dk x d, dv x d, d x dv
    Vec q0, k0, v0;
    Mask mask = Mask::None;
    std::optional<std::uint64_t> window;
    Rule rule = Rule::AverageHard;
};

struct RefEncoder {
    std::size_t d = 0;
    std::vector<std::vector<RefHead>> layers;
};

bool ref_allowed(Mask m, std::optional<std::uint64_t> w, std::size_t i, std::size_t j) {
    bool ok = false;
    switch (m) {
        case Mask::None: ok = true; break;
        case Mask::Past: ok = j < i; break;
        case Mask::PastOrSelf: ok = j <= i; break;
        case Mask::Future: ok = j > i; break;
        case Mask::FutureOrSelf: ok = j >= i; break;
    }
    std::size_t dist = i > j ? i - j : j - i;
    return ok && (!w || dist <= *w);
}

Vec ref_affine(const Dense& A, const Vec& b, const Vec& x) {
    Vec y(A.size());
    for (std::size_t r = 0; r < A.size(); ++r) {
        Rational acc = b[r];
        for (std::size_t c = 0; c < x.size(); ++c) acc += A[r][c] * x[c];
        y[r] = acc;
    }
    return y;
}

// a_i for every i, and |M_i| (|U_i| for uniform; 0 where U_i is empty).
Dense ref_attention(const RefHead& h, const Dense& X, std::vector<std::uint32_t>& selected) {
    const std::size_t n = X.size(), dv = h.V.size();
    Dense A = zeros(n, dv);
    selected.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::size_t> U;
        for (std::size_t j = 0; j < n; ++j)
            if (ref_allowed(h.mask, h.window, i, j)) U.push_back(j);
        if (U.empty()) continue;
        std::vector<std::size_t> M;
        if (h.rule == Rule::Uniform) {
            M = U;
        } else {
            Vec q = ref_affine(h.Q, h.q0, X[i]);
            Vec s;
            for (std::size_t j : U) {
                Vec k = ref_affine(h.K, h.k0, X[j]);
                Rational acc = 0;
                for (std::size_t c = 0; c < q.size(); ++c) acc += q[c] * k[c];
                s.push_back(acc);
            }
            Rational best = s[0];
            for (const Rational& x : s) best = x > best ? x : best;
            for (std::size_t t = 0; t < U.size(); ++t)
                if (s[t] == best) M.push_back(U[t]);
        }
        selected[i] = static_cast<std::uint32_t>(M.size());
        std::vector<std::size_t> use = M;
        if (h.rule == Rule::UniqueHardLeft) use = {M.front()};
        if (h.rule == Rule::UniqueHardRight) use = {M.back()};
        for (std::size_t j : use) {
            Vec v = ref_affine(h.V, h.v0, X[j]);
            for (std::size_t c = 0; c < dv; ++c) A[i][c] += v[c];
        }
        for (std::size_t c = 0; c < dv; ++c) A[i][c] /= Rational(static_cast<long long>(use.size()));
    }
    return A;
}

// Final state; selected[l][h] per position.
Dense ref_run(const RefEncoder& e, Dense X, std::vector<std::vector<std::vector<std::uint32_t>>>& selected) {
    selected.clear();
    for (const auto& layer : e.layers) {
        Dense Y = X;
        auto& sl = selected.emplace_back();
        for (const RefHead& h : layer) {
            Dense A = ref_attention(h, X, sl.emplace_back());
            for (std::size_t i = 0; i < X.size(); ++i)
                for (std::size_t r = 0; r < e.d; ++r)
                    for (std::size_t c = 0; c < A[i].size(); ++c) Y[i][r] += h.O[r][c] * A[i][c];
        }
        X = Y;
    }
    return X;
}

// ---- building encoders in C++ ----

Affine<Rational> affine(const Dense& A, const Vec& b, std::size_t cols) {
    return Affine<Rational>(Sparse<Rational>::from_dense(mat(A, cols)), b);
}

Head to_head(const RefHead& r, std::size_t d) {
    Head h;
    h.query = affine(r.Q, r.q0, d);
    h.key = affine(r.K, r.k0, d);
    h.value = affine(r.V, r.v0, d);
    h.output = Sparse<Rational>::from_dense(mat(r.O, r.V.size()));
    h.mask = r.mask;
    h.window = r.window;
    h.rule = r.rule;
    return h;
}

// Vector input, sequence readout of every coordinate.
Encoder vec_encoder(std::uint32_t d, std::vector<std::vector<Head>> layers) {
    Encoder enc;
    enc.d = d;
    for (auto& hs : layers) {
        Layer l;
        l.heads = std::move(hs);
        enc.layers.push_back(std::move(l));
    }
    for (std::uint32_t c = 0; c < d; ++c) enc.readout.coordinates.push_back(c);
    return enc;
}

Encoder to_encoder(const RefEncoder& r) {
    std::vector<std::vector<Head>> layers;
    for (const auto& l : r.layers) {
        auto& hs = layers.emplace_back();
        for (const RefHead& h : l) hs.push_back(to_head(h, r.d));
    }
    return vec_encoder(static_cast<std::uint32_t>(r.d), std::move(layers));
}

struct Gen {
    std::mt19937_64 rng;
    int kind;  // 0: integers in [-2, 2]; 1: rationals a/b, |a| <= 4, 1 <= b <= 3; 2: integers in [-5, 5]
    Gen(std::uint64_t seed, int k) : rng(seed), kind(k) {}
    long long below(long long k) { return static_cast<long long>(rng() % static_cast<std::uint64_t>(k)); }
    Rational value() {
        if (kind == 0) return Rational(below(5) - 2);
        if (kind == 2) return Rational(below(11) - 5);
        return Rational(below(9) - 4) / Rational(1 + below(3));
    }
    Vec vec(std::size_t n, bool maybe_zero = false) {
        Vec v(n, Rational(0));
        if (maybe_zero && below(2) == 0) return v;
        for (auto& x : v) x = value();
        return v;
    }
    Dense mat(std::size_t r, std::size_t c) {
        Dense m;
        for (std::size_t i = 0; i < r; ++i) m.push_back(vec(c));
        return m;
    }
};

RefHead random_ref_head(Gen& g, std::size_t d, Mask mask, std::optional<std::uint64_t> window, Rule rule) {
    RefHead h;
    std::size_t dk = rule == Rule::Uniform ? static_cast<std::size_t>(g.below(2)) : 1 + static_cast<std::size_t>(g.below(2));
    std::size_t dv = 1 + static_cast<std::size_t>(g.below(2));
    h.Q = g.mat(dk, d);
    h.q0 = g.vec(dk, true);
    h.K = g.below(4) == 0 ? zeros(dk, d) : g.mat(dk, d);  // constant keys: every allowed j ties
    h.k0 = g.vec(dk, true);
    h.V = g.mat(dv, d);
    h.v0 = g.vec(dv, true);
    h.O = g.mat(d, dv);
    h.mask = mask;
    h.window = window;
    h.rule = rule;
    return h;
}

const Mask kMasks[] = {Mask::None, Mask::Past, Mask::PastOrSelf, Mask::Future, Mask::FutureOrSelf};
const Rule kHardRules[] = {Rule::AverageHard, Rule::UniqueHardLeft, Rule::UniqueHardRight};
const Rule kRules[] = {Rule::AverageHard, Rule::UniqueHardLeft, Rule::UniqueHardRight, Rule::Uniform};
const std::optional<std::uint64_t> kWindows[] = {0, 1, 2, 5, std::nullopt};

// Runs exactly and compares state, readout and trace with the reference.
void check_against_reference(const RefEncoder& r, const Dense& X) {
    Encoder enc = to_encoder(r);
    std::vector<std::vector<std::vector<std::uint32_t>>> sel;
    Dense want = ref_run(r, X, sel);
    RunResult<Rational> got = run<Rational>(enc, mat(X, r.d));
    REQUIRE(got.state == mat(want, r.d));
    REQUIRE(got.outputs == mat(want, r.d));
    REQUIRE(got.trace.heads.size() == sel.size());
    for (std::size_t l = 0; l < sel.size(); ++l) {
        REQUIRE(got.trace.heads[l].size() == sel[l].size());
        for (std::size_t h = 0; h < sel[l].size(); ++h) REQUIRE(got.trace.heads[l][h].selected == sel[l][h]);
    }
}

// d = 3: coordinate 0 is the key (query is the constant 1), coordinate 1 the value, the head
// writes a_i into coordinate 2 (zero in the input).
RefHead tie_head(Rule rule, Mask mask, std::optional<std::uint64_t> window) {
    const Rational o(0), l(1);
    return RefHead{{{o, o, o}}, {{l, o, o}}, {{o, l, o}}, {{o}, {o}, {l}}, {l}, {o}, {o}, mask, window, rule};
}

Dense tie_input(const std::vector<long long>& keys, const std::vector<Rational>& values) {
    Dense X;
    for (std::size_t i = 0; i < keys.size(); ++i) X.push_back({Rational(keys[i]), values[i], Rational(0)});
    return X;
}

Vec column(const Matrix<Rational>& m, std::size_t c) {
    Vec v;
    for (std::size_t i = 0; i < m.rows; ++i) v.push_back(m.at(i, c));
    return v;
}

}  // namespace

TEST_CASE("tie rules on tied scores: mean, leftmost, rightmost of the argmax set", "[encoder]") {
    // keys 1 0 1 1 0 2 1: argmax over everything is {5}; over j<=i for i<5 it is {0,2,3} ∩ [0,i].
    const std::vector<long long> keys = {1, 0, 1, 1, 0, 2, 1};
    const Vec vals = {Rational(10), Rational(20), Rational(1, 3), Rational(-7), Rational(50), Rational(6), Rational(5, 2)};
    Dense X = tie_input(keys, vals);
    RefEncoder r{3, {{tie_head(Rule::AverageHard, Mask::PastOrSelf, std::nullopt)}}};

    r.layers[0][0].rule = Rule::AverageHard;
    RunResult<Rational> avg = run<Rational>(to_encoder(r), mat(X, 3));
    // i=0: {0} -> 10; i=1: {0} -> 10; i=2: {0,2} -> (10+1/3)/2 = 31/6; i=3,4: {0,2,3} -> (10+1/3-7)/3 = 10/9;
    // i=5,6: {5} -> 6.
    CHECK(column(avg.state, 2) == Vec{Rational(10), Rational(10), Rational(31, 6), Rational(10, 9), Rational(10, 9),
                                       Rational(6), Rational(6)});
    CHECK(avg.trace.heads[0][0].selected == std::vector<std::uint32_t>{1, 1, 2, 3, 3, 1, 1});

    r.layers[0][0].rule = Rule::UniqueHardLeft;
    RunResult<Rational> left = run<Rational>(to_encoder(r), mat(X, 3));
    CHECK(column(left.state, 2) == Vec{Rational(10), Rational(10), Rational(10), Rational(10), Rational(10), Rational(6), Rational(6)});
    CHECK(left.trace.heads[0][0].selected == std::vector<std::uint32_t>{1, 1, 2, 3, 3, 1, 1});

    r.layers[0][0].rule = Rule::UniqueHardRight;
    RunResult<Rational> right = run<Rational>(to_encoder(r), mat(X, 3));
    CHECK(column(right.state, 2) ==
          Vec{Rational(10), Rational(10), Rational(1, 3), Rational(-7), Rational(-7), Rational(6), Rational(6)});

    // Partial ties with j>=i and a window of 2: the argmax set is a strict subset of U_i.
    for (Rule rule : kRules) {
        r.layers[0][0] = tie_head(rule, Mask::FutureOrSelf, 2);
        check_against_reference(r, X);
    }
    r.layers[0][0] = tie_head(Rule::AverageHard, Mask::FutureOrSelf, 2);
    RunResult<Rational> w = run<Rational>(to_encoder(r), mat(X, 3));
    // i=1: U={1,2,3}, keys 0 1 1 -> M={2,3}: (1/3 - 7)/2 = -10/3.
    CHECK(w.state.at(1, 2) == Rational(-10, 3));
    CHECK(w.trace.heads[0][0].selected[1] == 2);

    // Random partial ties: keys in {0,1,2}, many seeds, all rules and masks, against the reference.
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        Gen g(seed, 1);
        std::size_t n = 2 + static_cast<std::size_t>(g.below(8));
        std::vector<long long> ks;
        Vec vs;
        for (std::size_t i = 0; i < n; ++i) ks.push_back(g.below(3)), vs.push_back(g.value());
        for (Rule rule : kHardRules)
            for (Mask m : kMasks) {
                r.layers[0][0] = tie_head(rule, m, std::nullopt);
                check_against_reference(r, tie_input(ks, vs));
            }
    }
}

TEST_CASE("an empty allowed set gives the zero vector and selected 0", "[encoder]") {
    const std::vector<long long> keys = {1, 0, 1, 2};
    const Vec vals = {Rational(3), Rational(4), Rational(5), Rational(6)};
    Dense X = tie_input(keys, vals);
    for (Rule rule : kRules) {
        RefHead h = tie_head(rule, Mask::Past, std::nullopt);
        h.v0 = {Rational(7)};  // a value bias: any chosen position would contribute a non-zero value
        RefEncoder r{3, {{h}}};
        RunResult<Rational> past = run<Rational>(to_encoder(r), mat(X, 3));
        CHECK(past.state.at(0, 2) == 0);
        CHECK(past.trace.heads[0][0].selected[0] == 0);
        CHECK(past.state.at(1, 2) == Rational(10));  // U = {0}: 3 + 7

        r.layers[0][0].mask = Mask::Future;
        RunResult<Rational> fut = run<Rational>(to_encoder(r), mat(X, 3));
        CHECK(fut.state.at(3, 2) == 0);
        CHECK(fut.trace.heads[0][0].selected[3] == 0);

        for (Mask m : {Mask::Past, Mask::Future}) {
            r.layers[0][0].mask = m;
            r.layers[0][0].window = 0;  // |i-j| <= 0 and j != i: empty everywhere
            RunResult<Rational> w0 = run<Rational>(to_encoder(r), mat(X, 3));
            CHECK(column(w0.state, 2) == Vec(4, Rational(0)));
            CHECK(w0.trace.heads[0][0].selected == std::vector<std::uint32_t>(4, 0));
            RunResult<double> wd = run<double>(to_encoder(r), convert<double>(mat(X, 3)));
            for (std::size_t i = 0; i < 4; ++i) CHECK(wd.state.at(i, 2) == 0.0);
        }
        // A single position with j<i or j>i: nothing allowed.
        r.layers[0][0].window.reset();
        RunResult<Rational> one = run<Rational>(to_encoder(r), mat(Dense{X[0]}, 3));
        CHECK(one.state.at(0, 2) == 0);
        CHECK(one.trace.heads[0][0].selected == std::vector<std::uint32_t>{0});
    }
}

TEST_CASE("every mask, window and rule against the reference on n = 1..9", "[encoder]") {
    std::size_t runs = 0;
    for (int kind : {0, 1})
        for (Rule rule : kRules)
            for (Mask mask : kMasks)
                for (auto window : kWindows)
                    for (std::size_t n = 1; n <= 9; ++n)
                        for (std::uint64_t s = 0; s < 2; ++s) {
                            std::uint64_t seed = 1000003ULL * n + 7919ULL * s + 104729ULL * static_cast<std::uint64_t>(kind) +
                                                 31ULL * static_cast<std::uint64_t>(rule) + 5ULL * static_cast<std::uint64_t>(mask) +
                                                 (window ? *window : 99);
                            Gen g(seed, kind);
                            RefEncoder r{3, {{random_ref_head(g, 3, mask, window, rule)}}};
                            check_against_reference(r, g.mat(n, 3));
                            ++runs;
                        }
    CHECK(runs == 2 * 4 * 5 * 5 * 9 * 2);
}

TEST_CASE("multi-layer multi-head encoders against the reference", "[encoder]") {
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        Gen g(seed * 2654435761ULL, static_cast<int>(seed % 2));
        RefEncoder r{2 + static_cast<std::size_t>(g.below(3)), {}};
        std::size_t L = 1 + static_cast<std::size_t>(g.below(3));
        for (std::size_t l = 0; l < L; ++l) {
            auto& layer = r.layers.emplace_back();
            std::size_t H = static_cast<std::size_t>(g.below(3));
            for (std::size_t h = 0; h < H; ++h)
                layer.push_back(random_ref_head(g, r.d, kMasks[g.below(5)], kWindows[g.below(5)], kRules[g.below(4)]));
        }
        check_against_reference(r, g.mat(1 + static_cast<std::size_t>(g.below(9)), r.d));
    }
}

TEST_CASE("sign(0) = 0 in feed-forward circuits: an acceptance score of exactly 0 rejects", "[encoder]") {
    Encoder enc = vec_encoder(2, {{}});
    FeedForward f;
    f.circuit = read_circuit("input x\nt = sign x\noutput t\n", "sign.circ");
    f.reads = {0};
    f.writes = {1};
    enc.layers[0].ffn = f;
    const Vec xs = {Rational(-3), Rational(-1, 1000), Rational(0), Rational(1, 1000), Rational(5)};
    const Vec want = {Rational(0), Rational(0), Rational(0), Rational(1), Rational(1)};
    Dense X;
    for (const auto& x : xs) X.push_back({x, Rational(0)});
    RunResult<Rational> e = run<Rational>(enc, mat(X, 2));
    CHECK(column(e.state, 1) == want);
    CHECK(column(e.state, 0) == xs);
    RunResult<double> dbl = run<double>(enc, convert<double>(mat(X, 2)));
    for (std::size_t i = 0; i < xs.size(); ++i) CHECK(dbl.state.at(i, 1) == want[i].convert_to<double>());

    Encoder acc = vec_encoder(1, {});
    acc.readout = Readout{};
    acc.readout.kind = Readout::Kind::Accept;
    acc.readout.weights = {Rational(2)};
    acc.readout.bias = Rational(-1);
    auto accept = [&](const Rational& x) {
        RunResult<Rational> r = run<Rational>(acc, mat(Dense{{Rational(7)}, {x}}, 1));
        RunResult<double> d = run<double>(acc, convert<double>(mat(Dense{{Rational(7)}, {x}}, 1)));
        CHECK(d.accepted == r.accepted);
        CHECK(d.score == r.score.convert_to<double>());
        return std::make_pair(*r.accepted, r.score);
    };
    CHECK(accept(Rational(1, 2)) == std::make_pair(false, Rational(0)));  // 2 * 1/2 - 1 = 0: reject
    // Dyadic inputs, so that the double run is exact too.
    CHECK(accept(Rational(513, 1024)) == std::make_pair(true, Rational(1, 512)));
    CHECK(accept(Rational(511, 1024)) == std::make_pair(false, Rational(-1, 512)));
    acc.readout.at_last = false;  // first position: 2 * 7 - 1 = 13
    CHECK(accept(Rational(1, 2)) == std::make_pair(true, Rational(13)));
}

TEST_CASE("exact and double runs agree on tie-free programs", "[encoder]") {
    std::size_t tie_free = 0;
    for (std::uint64_t seed = 1; seed <= 600; ++seed) {
        Gen g(seed * 11400714819323198485ULL, 2);
        RefEncoder r{3, {}};
        for (std::size_t l = 0; l < 2; ++l) {
            auto& layer = r.layers.emplace_back();
            for (std::size_t h = 0, H = 1 + static_cast<std::size_t>(g.below(2)); h < H; ++h) {
                RefHead head = random_ref_head(g, 3, kMasks[g.below(5)], kWindows[g.below(5)], kHardRules[g.below(3)]);
                head.K = g.mat(head.K.size(), 3);
                layer.push_back(head);
            }
        }
        Encoder enc = to_encoder(r);
        Matrix<Rational> X = mat(g.mat(1 + static_cast<std::size_t>(g.below(9)), 3), 3);
        RunResult<Rational> e = run<Rational>(enc, X);
        bool ok = true;
        for (const auto& layer : e.trace.heads)
            for (const auto& h : layer)
                for (auto s : h.selected) ok = ok && s <= 1;
        if (!ok) continue;
        ++tie_free;
        RunResult<double> d = run<double>(enc, convert<double>(X));
        REQUIRE(d.state == convert<double>(e.state));
        for (std::size_t l = 0; l < 2; ++l)
            for (std::size_t h = 0; h < e.trace.heads[l].size(); ++h)
                REQUIRE(d.trace.heads[l][h].selected == e.trace.heads[l][h].selected);
        CHECK(d.trace.tie_tolerance == 1e-9);
    }
    CHECK(tie_free >= 100);
}

TEST_CASE("uniform heads: double within relative 1e-12 of exact: documented tie tolerances", "[encoder]") {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        Gen g(seed + 77, 1);
        RefEncoder r{3, {}};
        for (std::size_t l = 0; l < 3; ++l)
            r.layers.push_back({random_ref_head(g, 3, kMasks[g.below(5)], kWindows[g.below(5)], Rule::Uniform),
                                random_ref_head(g, 3, kMasks[g.below(5)], kWindows[g.below(5)], Rule::Uniform)});
        Encoder enc = to_encoder(r);
        Matrix<Rational> X = mat(g.mat(1 + static_cast<std::size_t>(g.below(9)), 3), 3);
        RunResult<Rational> e = run<Rational>(enc, X);
        RunResult<double> d = run<double>(enc, convert<double>(X));
        CHECK(e.trace.tie_tolerance == 0.0);
        CHECK(d.trace.tie_tolerance == 1e-9);  // default_tie_tolerance<double>()
        for (std::size_t k = 0; k < e.state.data.size(); ++k) {
            const Rational& x = e.state.data[k];
            Rational err = abs(Rational(d.state.data[k]) - x);
            Rational scale = abs(x) > 1 ? Rational(abs(x)) : Rational(1);
            REQUIRE(err <= Rational(1, 1000000000000LL) * scale);
        }
        for (std::size_t l = 0; l < 3; ++l)
            for (std::size_t h = 0; h < 2; ++h) REQUIRE(d.trace.heads[l][h].selected == e.trace.heads[l][h].selected);
    }
    STATIC_REQUIRE(default_tie_tolerance<Rational>() == 0.0);
    STATIC_REQUIRE(default_tie_tolerance<double>() == 1e-9);
    STATIC_REQUIRE(default_tie_tolerance<float>() == 1e-4);
    Encoder enc = vec_encoder(1, {});
    Matrix<Rational> one(1, 1);
    CHECK(run<float>(enc, convert<float>(one)).trace.tie_tolerance == 1e-4);
    RunOptions o;
    o.tie_tolerance = 0.5;
    CHECK(run<double>(enc, convert<double>(one), o).trace.tie_tolerance == 0.5);
    CHECK(run<Rational>(enc, one, o).trace.tie_tolerance == 0.0);
}

TEST_CASE("RunOptions: stop_after matches recorded states: stop_after too large throws", "[encoder]") {
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        Gen g(seed, 1);
        RefEncoder r{3, {}};
        std::size_t L = 1 + static_cast<std::size_t>(g.below(4));
        for (std::size_t l = 0; l < L; ++l)
            r.layers.push_back({random_ref_head(g, 3, kMasks[g.below(5)], kWindows[g.below(5)], kRules[g.below(4)])});
        Encoder enc = to_encoder(r);
        Matrix<Rational> X = mat(g.mat(1 + static_cast<std::size_t>(g.below(6)), 3), 3);
        RunOptions all;
        all.record_states = true;
        RunResult<Rational> full = run<Rational>(enc, X, all);
        REQUIRE(full.trace.states.size() == L + 1);
        CHECK(full.trace.states[0] == X);
        CHECK(full.trace.states[L] == full.state);
        CHECK(full.layers_run == L);
        for (std::size_t k = 0; k <= L; ++k) {
            RunOptions o;
            o.stop_after = k;
            RunResult<Rational> part = run<Rational>(enc, X, o);
            CHECK(part.state == full.trace.states[k]);
            CHECK(part.outputs == full.trace.states[k]);
            CHECK(part.layers_run == k);
            CHECK(part.trace.heads.size() == k);
            CHECK(part.trace.states.empty());
        }
        RunOptions over;
        over.stop_after = L + 1;
        CHECK_THROWS_AS(run<Rational>(enc, X, over), InputError);
        CHECK_THROWS_AS(run<double>(enc, convert<double>(X), over), InputError);
    }
}

TEST_CASE("RunOptions: max_bits turns runaway growth into an InputError", "[encoder]") {
    // x' = x + (x*x - x) = x^2 each layer: after 10 layers x = 3^(2^10).
    Encoder enc = vec_encoder(1, std::vector<std::vector<Head>>(10));
    FeedForward f;
    f.circuit = read_circuit("input x\ns = mul x x\nt = sub s x\noutput t\n", "square.circ");
    f.reads = {0};
    f.writes = {0};
    for (auto& l : enc.layers) l.ffn = f;
    Matrix<Rational> X(1, 1);
    X.at(0, 0) = 3;
    Integer want = 1;
    for (int k = 0; k < 1024; ++k) want *= 3;
    const std::size_t bits = mpz_sizeinbase(want.backend().data(), 2) + 1;  // numerator + denominator 1
    RunOptions o;
    o.max_bits = bits;
    RunResult<Rational> ok = run<Rational>(enc, X, o);
    CHECK(ok.state.at(0, 0) == Rational(want));
    o.max_bits = bits - 1;
    CHECK_THROWS_AS(run<Rational>(enc, X, o), InputError);
    o.max_bits = 64;
    try {
        run<Rational>(enc, X, o);
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("bits"));
        // 3^64 (102 bits) is the first value over 64 bits: the square gate of layer 6
        CHECK_THAT(e.what(), Catch::Contains("feed-forward circuit of layer 6 of 10, position 0: gate 's'"));
    }
    o.max_bits = 0;  // no limit
    CHECK(run<Rational>(enc, X, o).state.at(0, 0) == Rational(want));
    RunOptions first;
    first.stop_after = 3;
    first.max_bits = 64;  // 3^8 needs 13 + 1 bits
    CHECK(run<Rational>(enc, X, first).state.at(0, 0) == Rational(6561));
}

TEST_CASE("RunOptions: max_bits checks what each layer writes: heads' outputs and feed-forward sums", "[encoder]") {
    // d = 4. Layer 1: a head (all keys tie) copies coordinate 0 into coordinate 2 times 2^300,
    // and a feed-forward part adds coordinate 3 to itself (its gates stay under the limits
    // used), which can need one bit more than the gates. Coordinate 1 is never written.
    const Rational p300(Integer(1) << 300), p250(Integer(1) << 250);
    RefHead h;
    h.Q = {{0, 0, 0, 0}};
    h.K = {{0, 0, 0, 0}};
    h.V = {{1, 0, 0, 0}};
    h.q0 = h.k0 = h.v0 = {0};
    h.O = {{0}, {0}, {p300}, {0}};
    FeedForward f;
    f.circuit = read_circuit("input x\nconst one = 1\nt = mul x one\noutput t\n", "copy.circ");
    f.reads = {3};
    f.writes = {3};
    Encoder enc = vec_encoder(4, {{to_head(h, 4)}});
    enc.layers[0].ffn = f;
    h.O = {{0}, {0}, {0}, {0}};
    Encoder quiet = vec_encoder(4, {{to_head(h, 4)}});  // the head writes zeros
    quiet.layers[0].ffn = f;
    for (int threads : {1, 2}) {
        auto message = [&](const Encoder& e, std::size_t max_bits, const Matrix<Rational>& in) {
            RunOptions o;
            o.max_bits = max_bits;
            o.threads = threads;
            try {
                run<Rational>(e, in, o);
            } catch (const InputError& err) {
                return std::string(err.what());
            }
            return std::string("no error");
        };
        Matrix<Rational> X(300, 4);
        for (std::size_t i = 0; i < X.rows; ++i) X.at(i, 0) = 1, X.at(i, 1) = Rational(Integer(1) << 255);
        // 2^300 needs 301 + 1 bits (numerator and denominator)
        CHECK(message(enc, 302, X) == "no error");
        CHECK_THAT(message(enc, 280, X), Catch::Contains("after 1 layer: position 0 coordinate 2 needs 302 bits"));
        // 2^250 (252 bits) and the gate's copy of it pass 252; their sum 2^251 does not.
        for (std::size_t i = 0; i < X.rows; ++i) X.at(i, 1) = 1;
        X.at(7, 3) = p250;
        CHECK_THAT(message(quiet, 252, X), Catch::Contains("after 1 layer: position 7 coordinate 3 needs 253 bits"));
        CHECK(message(quiet, 253, X) == "no error");
        X.at(5, 1) = Rational(Integer(1) << 260);  // never written: the input's check names it
        CHECK_THAT(message(quiet, 253, X), Catch::Contains("position 5 coordinate 1 needs 262 bits"));
    }
}

TEST_CASE("small-integer fast path and GMP path agree (apply, apply_add, dot)", "[encoder]") {
    const Integer two62 = Integer(1) << 62;
    std::mt19937_64 rng(4242);
    auto pick = [&](int regime) -> Rational {
        long long r = static_cast<long long>(rng() % 1000);
        bool neg = rng() % 2 == 0;
        Rational v;
        switch (regime) {
            case 0: v = Rational(r - 500); break;                              // small
            case 1: v = Rational(two62 - 1 - r); break;                        // largest small ints: i128 overflow
            case 2: v = Rational(two62 + r); break;                            // just above the fast range
            case 3: v = Rational(r - 500, 1 + static_cast<long long>(rng() % 9)); break;  // rationals
            default: v = Rational(two62 - 1 - r) / Rational(1 + static_cast<long long>(rng() % 3)); break;
        }
        return regime == 1 ? v : (neg ? Rational(-v) : v);  // regime 1: one sign, so sums overflow
    };
    std::size_t overflowed = 0;
    for (std::uint64_t t = 0; t < 400; ++t) {
        const int ra = static_cast<int>(t % 5), rx = static_cast<int>((t / 5) % 5);
        const std::size_t rows = 1 + rng() % 3, cols = 1 + rng() % 12;
        Dense A = zeros(rows, cols);
        for (auto& row : A)
            for (auto& v : row) v = rng() % 5 == 0 ? Rational(0) : pick(ra);
        Vec b(rows), x(cols), y0(rows);
        for (auto& v : b) v = pick(ra);
        for (auto& v : x) v = pick(rx);
        for (auto& v : y0) v = pick(rx);
        Affine<Rational> f = affine(A, b, cols);
        Vec y(rows), yadd = y0;
        apply(f, x.data(), y.data());
        apply_add(f.A, x.data(), yadd.data());
        for (std::size_t r = 0; r < rows; ++r) {
            Rational acc = 0;
            for (std::size_t c = 0; c < cols; ++c) acc += A[r][c] * x[c];
            REQUIRE(y[r] == acc + b[r]);
            REQUIRE(yadd[r] == acc + y0[r]);
            if (abs(acc) > Rational(Integer(1) << 127)) ++overflowed;
            REQUIRE(dot(A[r].data(), x.data(), cols) == acc);
        }
    }
    CHECK(overflowed > 0);  // the i128 overflow fallback was exercised
    // Intermediate overflow that cancels: 9 * (2^62-1)^2 > 2^127, then minus the same.
    Vec a(18, Rational(two62 - 1)), z(18, Rational(two62 - 1));
    for (std::size_t k = 9; k < 18; ++k) z[k] = -z[k];
    CHECK(dot(a.data(), z.data(), 18) == 0);
    a[17] = Rational(two62 - 2);
    CHECK(dot(a.data(), z.data(), 18) == Rational(two62 - 1));
    // Scores that overflow i128 inside the interpreter: Q = K = identity (dk = 10 > 8),
    // entries near 2^62, so a score is about 10 * 2^124 > 2^127.
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        std::mt19937_64 g(seed);
        RefHead h{zeros(10, 10), zeros(10, 10), zeros(1, 10), zeros(10, 1), Vec(10, Rational(0)), Vec(10, Rational(0)),
                  {Rational(0)}, kMasks[seed % 5], std::nullopt, kHardRules[seed % 3]};
        for (std::size_t k = 0; k < 10; ++k) h.Q[k][k] = h.K[k][k] = 1;
        h.V[0][0] = h.O[1][0] = 1;
        Dense X;
        for (std::size_t i = 0; i < 1 + g() % 6; ++i) {
            Vec row(10);
            for (auto& v : row) v = Rational(two62 - 1 - static_cast<long long>(g() % 3));
            X.push_back(row);
        }
        check_against_reference(RefEncoder{10, {{h}}}, X);
    }
}
