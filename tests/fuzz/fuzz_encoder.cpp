// Encoder JSON reader.
#include "encoder/encoder_json.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] { ahat::read_encoder(ahat_fuzz::text(data, size), "fuzz.json"); });
}
