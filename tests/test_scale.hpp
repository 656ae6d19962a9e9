// Iteration counts of property tests: the full count in optimized builds, a fifth (at least
// one) in unoptimized builds (the sanitizer run of CI), where vector kernels run tens of times
// slower (bound() below does the same for exhaustive size bounds). AHAT_TEST_MULTIPLIER (a positive number) scales the full count for long runs.
#pragma once

#include <algorithm>
#include <cstdlib>

namespace ahat_test {

inline int iterations(int full) {
    double m = 1;
    if (const char* env = std::getenv("AHAT_TEST_MULTIPLIER")) m = std::max(0.0, std::atof(env));
#ifndef NDEBUG
    m /= 5;
#endif
    return std::max(1, static_cast<int>(full * m));
}

// A size bound of an exhaustive check (words up to a length, formulas up to a size), whose cost
// grows exponentially with it: FULL in optimized builds, the smaller UNOPTIMIZED in
// unoptimized builds (the sanitizer run), which the optimized suite then covers beyond.
inline int bound(int full, int unoptimized) {
#ifdef NDEBUG
    (void)unoptimized;
    return full;
#else
    return std::min(full, unoptimized);
#endif
}

}  // namespace ahat_test
