// The numeric engine on an NVIDIA GPU (internal to src/numeric and its users; no CUDA header
// is included here). Built when CMake finds the CUDA toolkit (AHAT_CUDA = AUTO | ON | OFF);
// without it every entry point but cuda_built() throws InputError (exit 2).
//
// Offers:
//   Device             Cpu | Cuda: where the engine runs a layer's attention.
//   parse_device(s)    "cpu" | "cuda" (InputError otherwise, naming the option).
//   cuda_built()       whether this binary holds the CUDA kernels.
//   cuda_device()      the name of GPU 0, or std::nullopt when none is usable (no driver, no
//                      device, or a binary without CUDA).
//   require_cuda()     cuda_device(), or InputError "no CUDA device" / "built without CUDA".
//   attend_cuda(jobs, order, parts)   the jobs of one layer (kernels.hpp's HeadJob, host
//                      memory) on the GPUs: jobs of one head over consecutive instances form a
//                      group, split into `parts` runs of consecutive instances (0: one per
//                      GPU; never more than the instances), run c on GPU c mod (GPUs), each
//                      moved in one copy and run in one launch from a host thread of its own.
//                      Every instance runs the same kernel in any run, so the results do not
//                      depend on the split or the number of GPUs. Reference order: the CPU's reference order
//                      operation for operation (no contraction, the same summation order), so
//                      hard and uniform heads are bit-for-bit attend(job, Reference) for
//                      double, float and bfloat16; softmax heads use the GPU's exp (not
//                      bit-for-bit). Fast order: fused multiply-adds (error measured).
//   softmax_backward_cuda(job, dA, dQ, dK, dV)   the gradients of one softmax head over one
//                      instance, in double on GPU 0: given the job's Q, K, V (n x dk, n x dk,
//                      n x dv, row-major host arrays), beta, mask and window, and dA = dL/dA,
//                      the dQ, dK and dV of A = softmax(beta Q K^T) V. The scores are
//                      recomputed, never stored: memory O(n (dk + dv)), time O(pairs (dk + dv)).
//                      The backward pass of analysis/sinks.hpp with --device cuda.
//   CudaKernelShape / CudaKernelPoint / cuda_bench_kernel(shape, repeats)   one attention
//                      shape on the GPU (bfloat16 with tensor cores; float and double on the
//                      reference-structure kernels in fast order) with random normal Q, K, V:
//                      median milliseconds over `repeats` timed launches (CUDA events); for
//                      bfloat16 the error of instance 0 against the float kernel.
//   CudaCeilings / cuda_ceilings()   the GPU's own ceilings measured in the same process:
//                      cuBLAS GEMM (8192^3 bf16 / float / 4096^3 double; cuBLAS loaded at run
//                      time, 0 where it is missing) and a device-to-device copy.
// Kernel design, tiling and measured figures: docs/numeric.md, "The GPU backend".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "numeric/kernels.hpp"

namespace ahat::numeric {

enum class Device : std::uint8_t { Cpu, Cuda };
Device parse_device(std::string_view s, const char* option = "--device");

bool cuda_built();
std::optional<std::string> cuda_device();
std::string require_cuda();

template <class S>
void attend_cuda(std::vector<HeadJob<S>>& jobs, Order order, std::size_t parts = 0);

void softmax_backward_cuda(const HeadJob<double>& job, const double* dA, double* dQ, double* dK, double* dV);

struct CudaKernelShape {
    std::size_t n = 16384, dk = 64, heads = 8, batch = 1;
    bool softmax = false, causal = false;
    std::string precision = "bfloat16";  // bfloat16, float, double
    Order order = Order::Fast;
    bool coarse = false;                 // Q, K rounded to multiples of 1/2 in [-2, 2]: exact
                                         // scores and many ties (the tie machinery's test)
    std::optional<double> tol;           // tie tolerance (default 2^-8, 2^-20, 2^-40)
};
struct CudaKernelPoint {
    double ms = 0;            // median of the timed launches
    double pairs = 0;         // allowed (query, key) pairs, all heads and instances
    std::uint64_t rescans = 0;  // average-hard, bfloat16: rows recomputed after their tie set broke
    double max_abs_error = 0;   // bfloat16: instance 0 against the float kernel on the same inputs
    std::uint64_t off = 0, checked = 0;  // bfloat16: elements off by more than 1/16, of `checked`
};
CudaKernelPoint cuda_bench_kernel(const CudaKernelShape& shape, std::size_t repeats);

struct CudaCeilings {
    double gemm_bf16_tflops = 0, gemm_float_tflops = 0, gemm_double_tflops = 0;
    double copy_gbs = 0;  // bytes read plus bytes written per second, in 1e9
};
CudaCeilings cuda_ceilings();

}  // namespace ahat::numeric
