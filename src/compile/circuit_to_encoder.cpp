#include "compile/circuit_to_encoder.hpp"

namespace ahat {
namespace {

// Coordinates of the wire construction (proofs/circuit-wire.md).
namespace W {
enum : std::uint32_t { SRC, DST, DST2, Z, Z2, FANIN, ADD, MUL, SIGN, VAL, MEAN, P0, P1, D };
}
// Coordinates of the gate construction (proofs/circuit-gate.md).
namespace G {
enum : std::uint32_t { ID, ID2, SRC, DST, DST2, Z, Z2, FANIN, ADD, MUL, SIGN, EDGE, VAL, MEAN, P0, P1, FETCH, D };
}

using Triple = Sparse<Rational>::Triple;

// A map whose rows are given as lists of (coordinate, coefficient), plus a bias per row.
Affine<Rational> rows_map(std::size_t d, const std::vector<std::vector<std::pair<std::uint32_t, long>>>& rows,
                          const std::vector<long>& bias) {
    std::vector<Triple> t;
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (auto [c, v] : rows[r]) t.push_back({static_cast<std::uint32_t>(r), c, Rational(v)});
    std::vector<Rational> b;
    for (long v : bias) b.emplace_back(v);
    return Affine<Rational>(Sparse<Rational>::from_triples(rows.size(), d, std::move(t)), std::move(b));
}

// A pointer head: the query token's target t = scale * (coordinate a) + offset against the
// key's address b (coordinate b, with b^2 at b2): score 2tb - b^2 = t^2 - (t - b)^2, maximal
// exactly where b = t. Value: coordinate `from`, added into coordinate `to`.
Head pointer_head(std::string name, std::size_t d, std::uint32_t a, long scale, long offset, std::uint32_t b,
                  std::uint32_t b2, std::uint32_t from, std::uint32_t to) {
    Head h;
    h.name = std::move(name);
    h.rule = Rule::AverageHard;
    h.mask = Mask::None;
    h.query = rows_map(d, {{{a, 2 * scale}}, {}}, {2 * offset, -1});
    h.key = rows_map(d, {{{b, 1}}, {{b2, 1}}}, {0, 0});
    h.value = rows_map(d, {{{from, 1}}}, {0});
    h.output = Sparse<Rational>::from_triples(d, 1, {Triple{to, 0, Rational(1)}});
    return h;
}

// VAL += ADD*FANIN*MEAN + MUL*P0*P1 + SIGN*sign(MEAN) - (ADD+MUL+SIGN)*VAL; MEAN, P0, P1 := 0.
FeedForward combine_ffn(std::uint32_t fanin, std::uint32_t add, std::uint32_t mul, std::uint32_t sign,
                        std::uint32_t val, std::uint32_t mean, std::uint32_t p0, std::uint32_t p1) {
    FeedForward f;
    Circuit& c = f.circuit;
    GateId Fi = c.input("fanin"), A = c.input("is_add"), M = c.input("is_mul"), S = c.input("is_sign"),
           V = c.input("val"), Me = c.input("mean"), X0 = c.input("p0"), X1 = c.input("p1");
    GateId sum = c.mul(A, c.mul(Fi, Me, "fanin_mean"), "sum_part");
    GateId prod = c.mul(M, c.mul(X0, X1, "p0_p1"), "mul_part");
    GateId sgn = c.mul(S, c.sign(Me, "sign_mean"), "sign_part");
    GateId old = c.neg(c.mul(c.add({A, M, S}, "computed"), V, "old_val"), "minus_old");
    c.outputs = {c.add({sum, prod, sgn, old}, "dval"), c.neg(Me, "clear_mean"), c.neg(X0, "clear_p0"),
                 c.neg(X1, "clear_p1")};
    f.reads = {fanin, add, mul, sign, val, mean, p0, p1};
    f.writes = {val, mean, p0, p1};
    return f;
}

Layer sum_layer(std::size_t d, std::uint32_t a, std::uint32_t b, std::uint32_t b2, std::uint32_t z,
                std::uint32_t z2, std::uint32_t fanin, std::uint32_t add, std::uint32_t mul, std::uint32_t sign,
                std::uint32_t val, std::uint32_t mean, std::uint32_t p0, std::uint32_t p1) {
    Layer l;
    // sum: every wire into gate a (address DST = a); operand k of a mul gate: the one wire
    // with address Z = 2a + k.
    l.heads.push_back(pointer_head("sum", d, a, 1, 0, b, b2, val, mean));
    l.heads.push_back(pointer_head("operand0", d, a, 2, 0, z, z2, val, p0));
    l.heads.push_back(pointer_head("operand1", d, a, 2, 1, z, z2, val, p1));
    l.ffn = combine_ffn(fanin, add, mul, sign, val, mean, p0, p1);
    return l;
}

Layer fetch_layer() {
    Layer l;
    l.heads.push_back(pointer_head("fetch", G::D, G::SRC, 1, 0, G::ID, G::ID2, G::VAL, G::FETCH));
    FeedForward f;
    Circuit& c = f.circuit;
    GateId E = c.input("is_edge"), V = c.input("val"), Fe = c.input("fetched");
    GateId dval = c.add({c.mul(E, Fe, "take"), c.neg(c.mul(E, V, "edge_val"), "drop")}, "dval");
    c.outputs = {dval, c.neg(Fe, "clear_fetch")};
    f.reads = {G::EDGE, G::VAL, G::FETCH};
    f.writes = {G::VAL, G::FETCH};
    l.ffn = std::move(f);
    return l;
}

Rational ri(std::size_t v) { return Rational(static_cast<unsigned long long>(v)); }

void set_source(Matrix<Rational>& m, std::size_t t, const Gate& s, std::uint32_t fanin, std::uint32_t add,
                std::uint32_t mul, std::uint32_t sign) {
    m.at(t, fanin) = ri(s.in.size());
    if (s.op == Op::Add && !s.in.empty()) m.at(t, add) = 1;
    if (s.op == Op::Mul) m.at(t, mul) = 1;
    if (s.op == Op::Sign) m.at(t, sign) = 1;
}

// The value a token carries before the first layer: the constant, 0 for an input slot (filled
// by with_inputs) or an empty sum, the poison for everything computed.
Rational initial_value(const Gate& s, const Rational& poison) {
    if (s.op == Op::Const) return s.value;
    if (s.op == Op::Input || (s.op == Op::Add && s.in.empty())) return Rational(0);
    return poison;
}

}  // namespace

std::string_view construction_name(Construction c) {
    return c == Construction::Wire ? "wire" : "gate";
}

std::optional<Construction> parse_construction(std::string_view s) {
    if (s == "wire") return Construction::Wire;
    if (s == "gate") return Construction::Gate;
    return std::nullopt;
}

Shape shape_of(Construction c, std::size_t K) {
    if (c == Construction::Wire) return Shape{K, 3, 3 * K, W::D};
    return Shape{2 * K, 3, 4 * K, G::D};
}

Encoder circuit_encoder(Construction c, std::size_t K) {
    Encoder enc;
    enc.name = fmt::format("circuit-{}-K{}", construction_name(c), K);
    enc.input.kind = InputSpec::Kind::Vectors;
    if (c == Construction::Wire) {
        enc.description = fmt::format(
            "Evaluates any circuit of depth <= {} given as wire tokens (proofs/circuit-wire.md); one layer per level.", K);
        enc.d = W::D;
        for (std::size_t l = 0; l < K; ++l)
            enc.layers.push_back(sum_layer(W::D, W::SRC, W::DST, W::DST2, W::Z, W::Z2, W::FANIN, W::ADD, W::MUL,
                                           W::SIGN, W::VAL, W::MEAN, W::P0, W::P1));
        enc.readout.coordinates = {W::VAL};
        enc.coordinates = {"SRC", "DST", "DST2", "Z", "Z2", "FANIN", "ADD", "MUL", "SIGN", "VAL", "MEAN", "P0", "P1"};
    } else {
        enc.description = fmt::format(
            "Evaluates any circuit of depth <= {} given as gate and wire tokens (proofs/circuit-gate.md); two layers per level.",
            K);
        enc.d = G::D;
        for (std::size_t l = 0; l < K; ++l) {
            enc.layers.push_back(fetch_layer());
            enc.layers.push_back(sum_layer(G::D, G::ID, G::DST, G::DST2, G::Z, G::Z2, G::FANIN, G::ADD, G::MUL,
                                           G::SIGN, G::VAL, G::MEAN, G::P0, G::P1));
        }
        enc.readout.coordinates = {G::VAL};
        enc.coordinates = {"ID",  "ID2", "SRC", "DST", "DST2", "Z",  "Z2", "FANIN", "ADD",
                           "MUL", "SIGN", "EDGE", "VAL", "MEAN", "P0", "P1", "FETCH"};
    }
    validate(enc);
    return enc;
}

// Small on purpose: values computed from the poison before their layer grow like the real
// ones (a squaring chain squares the poison too), so they stay within --max-bits wherever the
// circuit itself does.
Rational default_poison() {
    return Rational(Integer(-7), Integer(3));
}

std::size_t token_count(Construction c, const Circuit& circ) {
    std::size_t wires = 0;
    for (const Gate& g : circ.gates) wires += g.in.size();
    return c == Construction::Wire ? wires + circ.outputs.size() : circ.gates.size() + wires;
}

Encoding encode(Construction c, const Circuit& circ, const Rational& poison) {
    Encoding e;
    e.construction = c;
    e.input_tokens.assign(circ.inputs.size(), {});
    std::vector<std::uint32_t> input_index(circ.gates.size(), UINT32_MAX);
    for (std::size_t k = 0; k < circ.inputs.size(); ++k) input_index[circ.inputs[k]] = static_cast<std::uint32_t>(k);
    for (GateId o : circ.outputs) e.output_names.push_back(circ.gates[o].name);

    struct Wire {
        GateId src;
        std::size_t dst;  // consumer id (1-based), 0 for an output
        std::size_t slot;
    };
    // The operand address of a wire: 2 * consumer + (slot 0 ? 0 : 1); only mul gates, whose
    // slots are 0 and 1, are ever looked up by it.
    auto address = [](const Wire& w) { return ri(2 * w.dst + (w.slot == 0 ? 0 : 1)); };
    std::vector<Wire> wires;
    for (std::size_t g = 0; g < circ.gates.size(); ++g)
        for (std::size_t k = 0; k < circ.gates[g].in.size(); ++k) wires.push_back({circ.gates[g].in[k], g + 1, k});

    auto note_token = [&](std::size_t t, GateId src, bool is_gate) {
        e.token_gate.push_back(src);
        e.token_is_gate.push_back(is_gate ? 1 : 0);
        if (input_index[src] != UINT32_MAX) e.input_tokens[input_index[src]].push_back(static_cast<std::uint32_t>(t));
    };

    if (c == Construction::Wire) {
        for (std::size_t r = 0; r < circ.outputs.size(); ++r) wires.push_back({circ.outputs[r], 0, 0});
        e.tokens = Matrix<Rational>(token_count(c, circ), W::D);
        e.value_coordinate = W::VAL;
        for (std::size_t t = 0; t < wires.size(); ++t) {
            const Wire& w = wires[t];
            const Gate& s = circ.gates[w.src];
            e.tokens.at(t, W::SRC) = ri(w.src + 1);
            e.tokens.at(t, W::DST) = ri(w.dst);
            e.tokens.at(t, W::DST2) = ri(w.dst) * ri(w.dst);
            e.tokens.at(t, W::Z) = address(w);
            e.tokens.at(t, W::Z2) = address(w) * address(w);
            set_source(e.tokens, t, s, W::FANIN, W::ADD, W::MUL, W::SIGN);
            e.tokens.at(t, W::VAL) = initial_value(s, poison);
            note_token(t, w.src, false);
        }
        const std::size_t first_output = wires.size() - circ.outputs.size();
        for (std::size_t r = 0; r < circ.outputs.size(); ++r)
            e.output_tokens.push_back(static_cast<std::uint32_t>(first_output + r));
        return e;
    }
    // Gate construction: one token per gate, then one per wire.
    const std::size_t G_n = circ.gates.size();
    e.tokens = Matrix<Rational>(token_count(c, circ), G::D);
    e.value_coordinate = G::VAL;
    for (std::size_t g = 0; g < G_n; ++g) {
        const Gate& s = circ.gates[g];
        e.tokens.at(g, G::ID) = ri(g + 1);
        e.tokens.at(g, G::ID2) = ri(g + 1) * ri(g + 1);
        set_source(e.tokens, g, s, G::FANIN, G::ADD, G::MUL, G::SIGN);
        e.tokens.at(g, G::VAL) = initial_value(s, poison);
        note_token(g, static_cast<GateId>(g), true);
    }
    for (std::size_t k = 0; k < wires.size(); ++k) {
        const std::size_t t = G_n + k;
        const Wire& w = wires[k];
        e.tokens.at(t, G::SRC) = ri(w.src + 1);
        e.tokens.at(t, G::DST) = ri(w.dst);
        e.tokens.at(t, G::DST2) = ri(w.dst) * ri(w.dst);
        e.tokens.at(t, G::Z) = address(w);
        e.tokens.at(t, G::Z2) = address(w) * address(w);
        e.tokens.at(t, G::EDGE) = 1;
        e.tokens.at(t, G::VAL) = poison;
        e.token_gate.push_back(w.src);
        e.token_is_gate.push_back(0);
    }
    for (GateId o : circ.outputs) e.output_tokens.push_back(o);
    return e;
}

void set_inputs(const Encoding& e, const std::vector<Rational>& inputs, Matrix<Rational>& x,
                const std::vector<std::size_t>* row_of) {
    if (inputs.size() != e.input_tokens.size())
        fail({}, "the circuit has {} inputs, {} values were given", e.input_tokens.size(), inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k)
        for (std::uint32_t t : e.input_tokens[k]) x.at(row_of ? (*row_of)[t] : t, e.value_coordinate) = inputs[k];
}

Matrix<Rational> with_inputs(const Encoding& e, const std::vector<Rational>& inputs) {
    Matrix<Rational> x = e.tokens;
    set_inputs(e, inputs, x);
    return x;
}

std::vector<Rational> decode(const Encoding& e, const Matrix<Rational>& state) {
    std::vector<Rational> out;
    for (std::uint32_t t : e.output_tokens) out.push_back(state.at(t, e.value_coordinate));
    return out;
}

}  // namespace ahat
