// Scalar types the interpreter and evaluators are generic over, and conversions to them.
//
// Offers:
//   is_exact_v<S>           true for Rational.
//   is_numeric_v<S>         true for double, float and bfloat16.
//   from_rational<S>(r)     Rational -> S (double/float/bfloat16: correctly rounded to
//                           nearest, ties to even).
//   to_rational(S)          exact value of a scalar (doubles are dyadic rationals).
//   scalar_name<S>()        "exact", "double", "float", "bfloat16".
//   unit_roundoff<S>()      2^-53, 2^-24, 2^-8 (0 for exact).
#pragma once

#include <cmath>
#include <string_view>
#include <type_traits>

#include "exact/bfloat16.hpp"
#include "exact/rational.hpp"

namespace ahat {

template <class S>
inline constexpr bool is_exact_v = std::is_same_v<S, Rational>;

template <class S>
inline constexpr bool is_numeric_v = std::is_same_v<S, double> || std::is_same_v<S, float> || std::is_same_v<S, bfloat16>;

template <class S>
S from_rational(const Rational& r) {
    if constexpr (is_exact_v<S>) {
        return r;
    } else if constexpr (std::is_same_v<S, bfloat16>) {
        // The nearest double is correctly rounded; rounding it again to 8 bits can only go
        // wrong when it lands exactly on a bfloat16 midpoint: then decide by r itself.
        const double d = r.template convert_to<double>();
        if (!std::isfinite(d) || d == 0) return bfloat16(d);
        const int q = bfloat16::quantum_exponent(d);
        const double scaled = std::ldexp(d, -q);
        if (scaled - std::floor(scaled) != 0.5) return bfloat16(d);
        const Rational exact_d(d);
        if (r == exact_d) return bfloat16(d);  // a true tie: to even
        const double half = std::ldexp(0.5, q);
        return bfloat16(r > exact_d ? d + half : d - half);
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
    else if constexpr (std::is_same_v<S, float>) return "float";
    else return "bfloat16";
}

template <class S>
constexpr double unit_roundoff() {
    if constexpr (is_exact_v<S>) return 0.0;
    else if constexpr (std::is_same_v<S, double>) return 0x1p-53;
    else if constexpr (std::is_same_v<S, float>) return 0x1p-24;
    else return 0x1p-8;
}

// sign(x) = 1 if x > 0 else 0 (docs/semantics.md's convention: sign(0) = 0).
template <class S>
S sign_gate(const S& x) {
    return x > S(0) ? S(1) : S(0);
}

}  // namespace ahat
