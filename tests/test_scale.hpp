// Iteration counts of property tests: the full count in optimized builds, a fifth (at least
// one) in unoptimized builds (the sanitizer run of CI), where vector kernels run tens of times
// slower. AHAT_TEST_MULTIPLIER (a positive number) scales the full count for long runs.
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

}  // namespace ahat_test
