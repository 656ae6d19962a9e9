// Compiled circuits (docs/formats.md, "Compiled circuits"): the encoder E_K of a construction
// together with the token encoding of one circuit, in one JSON file ("format":
// "ahat-compiled-circuit"). `ahat compile` writes it; `ahat run` and `ahat info` read it. Two
// layouts: full (version 1: the n x d token matrix written out, for small circuits and for
// interchange) and compact (version 2: the circuit's .circ text instead, a line per string,
// the tokens encoded again when the file is read; the file is O(gates), not O(tokens x d)).
//
// Offers:
//   CompiledCircuit                 construction, K, source name, circuit depth, the encoder,
//                                   the encoding, its token count and the circuit's input names.
//   compile_circuit(c, cons, K, source, layout)   build one; K defaults to the circuit's depth;
//                                   InputError (no location) when K is below the depth. For
//                                   the compact layout the token matrix is not built (the
//                                   file does not hold it): memory O(gates), not O(tokens x d).
//   Layout / parse_layout / choose_layout(tokens)   full, compact; auto picks compact above
//                                   kCompactAbove tokens.
//   write_compiled(cc, layout)      canonical JSON text (the encoder nested exactly as
//                                   write_encoder writes it; full: the tokens as a sparse
//                                   matrix; compact: cc.circuit_text); read(write(x)) writes the
//                                   same text again, and both layouts read back to the same
//                                   CompiledCircuit.
//   read_compiled(text, file), load_compiled(path), compiled_from_json(root)
//                                   parse and check; InputError at file:line:col of the bad
//                                   part: token width != the encoder's d, a token index out of
//                                   range, an encoder whose shape is not shape_of(construction, K),
//                                   K below the circuit depth, per-token lists of the wrong length;
//                                   compact: the circuit's own errors at the file's line and
//                                   column where the offending text stands, a depth other
//                                   than circuit_depth.
//   is_compiled_circuit(root)       the parsed document declares "format": "ahat-compiled-circuit".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compile/circuit_to_encoder.hpp"

namespace ahat {

struct JValue;

inline constexpr std::string_view kCompiledCircuitFormat = "ahat-compiled-circuit";

struct CompiledCircuit {
    Construction construction = Construction::Wire;
    std::size_t K = 0;
    std::string source;                    // the circuit's path or name, as given
    std::size_t circuit_depth = 0;
    Encoder encoder;                       // circuit_encoder(construction, K) when compiled here
    Encoding encoding;                     // empty when compiled here for the compact layout
    std::size_t tokens = 0;                // the encoding's token count
    std::vector<std::string> input_names;  // per circuit input, in order
    std::string circuit_text;              // the circuit as write_circuit writes it (compact layout)
};

enum class Layout { Full, Compact };
inline constexpr std::size_t kCompactAbove = 65536;  // tokens: auto writes compact above this
std::optional<Layout> parse_layout(std::string_view name);  // "full", "compact" ("auto" is the CLI's)
Layout choose_layout(std::size_t tokens);                   // compact above kCompactAbove tokens

CompiledCircuit compile_circuit(const Circuit& c, Construction construction, std::optional<std::size_t> K,
                                std::string source, Layout layout = Layout::Full);

std::string write_compiled(const CompiledCircuit& cc, Layout layout = Layout::Full);
CompiledCircuit read_compiled(std::string_view text, const std::string& file);
CompiledCircuit load_compiled(const std::string& path);
CompiledCircuit compiled_from_json(const JValue& root);
bool is_compiled_circuit(const JValue& root);

}  // namespace ahat
