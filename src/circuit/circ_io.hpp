// The .circ text format (docs/formats.md): reader with located errors, and writer.
//
// Offers:
//   read_circuit(text, file)   parse; sugar (sub, neg, relu, lt, gt, le, ge, eq, ne, not,
//                              and, or, max, min, abs) is lowered to the basis as it is read.
//                              Errors are InputError at file:line:col: unknown name, wrong
//                              arity, bad literal, division by zero, duplicate name, empty
//                              output list, unknown operation.
//   load_circuit(path)         read_file + read_circuit.
//   write_circuit(c, comment)  text in the basis; reading it back gives an equal circuit, and
//                              writing that again gives the same text.
#pragma once

#include <string>
#include <string_view>

#include "circuit/circuit.hpp"

namespace ahat {

Circuit read_circuit(std::string_view text, const std::string& file);
Circuit load_circuit(const std::string& path);
std::string write_circuit(const Circuit& c, std::string_view comment = {});

}  // namespace ahat
