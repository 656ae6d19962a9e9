// Selectors that one head cannot compute (proofs/rasp-compile.md, "Sums of conjunctions"):
// or, != on indices, not of several conditions, future masks with conditions; products by a
// selector's own width. Every compiled s-op is run exactly beside the evaluator on every word
// up to length 5 and on random words up to length 40 (fixed seeds).
#include <random>

#include <catch2/catch.hpp>

#include "rasp/compile.hpp"
#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

Survey check(const std::string& text, const std::vector<std::string>& alphabet, std::uint32_t seed,
             std::size_t all_up_to = 5, std::size_t random = 60) {
    rasp::Program p = read_rasp(text, "t.rasp");
    Survey s = survey(p, alphabet, survey_words(alphabet, all_up_to, random, 40, seed));
    for (const auto& [name, why] : s.refused) INFO("refused " << name << ": " << why);
    for (const std::string& d : s.disagreements) FAIL_CHECK(d);
    return s;
}

}  // namespace

TEST_CASE("rasp compile: or, !=, not and future masks with conditions agree with the evaluator", "[rasp-sums]") {
    const std::string text =
        "same = select(tokens, tokens, ==);\n"
        "others = same and select(indices, indices, !=);\n"
        "copies_elsewhere = selector_width(others);\n"
        "later_copy = has_focus(same and select(indices, indices, >));\n"
        "later_or_self = selector_width(same and select(indices, indices, >=));\n"
        "self_if_a = aggregate(select(indices, indices, ==) and select(tokens, \"a\", ==), indices, 7);\n"
        "next_same = aggregate(same and select(indices, indices, >) and select(indices + 1, indices, ==), tokens, \"-\");\n"
        "sorted_target = selector_width(select(tokens, tokens, <) or (same and select(indices, indices, <)));\n"
        "either = selector_width(select(tokens, \"a\", ==) or select(indices, 0, ==));\n"
        "neither = selector_width(not (same or select(indices, indices, <)));\n"
        "first_b_after = aggregate(select(tokens, \"b\", ==) and select(indices, indices, >), indices, 0 - 1);\n"
        "last = mark_last_instance(tokens, \"a\");\n"
        "prev_same = aggregate(same and select(indices + 1, indices, ==) or same and select(indices, indices + 1, ==) and "
        "select(tokens, \"c\", ==), tokens, \"-\");\n";
    Survey s = check(text, {"a", "b", "c"}, 11);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 11);  // `same` is a selector
    CHECK(s.words > 400);
}

TEST_CASE("rasp compile: a mean times its selector's width is an integer, and round of it compiles", "[rasp-sums]") {
    const std::string text =
        "up_to = select(indices, indices, <=);\n"
        "opens = round((indices + 1) * aggregate(up_to, indicator(tokens == \"(\")));\n"
        "closes = round((indices + 1) * aggregate(up_to, indicator(tokens == \")\")));\n"
        "depth = opens - closes;\n"
        "broken = aggregate(up_to, indicator(depth < 0)) > 0;\n"
        "state = \"F\" if broken else (\"T\" if depth == 0 else \"P\");\n"
        "total_a = round(length * aggregate(full_s, indicator(tokens == \"(\")));\n";
    Survey s = check(text, {"(", ")", "x"}, 12);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 6);
}

TEST_CASE("rasp compile: dividing by the mean of the first position's indicator is multiplying by a width", "[rasp-sums]") {
    const std::string text =
        "n = round(1 / aggregate(full_s, indicator(indices == 0)));\n"
        "def via_first(s) {\n  s = s or select(indices, 0, ==);\n  return round(1 / aggregate(s, indicator(indices == 0))) - 1;\n}\n"
        "hist = via_first(select(tokens, tokens, ==));\n"
        "before = via_first(select(tokens, tokens, <) or (select(tokens, tokens, ==) and select(indices, indices, <)));\n"
        "half = 3 / aggregate(select(indices, 0, ==) and full_s, indicator(0 == indices));\n";
    Survey s = check(text, {"a", "b", "c"}, 13);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 4);
    // the same shape without key 0 always selected stays a refused division
    rasp::Program p = read_rasp("m = 1 / aggregate(select(tokens, tokens, ==), indicator(indices == 0));\n", "t.rasp");
    CHECK_THROWS_WITH(compile(p, CompileOptions{"m", {"a", "b"}}), Catch::Contains("'/' by an unbounded numeric SOp"));
}

TEST_CASE("rasp compile: lookups and membership of unbounded integers", "[rasp-sums]") {
    const std::string text =
        "pos = selector_width(select(tokens, tokens, ==) and select(indices, indices, <));\n"
        "even_pos = pos in [0, 2, 4];\n"
        "name = [\"zero\", \"one\", \"two\"][pos if pos < 3 else 0];\n"
        "code = {0: \"x\", 1: \"y\", True: \"z\", \"s\": \"w\"}[indices if indices < 2 else 0];\n";
    Survey s = check(text, {"a", "b"}, 14);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 4);
}

TEST_CASE("rasp compile: division by indices + 1 and by length", "[rasp-sums]") {
    const std::string text =
        "so_far = selector_width(select(tokens, \"a\", ==) and select(indices, indices, <=));\n"
        "share_so_far = so_far / (indices + 1);\n"
        "share = count(tokens, \"a\") / length;\n"
        "inverse = 2 / length;\n"
        "above_half = share_so_far > 1 / 2;\n";
    Survey s = check(text, {"a", "b"}, 15);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 5);
    rasp::Program p = read_rasp("x = indices / (indices + 2);\n", "t.rasp");
    CHECK_THROWS_WITH(compile(p, CompileOptions{"x", {"a"}}), Catch::Contains("indices + 1 or length"));
}

TEST_CASE("rasp compile: a DAG deeper than the limit is refused, not a stack overflow", "[rasp-sums]") {
    rasp::Program p = read_rasp("x = indices;\nfor i in range(3000) { x = x + 1; }\n", "t.rasp");
    CHECK_THROWS_WITH(compile(p, CompileOptions{"x", {"a"}}), Catch::Contains("more than 1000 operations deep"));
    rasp::Program q = read_rasp("x = indices;\nfor i in range(250) { x = x + 1; }\n", "t.rasp");
    CHECK(compile(q, CompileOptions{"x", {"a"}}).kind == Compiled::Kind::Integer);
}

TEST_CASE("rasp compile: random Boolean combinations of selectors agree with the evaluator", "[rasp-sums]") {
    std::mt19937 rng(20261130);
    const char* atoms[] = {"select(tokens, tokens, ==)", "select(tokens, \"a\", ==)", "select(\"b\", tokens, ==)",
                           "select(indices, indices, <)", "select(indices, indices, <=)", "select(indices, indices, >)",
                           "select(indices, indices, >=)", "select(indices, indices, ==)", "select(indices, indices, !=)",
                           "select(tokens, tokens, <)", "select(indices, 1, ==)"};
    std::function<std::string(int)> expr = [&](int depth) -> std::string {
        const unsigned r = rng() % (depth > 0 ? 6 : 2);
        if (r < 2) return atoms[rng() % std::size(atoms)];
        if (r < 4) return "(" + expr(depth - 1) + (r == 2 ? " and " : " or ") + expr(depth - 1) + ")";
        if (r == 4) return "(not " + expr(depth - 1) + ")";
        return "(" + expr(depth - 1) + " and " + expr(depth - 1) + ")";
    };
    std::size_t compiled = 0, checked = 0;
    for (int t = 0; t < 40; ++t) {
        std::string s = expr(2);
        std::string text = "s = " + s + ";\nw = selector_width(s);\ng = aggregate(s, tokens, \"-\");\n";
        INFO(text);
        rasp::Program p = read_rasp(text, "t.rasp");
        Survey v = survey(p, {"a", "b", "c"}, survey_words({"a", "b", "c"}, 4, 10, 12, 100 + t));
        for (const std::string& d : v.disagreements) FAIL_CHECK(d);
        compiled += v.compiled;
        checked += v.checked;
        bool width_compiled = true;
        for (const auto& [name, why] : v.refused) width_compiled = width_compiled && name != "w";
        CHECK(width_compiled);  // every width of at most 32 conjunctions compiles
    }
    CHECK(compiled >= 60);
    CHECK(checked > 4000);
}

TEST_CASE("rasp survey: the same result on 1 and 3 threads, disagreements in word order", "[rasp-sums][threads]") {
    // s-ops that compile, one that is refused (a mean over a sum of two terms), and words with a
    // symbol outside the alphabet, on which every encoder refuses its input: each such word
    // gives one disagreement per compiled s-op, which must come out in word order.
    const std::string text =
        "same = select(tokens, tokens, ==);\n"
        "hist = selector_width(same);\n"
        "earlier = selector_width(same and select(indices, indices, <));\n"
        "mean_either = aggregate(same or select(indices, indices, <), indices);\n"
        "next = aggregate(select(indices + 1, indices, ==), tokens, \"-\");\n";
    rasp::Program p = read_rasp(text, "t.rasp");
    const std::vector<std::string> alphabet{"a", "b"};
    std::vector<std::vector<std::string>> words = survey_words(alphabet, 4, 200, 30, 7);
    std::vector<std::string> strangers;
    for (std::size_t k = 5; k < words.size(); k += 37) {
        words[k].push_back("z");
        std::string t;
        for (const auto& s : words[k]) t += s;
        strangers.push_back(t);
    }
    std::vector<std::pair<std::size_t, std::size_t>> chunks;
    SurveyOptions one;
    one.threads = 1;
    one.on_chunk = [&](std::size_t c, std::size_t count, std::size_t first, std::size_t end) {
        CHECK(c == chunks.size());
        CHECK(count == (words.size() + 63) / 64);
        chunks.emplace_back(first, end);
    };
    const Survey a = survey(p, alphabet, words, one);
    REQUIRE(!chunks.empty());
    CHECK(chunks.front().first == 0);
    CHECK(chunks.back().second == words.size());
    for (std::size_t c = 1; c < chunks.size(); ++c) CHECK(chunks[c].first == chunks[c - 1].second);
    SurveyOptions three;
    three.threads = 3;
    const Survey b = survey(p, alphabet, words, three);
    CHECK(a.sops == 4);
    CHECK(a.compiled == 3);
    REQUIRE(a.refused.size() == 1);
    CHECK(a.refused[0].first == "mean_either");
    REQUIRE(a.disagreements.size() == 3 * strangers.size());
    for (std::size_t k = 0; k < a.disagreements.size(); ++k) {
        INFO(a.disagreements[k]);
        CHECK(a.disagreements[k].find("on \"" + strangers[k / 3] + "\"") != std::string::npos);
    }
    CHECK(a.words == words.size());
    CHECK(a.checked == 3 * (words.size() - strangers.size()));
    CHECK(b.sops == a.sops);
    CHECK(b.compiled == a.compiled);
    CHECK(b.assignments == a.assignments);
    CHECK(b.assignments_compiled == a.assignments_compiled);
    CHECK(b.words == a.words);
    CHECK(b.checked == a.checked);
    CHECK(b.refused == a.refused);
    CHECK(b.disagreements == a.disagreements);
}

namespace {

std::size_t heads_of(const Compiled& c) {
    std::size_t h = 0;
    for (const Layer& l : c.encoder.layers) h += l.heads.size();
    return h;
}

}  // namespace

TEST_CASE("rasp compile: a width of up to 4 conjunctions is read back by one head", "[rasp-sums]") {
    const std::vector<std::string> abc{"a", "b", "c"};
    const std::string text =
        "same = select(tokens, tokens, ==);\n"
        // < and == of the same tokens select no common pair: the 'or' is 2 terms, not 3
        "sorted_target = selector_width(select(tokens, tokens, <) or (same and select(indices, indices, <)));\n"
        // same and j != i: [same, j<i] + [same] - [same, j<=i] (j > i excludes BOS): 3 terms
        "copies_elsewhere = selector_width(same and select(indices, indices, !=));\n"
        "never = selector_width(select(tokens, tokens, <) and same);\n"
        // 2 + 2 + 2 - (2 + 2 + 2) + 1 terms: more than 4, each read back alone
        "many = selector_width(select(tokens, \"a\", ==) or select(tokens, \"b\", <) or select(\"c\", tokens, ==) or "
        "(same and select(indices, indices, <)));\n";
    rasp::Program p = read_rasp(text, "t.rasp");
    const Compiled target = compile(p, CompileOptions{"sorted_target", abc});
    CHECK(target.encoder.layers.size() == 2);
    CHECK(heads_of(target) == 3);  // two terms' 1/(w+1), one read-back (two widths alone: 4)
    const Compiled elsewhere = compile(p, CompileOptions{"copies_elsewhere", abc});
    CHECK(elsewhere.encoder.layers.size() == 2);
    CHECK(heads_of(elsewhere) == 4);
    CHECK(heads_of(compile(p, CompileOptions{"never", abc})) == 0);
    const Compiled many = compile(p, CompileOptions{"many", abc});
    CHECK(heads_of(many) % 2 == 0);  // a first head and a read-back per term
    CHECK(heads_of(many) > 8);
    // and every one agrees with the evaluator on all words up to length 6 and random ones
    Survey s = check(text, abc, 7, 6, 80);
    CHECK(s.refused.empty());
    CHECK(s.compiled == 4);
    CHECK(s.checked > 4 * 1000);
}
