// The encoder JSON format (docs/formats.md): reader with located errors, and writer.
//
// Offers:
//   read_encoder(text, file)   parse and validate; InputError at file:line:col of the bad part
//                              (dimension mismatches, unknown features/rules/masks, circuit
//                              errors inside a feed-forward part, ...). ReLU feed-forward parts
//                              are lowered to circuits as they are read.
//   load_encoder(path)
//   write_encoder(enc)         canonical JSON text; read(write(e)) writes the same text again.
#pragma once

#include <string>
#include <string_view>

#include "encoder/encoder.hpp"

namespace ahat {

Encoder read_encoder(std::string_view text, const std::string& file);
Encoder load_encoder(const std::string& path);
std::string write_encoder(const Encoder& enc);

// ReLU MLP W2 relu(W1 y + b1) + b2 as a feed-forward circuit over the basis
// (relu(x) = x * sign(x)); reads the coordinates W1 uses, writes those W2 or b2 touch.
FeedForward lower_relu(const Sparse<Rational>& w1, const std::vector<Rational>& b1, const Sparse<Rational>& w2,
                       const std::vector<Rational>& b2);

}  // namespace ahat
