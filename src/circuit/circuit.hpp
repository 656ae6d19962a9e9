// Arithmetic circuits in the basis of docs/semantics.md: input, const, add (any fan-in), mul
// (fan-in 2), sign (fan-in 1, sign(x) = 1 if x > 0 else 0).
//
// Offers:
//   Circuit        gates in topological order (operands always precede), input and output
//                  lists; builder methods that check arity as they go.
//   stats()        gates by type, size, depth, maximum fan-in.
//   depths()       the depth of every gate (inputs and constants 0).
//   validate()     structural check for circuits built in code (the reader checks as it reads).
//   Equality is structural: operations, operands, constants, inputs and outputs; names are
//   labels and do not take part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exact/rational.hpp"

namespace ahat {

enum class Op : std::uint8_t { Input, Const, Add, Mul, Sign };

std::string_view op_name(Op op);

using GateId = std::uint32_t;

struct Gate {
    Op op = Op::Input;
    std::vector<GateId> in;  // operands
    Rational value;          // Const only
    std::string name;        // may be empty for generated gates; the writer invents one
};

struct Circuit {
    std::vector<Gate> gates;
    std::vector<GateId> inputs;   // gate ids of the inputs, in declaration order
    std::vector<GateId> outputs;  // gate ids of the outputs, in order (repeats allowed)

    GateId input(std::string name = {});
    GateId constant(const Rational& v, std::string name = {});
    GateId add(std::vector<GateId> operands, std::string name = {});
    GateId mul(GateId a, GateId b, std::string name = {});
    GateId sign(GateId a, std::string name = {});
    // Sugar built from the basis: a - b, -a, relu(a) = a * sign(a), [a > b], [a >= b], [a == b].
    GateId sub(GateId a, GateId b, std::string name = {});
    GateId neg(GateId a, std::string name = {});
    GateId relu(GateId a, std::string name = {});
    GateId greater(GateId a, GateId b, std::string name = {});
    GateId greater_equal(GateId a, GateId b, std::string name = {});
    GateId equal(GateId a, GateId b, std::string name = {});

    std::size_t size() const { return gates.size(); }
    bool operator==(const Circuit& o) const;
};

struct CircuitStats {
    std::size_t inputs = 0, consts = 0, adds = 0, muls = 0, signs = 0;
    std::size_t size = 0;        // add + mul + sign gates (inputs and constants not counted)
    std::size_t depth = 0;       // longest path; inputs and constants have depth 0
    std::size_t max_fanin = 0;   // largest operand count of any gate
    std::size_t edges = 0;       // total operand count
    std::size_t outputs = 0;
};

std::vector<std::uint32_t> depths(const Circuit& c);
CircuitStats stats(const Circuit& c);

// Throws InputError (no location) when operands do not precede their gate, arities are
// wrong, the input list does not match the input gates, or there is no output.
void validate(const Circuit& c);

}  // namespace ahat
