// `ahat bench compile-run`: random depth-D circuits (10^3 to 10^5 gates by default, any sizes given), compiled
// (circuit_to_encoder), run exactly and checked against direct evaluation; the structured
// attention path beside the dense scan where the dense scan still finishes. Each size's
// circuit and inputs depend only on the seed and the size. With `isolate` (the default) each
// size runs in a child process of its own, so that its time does not depend on the heap the
// sizes before it left (blocks of freed values in scattered order), and its point carries that
// process's peak resident set; without it, sizes run in this process in the order given, and
// each point carries the peak so far.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "compile/circuit_to_encoder.hpp"

namespace ahat {

struct CompileRunParams {
    std::vector<std::size_t> sizes{1000, 2000, 4000, 8000, 16000, 32000, 64000, 100000};
    std::size_t depth = 8, inputs = 16, max_fanin = 3;
    std::uint64_t seed = 1;
    Construction construction = Construction::Wire;
    std::size_t dense_max = 4000;  // run the dense scan too up to this many gates
    int threads = 0;               // the exact runs' threads (RunOptions::threads; 0: every core)
    std::size_t repeat = 1;        // repetitions per size; the best total time is kept
    bool isolate = true;           // each size in a child process of its own (fork), from a fresh heap
};

struct CompileRunPoint {
    std::size_t gates = 0, tokens = 0, layers = 0;
    double compile_seconds = 0;  // encoder + token encoding
    double run_seconds = 0;      // exact run, structured attention
    double verify_seconds = 0;   // direct evaluation + comparison of the decoded outputs
    double dense_seconds = -1;   // exact run with the dense scan (-1: not run)
    bool outputs_ok = false, dense_ok = false;
    double peak_rss_mb = 0;      // the process's peak resident set after this size (getrusage)
    double total_seconds() const { return compile_seconds + run_seconds + verify_seconds; }
};

// `progress` (may be empty) is called after each size.
std::vector<CompileRunPoint> bench_compile_run(const CompileRunParams& p,
                                               const std::function<void(const CompileRunPoint&)>& progress);

}  // namespace ahat
