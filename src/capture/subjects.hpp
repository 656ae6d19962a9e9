// Capture subjects (sweep.hpp) from the task library and from RASP files.
//
// Offers:
//   task_subject(name, max_n) a task of src/tasks: its generator and reference solver, its
//                             RASP program compiled for its output and vocabulary (integer
//                             tokens: [0, integer_range * max_n), fixed for the sweep); a task
//                             with not_compilable set gets only the evaluator-vs-solver check.
//                             InputError for an unknown task (the message lists them).
//   rasp_subject(path, name, alphabet)
//                             a RASP file: the SOp `name` (the last named SOp when empty),
//                             uniform random tokens over `alphabet` (string tokens: symbols;
//                             integer tokens: integers), reference = the RASP evaluator.
//   task_names()              the library's task names, in order.
//   compiled_model(prog, co)  rasp::compile as a capture Model (input: embed; output: decode).
//   token_text(v)             a token as an encoder alphabet spells it ("a", "3", "True").
//   texts(values, as_tokens)  token_text of each, or rasp::format_value of each.
// Numeric outputs are decoded by rasp::decode (bfloat16 outputs as float: every bfloat16
// value is a float, so the conversion is exact).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capture/sweep.hpp"
#include "rasp/compile.hpp"

namespace ahat::capture {

Subject task_subject(const std::string& name, std::size_t max_n);
Subject rasp_subject(const std::string& path, const std::string& name, const std::vector<std::string>& alphabet);
std::vector<std::string> task_names();

Model compiled_model(const std::shared_ptr<const rasp::Program>& prog, const rasp::CompileOptions& co);
std::string token_text(const rasp::Value& v);
// The id of the last named SOp called `name` (the last named SOp when empty); InputError at
// `where` when there is none.
std::uint32_t named_sop(const rasp::Program& prog, const std::string& name, const std::string& where);
std::vector<std::string> texts(const std::vector<rasp::Value>& vs, bool as_tokens);

}  // namespace ahat::capture
