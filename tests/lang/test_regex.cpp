// Regex -> DFA against the brute-force AST matcher; minimization; DFA operations; .dfa IO.
#include <catch2/catch.hpp>

#include <random>

#include "lang/dfa_io.hpp"
#include "lang/generate.hpp"
#include "lang/regex.hpp"
#include "support/error.hpp"

using namespace ahat::lang;

namespace {

std::string random_regex(std::mt19937_64& rng, int depth) {
    const char* atoms[] = {"a", "b", "c", ".", "[ab]", "[^a]", "()", "ε"};
    if (depth == 0 || rng() % 4 == 0) return atoms[rng() % 8];
    switch (rng() % 6) {
    case 0: return random_regex(rng, depth - 1) + random_regex(rng, depth - 1);
    case 1: return "(" + random_regex(rng, depth - 1) + "|" + random_regex(rng, depth - 1) + ")";
    case 2: return "(" + random_regex(rng, depth - 1) + ")*";
    case 3: return "(" + random_regex(rng, depth - 1) + ")+";
    case 4: return "(" + random_regex(rng, depth - 1) + ")?";
    default: return random_regex(rng, depth - 1) + random_regex(rng, depth - 1) + random_regex(rng, depth - 1);
    }
}

}  // namespace

TEST_CASE("regex to DFA agrees with the brute-force matcher on all words up to length 8", "[automata]") {
    std::mt19937_64 rng(20260501);
    auto words = all_words("abc", 6);
    auto words8 = all_words("ab", 8);
    for (int i = 0; i < 300; ++i) {
        std::string text = random_regex(rng, 4);
        std::string alphabet = i % 2 ? "abc" : "ab";
        if (alphabet == "ab" && text.find('c') != std::string::npos) alphabet = "abc";
        Regex r = parse_regex(text, alphabet);
        Dfa raw = regex_to_dfa(r), min = minimize(raw);
        REQUIRE(min.states() <= raw.states());
        REQUIRE(minimize(min) == min);
        const auto& ws = alphabet == "ab" ? words8 : words;
        for (const auto& w : ws) {
            bool expect = regex_matches(r, w);
            if (raw.accepts(w) != expect || min.accepts(w) != expect) FAIL("regex " << text << " word '" << w << "'");
        }
    }
}

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

TEST_CASE("regex syntax errors carry the column", "[automata]") {
    auto col = [](const std::string& text, const std::string& alphabet = "") {
        try {
            parse_regex(text, alphabet);
        } catch (const ahat::InputError& e) {
            return e.loc().col;
        }
        return 0u;
    };
    CHECK(col("(ab") == 4);
    CHECK(col("ab)") == 3);
    CHECK(col("a|*") == 3);
    CHECK(col("ab[c") == 5);
    CHECK(col("abc", "ab") == 3);
    CHECK(col("εx*é") == 4);
    CHECK(col("a\\") == 2);
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

TEST_CASE(".dfa files round-trip and report located errors", "[automata]") {
    Dfa d = compile_regex("(a|b)*ab");
    Dfa back = parse_dfa(write_dfa(d, "ends with ab"), "t.dfa");
    CHECK(back == d);
    Dfa partial = parse_dfa("alphabet ab\nstart s\naccept t # comment\ns a t\n", "p.dfa");
    CHECK(partial.states() == 3);  // s, t and the implicit sink
    CHECK(partial.accepts("a"));
    CHECK(!partial.accepts("aa"));
    CHECK(!partial.accepts("b"));
    auto where = [](const std::string& text) {
        try {
            parse_dfa(text, "bad.dfa");
        } catch (const ahat::InputError& e) {
            return e.located();
        }
        return std::string();
    };
    CHECK(where("start s\n") == "bad.dfa:1:1: expected 'alphabet LETTERS' first");
    CHECK(where("alphabet ab\nstart s\ns c t\n") == "bad.dfa:3:3: letter 'c' is not in the alphabet 'ab'");
    CHECK(where("alphabet ab\nstart s\ns a t\ns a u\n") == "bad.dfa:4:3: second transition from 's' on 'a'");
    CHECK(where("alphabet ab\ns a t\n") == "bad.dfa:3:1: missing 'start' line");
    CHECK(where("alphabet aa\n") == "bad.dfa:1:11: letter 'a' repeated");
    CHECK(where("alphabet ab\nstart s\ns ab t\n") == "bad.dfa:3:3: a letter is one character, got 'ab'");
}

TEST_CASE("regex counts {m}, {m,}, {m,n} and ranges in classes", "[automata]") {
    CHECK(compile_regex("a{2,3}", "ab") == compile_regex("aa|aaa", "ab"));
    CHECK(compile_regex("a{2,}", "ab") == compile_regex("aaa*", "ab"));
    CHECK(compile_regex("(ab){2}", "ab") == compile_regex("abab", "ab"));
    CHECK(compile_regex("(ab){0}", "ab") == compile_regex("()", "ab"));
    CHECK(compile_regex(".{3,}|b|ab|ba|bb", "ab") == compile_regex("(a|b)(a|b)(a|b)+|b|ab|ba|bb", "ab"));
    CHECK(compile_regex("a{1}{3}", "ab") == compile_regex("aaa", "ab"));
    Regex r = parse_regex("[a-c]x");
    CHECK(r.alphabet == "abcx");
    CHECK(regex_matches(r, "bx"));
    CHECK_FALSE(regex_matches(r, "xx"));
    CHECK(parse_regex("[-a]").alphabet == "-a");       // a leading '-' is a letter
    CHECK(parse_regex("a\\{2\\}").alphabet == "2a{}");  // escaped braces are letters
    auto err = [](const std::string& text) {
        try {
            parse_regex(text, "");
        } catch (const ahat::InputError& e) {
            return fmt::format("{}:{}:{}: {}", e.loc().file, e.loc().line, e.loc().col, e.what());
        }
        return std::string();
    };
    CHECK(err("a{") == "regex:1:3: expected a count after the '{' at column 2 (x{m}, x{m,} or x{m,n})");
    CHECK(err("a{2") == "regex:1:4: expected '}' to close the '{' at column 2 (x{m}, x{m,} or x{m,n})");
    CHECK(err("a{3,2}") == "regex:1:2: a repetition needs m <= n <= 1000 (x{m,n})");
    CHECK(err("a{1001}") == "regex:1:2: a repetition needs m <= n <= 1000 (x{m,n})");
    CHECK(err("{2}") == "regex:1:1: '{' needs an operand before it");
    CHECK(err("a{1000}{1000}") == "regex:1:8: the repetition expands to more than 100000 regex nodes");
    CHECK(err("ab$") == "regex:1:3: '$': a regex matches whole words, there are no anchors (write \\$ for the letter)");
    CHECK(err("^ab") == "regex:1:1: '^': a regex matches whole words, there are no anchors (write \\^ for the letter)");
    CHECK(err("[c-a]") == "regex:1:3: a range x-y inside a class needs printable letters with x <= y");
    CHECK(err(std::string(600, '(') + "a") == "regex:1:501: parentheses nest deeper than 500 levels");
}
