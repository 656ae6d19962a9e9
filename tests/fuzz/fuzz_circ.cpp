// .circ reader, then the writer on what it read (read(write(c)) must read again).
#include "circuit/circ_io.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ahat_fuzz::refuse_or_accept([&] {
        const ahat::Circuit c = ahat::read_circuit(ahat_fuzz::text(data, size), "fuzz.circ");
        ahat::read_circuit(ahat::write_circuit(c), "written.circ");  // an InputError here is a bug
    });
}
