// Input of the test layers_allowed_include_passes (CMakeLists.txt): checked as if it were a
// header of module encoder, which may include circuit, support and exact.
#pragma once
#include "circuit/circuit.hpp"
#include "exact/rational.hpp"
