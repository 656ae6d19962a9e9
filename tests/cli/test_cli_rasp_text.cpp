// End-to-end: Unicode and comma alphabets through `rasp run`, `rasp compile`, `run` and
// `capture`; `rasp run`'s default input from `set example`, its notes, and --no-prelude.
#include <fstream>

#include <catch2/catch.hpp>

#include "cli/run_ahat.hpp"

using namespace ahat_test;

namespace {

std::string write(const std::string& name, const std::string& text) {
    const std::string path = (scratch() / name).string();
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("cli rasp: Unicode and comma symbols are one token each, everywhere", "[cli-rasp-text]") {
    const std::string prog = write("mark.rasp", "marked = tokens in [\"é\", \",\", \"§\"];\nrev = aggregate(select(indices, length - indices - 1, ==), tokens);\n");
    Result r = run_ahat("rasp run " + prog + " --input 'a,é§' --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"tokens\":[\"a\",\",\",\"é\",\"§\"],\"n\":4") != std::string::npos);
    CHECK(r.out.find("\"name\":\"marked\",\"kind\":\"s-op\",\"type\":\"bools\",\"values\":[false,true,true,true]") != std::string::npos);
    // --alphabet: one symbol per code point, the comma included
    const std::string enc = (scratch() / "rev.json").string();
    r = run_ahat("rasp compile " + prog + " --name rev --alphabet 'a,é§' -o " + enc + " --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"alphabet\":[\"a\",\",\",\"é\",\"§\"]") != std::string::npos);
    r = run_ahat("run " + enc + " --input '§(a' --json");
    CHECK(r.rc == 2);  // '(' is not a symbol: refused by name, after splitting into code points
    CHECK(r.err.find("'('") != std::string::npos);
    r = run_ahat("run " + enc + " --input '§,aé' --json");
    REQUIRE(r.rc == 0);
    // rows: BOS, then é a , § as one-hots over a , é § 0
    CHECK(r.out.find("[[\"0\",\"0\",\"0\",\"0\",\"0\"],[\"0\",\"0\",\"1\",\"0\",\"0\"],[\"1\",\"0\",\"0\",\"0\",\"0\"],"
                     "[\"0\",\"1\",\"0\",\"0\",\"0\"],[\"0\",\"0\",\"0\",\"1\",\"0\"]]") != std::string::npos);
    // --alphabet-file: symbols separated by white space, as its help says (commas are symbols)
    const std::string alpha = write("alpha.txt", "a ,\né\n\\s\n");
    r = run_ahat("rasp compile " + prog + " --name marked --alphabet-file " + alpha + " -o " + (scratch() / "m.json").string() + " --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"alphabet\":[\"a\",\",\",\"é\",\" \"]") != std::string::npos);
    r = run_ahat("run " + (scratch() / "m.json").string() + " --input 'a ,é' --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("[[\"0\",\"0\"],[\"1\",\"0\"],[\"1\",\"0\"],[\"0\",\"1\"],[\"0\",\"1\"]]") != std::string::npos);
    r = run_ahat("capture " + prog + " --name rev --alphabet 'é,§' --sizes 4 --samples 2 --precision exact --csv");
    CHECK(r.rc == 0);
    r = run_ahat("rasp compile " + prog + " --alphabet 'aa'");
    CHECK(r.rc == 2);
    CHECK(r.err.find("ahat: error: --alphabet: the symbol 'a' is given twice in the alphabet") == 0);
    r = run_ahat("rasp compile " + prog + " --alphabet \"$(printf '\\303')\" -o " + (scratch() / "bad.json").string());
    CHECK(r.rc == 2);
    CHECK(r.err.find("the alphabet is not UTF-8 text") != std::string::npos);
}

TEST_CASE("cli rasp compile --all: every named s-op compiled and checked: refusals listed", "[cli-rasp-text]") {
    const std::string prog = write("all.rasp", "same = select(tokens, tokens, ==);\nw = selector_width(same and select(indices, indices, !=));\n"
                                               "m = aggregate(select(indices, indices, <) or same, indices);\n");
    const std::string words = write("words.txt", "abba\nbbbbbbbbbbbbbbbbbbba\n");
    Result r = run_ahat("rasp compile " + prog + " --all --alphabet ab --all-up-to 3 --random-words 5 --words " + words);
    CHECK(r.rc == 0);
    CHECK(r.out.find(prog + ": 1 of 2 named s-ops compile (1 of 2 s-op assignments); 22 runs on 22 words (all up to length 3, 5 random up to 40): 0 disagree") == 0);
    CHECK(r.out.find("  refused m: " + prog + ":3:5: aggregate of numbers over an 'or'") != std::string::npos);
    r = run_ahat("rasp compile " + prog + " --all --alphabet ab --all-up-to 1 --random-words 0 --json");
    CHECK(r.out.find("\"sops\":2,\"compiled\":1,\"assignments\":2,\"assignments_compiled\":1,\"words\":3,\"checked\":3,\"disagreements\":[]") != std::string::npos);
}

TEST_CASE("cli rasp run: set example is the default input, notes on stderr, --no-prelude", "[cli-rasp-text]") {
    const std::string prog = write("ex.rasp", "set example \"aab\"\nfull seq display on\nc = count(tokens, \"a\");\n");
    Result r = run_ahat("rasp run " + prog);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("s-op c = [2, 2, 2] (ints)") != std::string::npos);
    CHECK(r.err.find("ahat: note: " + prog + ":1:1: 'set example' accepted") == 0);
    CHECK(r.err.find(prog + ":2:1: 'full seq display on' accepted without effect") != std::string::npos);
    r = run_ahat("rasp run " + prog + " --input b");
    CHECK(r.out.find("s-op c = [0] (ints)") != std::string::npos);
    r = run_ahat("rasp run " + prog + " --no-prelude");
    CHECK(r.rc == 2);
    CHECK(r.err.find(prog + ":3:5: unknown name 'count' (a library function: the prelude is off") != std::string::npos);
    r = run_ahat("rasp run " + write("noex.rasp", "x = indices;\n"));
    CHECK(r.rc == 2);
    CHECK(r.err.find("no input: give --input") != std::string::npos);
}
