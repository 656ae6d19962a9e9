// The exact fast path, written once: values that are small integers are read as int64, sums
// of them and of their products are formed in 128-bit integers with overflow checks, and GMP
// is used only where a check fails. Every exact kernel (linalg's affine maps and dot products,
// the interpreter's scores and means, the key index's class scores, RASP's aggregates) goes
// through these, and so do exact circuit gates (circuit/eval.cpp); none writes the pattern by
// hand.
//
// Offers:
//   small_ints(x, n, out)     out = x as int64 when all n values are integers with |x| < 2^62
//                             (small_int's bound); false (out unspecified) otherwise.
//   marked_small_ints(x, n, out)  out[k] = x[k] as int64 where it is small, kNotSmall where
//                             not (so a sum that reads only small entries still takes the fast
//                             path); true when every entry is small.
//   SmallSum                  an i128 accumulator: add(x), add_product(a, b) with int64 a, b;
//                             after the first overflow ok() is false and stays false (the
//                             value is then meaningless: the caller takes the GMP path).
//                             give_up() marks a term that is not small. value() is the sum;
//                             to_rational() and store(out) make it exact (store writes in
//                             place, no allocation, when it fits in a long);
//                             store_mean(out, count) stores sum / count the same way, and
//                             divide_in_place(r, count) divides any Rational by a count.
//   exact_mul(out, a, b)      out = a b in place: as i128 when both are small integers, a copy,
//                             a negated copy or a zero when one is 1, -1 or 0, GMP otherwise
//                             (out must not alias).
//   exact_add(out, a)         out += a in place: nothing when a is 0, i128 when both are small.
//   exact_sum(out, x, n)      out = x_0 + ... + x_{n-1} of pointed-to Rationals, in place: as
//                             i128 when all are small, else GMP over the nonzero terms.
//   SmallQ                    a fraction num / den in lowest terms, |num| and den below 2^62
//                             (den == 0: not one): small_q(r) reads a Rational as one (no
//                             allocation), q_add and q_mul combine two (not ok() when the
//                             result leaves the bound), q_store(a, out) writes one in place.
//                             The fraction fast path of affine rows and circuit gates, where
//                             values are 1/(w+1) and products of such.
//   small_dot(a, b, n)        sum_k a_k b_k of int64 vectors as i128, nullopt on overflow.
//   small_fraction(r, num, den)  r = num / den with |num|, den < 2^62 (false otherwise).
//   small_lcm(a, b)           lcm(a, b) when it stays below 2^62, else nullopt.
//   scaled_scores(Q, K, qs, ks)  int64 rows qs, ks whose dot products small_dot(qs_i, ks_j)
//                             order each query's scores <Q_i, K_j> as they are, ties
//                             included, when every entry is a small fraction (the 1/(i+1)
//                             features of compiled programs); the values differ by a positive
//                             factor per query. False when a scale or entry leaves 2^62.
//   exact_dot(a, b, n)        sum_k a_k b_k of Rationals: small_dot when every entry is small,
//                             GMP otherwise; the same value either way.
//   PackedMatrix              an exact rows x cols matrix kept compactly: each entry an int64
//                             when it is a small integer, else a Rational on the side (8 bytes
//                             an entry plus the large ones, where a Matrix<Rational> takes about
//                             40 for a zero and 48 for a small integer, docs/semantics.md). Built from a
//                             Matrix<Rational>; at(r, c), row_equals(r, row), unpack_row(r, out)
//                             and unpack() give the same values back.
// Cost: one comparison per added term on the fast path; no allocation unless a result is
// stored that does not fit in a long.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

#include "exact/linalg.hpp"
#include "exact/rational.hpp"

namespace ahat {

inline bool small_ints(const Rational* x, std::size_t n, std::vector<std::int64_t>& out) {
    out.resize(n);
    for (std::size_t k = 0; k < n; ++k)
        if (!small_int(x[k], &out[k])) return false;
    return true;
}

inline constexpr std::int64_t kNotSmall = INT64_MIN;  // never a small integer (|x| < 2^62)

inline bool marked_small_ints(const Rational* x, std::size_t n, std::int64_t* out) {
    bool all = true;
    for (std::size_t k = 0; k < n; ++k)
        if (!small_int(x[k], &out[k])) out[k] = kNotSmall, all = false;
    return all;
}

inline bool marked_small_ints(const Rational* x, std::size_t n, std::vector<std::int64_t>& out) {
    out.resize(n);
    return marked_small_ints(x, n, out.data());
}

// One entry's numerator and denominator when both fit in one limb (|num| < 2^62, den < 2^62).
inline bool small_fraction(const Rational& r, std::int64_t& num, std::uint64_t& den) {
    mpq_srcptr q = r.backend().data();
    if (mpz_size(mpq_numref(q)) > 1 || mpz_size(mpq_denref(q)) != 1) return false;
    const std::uint64_t a = mpz_getlimbn(mpq_numref(q), 0), b = mpz_getlimbn(mpq_denref(q), 0);
    if ((a >> 62) != 0 || (b >> 62) != 0) return false;
    num = mpz_sgn(mpq_numref(q)) < 0 ? -static_cast<std::int64_t>(a) : static_cast<std::int64_t>(a);
    den = b;
    return true;
}

// lcm(a, b) when it stays below 2^62.
inline std::optional<std::uint64_t> small_lcm(std::uint64_t a, std::uint64_t b) {
    std::uint64_t m = 0;
    if (__builtin_mul_overflow(a / std::gcd(a, b), b, &m) || (m >> 62) != 0) return std::nullopt;
    return m;
}

// Integer stand-ins for the scores of the dense scan when Q and K hold small fractions (the
// 1/(i+1) features of compiled programs): key coordinate t is multiplied by s_t, the lcm of
// its denominators, and query coordinate t divided by it, which leaves every <q_i, k_j> as it
// is; then query row i is multiplied by c_i > 0, the lcm of its denominators, which scales
// query i's scores alike. Every comparison among one query's scores (hence argmax sets and
// ties) is the same on qs, ks as on Q, K; the values are not (no margin reads them). False
// when an entry, a scale or a scaled entry does not stay below 2^62.
inline bool scaled_scores(const Matrix<Rational>& Q, const Matrix<Rational>& K, std::vector<std::int64_t>& qs,
                 std::vector<std::int64_t>& ks) {
    const std::size_t dk = K.cols;
    std::vector<std::uint64_t> scale(dk, 1);
    std::int64_t num = 0;
    std::uint64_t den = 0;
    for (std::size_t j = 0; j < K.rows; ++j)
        for (std::size_t t = 0; t < dk; ++t) {
            if (!small_fraction(K.at(j, t), num, den)) return false;
            const auto m = small_lcm(scale[t], den);
            if (!m) return false;
            scale[t] = *m;
        }
    ks.resize(K.rows * dk);
    for (std::size_t j = 0; j < K.rows; ++j)
        for (std::size_t t = 0; t < dk; ++t) {
            small_fraction(K.at(j, t), num, den);
            std::int64_t v = 0;
            if (__builtin_mul_overflow(num, static_cast<std::int64_t>(scale[t] / den), &v) || v >= (std::int64_t{1} << 62) ||
                v <= -(std::int64_t{1} << 62))
                return false;
            ks[j * dk + t] = v;
        }
    qs.resize(Q.rows * dk);
    std::vector<std::int64_t> nums(dk);
    std::vector<std::uint64_t> dens(dk);
    for (std::size_t i = 0; i < Q.rows; ++i) {
        std::uint64_t c = 1;
        for (std::size_t t = 0; t < dk; ++t) {  // q_t / s_t = (num / g) / (den s_t / g), g = gcd(num, s_t)
            if (!small_fraction(Q.at(i, t), num, den)) return false;
            const std::uint64_t g = std::gcd(static_cast<std::uint64_t>(num < 0 ? -num : num), scale[t]);
            std::uint64_t d = 0;
            if (__builtin_mul_overflow(den, scale[t] / g, &d) || (d >> 62) != 0) return false;  // g >= 1: scale[t] >= 1
            nums[t] = num / static_cast<std::int64_t>(g);
            dens[t] = d;
            const auto m = small_lcm(c, d);
            if (!m) return false;
            c = *m;
        }
        for (std::size_t t = 0; t < dk; ++t) {
            std::int64_t v = 0;
            if (__builtin_mul_overflow(nums[t], static_cast<std::int64_t>(c / dens[t]), &v) || v >= (std::int64_t{1} << 62) ||
                v <= -(std::int64_t{1} << 62))
                return false;
            qs[i * dk + t] = v;
        }
    }
    return true;
}

struct SmallQ {
    std::int64_t num = 0, den = 0;  // den == 0: not a small fraction
    bool ok() const { return den != 0; }
};

inline SmallQ small_q(const Rational& r) {
    std::int64_t num = 0;
    std::uint64_t den = 0;
    if (!small_fraction(r, num, den)) return {};
    return {num, static_cast<std::int64_t>(den)};
}

inline SmallQ small_q(std::int64_t integer) { return {integer, 1}; }

// num / den (den > 0) in lowest terms, when both end below 2^62.
inline SmallQ q_reduced(i128 num, u128 den) {
    if (num == 0) return {0, 1};
    if (den == 1) {
        if (num >= (i128{1} << 62) || num <= -(i128{1} << 62)) return {};
        return {static_cast<std::int64_t>(num), 1};
    }
    u128 a = num < 0 ? -static_cast<u128>(num) : static_cast<u128>(num), b = den;
    while (b != 0) {  // Euclid, in 64 bits once both fit
        if ((a >> 64) == 0 && (b >> 64) == 0) {
            a = std::gcd(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b));
            break;
        }
        a %= b;
        std::swap(a, b);
    }
    const u128 n = (num < 0 ? -static_cast<u128>(num) : static_cast<u128>(num)) / a, d = den / a;
    if ((n >> 62) != 0 || (d >> 62) != 0) return {};
    return {num < 0 ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n), static_cast<std::int64_t>(d)};
}

// Operands' magnitudes are below 2^62, so every product and sum here fits in 128 bits. Both
// cancel before they multiply (Knuth's way): the gcds are of 64-bit numbers, and the result
// is in lowest terms without a gcd of the 128-bit product.
inline SmallQ q_add(SmallQ a, SmallQ b) {
    if (!a.ok() || !b.ok()) return {};
    if (a.num == 0) return b;
    if (b.num == 0) return a;
    if (a.den == b.den) return q_reduced(static_cast<i128>(a.num) + b.num, static_cast<u128>(a.den));
    const auto g = static_cast<std::int64_t>(std::gcd(static_cast<std::uint64_t>(a.den), static_cast<std::uint64_t>(b.den)));
    const i128 t = static_cast<i128>(a.num) * (b.den / g) + static_cast<i128>(b.num) * (a.den / g);  // not 0: the dens differ
    // gcd(t, a.den b.den / g) = gcd(t, g): 1 when the dens are coprime
    const u128 mag = t < 0 ? -static_cast<u128>(t) : static_cast<u128>(t);
    const auto g2 = g == 1 ? std::int64_t{1}
                           : static_cast<std::int64_t>(std::gcd(static_cast<std::uint64_t>(mag % static_cast<u128>(g)), static_cast<std::uint64_t>(g)));
    const u128 n = mag / static_cast<u128>(g2), d = static_cast<u128>(a.den / g) * static_cast<u128>(b.den / g2);
    if ((n >> 62) != 0 || (d >> 62) != 0) return {};
    return {t < 0 ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n), static_cast<std::int64_t>(d)};
}

inline SmallQ q_mul(SmallQ a, SmallQ b) {
    if (!a.ok() || !b.ok()) return {};
    if (a.den == 1 && b.den == 1) return q_reduced(static_cast<i128>(a.num) * b.num, 1);
    if (a.num == 0 || b.num == 0) return {0, 1};
    auto abs64 = [](std::int64_t v) { return static_cast<std::uint64_t>(v < 0 ? -v : v); };
    const auto g1 = static_cast<std::int64_t>(std::gcd(abs64(a.num), static_cast<std::uint64_t>(b.den)));
    const auto g2 = static_cast<std::int64_t>(std::gcd(abs64(b.num), static_cast<std::uint64_t>(a.den)));
    const i128 n = static_cast<i128>(a.num / g1) * (b.num / g2);
    const u128 d = static_cast<u128>(a.den / g2) * static_cast<u128>(b.den / g1);
    if (n >= (i128{1} << 62) || n <= -(i128{1} << 62) || (d >> 62) != 0) return {};
    return {static_cast<std::int64_t>(n), static_cast<std::int64_t>(d)};
}

inline void q_store(SmallQ a, Rational& out) {  // a.ok(): lowest terms already, so canonical
    mpq_set_si(out.backend().data(), static_cast<long>(a.num), static_cast<unsigned long>(a.den));
}

class SmallSum {
public:
    explicit SmallSum(i128 start = 0) : acc_(start) {}
    void add(i128 x) { ok_ = ok_ && !__builtin_add_overflow(acc_, x, &acc_); }
    // |a|, |b| < 2^63, so the product fits in an i128; only the sum can overflow.
    void add_product(std::int64_t a, std::int64_t b) { add(static_cast<i128>(a) * b); }
    void give_up() { ok_ = false; }  // a term that is not small: take the GMP path
    bool ok() const { return ok_; }
    i128 value() const { return acc_; }
    Rational to_rational() const { return rational_from_i128(acc_); }
    void store(Rational& out) const {
        if (acc_ >= LONG_MIN && acc_ <= LONG_MAX) mpq_set_si(out.backend().data(), static_cast<long>(acc_), 1);
        else out = rational_from_i128(acc_);
    }
    // out = sum / count (count > 0), in place.
    void store_mean(Rational& out, unsigned long count) const {
        if (const SmallQ m = q_reduced(acc_, count); m.ok()) return q_store(m, out);
        store(out);
        divide_in_place(out, count);
    }
    static void divide_in_place(Rational& out, unsigned long count) {
        if (count == 1) return;
        if (const SmallQ r = small_q(out); r.ok())
            if (const SmallQ m = q_reduced(r.num, static_cast<u128>(r.den) * count); m.ok()) return q_store(m, out);
        mpq_ptr q = out.backend().data();
        mpz_mul_ui(mpq_denref(q), mpq_denref(q), count);
        mpq_canonicalize(q);
    }

private:
    i128 acc_;
    bool ok_ = true;
};

inline void exact_mul(Rational& out, const Rational& a, const Rational& b) {
    std::int64_t x = 0, y = 0;
    const bool sa = small_int(a, &x), sb = small_int(b, &y);
    if (sa && sb) return SmallSum(static_cast<i128>(x) * y).store(out);
    if ((sa && x == 0) || (sb && y == 0)) return mpq_set_ui(out.backend().data(), 0, 1);
    if (sa && x == 1) return mpq_set(out.backend().data(), b.backend().data());
    if (sb && y == 1) return mpq_set(out.backend().data(), a.backend().data());
    if (sa && x == -1) return mpq_neg(out.backend().data(), b.backend().data());
    if (sb && y == -1) return mpq_neg(out.backend().data(), a.backend().data());
    mpq_mul(out.backend().data(), a.backend().data(), b.backend().data());
}

inline void exact_add(Rational& out, const Rational& a) {
    if (mpq_sgn(a.backend().data()) == 0) return;
    std::int64_t x = 0, y = 0;
    if (small_int(out, &x) && small_int(a, &y)) return SmallSum(static_cast<i128>(x) + y).store(out);
    mpq_add(out.backend().data(), out.backend().data(), a.backend().data());
}

inline void exact_sum(Rational& out, const Rational* const* x, std::size_t n) {
    SmallSum s;
    for (std::size_t k = 0; k < n && s.ok(); ++k) {
        std::int64_t v = 0;
        if (small_int(*x[k], &v)) s.add(v);
        else s.give_up();
    }
    if (s.ok()) return s.store(out);
    mpq_ptr acc = out.backend().data();
    bool first = true;
    for (std::size_t k = 0; k < n; ++k) {
        if (mpq_sgn(x[k]->backend().data()) == 0) continue;
        if (first) mpq_set(acc, x[k]->backend().data());
        else mpq_add(acc, acc, x[k]->backend().data());
        first = false;
    }
    if (first) mpq_set_ui(acc, 0, 1);
}

inline std::optional<i128> small_dot(const std::int64_t* a, const std::int64_t* b, std::size_t n) {
    SmallSum s;
    for (std::size_t k = 0; k < n && s.ok(); ++k) s.add_product(a[k], b[k]);
    if (!s.ok()) return std::nullopt;
    return s.value();
}

inline Rational exact_dot(const Rational* a, const Rational* b, std::size_t n) {
    SmallSum s;
    for (std::size_t k = 0; k < n && s.ok(); ++k) {
        std::int64_t x = 0, y = 0;
        if (small_int(a[k], &x) && small_int(b[k], &y)) s.add_product(x, y);
        else s.give_up();
    }
    if (s.ok()) return s.to_rational();
    Rational out;
    thread_local Rational scratch;  // one temporary per thread: no allocation per term
    for (std::size_t k = 0; k < n; ++k) {
        mpq_mul(scratch.backend().data(), a[k].backend().data(), b[k].backend().data());
        mpq_add(out.backend().data(), out.backend().data(), scratch.backend().data());
    }
    return out;
}

class PackedMatrix {
public:
    PackedMatrix() = default;
    explicit PackedMatrix(const Matrix<Rational>& m) : rows(m.rows), cols(m.cols), small_(m.data.size()) {
        for (std::size_t k = 0; k < m.data.size(); ++k)
            if (!small_int(m.data[k], &small_[k])) {
                small_[k] = kNotSmall;
                large_.emplace_back(k, m.data[k]);
            }
    }
    std::size_t rows = 0, cols = 0;

    Rational at(std::size_t r, std::size_t c) const {
        Rational out;
        get(r * cols + c, out);
        return out;
    }
    bool row_equals(std::size_t r, const Rational* row) const {
        std::int64_t x = 0;
        for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t k = r * cols + c;
            if (small_[k] != kNotSmall ? !(small_int(row[c], &x) && x == small_[k]) : large(k) != row[c]) return false;
        }
        return true;
    }
    void unpack_row(std::size_t r, Rational* out) const {
        for (std::size_t c = 0; c < cols; ++c) get(r * cols + c, out[c]);
    }
    Matrix<Rational> unpack() const {
        Matrix<Rational> m(rows, cols);
        for (std::size_t r = 0; r < rows; ++r) unpack_row(r, m.row(r));
        return m;
    }

private:
    std::vector<std::int64_t> small_;
    std::vector<std::pair<std::size_t, Rational>> large_;  // (entry, value), by entry

    const Rational& large(std::size_t k) const {
        return std::lower_bound(large_.begin(), large_.end(), k, [](const auto& e, std::size_t key) { return e.first < key; })
            ->second;
    }
    void get(std::size_t k, Rational& out) const {
        if (small_[k] != kNotSmall) mpq_set_si(out.backend().data(), static_cast<long>(small_[k]), 1);
        else out = large(k);
    }
};

}  // namespace ahat
