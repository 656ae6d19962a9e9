// `ahat bench rasp`: compile time and exact run time of task programs (src/tasks) at growing
// sizes, with the growth ratio of the run time between consecutive sizes.
//
// Offers:
//   RaspBenchParams / RaspBenchPoint
//   bench_rasp(params)   for every task and size: compile the task's program (again at every
//                        size), run it exactly on `repeat` generated instances (best time
//                        kept) and check the decoded answer against the solver.
//                        growth_per_doubling = run_ratio^(1 / log2(size_ratio)): the run
//                        time's factor per doubling of n between consecutive sizes.
// Cost: what is measured; every hard head of the compiled tasks takes the structured path
// (O(n log^2 n) per masked head, proofs/masked-attention.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ahat {

struct RaspBenchParams {
    std::vector<std::string> tasks{"sort", "histogram"};
    std::vector<std::size_t> sizes{1024, 2048, 4096, 8192, 16384};
    std::size_t repeat = 1;
    std::uint64_t seed = 1;
};

struct RaspBenchPoint {
    std::string task;
    std::size_t n = 0, layers = 0, heads = 0, width = 0;
    double compile_seconds = 0, run_seconds = 0;
    double run_ratio = 0;  // run time / the previous size's (0 at the first size)
    double size_ratio = 0; // n / the previous size (0 at the first size)
    double growth_per_doubling = 0;  // run_ratio^(1 / log2(size_ratio)) (0 at the first size)
    bool outputs_ok = false;
};

std::vector<RaspBenchPoint> bench_rasp(const RaspBenchParams& p);

}  // namespace ahat
