#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "lang/classes.hpp"
#include "lang/generate.hpp"
#include "lang/ltl_compile.hpp"
#include "lang/regex.hpp"
#include "lang/synth.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::lang;

namespace {
// The formula agrees with the DFA on every word up to max_len, and so does its encoder.
void check_formula(const Formula& f, const Dfa& d, const char* model, std::size_t max_len = 8) {
    Model m = parse_model(model, {});
    check_in_model(f, m, {});
    std::vector<std::string> words{""};
    for (std::size_t i = 0; i < words.size(); ++i) {
        INFO(to_string(f) << " on '" << words[i] << "'");
        REQUIRE(accepts(f, words[i]) == d.accepts(words[i]));
        if (words[i].size() < max_len)
            for (char c : d.alphabet) words.push_back(words[i] + c);
    }
    LtlVerifyOptions o;
    o.max_len = 6;
    o.random_len = 20;
    o.random_count = 3;
    auto rep = verify_ltl(compile_ltl(f, d.alphabet, m.rule), d.alphabet, [&](std::string_view w) { return d.accepts(w); }, o);
    CHECK(rep.ok());
}
}  // namespace

TEST_CASE("synth: definite languages as Y-chains", "[logic]") {
    for (const char* re : {"(a|b)*a", "(a|b)*a(a|b)", "(a|b)*ab|b", "a|ab|(a|b)*bba", "(a|b)*", "", "(a|b)*(aa|bb)"}) {
        Dfa d = compile_regex(re, "ab");
        auto k = definite_degree(d);
        REQUIRE(k);
        Formula f = definite_formula(d, *k);
        CHECK(temporal_depth(f) <= *k);
        check_formula(f, d, "local-1");
    }
    CHECK(to_string(definite_formula(compile_regex("(a|b)*a", "ab"), 1)) == "Y a");
}

TEST_CASE("synth: R-trivial languages as LTL[P] path formulas", "[logic]") {
    for (const char* re : {"a(a|b)*", "(a|b)*a(a|b)*", "b*a(a|b)*b(a|b)*", "a*", "a*b*", "(a|b)*c(a|b|c)*", "ab*c"}) {
        Dfa d = compile_regex(re, re[0] == '(' && std::string(re).find('c') != std::string::npos ? "abc" : "");
        REQUIRE(partial_order(d));
        auto f = r_trivial_formula(d);
        REQUIRE(f);
        check_formula(*f, d, "global", d.alphabet.size() > 2 ? 5 : 8);
    }
    CHECK_FALSE(r_trivial_formula(compile_regex("(a|b)*a", "ab")));
}

TEST_CASE("synth: the hybrid over suffix quotients, and window types", "[logic]") {
    Dfa d = compile_regex("a(a|b)*b", "ab");  // neither R-trivial nor definite
    CHECK_FALSE(partial_order(d));
    CHECK_FALSE(definite_degree(d));
    auto f = hybrid1_formula(d, 1);
    REQUIRE(f);
    check_formula(*f, d, "hybrid-1");
    // an a among the last two letters: window 2, found as a union of window types
    Dfa w = compile_regex("(a|b)*a(a|b)?", "ab");
    auto wf = window_formula(w, 2, *definite_degree(w));
    REQUIRE(wf);
    check_formula(wf->formula, w, "local-2");
    // Sigma* a is not a union of window-2 types at any small depth
    CHECK_FALSE(window_formula(compile_regex("(a|b)*a", "ab"), 2, 1, 3));
}

TEST_CASE("synth: the smallest formula by size, checked by automaton equivalence", "[logic]") {
    Dfa cofinite = compile_regex(".{3,}|b|ab|ba|bb", "ab");  // every word but the empty word, a and aa
    auto g = smallest_formula(cofinite, true, 0);
    REQUIRE(g);
    CHECK(to_string(*g) == "P (b | P P a)");
    CHECK(ltl_dfa(*g, "ab") == cofinite);
    auto l3 = smallest_formula(cofinite, false, 3);
    REQUIRE(l3);
    CHECK(ltl_dfa(*l3, "ab") == cofinite);
    CHECK(l3->size() <= 6);  // six distinct nodes at most (the formula has six in its tree)
    // parity of a's: no formula of these logics, so none within 6 nodes either
    CHECK_FALSE(smallest_formula(compile_regex("(b*ab*a)*b*", "ab"), true, 1, 6));
}

TEST_CASE("synth: type profiles decide locally testable languages in the hybrids", "[logic]") {
    Dfa factor_aa = compile_regex("(a|b)*aa(a|b)*", "ab");
    for (std::uint32_t k : {1u, 2u}) {
        auto pf = profile_formula(factor_aa, k);
        INFO("k = " << k);
        REQUIRE(pf);
        CHECK(ltl_dfa(pf->formula, "ab") == factor_aa);  // the whole language, not a sample
        for (const auto& n : pf->formula.nodes)
            if (n.op == LtlOp::Y || n.op == LtlOp::YWithin) CHECK(n.k == k);
    }
    Dfa ab_star = compile_regex("(ab)*", "ab");
    auto pf = profile_formula(ab_star, 1);
    REQUIRE(pf);
    CHECK(ltl_dfa(pf->formula, "ab") == ab_star);
    // Σ*a is not a function of window-2 profiles (the prefix family (ab)^R a / (ab)^R)
    CHECK_FALSE(profile_formula(compile_regex("(a|b)*a", "ab"), 2));
    // counted window types: most of the last three letters are a (exact local-3)
    Dfa most = compile_regex("a|aa|.*(aa.|a.a|.aa)", "ab");
    CHECK_FALSE(window_formula(most, 3, *definite_degree(most)));
    auto wf = window_formula(most, 3, *definite_degree(most), 4, 20000, true);
    REQUIRE(wf);
    CHECK(wf->depth == 1);
    for (const auto& w : all_words("ab", 10)) CHECK(accepts(wf->formula, w) == most.accepts(w));
}

TEST_CASE("synth: finitely many members or non-members as exact words", "[logic]") {
    Dfa cofinite = compile_regex(".{4,}|()|b|aa|ab|ba|aaa|aab|abb|baa|bab|bba|bbb", "ab");  // all but a, bb, aba
    auto y = exceptions_formula(cofinite, 1);
    REQUIRE(y);
    CHECK(to_string(*y) == "!(Y (a & !Y true) | Y (b & Y (b & !Y true)) | Y (a & Y (b & Y (a & !Y true))))");
    CHECK(ltl_dfa(*y, "ab") == cofinite);
    auto p = exceptions_formula(cofinite, 0);
    REQUIRE(p);
    CHECK(to_string(*p) == "!(P true & !P P true & P a | P P true & !P P P true & P (b & P b) | "
                           "P P P true & !P P P P true & P (a & P (b & P a)))");
    CHECK(ltl_dfa(*p, "ab") == cofinite);
    for (const auto& n : p->nodes) CHECK((n.op != LtlOp::Y && n.op != LtlOp::YWithin));
    Dfa finite = compile_regex("ab|b", "ab");
    auto fy = exceptions_formula(finite, 1);
    REQUIRE(fy);
    CHECK(ltl_dfa(*fy, "ab") == finite);
    CHECK_FALSE(exceptions_formula(compile_regex("(a|b)*a", "ab"), 1));  // infinitely many of both
}

TEST_CASE("synth: exact words with P or Y<=k are forced chains, on random finite sets", "[logic]") {
    // Property: for random finite sets F over {a, b} (words up to length 5), the formula of F
    // and of its complement, with P and with Y<=k for k = 2..3, defines exactly F resp. the
    // complement (compared as minimal automata), and stays linear in the words' total length.
    std::mt19937_64 rng(29);
    const std::vector<std::string> pool = all_words("ab", 5);
    for (int t = 0; t < ahat_test::iterations(30); ++t) {
        std::set<std::string> words;
        std::size_t count = 1 + rng() % 6, total = 0;
        while (words.size() < count) words.insert(pool[rng() % pool.size()]);
        std::string re = "!";  // the empty language, then each word as an alternative
        for (const auto& w : words) {
            re += "|" + (w.empty() ? std::string("()") : w);
            total += w.size();
        }
        Dfa finite = compile_regex(re, "ab"), cofinite = complement(finite);
        for (std::uint32_t step : {0u, 2u, 3u}) {
            INFO("set " << re << ", step " << step);
            auto f = exceptions_formula(finite, step), g = exceptions_formula(cofinite, step);
            REQUIRE(f);
            REQUIRE(g);
            CHECK(ltl_dfa(*f, "ab") == finite);
            CHECK(ltl_dfa(*g, "ab") == cofinite);
            CHECK(f->size() <= 12 * (total + words.size() * 6 + 6));
            for (const auto& n : g->nodes) {
                CHECK(n.op != LtlOp::Y);
                if (step == 0) CHECK(n.op != LtlOp::YWithin);
                if (step != 0) CHECK(n.op != LtlOp::P);
            }
        }
    }
}
