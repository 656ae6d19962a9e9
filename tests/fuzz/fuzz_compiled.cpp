// Compiled-circuit JSON reader (ahat compile's output).
#include "compile/compiled_io.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] { ahat::read_compiled(ahat_fuzz::text(data, size), "fuzz.json"); });
}
