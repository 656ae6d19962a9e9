// Inputs that once crashed, hung or said nothing (issue 10), rebuilt here: each must end with
// exit code 2 and an `ahat: error:` line that locates the problem, through the built binary.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/run_ahat.hpp"

namespace {

using namespace ahat_test;
namespace fs = std::filesystem;

// Writes text to a new scratch file and returns its path.
std::string put(const std::string& name, const std::string& text) {
    const fs::path p = scratch() / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
}

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

// Runs ahat and requires exit code 2 with an error line holding `message`.
void refused(const std::string& args, const std::string& message) {
    const Result r = run_ahat(args);
    INFO("ahat " << args.substr(0, 200) << "\nstderr: " << r.err.substr(0, 400));
    CHECK(r.rc == 2);
    CHECK(r.err.rfind("ahat: error: ", 0) == 0);
    CHECK(r.err.find(message) != std::string::npos);
}

}  // namespace

TEST_CASE("deep nesting in every recursive reader is a located error, not a stack overflow", "[cli][hardening]") {
    const std::string rasp = put("deep.rasp", "x = " + repeat("(", 5000) + "\n");
    refused("rasp run " + rasp + " --input ab", "deep.rasp:1:204: nesting deeper than 200 levels");

    std::string flat = "a0 = tokens;\n";
    for (int i = 1; i < 10000; ++i) flat += "a" + std::to_string(i) + " = a" + std::to_string(i - 1) + " + 1;\n";
    refused("rasp compile " + put("flat.rasp", flat) + " --alphabet ab", "flat.rasp:10000:");

    refused("lang classify '" + repeat("(", 10000) + "'", "regex:1:501: parentheses nest deeper than 500 levels");
    refused("lang compare 're:" + repeat("(", 10000) + "'", ":1:501: parentheses nest deeper than 500 levels");
    // postfix operators stack without parentheses: the automaton's construction recursed on them
    refused("lang classify 'a" + repeat("*", 5000) + "'", "regex:1:1001: operators nest deeper than 1000 levels");
    refused("lang compare 're:a" + repeat("?", 5000) + "'", ":1:1001: operators nest deeper than 1000 levels");

    refused("lang verify '" + repeat("(", 40000) + "'", "FORMULA:1:501: the formula nests deeper than 500 levels");
    refused("lang verify '" + repeat("!", 100000) + "a'", "FORMULA:1:501: the formula nests deeper than 500 levels");
    refused("lang verify '" + repeat("P ", 1000) + "a'", "the formula nests deeper than 500 levels");
    // within the nesting limit, verifying 450 layers took minutes
    refused("lang verify '" + repeat("P ", 450) + "a'", "FORMULA:1:1: the formula compiles to 450 layers, more than 100");
}

TEST_CASE("numeric options are read with their range: never wrapped, saturated or NaN", "[cli][hardening]") {
    refused("gen random --fanin -5", "--fanin: expected an integer from 1 to 268435456, got '-5'");
    refused("gen random --size -5", "--size: expected an integer from 1 to 268435456, got '-5'");
    refused("gen random --depth 99999999999999999999", "--depth: expected an integer from 1 to");
    refused("gen random --inputs 1x", "--inputs: expected an integer");
    refused("decompile examples/majority.json --length 99999999999999999999", "--length: expected an integer from 1 to");
    refused("run examples/majority.json --input 01 --layers -1", "--layers: expected an integer from 0 to");
    refused("lang verify a --max-len 18446744073709551616", "--max-len: expected an integer from 0 to 32");
    // in range, but 2^31 words to check
    refused("lang verify a --max-len 30", "--max-len: the words up to length 30 over 2 letters are more than 2^24");
    refused("lang compare ends-a --max-len 30", "--max-len: the words up to length 30 over 2 letters are more than 2^24");
    refused("rasp compile rasp/sort.rasp --alphabet abcdefgh --all --all-up-to 9", "--all-up-to: the words up to length 9");
    for (const char* bad : {"nan", "inf", "-1", "1e999", "0x1p3", ""})
        refused(std::string("run examples/majority.json --input 01 --precision double --tie-tolerance '") + bad + "'",
                "--tie-tolerance: expected a number from 0 to 1");
    refused("verify --family sum --sizes 3..-1", "--sizes: expected an integer from 1 to");
    refused("--max-input-mb 0 info circuits/demo.circ", "--max-input-mb: expected an integer from 1 to");
    // in range, the value is taken as written
    CHECK(run_ahat("run examples/majority.json --input 0111 --precision double --tie-tolerance 1e-3").rc == 0);
    CHECK(run_ahat("gen random --size 6 --depth 2 --fanin 2 --inputs 3 --seed 18446744073709551615").rc == 0);
}

TEST_CASE("alphabets outside a command's letters are refused with the option's name", "[cli][hardening]") {
    refused("lang classify a --alphabet é", "--alphabet:1:1: letters must be distinct printable ASCII characters");
    refused("lang verify a --alphabet é", "--alphabet:1:1: the formula's letter 'a' is not in the alphabet");
}

TEST_CASE("automata are bounded where building or classifying them would not finish", "[cli][hardening]") {
    // 2^10 states: the subset construction stops at --max-states
    const std::string re = "'(a|b)*a" + repeat("(a|b)", 9) + "'";
    refused("lang classify " + re, "regex:1:1: the regex's automaton has more than 512 states (--max-states raises the limit)");
    refused("lang compare 're:" + re.substr(1), "more than 512 states (--max-states raises the limit)");
    // 2^7 states: within the default, over a lower limit
    const std::string re7 = "'(a|b)*a" + repeat("(a|b)", 6) + "'";
    CHECK(run_ahat("lang classify " + re7).rc == 0);
    refused("lang classify " + re7 + " --max-states 100", "more than 100 states");

    std::string dfa = "alphabet ab\nstart q0\naccept q0\n";
    for (int q = 0; q < 2000; ++q)
        dfa += "q" + std::to_string(q) + " a q" + std::to_string((q + 1) % 2000) + "\nq" + std::to_string(q) + " b q0\n";
    const std::string big = put("big.dfa", dfa);
    refused("lang classify " + big, "big.dfa:1026:8: more than 512 states (--max-states raises the limit)");
    refused("lang compare " + big + " --models global", "big.dfa:1026:8: more than 512 states");
}

TEST_CASE("declared sizes and values out of the format's range are located errors", "[cli][hardening]") {
    const std::string head = R"({"format": "ahat-encoder", "version": 1, "d": 2,
 "input": {"kind": "string", "alphabet": ["0", "1"], "embedding": {"0": ["-1", "0"], "1": ["1", "0"]}},
 "layers": [{"heads": [{"mask": "none", )";
    const std::string tail = R"(
 "readout": {"kind": "accept", "position": "last", "weights": ["0", "1"], "bias": "0"}})";
    const std::string rows = put("rows.json", head + R"("rule": "uniform", "value": {"matrix": {"rows": 1000000000, "cols": 2, "entries": []}},
 "output": [["0"], ["1"]]}]}],)" + tail);
    refused("run " + rows + " --input 01 --precision double", "rows.json:3:89: value: 1000000000 rows, more than the format's limit");
    const std::string beta = put("beta.json", head + R"("rule": "softmax", "beta": 1e100000, "query": {"matrix": [["1", "0"]]},
 "key": {"matrix": [["1", "0"]]}, "value": {"matrix": [["1", "0"]]},
 "output": [["0"], ["1"]]}]}],)" + tail);
    refused("run " + beta + " --input 01 --precision double", "beta.json:3:68: softmax inverse temperature must be at most 2^64");
}

TEST_CASE("only regular files are read, and only regular files or new paths written", "[cli][hardening]") {
    refused("info /dev/zero", "/dev/zero: a device, not a regular file");
    refused("info " + scratch().string(), "a directory, not a regular file");
    const fs::path fifo = scratch() / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    refused("info " + fifo.string(), "fifo: a FIFO, not a regular file");
    refused("gen sum --size 3 -o " + fifo.string(), "fifo: a FIFO, not a regular file: not replaced");
    CHECK(fs::is_fifo(fifo));

    const fs::path target = scratch() / "target.circ", link = scratch() / "link.circ";
    std::ofstream(target) << "kept\n";
    fs::create_symlink(target, link);
    refused("gen sum --size 3 -o " + link.string(), "link.circ: a symbolic link, not a regular file: not replaced");
    CHECK(fs::is_symlink(link));
    CHECK(slurp(target) == "kept\n");

    // "-" is standard input
    const Result r = run_ahat("info - < circuits/demo.circ");
    CHECK(r.rc == 0);
    CHECK(r.out.find("gates 4") != std::string::npos);
    const Result enc = run_ahat("info - < examples/majority.json");  // JSON on stdin: sniffed by '{'
    CHECK(enc.rc == 0);
    CHECK(enc.out.find("encoder - (majority)") != std::string::npos);
    refused("info - < /dev/null", "<stdin>:1:1:");
    refused("rasp compile - --alphabet ab < /dev/null", "<stdin>:1:1: the program defines no SOp to compile");

    const std::string large = put("large.circ", "# " + std::string(std::size_t{1} << 20, 'x') + "\n");
    refused("info --max-input-mb 1 " + large, "larger than the input limit of 1048576 bytes (--max-input-mb raises it)");
}

TEST_CASE("every failure prints an error line", "[cli][hardening]") {
    refused("gen", "give a family: inner-product");
    refused("rasp compile " + put("empty.rasp", "") + " --alphabet ab", "empty.rasp:1:1: the program defines no SOp");
    refused("lang classify \"$(printf 'a\\nb')\"", "regex:1:2: control character in the regex");
}
