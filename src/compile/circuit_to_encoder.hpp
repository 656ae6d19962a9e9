// Circuit -> encoder: one encoder per depth bound K, whose weights never depend on the
// circuit; the circuit and its input values are encoded as the token sequence.
//
// Offers:
//   Construction             "wire" (one layer per circuit level, one token per wire) and
//                            "gate" (two layers per level, one token per gate plus one per
//                            wire). proofs/circuit-wire.md and proofs/circuit-gate.md state
//                            and prove them.
//   Shape / shape_of(c, K)   exact layer, head and width counts (the proofs' formulas).
//   circuit_encoder(c, K)    the encoder.
//   token_count(c, C)        the number of tokens of C's encoding (wire: one per wire and
//                            per output; gate: one per gate and per wire), without encoding it.
//   Encoding / encode(c, C)  the token matrix of circuit C, with every input slot set to 0 and
//                            every non-leaf value set to a poison value, plus where inputs go
//                            and where outputs are read.
//   with_inputs(e, x)        the token matrix for input values x.
//   set_inputs(e, x, tokens, row_of)   the same in place: writes x into a copy of e.tokens
//                            whose row t is row row_of[t] of `tokens` (none: the identity).
//   decode(e, state)         the circuit's outputs from the final state.
// Requirements on C: gates in the basis (every circuit in memory is). Gate ids in the encoding
// are 1-based positions in C's gate list; the id 0 marks "no consumer" (an output wire).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "circuit/circuit.hpp"
#include "encoder/encoder.hpp"

namespace ahat {

enum class Construction : std::uint8_t { Wire, Gate };
std::string_view construction_name(Construction c);
std::optional<Construction> parse_construction(std::string_view s);

struct Shape {
    std::size_t layers = 0;          // wire: K; gate: 2K
    std::size_t heads_per_layer = 0; // wire: 3; gate: 1 (fetch layers) and 3 (sum layers)
    std::size_t total_heads = 0;     // wire: 3K; gate: 4K
    std::size_t width = 0;           // d: wire 13; gate 17
};
Shape shape_of(Construction c, std::size_t K);

Encoder circuit_encoder(Construction c, std::size_t K);

struct Encoding {
    Construction construction = Construction::Wire;
    Matrix<Rational> tokens;                       // n x d
    std::vector<std::vector<std::uint32_t>> input_tokens;  // per circuit input: tokens holding it
    std::vector<std::uint32_t> output_tokens;      // per circuit output: the token to read
    std::vector<std::string> output_names;
    std::vector<std::uint32_t> token_gate;         // per token: the gate whose value it carries
    std::vector<std::uint8_t> token_is_gate;       // per token: 1 for gate tokens (gate construction)
    std::uint32_t value_coordinate = 0;            // where a token carries its value
};

// The default poison: a value no small circuit produces by accident.
Rational default_poison();

std::size_t token_count(Construction c, const Circuit& circuit);
Encoding encode(Construction c, const Circuit& circuit, const Rational& poison = default_poison());
Matrix<Rational> with_inputs(const Encoding& e, const std::vector<Rational>& inputs);
void set_inputs(const Encoding& e, const std::vector<Rational>& inputs, Matrix<Rational>& tokens,
                const std::vector<std::size_t>* row_of = nullptr);
std::vector<Rational> decode(const Encoding& e, const Matrix<Rational>& state);

}  // namespace ahat
