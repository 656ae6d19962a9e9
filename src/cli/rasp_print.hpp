// Printing RASP results, shared by `ahat rasp run` and `ahat rasp repl`.
//
// Offers:
//   selector_row(row)          "01101": one query's selected keys (JSON).
//   print_rasp_result(nm, ev, tokens)   one named result as text: `s-op NAME = [...] (ints)`,
//                              `selector NAME:` and its matrix (rows are queries, columns
//                              keys, labelled by the tokens; summarized above 40 positions),
//                              or `value NAME = 3`.
#pragma once

#include <string>
#include <vector>

#include "rasp/eval.hpp"

namespace ahat::cli {

std::string selector_row(const std::vector<bool>& row);
void print_rasp_result(const rasp::Named& nm, const rasp::Evaluation& ev, const std::vector<rasp::Value>& tokens);

}  // namespace ahat::cli
