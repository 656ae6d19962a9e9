// RASP reader (lexer, parser, name resolution and static checks; the prelude on).
#include "fuzz.hpp"
#include "rasp/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] { ahat::rasp::read_rasp(ahat_fuzz::text(data, size), "fuzz.rasp"); });
}
