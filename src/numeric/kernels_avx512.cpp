// The reference-order attention kernels compiled for AVX-512 (F, DQ, BW, VL); chosen at
// start-up on processors that have them (kernels.cpp). Compiled with -ffp-contract=off.
#define AHAT_KERNEL_NS avx512
#include "numeric/kernels_impl.hpp"

namespace ahat::numeric::avx512 {
template void attend_impl<double, false>(const HeadJob<double>&);
template void attend_impl<float, false>(const HeadJob<float>&);
}  // namespace ahat::numeric::avx512
