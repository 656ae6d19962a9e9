// Scalar types the interpreter and evaluators are generic over, and conversions to them.
//
// Offers:
//   is_exact_v<S>           true for Rational.
//   from_rational<S>(r)     Rational -> S (double/float: correctly rounded to nearest).
//   to_rational(S)          exact value of a scalar (doubles are dyadic rationals).
//   scalar_name<S>()        "exact", "double", "float".
#pragma once

#include <cmath>
#include <string_view>
#include <type_traits>

#include "exact/rational.hpp"

namespace ahat {

template <class S>
inline constexpr bool is_exact_v = std::is_same_v<S, Rational>;

template <class S>
S from_rational(const Rational& r) {
    if constexpr (is_exact_v<S>) {
        return r;
    } else {
        return r.template convert_to<S>();  // correctly rounded (Boost's generic conversion)
    }
}

template <class S>
Rational to_rational(const S& s) {
    if constexpr (is_exact_v<S>) {
        return s;
    } else {
        return Rational(static_cast<double>(s));
    }
}

template <class S>
constexpr std::string_view scalar_name() {
    if constexpr (is_exact_v<S>) return "exact";
    else if constexpr (std::is_same_v<S, double>) return "double";
    else return "float";
}

// sign(x) = 1 if x > 0 else 0 (DESIGN.md's convention: sign(0) = 0).
template <class S>
S sign_gate(const S& x) {
    return x > S(0) ? S(1) : S(0);
}

}  // namespace ahat
