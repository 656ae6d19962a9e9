// exact/fast_path: SmallSum, SmallQ, small_ints, small_dot, exact_dot and scaled_scores against plain GMP results on
// random operations with fixed seeds, with operands drawn at the overflow boundaries
// (INT64_MAX, INT64_MIN, 2^62 - 1, sums and products past 2^127).
#include <catch2/catch.hpp>

#include <climits>
#include <random>
#include <vector>

#include "exact/fast_path.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

// An int64 drawn mostly at the edges: 0, +-1, small, near +-2^62, INT64_MAX, INT64_MIN.
std::int64_t edge_int(std::mt19937_64& rng) {
    switch (rng() % 7) {
        case 0: return static_cast<std::int64_t>(rng() % 21) - 10;
        case 1: return INT64_MAX - static_cast<std::int64_t>(rng() % 3);
        case 2: return INT64_MIN + static_cast<std::int64_t>(rng() % 3);
        case 3: return (std::int64_t{1} << 62) - 1 - static_cast<std::int64_t>(rng() % 3);
        case 4: return -(std::int64_t{1} << 62) + 1 + static_cast<std::int64_t>(rng() % 3);
        case 5: return static_cast<std::int64_t>(rng());
        default: return static_cast<std::int64_t>(rng() % 2000001) - 1000000;
    }
}

Integer big(i128 v) { return numerator(rational_from_i128(v)); }

Integer from_i64(std::int64_t v) { return Integer(static_cast<long long>(v)); }

const Integer kI128Max = (Integer(1) << 127) - 1;
const Integer kI128Min = -(Integer(1) << 127);

bool fits_i128(const Integer& z) { return z >= kI128Min && z <= kI128Max; }

}  // namespace

TEST_CASE("SmallSum agrees with GMP until the first overflow, and reports it", "[exact][fast_path]") {
    std::mt19937_64 rng(16);
    int overflowed = 0, exact = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const std::int64_t start_a = edge_int(rng), start_b = edge_int(rng);
        const i128 start = static_cast<i128>(start_a) * start_b;
        SmallSum s(start);
        Integer ref = from_i64(start_a) * from_i64(start_b);
        bool really_overflowed = false;
        const int terms = 1 + static_cast<int>(rng() % 12);
        for (int t = 0; t < terms; ++t) {
            if (rng() % 2) {
                const std::int64_t a = edge_int(rng), b = edge_int(rng);
                s.add_product(a, b);
                ref += from_i64(a) * from_i64(b);
            } else {
                const std::int64_t a = edge_int(rng);
                s.add(a);
                ref += from_i64(a);
            }
            if (!fits_i128(ref)) really_overflowed = true;
            // Once the true partial sum left the i128 range, the accumulator must say so.
            if (really_overflowed) REQUIRE_FALSE(s.ok());
            if (s.ok()) REQUIRE(big(s.value()) == ref);
        }
        if (s.ok()) {
            ++exact;
            REQUIRE(s.to_rational() == Rational(ref));
            Rational out = R(7, 3);  // store overwrites whatever was there
            s.store(out);
            REQUIRE(out == Rational(ref));
            const unsigned long count = 1 + rng() % 9;
            Rational mean = R(-5, 2);
            s.store_mean(mean, count);
            REQUIRE(mean == Rational(ref) / Rational(static_cast<long long>(count)));
        } else {
            ++overflowed;
        }
    }
    // The draw must exercise both sides of the boundary.
    CHECK(overflowed > 50);
    CHECK(exact > 300);
}

TEST_CASE("SmallSum at the exact i128 boundary", "[exact][fast_path]") {
    const i128 max = static_cast<i128>((static_cast<u128>(1) << 127) - 1);
    SmallSum up(max - 1);
    up.add(1);
    REQUIRE(up.ok());
    REQUIRE(up.to_rational() == Rational(kI128Max));
    up.add(1);
    REQUIRE_FALSE(up.ok());
    SmallSum down(-max);
    down.add(-1);
    REQUIRE(down.ok());
    REQUIRE(down.to_rational() == Rational(kI128Min));
    down.add(-1);
    REQUIRE_FALSE(down.ok());
    SmallSum given_up;
    given_up.give_up();
    given_up.add(0);
    REQUIRE_FALSE(given_up.ok());
    // INT64_MIN * INT64_MIN = 2^126: fits; twice more overflows.
    SmallSum sq;
    sq.add_product(INT64_MIN, INT64_MIN);
    REQUIRE(sq.ok());
    REQUIRE(sq.to_rational() == Rational(Integer(1) << 126));
    sq.add_product(INT64_MIN, INT64_MIN);
    REQUIRE_FALSE(sq.ok());
    // store() on either side of the long range
    Rational out;
    SmallSum at_long(LONG_MAX);
    at_long.store(out);
    REQUIRE(out == Rational(Integer(LONG_MAX)));
    at_long.add(1);
    at_long.store(out);
    REQUIRE(out == Rational(Integer(LONG_MAX) + 1));
    SmallSum below(LONG_MIN);
    below.add(-1);
    below.store(out);
    REQUIRE(out == Rational(Integer(LONG_MIN) - 1));
}

namespace {

// A fraction drawn mostly at the edges of SmallQ's bound: numerators and denominators near
// 2^62 (some at it), small ones, 1/(w+1) shapes, zero.
Rational edge_fraction(std::mt19937_64& rng) {
    const long long lim = (1LL << 62) - 1;
    auto part = [&]() -> Integer {
        switch (rng() % 5) {
            case 0: return Integer(static_cast<long long>(1 + rng() % 12));
            case 1: return Integer(lim - static_cast<long long>(rng() % 3));
            case 2: return Integer(1) << 62;  // just past the bound
            case 3: return Integer(static_cast<long long>(1 + rng() % (1LL << 31)));
            default: return Integer(static_cast<long long>(1 + rng() % 20000));
        }
    };
    Integer num = rng() % 9 == 0 ? Integer(0) : part();
    if (rng() % 2) num = -num;
    return Rational(num, part());
}

bool fits62(const Rational& r) {
    const Integer bound = Integer(1) << 62;
    return abs(numerator(r)) < bound && denominator(r) < bound;
}

}  // namespace

TEST_CASE("SmallQ: sums, products and means agree with GMP, refused exactly past 2^62", "[exact][fast_path]") {
    std::mt19937_64 rng(62);
    int fast = 0, refused = 0;
    for (int trial = 0; trial < 20000; ++trial) {
        const Rational a = edge_fraction(rng), b = edge_fraction(rng);
        const SmallQ qa = small_q(a), qb = small_q(b);
        REQUIRE(qa.ok() == fits62(a));
        REQUIRE(qb.ok() == fits62(b));
        if (!qa.ok() || !qb.ok()) {
            CHECK_FALSE(q_add(qa, qb).ok());
            CHECK_FALSE(q_mul(qa, qb).ok());
            continue;
        }
        const Rational sum = a + b, product = a * b;
        const SmallQ qs = q_add(qa, qb), qp = q_mul(qa, qb);
        // a result is refused exactly when its lowest terms leave the bound
        REQUIRE(qs.ok() == fits62(sum));
        REQUIRE(qp.ok() == fits62(product));
        Rational out = R(7, 3);  // q_store overwrites whatever was there, in canonical form
        if (qs.ok()) {
            q_store(qs, out);
            REQUIRE(out == sum);
            ++fast;
        } else {
            ++refused;
        }
        if (qp.ok()) {
            q_store(qp, out);
            REQUIRE(out == product);
            REQUIRE(mpz_cmp(mpq_denref(out.backend().data()), denominator(product).backend().data()) == 0);
        }
        // a mean of a stored fraction, in place, small or not
        const unsigned long count = 1 + rng() % 100000;
        Rational m = a;
        SmallSum::divide_in_place(m, count);
        REQUIRE(m == a / Rational(static_cast<long long>(count)));
    }
    CHECK(fast > 1000);
    CHECK(refused > 1000);
    // q_reduced on the widest operands: 2^124-size numerators reduce back under the bound
    const std::int64_t lim = (std::int64_t{1} << 62) - 1;
    const SmallQ third = q_mul(SmallQ{lim, 3}, SmallQ{3, lim});
    REQUIRE(third.ok());
    CHECK(third.num == 1);
    CHECK(third.den == 1);
    CHECK_FALSE(q_mul(SmallQ{lim, 1}, SmallQ{lim, 1}).ok());
    CHECK_FALSE(q_add(SmallQ{lim, 1}, SmallQ{1, 1}).ok());  // 2^62: one past
    CHECK(q_add(SmallQ{lim, 1}, SmallQ{-1, 1}).ok());
    CHECK_FALSE(q_add(SmallQ{1, 1}, SmallQ{}).ok());  // not a small fraction: stays refused
}

TEST_CASE("small_ints takes exactly the integers below 2^62", "[exact][fast_path]") {
    const Integer lim = Integer(1) << 62;
    std::vector<std::int64_t> out;
    const std::vector<Rational> ok{Rational(lim - 1), Rational(-(lim - 1)), R(0), R(-3)};
    REQUIRE(small_ints(ok.data(), ok.size(), out));
    REQUIRE(out == std::vector<std::int64_t>{(std::int64_t{1} << 62) - 1, -(std::int64_t{1} << 62) + 1, 0, -3});
    for (const Rational& bad : {Rational(lim), Rational(-lim), R(1, 2), Rational(Integer(INT64_MAX)), R(-7, 3)}) {
        std::vector<Rational> v{R(1), bad, R(2)};
        CHECK_FALSE(small_ints(v.data(), v.size(), out));
    }
    REQUIRE(small_ints(nullptr, 0, out));
    REQUIRE(out.empty());
}

TEST_CASE("small_dot and exact_dot agree with GMP dot products", "[exact][fast_path]") {
    std::mt19937_64 rng(1616);
    int fast = 0, slow = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        const std::size_t n = rng() % 9;
        std::vector<std::int64_t> a(n), b(n);
        std::vector<Rational> ra(n), rb(n);
        Integer ref = 0;
        bool prefix_overflow = false;
        for (std::size_t k = 0; k < n; ++k) {
            a[k] = edge_int(rng), b[k] = edge_int(rng);
            ref += from_i64(a[k]) * from_i64(b[k]);
            prefix_overflow = prefix_overflow || !fits_i128(ref);
            ra[k] = Rational(from_i64(a[k])), rb[k] = Rational(from_i64(b[k]));
        }
        const auto d = small_dot(a.data(), b.data(), n);
        if (prefix_overflow) REQUIRE_FALSE(d.has_value());
        if (d) REQUIRE(big(*d) == ref);
        // exact_dot: the same value whichever path it takes; fractions force the GMP path.
        if (n > 0 && rng() % 3 == 0) {
            const std::size_t k = rng() % n;
            ra[k] = ra[k] / 3;
            ref = 0;
            Rational refq = 0;
            for (std::size_t t = 0; t < n; ++t) refq += ra[t] * rb[t];
            REQUIRE(exact_dot(ra.data(), rb.data(), n) == refq);
            ++slow;
        } else {
            REQUIRE(exact_dot(ra.data(), rb.data(), n) == Rational(ref));
            ++fast;
        }
    }
    CHECK(fast > 500);
    CHECK(slow > 300);
}

TEST_CASE("scaled_scores orders each query's scores as the exact ones, ties included", "[exact][fast_path]") {
    // Random Q, K of small fractions (denominators 1..12, as positional features give), some
    // with a huge numerator or denominator that must be refused. Where scaled_scores accepts,
    // for every query i and keys j, j': sign(<qs_i, ks_j> - <qs_i, ks_j'>) is the sign of the
    // exact difference <Q_i, K_j> - <Q_i, K_j'>.
    std::mt19937_64 rng(2718);
    int accepted = 0, refused = 0, wrongly_refused = 0;
    for (int trial = 0; trial < 400; ++trial) {
        const std::size_t n = 1 + rng() % 9, dk = 1 + rng() % 4;
        const bool huge = trial % 5 == 0;
        auto entry = [&] {
            Rational r = Rational(static_cast<long long>(rng() % 7) - 3) / static_cast<long long>(1 + rng() % 12);
            if (huge && rng() % 8 == 0) {
                const Rational big = Rational(Integer(1) << 70);
                r = rng() % 2 ? (r + 1) * big : (r + 1) / big;
            }
            return r;
        };
        Matrix<Rational> Q(n, dk), K(n, dk);
        for (auto& x : Q.data) x = entry();
        for (auto& x : K.data) x = entry();
        std::vector<std::int64_t> qs, ks;
        if (!scaled_scores(Q, K, qs, ks)) {
            ++refused;
            bool large = false;
            for (const auto* m : {&Q, &K})
                for (const Rational& x : m->data) large = large || bit_size(x) > 62;
            if (!large) ++wrongly_refused;
            continue;
        }
        ++accepted;
        REQUIRE(qs.size() == n * dk);
        REQUIRE(ks.size() == n * dk);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t j2 = 0; j2 < n; ++j2) {
                    const Rational exact = exact_dot(Q.row(i), K.row(j), dk) - exact_dot(Q.row(i), K.row(j2), dk);
                    const auto a = small_dot(qs.data() + i * dk, ks.data() + j * dk, dk);
                    const auto b = small_dot(qs.data() + i * dk, ks.data() + j2 * dk, dk);
                    REQUIRE(a.has_value());
                    REQUIRE(b.has_value());
                    const int sign = *a > *b ? 1 : *a < *b ? -1 : 0;
                    REQUIRE(sign == exact.sign());
                }
    }
    CHECK(accepted > 250);
    CHECK(refused > 20);          // the huge entries are refused...
    CHECK(wrongly_refused == 0);  // ...and only they
}

TEST_CASE("PackedMatrix gives back every value, small, large and fractional", "[exact][fast_path]") {
    std::mt19937_64 rng(61);
    const Integer lim = Integer(1) << 62;
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t rows = rng() % 6, cols = rng() % 5;
        Matrix<Rational> m(rows, cols);
        for (Rational& v : m.data) {
            switch (rng() % 6) {
                case 0: v = R(0); break;
                case 1: v = R(static_cast<long long>(rng() % 41) - 20); break;
                case 2: v = Rational(rng() % 2 ? lim - 1 : -(lim - 1)); break;         // small
                case 3: v = Rational(rng() % 2 ? lim : -lim); break;                   // large
                case 4: v = Rational(Integer(INT64_MIN)) * (rng() % 3 + 1); break;     // large
                default: v = R(static_cast<long long>(rng() % 41) - 20, 1 + static_cast<long long>(rng() % 7));
            }
        }
        const PackedMatrix p(m);
        REQUIRE(p.rows == rows);
        REQUIRE(p.cols == cols);
        REQUIRE(p.unpack() == m);
        for (std::size_t r = 0; r < rows; ++r) {
            REQUIRE(p.row_equals(r, m.row(r)));
            for (std::size_t c = 0; c < cols; ++c) {
                REQUIRE(p.at(r, c) == m.at(r, c));
                // Any change of one entry, to a small or a large value, is seen.
                std::vector<Rational> row(m.row(r), m.row(r) + cols);
                row[c] = rng() % 2 ? row[c] + 1 : row[c] * lim + R(1, 3);
                CHECK_FALSE(p.row_equals(r, row.data()));
            }
        }
    }
}
