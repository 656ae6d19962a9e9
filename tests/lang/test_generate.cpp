// lang/generate: exhaustive and random words, deterministic per seed, DFA-guided sampling.
#include <catch2/catch.hpp>

#include "lang/generate.hpp"
#include "lang/library.hpp"
#include "lang/regex.hpp"

using namespace ahat::lang;

TEST_CASE("generators: exhaustive, deterministic, DFA-guided sampling counts exactly", "[automata]") {
    CHECK(all_words("ab", 3).size() == 15);
    CHECK(all_words("abc", 2) == std::vector<std::string>{"", "a", "b", "c", "aa", "ab", "ac", "ba", "bb", "bc", "ca", "cb", "cc"});
    CHECK(random_words("ab", {5, 9}, 4, 3) == random_words("ab", {5, 9}, 4, 3));
    CHECK(random_words("ab", {5, 9}, 4, 3) != random_words("ab", {5, 9}, 4, 4));
    auto adv = adversarial_words("ab", {6, 7}, 2, 9, {"abab"});
    CHECK(adv == adversarial_words("ab", {6, 7}, 2, 9, {"abab"}));
    CHECK(std::count(adv.begin(), adv.end(), "ababab") == 1);
    CHECK(std::count(adv.begin(), adv.end(), "bbbbbbb") == 1);

    const Dfa& d = *find_language("exactly-one-a")->dfa;
    MemberSampler s(d, 300);
    CHECK(s.count(10) == 10);
    CHECK(s.count(300) == 300);
    CHECK(MemberSampler(*find_language("third-last-a")->dfa, 200).count(200) ==
          ahat::Integer(1) << 199);
    std::mt19937_64 rng(11);
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        auto w = s.sample(10, rng);
        REQUIRE(w);
        CHECK(d.accepts(*w));
        seen.insert(*w);
    }
    CHECK(seen.size() == 10);  // all ten members of length 10 turn up
    CHECK(!MemberSampler(*find_language("a-star")->dfa, 5).sample(0, rng)->size());
    CHECK(!MemberSampler(*find_language("ab-star")->dfa, 5).sample(5, rng));

    for (const char* name : {"third-last-a", "anbn", "dyck-1", "parity"}) {
        const Language& l = *find_language(name);
        auto ws = balanced_words(l, {8, 40}, 10, 1);
        CHECK(ws.size() == 20);
        std::size_t members = 0;
        for (const auto& lw : ws) {
            CHECK(lw.member == l.member(lw.word));
            members += lw.member;
        }
        CHECK(members == 10);
        auto again = balanced_words(l, {8, 40}, 10, 1);
        for (std::size_t i = 0; i < ws.size(); ++i) CHECK(ws[i].word == again[i].word);
    }
}
