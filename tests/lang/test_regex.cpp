// Regex -> DFA against the brute-force AST matcher; syntax errors with their column; counts and ranges.
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
    CHECK(err("a{1000}{1000}") == "regex:1:8: the repetition expands to more than 10000 regex nodes");
    // Found by fuzz_regex: 17,000 nodes took over a second to determinize under AddressSanitizer.
    CHECK(err("((a?|b){58}a?|b){58}") == "regex:1:17: the repetition expands to more than 10000 regex nodes");
    CHECK(err("ab$") == "regex:1:3: '$': a regex matches whole words, there are no anchors (write \\$ for the letter)");
    CHECK(err("^ab") == "regex:1:1: '^': a regex matches whole words, there are no anchors (write \\^ for the letter)");
    CHECK(err("[c-a]") == "regex:1:3: a range x-y inside a class needs printable letters with x <= y");
    CHECK(err(std::string(600, '(') + "a") == "regex:1:501: parentheses nest deeper than 500 levels");
}
