// UTF-8 text as a sequence of Unicode code points, the unit of RASP tokens, alphabet symbols
// and source columns.
//
// Offers:
//   utf8_length(byte)     the byte length of the sequence a lead byte starts (1 for a stray byte).
//   code_points(text)     text split into code points, each as its UTF-8 bytes; O(|text|).
//                         A malformed byte stands for itself (never an exception).
//   valid_utf8(text)      whether text is well-formed UTF-8 (what JSON output needs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ahat {

inline std::size_t utf8_length(unsigned char c) {
    if (c >= 0xF0 && c < 0xF8) return 4;
    if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0) return 2;
    return 1;
}

inline std::vector<std::string> code_points(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t len = std::min(utf8_length(static_cast<unsigned char>(text[i])), text.size() - i);
        out.emplace_back(text.substr(i, len));
        i += len;
    }
    return out;
}

inline bool valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = utf8_length(c);
        if ((len == 1 && c >= 0x80) || i + len > text.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

}  // namespace ahat
