// The CUDA side of device.hpp, in plain types (no CUDA header, no project header): what
// device_cuda.cu compiles and device.cpp calls (internal to src/numeric). Errors are thrown as
// std::runtime_error; device.cpp turns them into InputError.
//
// Offers:
//   Shape           one head's shape over `instances` consecutive instances: n, dk, dv, rule
//                   and mask (encoder.hpp's enumerators as integers), window (-1: none), tie
//                   tolerance, beta, element strides between instances.
//   Elem            element type of the host arrays: double, float, bfloat16 stored as float.
//   device_count(name)   GPUs usable (0 when none or no driver); name of GPU 0.
//   attend_group(..., gpu)   copies Q, K, V of the group to GPU `gpu` (made the calling
//                   thread's current device), runs the reference-structure kernel (fast:
//                   fused multiply-adds), copies A (and |M_i|) back.
//   softmax_backward(sh, Q, K, V, dA, dQ, dK, dV)   one softmax head over one instance, in
//                   double (backward_cuda.cu): copies in, dQ, dK, dV of A = softmax(beta Q K^T) V
//                   under sh's mask and window, copies out.
//   BenchShape / BenchPoint / bench_kernel   one timed attention shape on random normal
//                   data (kind 0 bfloat16 on tensor cores, 1 float, 2 double), with the
//                   tensor-core kernels' error against the reference-structure kernels.
//   Ceilings / ceilings()   cuBLAS GEMM per precision (run-time loaded) and a device copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ahat::numeric::cuda {

struct Shape {
    long long n = 0;
    int dk = 0, dv = 0;
    int rule = 0, mask = 0;
    long long window = -1;
    double tol = 0, beta = 1;
    long long q_stride = 0, v_stride = 0;
};

enum class Elem { Double, Float, BFloat16 };

int device_count(std::string* name);
void attend_group(const Shape& sh, int instances, Elem elem, bool fast, const void* Q, const void* K, const void* V, void* A,
                  unsigned* sel, int gpu);

void softmax_backward(const Shape& sh, const double* Q, const double* K, const double* V, const double* dA, double* dQ, double* dK,
                      double* dV);

struct BenchShape {
    std::size_t n = 0, dk = 64, heads = 8, batch = 1;
    bool softmax = false, causal = false, fast = true;
    int kind = 0;
    bool coarse = false;  // Q, K rounded to multiples of 1/2 in [-2, 2] (exact scores, many ties)
    double tol = -1;      // tie tolerance; < 0: 2^-8, 2^-20, 2^-40 by kind
};
struct BenchPoint {
    double ms = 0, pairs = 0;
    std::uint64_t rescans = 0;
    double max_abs_error = 0;         // bfloat16: instance 0 against the float kernel
    std::uint64_t off = 0, checked = 0;  // elements off by more than 1/16, elements compared
};
BenchPoint bench_kernel(const BenchShape& s, std::size_t repeats);

struct Ceilings {
    double gemm_bf16_tflops = 0, gemm_float_tflops = 0, gemm_double_tflops = 0, copy_gbs = 0;
};
Ceilings ceilings();

}  // namespace ahat::numeric::cuda
