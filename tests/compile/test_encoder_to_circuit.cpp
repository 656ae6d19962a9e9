// Encoder -> circuit: for random encoders (every mask, windows, every exact rule, constant and
// non-constant scores, feed-forward circuits, both readouts, vector and string inputs) and
// random inputs with many exact ties, evaluating the circuit gives exactly the interpreter's
// readout for n = 1..12; the depth is the formula's, the same for every n; softmax is refused;
// the bundled examples decompile and agree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "compile/encoder_to_circuit.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "support/error.hpp"

using namespace ahat;

namespace {

struct Gen {
    std::mt19937_64 rng;
    int kind = 0;  // 0: integers in [-2, 2]; 1: rationals a/b, |a| <= 4, 1 <= b <= 3; 2: {0, 1}
    explicit Gen(std::uint64_t seed) : rng(seed) {}
    std::size_t below(std::size_t k) { return static_cast<std::size_t>(rng() % k); }
    Rational value() {
        if (kind == 0) return Rational(static_cast<long long>(below(5)) - 2);
        if (kind == 2) return Rational(static_cast<long long>(below(2)));
        return Rational(static_cast<long long>(below(9)) - 4) / Rational(static_cast<long long>(1 + below(3)));
    }
    std::vector<Rational> vec(std::size_t n, bool maybe_zero) {
        std::vector<Rational> v(n, Rational(0));
        if (maybe_zero && below(2) == 0) return v;
        for (auto& x : v) x = value();
        return v;
    }
    Matrix<Rational> mat(std::size_t r, std::size_t c) {
        Matrix<Rational> m(r, c);
        for (auto& x : m.data) x = value();
        return m;
    }
};

const Mask kMasks[] = {Mask::None, Mask::Past, Mask::PastOrSelf, Mask::Future, Mask::FutureOrSelf};
const Rule kRules[] = {Rule::AverageHard, Rule::UniqueHardLeft, Rule::UniqueHardRight, Rule::Uniform};

Head random_head(Gen& g, std::size_t d, Mask mask, std::optional<std::uint64_t> window, Rule rule) {
    Head h;
    h.rule = rule;
    h.mask = mask;
    h.window = window;
    const std::size_t dk = rule == Rule::Uniform ? 0 : g.below(3);
    const std::size_t dv = 1 + g.below(2);
    Matrix<Rational> Q = g.mat(dk, d), K = g.mat(dk, d);
    for (std::size_t r = 0; r < dk; ++r)
        if (g.below(3) == 0)  // a constant query row: scores linear in the key
            for (std::size_t c = 0; c < d; ++c) Q.at(r, c) = 0;
    if (g.below(5) == 0) K = Matrix<Rational>(dk, d);  // constant keys: every allowed j ties
    h.query = Affine<Rational>(Sparse<Rational>::from_dense(Q), g.vec(dk, true));
    h.key = Affine<Rational>(Sparse<Rational>::from_dense(K), g.vec(dk, true));
    h.value = Affine<Rational>(Sparse<Rational>::from_dense(g.mat(dv, d)), g.vec(dv, true));
    h.output = Sparse<Rational>::from_dense(g.mat(d, dv));
    return h;
}

FeedForward random_ffn(Gen& g, std::size_t d) {
    FeedForward f;
    Circuit& c = f.circuit;
    std::vector<GateId> pool;
    const std::size_t nin = 1 + g.below(std::min<std::size_t>(d, 3));
    for (std::size_t k = 0; k < nin; ++k) {
        pool.push_back(c.input());
        f.reads.push_back(static_cast<std::uint32_t>(g.below(d)));
    }
    const std::size_t ngates = g.below(5);
    for (std::size_t k = 0; k < ngates; ++k) {
        switch (g.below(4)) {
            case 0: {
                std::vector<GateId> ops;
                const std::size_t fan = g.below(4);
                for (std::size_t t = 0; t < fan; ++t) ops.push_back(pool[g.below(pool.size())]);
                pool.push_back(c.add(ops));
                break;
            }
            case 1: pool.push_back(c.mul(pool[g.below(pool.size())], pool[g.below(pool.size())])); break;
            case 2: pool.push_back(c.sign(pool[g.below(pool.size())])); break;
            default: pool.push_back(c.constant(g.value())); break;
        }
    }
    std::vector<std::uint32_t> coords(d);
    for (std::size_t k = 0; k < d; ++k) coords[k] = static_cast<std::uint32_t>(k);
    for (std::size_t k = d; k > 1; --k) std::swap(coords[k - 1], coords[g.below(k)]);  // Fisher-Yates, rng() % k
    const std::size_t nout = 1 + g.below(std::min<std::size_t>(d, 2));
    for (std::size_t k = 0; k < nout; ++k) {
        // favour the later (computed) gates
        c.outputs.push_back(pool[pool.size() - 1 - g.below(std::min<std::size_t>(pool.size(), 3))]);
        f.writes.push_back(coords[k]);
    }
    return f;
}

struct EncoderShape {
    bool string_input = false;
    bool accept = false;
    bool only_mask_none = false;  // no masks, no windows of 0 (every position generic)
};

Encoder random_encoder(Gen& g, EncoderShape s) {
    Encoder enc;
    enc.name = "random";
    const std::size_t d = 1 + g.below(4);
    enc.d = static_cast<std::uint32_t>(d);
    if (s.string_input) {
        enc.input.kind = InputSpec::Kind::String;
        enc.input.alphabet = {"a", "b", "#"};
        for (std::size_t k = 0; k < 3; ++k) enc.input.embedding.push_back(g.vec(d, false));
        for (Feature f : all_features())
            if (g.below(3) == 0) enc.input.positional.push_back(PositionalTerm{f, g.vec(d, false)});
        if (g.below(2) == 0) enc.input.bos = "#";
    }
    const std::size_t L = 1 + g.below(3);
    for (std::size_t l = 0; l < L; ++l) {
        Layer layer;
        const std::size_t H = 1 + g.below(3);
        for (std::size_t h = 0; h < H; ++h) {
            Mask mask = s.only_mask_none ? Mask::None : kMasks[g.below(5)];
            std::optional<std::uint64_t> window;
            if (g.below(2) == 0) window = s.only_mask_none ? 1 + g.below(3) : g.below(4);
            layer.heads.push_back(random_head(g, d, mask, window, kRules[g.below(4)]));
        }
        if (g.below(2) == 0) layer.ffn = random_ffn(g, d);
        enc.layers.push_back(std::move(layer));
    }
    if (s.accept) {
        enc.readout.kind = Readout::Kind::Accept;
        enc.readout.weights = g.vec(d, false);
        enc.readout.bias = g.value();
        enc.readout.at_last = g.below(2) == 0;
    } else {
        const std::size_t k = 1 + g.below(d + 1);
        for (std::size_t t = 0; t < k; ++t) enc.readout.coordinates.push_back(static_cast<std::uint32_t>(g.below(d)));
    }
    return enc;
}

// An input of length n (rows, BOS included) for the encoder.
Matrix<Rational> random_input(Gen& g, const Encoder& enc, std::size_t n) {
    if (enc.input.kind == InputSpec::Kind::String) {
        std::vector<std::string> tokens;
        const std::size_t m = n - (enc.input.bos ? 1 : 0);
        for (std::size_t k = 0; k < m; ++k) tokens.push_back(enc.input.alphabet[g.below(2)]);
        return embed(enc, tokens);
    }
    return g.mat(n, enc.d);
}

// The circuit's outputs must be the interpreter's readout, exactly.
void check_agrees(const Encoder& enc, const Circuit& c, const Matrix<Rational>& x) {
    Program<Rational> prog(enc);
    RunResult<Rational> r = prog.run(x);
    std::vector<Rational> got = evaluate<Rational>(c, circuit_input(x));
    std::vector<Rational> expected;
    if (enc.readout.kind == Readout::Kind::Sequence) {
        expected = r.outputs.data;
    } else {
        expected = {Rational(*r.accepted ? 1 : 0), r.score};
    }
    REQUIRE(got == expected);
}

void check_encoder(const Encoder& enc, Gen& g, std::size_t samples) {
    const EncoderCircuitDepth formula = encoder_circuit_depth(enc);
    for (std::size_t n = 1; n <= 12; ++n) {
        INFO("n = " << n);
        EncoderCircuit ec = build_encoder_circuit(enc, n);
        REQUIRE_NOTHROW(validate(ec.circuit));
        REQUIRE(ec.circuit.inputs.size() == n * enc.d);
        REQUIRE(stats(ec.circuit).depth == formula.total);
        REQUIRE(ec.depth.total == formula.total);
        // Every gate named for the state after layer l (L<l>.x<i>_<c>) has depth delta_l(c).
        const std::vector<std::uint32_t> dep = depths(ec.circuit);
        std::size_t named = 0;
        for (std::size_t k = 0; k < ec.circuit.gates.size(); ++k) {
            unsigned l = 0, i = 0, c = 0;
            if (std::sscanf(ec.circuit.gates[k].name.c_str(), "L%u.x%u_%u", &l, &i, &c) != 3) continue;
            ++named;
            REQUIRE(dep[k] == formula.coordinate[l][c]);
        }
        std::size_t written = 0;
        for (std::size_t l = 1; l < formula.coordinate.size(); ++l)
            for (std::size_t c = 0; c < enc.d; ++c) written += formula.coordinate[l][c] != formula.coordinate[l - 1][c];
        REQUIRE(named >= written * n);
        for (std::size_t s = 0; s < samples; ++s) {
            g.kind = static_cast<int>(s % 3);
            INFO("sample " << s << " (kind " << g.kind << ")");
            check_agrees(enc, ec.circuit, random_input(g, enc, n));
        }
    }
}

}  // namespace

TEST_CASE("random vector encoders: the circuit computes the interpreter's readout exactly", "[decompile]") {
    for (std::uint64_t seed = 1; seed <= 24; ++seed) {
        Gen g(seed);
        g.kind = static_cast<int>(seed % 3);
        EncoderShape s;
        s.accept = seed % 4 == 0;
        Encoder enc = random_encoder(g, s);
        INFO("seed " << seed);
        check_encoder(enc, g, 3);
    }
}

TEST_CASE("random string encoders with positional features and BOS", "[decompile]") {
    for (std::uint64_t seed = 101; seed <= 112; ++seed) {
        Gen g(seed);
        g.kind = static_cast<int>(seed % 3);
        EncoderShape s;
        s.string_input = true;
        s.accept = seed % 2 == 0;
        Encoder enc = random_encoder(g, s);
        INFO("seed " << seed);
        check_encoder(enc, g, 3);
    }
}

TEST_CASE("every mask, window and rule alone, with weights and inputs in {0, 1} (many ties)", "[decompile]") {
    Gen g(7);
    std::optional<std::uint64_t> windows[] = {std::nullopt, 0, 1, 2};
    for (Mask mask : kMasks)
        for (Rule rule : kRules)
            for (auto window : windows) {
                INFO("mask " << mask_name(mask) << " rule " << rule_name(rule) << " window " << (window ? std::to_string(*window) : "none"));
                for (int kind = 0; kind < 3; ++kind) {
                    g.kind = kind == 0 ? 2 : kind;  // {0,1} first
                    Encoder enc;
                    enc.d = 3;
                    Layer layer;
                    layer.heads.push_back(random_head(g, 3, mask, window, rule));
                    enc.layers.push_back(std::move(layer));
                    enc.readout.coordinates = {0, 1, 2};
                    for (std::size_t n = 1; n <= 12; ++n) {
                        INFO("n = " << n);
                        EncoderCircuit ec = build_encoder_circuit(enc, n);
                        REQUIRE(stats(ec.circuit).depth == ec.depth.total);
                        for (int s = 0; s < 3; ++s) {
                            g.kind = 2;
                            check_agrees(enc, ec.circuit, random_input(g, enc, n));
                        }
                    }
                }
            }
}

TEST_CASE("the depth does not depend on n: unpadded it is at most the formula, and equal when every position is generic", "[decompile]") {
    for (std::uint64_t seed = 201; seed <= 210; ++seed) {
        Gen g(seed);
        g.kind = 0;
        EncoderShape s;
        s.only_mask_none = seed % 2 == 0;
        Encoder enc = random_encoder(g, s);
        INFO("seed " << seed);
        const std::uint32_t D = encoder_circuit_depth(enc).total;
        std::optional<std::size_t> first;
        for (std::size_t n = 2; n <= 12; ++n) {
            INFO("n = " << n);
            const std::size_t depth = stats(encoder_to_circuit(enc, n)).depth;
            if (!first) first = depth;
            REQUIRE(depth == *first);
            REQUIRE(depth == D);
            EncoderCircuitOptions o;
            o.pad = false;
            EncoderCircuit raw = build_encoder_circuit(enc, n, o);
            REQUIRE(raw.padding == 0);
            const std::size_t raw_depth = stats(raw.circuit).depth;
            REQUIRE(raw_depth <= D);
            if (s.only_mask_none && n >= 4) CHECK(raw_depth == D);
            check_agrees(enc, raw.circuit, random_input(g, enc, n));
        }
    }
}

TEST_CASE("names: inputs x<i>_<c>, outputs y<i>_<k> or accept and score: the text round-trips", "[decompile]") {
    Gen g(5);
    Encoder enc = random_encoder(g, EncoderShape{});
    Circuit c = encoder_to_circuit(enc, 3);
    REQUIRE(c.gates[c.inputs[0]].name == "x0_0");
    REQUIRE(c.gates[c.inputs.back()].name == fmt::format("x2_{}", enc.d - 1));
    REQUIRE(c.outputs.size() == 3 * enc.readout.coordinates.size());
    REQUIRE(c.gates[c.outputs[0]].name == "y0_0");
    REQUIRE(c.gates[c.outputs.back()].name == fmt::format("y2_{}", enc.readout.coordinates.size() - 1));
    Circuit back = read_circuit(write_circuit(c, "round trip"), "<text>");
    REQUIRE(back == c);

    EncoderShape a;
    a.accept = true;
    Encoder acc = random_encoder(g, a);
    Circuit ca = encoder_to_circuit(acc, 4);
    REQUIRE(ca.outputs.size() == 2);
    REQUIRE(ca.gates[ca.outputs[0]].name == "accept");
    REQUIRE(ca.gates[ca.outputs[1]].name == "score");
    REQUIRE_THROWS_AS(encoder_to_circuit(acc, 0), InputError);
}

TEST_CASE("softmax heads are refused with the head's location", "[decompile]") {
    Gen g(9);
    Encoder enc;
    enc.d = 2;
    Layer layer;
    Head h = random_head(g, 2, Mask::None, std::nullopt, Rule::AverageHard);
    h.rule = Rule::Softmax;
    h.loc = SourceLoc{"enc.json", 7, 9};
    layer.heads.push_back(h);
    enc.layers.push_back(std::move(layer));
    enc.readout.coordinates = {0};
    try {
        encoder_to_circuit(enc, 3);
        FAIL("no error");
    } catch (const InputError& e) {
        REQUIRE(e.located().rfind("enc.json:7:9: ", 0) == 0);
        REQUIRE(std::string(e.what()).find("softmax") != std::string::npos);
        REQUIRE(std::string(e.what()).find("no exact circuit") != std::string::npos);
    }
    REQUIRE_THROWS_AS(encoder_circuit_depth(enc), InputError);
}

TEST_CASE("the bundled examples decompile and agree on every string", "[decompile]") {
    for (const char* name : {"majority.json", "prev_token.json", "tie_rules.json"}) {
        Encoder enc = load_encoder(std::string(AHAT_SOURCE_DIR) + "/examples/" + name);
        INFO(name);
        const std::uint32_t D = encoder_circuit_depth(enc).total;
        Gen g(11);
        for (std::size_t n = 1; n <= 12; ++n) {
            INFO("n = " << n);
            Circuit c = encoder_to_circuit(enc, n);
            REQUIRE(stats(c).depth == D);
            const std::size_t m = n - (enc.input.bos ? 1 : 0);
            const std::size_t A = enc.input.alphabet.size();
            std::size_t total = 1;
            for (std::size_t k = 0; k < m; ++k) total *= A;
            if (total <= 729) {
                for (std::size_t code = 0; code < total; ++code) {
                    std::vector<std::string> tokens;
                    std::size_t v = code;
                    for (std::size_t k = 0; k < m; ++k, v /= A) tokens.push_back(enc.input.alphabet[v % A]);
                    check_agrees(enc, c, embed(enc, tokens));
                }
            } else {
                for (int s = 0; s < 50; ++s) {
                    std::vector<std::string> tokens;
                    for (std::size_t k = 0; k < m; ++k) tokens.push_back(enc.input.alphabet[g.below(A)]);
                    check_agrees(enc, c, embed(enc, tokens));
                }
            }
        }
    }
}
