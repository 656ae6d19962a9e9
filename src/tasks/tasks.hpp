// The task library: combinatorial tasks with a seeded instance generator for any size, a
// reference solver written directly in C++, and a RASP program shipped under rasp/.
//
// Offers:
//   Task            one task (see the fields).
//   all_tasks()     the library, in a fixed order.
//   find_task(s)    by name; nullptr if unknown.
//   load_program(t, root)  the task's RASP program, rasp/<t.program> found by support's
//                   bundled() (root, else $AHAT_ROOT, else the copy embedded in the binary).
//   vocabulary(t, max_n)  the symbols instances of size <= max_n draw from: the alphabet,
//                   or for integer tokens "0", "1", ... up to the largest value (the
//                   compiler's alphabet for integer tokens; O(max_n)).
// A task's output is one RASP value per input position (tasks with a single answer repeat
// it at every position, as their RASP program does).
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rasp/program.hpp"

namespace ahat::tasks {

using Tokens = std::vector<rasp::Value>;

struct Task {
    std::string name;                  // "sort", "histogram", ...
    std::string description;           // one line
    std::string program;               // file name under rasp/, e.g. "sort.rasp"
    std::string output;                // the named SOp of the program that answers the task
    std::vector<std::string> alphabet; // string tokens' vocabulary; empty for integer tokens
    std::size_t min_size = 1;          // the smallest n with instances
    std::size_t integer_range = 0;     // integer tokens: values lie in [0, integer_range * n)
    // n tokens, drawn with rng (same seed -> same instance).
    std::function<Tokens(std::size_t n, std::mt19937_64& rng)> generate;
    // The expected output at every position.
    std::function<std::vector<rasp::Value>(const Tokens&)> solve;
    // Empty when the program compiles within the model; otherwise why it cannot (shown by
    // `ahat capture` and docs/tasks.md).
    std::string not_compilable;
};

const std::vector<Task>& all_tasks();
const Task* find_task(std::string_view name);
rasp::Program load_program(const Task& t, const std::string& root = "");
std::vector<std::string> vocabulary(const Task& t, std::size_t max_n);

}  // namespace ahat::tasks
