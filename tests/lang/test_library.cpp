// Library languages: membership equals the DFA on all short words; sampled members are members.
#include <catch2/catch.hpp>

#include <set>

#include "lang/generate.hpp"
#include "lang/library.hpp"

using namespace ahat::lang;

TEST_CASE("library: names unique, membership equals the DFA on all words up to length 10", "[automata]") {
    std::set<std::string> names;
    std::size_t regular = 0;
    for (const auto& l : library()) {
        INFO(l.name);
        CHECK(names.insert(l.name).second);
        CHECK(find_language(l.name) == &l);
        if (!l.dfa) continue;
        ++regular;
        CHECK(l.dfa->alphabet == l.alphabet);
        for (const auto& w : all_words(l.alphabet, l.alphabet.size() > 2 ? 8 : 10))
            if (l.member(w) != l.dfa->accepts(w)) FAIL("word '" << w << "'");
    }
    CHECK(regular >= 24);
    CHECK(library().size() - regular >= 6);
    CHECK(find_language("nope") == nullptr);
}

TEST_CASE("library: sampled members of non-regular languages are members", "[automata]") {
    std::mt19937_64 rng(5);
    for (const auto& l : library()) {
        if (l.dfa) continue;
        REQUIRE(l.sample_member);
        for (std::size_t n : {1, 2, 7, 10, 64})
            if (auto w = l.sample_member(n, rng)) {
                CHECK(w->size() == n);
                CHECK(l.member(*w));
            }
    }
    CHECK(find_language("dyck-1")->member("aabbab"));
    CHECK(!find_language("dyck-1")->member("abba"));
    CHECK(find_language("anbn")->member("aaabbb"));
    CHECK(find_language("palindrome")->member("abbba"));
}
