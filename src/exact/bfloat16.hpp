// bfloat16: a scalar that keeps 8 significant bits (1 implicit + 7 stored) and float's
// exponent range, rounded to nearest, ties to even, after every arithmetic operation.
//
// Offers:
//   bfloat16                 value type stored as a float whose value is always a bfloat16
//                            number; + - * / (and compound forms), unary -, comparisons,
//                            construction from integers and doubles (rounded), explicit
//                            conversion to float / double.
//   bfloat16::round(d)       double -> nearest bfloat16 (ties to even; overflow -> inf).
//   abs(x), exp(x)           found by argument-dependent lookup.
//   fmt::formatter<bfloat16> prints the value as a float would ("{}", "{:g}", ...).
// Every operation is computed in double and rounded once to bfloat16. That is correctly
// rounded: the operands have 8-bit significands, and rounding first to 53 bits then to 8 is
// innocuous for + - * / because 53 >= 2 * 8 + 2 (Figueroa's double-rounding condition).
// Cost: a few double operations per arithmetic operation.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace ahat {

class bfloat16 {
public:
    constexpr bfloat16() = default;
    bfloat16(int v) : v_(round_to_float(static_cast<double>(v))) {}
    bfloat16(long v) : v_(round_to_float(static_cast<double>(v))) {}
    bfloat16(long long v) : v_(round_to_float(static_cast<double>(v))) {}
    bfloat16(unsigned long v) : v_(round_to_float(static_cast<double>(v))) {}
    explicit bfloat16(double v) : v_(round_to_float(v)) {}

    static bfloat16 round(double d) { return bfloat16(d); }
    // The bits of the stored float whose low 16 bits are zero.
    static bfloat16 from_bits(std::uint16_t b) {
        std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
        bfloat16 x;
        std::memcpy(&x.v_, &u, sizeof u);
        return x;
    }
    std::uint16_t bits() const {
        std::uint32_t u;
        std::memcpy(&u, &v_, sizeof u);
        return static_cast<std::uint16_t>(u >> 16);
    }

    explicit operator double() const { return v_; }
    explicit operator float() const { return v_; }

    friend bfloat16 operator+(bfloat16 a, bfloat16 b) { return bfloat16(double(a.v_) + double(b.v_)); }
    friend bfloat16 operator-(bfloat16 a, bfloat16 b) { return bfloat16(double(a.v_) - double(b.v_)); }
    friend bfloat16 operator*(bfloat16 a, bfloat16 b) { return bfloat16(double(a.v_) * double(b.v_)); }
    friend bfloat16 operator/(bfloat16 a, bfloat16 b) { return bfloat16(double(a.v_) / double(b.v_)); }
    bfloat16 operator-() const {
        bfloat16 x;
        x.v_ = -v_;
        return x;
    }
    bfloat16& operator+=(bfloat16 b) { return *this = *this + b; }
    bfloat16& operator-=(bfloat16 b) { return *this = *this - b; }
    bfloat16& operator*=(bfloat16 b) { return *this = *this * b; }
    bfloat16& operator/=(bfloat16 b) { return *this = *this / b; }

    friend bool operator==(bfloat16 a, bfloat16 b) { return a.v_ == b.v_; }
    friend bool operator!=(bfloat16 a, bfloat16 b) { return a.v_ != b.v_; }
    friend bool operator<(bfloat16 a, bfloat16 b) { return a.v_ < b.v_; }
    friend bool operator>(bfloat16 a, bfloat16 b) { return a.v_ > b.v_; }
    friend bool operator<=(bfloat16 a, bfloat16 b) { return a.v_ <= b.v_; }
    friend bool operator>=(bfloat16 a, bfloat16 b) { return a.v_ >= b.v_; }

    friend bfloat16 abs(bfloat16 a) {
        bfloat16 x;
        x.v_ = std::fabs(a.v_);
        return x;
    }
    friend bfloat16 exp(bfloat16 a) { return bfloat16(std::exp(double(a.v_))); }

    // Quantum (ulp) exponent of d's bfloat16 neighbourhood: values are multiples of 2^q.
    static int quantum_exponent(double d) {
        int e = 0;
        std::frexp(d, &e);         // d = m 2^e, 0.5 <= |m| < 1
        return e - 8 < -133 ? -133 : e - 8;  // 8 significant bits; subnormals below 2^-126
    }

private:
    float v_ = 0.0f;

    static float round_to_float(double d) {
        if (!std::isfinite(d) || d == 0) return static_cast<float>(d);
        const double a = std::fabs(d);
        if (a >= 0x1p-126 && a < 0x1p128) {
            // Normal range: round the double's 52-bit fraction to 7 bits, ties to even, in
            // the bit pattern (a carry into the exponent is the right result).
            std::uint64_t u;
            std::memcpy(&u, &d, sizeof u);
            u += (std::uint64_t(1) << 44) - 1 + ((u >> 45) & 1);
            u &= ~((std::uint64_t(1) << 45) - 1);
            double r;
            std::memcpy(&r, &u, sizeof r);
            if (std::fabs(r) >= 0x1p128) return r > 0 ? HUGE_VALF : -HUGE_VALF;
            return static_cast<float>(r);
        }
        if (a >= 0x1p128) return d > 0 ? HUGE_VALF : -HUGE_VALF;
        // Subnormal range: multiples of 2^-133; nearbyint rounds half to even.
        return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(d, 133)), -133));
    }
};

}  // namespace ahat

template <>
struct fmt::formatter<ahat::bfloat16> : fmt::formatter<float> {
    auto format(ahat::bfloat16 v, fmt::format_context& ctx) const {
        return fmt::formatter<float>::format(static_cast<float>(v), ctx);
    }
};
