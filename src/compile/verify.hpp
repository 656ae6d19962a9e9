// Verification of a compiled circuit on random inputs, with the proofs' invariants checked
// from the trace (proofs/circuit-wire.md, proofs/circuit-gate.md).
//
// Offers:
//   VerifyOptions / verify_circuit(c, opts)   for each sample: random rational inputs (from
//       the seed), direct exact evaluation vs. the compiled encoder's exact run, and
//       - invariant: after each layer every token whose gate is complete by then holds its
//         exact value (the rest start from the poison, so too few layers cannot pass by luck);
//       - argmax sets: |M| = fan-in at sum heads, 1 at operand and fetch heads;
//       - shuffle: running the tokens in a random order permutes the final state, row for row.
//   Cost per sample: three runs of the encoder (normal, shuffled) plus direct evaluation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compile/circuit_to_encoder.hpp"

namespace ahat {

struct VerifyOptions {
    Construction construction = Construction::Wire;
    std::optional<std::size_t> depth_bound;  // K; default: the circuit's depth
    std::size_t samples = 10;
    std::uint64_t seed = 1;
    bool invariants = true;
};

struct InstanceReport {
    std::size_t sample = 0;
    std::vector<Rational> inputs, expected, got;
    bool outputs_ok = false, invariant_ok = false, argmax_ok = false, shuffle_ok = false;
    std::string problem;  // the first failure, if any
    bool ok() const { return outputs_ok && invariant_ok && argmax_ok && shuffle_ok; }
};

struct VerifyReport {
    Construction construction = Construction::Wire;
    std::size_t depth_bound = 0, circuit_depth = 0, tokens = 0;
    Shape shape;
    std::vector<InstanceReport> instances;
    bool ok() const {
        for (const auto& i : instances)
            if (!i.ok()) return false;
        return true;
    }
};

VerifyReport verify_circuit(const Circuit& c, const VerifyOptions& opts);

}  // namespace ahat
