// Exact scalars and the small linear algebra: parse_rational (values and failure offsets),
// canonical printing, bit sizes, the small-integer bound, fmt, the located JSON reader, and
// Sparse / Affine / apply / apply_add / dot against a naive Rational computation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "exact/linalg.hpp"
#include "exact/rational.hpp"
#include "support/error.hpp"
#include "support/json.hpp"

using namespace ahat;

namespace {

// Through Integer: Boost's Rational(long, long) reads a negative denominator as unsigned.
Rational R(long long n, long long d = 1) { return Rational(Integer(n), Integer(d)); }

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

JValue json_bad_loc(const std::string& text, std::uint32_t line, std::uint32_t col, const std::string& what) {
    try {
        parse_json(text, "doc.json");
    } catch (const InputError& e) {
        INFO("json: " << text << "\nerror: " << e.located());
        CHECK(e.loc().file == "doc.json");
        CHECK(e.loc().line == line);
        CHECK(e.loc().col == col);
        CHECK_THAT(std::string(e.what()), Catch::Contains(what));
        return {};
    }
    FAIL("no InputError for: " << text);
    return {};
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

TEST_CASE("parse_json: values, locations and exact numbers", "[exact]") {
    const std::string text =
        "{\n"
        "  \"a\": 0.1,\n"
        "  \"b\": [1, \"7/2\", -2.5e-2],\n"
        "\t\"c\": {\"t\": true, \"f\": false, \"n\": null},\n"
        "  \"s\": \"x\\n\\u00e9\\\"\",\n"
        "  \"big\": 1e400\n"
        "}\n";
    JValue v = parse_json(text, "doc.json");
    REQUIRE(v.kind == JValue::Kind::Object);
    CHECK(v.loc.file == "doc.json");
    CHECK(v.loc.line == 1);
    CHECK(v.loc.col == 1);
    const JValue& a = v.at("a");
    CHECK(a.kind == JValue::Kind::Number);
    CHECK(a.text == "0.1");
    CHECK(a.rational("a") == R(1, 10));
    CHECK(a.loc.line == 2);
    CHECK(a.loc.col == 8);
    const auto& b = v.at("b").array("b");
    REQUIRE(b.size() == 3);
    CHECK(b[0].loc.line == 3);
    CHECK(b[0].loc.col == 9);
    CHECK(b[1].kind == JValue::Kind::String);
    CHECK(b[1].loc.col == 12);
    CHECK(b[1].rational("b") == R(7, 2));
    CHECK(b[2].loc.col == 19);
    CHECK(b[2].rational("b") == R(-1, 40));
    const JValue& c = v.at("c");
    CHECK(c.loc.line == 4);
    CHECK(c.loc.col == 7);  // a tab counts one column
    CHECK(c.at("t").flag("t"));
    CHECK_FALSE(c.at("f").flag("f"));
    CHECK(c.at("n").is_null());
    CHECK(v.at("s").string("s") == "x\n\xC3\xA9\"");
    CHECK(v.at("big").rational("big") == Rational(pow_int(10, 400)));
    CHECK(v.find("missing") == nullptr);
    CHECK_THROWS_AS(v.at("missing"), InputError);
    CHECK(b[0].count("n") == 1);
}

TEST_CASE("parse_json: syntax errors at line:col", "[exact]") {
    json_bad_loc("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key \"a\"");
    json_bad_loc("{\n  \"k\": 1,\n  \"k\": [2]\n}", 3, 3, "duplicate key");
    json_bad_loc("[1, 2", 1, 6, "unexpected end of file");
    json_bad_loc("[1 2]", 1, 4, "expected ']'");
    json_bad_loc("{\"a\" 1}", 1, 6, "expected ':'");
    json_bad_loc("{\"a\": 1,}", 1, 9, "expected a string key");
    json_bad_loc("{1: 2}", 1, 2, "expected a string key");
    json_bad_loc("\n\n   @", 3, 4, "unexpected character '@'");
    json_bad_loc("[1, -]", 1, 6, "bad number \"-\"");
    json_bad_loc("[1.2.3]", 1, 5, "bad number \"1.2.3\"");
    json_bad_loc("[1e999999]", 1, 4, "exponent too large");
    json_bad_loc("{\"a\": \"abc", 1, 11, "unterminated string");
    json_bad_loc("[\"a\\q\"]", 1, 5, "bad escape");
    json_bad_loc("[\"\\u12G4\"]", 1, 4, "bad \\u escape");
    json_bad_loc("[true, tru]", 1, 8, "unexpected character 't'");
    json_bad_loc("{} x", 1, 4, "unexpected text after the JSON document");
    json_bad_loc("", 1, 1, "unexpected end of file");
    json_bad_loc("[1,\r\n 2,\r\n x]", 3, 2, "unexpected character 'x'");
    json_bad_loc(std::string(202, '[') + std::string(202, ']'), 1, 202, "nested too deeply");
}

// Regression (the octal reading of "0.25", see above) through the JSON reader.
TEST_CASE("parse_json: numbers with a leading zero are read exactly", "[exact]") {
    std::string what;
    try {
        JValue v = parse_json("[0.25, \"0.25\", 0.9, \"0.09\"]", "z.json");
        CHECK(v.items.at(0).rational("x") == R(1, 4));
        CHECK(v.items.at(1).rational("x") == R(1, 4));
        CHECK(v.items.at(2).rational("x") == R(9, 10));
        CHECK(v.items.at(3).rational("x") == R(9, 100));
    } catch (const std::exception& e) {
        what = e.what();
    }
    CHECK(what == "");
}

TEST_CASE("parse_json: typed accessors fail at the value's location", "[exact]") {
    JValue v = parse_json("{\n  \"r\": \"1/0\",\n  \"n\": -1,\n  \"s\": 3,\n  \"x\": 1}", "f.json");
    auto located = [](const std::function<void()>& f) -> std::string {
        try {
            f();
        } catch (const InputError& e) {
            return e.located();
        }
        return "no error";
    };
    // inside a string the column is that of the offending character (the '0' of "1/0")
    CHECK(located([&] { v.at("r").rational("r"); }) == "f.json:2:11: r: bad rational \"1/0\": division by zero in literal");
    CHECK_THAT(located([&] { v.at("n").count("n"); }), Catch::StartsWith("f.json:3:8: n: expected a non-negative integer"));
    CHECK(located([&] { v.at("s").string("s"); }) == "f.json:4:8: s: expected a string, found a number");
    CHECK_THAT(located([&] { v.only_keys({"r", "n", "s"}); }), Catch::StartsWith("f.json:5:8: unknown key \"x\""));
    CHECK(located([&] { v.at("nope"); }) == "f.json:1:1: missing key \"nope\"");
    CHECK(located([&] { v.at("r").at("k"); }) == "f.json:2:8: value: expected an object, found a string");
}

// ---------------------------------------------------------------------------------------
// Sparse matrices and the exact fast path

namespace {

enum class Mode { SmallInt, NearLimit, AtLimit, Rationals };

Rational rand_entry(std::mt19937_64& rng, Mode m) {
    const long long lim = (1LL << 62) - 1;
    switch (m) {
        case Mode::SmallInt: return R(static_cast<long long>(rng() % 19) - 9);
        case Mode::NearLimit: {
            long long v = lim - static_cast<long long>(rng() % 1000);
            return R(rng() % 2 ? v : -v);
        }
        case Mode::AtLimit: {  // mostly near the limit, some exactly 2^62 (not small)
            if (rng() % 4 == 0) return Rational(rng() % 2 ? (Integer(1) << 62) : -(Integer(1) << 62));
            return R(lim - static_cast<long long>(rng() % 3));
        }
        case Mode::Rationals: return R(static_cast<long long>(rng() % 41) - 20, 1 + static_cast<long long>(rng() % 12));
    }
    return R(0);
}

Matrix<Rational> rand_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols, Mode m, unsigned zero_pct) {
    Matrix<Rational> a(rows, cols);
    for (auto& v : a.data) v = (rng() % 100 < zero_pct) ? R(0) : rand_entry(rng, m);
    return a;
}

std::vector<Rational> rand_vec(std::mt19937_64& rng, std::size_t n, Mode m) {
    std::vector<Rational> v(n);
    for (auto& x : v) x = rand_entry(rng, m);
    return v;
}

std::vector<Rational> naive_mul(const Matrix<Rational>& a, const std::vector<Rational>& x) {
    std::vector<Rational> y(a.rows, R(0));
    for (std::size_t r = 0; r < a.rows; ++r)
        for (std::size_t c = 0; c < a.cols; ++c) y[r] += a.at(r, c) * x[c];
    return y;
}

std::size_t nonzeros(const Matrix<Rational>& a) {
    std::size_t k = 0;
    for (const auto& v : a.data) k += v != 0;
    return k;
}

}  // namespace

TEST_CASE("Sparse: from_dense, to_dense and the small-integer cache", "[exact]") {
    Matrix<Rational> a(2, 3);
    a.at(0, 1) = R(5);
    a.at(1, 0) = R(-1, 2);
    a.at(1, 2) = R(3);
    Sparse<Rational> s = Sparse<Rational>::from_dense(a);
    CHECK(s.rows == 2);
    CHECK(s.cols == 3);
    CHECK(s.nnz() == 3);
    CHECK(s.start == std::vector<std::uint32_t>{0, 1, 3});
    CHECK(s.col == std::vector<std::uint32_t>{1, 0, 2});
    CHECK(s.to_dense() == a);
    CHECK(s.small.empty());  // -1/2 is not an integer
    a.at(1, 0) = R(-4);
    Sparse<Rational> t = Sparse<Rational>::from_dense(a);
    CHECK(t.small == std::vector<std::int64_t>{5, -4, 3});
    Sparse<Rational> empty = Sparse<Rational>::from_dense(Matrix<Rational>(3, 4));
    CHECK(empty.nnz() == 0);
    CHECK(empty.start == std::vector<std::uint32_t>{0, 0, 0, 0});
    CHECK(empty.to_dense() == Matrix<Rational>(3, 4));
}

TEST_CASE("Sparse: from_triples sums duplicates, drops zeros, any order", "[exact]") {
    using T = Sparse<Rational>::Triple;
    Sparse<Rational> s = Sparse<Rational>::from_triples(
        3, 3, {T{2, 2, R(1)}, T{0, 1, R(1, 2)}, T{0, 1, R(1, 2)}, T{1, 0, R(3)}, T{1, 0, R(-3)}, T{0, 0, R(0)}});
    CHECK(s.nnz() == 2);
    Matrix<Rational> d = s.to_dense();
    CHECK(d.at(0, 1) == 1);
    CHECK(d.at(2, 2) == 1);
    CHECK(d.at(1, 0) == 0);
    CHECK(s.small == std::vector<std::int64_t>{1, 1});

    std::mt19937_64 rng(99);
    for (int it = 0; it < 200; ++it) {
        std::size_t rows = 1 + rng() % 8, cols = 1 + rng() % 8;
        Mode m = it % 2 ? Mode::SmallInt : Mode::Rationals;
        std::vector<T> trip;
        Matrix<Rational> expect(rows, cols);
        std::size_t n = rng() % 30;
        for (std::size_t k = 0; k < n; ++k) {
            T t{static_cast<std::uint32_t>(rng() % rows), static_cast<std::uint32_t>(rng() % cols), rand_entry(rng, m)};
            expect.at(t.row, t.col) += t.value;
            trip.push_back(t);
        }
        Sparse<Rational> sp = Sparse<Rational>::from_triples(rows, cols, trip);
        CHECK(sp.to_dense() == expect);
        CHECK(sp.nnz() == nonzeros(expect));
        for (const auto& v : sp.val) CHECK(v != 0);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::uint32_t k = sp.start[r] + 1; k < sp.start[r + 1]; ++k) CHECK(sp.col[k - 1] < sp.col[k]);
        CHECK(Sparse<Rational>::from_dense(expect) == sp);
    }
}

TEST_CASE("apply / apply_add / dot equal a naive Rational computation", "[exact]") {
    const Mode modes[] = {Mode::SmallInt, Mode::NearLimit, Mode::AtLimit, Mode::Rationals};
    std::mt19937_64 rng(424242);
    for (int it = 0; it < 400; ++it) {
        Mode ma = modes[rng() % 4], mx = modes[rng() % 4], mb = modes[rng() % 4];
        // long rows (up to 70 columns) so that sums of near-2^62 products overflow 128 bits
        std::size_t rows = 1 + rng() % 6, cols = 1 + rng() % (it % 3 == 0 ? 70 : 8);
        Matrix<Rational> a = rand_matrix(rng, rows, cols, ma, static_cast<unsigned>(rng() % 60));
        std::vector<Rational> x = rand_vec(rng, cols, mx);
        std::vector<Rational> b = rand_vec(rng, rows, mb);
        INFO("iteration " << it << " rows " << rows << " cols " << cols);

        Affine<Rational> f(Sparse<Rational>::from_dense(a), b);
        auto all_small = [](const std::vector<Rational>& v) {
            std::int64_t t;
            return std::all_of(v.begin(), v.end(), [&](const Rational& r) { return small_int(r, &t); });
        };
        bool all_small_a = all_small(a.data), all_small_b = all_small(b);
        CHECK((f.A.small.size() == f.A.val.size()) == all_small_a);
        CHECK(f.small_ok == (all_small_a && all_small_b));

        std::vector<Rational> expect = naive_mul(a, x);
        for (std::size_t r = 0; r < rows; ++r) expect[r] += b[r];
        std::vector<Rational> y(rows, R(12345));
        CHECK(apply(f, x.data(), y.data()) == nonzeros(a));
        CHECK(y == expect);

        std::vector<Rational> y0 = rand_vec(rng, rows, modes[rng() % 4]);
        std::vector<Rational> y2 = y0;
        CHECK(apply_add(f.A, x.data(), y2.data()) == nonzeros(a));
        std::vector<Rational> ax = naive_mul(a, x);
        for (std::size_t r = 0; r < rows; ++r) CHECK(y2[r] == y0[r] + ax[r]);

        std::vector<Rational> u = rand_vec(rng, cols, ma);
        Rational d = 0;
        for (std::size_t k = 0; k < cols; ++k) d += u[k] * x[k];
        CHECK(dot(u.data(), x.data(), cols) == d);
    }
}

TEST_CASE("apply: 128-bit overflow falls back to GMP with the exact result", "[exact]") {
    const long long lim = (1LL << 62) - 1;
    const std::size_t n = 64;  // 64 products of ~2^124 overflow i128
    Matrix<Rational> a(2, n);
    std::vector<Rational> x(n, R(lim)), b{R(lim), R(-lim)};
    for (std::size_t c = 0; c < n; ++c) {
        a.at(0, c) = R(lim);
        a.at(1, c) = R(c % 2 ? lim : -lim);  // alternating: partial sums stay small
    }
    Affine<Rational> f(Sparse<Rational>::from_dense(a), b);
    REQUIRE(f.small_ok);
    std::vector<Rational> y(2);
    apply(f, x.data(), y.data());
    Rational l(lim);
    CHECK(y[0] == Rational(64) * l * l + l);
    CHECK(y[1] == -l);
    std::vector<Rational> acc{R(lim), R(0)};
    apply_add(f.A, x.data(), acc.data());
    CHECK(acc[0] == Rational(64) * l * l + l);
    CHECK(acc[1] == 0);
    CHECK(dot(a.row(0), x.data(), n) == Rational(64) * l * l);
    CHECK(dot(a.row(1), x.data(), n) == 0);
    // Negative direction.
    std::vector<Rational> xn(n, R(-lim));
    apply(f, xn.data(), y.data());
    CHECK(y[0] == -Rational(64) * l * l + l);
    // Empty affine map and empty dot.
    Affine<Rational> e(Sparse<Rational>(2, 0), {R(1, 3), R(-2)});
    std::vector<Rational> ye(2);
    CHECK(apply(e, static_cast<const Rational*>(nullptr), ye.data()) == 0);
    CHECK(ye == std::vector<Rational>{R(1, 3), R(-2)});
    CHECK(dot(static_cast<const Rational*>(nullptr), static_cast<const Rational*>(nullptr), 0) == 0);
}
