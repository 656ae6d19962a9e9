// Programs of our own in the style of the reference interpreter's example files (dicts of
// s-ops, loops over constant lists, several return values, `load`, `set example`, the
// library, the paper's widths through position 0 and bracket matching): tests/rasp/programs.
// The expected values were printed by the reference interpreter (tech-srl/RASP) on these
// files and inputs. Then every named s-op that compiles is run beside the evaluator on every
// word up to length 5 (4 symbols) and on random words up to length 40.
#include <catch2/catch.hpp>

#include "test_scale.hpp"

#include "rasp/compile.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

std::string path(const std::string& name) { return std::string(AHAT_SOURCE_DIR) + "/tests/rasp/programs/" + name + ".rasp"; }

// name -> "v v v" (the last assignment of each name) on `input`
std::map<std::string, std::string> values(const rasp::Program& p, const std::string& input) {
    Evaluation ev = evaluate(p, parse_tokens(p, input));
    std::map<std::string, std::string> out;
    for (const Named& n : p.named) {
        if (n.ref.kind != Ref::Kind::Sop) continue;
        std::string s;
        for (const Value& v : ev.sops[n.ref.id]) s += (s.empty() ? "" : " ") + format_element(v);
        out[n.name] = s;
    }
    return out;
}

}  // namespace

TEST_CASE("reference-style programs give the reference interpreter's values", "[rasp-refstyle]") {
    rasp::Program facts = load_rasp(path("facts"));
    REQUIRE(facts.example);
    CHECK(*facts.example == "a.P;b.Q;a.Q");
    auto v = values(facts, "c.Q;a.P;c.P;b.Q");
    CHECK(v["summary"] == "PQ    P    PQ    Q  ");
    CHECK(v["first_a"] == "F F F F T F F F F F F F F F F");
    CHECK(v["last_a"] == "F F F F T F F F F F F F F F F");
    CHECK(v["count_facts"] == "4 4 4 4 4 4 4 4 4 4 4 4 4 4 4");
    CHECK(v["boxes_seen[1]"] == "T T T T T T T T T T T T T T T");
    CHECK(v["code"] == "2 -1 -1 -1 0 -1 -1 -1 2 -1 -1 -1 1 -1 -1");
    CHECK(v["last_code"] == "-1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1");
    CHECK(v["other_end"] == "Q - c - P - a - P - c - Q - b");
    CHECK(v["in_box[\"P\"]"] == "T F F F T F F F T F F F F F F");
    CHECK(v["holds[\"c\"]"] == "F F T F F F T F F F T F F F T");
    CHECK(v.count("_scratch") == 0);

    auto s = values(load_rasp(path("sums")), "123+989");
    CHECK(s["left"] == "0 0 0 0 1 2 3");
    CHECK(s["right"] == "0 0 0 0 9 8 9");
    CHECK(s["carry_out"] == "F F F F T T T");
    CHECK(s["digit"] == "0 0 0 1 1 1 2");

    rasp::Program paper = load_rasp(path("paperlike"));
    auto p = values(paper, "([)]");
    CHECK(p["hist_first"] == "0 1 1 1");
    CHECK(p["by_count"] == "( [ ) ]");
    CHECK(p["round_only"] == "P P F F");
    CHECK(p["two_kinds"] == "P P F F");
    p = values(paper, "aabca");
    CHECK(p["hist_first"] == "2 2 1 1 2");
    CHECK(p["by_token"] == "a a a b c");
    CHECK(p["by_count"] == "a a a b c");
}

TEST_CASE("reference-style programs: most s-ops compile, and every compiled one agrees", "[rasp-refstyle]") {
    struct Case {
        const char* name;
        std::vector<std::string> alphabet;
        std::size_t min_compiled;
    };
    const Case cases[] = {{"facts", {"a", "P", ".", ";"}, 20}, {"sums", {"1", "9", "+", "0"}, 1}, {"paperlike", {"(", ")", "[", "]"}, 5}};
    std::size_t sops = 0, compiled = 0;
    std::uint32_t seed = 41;
    for (const Case& c : cases) {
        INFO(c.name);
        rasp::Program prog = load_rasp(path(c.name));
        Survey s = survey(prog, c.alphabet, survey_words(c.alphabet, ahat_test::bound(5, 4), 40, 40, seed++));
        for (const std::string& d : s.disagreements) FAIL_CHECK(d);
        CHECK(s.compiled >= c.min_compiled);
        CHECK(s.words > static_cast<std::size_t>(ahat_test::bound(300, 200)));
        sops += s.sops;
        compiled += s.compiled;
    }
    CHECK(2 * compiled >= sops);  // at least half
}
