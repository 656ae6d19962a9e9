// Exact scalars: the one Rational alias, exact parsing, canonical printing, bit sizes.
//
// Offers:
//   Rational                       GMP rational through Boost.Multiprecision, expression
//                                  templates off (so `auto` never captures a template).
//   parse_rational(text, &why)     "-3", "7/2", "0.25", "1.5e-3" -> exact value, or nullopt
//                                  with a reason and the offending offset.
//   to_string(r)                   canonical form: "-3", "7/2" (lowest terms, sign on top).
//   bit_size(r)                    bits of numerator plus bits of denominator.
//   over_bits(r, max_bits)         bit_size(r) > max_bits, from the limb counts when far below.
//   small_int(r, &out)             true when r is an integer that fits in int64.
//   use_limb_pool()                GMP's one- and two-limb blocks from a per-thread pool for
//                                  the rest of the process (about half the memory of a state
//                                  of small values). Programs opt in (the ahat and ahat-mpi
//                                  commands, the tests), since it changes GMP's allocator for
//                                  every GMP user in the process: memory GMP hands out must
//                                  then be freed through GMP's free function, never free().
//                                  A no-op under AddressSanitizer; true when installed.
//   fmt::formatter<Rational>       prints the canonical form.
#pragma once

#include <boost/multiprecision/gmp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace ahat {

// 128-bit integers for the exact fast path (a GCC/Clang extension; __extension__ keeps
// -Wpedantic quiet about it).
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

using Rational = boost::multiprecision::number<boost::multiprecision::gmp_rational,
                                               boost::multiprecision::et_off>;
using Integer = boost::multiprecision::number<boost::multiprecision::gmp_int,
                                              boost::multiprecision::et_off>;

struct ParseFailure {
    std::string why;
    std::size_t offset = 0;  // offset into the text where the problem is
};

// Exact parse of an integer, fraction or decimal (optional exponent, |exponent| <= 100000).
std::optional<Rational> parse_rational(std::string_view text, ParseFailure* failure = nullptr);

std::string to_string(const Rational& r);

// Bits of |numerator| plus bits of denominator (each at least 1).
std::size_t bit_size(const Rational& r);

// bit_size(r) > max_bits, answered from the limb counts (64 bits a limb bound the size from
// above) unless they exceed the limit: the exact count is taken only near it.
inline bool over_bits(const Rational& r, std::size_t max_bits) {
    mpq_srcptr q = r.backend().data();
    const std::size_t limbs = mpz_size(mpq_numref(q)) + mpz_size(mpq_denref(q));
    return limbs * 64 > max_bits && bit_size(r) > max_bits;
}

bool use_limb_pool();

// True when r is an integer with |r| < 2^62; then *out holds it. The margin keeps
// sums of a few such values and products into i128 free of overflow checks. Inline and
// through GMP's inline size and limb accessors, no library call: every exact kernel asks it
// of every operand.
static_assert(GMP_NUMB_BITS == 64, "small_int reads one 64-bit limb");
inline bool small_int(const Rational& r, std::int64_t* out) {
    mpq_srcptr q = r.backend().data();
    if (mpz_size(mpq_denref(q)) != 1 || mpz_getlimbn(mpq_denref(q), 0) != 1) return false;
    mpz_srcptr z = mpq_numref(q);
    const std::size_t limbs = mpz_size(z);
    if (limbs == 0) {
        *out = 0;
        return true;
    }
    const mp_limb_t v = mpz_getlimbn(z, 0);
    if (limbs > 1 || (v >> 62) != 0) return false;
    *out = mpz_sgn(z) < 0 ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
    return true;
}

inline bool is_integer(const Rational& r) {
    return mpz_cmp_ui(mpq_denref(r.backend().data()), 1) == 0;
}

inline Rational rational_from_i128(i128 v) {
    if (v >= INT64_MIN && v <= INT64_MAX) return Rational(static_cast<long long>(v));
    bool neg = v < 0;
    u128 u = neg ? -static_cast<u128>(v) : static_cast<u128>(v);
    Integer hi = static_cast<unsigned long long>(u >> 64);
    Integer lo = static_cast<unsigned long long>(u & ~0ULL);
    Integer z = (hi << 64) + lo;
    if (neg) z = -z;
    return Rational(z);
}

}  // namespace ahat

template <>
struct fmt::formatter<ahat::Rational> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const ahat::Rational& r, Ctx& ctx) const {
        std::string s = ahat::to_string(r);
        return fmt::formatter<std::string_view>::format(s, ctx);
    }
};
