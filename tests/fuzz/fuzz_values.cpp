// The value syntaxes: rationals ("-7/2", "1.5e3") and --sizes lists ("8..2048", "3,10").
#include "capture/sweep.hpp"
#include "exact/rational.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view t = ahat_fuzz::text(data, size);
    if (size > 4096) return 0;  // a rational of 4 KiB digits is already slow to print back
    if (auto r = ahat::parse_rational(t)) {
        if (*ahat::parse_rational(ahat::to_string(*r)) != *r) __builtin_trap();  // canonical form reads back
    }
    return ahat_fuzz::refuse_or_accept([&] { ahat::capture::parse_sizes(t); });
}
