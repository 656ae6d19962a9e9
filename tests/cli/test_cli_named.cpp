// End-to-end checks of named coordinates, decoded RASP outputs and attention patterns
// (`ahat run --states`, `--attention`, `--attention-svg`), and of the small consistencies
// of issue 12: decompile reads compiled circuits, layers numbered from 0, counted nouns.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run_ahat.hpp"

namespace {

using namespace ahat_test;
using json = nlohmann::json;

// rasp/sort.rasp compiled over the letters of "banana" (once per test process).
const fs::path& sort_encoder() {
    static const fs::path p = [] {
        fs::path out = scratch() / "sort.enc.json";
        const Result r = run_ahat("rasp compile rasp/sort.rasp --alphabet abn -o " + q(out));
        INFO(r.err);
        REQUIRE(r.rc == 0);
        return out;
    }();
    return p;
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t k = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++k;
    return k;
}

}  // namespace

TEST_CASE("run of compiled sort on banana prints the decoded RASP values, text and JSON alike", "[cli][named]") {
    const Result text = run_ahat("run " + q(sort_encoder()) + " --input banana");
    INFO(text.err);
    REQUIRE(text.rc == 0);
    CHECK_THAT(text.out, Catch::Contains("decoded: a a a b n n\n"));
    const Result js = run_ahat("run " + q(sort_encoder()) + " --input banana --json");
    REQUIRE(js.rc == 0);
    const json j = parse_or_fail(js.out);
    CHECK(j["decoded"] == json::array({"a", "a", "a", "b", "n", "n"}));
    // the numeric engine decodes alike (the largest coordinate of each row)
    const Result num = run_ahat("run " + q(sort_encoder()) + " --input banana --engine numeric --precision float --json");
    INFO(num.err);
    REQUIRE(num.rc == 0);
    CHECK(parse_or_fail(num.out)["decoded"] == j["decoded"]);
}

TEST_CASE("compiled encoders name their coordinates and --states prints them", "[cli][named]") {
    const json enc = parse_or_fail(slurp(sort_encoder()));
    REQUIRE(enc["coordinates"].size() == enc["d"].get<std::size_t>());
    const std::vector<std::string> names = enc["coordinates"].get<std::vector<std::string>>();
    for (const char* want : {"tokens:a", "tokens:b", "tokens:n", "not_bos"})
        CHECK(std::find(names.begin(), names.end(), want) != names.end());
    CHECK(enc["readout"]["values"].size() == enc["readout"]["coordinates"].size());
    // every name once
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());

    const Result text = run_ahat("run " + q(sort_encoder()) + " --input ab --states");
    REQUIRE(text.rc == 0);
    CHECK_THAT(text.out, Catch::Contains("state: input\n   pos tok "));
    // each table's rows line up under its header: right-aligned columns of one width each
    std::istringstream lines(text.out);
    std::string line, header;
    std::size_t rows = 0;
    while (std::getline(lines, line)) {
        if (line.rfind("   pos ", 0) == 0) header = line;
        else if (!header.empty() && line.rfind("  ", 0) == 0) {
            ++rows;
            CHECK(line.size() == header.size());
            for (std::size_t c = 0; c + 1 < header.size(); ++c)  // a column's right edge is one in every row
                if (header[c] != ' ' && header[c + 1] == ' ') CHECK(line[c] != ' ');
        } else header.clear();
    }
    CHECK(rows >= 3 * (enc["layers"].size() + 1));
    CHECK_THAT(text.out, Catch::Contains("tokens:a"));
    CHECK_THAT(text.out, Catch::Contains("state after layer 0\n"));
    CHECK_THAT(text.out, !Catch::Contains("state after layer " + std::to_string(enc["layers"].size())));
    const Result js = run_ahat("run " + q(sort_encoder()) + " --input ab --states --json");
    REQUIRE(js.rc == 0);
    const json j = parse_or_fail(js.out);
    CHECK(j["coordinates"] == enc["coordinates"]);
    CHECK(j["states"].size() == enc["layers"].size() + 1);

    // the compiled circuit's encoder is named by the construction
    const fs::path cc = scratch() / "demo.wire.json";
    REQUIRE(run_ahat("compile circuits/demo.circ -o " + q(cc)).rc == 0);
    const Result st = run_ahat("run " + q(cc) + " --input \"1/2, 3, 2, -1/4\" --states --layers 1");
    REQUIRE(st.rc == 0);
    CHECK_THAT(st.out, Catch::Matches("[\\s\\S]*SRC +DST +DST2 +Z +Z2 +FANIN +ADD +MUL +SIGN +VAL +MEAN +P0 +P1[\\s\\S]*"));
    CHECK_THAT(st.out, Catch::Contains("stopped after 1 layer of "));
}

TEST_CASE("an input holding the BOS symbol is refused", "[cli][named]") {
    const Result r = run_ahat("run " + q(sort_encoder()) + " --input 'ba$a'");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("<input>:1:3:") && Catch::Contains("beginning-of-sequence symbol"));
    CHECK(r.out.empty());
    const Result numeric = run_ahat("run " + q(sort_encoder()) + " --input 'ba$a' --engine numeric --precision double");
    CHECK(numeric.rc == 2);
}

TEST_CASE("run --attention gives each head's attended positions, agreeing with --trace", "[cli][named]") {
    const Result r = run_ahat("run " + q(sort_encoder()) + " --input banana --attention --trace --json");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const json j = parse_or_fail(r.out);
    REQUIRE(j["attention"].is_array());
    std::size_t heads = 0;
    for (const json& layer : j["trace"]) heads += layer["heads"].size();
    REQUIRE(j["attention"].size() == heads);
    REQUIRE(heads > 0);
    for (const json& h : j["attention"]) {
        const json& traced = j["trace"][h["layer"].get<std::size_t>()]["heads"][h["head"].get<std::size_t>()]["selected"];
        REQUIRE(h["queries"].size() == j["n"].get<std::size_t>());
        for (const json& qr : h["queries"]) {
            const auto i = qr["query"].get<std::size_t>();
            CHECK(qr["keys"].size() == qr["weights"].size());
            if (h["rule"] == "average-hard") CHECK(qr["keys"].size() == traced[i].get<std::size_t>());
            double total = 0;
            for (const json& w : qr["weights"]) total += w.get<double>();
            if (!qr["keys"].empty()) CHECK(total == Approx(1.0));
            for (const json& k : qr["keys"]) {
                CHECK(k.get<std::size_t>() < j["n"].get<std::size_t>());
                if (h["mask"] == "j<=i") CHECK(k.get<std::size_t>() <= i);
            }
        }
    }
    // the text form lists the same heads
    const Result text = run_ahat("run " + q(sort_encoder()) + " --input banana --attention");
    REQUIRE(text.rc == 0);
    CHECK(count(text.out, "attention layer ") == heads);
}

TEST_CASE("run --attention-svg writes one labelled heat map per head", "[cli][named]") {
    const fs::path svg = scratch() / "attention.svg";
    const Result r = run_ahat("run " + q(sort_encoder()) + " --input banana --attention-svg " + q(svg));
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const std::string s = slurp(svg);
    REQUIRE(s.rfind("<svg ", 0) == 0);
    CHECK_THAT(s, Catch::EndsWith("</svg>\n"));
    const Result js = run_ahat("run " + q(sort_encoder()) + " --input banana --attention --json");
    const json j = parse_or_fail(js.out);
    CHECK(count(s, "<g class=\"head\"") == j["attention"].size());
    CHECK(count(s, "<rect class=\"cell\"") == j["attention"].size() * 7 * 7);  // n = 7 with the BOS
    CHECK(count(s, "class=\"key-label\"") == j["attention"].size() * 7);
    CHECK_THAT(s, Catch::Contains(">n</text>") && Catch::Contains(">$</text>"));
    CHECK_THAT(s, Catch::Contains("query position") && Catch::Contains("key position"));
    // tests/python/check_svg.py parses it as XML (CTest cli_attention_svg_is_xml)
}

TEST_CASE("decompile reads the files compile writes", "[cli][named]") {
    const fs::path cc = scratch() / "demo.gate.json";
    REQUIRE(run_ahat("compile circuits/demo.circ --construction gate -o " + q(cc)).rc == 0);
    const Result info = run_ahat("info " + q(cc) + " --json");
    REQUIRE(info.rc == 0);
    const auto tokens = parse_or_fail(info.out)["tokens"].get<std::size_t>();
    const Result r = run_ahat("decompile " + q(cc) + " --length " + std::to_string(tokens) + " --check 3 --json -o " +
                              q(scratch() / "demo.decompiled.circ"));
    INFO(r.err);
    CHECK(r.rc == 0);
    CHECK(parse_or_fail(r.out)["mismatches"] == 0);
}

TEST_CASE("counts agree with their nouns", "[cli][named]") {
    const fs::path circ = scratch() / "one.circ";
    {
        std::ofstream(circ) << "input x\ny = add x x\noutput y\n";
    }
    const fs::path cc = scratch() / "one.json";
    const Result r = run_ahat("compile " + q(circ) + " -o " + q(cc));
    REQUIRE(r.rc == 0);
    CHECK_THAT(r.out, !Catch::Contains("1 layers") && !Catch::Contains("1 heads") && !Catch::Contains("1 inputs") &&
                          !Catch::Contains("1 outputs"));
    const Result enc = run_ahat("run examples/prev_token.json --input ab");
    REQUIRE(enc.rc == 0);
    CHECK_THAT(enc.out, !Catch::Contains("(d = 7, 1 layers)"));
}

TEST_CASE("lang verify -o and lang compare --emit write the encoders they verified", "[cli][named]") {
    const fs::path enc = scratch() / "pa.json";
    const Result v = run_ahat("lang verify 'P a' --max-len 4 --random-len 8 --samples 2 -o " + q(enc));
    INFO(v.err);
    REQUIRE(v.rc == 0);
    // the written encoder accepts exactly the words with an a
    CHECK_THAT(run_ahat("run " + q(enc) + " --input bab").out, Catch::Contains("accepted"));
    CHECK_THAT(run_ahat("run " + q(enc) + " --input bbb").out, Catch::Contains("rejected"));
    // its coordinates are named by their subformulas, the counting prelude's by what they hold
    const json pa = parse_or_fail(slurp(enc));
    CHECK(pa["coordinates"] == json{"a", "P a"});
    const fs::path counts = scratch() / "counts.json";
    REQUIRE(run_ahat("lang verify '[#a > #b] & Y a' --model global-exact --max-len 3 --random-len 6 --samples 2 -o " +
                     q(counts)).rc == 0);
    const json cj = parse_or_fail(slurp(counts));
    const auto names = cj["coordinates"].get<std::vector<std::string>>();
    REQUIRE(names.size() == cj["d"].get<std::size_t>());
    for (const char* want : {"a", "b", "Y a", "seen", "1/i"}) CHECK(std::count(names.begin(), names.end(), want) == 1);
    CHECK(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.rfind("mean:", 0) == 0; }) == 2);
    const fs::path dir = scratch() / "emitted";
    const Result c = run_ahat("lang compare ends-a,majority --models global-exact,rightmost --max-len 4 --emit " + q(dir) +
                              " --json");
    INFO(c.err);
    REQUIRE(c.rc == 0);
    const json doc = parse_or_fail(c.out);
    std::size_t recognized = 0;
    for (const json& l : doc["languages"])
        for (const json& cell : l["cells"])
            if (cell["verdict"] == "recognized") {
                ++recognized;
                CHECK(fs::exists(dir / (cell["language"].get<std::string>() + "." + cell["model"].get<std::string>() + ".json")));
            }
    CHECK(recognized >= 2);
    CHECK(static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator())) == recognized);
    CHECK(run_ahat("run " + q(dir / "majority.global-exact.json") + " --input aab").rc == 0);
}

TEST_CASE("bench commands read the one --sizes grammar", "[cli][named]") {
    const Result r = run_ahat("bench rasp --tasks sort --sizes 8..32*2 --csv");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 4);  // header + 8, 16, 32
    CHECK(run_ahat("bench rasp --tasks sort --sizes 8..x").rc == 2);
    const Result old = run_ahat("bench rasp --tasks sort --sizes 8 16 --json");  // the old space-separated list
    CHECK(old.rc == 0);
    CHECK(std::count(old.out.begin(), old.out.end(), '\n') == 2);
}
