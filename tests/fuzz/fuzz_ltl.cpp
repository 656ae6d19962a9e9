// Past-LTL formula parser; printing must parse back to the same formula.
#include "fuzz.hpp"
#include "lang/ltl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] {
        const ahat::lang::Formula f = ahat::lang::parse_ltl(ahat_fuzz::text(data, size), "formula");
        const std::string printed = to_string(f);
        if (to_string(ahat::lang::parse_ltl(printed, "printed")) != printed) __builtin_trap();
    });
}
