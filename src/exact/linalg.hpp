// Small dense and sparse linear algebra over any scalar type.
//
// Offers:
//   Matrix<S>          dense row-major rows x cols.
//   Sparse<S>          CSR matrix; for Rational it also caches an int64 copy of its entries
//                      (kNotSmall where an entry is not a small integer: the exact fast path).
//   Affine<S>          x -> A x + b with A sparse.
//   apply / apply_add  y = A x + b, y += A x; return the number of multiply-adds done.
//                      apply_add costs O(nnz(A)) (rows without an entry are skipped).
//   dot                exact dot product with the same fast path.
//   convert<T>         change scalar type (Rational -> double, say).
// Instantiated for Rational, double, float and bfloat16.
//
// Exact fast path: when a row's entries (and bias) and the entries of x that it reads are all
// integers below 2^62, that row's products and sums are formed in i128 with overflow checks,
// and only the result becomes a Rational. Otherwise, when they are fractions with numerators
// and denominators below 2^62 (a 1/2 weight, 1/(w+1) entries), the row is summed as such
// fractions in lowest terms while they stay below that bound. Failing both, the row takes GMP.
// Results are identical either way.
#pragma once

#include <cstdint>
#include <vector>

#include "exact/scalar.hpp"

namespace ahat {

template <class S>
struct Matrix {
    std::size_t rows = 0, cols = 0;
    std::vector<S> data;

    Matrix() = default;
    Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c, S(0)) {}
    S& at(std::size_t r, std::size_t c) { return data[r * cols + c]; }
    const S& at(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
    S* row(std::size_t r) { return data.data() + r * cols; }
    const S* row(std::size_t r) const { return data.data() + r * cols; }
    bool operator==(const Matrix&) const = default;
};

template <class S>
struct Sparse {
    std::size_t rows = 0, cols = 0;
    std::vector<std::uint32_t> start{0};  // rows + 1 offsets into col / val
    std::vector<std::uint32_t> col;
    std::vector<S> val;
    std::vector<std::int64_t> small;  // Rational only: val as int64, kNotSmall where it does not fit
    std::vector<std::uint32_t> used;  // the rows with an entry, ascending (apply_add visits only these)

    Sparse() = default;
    Sparse(std::size_t r, std::size_t c) : rows(r), cols(c), start(r + 1, 0) {}
    std::size_t nnz() const { return val.size(); }

    static Sparse from_dense(const Matrix<S>& m);
    // Entries as (row, col, value) triples in any order; duplicates are summed, zeros dropped.
    struct Triple {
        std::uint32_t row, col;
        S value;
    };
    static Sparse from_triples(std::size_t rows, std::size_t cols, std::vector<Triple> entries);
    Matrix<S> to_dense() const;
    void prepare();  // recompute `used` and the small-integer cache (Rational only)
    bool operator==(const Sparse& o) const {
        return rows == o.rows && cols == o.cols && start == o.start && col == o.col && val == o.val;
    }
};

template <class S>
struct Affine {
    Sparse<S> A;
    std::vector<S> b;                    // size A.rows
    std::vector<std::int64_t> small_b;   // Rational only: b as int64, kNotSmall where it does not fit
    bool small_ok = false;               // some row's weights and bias are all small

    Affine() = default;
    Affine(Sparse<S> a, std::vector<S> bias);
    std::size_t rows() const { return A.rows; }
    std::size_t cols() const { return A.cols; }
    void prepare();
    bool operator==(const Affine& o) const { return A == o.A && b == o.b; }
};

// y = A x + b. Exact runs may pass x's int64 marks (marked_small_ints of fast_path.hpp) when
// they have them, sparing a scan of x.
template <class S>
std::uint64_t apply(const Affine<S>& f, const S* x, S* y, const std::int64_t* marked = nullptr);
template <class S>
std::uint64_t apply_add(const Sparse<S>& m, const S* x, S* y);  // y += A x
template <class S>
S dot(const S* a, const S* b, std::size_t n);

template <class T, class S>
Sparse<T> convert(const Sparse<S>& m);
template <class T, class S>
Affine<T> convert(const Affine<S>& f);
template <class T, class S>
Matrix<T> convert(const Matrix<S>& m);

}  // namespace ahat
