// Exact scalars: parse_rational (values and failure offsets), canonical printing, bit sizes,
// the small-integer bound, the 128-bit conversion and the limb pool across threads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "exact/rational.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

Integer pow_int(long base, unsigned long e) {
    Integer z;
    mpz_ui_pow_ui(z.backend().data(), static_cast<unsigned long>(base), e);
    return z;
}

// Decimal digits to Integer (Integer(std::string) would read a leading 0 as octal).
Integer dec(const std::string& digits) {
    Integer z;
    REQUIRE(mpz_set_str(z.backend().data(), digits.c_str(), 10) == 0);
    return z;
}

Rational parse_ok(const std::string& s) {
    ParseFailure why;
    auto r = parse_rational(s, &why);
    INFO("parsing \"" << s << "\": " << why.why);
    REQUIRE(r.has_value());
    return *r;
}

// Expects a failure; returns it (reason and offset).
ParseFailure parse_bad(const std::string& s) {
    ParseFailure why;
    auto r = parse_rational(s, &why);
    INFO("parsing \"" << s << "\"");
    REQUIRE_FALSE(r.has_value());
    return why;
}

// Random integer of up to `max_words` 64-bit words (so up to 64 * max_words bits).
Integer rand_integer(std::mt19937_64& rng, unsigned max_words) {
    unsigned words = 1 + static_cast<unsigned>(rng() % max_words);
    Integer z = 0;
    for (unsigned k = 0; k < words; ++k) z = (z << 64) + Integer(static_cast<unsigned long long>(rng()));
    // vary the top bit length too
    z >>= static_cast<unsigned>(rng() % 64);
    return z;
}

Rational rand_rational(std::mt19937_64& rng, unsigned max_words) {
    Integer n = rand_integer(rng, max_words);
    Integer d = rand_integer(rng, max_words);
    if (d == 0) d = 1;
    if (rng() % 2) n = -n;
    return Rational(n, d);
}

std::size_t bits_of(Integer z) {
    if (z < 0) z = -z;
    std::size_t b = 0;
    while (z > 0) {
        z >>= 1;
        ++b;
    }
    return b == 0 ? 1 : b;
}

}  // namespace

TEST_CASE("parse_rational: integers, signs and fractions", "[exact]") {
    CHECK(parse_ok("0") == 0);
    CHECK(parse_ok("-0") == 0);
    CHECK(parse_ok("+0") == 0);
    CHECK(parse_ok("7") == 7);
    CHECK(parse_ok("+7") == 7);
    CHECK(parse_ok("-3") == -3);
    CHECK(parse_ok("007") == 7);
    CHECK(parse_ok("7/2") == R(7, 2));
    CHECK(parse_ok("-7/2") == R(-7, 2));
    CHECK(parse_ok("+7/2") == R(7, 2));
    CHECK(parse_ok("6/4") == R(3, 2));
    CHECK(to_string(parse_ok("6/4")) == "3/2");
    CHECK(parse_ok("0/5") == 0);
    CHECK(parse_ok("10/5") == 2);
    CHECK(to_string(parse_ok("10/5")) == "2");
    CHECK(parse_ok("1/02") == R(1, 2));
    CHECK(parse_ok("123456789012345678901234567890") ==
          Rational(Integer("123456789012345678901234567890")));
    CHECK(parse_ok("-123456789012345678901234567890/3") ==
          Rational(Integer("-41152263004115226300411522630")));
}

TEST_CASE("parse_rational: decimals and exponents are exact", "[exact]") {
    CHECK(parse_ok("0.25") == R(1, 4));
    CHECK(parse_ok("1.25") == R(5, 4));
    CHECK(parse_ok("0.1") == R(1, 10));
    CHECK(parse_ok("-1.5") == R(-3, 2));
    CHECK(parse_ok(".5") == R(1, 2));
    CHECK(parse_ok("-.5") == R(-1, 2));
    CHECK(parse_ok("1.") == 1);
    CHECK(parse_ok("1.0") == 1);
    CHECK(parse_ok("1e3") == 1000);
    CHECK(parse_ok("1E3") == 1000);
    CHECK(parse_ok("1e+3") == 1000);
    CHECK(parse_ok("1e-3") == R(1, 1000));
    CHECK(parse_ok("2.5e-2") == R(1, 40));
    CHECK(parse_ok("1.5e-3") == R(3, 2000));
    CHECK(parse_ok("1.25e1") == R(25, 2));
    CHECK(parse_ok("-0.000") == 0);
    CHECK(parse_ok("1e100000") == Rational(pow_int(10, 100000)));
    CHECK(parse_ok("3e-100000") == Rational(Integer(3), pow_int(10, 100000)));
    CHECK(parse_ok("1.3333333333333333333333") ==
          Rational(Integer("13333333333333333333333"), pow_int(10, 22)));
}

TEST_CASE("parse_rational: property, decimal text equals digits / 10^k times 10^e", "[exact]") {
    std::mt19937_64 rng(20240611);
    for (int it = 0; it < 400; ++it) {
        std::string whole, frac;
        std::size_t nw = rng() % 12, nf = rng() % 12;  // leading zeros and empty parts included
        if (nw == 0 && nf == 0) nw = 1;
        for (std::size_t k = 0; k < nw; ++k) whole += static_cast<char>('0' + rng() % 10);
        for (std::size_t k = 0; k < nf; ++k) frac += static_cast<char>('0' + rng() % 10);
        long e = static_cast<long>(rng() % 61) - 30;
        bool neg = rng() % 2;
        std::string text = (neg ? "-" : "") + whole + (nf || rng() % 2 ? "." : "") + frac;
        bool with_exp = rng() % 2;
        if (with_exp) text += "e" + std::to_string(e);
        else e = 0;
        Integer digits = dec((whole.empty() ? std::string("0") : whole) + frac);
        Rational expect(digits, pow_int(10, frac.size()));
        if (e >= 0) expect *= Rational(pow_int(10, static_cast<unsigned long>(e)));
        else expect /= Rational(pow_int(10, static_cast<unsigned long>(-e)));
        if (neg) expect = -expect;
        INFO(text);
        CHECK(parse_ok(text) == expect);
    }
}

TEST_CASE("parse_rational: failures report the reason and offset", "[exact]") {
    struct Bad {
        const char* text;
        std::size_t offset;
        const char* why;
    };
    const Bad cases[] = {
        {"1/0", 2, "division by zero"},
        {"-7/000", 3, "division by zero"},
        {"", 0, "empty"},
        {"-", 1, "expected a number"},
        {"+", 1, "expected a number"},
        {".", 1, "expected a number"},
        {"1/", 2, "expected digits after '/'"},
        {"/2", 0, "expected digits before '/'"},
        {"1/-2", 2, "expected digits after '/'"},
        {"abc", 0, "expected a number"},
        {" 1", 0, "expected a number"},
        {"1 ", 1, "unexpected character"},
        {"1.2.3", 3, "unexpected character"},
        {"1/2/3", 3, "unexpected character"},
        {"1/2.5", 3, "unexpected character"},
        {"0x10", 1, "unexpected character"},
        {"12a", 2, "unexpected character"},
        {"1e", 2, "expected digits in exponent"},
        {"1e-", 3, "expected digits in exponent"},
        {"1e999999", 2, "exponent too large"},
        {"1e-999999", 3, "exponent too large"},
        {"1e100001", 2, "exponent too large"},
        {"1e99999999999999999999999", 2, "exponent too large"},
        {"--1", 1, "expected a number"},
    };
    for (const Bad& b : cases) {
        ParseFailure f = parse_bad(b.text);
        INFO("text \"" << b.text << "\" -> " << f.why << " at " << f.offset);
        CHECK(f.offset == b.offset);
        CHECK_THAT(f.why, Catch::Contains(b.why));
    }
    // No failure object: still just nullopt.
    CHECK_FALSE(parse_rational("1/0").has_value());
}

// Regressions: digit strings once went through Boost's gmp_int string constructor, which
// reads a leading '0' as octal ("0.25" gave 21/100, "0.9" threw std::runtime_error); and the
// exponent limit was checked before leading zeros were stripped ("1e0000001" was refused).
TEST_CASE("parse_rational: leading zeros are decimal, not octal", "[exact]") {
    const std::pair<const char*, Rational> cases[] = {
        {"0.25", R(1, 4)},     {"-0.25", R(-1, 4)},   {"0.9", R(9, 10)},     {"0.08", R(2, 25)},
        {"010", R(10)},        {"09", R(9)},          {"1/010", R(1, 10)},   {"1/09", R(1, 9)},
        {"0.5e1", R(5)},       {"0.75e-1", R(3, 40)}, {"00.125", R(1, 8)},   {".25", R(1, 4)},
        {"-.09", R(-9, 100)},  {"0.3333", R(3333, 10000)}, {"1e0000001", R(10)}, {"1e0000000", R(1)},
        {"2.5e-0000000000002", R(1, 40)},
    };
    for (const auto& [text, value] : cases) CHECK(parse_ok(text) == value);
    CHECK(parse_ok("1e00100000") == Rational(pow_int(10, 100000)));
    CHECK(parse_bad("1e000100001").why == "exponent too large (limit 100000)");
    // Property: prefixing zeros to the integer part never changes the value.
    std::mt19937_64 rng(5);
    for (int it = 0; it < 50; ++it) {
        std::string plain = std::to_string(rng() % 100000) + "." + std::to_string(rng() % 1000);
        std::string padded = std::string(1 + rng() % 3, '0') + plain;
        INFO(padded << " vs " << plain);
        CHECK(parse_ok(padded) == parse_ok(plain));
    }
}

TEST_CASE("to_string: canonical form", "[exact]") {
    CHECK(to_string(R(0)) == "0");
    CHECK(to_string(R(-3)) == "-3");
    CHECK(to_string(R(7, 2)) == "7/2");
    CHECK(to_string(R(-7, 2)) == "-7/2");
    CHECK(to_string(R(7, -2)) == "-7/2");
    CHECK(to_string(R(14, 4)) == "7/2");
    CHECK(to_string(R(-6, -3)) == "2");
    CHECK(to_string(Rational(pow_int(2, 64))) == "18446744073709551616");
    CHECK(fmt::format("{}", R(-7, 2)) == "-7/2");
    CHECK(fmt::format("[{:>6}]", R(7, 2)) == "[   7/2]");
    CHECK(fmt::format("[{:<4}]", R(-1)) == "[-1  ]");
    CHECK(fmt::format("{} {}", R(1, 3), R(0)) == "1/3 0");
}

TEST_CASE("to_string / parse_rational round trip on random rationals, huge ones included", "[exact]") {
    std::mt19937_64 rng(7);
    for (int it = 0; it < 500; ++it) {
        Rational r = rand_rational(rng, it < 250 ? 2 : 40);  // up to ~2560-bit parts
        std::string s = to_string(r);
        INFO(s);
        CHECK(parse_ok(s) == r);
        CHECK(to_string(parse_ok(s)) == s);
        // canonical: sign only in front, denominator positive, no "/1", lowest terms
        CHECK(s.find('+') == std::string::npos);
        CHECK(s.find('-', 1) == std::string::npos);
        std::size_t slash = s.find('/');
        if (slash != std::string::npos) {
            Integer num = dec(s.substr(0, slash)), den = dec(s.substr(slash + 1));
            CHECK(den > 1);
            CHECK(gcd(num, den) == 1);
        } else {
            CHECK(is_integer(r));
        }
        CHECK(fmt::format("{}", r) == s);
    }
}

TEST_CASE("bit_size: bits of numerator plus bits of denominator", "[exact]") {
    CHECK(bit_size(R(0)) == 2);
    CHECK(bit_size(R(1)) == 2);
    CHECK(bit_size(R(-1)) == 2);
    CHECK(bit_size(R(3, 2)) == 4);
    CHECK(bit_size(R(-8)) == 5);
    CHECK(bit_size(R(255, 256)) == 8 + 9);
    CHECK(bit_size(Rational(pow_int(3, 65536), pow_int(2, 65536))) == 103873 + 65537);
    std::mt19937_64 rng(11);
    for (int it = 0; it < 300; ++it) {
        Rational r = rand_rational(rng, 8);
        CHECK(bit_size(r) == bits_of(numerator(r)) + bits_of(denominator(r)));
    }
}

TEST_CASE("small_int: integers of at most 62 bits", "[exact]") {
    const Integer two62 = Integer(1) << 62;
    std::int64_t out = 12345;
    CHECK(small_int(R(0), &out));
    CHECK(out == 0);
    CHECK(small_int(R(-5), &out));
    CHECK(out == -5);
    CHECK(small_int(Rational(two62 - 1), &out));
    CHECK(out == (std::int64_t(1) << 62) - 1);
    CHECK(small_int(Rational(-(two62 - 1)), &out));
    CHECK(out == -((std::int64_t(1) << 62) - 1));
    out = 777;
    CHECK_FALSE(small_int(Rational(two62), &out));
    CHECK_FALSE(small_int(Rational(-two62), &out));
    CHECK_FALSE(small_int(Rational(two62 + 1), &out));
    CHECK_FALSE(small_int(Rational(Integer(1) << 64), &out));
    CHECK_FALSE(small_int(R(1, 2), &out));
    CHECK_FALSE(small_int(R(-7, 3), &out));
    CHECK_FALSE(small_int(Rational(two62 - 1, Integer(2)), &out));
    CHECK(out == 777);  // untouched on failure
    CHECK(is_integer(R(4, 2)));
    CHECK_FALSE(is_integer(R(1, 2)));
}

TEST_CASE("rational_from_i128 covers the whole 128-bit range", "[exact]") {
    i128 one = 1;
    CHECK(rational_from_i128(0) == 0);
    CHECK(rational_from_i128(-5) == -5);
    CHECK(rational_from_i128(one << 100) == Rational(Integer(1) << 100));
    CHECK(rational_from_i128(-(one << 100) - 3) == Rational(-(Integer(1) << 100) - 3));
    i128 maxv = static_cast<i128>((static_cast<u128>(1) << 127) - 1);
    CHECK(rational_from_i128(maxv) == Rational((Integer(1) << 127) - 1));
    CHECK(rational_from_i128(-maxv - 1) == Rational(-(Integer(1) << 127)));
    CHECK(rational_from_i128(static_cast<i128>(INT64_MAX) + 1) == Rational(Integer(1) << 63));
}

TEST_CASE("limb pool: values made on one thread and freed or grown on another stay exact", "[exact]") {
    // The ahat command and this suite run with the pool installed (tests/main.cpp). Four
    // threads each make small and two-limb values and hand half of them to the next thread,
    // which checks them, grows some (a block moves to the other size class or to malloc) and
    // frees them there; blocks freed that way are then reused for new values. Every value is
    // checked against its recomputation.
    constexpr int kThreads = 4, kRounds = 30, kValues = 3000;
    struct Tagged {
        int t, r, k;
        Rational v;
    };
    std::vector<std::vector<Tagged>> inbox(kThreads);
    std::vector<std::mutex> locks(kThreads);
    std::atomic<long> wrong{0}, received_total{0};
    auto value = [](int t, int r, int k) {  // 0, small integers, small fractions, past 64 bits
        if (k % 7 == 0) return Rational(0);
        Rational v(Integer(k * 31 + r), Integer(1 + (k + t) % 13));
        if (k % 5 == 0) v *= Rational(Integer(1) << 70);
        return v;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRounds; ++r) {
                std::vector<Tagged> mine;
                for (int k = 0; k < kValues; ++k) mine.push_back({t, r, k, value(t, r, k)});
                std::vector<Tagged> received;
                {
                    const std::lock_guard<std::mutex> g(locks[t]);
                    received.swap(inbox[t]);
                }
                received_total += static_cast<long>(received.size());
                for (Tagged& x : received) {
                    if (x.v != value(x.t, x.r, x.k)) ++wrong;
                    if (x.k % 3 == 0) {
                        x.v *= Rational(Integer(1) << 90) + 1;  // grows: reallocated on this thread
                        if (x.v != value(x.t, x.r, x.k) * (Rational(Integer(1) << 90) + 1)) ++wrong;
                    }
                }
                received.clear();  // freed on this thread
                for (const Tagged& x : mine)
                    if (x.v != value(x.t, x.r, x.k)) ++wrong;
                const std::lock_guard<std::mutex> g(locks[(t + 1) % kThreads]);
                for (int k = 0; k < kValues / 2; ++k) inbox[(t + 1) % kThreads].push_back(std::move(mine[static_cast<std::size_t>(k)]));
            }
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    CHECK(received_total > kThreads * kValues);  // values really crossed threads
    for (int t = 0; t < kThreads; ++t) inbox[t].clear();
}

TEST_CASE("limb pool: blocks freed on another thread are reused by the thread that made them", "[exact]") {
    // Values made on this thread and freed on another: their blocks go back to this thread's
    // pages, so the next values made here take the same blocks instead of new pages. (Blocks
    // kept by the freeing thread were never handed out again: two threads took 1.5x the memory
    // of one.)
    if (!use_limb_pool()) return;  // AddressSanitizer builds: GMP's blocks come from malloc
    constexpr std::size_t kValues = 20000;
    auto limbs = [](const std::vector<Rational>& v) {
        std::vector<const void*> out;
        for (const Rational& x : v) {
            mpq_srcptr q = x.backend().data();
            out.push_back(mpq_numref(q)->_mp_d);
            out.push_back(mpq_denref(q)->_mp_d);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    std::vector<Rational> first;
    for (std::size_t k = 0; k < kValues; ++k) first.emplace_back(static_cast<long long>(k + 1));
    const std::vector<const void*> before = limbs(first);
    std::thread([v = std::move(first)]() mutable { v.clear(); }).join();  // freed there
    std::vector<Rational> second;
    for (std::size_t k = 0; k < kValues; ++k) second.emplace_back(static_cast<long long>(k + 2));
    const std::vector<const void*> after = limbs(second);
    std::vector<const void*> shared;
    std::set_intersection(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(shared));
    // Most reused: the unused tail of the page in use (up to 8,191 blocks) is taken first.
    CHECK(shared.size() >= after.size() / 2);
    std::size_t wrong = 0;
    for (std::size_t k = 0; k < kValues; ++k) wrong += second[k] != Rational(static_cast<long long>(k + 2));
    CHECK(wrong == 0);
}
