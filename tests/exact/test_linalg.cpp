// exact/linalg: Sparse / Affine / apply / apply_add / dot against a naive Rational
// computation, and the 128-bit fast path's fallback to GMP.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "exact/linalg.hpp"
#include "exact/rational.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

enum class Mode { SmallInt, NearLimit, AtLimit, Rationals, WideFractions };

Rational rand_entry(std::mt19937_64& rng, Mode m) {
    const long long lim = (1LL << 62) - 1;
    switch (m) {
        case Mode::SmallInt: return R(static_cast<long long>(rng() % 19) - 9);
        case Mode::NearLimit: {
            long long v = lim - static_cast<long long>(rng() % 1000);
            return R(rng() % 2 ? v : -v);
        }
        case Mode::AtLimit: {  // mostly near the limit, some exactly 2^62 (not small)
            if (rng() % 4 == 0) return Rational(rng() % 2 ? (Integer(1) << 62) : -(Integer(1) << 62));
            return R(lim - static_cast<long long>(rng() % 3));
        }
        case Mode::Rationals: return R(static_cast<long long>(rng() % 41) - 20, 1 + static_cast<long long>(rng() % 12));
        case Mode::WideFractions: {  // 1/(w+1) shapes up to the fraction path's 2^62 bound, and past it
            const long long den = rng() % 3 == 0 ? lim - static_cast<long long>(rng() % 3) : 1 + static_cast<long long>(rng() % (1LL << 40));
            if (rng() % 5 == 0) return Rational(Integer(1), Integer(1) << 62);
            return R(rng() % 2 ? 1 : -static_cast<long long>(rng() % 1000), den);
        }
    }
    return R(0);
}

Matrix<Rational> rand_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols, Mode m, unsigned zero_pct) {
    Matrix<Rational> a(rows, cols);
    for (auto& v : a.data) v = (rng() % 100 < zero_pct) ? R(0) : rand_entry(rng, m);
    return a;
}

std::vector<Rational> rand_vec(std::mt19937_64& rng, std::size_t n, Mode m) {
    std::vector<Rational> v(n);
    for (auto& x : v) x = rand_entry(rng, m);
    return v;
}

std::vector<Rational> naive_mul(const Matrix<Rational>& a, const std::vector<Rational>& x) {
    std::vector<Rational> y(a.rows, R(0));
    for (std::size_t r = 0; r < a.rows; ++r)
        for (std::size_t c = 0; c < a.cols; ++c) y[r] += a.at(r, c) * x[c];
    return y;
}

std::size_t nonzeros(const Matrix<Rational>& a) {
    std::size_t k = 0;
    for (const auto& v : a.data) k += v != 0;
    return k;
}

}  // namespace

TEST_CASE("Sparse: from_dense, to_dense and the small-integer cache", "[exact]") {
    Matrix<Rational> a(2, 3);
    a.at(0, 1) = R(5);
    a.at(1, 0) = R(-1, 2);
    a.at(1, 2) = R(3);
    Sparse<Rational> s = Sparse<Rational>::from_dense(a);
    CHECK(s.rows == 2);
    CHECK(s.cols == 3);
    CHECK(s.nnz() == 3);
    CHECK(s.start == std::vector<std::uint32_t>{0, 1, 3});
    CHECK(s.col == std::vector<std::uint32_t>{1, 0, 2});
    CHECK(s.to_dense() == a);
    CHECK(s.small == std::vector<std::int64_t>{5, kNotSmall, 3});  // -1/2 is not an integer
    a.at(1, 0) = R(-4);
    Sparse<Rational> t = Sparse<Rational>::from_dense(a);
    CHECK(t.small == std::vector<std::int64_t>{5, -4, 3});
    Sparse<Rational> empty = Sparse<Rational>::from_dense(Matrix<Rational>(3, 4));
    CHECK(empty.nnz() == 0);
    CHECK(empty.start == std::vector<std::uint32_t>{0, 0, 0, 0});
    CHECK(empty.to_dense() == Matrix<Rational>(3, 4));
}

TEST_CASE("Sparse: from_triples sums duplicates, drops zeros, any order", "[exact]") {
    using T = Sparse<Rational>::Triple;
    Sparse<Rational> s = Sparse<Rational>::from_triples(
        3, 3, {T{2, 2, R(1)}, T{0, 1, R(1, 2)}, T{0, 1, R(1, 2)}, T{1, 0, R(3)}, T{1, 0, R(-3)}, T{0, 0, R(0)}});
    CHECK(s.nnz() == 2);
    Matrix<Rational> d = s.to_dense();
    CHECK(d.at(0, 1) == 1);
    CHECK(d.at(2, 2) == 1);
    CHECK(d.at(1, 0) == 0);
    CHECK(s.small == std::vector<std::int64_t>{1, 1});

    std::mt19937_64 rng(99);
    for (int it = 0; it < 200; ++it) {
        std::size_t rows = 1 + rng() % 8, cols = 1 + rng() % 8;
        Mode m = it % 2 ? Mode::SmallInt : Mode::Rationals;
        std::vector<T> trip;
        Matrix<Rational> expect(rows, cols);
        std::size_t n = rng() % 30;
        for (std::size_t k = 0; k < n; ++k) {
            T t{static_cast<std::uint32_t>(rng() % rows), static_cast<std::uint32_t>(rng() % cols), rand_entry(rng, m)};
            expect.at(t.row, t.col) += t.value;
            trip.push_back(t);
        }
        Sparse<Rational> sp = Sparse<Rational>::from_triples(rows, cols, trip);
        CHECK(sp.to_dense() == expect);
        CHECK(sp.nnz() == nonzeros(expect));
        for (const auto& v : sp.val) CHECK(v != 0);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::uint32_t k = sp.start[r] + 1; k < sp.start[r + 1]; ++k) CHECK(sp.col[k - 1] < sp.col[k]);
        CHECK(Sparse<Rational>::from_dense(expect) == sp);
    }
}

TEST_CASE("apply / apply_add / dot equal a naive Rational computation", "[exact]") {
    const Mode modes[] = {Mode::SmallInt, Mode::NearLimit, Mode::AtLimit, Mode::Rationals, Mode::WideFractions};
    std::mt19937_64 rng(424242);
    for (int it = 0; it < 600; ++it) {
        Mode ma = modes[rng() % 5], mx = modes[rng() % 5], mb = modes[rng() % 5];
        // long rows (up to 70 columns) so that sums of near-2^62 products overflow 128 bits
        std::size_t rows = 1 + rng() % 6, cols = 1 + rng() % (it % 3 == 0 ? 70 : 8);
        Matrix<Rational> a = rand_matrix(rng, rows, cols, ma, static_cast<unsigned>(rng() % 60));
        std::vector<Rational> x = rand_vec(rng, cols, mx);
        std::vector<Rational> b = rand_vec(rng, rows, mb);
        INFO("iteration " << it << " rows " << rows << " cols " << cols);

        Affine<Rational> f(Sparse<Rational>::from_dense(a), b);
        auto all_small = [](const std::vector<Rational>& v) {
            std::int64_t t;
            return std::all_of(v.begin(), v.end(), [&](const Rational& r) { return small_int(r, &t); });
        };
        // the cache: each weight as int64 or kNotSmall; small_ok when some row's weights and
        // bias are all small (that row takes the fast path, the others GMP)
        REQUIRE(f.A.small.size() == f.A.val.size());
        for (std::size_t k = 0; k < f.A.val.size(); ++k) {
            std::int64_t t;
            CHECK((f.A.small[k] != kNotSmall) == small_int(f.A.val[k], &t));
        }
        bool some_row = false;
        for (std::size_t r = 0; r < rows; ++r) {
            std::vector<Rational> row(a.row(r), a.row(r) + cols);
            row.push_back(b[r]);
            some_row = some_row || all_small(row);
        }
        CHECK(f.small_ok == some_row);

        std::vector<Rational> expect = naive_mul(a, x);
        for (std::size_t r = 0; r < rows; ++r) expect[r] += b[r];
        std::vector<Rational> y(rows, R(12345));
        CHECK(apply(f, x.data(), y.data()) == nonzeros(a));
        CHECK(y == expect);

        std::vector<Rational> y0 = rand_vec(rng, rows, modes[rng() % 5]);
        std::vector<Rational> y2 = y0;
        CHECK(apply_add(f.A, x.data(), y2.data()) == nonzeros(a));
        std::vector<Rational> ax = naive_mul(a, x);
        for (std::size_t r = 0; r < rows; ++r) CHECK(y2[r] == y0[r] + ax[r]);

        std::vector<Rational> u = rand_vec(rng, cols, ma);
        Rational d = 0;
        for (std::size_t k = 0; k < cols; ++k) d += u[k] * x[k];
        CHECK(dot(u.data(), x.data(), cols) == d);
    }
}

TEST_CASE("apply: 128-bit overflow falls back to GMP with the exact result", "[exact]") {
    const long long lim = (1LL << 62) - 1;
    const std::size_t n = 64;  // 64 products of ~2^124 overflow i128
    Matrix<Rational> a(2, n);
    std::vector<Rational> x(n, R(lim)), b{R(lim), R(-lim)};
    for (std::size_t c = 0; c < n; ++c) {
        a.at(0, c) = R(lim);
        a.at(1, c) = R(c % 2 ? lim : -lim);  // alternating: partial sums stay small
    }
    Affine<Rational> f(Sparse<Rational>::from_dense(a), b);
    REQUIRE(f.small_ok);
    std::vector<Rational> y(2);
    apply(f, x.data(), y.data());
    Rational l(lim);
    CHECK(y[0] == Rational(64) * l * l + l);
    CHECK(y[1] == -l);
    std::vector<Rational> acc{R(lim), R(0)};
    apply_add(f.A, x.data(), acc.data());
    CHECK(acc[0] == Rational(64) * l * l + l);
    CHECK(acc[1] == 0);
    CHECK(dot(a.row(0), x.data(), n) == Rational(64) * l * l);
    CHECK(dot(a.row(1), x.data(), n) == 0);
    // Negative direction.
    std::vector<Rational> xn(n, R(-lim));
    apply(f, xn.data(), y.data());
    CHECK(y[0] == -Rational(64) * l * l + l);
    // Empty affine map and empty dot.
    Affine<Rational> e(Sparse<Rational>(2, 0), {R(1, 3), R(-2)});
    std::vector<Rational> ye(2);
    CHECK(apply(e, static_cast<const Rational*>(nullptr), ye.data()) == 0);
    CHECK(ye == std::vector<Rational>{R(1, 3), R(-2)});
    CHECK(dot(static_cast<const Rational*>(nullptr), static_cast<const Rational*>(nullptr), 0) == 0);
}
