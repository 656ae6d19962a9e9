// Regex parser, subset construction and minimization, with the alphabet ab.
#include "fuzz.hpp"
#include "lang/regex.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] { ahat::lang::compile_regex(ahat_fuzz::text(data, size), "ab", "regex", 64); });
}
