#include "circuit/circuit.hpp"

#include <algorithm>

#include "support/error.hpp"

namespace ahat {

std::string_view op_name(Op op) {
    switch (op) {
        case Op::Input: return "input";
        case Op::Const: return "const";
        case Op::Add: return "add";
        case Op::Mul: return "mul";
        case Op::Sign: return "sign";
    }
    return "?";
}

namespace {
GateId push(Circuit& c, Gate g) {
    for (GateId in : g.in)
        if (in >= c.gates.size()) fail({}, "gate operand {} does not exist yet", in);
    c.gates.push_back(std::move(g));
    return static_cast<GateId>(c.gates.size() - 1);
}
}  // namespace

GateId Circuit::input(std::string name) {
    GateId id = push(*this, Gate{Op::Input, {}, Rational(0), std::move(name)});
    inputs.push_back(id);
    return id;
}
GateId Circuit::constant(const Rational& v, std::string name) {
    return push(*this, Gate{Op::Const, {}, v, std::move(name)});
}
GateId Circuit::add(std::vector<GateId> operands, std::string name) {
    return push(*this, Gate{Op::Add, std::move(operands), Rational(0), std::move(name)});
}
GateId Circuit::mul(GateId a, GateId b, std::string name) {
    return push(*this, Gate{Op::Mul, {a, b}, Rational(0), std::move(name)});
}
GateId Circuit::sign(GateId a, std::string name) {
    return push(*this, Gate{Op::Sign, {a}, Rational(0), std::move(name)});
}
GateId Circuit::neg(GateId a, std::string name) {
    return mul(constant(Rational(-1)), a, std::move(name));
}
GateId Circuit::sub(GateId a, GateId b, std::string name) {
    return add({a, neg(b)}, std::move(name));
}
GateId Circuit::relu(GateId a, std::string name) {
    return mul(a, sign(a), std::move(name));
}
GateId Circuit::greater(GateId a, GateId b, std::string name) {
    return sign(sub(a, b), std::move(name));
}
GateId Circuit::greater_equal(GateId a, GateId b, std::string name) {
    // [a >= b] = 1 - [b > a]
    return add({constant(Rational(1)), neg(greater(b, a))}, std::move(name));
}
GateId Circuit::equal(GateId a, GateId b, std::string name) {
    // [a == b] = 1 - [a > b] - [b > a]
    return add({constant(Rational(1)), neg(greater(a, b)), neg(greater(b, a))}, std::move(name));
}

bool Circuit::operator==(const Circuit& o) const {
    if (inputs != o.inputs || outputs != o.outputs || gates.size() != o.gates.size()) return false;
    for (std::size_t k = 0; k < gates.size(); ++k) {
        const Gate &a = gates[k], &b = o.gates[k];
        if (a.op != b.op || a.in != b.in || (a.op == Op::Const && a.value != b.value)) return false;
    }
    return true;
}

std::vector<std::uint32_t> depths(const Circuit& c) {
    std::vector<std::uint32_t> d(c.gates.size(), 0);
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        if (g.op == Op::Input || g.op == Op::Const) continue;
        std::uint32_t m = 0;
        for (GateId in : g.in) m = std::max(m, d[in]);
        d[k] = m + 1;
    }
    return d;
}

CircuitStats stats(const Circuit& c) {
    CircuitStats s;
    auto d = depths(c);
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        switch (g.op) {
            case Op::Input: ++s.inputs; break;
            case Op::Const: ++s.consts; break;
            case Op::Add: ++s.adds; break;
            case Op::Mul: ++s.muls; break;
            case Op::Sign: ++s.signs; break;
        }
        s.max_fanin = std::max(s.max_fanin, g.in.size());
        s.edges += g.in.size();
        s.depth = std::max<std::size_t>(s.depth, d[k]);
    }
    s.size = s.adds + s.muls + s.signs;
    s.outputs = c.outputs.size();
    return s;
}

void validate(const Circuit& c) {
    std::size_t next_input = 0;
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        for (GateId in : g.in)
            if (in >= k) fail({}, "gate {} uses operand {} that does not precede it", k, in);
        switch (g.op) {
            case Op::Input:
                if (next_input >= c.inputs.size() || c.inputs[next_input] != k)
                    fail({}, "input gate {} is missing from the input list or out of order", k);
                ++next_input;
                [[fallthrough]];
            case Op::Const:
                if (!g.in.empty()) fail({}, "{} gate {} has operands", op_name(g.op), k);
                break;
            case Op::Mul:
                if (g.in.size() != 2) fail({}, "mul gate {} has {} operands, expected 2", k, g.in.size());
                break;
            case Op::Sign:
                if (g.in.size() != 1) fail({}, "sign gate {} has {} operands, expected 1", k, g.in.size());
                break;
            case Op::Add: break;
        }
    }
    if (next_input != c.inputs.size()) fail({}, "the input list names gates that are not inputs");
    if (c.outputs.empty()) fail({}, "the circuit has no outputs");
    for (GateId o : c.outputs)
        if (o >= c.gates.size()) fail({}, "output {} does not exist", o);
}

}  // namespace ahat
