// Circuit -> encoder constructions: exact agreement with direct evaluation, the layer-by-layer
// invariant with poisoned tokens, the argmax-set sizes the proofs predict, and shapes.
#include <catch2/catch.hpp>

#include <random>

#include "circuit/eval.hpp"
#include "circuit/families.hpp"
#include "compile/circuit_to_encoder.hpp"
#include "encoder/interpreter.hpp"
#include "compile/random_inputs.hpp"

using namespace ahat;

namespace {

using ahat_test::random_inputs;

// The value every token carries after l layers must equal its gate's exact value whenever the
// gate has depth <= l (gate construction: after 2l layers for gate tokens, 2l+1 for wires).
void check_run(Construction c, const Circuit& circ, std::size_t K, const std::vector<Rational>& x) {
    Encoder enc = circuit_encoder(c, K);
    Encoding e = encode(c, circ);
    Program<Rational> prog(enc);
    RunOptions opts;
    opts.record_states = true;
    RunResult<Rational> r = prog.run(with_inputs(e, x), opts);
    std::vector<Rational> values = evaluate_all<Rational>(circ, x);
    std::vector<std::uint32_t> depth = depths(circ);
    std::vector<Rational> expected;
    for (GateId o : circ.outputs) expected.push_back(values[o]);
    REQUIRE(decode(e, r.state) == expected);
    const Shape s = shape_of(c, K);
    REQUIRE(enc.layers.size() == s.layers);
    REQUIRE(enc.d == s.width);
    for (std::size_t l = 0; l <= enc.layers.size(); ++l) {
        const Matrix<Rational>& st = r.trace.states[l];
        for (std::size_t t = 0; t < st.rows; ++t) {
            std::size_t level = c == Construction::Wire ? l : (e.token_is_gate[t] ? l / 2 : (l + 1) / 2 - (l == 0 ? 0 : 0));
            if (c == Construction::Gate && !e.token_is_gate[t]) {
                // a wire holds its source's value once the fetch after the source's level ran
                level = l == 0 ? 0 : (l - 1) / 2;
                if (l == 0) continue;
            }
            const Gate& g = circ.gates[e.token_gate[t]];
            bool leaf = g.op == Op::Input || g.op == Op::Const || (g.op == Op::Add && g.in.empty());
            if (depth[e.token_gate[t]] <= level && (leaf || l > 0)) {
                INFO("layer " << l << " token " << t << " gate " << g.name);
                REQUIRE(st.at(t, e.value_coordinate) == values[e.token_gate[t]]);
            }
        }
    }
}

}  // namespace

TEST_CASE("both constructions evaluate random circuits exactly, layer by layer", "[compile]") {
    std::mt19937_64 rng(42);
    for (Construction c : {Construction::Wire, Construction::Gate}) {
        for (std::size_t depth = 1; depth <= 6; ++depth) {
            for (std::uint64_t seed = 1; seed <= 8; ++seed) {
                RandomCircuitParams p;
                p.depth = depth;
                p.size = depth + 3 * seed;
                p.inputs = 1 + seed % 4;
                p.max_fanin = 1 + seed % 5;
                p.seed = seed * 7919 + depth;
                Circuit circ = random_circuit(p);
                INFO(construction_name(c) << " depth " << depth << " seed " << seed);
                check_run(c, circ, depth, random_inputs(rng, circ.inputs.size()));
                check_run(c, circ, depth + 1, random_inputs(rng, circ.inputs.size()));
            }
        }
    }
}

TEST_CASE("too few layers leave the poison visible", "[compile]") {
    // A chain x+1, (x+1)+1, ...: with one layer too few the output is derived from the poison.
    for (Construction c : {Construction::Wire, Construction::Gate}) {
        for (std::size_t depth = 1; depth <= 6; ++depth) {
            Circuit circ;
            GateId g = circ.input("x");
            for (std::size_t k = 0; k < depth; ++k) g = circ.add({g, circ.constant(Rational(1))});
            circ.outputs = {g};
            Encoding e = encode(c, circ);
            std::vector<Rational> x{Rational(1, 3)};
            auto exact = evaluate<Rational>(circ, x);
            CHECK(decode(e, Program<Rational>(circuit_encoder(c, depth)).run(with_inputs(e, x)).state) == exact);
            auto short_run = decode(e, Program<Rational>(circuit_encoder(c, depth - 1)).run(with_inputs(e, x)).state);
            CHECK(short_run != exact);
            if (depth >= 2) CHECK(short_run[0] == default_poison() + Rational(static_cast<long long>(depth - 1)));
        }
    }
}

TEST_CASE("argmax sets: fan-in for sums, one for operand pointers", "[compile]") {
    Circuit circ;
    GateId a = circ.input("a"), b = circ.input("b");
    GateId s = circ.add({a, b, a, circ.constant(Rational(3))}, "s");
    GateId m = circ.mul(s, b, "m");
    circ.outputs = {circ.sign(m, "t"), s};
    Encoding e = encode(Construction::Wire, circ);
    RunResult<Rational> r = Program<Rational>(circuit_encoder(Construction::Wire, 3)).run(with_inputs(e, {Rational(2), Rational(-1)}));
    REQUIRE(decode(e, r.state) == std::vector<Rational>{Rational(0), Rational(6)});
    for (std::size_t t = 0; t < e.tokens.rows; ++t) {
        const Gate& g = circ.gates[e.token_gate[t]];
        if (g.op == Op::Add) CHECK(r.trace.heads[0][0].selected[t] == g.in.size());
        if (g.op == Op::Mul) {
            CHECK(r.trace.heads[0][1].selected[t] == 1);
            CHECK(r.trace.heads[0][2].selected[t] == 1);
        }
    }
}
