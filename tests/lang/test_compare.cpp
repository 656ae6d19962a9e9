#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "lang/classes.hpp"
#include "lang/compare.hpp"
#include "lang/dfa_io.hpp"
#include "lang/monoid.hpp"
#include "lang/synth.hpp"
#include "support/error.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::lang;

namespace {
CompareOptions quick(std::size_t samples = 2) {  // small verification and witness budgets
    CompareOptions o;
    o.max_len = 6;
    o.random_len = 16;
    o.samples = samples;
    o.witness_len = 6;
    o.witness_depth = 2;
    return o;
}

Cell cell(const std::string& lang, const char* model) {
    auto langs = resolve_languages(lang, {});
    REQUIRE(langs.size() == 1);
    return compare_cell(langs[0], parse_model(model, {}), quick());
}
}  // namespace

TEST_CASE("compare: window 1 beats window 2, global and local are incomparable, the hybrid is stronger", "[logic]") {
    // Sigma* a: local-1 yes, local-2 no (window lemma), global no (not R-trivial)
    CHECK(cell("re:(a|b)*a", "local-1").verdict == Verdict::Recognized);
    Cell l2 = cell("re:(a|b)*a", "local-2");
    CHECK(l2.verdict == Verdict::NotRecognizable);
    CHECK(l2.method == "window lemma");
    REQUIRE(l2.witness);
    CHECK(l2.witness->depth >= 2);
    Cell g = cell("re:(a|b)*a", "global");
    CHECK(g.verdict == Verdict::NotRecognizable);
    CHECK(g.witness);
    // a Sigma*: global only
    CHECK(cell("re:a(a|b)*", "global").verdict == Verdict::Recognized);
    CHECK(cell("re:a(a|b)*", "local-1").verdict == Verdict::NotRecognizable);
    CHECK(cell("re:a(a|b)*", "local-2").verdict == Verdict::NotRecognizable);
    // a Sigma* b: neither alone, the hybrid yes
    CHECK(cell("re:a(a|b)*b", "global").verdict == Verdict::NotRecognizable);
    CHECK(cell("re:a(a|b)*b", "local-1").verdict == Verdict::NotRecognizable);
    Cell h = cell("re:a(a|b)*b", "hybrid-1");
    CHECK(h.verdict == Verdict::Recognized);
    CHECK(h.verified_words == 127);
    // parity of a's: not aperiodic, so not even the rightmost model
    Cell p = cell("re:(b*ab*a)*b*", "rightmost");
    CHECK(p.verdict == Verdict::NotRecognizable);
    CHECK(p.method == "aperiodicity");
    // (ab)*: star-free and a function of window-1 profiles, so constructed; Dyck of depth <= 2:
    // star-free (recognizable by the theorem), no construction here
    CHECK(cell("re:(ab)*", "rightmost").verdict == Verdict::Recognized);
    CHECK(cell("dyck-depth-2", "rightmost").verdict == Verdict::Recognizable);
}

TEST_CASE("compare: languages from formulas, and bad specifications", "[logic]") {
    Cell c = cell("ltl:b S a", "rightmost");
    CHECK(c.verdict == Verdict::Recognized);
    CHECK_THROWS_AS(resolve_languages("no-such-language", {}), InputError);
    CHECK_THROWS_AS(resolve_languages("ltl:a &", {}), InputError);
    CHECK(resolve_languages("re:a,re:b", {}).size() == 2);
}

#include "../cli/run_ahat.hpp"

TEST_CASE("compare: the CLI", "[logic]") {
    auto r = ahat_test::run_ahat("lang compare 're:(a|b)*a,re:a(a|b)*' --models global,local-1,local-2 --max-len 5 "
                                 "--random-len 12 --samples 1 --witness-len 5 --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"verdict\":\"recognized\"") != std::string::npos);
    CHECK(r.out.find("\"method\":\"window lemma\"") != std::string::npos);
    auto v = ahat_test::run_ahat("lang verify 'b S a' --model rightmost --max-len 5 --random-len 20 --samples 2");
    CHECK(v.rc == 0);
    CHECK(v.out.find("0 disagreements") != std::string::npos);
    auto bad = ahat_test::run_ahat("lang verify 'Y a' --model local-2");
    CHECK(bad.rc == 2);
    CHECK(bad.err.find("outside LTL[Y<=2]") != std::string::npos);
}

TEST_CASE("compare: the decidable hybrid cells (type profiles, the prefix family, ltl: formulas)", "[logic]") {
    for (const char* lang : {"factor-aa", "no-aa", "ab-star"}) {
        Cell c = cell(lang, "hybrid-1");
        INFO(lang << ": " << c.reason);
        CHECK(c.verdict == Verdict::Recognized);
        CHECK(c.method == "a function of window-1 type profiles of depth 1");
    }
    CHECK(*cell("factor-aa", "hybrid-1").formula == "P (a & Y a & !Y !a)");
    for (const char* lang : {"factor-aa", "no-aa"}) {
        Cell c = cell(lang, "hybrid-2");
        INFO(lang << ": " << c.reason);
        CHECK(c.verdict == Verdict::Recognized);
        CHECK(c.method == "a function of window-2 type profiles of depth 2");
    }
    const Model h2 = parse_model("hybrid-2", {});
    for (const char* lang : {"ends-a", "second-last-a", "third-last-a", "ends-ab", "starts-a-ends-b", "first-equals-last",
                             "ab-star", "dyck-depth-2", "ab-ba-star"}) {
        Cell c = cell(lang, "hybrid-2");
        INFO(lang << ": " << c.reason);
        CHECK(c.verdict == Verdict::NotRecognizable);
        CHECK(c.method == "prefix family");
        REQUIRE(c.witness);
        const Language l = resolve_languages(lang, {}).front();
        CHECK(l.member(c.witness->member));
        CHECK_FALSE(l.member(c.witness->non_member));
        // the lemma: R|u| >= 2d, here R = states + 1 >= 3, so the types agree to depth >= 3
        CHECK(c.witness->depth >= 3);
        CHECK(agreement_depth(h2, "ab", c.witness->member, c.witness->non_member, 3) == 3);
    }
    // the lemma on instances: (ab)^r a and (ab)^r agree on LTL[P,Y<=2] to depth r (R|u| = 2r >= 2d);
    // LTL[P,Y] tells them apart at depth 1 (Y reads the last letter)
    const Model h1 = parse_model("hybrid-1", {});
    for (std::uint32_t r = 1; r <= 6; ++r) {
        std::string y;
        for (std::uint32_t i = 0; i < r; ++i) y += "ab";
        INFO("r = " << r);
        CHECK(agreement_depth(h2, "ab", y + "a", y, r) == r);
        CHECK(agreement_depth(h1, "ab", y + "a", y, r) == 0);
    }
    // a formula given with ltl: decides the cells of the logics that contain it
    Cell f = cell("ltl:P(!Y<=2 b & Y<=2 Y<=2 true) | !Y<=2 b & Y<=2 Y<=2 true", "hybrid-2");
    CHECK(f.verdict == Verdict::Recognized);
    CHECK(f.method == "the formula itself");
    CHECK(cell("ltl:[#a > #b]", "global-exact").method == "the formula itself");
    CHECK(cell("ltl:[#a > #b]", "global").verdict == Verdict::Undecided);  // no automaton, regularity not decided
}

TEST_CASE("compare: all words but a finite set, in every column, with small formulas", "[logic]") {
    // all words except the empty word, a and aa
    for (const char* m : {"global", "local-1", "local-2", "local-3", "local-3-exact", "hybrid-1", "hybrid-3", "rightmost"}) {
        Cell c = cell("re:.{3,}|b|ab|ba|bb", m);
        INFO(m << ": " << c.reason);
        CHECK(c.verdict == Verdict::Recognized);
        REQUIRE(c.formula);
        CHECK(c.formula->size() < 200);
    }
    CHECK(*cell("re:.{3,}|b|ab|ba|bb", "local-3").formula == "Y<=3 (b | Y<=3 Y<=3 a)");  // 6 nodes
    // all words except a, bb and aba: the exact words as forced chains in every column
    for (const char* m : {"global", "local-1", "local-2", "local-3", "local-2-exact", "hybrid-1", "hybrid-2", "global-exact", "rightmost"}) {
        Cell c = cell("re:.{4,}|()|b|aa|ab|ba|aaa|aab|abb|baa|bab|bba|bbb", m);
        INFO(m << ": " << c.reason);
        CHECK(c.verdict == Verdict::Recognized);
        REQUIRE(c.formula);
        CHECK(c.formula->size() < 200);
    }
}

TEST_CASE("compare: random automata, exact columns never below the fixed columns they contain", "[logic]") {
    // global-exact (average-hard) contains LTL[P, Y] and hybrid-k-exact contains LTL[P, Y<=k]:
    // an exact column may say "no" only in local models, and never where its fixed column says yes
    std::mt19937_64 rng(11);
    std::size_t cells = 0, exact_yes = 0;
    for (int t = 0; t < 40; ++t) {
        Dfa d;
        d.alphabet = "ab";
        std::uint32_t n = 2 + static_cast<std::uint32_t>(rng() % 4);
        d.start = 0;
        for (std::uint32_t q = 0; q < n; ++q) {
            d.delta.push_back({static_cast<std::uint32_t>(rng() % n), static_cast<std::uint32_t>(rng() % n)});
            d.accepting.push_back(rng() % 2 == 0);
        }
        Language l;
        l.name = fmt::format("random-{}", t);
        l.dfa = minimize(d);
        l.alphabet = "ab";
        l.member = [m = *l.dfa](std::string_view w) { return m.accepts(w); };
        auto at = [&](const char* m) { return compare_cell(l, parse_model(m, {}), quick(1)); };
        std::map<std::string, Cell> c;
        for (const char* m : {"global", "hybrid-1", "hybrid-2", "local-2", "global-exact", "hybrid-2-exact", "local-2-exact"})
            c[m] = at(m);
        for (const auto& [m, x] : c) {
            INFO(l.name << " " << write_dfa(*l.dfa) << m << ": " << x.reason);
            CHECK_FALSE(x.construction_failed);
            ++cells;
        }
        auto yes = [&](const char* m) { return c[m].verdict == Verdict::Recognized; };
        INFO(l.name << "\n" << write_dfa(*l.dfa));
        if (yes("global") || yes("hybrid-1")) CHECK(yes("global-exact"));
        if (yes("hybrid-2") || yes("hybrid-1")) CHECK(yes("hybrid-2-exact"));
        if (yes("local-2")) CHECK(yes("local-2-exact"));
        CHECK(c["global-exact"].verdict != Verdict::NotRecognizable);
        CHECK(c["hybrid-2-exact"].verdict != Verdict::NotRecognizable);
        if (c["local-2-exact"].verdict == Verdict::NotRecognizable) CHECK(c["local-2"].verdict == Verdict::NotRecognizable);
        exact_yes += yes("global-exact") ? 1 : 0;
    }
    CHECK(cells == 40 * 7);
    CHECK(exact_yes > 0);
}

TEST_CASE("compare: hybrid-1 agrees with the locally R-trivial decision, and no small formula defines a 'no'", "[logic]") {
    // Every hybrid-1 cell that a construction decided is locally R-trivial (LTL[P,Y] is inside
    // the class); every language that is not gets "no" in hybrid-1, and the search by size finds
    // no LTL[P,Y] formula of up to 9 nodes for it (a bounded check of the other direction; 7
    // nodes in unoptimized builds).
    // [ab]*ca.*: the local monoid of e = c is a left-zero semigroup (R-trivial, not L-trivial),
    // so this language tells "locally R-trivial" from its mirror "locally L-trivial".
    std::vector<std::string> specs = {"dyck-depth-2", "ab-ba-star", "factor-aa", "no-aa", "ab-star", "first-equals-last",
                                      "parity", "re:[ab]*ca.*", "re:.*ac[ab]*", "re:(c[ab]*)*ca.*"};
    std::mt19937_64 rng(41);
    const char* atoms[] = {"a", "b", "(a|b)", "a*", "b*", "(ab)*", "(ba)*", "(a|b)*", "(aab)*"};
    for (int i = 0; i < ahat_test::iterations(40); ++i) {
        std::string r;
        for (int j = 0, n = 1 + static_cast<int>(rng() % 4); j < n; ++j) r += atoms[rng() % 9];
        if (rng() % 3 == 0) r = "(" + r + ")*";
        specs.push_back("re:" + r);
    }
    const char* atoms3[] = {"a", "c", "[ab]", "[ab]*", "c*", "(ac)*", "(ca)*", ".*", "(cab)*", "b"};
    for (int i = 0; i < ahat_test::iterations(40); ++i) {
        std::string r;
        for (int j = 0, n = 2 + static_cast<int>(rng() % 3); j < n; ++j) r += atoms3[rng() % 10];
        if (rng() % 4 == 0) r = "(" + r + ")*";
        specs.push_back("re:" + r);
    }
    std::size_t no = 0, yes = 0;
    for (const auto& spec : specs) {
        auto langs = resolve_languages(spec, {});
        REQUIRE(langs.size() == 1);
        const Dfa& d = *langs[0].dfa;
        Monoid m = transition_monoid(d);
        Decision lr = decide_locally_r_trivial(d, m);
        Cell c = compare_cell(langs[0], parse_model("hybrid-1", {}), quick());
        INFO(spec << ": " << verdict_name(c.verdict) << " by " << c.method << "; " << lr.certificate.claim);
        if (!lr.holds) {
            ++no;
            CHECK(c.verdict == Verdict::NotRecognizable);
            CHECK_FALSE(smallest_formula(d, true, 1, ahat_test::bound(9, 7)));
        } else {
            ++yes;
            CHECK(c.verdict != Verdict::NotRecognizable);
            CHECK(c.verdict != Verdict::Undecided);
        }
    }
    CHECK(no >= 4);  // dyck-depth-2, ab-ba-star, parity and random ones
    CHECK(yes >= 5);
}
