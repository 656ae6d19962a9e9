// lang/monoid: the transition monoid (size, idempotent powers) and the partial order of
// R-trivial DFAs.
#include <catch2/catch.hpp>

#include <optional>
#include <utility>
#include <vector>
#include "lang/classes.hpp"
#include "lang/monoid.hpp"
#include "lang/regex.hpp"

using namespace ahat::lang;

TEST_CASE("partial order of R-trivial DFAs and the monoid's basics", "[automata]") {
    Dfa d = compile_regex("(a|b)*a(a|b)*b(a|b)*");
    auto po = partial_order(d);
    REQUIRE(po);
    CHECK(po->order == std::vector<std::uint32_t>{0, 1, 2});
    CHECK(po->loop_letters == std::vector<std::string>{"b", "a", "ab"});
    CHECK(!partial_order(compile_regex("(a|b)*a")));
    Monoid m = transition_monoid(compile_regex("(aa)*", "ab"));
    CHECK(m.size() == 3);
    CHECK(m.nonempty_identity == std::optional<std::string>("aa"));
    CHECK(m.power_index(m.right[0][0]) == std::pair<std::size_t, std::size_t>{1, 2});
}
