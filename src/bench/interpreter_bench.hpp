// `ahat bench interpreter`: the exact interpreter's multiply-add rate beside a plain GMP loop
// (mpq_mul + mpq_add on preallocated mpq_t) doing the same multiply-adds on the same numbers.
//
// The workload is one layer of one average-hard head with dense random Q, K, V (d x d) and
// O (d x d), no zero entries, on n random positions: n(3d^2 + d^2) map multiply-adds plus
// n^2 d score multiply-adds. The plain loop computes the same products in the same order
// (Q x_i, K x_i, V x_i, every q_i . k_j, and O applied to a d-vector per position).
// Cases: "dense-rational" (entries p/q with 1 <= |p|, q <= 99) and "small-integer" (entries
// in [-9, 9] \ {0}), where the interpreter's 128-bit fast path applies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ahat {

struct BenchCase {
    std::string name;
    std::uint64_t mul_adds = 0;        // per repetition, as counted by the interpreter
    std::uint64_t gmp_mul_adds = 0;    // per repetition, done by the plain loop
    double interpreter_seconds = 0;    // best of the repetitions
    double gmp_seconds = 0;            // best of the repetitions
    double interpreter_rate = 0;       // multiply-adds per second
    double gmp_rate = 0;
    double ratio = 0;                  // interpreter_rate / gmp_rate
    bool same_result = false;          // the interpreter's first-layer state equals the plain loop's where comparable
};

struct BenchParams {
    std::size_t n = 32, d = 32, repeat = 5;
    std::uint64_t seed = 1;
};

std::vector<BenchCase> bench_interpreter(const BenchParams& p);

}  // namespace ahat
