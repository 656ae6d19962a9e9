// The fast-order attention kernels and the GEMM ceiling for the x86-64 baseline, compiled with
// -ffp-contract=fast (which fuses nothing where the target has no FMA).
#define AHAT_KERNEL_NS baseline
#include "numeric/kernels_impl.hpp"

namespace ahat::numeric::baseline {
template void attend_impl<double, true>(const HeadJob<double>&);
template void attend_impl<float, true>(const HeadJob<float>&);
template void gemm_tile<double>(const double*, const double*, double*, std::size_t, std::size_t, std::size_t);
template void gemm_tile<float>(const float*, const float*, float*, std::size_t, std::size_t, std::size_t);
}  // namespace ahat::numeric::baseline
