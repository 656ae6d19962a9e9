// Random circuit inputs for the compiler tests.
#pragma once

#include <random>
#include <vector>

#include "exact/rational.hpp"

namespace ahat_test {

// k rationals p/q with p in [-5, 5] and q in [1, 4].
inline std::vector<ahat::Rational> random_inputs(std::mt19937_64& rng, std::size_t k) {
    std::vector<ahat::Rational> x;
    for (std::size_t i = 0; i < k; ++i) {
        long long p = static_cast<long long>(rng() % 11) - 5;
        long long q = static_cast<long long>(rng() % 4) + 1;
        x.emplace_back(ahat::Integer(p), ahat::Integer(q));
    }
    return x;
}

}  // namespace ahat_test
