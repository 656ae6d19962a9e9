// One fuzz target per reader (docs/fuzzing.md). Each file defines LLVMFuzzerTestOneInput and
// builds two ways: with clang -fsanitize=fuzzer (a libFuzzer campaign), or with any compiler
// beside replay_main.cpp (a plain program that feeds it every file of the corpus directories
// it is given; CMake builds these and CTest replays the seed corpora).
//
// A target may refuse its input only with InputError: any other exception escapes and ends
// the run (libFuzzer reports it as a crash), and so do crashes, hangs and leaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "support/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace ahat_fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Runs f on the input, accepting InputError (bad input, refused with a location) as an answer.
template <class F>
int refuse_or_accept(F&& f) {
    try {
        f();
    } catch (const ahat::InputError&) {
    }
    return 0;
}

}  // namespace ahat_fuzz
