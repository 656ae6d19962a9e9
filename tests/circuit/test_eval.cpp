// circuit/eval, exact: gates on small fractions (SmallQ) and on GMP give one value. Random
// circuits over fractions drawn at the edges of the 2^62 bound are evaluated and compared,
// gate by gate, with a plain Rational evaluation (reference_eval.hpp); outputs_only writes the
// outputs; the --max-bits guard still trips on a gate past its limit.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "circuit/eval.hpp"
#include "circuit/reference_eval.hpp"
#include "exact/make_rational.hpp"
#include "support/error.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

Rational draw(std::mt19937_64& rng) {
    const long long lim = (1LL << 62) - 1;
    switch (rng() % 5) {
        case 0: return R(static_cast<long long>(rng() % 7) - 3);
        case 1: return R(1, 1 + static_cast<long long>(rng() % 50));  // 1/(w+1)
        case 2: return R(rng() % 2 ? lim : -lim, 1 + static_cast<long long>(rng() % 3));
        case 3: return Rational(Integer(1), Integer(1) << 62);  // past the bound: GMP
        default: return R(static_cast<long long>(rng() % 2001) - 1000, 1 + static_cast<long long>(rng() % 1000));
    }
}

}  // namespace

TEST_CASE("exact evaluation: small-fraction gates and GMP gates agree with plain rationals", "[circuit][eval]") {
    std::mt19937_64 rng(2024);
    for (int trial = 0; trial < 600; ++trial) {
        Circuit c;
        const std::size_t inputs = 1 + rng() % 5;
        for (std::size_t k = 0; k < inputs; ++k) c.input();
        if (rng() % 2) c.constant(draw(rng));
        const std::size_t gates = 1 + rng() % 25;
        for (std::size_t k = 0; k < gates; ++k) {
            auto any = [&] { return static_cast<GateId>(rng() % c.gates.size()); };
            switch (rng() % 4) {
                case 0: {
                    std::vector<GateId> in(1 + rng() % 4);
                    for (GateId& g : in) g = any();
                    c.add(in);
                    break;
                }
                case 1:
                case 2: c.mul(any(), any()); break;
                default: c.sign(any()); break;
            }
        }
        c.outputs = {static_cast<GateId>(c.gates.size() - 1), static_cast<GateId>(rng() % c.gates.size())};
        std::vector<Rational> in(inputs);
        for (Rational& r : in) r = draw(rng);
        INFO("trial " << trial);
        const std::vector<Rational> expect = ahat_test::reference_values(c, in);
        std::vector<Rational> all;
        evaluate_into(c, in, all, EvalOptions{0});
        REQUIRE(all == expect);
        // outputs only: the outputs are written, over stale values from another circuit
        std::vector<Rational> outs(c.gates.size() + 3, R(9, 7));
        evaluate_into(c, in, outs, EvalOptions{0, true});
        for (GateId o : c.outputs) REQUIRE(outs[o] == expect[o]);
        // a limit below 124 bits: every gate on GMP, the same values
        std::size_t bits = 0;
        for (std::size_t k = 0; k < c.gates.size(); ++k)
            if (c.gates[k].op != Op::Input && c.gates[k].op != Op::Const) bits = std::max(bits, bit_size(expect[k]));
        if (bits <= 100) {
            std::vector<Rational> guarded;
            evaluate_into(c, in, guarded, EvalOptions{100});
            REQUIRE(guarded == expect);
        }
    }
}

TEST_CASE("exact evaluation: the bit guard trips on small-fraction values too", "[circuit][eval]") {
    Circuit c;
    const GateId x = c.input("x");
    const GateId sq = c.mul(x, x, "sq");
    c.outputs = {sq};
    const std::vector<Rational> in{R((1LL << 40) + 1, 3)};  // sq: 81 + 4 bits
    CHECK(evaluate<Rational>(c, in, EvalOptions{0}) == std::vector<Rational>{in[0] * in[0]});
    CHECK(evaluate<Rational>(c, in, EvalOptions{200}) == std::vector<Rational>{in[0] * in[0]});
    CHECK_THROWS_WITH(evaluate<Rational>(c, in, EvalOptions{60}), Catch::Contains("gate 'sq' (mul) needs 85 bits"));
}
