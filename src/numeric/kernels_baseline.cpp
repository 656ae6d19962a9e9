// The attention kernels compiled for the x86-64 baseline (or whatever the build targets),
// used where AVX-512 is missing, and for bfloat16 (emulated, so no vector unit helps).
#define AHAT_KERNEL_NS baseline
#include "numeric/kernels_impl.hpp"

namespace ahat::numeric::baseline {
template void attend_impl<double, false>(const HeadJob<double>&);
template void attend_impl<double, true>(const HeadJob<double>&);
template void attend_impl<float, false>(const HeadJob<float>&);
template void attend_impl<float, true>(const HeadJob<float>&);
template void attend_impl<bfloat16, false>(const HeadJob<bfloat16>&);
template void gemm_tile<double>(const double*, const double*, double*, std::size_t, std::size_t, std::size_t);
template void gemm_tile<float>(const float*, const float*, float*, std::size_t, std::size_t, std::size_t);
}  // namespace ahat::numeric::baseline
