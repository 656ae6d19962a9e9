// Input of the test layers_reversed_include_fails (CMakeLists.txt): checked as if it were a
// header of module encoder, which may not include capture (capture depends on encoder).
#pragma once
#include "circuit/circuit.hpp"
#include "capture/sweep.hpp"
