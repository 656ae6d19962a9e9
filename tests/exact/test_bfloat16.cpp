// bfloat16: correct rounding (to nearest, ties to even) of conversions and of every operation.
#include <catch2/catch.hpp>

#include <random>

#include "exact/scalar.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {
double bf(const Rational& r) { return static_cast<double>(from_rational<bfloat16>(r)); }
}  // namespace

TEST_CASE("bfloat16 keeps 8 significant bits, rounding to nearest even", "[exact][bfloat16]") {
    CHECK(static_cast<double>(bfloat16(255)) == 255);
    CHECK(static_cast<double>(bfloat16(256)) == 256);
    CHECK(static_cast<double>(bfloat16(257)) == 256);  // tie: to even (256 = 1.0000000b x 2^8)
    CHECK(static_cast<double>(bfloat16(259)) == 260);  // tie between 258 and 260: 260 is even
    CHECK(static_cast<double>(bfloat16(258)) == 258);
    CHECK(static_cast<double>(bfloat16(261)) == 260);  // tie between 260 and 262: 260 is even
    CHECK(static_cast<double>(bfloat16(1.0 + 0x1p-8)) == 1.0);
    CHECK(static_cast<double>(bfloat16(1.0 + 3 * 0x1p-8)) == 1.0 + 0x1p-6);
    CHECK(static_cast<double>(bfloat16(-257)) == -256);
    CHECK(std::isinf(static_cast<double>(bfloat16(0x1p128))));
    CHECK(static_cast<double>(bfloat16(0x1.fep127)) == 0x1.fep127);  // the largest finite value
    CHECK(std::isinf(static_cast<double>(bfloat16(0x1.ffp127))));   // halfway to 2^128: to even = overflow
    CHECK(static_cast<double>(bfloat16(0x1p-133)) == 0x1p-133);      // the smallest subnormal
    CHECK(static_cast<double>(bfloat16(0x1p-134)) == 0);             // tie: to even (zero)
    CHECK(static_cast<double>(bfloat16(0x1.8p-134)) == 0x1p-133);
    CHECK(bfloat16(0x1p-126).bits() == 0x0080);
    CHECK(bfloat16(1.0).bits() == 0x3f80);
}

TEST_CASE("bfloat16 from a rational is correctly rounded, also next to midpoints", "[exact][bfloat16]") {
    CHECK(bf(R(1, 3)) == 0x1.56p-2);     // 0.0101010101... -> 1.0101011b x 2^-2 (rounded up)
    CHECK(bf(R(1, 10)) == 0x1.9ap-4);    // 1.1001100110011b x 2^-4 -> 1.1001101b
    CHECK(bf(R(257, 1)) == 256);         // exact tie -> even
    // Just above and below the midpoint 257 by less than a double's resolution: the nearest
    // double is 257 itself, the exact value decides.
    CHECK(bf(Rational(257) + R(1, 1LL << 60)) == 258);
    CHECK(bf(Rational(257) - R(1, 1LL << 60)) == 256);
    CHECK(bf(R(-3, 1024)) == -0x1.8p-9);
}

TEST_CASE("bfloat16 operations round the exact result once", "[exact][bfloat16]") {
    std::mt19937_64 rng(99);
    for (int k = 0; k < 2000; ++k) {
        bfloat16 a = bfloat16::from_bits(static_cast<std::uint16_t>(rng() & 0x7f7f)), b = bfloat16::from_bits(static_cast<std::uint16_t>((rng() & 0x3fff) + 0x3000));
        if (rng() % 2) a = -a;
        const Rational ra(static_cast<double>(a)), rb(static_cast<double>(b));
        REQUIRE(a + b == from_rational<bfloat16>(ra + rb));
        REQUIRE(a - b == from_rational<bfloat16>(ra - rb));
        REQUIRE(a * b == from_rational<bfloat16>(ra * rb));
        REQUIRE(a / b == from_rational<bfloat16>(ra / rb));
    }
    CHECK(scalar_name<bfloat16>() == "bfloat16");
    CHECK(unit_roundoff<bfloat16>() == 0x1p-8);
}
