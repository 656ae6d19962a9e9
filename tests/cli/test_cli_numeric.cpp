// The numeric engine through the `ahat` binary: run --engine numeric, validate, bench kernels.
#include <nlohmann/json.hpp>

#include "cli/run_ahat.hpp"

using namespace ahat_test;
using json = nlohmann::json;

namespace {

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(json::parse(line));
    return out;
}

}  // namespace

TEST_CASE("cli run --engine numeric: one result per line, the scalar run's answers", "[cli][numeric]") {
    const fs::path f = scratch() / "majority_inputs.txt";
    std::ofstream(f) << "11010\n0\n1\n000111\n0011101\n10\n";
    Result r = run_ahat("run examples/majority.json --engine numeric --precision float --input-file '" + f.string() + "'");
    REQUIRE(r.rc == 0);
    CHECK(r.out == "11010: accept (score 0.2)\n0: reject (score -1)\n1: accept (score 1)\n"
                   "000111: reject (score 0)\n0011101: accept (score 0.14285715)\n10: reject (score 0)\n");
    for (const char* input : {"11010", "000111", "0011101"}) {
        Result scalar = run_ahat(std::string("run examples/majority.json --precision float --json --input ") + input);
        Result batch = run_ahat(std::string("run examples/majority.json --engine numeric --precision float --json --input ") + input);
        REQUIRE(scalar.rc == 0);
        REQUIRE(batch.rc == 0);
        const json a = json::parse(scalar.out), b = json_lines(batch.out).at(0);
        CHECK(a["accepted"] == b["accepted"]);
        CHECK(b["precision"] == "float");
        CHECK(b["order"] == "reference");
    }
    r = run_ahat("run examples/majority.json --engine numeric --precision float --json --input-file '" + f.string() + "'");
    REQUIRE(r.rc == 0);
    const auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 6);
    CHECK(lines[3]["text"] == "000111");
    CHECK(lines[3]["input"] == 3);
    CHECK(lines[3]["accepted"] == false);
}

TEST_CASE("cli run --engine numeric: impossible options are refused", "[cli][numeric]") {
    Result r = run_ahat("run examples/majority.json --engine numeric --input 101");
    CHECK(r.rc == 2);
    CHECK(r.err.find("--engine numeric runs double, float or bfloat16") != std::string::npos);
    r = run_ahat("run examples/majority.json --engine warp --input 101");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown engine 'warp'") != std::string::npos);
    const fs::path bad = scratch() / "bad_inputs.txt";
    std::ofstream(bad) << "101\n1x1\n";
    r = run_ahat("run examples/majority.json --engine numeric --precision float --input-file '" + bad.string() + "'");
    CHECK(r.rc == 2);
    CHECK(r.err.find(bad.string() + ":2:1:") != std::string::npos);
    r = run_ahat("run examples/majority.json --engine numeric --precision float --order sloppy --input 101");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown order 'sloppy'") != std::string::npos);
}

TEST_CASE("cli validate: JSON Lines with size and summary records", "[cli][numeric]") {
    Result r = run_ahat("validate histogram --sizes 8..32*2 --samples 2 --precision float,bfloat16 --json --quiet");
    REQUIRE(r.rc == 0);
    CHECK(r.err == "");
    const auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 3 * 2 + 2);
    for (std::size_t k = 0; k < 6; ++k) {
        CHECK(lines[k]["type"] == "size");
        CHECK(lines[k]["samples"] == 2);
        CHECK(lines[k]["exact_agree"].is_number());
        CHECK(lines[k]["margin_float"].is_number());
    }
    CHECK(lines[6]["type"] == "summary");
    CHECK(lines[6]["format"] == "float");
    CHECK(lines[7]["first_failure"] == 8);  // bfloat16 breaks at once (capture agrees)
    r = run_ahat("validate histogram --sizes 8 --precision exact");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown numeric precision 'exact'") != std::string::npos);
    r = run_ahat("validate sort-unique --sizes 8");
    CHECK(r.rc == 2);
    CHECK(r.err.find("does not compile") != std::string::npos);
}

TEST_CASE("cli bench kernels: one record per shape with the ceilings", "[cli][numeric]") {
    Result r = run_ahat("bench kernels --n 64 --dk 16 --rule hard,softmax --mask causal --precision float --repeats 1 --json");
    REQUIRE(r.rc == 0);
    const auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["impl"] == "ahat-numeric");
    CHECK(lines[0]["rule"] == "hard");
    CHECK(lines[1]["rule"] == "softmax");
    CHECK(lines[0]["scores_per_s"].get<double>() > 0);
    CHECK(lines[0]["gemm_flops_per_s"].get<double>() > 0);
    r = run_ahat("bench kernels --n 64 --rule fuzzy");
    CHECK(r.rc == 2);
}
