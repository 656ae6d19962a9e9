// The fast-order attention kernels and the GEMM ceiling for AVX-512 with FMA, compiled with
// -ffp-contract=fast so that acc + a * b becomes one fused multiply-add.
#define AHAT_KERNEL_NS avx512
#include "numeric/kernels_impl.hpp"

namespace ahat::numeric::avx512 {
template void attend_impl<double, true>(const HeadJob<double>&);
template void attend_impl<float, true>(const HeadJob<float>&);
template void gemm_tile<double>(const double*, const double*, double*, std::size_t, std::size_t, std::size_t);
template void gemm_tile<float>(const float*, const float*, float*, std::size_t, std::size_t, std::size_t);
}  // namespace ahat::numeric::avx512
