#include <catch2/catch.hpp>

#include <random>

#include "lang/ltl.hpp"
#include "support/error.hpp"

using namespace ahat::lang;

namespace {
// All words over ab up to length n.
std::vector<std::string> words(std::size_t n, const std::string& alphabet = "ab") {
    std::vector<std::string> out{""};
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i].size() < n)
            for (char c : alphabet) out.push_back(out[i] + c);
    return out;
}
}  // namespace

TEST_CASE("ltl: parse, print, depth", "[logic]") {
    Formula f = parse_ltl("P (a & !P true) & Y b");
    CHECK(to_string(f) == "P (a & !P true) & Y b");
    CHECK(temporal_depth(f) == 2);
    Formula g = parse_ltl("a S b -> Y<=3 (c | 'X') | false");
    CHECK(to_string(g) == "a S b -> Y<=3 (c | 'X') | false");
    CHECK(parse_ltl(to_string(g)).nodes.size() == g.nodes.size());
    CHECK(to_string(parse_ltl("(a -> b) -> c")) == "(a -> b) -> c");
    CHECK(to_string(parse_ltl("a -> b -> c")) == "a -> b -> c");
    CHECK(to_string(parse_ltl("!(a S b) S (c & d)")) == "!(a S b) S (c & d)");
    CHECK(atoms_of(g) == "Xabc");
    // hash-consing: equal subformulas share a node
    Formula h = parse_ltl("P a & P a");
    CHECK(h.nodes.size() == 3);
}

TEST_CASE("ltl: located parse errors", "[logic]") {
    auto col = [](const char* text) {
        try {
            parse_ltl(text, "f");
        } catch (const ahat::InputError& e) {
            return e.loc().col;
        }
        return 0u;
    };
    CHECK(col("a & ") == 5);
    CHECK(col("(a | b") == 7);
    CHECK(col("ab") == 1);
    CHECK(col("a # b") == 3);
    CHECK(col("Y<=0 a") == 4);
    CHECK(col("a b") == 3);
}

TEST_CASE("ltl: evaluation at the end-of-string position", "[logic]") {
    // Sigma* a: the last letter is a
    Formula last_a = parse_ltl("Y a");
    CHECK(accepts(last_a, "ba"));
    CHECK_FALSE(accepts(last_a, "ab"));
    CHECK_FALSE(accepts(last_a, ""));
    // a Sigma*: the first letter is a
    Formula first_a = parse_ltl("P (a & !P true)");
    CHECK(accepts(first_a, "abb"));
    CHECK_FALSE(accepts(first_a, "bab"));
    // strict since: b S a at EOS: some a, and only b after it
    Formula s = parse_ltl("b S a");
    CHECK(accepts(s, "ba"));
    CHECK(accepts(s, "abb"));
    CHECK_FALSE(accepts(s, "aba") == false);
    CHECK_FALSE(accepts(s, "bb"));
    CHECK_FALSE(accepts(s, ""));
    // H: every letter is a (true on the empty word)
    Formula h = parse_ltl("H a");
    CHECK(accepts(h, ""));
    CHECK(accepts(h, "aaa"));
    CHECK_FALSE(accepts(h, "aba"));
    // window: an a among the last two letters
    Formula w = parse_ltl("Y<=2 a");
    CHECK(accepts(w, "bab"));
    CHECK_FALSE(accepts(w, "abb"));
    auto v = evaluate(w, "abb");
    CHECK(v[w.root] == std::vector<bool>{false, true, true, false});
}

TEST_CASE("ltl: the automaton of a formula agrees with the evaluator", "[logic]") {
    for (const char* text : {"Y a", "P (a & !P true) & Y b", "b S a", "Y<=3 (a & Y b)", "H (a -> Y b)",
                             "!(a S (b & P a)) | Y<=2 Y a", "true", "false", "a"}) {
        Formula f = parse_ltl(text);
        Dfa d = ltl_dfa(f, "ab");
        for (const auto& w : words(9)) {
            INFO(text << " on " << w);
            CHECK(d.accepts(w) == accepts(f, w));
        }
    }
    CHECK(ltl_dfa(parse_ltl("Y a"), "ab").states() == 2);
    CHECK(ltl_dfa(parse_ltl("P (a & !P true)"), "ab").states() == 3);
    CHECK(ltl_dfa(parse_ltl("true"), "ab").states() == 1);
}
