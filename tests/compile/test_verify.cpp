// verify_circuit: every family at small sizes and random circuits pass all four checks for
// both constructions; a depth bound below the circuit's depth is refused.
#include <catch2/catch.hpp>

#include "circuit/families.hpp"
#include "compile/verify.hpp"
#include "support/error.hpp"

using namespace ahat;

TEST_CASE("families and random circuits verify with all invariants", "[compile]") {
    for (const std::string& name : family_names()) {
        for (std::size_t n = 1; n <= 5; ++n) {
            FamilyParams p;
            p.size = name == "random" ? 6 + n : n;
            p.depth = std::min<std::size_t>(n, 4);
            p.seed = n;
            Circuit c = make_family(name, p);
            for (Construction k : {Construction::Wire, Construction::Gate}) {
                VerifyOptions o;
                o.construction = k;
                o.samples = 3;
                o.seed = 7 * n;
                VerifyReport r = verify_circuit(c, o);
                INFO(name << " size " << n << " " << construction_name(k) << ": "
                          << (r.instances.empty() ? "" : r.instances.front().problem));
                REQUIRE(r.instances.size() == 3);
                CHECK(r.ok());
                CHECK(r.shape.layers == (k == Construction::Wire ? r.depth_bound : 2 * r.depth_bound));
            }
        }
    }
}

TEST_CASE("a depth bound below the circuit's depth is refused", "[compile]") {
    Circuit c = inner_product(3);
    VerifyOptions o;
    o.depth_bound = 1;
    CHECK_THROWS_AS(verify_circuit(c, o), InputError);
}
