// lang/language: minimization to the canonical minimal DFA, Boolean operations, quotients and
// distinguishing words, checked on every word up to a length.
#include <catch2/catch.hpp>

#include <optional>
#include "lang/generate.hpp"
#include "lang/regex.hpp"
#include "support/error.hpp"

using namespace ahat::lang;

TEST_CASE("minimal DFAs have the known numbers of states", "[automata]") {
    CHECK(compile_regex("(a|b)*a").states() == 2);
    CHECK(compile_regex("(a|b)*a(a|b)").states() == 4);
    CHECK(compile_regex("(a|b)*a(a|b)(a|b)").states() == 8);
    CHECK(compile_regex("(ab)*").states() == 3);
    CHECK(compile_regex("a*b*").states() == 3);
    CHECK(compile_regex("(b*ab*a)*b*").states() == 2);
    CHECK(compile_regex("a*", "ab").states() == 2);
    CHECK(compile_regex("!", "ab").states() == 1);
    CHECK(compile_regex("ε", "ab").states() == 2);
    CHECK(compile_regex("a(a|b)*b").states() == 4);
    CHECK(compile_regex("(a|b)*ab(a|b)*").states() == 3);
    // Canonical numbering: equal languages give equal structures.
    CHECK(compile_regex("(a|b)*a") == compile_regex("b*a(b*a)*"));
}

TEST_CASE("DFA operations: Boolean, quotients, distinguishing words", "[automata]") {
    Dfa ends_a = compile_regex("(a|b)*a"), starts_a = compile_regex("a(a|b)*");
    Dfa both = intersect(ends_a, starts_a), either = unite(ends_a, starts_a), not_a = complement(ends_a);
    for (const auto& w : all_words("ab", 7)) {
        CHECK(both.accepts(w) == (ends_a.accepts(w) && starts_a.accepts(w)));
        CHECK(either.accepts(w) == (ends_a.accepts(w) || starts_a.accepts(w)));
        CHECK(not_a.accepts(w) == !ends_a.accepts(w));
    }
    Dfa l = compile_regex("(a|b)*ab(a|b)");
    Dfa qs = quotient_suffix(l, "b"), qp = quotient_prefix(l, "ab");
    for (const auto& w : all_words("ab", 7)) {
        CHECK(qs.accepts(w) == l.accepts(w + "b"));
        CHECK(qp.accepts(w) == l.accepts("ab" + w));
    }
    CHECK(quotient_suffix(compile_regex("(a|b)*ab"), "b") == compile_regex("(a|b)*a"));
    CHECK(distinguishing_word(ends_a, ends_a) == std::nullopt);
    CHECK(*distinguishing_word(ends_a, starts_a) == "ab");
}

TEST_CASE("check_dfa: a malformed DFA is a broken invariant, not bad input", "[automata]") {
    Dfa d = compile_regex("(a|b)*a");
    CHECK_NOTHROW(check_dfa(d));
    Dfa bad_start = d;
    bad_start.start = 7;
    CHECK_THROWS_AS(check_dfa(bad_start), ahat::InternalError);
    Dfa bad_edge = d;
    bad_edge.delta[0][1] = 99;
    CHECK_THROWS_AS(check_dfa(bad_edge), ahat::InternalError);
    Dfa short_row = d;
    short_row.delta[1].pop_back();
    CHECK_THROWS_AS(minimize(short_row), ahat::InternalError);
}
