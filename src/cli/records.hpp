// Flat records shared by the analyses' subcommands (sinks, cascade, export): JSON Lines and
// CSV from the same records, exact values as strings, the --as-softmax option.
// Only src/cli includes this header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace ahat::cli {

// The exact value as its canonical string, or null.
json exact_or_null(const std::optional<Rational>& r);
// Every record as one JSON line.
void print_json_lines(const std::vector<json>& records);
// The records of one type as CSV: their keys as the header (from the first), one row each;
// strings quoted, null as an empty field.
void print_csv(const std::vector<json>& records, const std::string& type);
// --as-softmax: one positive number (beta), or none when the text is empty.
std::optional<Rational> parse_beta(const std::string& text, const std::string& option);

}  // namespace ahat::cli
