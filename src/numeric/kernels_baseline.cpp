// The reference-order attention kernels for the x86-64 baseline (or whatever the build
// targets), used where AVX-512 is missing, and for bfloat16 (emulated, so no vector unit
// helps). Compiled with -ffp-contract=off.
#define AHAT_KERNEL_NS baseline
#include "numeric/kernels_impl.hpp"

namespace ahat::numeric::baseline {
template void attend_impl<double, false>(const HeadJob<double>&);
template void attend_impl<float, false>(const HeadJob<float>&);
template void attend_impl<bfloat16, false>(const HeadJob<bfloat16>&);
}  // namespace ahat::numeric::baseline
