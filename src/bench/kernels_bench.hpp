// `ahat bench kernels` and `ahat bench programs`: the numeric engine's speed.
//
// Offers:
//   KernelShape / KernelPoint   one attention shape (n, key width dk = value width, heads,
//                      batch, rule hard | softmax, mask none | causal, double | float) and its
//                      measurement: median milliseconds, allowed (query, key) pairs per second,
//                      useful flops per second (2 dk + 2 dk per pair), peak resident memory
//                      growth, and this machine's ceilings measured in the same run (a register-
//                      tiled GEMM and a streaming copy at the same precision) with the fraction
//                      of the GEMM rate reached.
//   bench_kernel(shape, order, repeats)   attention alone: an encoder whose heads read their
//                      queries, keys and values straight from the input columns (identity
//                      maps), so that the run is the kernels plus O(n d) copying.
//   ProgramPoint / bench_program(task, n, batch, interpreter_up_to)   a compiled task run in
//                      float on a batch by the engine (fast and reference order) and, for
//                      n <= interpreter_up_to, by the scalar interpreter on the same inputs:
//                      tokens per second and the ratio.
// Timings are wall-clock medians; ratios, not absolute numbers, are what to compare.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "numeric/kernels.hpp"

namespace ahat {

struct KernelShape {
    std::size_t n = 1024, dk = 16, heads = 4, batch = 1;
    bool softmax = false, causal = false, dbl = false;
};

struct KernelPoint {
    KernelShape shape;
    double ms = 0;                   // median of the repeats
    double pairs_per_second = 0;     // allowed (query, key) pairs x heads x batch per second
    double flops_per_second = 0;     // 4 dk flops per pair (scores and weighted values)
    std::uint64_t peak_bytes = 0;    // peak resident set during the runs above the resident set
                                     // before them (the inputs are not counted; Linux
                                     // /proc/self/clear_refs and VmHWM)
    double gemm_flops_per_second = 0, copy_bytes_per_second = 0;
    double fraction_of_gemm = 0;
    std::string isa, order;
};

KernelPoint bench_kernel(const KernelShape& shape, numeric::Order order, std::size_t repeats);

struct ProgramPoint {
    std::string task;
    std::size_t n = 0, batch = 0, layers = 0, heads = 0, width = 0;
    double engine_seconds = 0, engine_tokens_per_second = 0;         // fast order
    double reference_seconds = 0, reference_tokens_per_second = 0;   // reference order
    std::optional<double> interpreter_seconds, interpreter_tokens_per_second, speedup;  // vs fast
    bool reference_equals_interpreter = true;                        // bitwise, where both ran
};

ProgramPoint bench_program(const std::string& task, std::size_t n, std::size_t batch, std::size_t interpreter_up_to);

}  // namespace ahat
