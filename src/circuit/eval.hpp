// Evaluation of a circuit, generic over the scalar type (Rational, double, float, bfloat16).
//
// Offers:
//   evaluate_all(c, inputs, opts)  the value of every gate, in gate order.
//   evaluate(c, inputs, opts)      the outputs only.
//   evaluate_into(c, inputs, values, opts)   evaluate_all into a reused buffer; exact, also
//                                  with the inputs read in place from a state row.
//   kDefaultMaxBits                the default resource guard for exact runs.
// In exact mode every gate's value is checked against opts.max_bits (bits of numerator plus
// denominator); a larger value is an InputError naming the gate, not a runaway computation.
// Exact gates whose operands are small fractions run on machine integers (SmallQ of
// exact/fast_path.hpp), the others on GMP: the values are the same either way.
// Cost: O(gates + edges) scalar operations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "circuit/circuit.hpp"

namespace ahat {

inline constexpr std::size_t kDefaultMaxBits = std::size_t(1) << 20;

struct EvalOptions {
    std::size_t max_bits = kDefaultMaxBits;  // 0: no limit
    // evaluate_into: only the output gates' entries of `values` are written (exact runs skip
    // writing the other gates' Rationals); the rest are unspecified.
    bool outputs_only = false;
};

template <class S>
std::vector<S> evaluate_all(const Circuit& c, const std::vector<S>& inputs, const EvalOptions& opts = {});

template <class S>
std::vector<S> evaluate(const Circuit& c, const std::vector<S>& inputs, const EvalOptions& opts = {});

// evaluate_all into a caller's buffer (resized to the gate count), so that evaluating the same
// circuit many times reuses its storage.
template <class S>
void evaluate_into(const Circuit& c, const std::vector<S>& inputs, std::vector<S>& values, const EvalOptions& opts = {});
// Exact, with input k read in place from row[reads[k]] (a state row: no copy of the inputs).
void evaluate_into(const Circuit& c, const Rational* row, const std::vector<std::uint32_t>& reads, std::vector<Rational>& values,
                   const EvalOptions& opts = {});

}  // namespace ahat
