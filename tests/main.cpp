#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "exact/rational.hpp"

// The tests run with the GMP limb pool the ahat command installs (exact/rational.hpp).
[[maybe_unused]] static const bool limb_pool = ahat::use_limb_pool();
