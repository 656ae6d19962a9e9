// Encoder -> circuit (the converse of circuit_to_encoder): for a fixed input length n, one
// arithmetic circuit in the basis (input, const, add of any fan-in, mul of fan-in 2, sign)
// that computes exactly what the exact interpreter computes on every n x d input — argmax
// sets, exact ties, averaging, the leftmost/rightmost choice, empty allowed sets, the
// feed-forward parts and the readout. proofs/encoder-to-circuit.md states and proves it.
//
// Offers:
//   encoder_to_circuit(enc, n)        the circuit.
//   build_encoder_circuit(enc, n, o)  the circuit with its depth report and padding count.
//   encoder_circuit_depth(enc)        the depth formula, evaluated: per coordinate and layer,
//                                     per layer, readout, total. It does not depend on n.
//   circuit_input(x)                  the circuit's input vector for an n x d matrix.
//
// Encoding. Inputs: the n*d entries of the input matrix, row-major, named x<i>_<c> (for
// string encoders: the embedded matrix, BOS row included, as embed() returns it; the
// circuit does not embed). Outputs: sequence readout -> y<i>_<k> (position i, k-th readout
// coordinate), n*|coordinates| of them, row-major; accept readout -> `accept` (1 or 0) and
// `score` (<t, x_p> + b). Gates that hold the state after layer l are named L<l>.x<i>_<c>.
// Constants 1/m (m <= n) enter as const gates: the mean of a uniform head over U_i, and the
// telescoping coefficients 1/(u-k) - 1/(u-k+1) of the average-hard inverse count.
//
// Depth (encoder_circuit_depth): every gate holding x^(l)_{i,c} has depth exactly
// delta_l(c) at every position i, where delta_0 = 0 and delta_{l+1} is computed from
// delta_l, the layer's weights (which entries are 0 or 1), rules, masks/windows and its
// feed-forward depths by the recurrence of the proof — never from n. The circuit's depth is
// D = max(max_c delta_L(c), readout depth), the same number for every n >= 1. Bound: a layer
// adds at most 12 (an average-hard head), 10 (unique-hard), 2 (uniform only), plus
// depth(F_l) + 1 with a feed-forward part; the readout 1 (sequence) or 2 (accept). Where a
// position computes a state entry faster (an empty or one-element allowed set, say), the
// entry is brought to delta_l(c) with single-operand add gates ("padding"; options.pad =
// false leaves them out, and then the depth is at most D).
//
// Cost for n positions, u_i = |U_i|: a hard head whose queries depend on x_i makes
// sum_i u_i(u_i - 1) comparisons (an add over 2(|R| + nnz(kappa)) terms and a sign; half as
// many for unique-hard) and 2 sum_i u_i |R| products; with constant queries the comparisons
// are shared by all positions (at most n(n - 1)). Selection and averaging add O(u_i d)
// gates per position (average-hard: u_i - 1 threshold signs over u_i operands). Uniform
// heads and one-element sets add only linear terms. So O(n^3) gates per head at worst,
// O(n^2 d) with constant queries, O(n^3 (|R| + nnz(kappa))) edges. Softmax heads have no exact
// circuit: InputError at the head.
#pragma once

#include <cstdint>
#include <vector>

#include "circuit/circuit.hpp"
#include "encoder/encoder.hpp"

namespace ahat {

struct LayerDepth {
    std::uint32_t input = 0;      // max_c delta_l(c)
    std::uint32_t attention = 0;  // max depth of y_i = x_i + sum_h O_h a_{h,i} (input if no head writes)
    std::uint32_t output = 0;     // max_c delta_{l+1}(c)
};

struct EncoderCircuitDepth {
    std::vector<std::vector<std::uint32_t>> coordinate;  // [l][c] = delta_l(c), l = 0..L
    std::vector<LayerDepth> layers;                      // one per layer
    std::uint32_t readout = 0;  // depth of the output gates
    std::uint32_t total = 0;    // the circuit's depth
};

// Throws InputError (at the head) for softmax heads, and what validate(enc) throws.
EncoderCircuitDepth encoder_circuit_depth(const Encoder& enc);

struct EncoderCircuitOptions {
    bool pad = true;  // bring every state gate to its exact depth delta_l(c)
};

struct EncoderCircuit {
    Circuit circuit;
    EncoderCircuitDepth depth;  // the formula; with pad it is exactly the circuit's depth
    std::size_t padding = 0;    // single-operand add gates added by padding
};

// n >= 1 (InputError otherwise).
EncoderCircuit build_encoder_circuit(const Encoder& enc, std::size_t n, const EncoderCircuitOptions& opts = {});
Circuit encoder_to_circuit(const Encoder& enc, std::size_t n);

// Row-major flattening of an n x d input matrix: the circuit's input values.
std::vector<Rational> circuit_input(const Matrix<Rational>& x);

}  // namespace ahat
