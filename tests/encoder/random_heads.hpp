// Random heads for the interpreter's property tests (tests/encoder): small rationals, query and
// key maps whose keys span a line or a plane, and random value and output maps.
#pragma once

#include <random>

#include "encoder/encoder.hpp"

namespace ahat_test {

using ahat::Matrix;
using ahat::Rational;

// p/q with |p| <= range and q in 1..3 (q = 1 when integer).
inline Rational small_rational(std::mt19937_64& rng, int range, bool integer) {
    long long p = static_cast<long long>(rng() % (2 * range + 1)) - range;
    long long q = integer ? 1 : static_cast<long long>(rng() % 3) + 1;
    return Rational(ahat::Integer(p), ahat::Integer(q));
}

// dk x d query and key maps: the keys read coordinates c0 and c1 of the state, so that they
// span a line or a plane (with `extra`, one row in four reads a third coordinate: sometimes
// more than a plane); the queries read every coordinate.
inline void planar_maps(std::mt19937_64& rng, std::size_t dk, std::size_t d, bool integer, bool extra, Matrix<Rational>& Qm,
                        Matrix<Rational>& Km) {
    Qm = Matrix<Rational>(dk, d);
    Km = Matrix<Rational>(dk, d);
    const std::size_t c0 = rng() % d, c1 = rng() % d;
    for (std::size_t r = 0; r < dk; ++r) {
        Km.at(r, c0) = small_rational(rng, 2, true);
        Km.at(r, c1) += small_rational(rng, 2, true);
        if (extra && rng() % 4 == 0) Km.at(r, rng() % d) += small_rational(rng, 2, integer);
        for (std::size_t c = 0; c < d; ++c) Qm.at(r, c) = small_rational(rng, 2, integer);
    }
}

// A head with these query and key maps, a random d x d value map and a sparse output map.
inline ahat::Head random_head(std::mt19937_64& rng, const Matrix<Rational>& Qm, const Matrix<Rational>& Km, std::size_t d,
                              bool integer) {
    Matrix<Rational> Vm(d, d), Om(d, d);
    for (std::size_t r = 0; r < d; ++r)
        for (std::size_t c = 0; c < d; ++c) {
            Vm.at(r, c) = small_rational(rng, 2, integer);
            Om.at(r, c) = rng() % 3 == 0 ? small_rational(rng, 1, true) : Rational(0);
        }
    ahat::Head h;
    h.query = ahat::Affine<Rational>(ahat::Sparse<Rational>::from_dense(Qm), {});
    h.key = ahat::Affine<Rational>(ahat::Sparse<Rational>::from_dense(Km), {});
    h.value = ahat::Affine<Rational>(ahat::Sparse<Rational>::from_dense(Vm), {});
    h.output = ahat::Sparse<Rational>::from_dense(Om);
    return h;
}

}  // namespace ahat_test
