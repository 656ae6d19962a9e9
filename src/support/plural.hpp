// Counts in English text: "1 layer", "2 layers".
//
// Offers:
//   counted(n, noun)     n and the noun, with an "s" unless n is 1 ("1 head", "0 heads").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ahat {

inline std::string counted(std::size_t n, std::string_view noun) {
    std::string s = std::to_string(n);
    s += ' ';
    s += noun;
    if (n != 1) s += 's';
    return s;
}

}  // namespace ahat
