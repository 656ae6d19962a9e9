#include "exact/linalg.hpp"

#include <algorithm>

#include "exact/fast_path.hpp"

namespace ahat {

template <class S>
Sparse<S> Sparse<S>::from_dense(const Matrix<S>& m) {
    Sparse<S> s(m.rows, m.cols);
    for (std::size_t r = 0; r < m.rows; ++r) {
        for (std::size_t c = 0; c < m.cols; ++c) {
            if (m.at(r, c) != S(0)) {
                s.col.push_back(static_cast<std::uint32_t>(c));
                s.val.push_back(m.at(r, c));
            }
        }
        s.start[r + 1] = static_cast<std::uint32_t>(s.val.size());
    }
    s.prepare();
    return s;
}

template <class S>
Sparse<S> Sparse<S>::from_triples(std::size_t rows, std::size_t cols, std::vector<Triple> e) {
    std::stable_sort(e.begin(), e.end(), [](const Triple& a, const Triple& b) {
        return a.row != b.row ? a.row < b.row : a.col < b.col;
    });
    Sparse<S> s(rows, cols);
    std::size_t i = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        while (i < e.size() && e[i].row == r) {
            std::uint32_t c = e[i].col;
            S sum = e[i].value;
            for (++i; i < e.size() && e[i].row == r && e[i].col == c; ++i) sum += e[i].value;
            if (sum != S(0)) {
                s.col.push_back(c);
                s.val.push_back(sum);
            }
        }
        s.start[r + 1] = static_cast<std::uint32_t>(s.val.size());
    }
    s.prepare();
    return s;
}

template <class S>
Matrix<S> Sparse<S>::to_dense() const {
    Matrix<S> m(rows, cols);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::uint32_t k = start[r]; k < start[r + 1]; ++k) m.at(r, col[k]) = val[k];
    return m;
}

template <class S>
void Sparse<S>::prepare() {
    used.clear();
    for (std::size_t r = 0; r < rows; ++r)
        if (start[r] != start[r + 1]) used.push_back(static_cast<std::uint32_t>(r));
    small.clear();
    if constexpr (is_exact_v<S>) marked_small_ints(val.data(), val.size(), small);
}

template <class S>
Affine<S>::Affine(Sparse<S> a, std::vector<S> bias) : A(std::move(a)), b(std::move(bias)) {
    if (b.empty()) b.assign(A.rows, S(0));
    prepare();
}

template <class S>
void Affine<S>::prepare() {
    A.prepare();
    small_b.clear();
    small_ok = false;
    if constexpr (is_exact_v<S>) {
        marked_small_ints(b.data(), b.size(), small_b);
        for (std::size_t r = 0; r < A.rows && !small_ok; ++r) {
            small_ok = small_b[r] != kNotSmall;
            for (std::uint32_t k = A.start[r]; k < A.start[r + 1] && small_ok; ++k) small_ok = A.small[k] != kNotSmall;
        }
    }
}

namespace {

// Exact y[r] (+)= row r of A times x: in i128 when the row's weights, bias and entries are
// small integers, else as small fractions (SmallQ), else on GMP. `xs` (null: not at hand)
// holds x as int64, kNotSmall where an entry is not small; it is needed when `fast`. `bias`
// is the starting value of the accumulator (int64 or Rational; it may be `out` itself).
void exact_row(const Sparse<Rational>& A, std::size_t r, const Rational* x, const std::int64_t* xs,
               bool fast, i128 bias_small, const Rational& bias, Rational& out) {
    const std::uint32_t lo = A.start[r], hi = A.start[r + 1];
    const bool cached = A.small.size() == A.val.size();  // prepare() has run
    if (fast && cached) {
        SmallSum acc(bias_small);
        for (std::uint32_t k = lo; k < hi && acc.ok(); ++k) {
            const std::int64_t v = xs[A.col[k]], w = A.small[k];
            if (v == kNotSmall || w == kNotSmall) acc.give_up();
            else acc.add_product(w, v);
        }
        if (acc.ok()) return acc.store(out);  // in place, no allocation
    }
    {  // small fractions (a 1/2 weight, 1/(w+1) entries): lowest terms, no allocation
        SmallQ acc = small_q(bias);  // read before `out` is written: bias may be `out`
        for (std::uint32_t k = lo; k < hi && acc.ok(); ++k) {
            const std::uint32_t c = A.col[k];
            const SmallQ w = cached && A.small[k] != kNotSmall ? small_q(A.small[k]) : small_q(A.val[k]);
            const SmallQ v = xs && xs[c] != kNotSmall ? small_q(xs[c]) : small_q(x[c]);
            acc = q_add(acc, q_mul(w, v));
        }
        if (acc.ok()) return q_store(acc, out);
    }
    thread_local Rational scratch;  // one temporary for the whole thread: no allocation per row
    mpq_ptr tmp = scratch.backend().data();
    mpq_ptr acc = out.backend().data();
    std::uint32_t k = lo;
    if (lo < hi && mpq_sgn(bias.backend().data()) == 0 && cached && A.small[lo] == 1)
        mpq_set(acc, x[A.col[k++]].backend().data());  // 0 + 1 x: a copy (a value map, say)
    else
        mpq_set(acc, bias.backend().data());
    for (; k < hi; ++k) {
        if (cached && A.small[k] == 1) {
            mpq_add(acc, acc, x[A.col[k]].backend().data());  // weight 1: no product needed
            continue;
        }
        mpq_mul(tmp, A.val[k].backend().data(), x[A.col[k]].backend().data());
        mpq_add(acc, acc, tmp);
    }
}

}  // namespace

template <class S>
std::uint64_t apply(const Affine<S>& f, const S* x, S* y, const std::int64_t* marked) {
    const Sparse<S>& A = f.A;
    if constexpr (is_exact_v<S>) {
        thread_local std::vector<std::int64_t> xs;
        const bool fast = f.small_ok;  // then per row: whether its weights, bias and the entries it reads are small
        if (fast && !marked) {
            marked_small_ints(x, A.cols, xs);
            marked = xs.data();
        }
        for (std::size_t r = 0; r < A.rows; ++r) {
            const bool row_fast = fast && f.small_b[r] != kNotSmall;
            exact_row(A, r, x, marked, row_fast, row_fast ? f.small_b[r] : 0, f.b[r], y[r]);
        }
    } else {
        (void)marked;
        for (std::size_t r = 0; r < A.rows; ++r) {
            S acc = f.b[r];
            for (std::uint32_t k = A.start[r]; k < A.start[r + 1]; ++k) acc += A.val[k] * x[A.col[k]];
            y[r] = acc;
        }
    }
    return A.nnz();
}

template <class S>
std::uint64_t apply_add(const Sparse<S>& A, const S* x, S* y) {
    if constexpr (is_exact_v<S>) {
        thread_local std::vector<std::int64_t> xs;
        std::int64_t yr = 0;
        const bool fast = A.small.size() == A.val.size();  // per row: whether its weights are small too
        if (fast) marked_small_ints(x, A.cols, xs);
        for (const std::uint32_t r : A.used) {  // O(nnz), not O(rows): an output map has d rows
            bool row_fast = fast && small_int(y[r], &yr);
            exact_row(A, r, x, fast ? xs.data() : nullptr, row_fast, row_fast ? yr : 0, y[r], y[r]);  // in place
        }
    } else {
        for (const std::uint32_t r : A.used)
            for (std::uint32_t k = A.start[r]; k < A.start[r + 1]; ++k) y[r] += A.val[k] * x[A.col[k]];
    }
    return A.nnz();
}

template <class S>
S dot(const S* a, const S* b, std::size_t n) {
    if constexpr (is_exact_v<S>) {
        return exact_dot(a, b, n);
    } else {
        S acc = S(0);
        for (std::size_t k = 0; k < n; ++k) acc += a[k] * b[k];
        return acc;
    }
}

template <class T, class S>
Sparse<T> convert(const Sparse<S>& m) {
    Sparse<T> out(m.rows, m.cols);
    out.start = m.start;
    out.col = m.col;
    out.val.reserve(m.val.size());
    for (const S& v : m.val) out.val.push_back(from_rational<T>(to_rational(v)));
    out.prepare();
    return out;
}

template <class T, class S>
Affine<T> convert(const Affine<S>& f) {
    std::vector<T> b;
    b.reserve(f.b.size());
    for (const S& v : f.b) b.push_back(from_rational<T>(to_rational(v)));
    return Affine<T>(convert<T>(f.A), std::move(b));
}

template <class T, class S>
Matrix<T> convert(const Matrix<S>& m) {
    Matrix<T> out(m.rows, m.cols);
    for (std::size_t k = 0; k < m.data.size(); ++k) out.data[k] = from_rational<T>(to_rational(m.data[k]));
    return out;
}

#define AHAT_LINALG(S)                                                   \
    template struct Sparse<S>;                                           \
    template struct Affine<S>;                                           \
    template std::uint64_t apply<S>(const Affine<S>&, const S*, S*, const std::int64_t*); \
    template std::uint64_t apply_add<S>(const Sparse<S>&, const S*, S*); \
    template S dot<S>(const S*, const S*, std::size_t);
AHAT_LINALG(Rational)
AHAT_LINALG(double)
AHAT_LINALG(float)
AHAT_LINALG(bfloat16)
#undef AHAT_LINALG

#define AHAT_CONVERT(T, S)                                   \
    template Sparse<T> convert<T, S>(const Sparse<S>&);      \
    template Affine<T> convert<T, S>(const Affine<S>&);      \
    template Matrix<T> convert<T, S>(const Matrix<S>&);
AHAT_CONVERT(double, Rational)
AHAT_CONVERT(float, Rational)
AHAT_CONVERT(Rational, Rational)
AHAT_CONVERT(Rational, double)
AHAT_CONVERT(Rational, float)
AHAT_CONVERT(bfloat16, Rational)
AHAT_CONVERT(Rational, bfloat16)
#undef AHAT_CONVERT

}  // namespace ahat
