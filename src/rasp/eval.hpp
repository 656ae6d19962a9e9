// The reference evaluator: RASP semantics exactly, over exact rationals.
//
// Offers:
//   parse_tokens(prog, text)    the input as RASP tokens: characters of a string, or
//                               integers separated by spaces/commas (Program::tokens).
//   Evaluation                  every SOp's values and every selector's matrix on one input.
//   evaluate(prog, tokens)      evaluates the whole DAG (O(#selectors * n^2) time and space).
//   format_value(v)             RASP's printing of one value (True, 3, 1/2, "a", None).
//   format_element(v)           one element of a printed sequence (T, 3, 1/2, a).
//   sequence_type(vals)         "ints", "rationals", "bools", "strings" or "empty".
//   format_sequence(vals)       "[1, 1, 2, 2, 1] (ints)", as RASP prints a sequence.
// Runtime errors that RASP would raise (division by zero, a categorical aggregate that
// selects several different values, ...) are InputError at the expression's location.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rasp/program.hpp"

namespace ahat::rasp {

std::vector<Value> parse_tokens(const Program& prog, std::string_view text);

struct Evaluation {
    std::vector<std::vector<Value>> sops;        // [sop id][position]
    std::vector<std::vector<std::vector<bool>>> sels;  // [selector id][query][key]
};

Evaluation evaluate(const Program& prog, const std::vector<Value>& tokens);

std::string format_value(const Value& v);
std::string format_element(const Value& v);
std::string sequence_type(const std::vector<Value>& vals);
std::string format_sequence(const std::vector<Value>& vals);

}  // namespace ahat::rasp
