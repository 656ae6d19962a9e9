// Reports of a capture sweep (sweep.hpp) as text, for the CLI to print or write.
//
// Offers:
//   table_report(r)   a readable table: one row per size, then predicted vs observed breaks.
//   json_lines(r)     JSON Lines: one {"type": "size", ...} object per size, then one
//                     {"type": "summary", ...} (keys in docs/cli.md, `ahat capture`).
//   csv_report(r)     long format for notebooks: one row per (size, format), header first.
//   svg_plot(r)       accuracy against size (log2 axis), one line per format; a standalone SVG.
//   xml_escape(s)     s with < > & " as XML entities (text inside SVG documents).
// All O(sizes x formats).
#pragma once

#include <string>

#include "capture/sweep.hpp"

namespace ahat::capture {

std::string table_report(const SweepResult& r);
std::string json_lines(const SweepResult& r);
std::string csv_report(const SweepResult& r);
std::string svg_plot(const SweepResult& r);
std::string xml_escape(const std::string& s);

}  // namespace ahat::capture
