// Words for the language tests.
#pragma once

#include <cstddef>
#include <string>

namespace ahat_test {

// u repeated k times (the empty word when k = 0).
inline std::string power(const std::string& u, std::size_t k) {
    std::string w;
    for (std::size_t i = 0; i < k; ++i) w += u;
    return w;
}

}  // namespace ahat_test
