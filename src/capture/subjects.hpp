// Capture subjects (sweep.hpp) from the task library and from RASP files.
//
// Offers:
//   task_subject(name)        a task of src/tasks: its generator and reference solver, its
//                             RASP program compiled for its output and alphabet; a task with
//                             not_compilable set gets only the evaluator-vs-solver check.
//                             InputError for an unknown task (the message lists them).
//   rasp_subject(path, name, alphabet)
//                             a RASP file: the SOp `name` (the last named SOp when empty),
//                             uniform random tokens over `alphabet` (string tokens: symbols;
//                             integer tokens: integers), reference = the RASP evaluator.
//   task_names()              the library's task names, in order.
// Numeric outputs are decoded by rasp::decode (bfloat16 outputs as float: every bfloat16
// value is a float, so the conversion is exact).
#pragma once

#include <string>
#include <vector>

#include "capture/sweep.hpp"

namespace ahat::capture {

Subject task_subject(const std::string& name);
Subject rasp_subject(const std::string& path, const std::string& name, const std::vector<std::string>& alphabet);
std::vector<std::string> task_names();

}  // namespace ahat::capture
