// Internal to src/tasks: small helpers shared by the task definitions, and the two halves of
// the library (sequence tasks: positions move; counting tasks: positions aggregate).
//
// Offers:
//   str(s), num(k), boolean(b)            RASP values.
//   draw(rng, k)                           a uniform integer in [0, k) (O(1)).
//   symbols(alphabet, weights, n, rng)     n symbols drawn independently (O(n + |alphabet|)).
//   distinct_ints(n, range, rng)           n distinct integers from [0, range), in random
//                                          order (O(range)).
//   task(name, stem, alphabet, description)   a Task with its program stem.rasp and
//                                          output SOp `stem`; generate and solve left to fill.
//   letters(k)                             the alphabet a, b, ... of k letters.
//   uniform(alphabet)                      a generator of independent uniform symbols.
//   sequence_tasks(), counting_tasks()     the task definitions, in the library's order.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tasks/tasks.hpp"

namespace ahat::tasks::detail {

inline rasp::Value str(std::string s) { return rasp::Value{std::move(s)}; }
inline rasp::Value num(long long k) { return rasp::Value{Rational(k)}; }
inline rasp::Value boolean(bool b) { return rasp::Value{b}; }

inline std::size_t draw(std::mt19937_64& rng, std::size_t k) {
    return std::uniform_int_distribution<std::size_t>(0, k - 1)(rng);
}

// Weights are relative; an empty weight list means uniform.
Tokens symbols(const std::vector<std::string>& alphabet, const std::vector<double>& weights,
               std::size_t n, std::mt19937_64& rng);

std::vector<long long> distinct_ints(std::size_t n, std::size_t range, std::mt19937_64& rng);

// The string held by a token (tasks over string alphabets only).
const std::string& text(const rasp::Value& v);
// The integer held by a token (tasks over integer tokens only).
long long integer(const rasp::Value& v);

Task task(std::string name, const std::string& stem, std::vector<std::string> alphabet,
          std::string description);
std::vector<std::string> letters(std::size_t k);
std::function<Tokens(std::size_t, std::mt19937_64&)> uniform(std::vector<std::string> alphabet);

std::vector<Task> sequence_tasks();
std::vector<Task> counting_tasks();

}  // namespace ahat::tasks::detail
