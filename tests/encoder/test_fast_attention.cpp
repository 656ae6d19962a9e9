// The structured attention path (fast_attention.hpp) against brute force and against the
// dense interpreter: identical argmax sets, states and traces, ties included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "encoder/fast_attention.hpp"
#include "encoder/interpreter.hpp"

using namespace ahat;

namespace {

Rational small_rational(std::mt19937_64& rng, int range, bool integer) {
    long long p = static_cast<long long>(rng() % (2 * range + 1)) - range;
    long long q = integer ? 1 : static_cast<long long>(rng() % 3) + 1;
    return Rational(Integer(p), Integer(q));
}

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

}  // namespace

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
    for (int trial = 0; trial < 80; ++trial) {
        const std::size_t V = 3 + rng() % 6, n = 20 + rng() % 200;  // V symbols: V - 1 >= 2 dimensions
        Matrix<Rational> K(n, V);
        for (std::size_t j = 0; j < n; ++j) K.at(j, rng() % V) = Rational(trial % 2 ? 1 : -2);
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
                Head h;
                h.rule = static_cast<Rule>(rng() % 3);  // average-hard, leftmost, rightmost
                const std::size_t dk = 1 + rng() % 3;
                // Keys read only one or two coordinates, so that they span a line or a plane.
                Matrix<Rational> Qm(dk, d), Km(dk, d), Vm(d, d), Om(d, d);
                const std::size_t c0 = rng() % d, c1 = rng() % d;
                for (std::size_t r = 0; r < dk; ++r) {
                    Km.at(r, c0) = small_rational(rng, 2, true);
                    Km.at(r, c1) += small_rational(rng, 2, true);
                    for (std::size_t c = 0; c < d; ++c) Qm.at(r, c) = small_rational(rng, 2, trial % 2);
                }
                for (std::size_t r = 0; r < d; ++r)
                    for (std::size_t c = 0; c < d; ++c) {
                        Vm.at(r, c) = small_rational(rng, 2, trial % 2);
                        Om.at(r, c) = rng() % 3 == 0 ? small_rational(rng, 1, true) : Rational(0);
                    }
                h.query = Affine<Rational>(Sparse<Rational>::from_dense(Qm), {});
                h.key = Affine<Rational>(Sparse<Rational>::from_dense(Km), {});
                h.value = Affine<Rational>(Sparse<Rational>::from_dense(Vm), {});
                h.output = Sparse<Rational>::from_dense(Om);
                layer.heads.push_back(std::move(h));
            }
            enc.layers.push_back(std::move(layer));
        }
        enc.readout.coordinates = {0};
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = small_rational(rng, 2, true);
        Program<Rational> prog(enc);
        RunOptions fast, dense;
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
