// The encoder JSON format (docs/formats.md): reader with located errors, and writer.
//
// Offers:
//   read_encoder(text, file)   parse and validate; InputError at file:line:col of the bad part
//                              (dimension mismatches, unknown features/rules/masks, circuit
//                              errors inside a feed-forward part, ...). ReLU feed-forward parts
//                              are lowered to circuits as they are read.
//                              Every dimension (d, a matrix's rows and columns) is at most
//                              kMaxDimension = 2^24, so that a declared size never allocates
//                              more than the file could describe.
//   load_encoder(path)
//   write_encoder(enc)         canonical JSON text; read(write(e)) writes the same text again.
//   encoder_from_json(root)    the reader on an already parsed value (e.g. an encoder nested in
//                              another document); read_encoder = parse_json + this.
//   encoder_to_json(enc)       the value write_encoder prints, for nesting in other documents.
//   read_embedded_circuit(v, what)   a circuit held in a JSON value: a string, or an array of
//                              lines; its errors at the JSON file's line and column where the
//                              offending text stands ("in WHAT (its line N): ...").
//   circuit_lines(text)        a circuit's text (write_circuit's) as an array of lines, as the
//                              writer nests circuits (feed-forward parts, compiled circuits).
//   pretty_json(j)             the writer's layout (indented, arrays of scalars on one line),
//                              with a final newline; write_encoder = pretty_json(encoder_to_json).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "encoder/encoder.hpp"

namespace ahat {

constexpr std::size_t kMaxDimension = std::size_t{1} << 24;

struct JValue;

Encoder read_encoder(std::string_view text, const std::string& file);
Encoder load_encoder(const std::string& path);
std::string write_encoder(const Encoder& enc);

Encoder encoder_from_json(const JValue& root);
nlohmann::ordered_json encoder_to_json(const Encoder& enc);
std::string pretty_json(const nlohmann::ordered_json& j);
Circuit read_embedded_circuit(const JValue& v, std::string_view what);
nlohmann::ordered_json circuit_lines(std::string_view text);

// ReLU MLP W2 relu(W1 y + b1) + b2 as a feed-forward circuit over the basis
// (relu(x) = x * sign(x)); reads the coordinates W1 uses, writes those W2 or b2 touch.
FeedForward lower_relu(const Sparse<Rational>& w1, const std::vector<Rational>& b1, const Sparse<Rational>& w2,
                       const std::vector<Rational>& b2);

}  // namespace ahat
