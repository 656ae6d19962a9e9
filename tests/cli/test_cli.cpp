// End-to-end checks of the `ahat` command through the built binary (AHAT_BINARY), run in the
// source tree (AHAT_SOURCE_DIR): exit codes, stdout, the stderr error format, JSON output.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run_ahat.hpp"

#include "exact/rational.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using namespace ahat_test;


fs::path write_temp(const std::string& name, const std::string& text) {
    fs::path p = scratch() / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

}  // namespace

TEST_CASE("cli eval: the demo circuit", "[cli]") {
    Result r = run_ahat("eval circuits/demo.circ --input \"1/2, 3, 2, -1/4\"");
    CHECK(r.rc == 0);
    CHECK(r.out == "s = 3/4\nt = 1\n");
    CHECK(r.err == "");
    // several inputs, spaces as separators, sign(0) = 0
    r = run_ahat("eval circuits/demo.circ -i \"1 1 -1/4 -1/4\" -i \"0,0,0,-3/2\"");
    CHECK(r.rc == 0);
    CHECK(r.out == "# input 1\ns = 0\nt = 0\n# input 2\ns = 1/2\nt = 1\n");
    r = run_ahat("eval circuits/demo.circ --input \"1/2, 3, 2, -1/4\" --precision double");
    CHECK(r.rc == 0);
    CHECK(r.out == "s = 0.75\nt = 1\n");
    // bfloat16: 1/3 -> 0.333984375, + 1/2 = 0.833984375 -> 0.8359375 (8 bits, ties to even)
    r = run_ahat("eval circuits/demo.circ --input \"1/3, 0, 1, 0\" --precision bfloat16");
    CHECK(r.rc == 0);
    CHECK(r.out == "s = 0.8359375\nt = 1\n");
    r = run_ahat("eval circuits/demo.circ --input \"1/2, 3, 2, -1/4\" --json");
    CHECK(r.rc == 0);
    json j = parse_or_fail(r.out);
    CHECK(j["circuit"] == "circuits/demo.circ");
    CHECK(j["precision"] == "exact");
    CHECK(j["results"][0]["inputs"] == json::array({"1/2", "3", "2", "-1/4"}));
    CHECK(j["results"][0]["outputs"] == json({{"s", "3/4"}, {"t", "1"}}));
}

TEST_CASE("cli eval: squaring gives the exact value in JSON", "[cli]") {
    Result r = run_ahat("eval circuits/squaring.circ --input 3/2 --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    ahat::Integer num, den;
    mpz_ui_pow_ui(num.backend().data(), 3, 65536);
    mpz_ui_pow_ui(den.backend().data(), 2, 65536);
    const std::string expect = ahat::to_string(ahat::Rational(num, den));
    REQUIRE(j["results"].size() == 1);
    CHECK(j["results"][0]["inputs"] == json::array({"3/2"}));
    CHECK(j["results"][0]["outputs"]["x16"].get<std::string>() == expect);
}

TEST_CASE("cli eval: --max-bits turns growth into a clear error", "[cli]") {
    Result r = run_ahat("eval circuits/squaring.circ --input 3/2 --max-bits 1000");
    CHECK(r.rc == 2);
    CHECK(r.out == "");
    CHECK(starts_with(r.err, "ahat: error: gate 'x9' (mul) needs "));
    CHECK_THAT(r.err, Catch::Contains("over the limit of 1000"));
    CHECK_THAT(r.err, Catch::Contains("--max-bits"));
    r = run_ahat("eval circuits/squaring.circ --input 3/2 --max-bits 0");
    CHECK(r.rc == 0);
}

TEST_CASE("cli eval: malformed circuits exit 2 with file:line:col", "[cli]") {
    struct Case {
        const char* text;
        int line, col;
        const char* what;
    };
    const Case cases[] = {
        {"input x y\nz = add x w\noutput z\n", 2, 11, "unknown name 'w'"},
        {"input x y\nz = add x w\nw = add x y\noutput z\n", 2, 11, "unknown name 'w'"},
        {"input x y\nz = mul x y x\noutput z\n", 2, 5, "mul takes exactly 2 operands, got 3"},
        {"input x y\nz = sign x y\noutput z\n", 2, 5, "sign takes exactly 1 operand, got 2"},
        {"input x y\nz = sub x\noutput z\n", 2, 5, "sub takes exactly 2 operands, got 1"},
        {"input x y\nz = add x 3/x\noutput z\n", 2, 13, "bad literal '3/x'"},
        {"input x y\nz = add x 1.2.3\noutput z\n", 2, 14, "bad literal '1.2.3'"},
        {"input x y\nz = add x 1/0\noutput z\n", 2, 13, "division by zero"},
        {"input x y\nconst h = 1/0\noutput x\n", 2, 13, "division by zero"},
        {"input x y\nz = add x y\nz = add x y\noutput z\n", 3, 1, "duplicate name 'z'"},
        {"input x y\nx = add x y\noutput x\n", 2, 1, "duplicate name 'x'"},
        {"input x y\noutput\n", 2, 1, "empty output list"},
        {"input x y\nz = add x y\n", 3, 1, "no output statement"},
        {"input x y\nz = foo x y\noutput z\n", 2, 5, "unknown operation 'foo'"},
        {"input x const\noutput x\n", 1, 9, "'const' is a keyword"},
        {"input x y\noutput = add x y\noutput x\n", 2, 1, "'output' is a keyword"},
        {"input x y\r\nz = add x y\r\noutput z q\r\n", 3, 10, "unknown name 'q'"},
        {"input x y; z = add x q\noutput z\n", 1, 22, "unknown name 'q'"},
    };
    int k = 0;
    for (const Case& c : cases) {
        fs::path p = write_temp("bad" + std::to_string(k++) + ".circ", c.text);
        Result r = run_ahat("eval '" + p.string() + "' --input \"1, 2\"");
        INFO(c.text << "\nstderr: " << r.err);
        CHECK(r.rc == 2);
        CHECK(r.out == "");
        std::string prefix = "ahat: error: " + p.string() + ":" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": ";
        CHECK(starts_with(r.err, prefix));
        CHECK_THAT(r.err, Catch::Contains(c.what));
        // info reads the same way
        Result i = run_ahat("info '" + p.string() + "'");
        CHECK(i.rc == 2);
        CHECK(starts_with(i.err, prefix));
    }
}

TEST_CASE("cli eval: bad inputs and missing files exit 2", "[cli]") {
    Result r = run_ahat("eval circuits/demo.circ --input \"1, 2, 3\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --input #1:1:1: 3 values for a circuit with 4 inputs"));
    r = run_ahat("eval circuits/demo.circ --input \"1, x, 3, 4\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --input #1:1:4: bad value 'x'"));
    r = run_ahat("eval circuits/demo.circ --input \"1, 2, 3, 1/0\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --input #1:1:12: bad value '1/0': division by zero"));
    r = run_ahat("eval circuits/demo.circ");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: circuits/demo.circ: the circuit has 4 inputs"));
    r = run_ahat("eval circuits/no_such_file.circ --input 1");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: circuits/no_such_file.circ: cannot open"));
    r = run_ahat("eval circuits/demo.circ --input \"1,2,3,4\" --precision quad");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --precision: unknown precision 'quad'"));
}

// Regression: "0.25" once gave s = 71/100 (octal digits) and "0.9" aborted with exit 134.
TEST_CASE("cli eval: inputs with a leading zero", "[cli]") {
    Result r = run_ahat("eval circuits/demo.circ --input \"0.25, 1, 1, 0\"");
    CHECK(r.rc == 0);
    CHECK(r.out == "s = 3/4\nt = 1\n");
    r = run_ahat("eval circuits/demo.circ --input \"0.9, 1, 1, 0\"");
    INFO(r.err);
    CHECK(r.rc == 0);
    CHECK(r.out == "s = 7/5\nt = 1\n");
}

TEST_CASE("cli run: majority accepts with the exact score", "[cli]") {
    Result r = run_ahat("run examples/majority.json --input 11010 --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    CHECK(j["accepted"] == true);
    CHECK(j["score"] == "1/5");
    CHECK(j["n"] == 5);
    CHECK(j["precision"] == "exact");
    CHECK(j["tokens"] == json::array({"1", "1", "0", "1", "0"}));
    r = run_ahat("run examples/majority.json --input 11010");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("accepted (score 1/5)"));
    // property: score = (#1 - #0) / n, accepted iff > 0 (a tie rejects)
    std::mt19937_64 rng(123);
    for (int it = 0; it < 12; ++it) {
        std::size_t n = 1 + rng() % 9;
        std::string w;
        long ones = 0;
        for (std::size_t k = 0; k < n; ++k) {
            bool one = rng() % 2;
            ones += one;
            w += one ? '1' : '0';
        }
        if (it == 0) w = "0101", n = 4, ones = 2;
        ahat::Rational score(2 * ones - static_cast<long>(n), static_cast<long>(n));
        Result s = run_ahat("run examples/majority.json --input " + w + " --json");
        INFO(w);
        REQUIRE(s.rc == 0);
        json js = parse_or_fail(s.out);
        CHECK(js["score"] == ahat::to_string(score));
        CHECK(js["accepted"] == (score > 0));
    }
}

TEST_CASE("cli run: tie rules on babba and random strings", "[cli]") {
    Result r = run_ahat("run examples/tie_rules.json --input babba --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    json row = json::array({"5/2", "1", "4"});
    CHECK(j["outputs"] == json::array({row, row, row, row, row}));
    CHECK(j["tokens"] == json::array({"b", "a", "b", "b", "a"}));
    // property: average of the a positions, the first and the last; no 'a': all tie
    std::mt19937_64 rng(77);
    for (int it = 0; it < 10; ++it) {
        std::size_t n = 1 + rng() % 8;
        std::string w;
        std::vector<long> at;
        for (std::size_t k = 0; k < n; ++k) {
            bool a = rng() % 3 == 0 || it == 1;
            if (it == 2) a = false;
            if (a) at.push_back(static_cast<long>(k));
            w += a ? 'a' : 'b';
        }
        std::vector<long> pos = at;
        if (pos.empty())
            for (std::size_t k = 0; k < n; ++k) pos.push_back(static_cast<long>(k));
        long sum = 0;
        for (long p : pos) sum += p;
        json expect_row = json::array({ahat::to_string(ahat::Rational(sum, static_cast<long>(pos.size()))),
                                       std::to_string(pos.front()), std::to_string(pos.back())});
        Result s = run_ahat("run examples/tie_rules.json --input " + w + " --json");
        INFO(w);
        REQUIRE(s.rc == 0);
        json js = parse_or_fail(s.out);
        REQUIRE(js["outputs"].size() == n);
        for (const auto& out_row : js["outputs"]) CHECK(out_row == expect_row);
    }
}

TEST_CASE("cli run: a token outside the alphabet exits 2", "[cli]") {
    Result r = run_ahat("run examples/majority.json --input 11x10");
    CHECK(r.rc == 2);
    CHECK(r.out == "");
    CHECK(starts_with(r.err, "ahat: error: <input>:1:3: "));
    CHECK_THAT(r.err, Catch::Contains("not in the alphabet"));
    r = run_ahat("run examples/tie_rules.json --input abc --json");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: <input>:1:3: "));
}

TEST_CASE("cli info: circuits and encoders", "[cli]") {
    Result r = run_ahat("info circuits/demo.circ --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    CHECK(j == json({{"file", "circuits/demo.circ"}, {"kind", "circuit"}, {"inputs", 4}, {"outputs", 2},
                     {"consts", 1}, {"add", 1}, {"mul", 2}, {"sign", 1}, {"size", 4}, {"depth", 3},
                     {"max_fanin", 3}, {"edges", 8}}));
    r = run_ahat("info circuits/squaring.circ --json");
    REQUIRE(r.rc == 0);
    j = parse_or_fail(r.out);
    CHECK(j["inputs"] == 1);
    CHECK(j["mul"] == 16);
    CHECK(j["size"] == 16);
    CHECK(j["depth"] == 16);
    CHECK(j["edges"] == 32);
    r = run_ahat("info circuits/demo.circ");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("gates 4 (add 1, mul 2, sign 1), edges 8"));

    r = run_ahat("info examples/majority.json --json");
    REQUIRE(r.rc == 0);
    j = parse_or_fail(r.out);
    CHECK(j["kind"] == "encoder");
    CHECK(j["name"] == "majority");
    CHECK(j["d"] == 2);
    CHECK(j["layers"] == 1);
    CHECK(j["heads"] == 1);
    CHECK(j["rules"] == json({{"uniform", 1}}));
    CHECK(j["masks"] == json({{"none", 1}}));
    CHECK(j["input"] == "string");
    CHECK(j["alphabet"] == json::array({"0", "1"}));
    CHECK(j["features"] == json::array());
    CHECK(j["readout"] == "accept at last");
    r = run_ahat("info examples/tie_rules.json --json");
    REQUIRE(r.rc == 0);
    j = parse_or_fail(r.out);
    CHECK(j["d"] == 5);
    CHECK(j["heads"] == 3);
    CHECK(j["rules"] == json({{"average-hard", 1}, {"unique-hard-left", 1}, {"unique-hard-right", 1}}));
    CHECK(j["features"] == json::array({"i"}));
    CHECK(j["readout"] == "sequence");
}

TEST_CASE("cli gen: sort writes a circuit that sorts", "[cli]") {
    fs::path out = scratch() / "sort5.circ";
    Result r = run_ahat("gen sort --size 5 -o '" + out.string() + "'");
    REQUIRE(r.rc == 0);
    CHECK(r.out == "");
    REQUIRE(fs::exists(out));
    CHECK(starts_with(slurp(out), "# ahat gen sort --size 5\n"));
    r = run_ahat("eval '" + out.string() + "' --input \"3, -1, 1/2, 3, 0\"");
    CHECK(r.rc == 0);
    CHECK(r.out == "out1 = -1\nout2 = 0\nout3 = 1/2\nout4 = 3\nout5 = 3\n");
    // property: many random inputs (ties included) in one call, against std::sort
    std::mt19937_64 rng(555);
    std::string args;
    std::vector<std::vector<ahat::Rational>> cases;
    for (int it = 0; it < 30; ++it) {
        std::vector<ahat::Rational> v;
        std::string text;
        for (int k = 0; k < 5; ++k) {
            v.emplace_back(static_cast<long>(rng() % 7) - 3, 1 + static_cast<long>(rng() % 3));
            text += (k ? ", " : "") + ahat::to_string(v.back());
        }
        args += " -i \"" + text + "\"";
        cases.push_back(v);
    }
    r = run_ahat("eval '" + out.string() + "'" + args + " --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    REQUIRE(j["results"].size() == cases.size());
    for (std::size_t c = 0; c < cases.size(); ++c) {
        std::vector<ahat::Rational> s = cases[c];
        std::sort(s.begin(), s.end());
        for (int k = 0; k < 5; ++k)
            CHECK(j["results"][c]["outputs"]["out" + std::to_string(k + 1)] == ahat::to_string(s[k]));
    }
    // to stdout without -o: the same text
    r = run_ahat("gen sort --size 5");
    CHECK(r.rc == 0);
    CHECK(r.out == slurp(out));
}

TEST_CASE("cli gen: an unknown family exits 2 and writes nothing", "[cli]") {
    fs::path dir = scratch() / "gen_fail";
    fs::create_directories(dir);
    fs::path out = dir / "x.circ";
    Result r = run_ahat("gen nosuchfamily -o '" + out.string() + "'");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: "));
    CHECK_THAT(r.err, Catch::Contains("nosuchfamily"));
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(dir));  // no temporary left behind either
    r = run_ahat("gen sort --size 0 -o '" + out.string() + "'");
    CHECK(r.rc == 2);
    CHECK(fs::is_empty(dir));
    r = run_ahat("gen sort --size 3 -o '" + (dir / "no_such_dir" / "x.circ").string() + "'");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: "));
    CHECK(fs::is_empty(dir));
}

TEST_CASE("cli demo: all checks pass", "[cli]") {
    Result r = run_ahat("demo --json");
    CHECK(r.rc == 0);
    json j = parse_or_fail(r.out);
    CHECK(j["ok"] == true);
    REQUIRE(j["checks"].is_array());
    CHECK(j["checks"].size() >= 2);
    for (const auto& c : j["checks"]) {
        CHECK(c["failures"] == 0);
        CHECK(c["instances"].get<long>() >= 1);
    }
}

TEST_CASE("cli bench: interpreter JSON", "[cli]") {
    Result r = run_ahat("bench interpreter --json --n 4 --d 4 --repeat 1");
    REQUIRE(r.rc == 0);
    // JSON Lines: one flat record per case, the parameters in each
    std::vector<json> cases;
    std::size_t pos = 0;
    for (std::size_t e; (e = r.out.find('\n', pos)) != std::string::npos; pos = e + 1)
        cases.push_back(parse_or_fail(r.out.substr(pos, e - pos)));
    REQUIRE(cases.size() == 2);
    std::vector<std::string> names;
    for (const auto& c : cases) {
        CHECK(c["bench"] == "interpreter");
        CHECK(c["n"] == 4);
        CHECK(c["d"] == 4);
        names.push_back(c["case"].get<std::string>());
        REQUIRE(c["ratio"].is_number());
        CHECK(c["ratio"].get<double>() > 0);
        CHECK(c["same_result"] == true);
        CHECK(c["mul_adds"] == c["gmp_mul_adds"]);
        CHECK(c["mul_adds"].get<long>() > 0);
    }
    CHECK(names == std::vector<std::string>{"dense-rational", "small-integer"});
    r = run_ahat("bench interpreter --n 0 --json");
    CHECK(r.rc == 2);
}

TEST_CASE("cli usage errors name the nearest command or option", "[cli]") {
    const std::pair<const char*, const char*> cases[] = {
        {"rn circuits/demo.circ", "ahat: error: unknown command 'rn' for 'ahat': did you mean 'ahat run'?"},
        {"run examples/prev_token.json --input ab --jsno", "unknown option '--jsno' for 'ahat run': did you mean '--json'?"},
        {"bench interpretr", "did you mean 'ahat bench interpreter'?"},
        // unexpected arguments in the order typed
        {"info circuits/demo.circ extra1 extra2", "extra1 extra2"},
        // an option's value is not taken for a command
        {"--max-input-mb 4 lang clasify a", "unknown command 'clasify' for 'ahat lang': did you mean 'ahat lang classify'?"},
    };
    for (const auto& [args, message] : cases) {
        const Result r = run_ahat(args);
        INFO("ahat " << args << "\nstderr: " << r.err);
        CHECK(r.rc == 2);
        CHECK_THAT(r.err, Catch::Contains(message));
    }
}

TEST_CASE("cli usage errors exit 2", "[cli]") {
    for (const char* args : {"", "frobnicate", "eval --frob circuits/demo.circ", "eval", "run", "bench",
                             "bench nosuch", "info", "eval circuits/demo.circ --max-bits lots"}) {
        Result r = run_ahat(args);
        INFO("ahat " << args << "\nstderr: " << r.err);
        CHECK(r.rc == 2);
        CHECK(starts_with(r.err, "ahat: error: "));
    }
    Result v = run_ahat("--version");
    CHECK(v.rc == 0);
    CHECK_THAT(v.out, Catch::Contains("0.1.0"));
}

TEST_CASE("cli lang: exact models, counts, assumptions, refused rules", "[cli]") {
    // exact models: counts compile; every model names its assumptions
    auto cnt = run_ahat("lang verify '[#a > #b]' --model global-exact --max-len 6 --random-len 30 --samples 2");
    CHECK(cnt.rc == 0);
    CHECK(cnt.out.find("precision: exact rational arithmetic") != std::string::npos);
    CHECK(cnt.out.find("0 disagreements") != std::string::npos);
    auto fixed = run_ahat("lang verify '[#a > #b]' --model global");
    CHECK(fixed.rc == 2);
    CHECK(fixed.err.find("operator # is outside LTL[P] (model global)") != std::string::npos);
    auto left = run_ahat("lang compare ends-a --models local-2 --rule unique-hard-left");
    CHECK(left.rc == 2);
    CHECK(left.err.find("--models:1:1: model 'local-2' needs average-hard or uniform attention") != std::string::npos);
    auto j = run_ahat("lang compare majority --models global,global-exact --max-len 4 --random-len 8 --samples 1 "
                      "--witness-len 4 --json");
    REQUIRE(j.rc == 0);
    json doc = json::parse(j.out);
    REQUIRE(doc["models"].size() == 2);
    CHECK(doc["models"][0]["precision"] == "fixed");
    CHECK(doc["models"][1]["precision"] == "exact");
    CHECK(doc["models"][1]["logic"] == "LTL[P,Y,#]");
    CHECK(doc["models"][1]["assumptions"].get<std::string>().find("no positional features") != std::string::npos);
    const json& cells = doc["languages"][0]["cells"];
    CHECK(cells[0]["verdict"] == "not-recognizable");
    CHECK(cells[0]["reason"].get<std::string>().find("not definable in LTL[P] (= not recognizable at fixed precision)") == 0);
    CHECK(cells[1]["verdict"] == "recognized");
    CHECK(cells[1]["formula"] == "[#a - #b > 0]");
    CHECK(cells[1]["heads"] == 4);
    auto table = run_ahat("lang compare ends-a --models global,global-exact --max-len 4 --random-len 8 --samples 1 "
                          "--witness-len 4");
    REQUIRE(table.rc == 0);
    CHECK(table.out.find("global-exact    LTL[P,Y,#]: precision: exact rational arithmetic; rule: average-hard; mask: "
                         "strict (j < i); no window") != std::string::npos);
    auto bad_formula = run_ahat("lang verify '[#a >]' --model global-exact");
    CHECK(bad_formula.rc == 2);
    CHECK(bad_formula.err.find("FORMULA:1:6: expected a number or a count") != std::string::npos);
}
