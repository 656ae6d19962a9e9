// support/json: the located JSON reader (values, exact numbers, syntax errors at line:col,
// typed accessors that fail at the value's location).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "support/error.hpp"
#include "support/json.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

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
    CHECK(v.at("big").rational("big") == Rational(Integer(boost::multiprecision::pow(Integer(10), 400))));
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
