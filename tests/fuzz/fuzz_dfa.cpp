// .dfa reader, then minimization (bounded by the reader's state limit).
#include "fuzz.hpp"
#include "lang/dfa_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] {
        ahat::lang::minimize(ahat::lang::parse_dfa(ahat_fuzz::text(data, size), "fuzz.dfa", 64));
    });
}
