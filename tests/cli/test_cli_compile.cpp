// End-to-end checks of `ahat compile` and of `ahat run` / `ahat info` on compiled circuits,
// through the built binary (AHAT_BINARY) run in the source tree (AHAT_SOURCE_DIR).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

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


// `ahat run` on the compiled file agrees with `ahat eval` on the circuit for every input.
void check_against_eval(const fs::path& compiled, const std::string& circuit, const std::vector<std::string>& inputs) {
    for (const auto& in : inputs) {
        INFO("input " << in);
        Result ev = run_ahat("eval " + circuit + " --input \"" + in + "\" --json");
        REQUIRE(ev.rc == 0);
        Result rn = run_ahat("run " + q(compiled) + " --input \"" + in + "\" --json");
        INFO(rn.err);
        REQUIRE(rn.rc == 0);
        json e = parse_or_fail(ev.out), r = parse_or_fail(rn.out);
        CHECK(r["outputs"] == e["results"][0]["outputs"]);
        CHECK(r["inputs"] == e["results"][0]["inputs"]);
        CHECK(r["precision"] == "exact");
        CHECK(r["layers_run"] == r["layers"]);
    }
}

}  // namespace

TEST_CASE("cli compile: compile then run gives direct evaluation, both constructions", "[cli]") {
    for (std::string cons : {"wire", "gate"}) {
        INFO("construction " << cons);
        fs::path out = scratch() / ("demo." + cons + ".json");
        Result r = run_ahat("compile circuits/demo.circ --construction " + cons + " -o " + q(out));
        INFO(r.err);
        REQUIRE(r.rc == 0);
        REQUIRE(fs::exists(out));
        CHECK_THAT(r.out, Catch::Contains("compiled circuits/demo.circ (" + cons + " construction)"));
        CHECK_THAT(r.out, Catch::Contains(cons == "wire" ? "K = 3 (circuit depth 3): 3 layers, 9 heads, width d = 13"
                                                         : "K = 3 (circuit depth 3): 6 layers, 12 heads, width d = 17"));
        CHECK(r.err == "");
        CHECK(starts_with(slurp(out), "{\n  \"format\": \"ahat-compiled-circuit\",\n"));

        r = run_ahat("run " + q(out) + " --input \"1/2, 3, 2, -1/4\"");
        CHECK(r.rc == 0);
        CHECK(r.err == "");
        CHECK_THAT(r.out, Catch::EndsWith("\ns = 3/4\nt = 1\n"));
        check_against_eval(out, "circuits/demo.circ",
                           {"1 1 -1/4 -1/4", "0,0,0,-3/2", "-2, 1/3, 7, 5/2", "0.25, 1, 1, 0", "-1/2, -1/2, 1, 0"});

        // to stdout without -o: the same text, the summary on stderr
        r = run_ahat("compile circuits/demo.circ --construction " + cons);
        CHECK(r.rc == 0);
        CHECK(r.out == slurp(out));
        CHECK_THAT(r.err, Catch::Contains("compiled circuits/demo.circ"));

        // a generated sort circuit (depth 8), random inputs with ties
        fs::path sort_circ = scratch() / "sort4.circ";
        REQUIRE(run_ahat("gen sort --size 4 -o " + q(sort_circ)).rc == 0);
        fs::path sort_out = scratch() / ("sort4." + cons + ".json");
        REQUIRE(run_ahat("compile " + q(sort_circ) + " --construction " + cons + " -o " + q(sort_out)).rc == 0);
        std::mt19937_64 rng(cons == "wire" ? 11 : 12);
        std::vector<std::string> inputs;
        for (int it = 0; it < 4; ++it) {
            std::string text;
            for (int k = 0; k < 4; ++k)
                text += (k ? ", " : "") +
                        ahat::to_string(ahat::Rational(static_cast<long>(rng() % 7) - 3, 1 + static_cast<long>(rng() % 3)));
            inputs.push_back(text);
        }
        check_against_eval(sort_out, q(sort_circ), inputs);
    }
}

TEST_CASE("cli compile: --json summary, numeric runs, trace", "[cli]") {
    fs::path out = scratch() / "demo_k5.json";
    Result r = run_ahat("compile circuits/demo.circ --depth 5 -o " + q(out) + " --json");
    REQUIRE(r.rc == 0);
    json j = parse_or_fail(r.out);
    CHECK(j == json({{"compiled", out.string()}, {"circuit", "circuits/demo.circ"}, {"construction", "wire"}, {"K", 5},
                     {"circuit_depth", 3}, {"layers", 5}, {"heads", 15}, {"width", 13}, {"tokens", 10}, {"inputs", 4},
                     {"outputs", 2}, {"layout", "full"}}));
    r = run_ahat("run " + q(out) + " --input \"1/2, 3, 2, -1/4\" --precision double --json");
    REQUIRE(r.rc == 0);
    j = parse_or_fail(r.out);
    CHECK(j["precision"] == "double");
    CHECK(j["construction"] == "wire");
    CHECK(j["K"] == 5);
    CHECK(j["tokens"] == 10);
    CHECK(j["outputs"] == json({{"s", "0.75"}, {"t", "1"}}));
    CHECK(j["exact"] == json({{"s", "3/4"}, {"t", "1"}}));
    CHECK(j["difference"] == json({{"s", 0.0}, {"t", 0.0}}));
    r = run_ahat("run " + q(out) + " --input \"1/2, 3, 2, -1/4\" --precision float");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("s = 0.75 (exact 3/4, difference 0)\n"));
    // --trace: the sum head selects the fan-in, --layers stops early
    r = run_ahat("run " + q(out) + " --input \"1/2, 3, 2, -1/4\" --trace --layers 2 --json");
    REQUIRE(r.rc == 0);
    j = parse_or_fail(r.out);
    CHECK(j["layers_run"] == 2);
    REQUIRE(j["trace"].size() == 2);
    CHECK(j["trace"][0]["heads"][0]["name"] == "sum");
    // token 7 is the wire s -> t: its source s has fan-in 3
    CHECK(j["trace"][0]["heads"][0]["selected"][7] == 3);
    r = run_ahat("run " + q(out) + " --input \"1/2, 3, 2, -1/4\" --layers 1");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("stopped after 1 layer of 5"));
}

TEST_CASE("cli compile: --depth below the circuit depth exits 2 and writes nothing", "[cli]") {
    fs::path dir = scratch() / "compile_fail";
    fs::create_directories(dir);
    fs::path out = dir / "x.json";
    Result r = run_ahat("compile circuits/demo.circ --depth 2 -o " + q(out));
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --depth: K = 2 is below the depth of circuits/demo.circ (3)"));
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(dir));
    r = run_ahat("compile circuits/demo.circ --construction tree -o " + q(out));
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: --construction: unknown construction 'tree'"));
    CHECK(fs::is_empty(dir));
    r = run_ahat("compile circuits/nosuch.circ -o " + q(out));
    CHECK(r.rc == 2);
    CHECK(fs::is_empty(dir));
}

TEST_CASE("cli compile: info shows the exact shape", "[cli]") {
    for (std::size_t K : {3u, 4u}) {
        for (std::string cons : {"wire", "gate"}) {
            INFO(cons << " K = " << K);
            fs::path out = scratch() / ("info." + cons + std::to_string(K) + ".json");
            REQUIRE(run_ahat("compile circuits/demo.circ --construction " + cons + " --depth " + std::to_string(K) +
                             " -o " + q(out))
                        .rc == 0);
            Result r = run_ahat("info " + q(out) + " --json");
            REQUIRE(r.rc == 0);
            json j = parse_or_fail(r.out);
            CHECK(j["kind"] == "compiled-circuit");
            CHECK(j["construction"] == cons);
            CHECK(j["K"] == K);
            CHECK(j["circuit_depth"] == 3);
            CHECK(j["circuit"] == "circuits/demo.circ");
            CHECK(j["layers"] == (cons == "wire" ? K : 2 * K));
            CHECK(j["heads"] == (cons == "wire" ? 3 * K : 4 * K));
            CHECK(j["width"] == (cons == "wire" ? 13 : 17));
            CHECK(j["tokens"] == (cons == "wire" ? 10 : 17));
            CHECK(j["inputs"] == json::array({"x1", "x2", "y1", "y2"}));
            CHECK(j["outputs"] == json::array({"s", "t"}));
            r = run_ahat("info " + q(out));
            CHECK(r.rc == 0);
            const std::size_t layers = cons == "wire" ? K : 2 * K, heads = cons == "wire" ? 3 * K : 4 * K;
            CHECK_THAT(r.out, Catch::Contains("encoder: layers " + std::to_string(layers) + ", heads " +
                                              std::to_string(heads) + ", width d = " + (cons == "wire" ? "13" : "17")));
        }
    }
}

TEST_CASE("cli compile: bad inputs to a compiled circuit exit 2", "[cli]") {
    fs::path out = scratch() / "demo_bad_inputs.json";
    REQUIRE(run_ahat("compile circuits/demo.circ -o " + q(out)).rc == 0);
    Result r = run_ahat("run " + q(out) + " --input \"1, 2, 3\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: <input>:1:1: 3 values for a circuit with 4 inputs (x1, x2, y1, y2)"));
    r = run_ahat("run " + q(out) + " --input \"1, 2, x, 4\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: <input>:1:7: "));
    r = run_ahat("run " + q(out));
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("the circuit has 4 inputs"));
    // a damaged file: the output token out of range, located
    std::string text = slurp(out);
    std::size_t at = text.find("\"token\": 8");
    REQUIRE(at != std::string::npos);
    text.replace(at, 10, "\"token\": 80");
    fs::path bad = scratch() / "damaged.json";
    std::ofstream(bad, std::ios::binary) << text;
    r = run_ahat("run " + q(bad) + " --input \"1, 2, 3, 4\"");
    CHECK(r.rc == 2);
    CHECK(starts_with(r.err, "ahat: error: " + bad.string() + ":"));
    CHECK_THAT(r.err, Catch::Contains("output token: token 80 out of range (10 tokens)"));
    r = run_ahat("info " + q(bad));
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("token 80 out of range"));
}

TEST_CASE("cli compile: the compact layout runs exactly as the full one: auto picks by size", "[cli]") {
    const fs::path dir = scratch() / "compile_layout";
    fs::create_directories(dir);
    const fs::path full = dir / "full.json", compact = dir / "compact.json", big = dir / "big.json";
    REQUIRE(run_ahat("compile circuits/demo.circ --layout full -o " + q(full)).rc == 0);
    Result r = run_ahat("compile circuits/demo.circ --layout compact --json -o " + q(compact));
    REQUIRE(r.rc == 0);
    CHECK(parse_or_fail(r.out)["layout"] == "compact");
    check_against_eval(compact, "circuits/demo.circ", {"1, 2, 3, 4", "-1/2, 0, 7, 1/3"});
    // the same run, byte for byte, but for the file's name; info alike
    for (const char* in : {"1, 2, 3, 4", "2/3, -5, 0, 9"}) {
        json a = parse_or_fail(run_ahat("run " + q(full) + " --input \"" + in + "\" --json").out);
        json b = parse_or_fail(run_ahat("run " + q(compact) + " --input \"" + in + "\" --json").out);
        a.erase("compiled"), b.erase("compiled");
        CHECK(a == b);
    }
    // auto: the demo's 10 tokens stay full; a random circuit of 70,000 tokens goes compact
    r = run_ahat("compile circuits/demo.circ --json -o " + q(dir / "auto.json"));
    CHECK(parse_or_fail(r.out)["layout"] == "full");
    const fs::path circ = dir / "big.circ";
    REQUIRE(run_ahat("gen random --size 40000 --depth 4 --inputs 4 --seed 3 > " + q(circ)).rc == 0);
    r = run_ahat("compile " + q(circ) + " --json -o " + q(big));
    REQUIRE(r.rc == 0);
    const json s = parse_or_fail(r.out);
    CHECK(s["tokens"].get<std::size_t>() > 65536);
    CHECK(s["layout"] == "compact");
    CHECK(fs::file_size(big) < fs::file_size(circ) * 2);
    // bad layouts exit 2 and write nothing
    r = run_ahat("compile circuits/demo.circ --layout sparse -o " + q(dir / "none.json"));
    CHECK(r.rc == 2);
    CHECK(r.err.find("--layout") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "none.json"));
}
