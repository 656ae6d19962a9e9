// R(n, d): the rational n/d, for tests. Through Integer, because Boost's Rational(long, long)
// reads a negative denominator as unsigned.
#pragma once

#include "exact/rational.hpp"

namespace ahat_test {

inline ahat::Rational R(long long n, long long d = 1) { return ahat::Rational(ahat::Integer(n), ahat::Integer(d)); }

}  // namespace ahat_test
