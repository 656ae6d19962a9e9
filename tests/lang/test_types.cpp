#include <catch2/catch.hpp>

#include "lang/types.hpp"
#include "lang/words.hpp"

using namespace ahat::lang;

namespace {

using ahat_test::power;
Model model(const char* name) { return parse_model(name, {}); }
}  // namespace

TEST_CASE("types: the window lemma, (ab)^m and (ba)^m under windows >= 2", "[logic]") {
    // agree to depth exactly floor(2m / k) for window k (the lemma gives >= 2m/k)
    for (std::uint32_t k : {2u, 3u}) {
        Model m = model(k == 2 ? "local-2" : "local-3");
        for (std::size_t reps = 1; reps <= 6; ++reps) {
            std::uint32_t agree = agreement_depth(m, "ab", power("ab", reps), power("ba", reps), 20);
            INFO("k = " << k << ", m = " << reps);
            CHECK(agree >= 2 * reps / k);
        }
    }
    // window 1 separates them at depth 1 (the last letter differs)
    CHECK(agreement_depth(model("local-1"), "ab", "abab", "baba", 10) == 0);
    // global attention separates them through the first letter: P(a & !P true), depth 2
    CHECK(agreement_depth(model("global"), "ab", power("ab", 6), power("ba", 6), 10) == 1);
}

TEST_CASE("types: witness pairs, and none where a formula of that depth exists", "[logic]") {
    auto ends_a = [](std::string_view w) { return !w.empty() && w.back() == 'a'; };
    auto starts_a = [](std::string_view w) { return !w.empty() && w.front() == 'a'; };
    // Sigma* a: Y a has depth 1, so no local-1 witness at depth 1; local-2 has one at every depth
    CHECK_FALSE(find_witness(model("local-1"), "ab", ends_a, 8, 1));
    for (std::uint32_t r = 1; r <= 3; ++r) {
        auto w = find_witness(model("local-2"), "ab", ends_a, 8, r);
        REQUIRE(w);
        CHECK(ends_a(w->member));
        CHECK_FALSE(ends_a(w->non_member));
        TypeRefiner tr(model("local-2"), "ab");
        CHECK(tr.eos_type(w->member, r) == tr.eos_type(w->non_member, r));
    }
    // a Sigma*: P (a & !P true) has depth 2
    CHECK_FALSE(find_witness(model("global"), "ab", starts_a, 8, 2));
    CHECK(find_witness(model("global"), "ab", starts_a, 8, 1));
    CHECK(find_witness(model("local-1"), "ab", starts_a, 8, 3));
    // the rightmost logic has S: b S a (the last a is followed by b's only) has depth 1
    auto since = [](std::string_view w) {
        auto at = w.rfind('a');
        return at != std::string_view::npos;
    };
    CHECK_FALSE(find_witness(model("rightmost"), "ab", since, 7, 1));
}

TEST_CASE("types: rotation families", "[logic]") {
    auto ends_a = [](std::string_view w) { return !w.empty() && w.back() == 'a'; };
    auto fam = rotation_family(2, "ab", ends_a, 1);
    REQUIRE(fam);
    CHECK(fam->u.size() <= 2);
    CHECK(ends_a(power(fam->u, 3)));
    CHECK_FALSE(ends_a(power(fam->v, 3)));
    CHECK_FALSE(rotation_family(1, "ab", ends_a, 1));
    // Y<=2 a (an a among the last two letters) has no family: it is defined with window 2
    auto last_two = [](std::string_view w) { return w.substr(w.size() < 2 ? 0 : w.size() - 2).find('a') != std::string_view::npos; };
    CHECK_FALSE(rotation_family(2, "ab", last_two, 2));
}
