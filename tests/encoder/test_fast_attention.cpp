// The structured attention path (fast_attention.hpp) against brute force and against the
// dense interpreter: identical argmax sets, states and traces, ties included; over all
// positions and over intervals (masked and windowed heads: every rule, mask and window).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "encoder/fast_attention.hpp"
#include "encoder/interpreter.hpp"
#include "random_heads.hpp"

using namespace ahat;
using namespace ahat_test;

namespace {

// Keys of n positions in dk dimensions lying in an affine space of dimension `dim` (0..2),
// with coordinates from a small range so that duplicates, collinear points and ties abound;
// dim 3 gives keys in general position (the index must refuse them when dk >= 3).
Matrix<Rational> structured_keys(std::mt19937_64& rng, std::size_t n, std::size_t dk, int dim, bool integer) {
    std::vector<std::vector<Rational>> basis;
    for (int b = 0; b <= std::min(dim, 2); ++b) {
        std::vector<Rational> v(dk);
        for (auto& x : v) x = small_rational(rng, 3, integer);
        basis.push_back(v);
    }
    Matrix<Rational> K(n, dk);
    for (std::size_t j = 0; j < n; ++j) {
        Rational a = small_rational(rng, 2, true), b = small_rational(rng, 2, true);
        for (std::size_t c = 0; c < dk; ++c) {
            K.at(j, c) = basis[0][c];
            if (dim >= 1) K.at(j, c) += a * basis[1][c];
            if (dim >= 2) K.at(j, c) += b * basis[2][c];
            if (dim >= 3) K.at(j, c) += small_rational(rng, 2, integer);
        }
    }
    return K;
}

std::vector<std::uint32_t> brute_argmax(const Matrix<Rational>& K, const std::vector<Rational>& q) {
    std::vector<Rational> s(K.rows);
    for (std::size_t j = 0; j < K.rows; ++j) s[j] = dot(q.data(), K.row(j), K.cols);
    Rational best = *std::max_element(s.begin(), s.end());
    std::vector<std::uint32_t> out;
    for (std::size_t j = 0; j < K.rows; ++j)
        if (s[j] == best) out.push_back(static_cast<std::uint32_t>(j));
    return out;
}

// The positions in [lo, hi] whose key maximises <q, k> over [lo, hi]; *all_tie when every
// key there scores alike.
std::vector<std::uint32_t> brute_argmax_in(const Matrix<Rational>& K, const std::vector<Rational>& q, std::size_t lo,
                                           std::size_t hi, bool* all_tie) {
    std::vector<Rational> s;
    for (std::size_t j = lo; j <= hi; ++j) s.push_back(dot(q.data(), K.row(j), K.cols));
    const Rational best = *std::max_element(s.begin(), s.end());
    std::vector<std::uint32_t> out;
    for (std::size_t j = lo; j <= hi; ++j)
        if (s[j - lo] == best) out.push_back(static_cast<std::uint32_t>(j));
    *all_tie = std::all_of(s.begin(), s.end(), [&](const Rational& v) { return v == s[0]; });
    return out;
}

// The positions in [lo, hi] of the groups `got`, ascending; every group must have one there.
std::vector<std::uint32_t> members_in_interval(const KeyIndex& index, const std::vector<std::uint32_t>& got,
                                               std::size_t lo, std::size_t hi) {
    std::vector<std::uint32_t> members;
    for (auto g : got) {
        const auto [a, b] = index.members_in(g, static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi));
        REQUIRE(a < b);
        const auto& m = index.group(g).members;
        members.insert(members.end(), m.begin() + static_cast<std::ptrdiff_t>(a), m.begin() + static_cast<std::ptrdiff_t>(b));
    }
    std::sort(members.begin(), members.end());
    return members;
}

// One-hot keys over V symbols, scaled by `scale`: few distinct keys spanning V - 1 dimensions.
Matrix<Rational> one_hot_keys(std::mt19937_64& rng, std::size_t n, std::size_t V, const Rational& scale) {
    Matrix<Rational> K(n, V);
    for (std::size_t j = 0; j < n; ++j) K.at(j, rng() % V) = scale;
    return K;
}

// Keys in a few classes, each in a plane of its own but together spanning more: a class
// coordinate of few values (a one-hot part, a beginning-of-sequence flag), then a point of a
// parabola (t, t^2) and a coordinate mixing the class and t, as compiled programs have; with
// `fractions`, t is replaced by 1/(t+1) (denominators that grow with n).
Matrix<Rational> class_keys(std::mt19937_64& rng, std::size_t n, std::size_t classes, bool fractions) {
    Matrix<Rational> K(n, 4);
    for (std::size_t j = 0; j < n; ++j) {
        const auto c = static_cast<long long>(rng() % classes);
        const auto t0 = static_cast<long long>(rng() % (2 * n + 20)) - 10;
        const Rational t = fractions ? Rational(Integer(1), Integer(std::abs(t0) + 1)) : Rational(t0);
        K.at(j, 0) = Rational(c);
        K.at(j, 1) = t;
        K.at(j, 2) = t * t;
        K.at(j, 3) = t * t + Rational(c) * t - Rational(c, 2);
    }
    return K;
}

}  // namespace

TEST_CASE("KeyIndex argmax over intervals equals brute force, ties included", "[encoder][fast]") {
    std::mt19937_64 rng(4242);
    std::size_t queries = 0, multi_group_ties = 0, all_ties = 0, scanned = 0, classed = 0, refused = 0;
    for (int trial = 0; trial < 500; ++trial) {
        const std::size_t n = 1 + rng() % 90, dk = 1 + rng() % 4;
        // 0..2: keys in a point, line, plane; 3, 4: one-hot; 5, 6: classes of planes
        const int kind = static_cast<int>(rng() % 7);
        const bool integer = rng() % 2;
        const Matrix<Rational> K =
            kind <= 2   ? structured_keys(rng, n, dk, kind, integer)
            : kind <= 4 ? one_hot_keys(rng, n, 3 + rng() % 4, kind == 3 ? Rational(1) : Rational(-2, 3))
                        : class_keys(rng, n, 1 + rng() % 4, kind == 6);
        const auto index = KeyIndex::build(K, true);
        if (kind >= 5 && !index) {  // a part of the plane coordinates took few values: too many classes
            ++refused;
            continue;
        }
        REQUIRE(index.has_value());
        if (kind >= 5 && index->groups() > 16) ++classed;
        REQUIRE(index->has_intervals());
        if (kind >= 3 && index->groups() >= 4) ++scanned;
        std::vector<std::uint32_t> got;
        for (int qi = 0; qi < 25; ++qi) {
            // prefixes and suffixes (masks), short windows, and arbitrary intervals
            std::size_t lo = rng() % n, hi = rng() % n;
            if (lo > hi) std::swap(lo, hi);
            if (qi % 5 == 0) lo = 0;
            if (qi % 5 == 1) hi = n - 1;
            if (qi % 5 == 2) hi = std::min(n - 1, lo + rng() % 3);
            std::vector<Rational> q(K.cols);
            if (qi % 3 == 0 && K.cols >= 2) {  // orthogonal to a key difference: ties
                const std::size_t a = lo + rng() % (hi - lo + 1), b = lo + rng() % (hi - lo + 1);
                q[0] = K.at(b, 1) - K.at(a, 1);
                q[1] = K.at(a, 0) - K.at(b, 0);
            } else if (qi % 7 == 1) {
                // the zero query: every key ties
            } else {
                for (auto& x : q) x = small_rational(rng, 4, integer || qi % 2);
            }
            bool all_tie = false;
            const auto want = brute_argmax_in(K, q, lo, hi, &all_tie);
            const bool found = index->argmax(q.data(), static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), got);
            ++queries;
            if (!found) {  // only when every allowed key ties, and then out is empty
                REQUIRE(all_tie);
                REQUIRE(got.empty());
                ++all_ties;
                continue;
            }
            REQUIRE(std::is_sorted(got.begin(), got.end()));
            REQUIRE(members_in_interval(*index, got, lo, hi) == want);
            if (got.size() > 1) ++multi_group_ties;
        }
    }
    CHECK(queries + refused * 25 == 500 * 25);
    CHECK(refused < 10);
    CHECK(multi_group_ties > 300);
    CHECK(all_ties > 300);
    CHECK(scanned > 50);
    CHECK(classed > 50);  // more than 16 distinct keys beyond a plane: only classes index them
}

TEST_CASE("long chains: the guided chain search equals brute force, ties included", "[encoder][fast]") {
    // Hundreds of chain vertices, where the search guesses the crossing by interpolation:
    // evenly spread slopes (a parabola over consecutive integers: compiled pointer heads),
    // uneven ones (spread points, a cubic), a line (everything ties), each over all positions
    // and over intervals.
    std::mt19937_64 rng(9090);
    std::size_t queries = 0, ties = 0;
    for (int trial = 0; trial < 16; ++trial) {
        const int shape = trial % 4;
        const std::size_t n = 300 + rng() % 700;
        Matrix<Rational> K(n, 2);
        for (std::size_t j = 0; j < n; ++j) {
            const long long b = shape == 0 ? static_cast<long long>(j) - static_cast<long long>(n / 2)
                                           : static_cast<long long>(rng() % 200001) - 100000;
            K.at(j, 0) = Rational(b);
            K.at(j, 1) = shape <= 1 ? Rational(b * b) : shape == 2 ? Rational(b * b * b) : Rational(3 * b + 1);
        }
        const bool intervals = trial % 8 >= 4;
        const auto index = KeyIndex::build(K, intervals);
        REQUIRE(index.has_value());
        std::vector<std::uint32_t> got;
        for (int qi = 0; qi < 60; ++qi) {
            std::size_t lo = 0, hi = n - 1;
            if (intervals) {
                lo = rng() % n, hi = rng() % n;
                if (lo > hi) std::swap(lo, hi);
            }
            std::vector<Rational> q(2);
            const long long dys[] = {-1, 1, -3, 2, 0};
            q[1] = Rational(dys[qi % 5]);
            // (2b + 1, -1) against the parabola ties b and b + 1; (-3 dy, dy) ties the line
            if (shape <= 1) q[0] = 2 * K.at(rng() % n, 0) + qi % 2;
            else if (shape == 3 && qi % 4 == 0) q[0] = Rational(3 * -dys[qi % 5]);
            else q[0] = Rational(static_cast<long long>(rng() % 400001) - 200000);
            if (q[0] == 0 && q[1] == 0) q[1] = 1;
            bool all_tie = false;
            const auto want = brute_argmax_in(K, q, lo, hi, &all_tie);
            const bool found = index->argmax(q.data(), static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), got);
            ++queries;
            REQUIRE(found);
            REQUIRE(members_in_interval(*index, got, lo, hi) == want);
            if (want.size() > 1) ++ties;
        }
    }
    CHECK(queries == 16 * 60);
    CHECK(ties > 40);
}

TEST_CASE("rational chains: homogeneous and GMP arithmetic equal brute force, ties included", "[encoder][fast]") {
    // The parabola of a compiled width-decoding head, keys (2/j, -1/j^2, -1): <q, k> is
    // largest at the 1/j nearest q0/q1. With j from 1, the points are homogeneous
    // (X, Y, D) = (2j, -1, j^2); with j from 2^40 their denominators pass 2^62 and the chains
    // fall back to GMP. Queries aim between two neighbours (a tie of distinct keys), at a key,
    // anywhere, or with components too large for the 128-bit path; over all positions and
    // over intervals, with keys shuffled or in order.
    // Also clouds of points with small random denominators (interior points, collinear
    // runs), whose lcm is too large to scale them to integers: homogeneous, not convex.
    std::mt19937_64 rng(31337);
    std::size_t queries = 0, ties = 0, homogeneous = 0, rational = 0, clouds = 0;
    for (int trial = 0; trial < 36; ++trial) {
        const int shape = trial % 3;  // 0: parabola from 1, 1: cloud, 2: parabola from 2^40
        const std::size_t n = 50 + rng() % 400;
        const Integer base = shape == 2 ? Integer(1) << 40 : Integer(1);
        std::vector<Integer> js(n);
        for (std::size_t t = 0; t < n; ++t) js[t] = base + static_cast<long>(t);
        if (trial % 2) std::shuffle(js.begin(), js.end(), rng);
        if (trial % 4 == 1) js[n / 2] = js[n / 3];  // a repeated key: a group of two
        Matrix<Rational> K(n, 3);
        for (std::size_t t = 0; t < n; ++t) {
            if (shape == 1) {
                K.at(t, 0) = Rational(static_cast<long>(rng() % 9) - 4, static_cast<long>(1 + rng() % 60));
                K.at(t, 1) = Rational(static_cast<long>(rng() % 9) - 4, static_cast<long>(1 + rng() % 60));
                if (t % 5 == 0) K.at(t, 1) = K.at(t, 0) / 3;  // a collinear run
                K.at(t, 2) = K.at(t, 0) + 2 * K.at(t, 1) - Rational(1, 3);
                continue;
            }
            K.at(t, 0) = Rational(Integer(2), js[t]);
            K.at(t, 1) = Rational(Integer(-1), js[t] * js[t]);
            K.at(t, 2) = Rational(-1);
        }
        const bool intervals = trial % 4 >= 2;
        const auto index = KeyIndex::build(K, intervals);
        REQUIRE(index.has_value());
        REQUIRE(index->arithmetic().size() == 1);
        const auto kind = index->arithmetic()[0];
        if (shape == 0) REQUIRE(kind == KeyIndex::Arithmetic::homogeneous);
        if (shape == 2) REQUIRE(kind == KeyIndex::Arithmetic::rational);
        homogeneous += kind == KeyIndex::Arithmetic::homogeneous;
        rational += kind == KeyIndex::Arithmetic::rational;
        clouds += shape == 1 && kind == KeyIndex::Arithmetic::homogeneous;
        std::vector<std::uint32_t> got;
        for (int qi = 0; qi < 40; ++qi) {
            std::size_t lo = 0, hi = n - 1;
            if (intervals) {
                lo = rng() % n, hi = rng() % n;
                if (lo > hi) std::swap(lo, hi);
            }
            const Integer j = base + static_cast<long>(rng() % n);
            std::vector<Rational> q(3);
            q[1] = Rational(static_cast<long>(1 + rng() % 5));
            if (shape == 1 && qi % 4 <= 1) {  // orthogonal to a key difference: ties
                const std::size_t a = lo + rng() % (hi - lo + 1), b = lo + rng() % (hi - lo + 1);
                q[0] = K.at(b, 1) - K.at(a, 1);
                q[1] = K.at(a, 0) - K.at(b, 0);
            } else if (qi % 4 == 0) {
                q[0] = q[1] * (Rational(Integer(1), j) + Rational(Integer(1), j + 1)) / 2;  // ties j, j + 1
            } else if (qi % 4 == 1) {
                q[0] = q[1] / Rational(j);
            } else if (qi % 4 == 2) {
                q[0] = Rational(static_cast<long>(rng() % 1000) - 500, static_cast<long>(1 + rng() % 997));
            } else {  // too large for the 128-bit path
                q[0] = Rational((Integer(1) << 70) + static_cast<long>(rng() % 1000), Integer(1) << 71) * q[1] / Rational(j);
            }
            if (qi % 8 == 7) q[1] = -q[1];  // the lower chain
            q[2] = shape == 1 ? Rational(0) : Rational(static_cast<long>(rng() % 5));
            bool all_tie = false;
            const auto want = brute_argmax_in(K, q, lo, hi, &all_tie);
            const bool found = index->argmax(q.data(), static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), got);
            ++queries;
            if (!found) {  // only when every allowed key ties
                REQUIRE(all_tie);
                continue;
            }
            REQUIRE(members_in_interval(*index, got, lo, hi) == want);
            if (got.size() > 1) ++ties;
        }
    }
    CHECK(queries == 36 * 40);
    CHECK(ties > 80);
    CHECK(homogeneous >= 20);  // the 12 parabolas and most clouds
    CHECK(clouds >= 8);
    CHECK(rational == 12);
}

TEST_CASE("KeyIndex argmax equals brute force, ties between distinct keys included", "[encoder][fast]") {
    std::mt19937_64 rng(2024);
    std::size_t built = 0, refused = 0, multi_group_ties = 0;
    for (int trial = 0; trial < 600; ++trial) {
        const std::size_t n = 1 + rng() % 40, dk = 1 + rng() % 4;
        const int dim = static_cast<int>(rng() % 4);
        const bool integer = rng() % 2;
        Matrix<Rational> K = structured_keys(rng, n, dk, dim, integer);
        auto index = KeyIndex::build(K);
        if (!index) {
            ++refused;
            CHECK(dk >= 3);
            continue;
        }
        ++built;
        std::vector<std::uint32_t> got;
        for (int qi = 0; qi < 12; ++qi) {
            std::vector<Rational> q(dk);
            if (qi % 3 == 0 && n >= 2) {
                // a direction orthogonal (in the first two coordinates) to a key difference: ties
                std::size_t a = rng() % n, b = rng() % n;
                q.assign(dk, Rational(0));
                if (dk >= 2) {
                    q[0] = K.at(b, 1) - K.at(a, 1);
                    q[1] = K.at(a, 0) - K.at(b, 0);
                }
            } else {
                for (auto& x : q) x = small_rational(rng, 4, integer);
            }
            index->argmax(q.data(), got);
            std::vector<std::uint32_t> members;
            for (auto g : got)
                members.insert(members.end(), index->group(g).members.begin(), index->group(g).members.end());
            std::sort(members.begin(), members.end());
            REQUIRE(members == brute_argmax(K, q));
            if (got.size() > 1) ++multi_group_ties;
        }
    }
    CHECK(built > 300);
    CHECK(refused > 20);
    CHECK(multi_group_ties > 50);
}

TEST_CASE("few distinct keys beyond a plane are scanned: one-hot keys, ties included", "[encoder][fast]") {
    std::mt19937_64 rng(99);
    // Integer entries, and fractions (with a second value of another denominator, so that the
    // keys' common scale is neither denominator), which the index compares as scaled integers.
    const Rational scales[] = {Rational(1), Rational(-2), Rational(1, 3), Rational(-2, 5)};
    for (int trial = 0; trial < 160; ++trial) {
        const std::size_t V = 3 + rng() % 6, n = 20 + rng() % 200;  // V symbols: V - 1 >= 2 dimensions
        Matrix<Rational> K(n, V);
        const Rational& scale = scales[trial % 4];
        for (std::size_t j = 0; j < n; ++j) K.at(j, rng() % V) = trial % 8 >= 4 && rng() % 3 == 0 ? Rational(3, 7) : scale;
        auto index = KeyIndex::build(K);
        REQUIRE(index.has_value());  // at most V <= 8 groups: always indexed
        std::vector<std::uint32_t> got;
        for (int qi = 0; qi < 10; ++qi) {
            std::vector<Rational> q(V);
            for (auto& x : q) x = small_rational(rng, 1, qi % 2);  // few values: many ties
            index->argmax(q.data(), got);
            std::vector<std::uint32_t> members;
            for (auto g : got)
                members.insert(members.end(), index->group(g).members.begin(), index->group(g).members.end());
            std::sort(members.begin(), members.end());
            REQUIRE(members == brute_argmax(K, q));
        }
    }
}

TEST_CASE("structured and dense paths of the interpreter agree exactly", "[encoder][fast]") {
    std::mt19937_64 rng(77);
    std::size_t fast_heads = 0;
    for (int trial = 0; trial < 150; ++trial) {
        const std::size_t n = 1 + rng() % 30, d = 2 + rng() % 4;
        Encoder enc;
        enc.d = static_cast<std::uint32_t>(d);
        for (int l = 0; l < 2; ++l) {
            Layer layer;
            for (int hi = 0; hi < 2; ++hi) {
                const auto rule = static_cast<Rule>(rng() % 3);  // average-hard, leftmost, rightmost
                const std::size_t dk = 1 + rng() % 3;
                // Keys read only one or two coordinates, so that they span a line or a plane.
                Matrix<Rational> Qm, Km;
                planar_maps(rng, dk, d, trial % 2, false, Qm, Km);
                Head h = random_head(rng, Qm, Km, d, trial % 2);
                h.rule = rule;
                layer.heads.push_back(std::move(h));
            }
            enc.layers.push_back(std::move(layer));
        }
        enc.readout.coordinates = {0};
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = small_rational(rng, 2, true);
        Program<Rational> prog(enc);
        RunOptions fast, dense;
        fast.structured_from = 0;  // the structured path at every n (small n included)
        fast.record_states = dense.record_states = true;
        dense.dense = true;
        auto a = prog.run(x, fast), b = prog.run(x, dense);
        REQUIRE(a.trace.states == b.trace.states);
        for (std::size_t l = 0; l < 2; ++l)
            for (std::size_t h = 0; h < 2; ++h) {
                REQUIRE(a.trace.heads[l][h].selected == b.trace.heads[l][h].selected);
                if (a.trace.mul_adds != b.trace.mul_adds) ++fast_heads;
            }
    }
    CHECK(fast_heads > 50);  // the structured path really ran
}

TEST_CASE("masked and windowed heads: structured and dense paths agree exactly", "[encoder][fast]") {
    std::mt19937_64 rng(1618);
    const std::vector<std::optional<std::uint64_t>> windows{std::nullopt, 0, 1, 2, 5, 1000};
    std::size_t fast_heads = 0, heads = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = 1 + rng() % 40, d = 3 + rng() % 3;
        const bool integer = trial % 2;
        Encoder enc;
        enc.d = static_cast<std::uint32_t>(d);
        for (int l = 0; l < 2; ++l) {
            Layer layer;
            for (int hi = 0; hi < 2; ++hi) {
                const int combo = (trial * 4 + l * 2 + hi);
                const std::size_t dk = 1 + rng() % 3;
                // Keys on a line or a plane (one or two coordinates read), or, in layer 0 where
                // the input is 0/1, the 3-5 coordinates themselves (few keys beyond a plane).
                Matrix<Rational> Qm, Km;
                if (l == 0 && rng() % 3 == 0) {
                    Km = Matrix<Rational>(d, d);
                    Qm = Matrix<Rational>(d, d);
                    for (std::size_t r = 0; r < d; ++r) Km.at(r, r) = Rational(1);
                    for (auto& x : Qm.data) x = small_rational(rng, 2, integer);
                } else {
                    planar_maps(rng, dk, d, integer, false, Qm, Km);
                }
                Head h = random_head(rng, Qm, Km, d, integer);
                h.rule = static_cast<Rule>(combo % 3);  // average-hard, leftmost, rightmost
                h.mask = static_cast<Mask>((combo / 3) % 5);
                h.window = windows[(combo / 15) % windows.size()];
                layer.heads.push_back(std::move(h));
            }
            enc.layers.push_back(std::move(layer));
        }
        enc.readout.coordinates = {0};
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = Rational(static_cast<long long>(rng() % 2));
        Program<Rational> prog(enc);
        RunOptions fast, dense;
        fast.structured_from = 0;  // the structured path at every n (small n included)
        fast.record_states = dense.record_states = true;
        fast.margins = dense.margins = true;
        dense.dense = true;
        const auto a = prog.run(x, fast), b = prog.run(x, dense);
        REQUIRE(a.trace.states == b.trace.states);
        for (std::size_t l = 0; l < 2; ++l)
            for (std::size_t hd = 0; hd < 2; ++hd) {
                const HeadTrace &ta = a.trace.heads[l][hd], &tb = b.trace.heads[l][hd];
                REQUIRE(ta.selected == tb.selected);
                REQUIRE(ta.margin.has_value() == tb.margin.has_value());
                if (ta.margin) {
                    CHECK(ta.margin->gap == tb.margin->gap);
                    CHECK(ta.margin->scale == tb.margin->scale);
                    CHECK(ta.margin->score_scale == tb.margin->score_scale);
                    CHECK(ta.margin->position == tb.margin->position);
                }
                ++heads;
            }
        if (a.trace.mul_adds != b.trace.mul_adds) ++fast_heads;
    }
    CHECK(heads == 1200);
    CHECK(fast_heads > 200);  // the structured path really ran on masked heads
}

TEST_CASE("short inputs: the dense scan where its scores are integers, the structured path where not", "[encoder][fast]") {
    // A selector width's read-back head: query (a, 1, a^2) with a = 1/(w+1), key (2/(j+1),
    // -1/(j+1)^2, -1), score -(a - 1/(j+1))^2, value j; over every mask. Below 32 positions the
    // dense scan is taken while the lcm of the key denominators, (lcm 1..n)^2, stays below 2^62
    // (n <= 8 here); from n = 23 it does not, and the structured path is taken instead.
    // Default runs must equal forced dense runs, and take the path said (multiply-add counts
    // differ between the paths).
    std::mt19937_64 rng(2718);
    Encoder enc;
    enc.d = 4;  // a, a^2, 1/(j+1), 1/(j+1)^2 as input coordinates
    for (int mask = 0; mask < 5; ++mask) {
        Layer layer;
        Head h;
        Matrix<Rational> Qm(3, 4), Km(3, 4), Vm(1, 4);
        Qm.at(0, 0) = 1, Qm.at(2, 1) = 1;
        Km.at(0, 2) = 2, Km.at(1, 3) = -1;
        Vm.at(0, 2) = 1;
        h.query = Affine<Rational>(Sparse<Rational>::from_dense(Qm), {0, 1, 0});
        h.key = Affine<Rational>(Sparse<Rational>::from_dense(Km), {0, 0, -1});
        h.value = Affine<Rational>(Sparse<Rational>::from_dense(Vm), {0});
        Matrix<Rational> Om(4, 1);
        h.output = Sparse<Rational>::from_dense(Om);
        h.mask = static_cast<Mask>(mask);
        layer.heads.push_back(std::move(h));
        enc.layers.push_back(std::move(layer));
    }
    enc.readout.coordinates = {0};
    Program<Rational> prog(enc);
    std::size_t structured = 0, dense_taken = 0;
    for (std::size_t n = 1; n < 32; ++n)
        for (int t = 0; t < 3; ++t) {
            Matrix<Rational> x(n, 4);
            for (std::size_t j = 0; j < n; ++j) {
                const Rational a(1, static_cast<long long>(1 + rng() % n));
                x.at(j, 0) = a, x.at(j, 1) = a * a;
                x.at(j, 2) = Rational(1, static_cast<long long>(j + 1));
                x.at(j, 3) = x.at(j, 2) * x.at(j, 2);
            }
            RunOptions def, dense;
            def.record_states = dense.record_states = true;
            dense.dense = true;
            const auto a = prog.run(x, def), b = prog.run(x, dense);
            INFO("n = " << n);
            REQUIRE(a.trace.states == b.trace.states);
            for (std::size_t l = 0; l < 5; ++l) REQUIRE(a.trace.heads[l][0].selected == b.trace.heads[l][0].selected);
            if (n <= 8) {
                CHECK(a.trace.mul_adds == b.trace.mul_adds);
                ++dense_taken;
            }
            if (n >= 23) {
                CHECK(a.trace.mul_adds != b.trace.mul_adds);
                ++structured;
            }
        }
    CHECK(dense_taken == 24);
    CHECK(structured == 27);
}
