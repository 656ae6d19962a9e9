// What the CUDA translation units of the numeric engine share (internal to src/numeric;
// included by .cu files only): error checks, a device buffer, a query's allowed keys.
//
// Offers:
//   check(e, what)   throws std::runtime_error "CUDA: what: reason" unless e is cudaSuccess
//                    (device.cpp turns it into an InputError, exit 2).
//   Buf              bytes from cudaMalloc, freed on scope exit; as<T>() the typed pointer.
//   allowed(sh, i, lo, hi)   (device) the keys query i may attend to, [lo, hi] (empty when
//                    lo > hi): the mask's interval intersected with the window, as
//                    encoder.hpp's allowed_interval.
//   block_rescan_end(redo, t, tid, rescans)   (device) average-hard rescans: the last key
//                    tile any row of the block must sum again, the same in every thread.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "numeric/cuda_impl.hpp"

namespace ahat::numeric::cuda {

inline void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}

struct Buf {
    void* p = nullptr;
    explicit Buf(std::size_t bytes) { check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
    ~Buf() { cudaFree(p); }
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    template <class T>
    T* as() const { return static_cast<T*>(p); }
};

__device__ inline void allowed(const Shape& s, long long i, long long& lo, long long& hi) {
    lo = 0, hi = s.n - 1;
    switch (s.mask) {
        case 1: hi = i - 1; break;
        case 2: hi = i; break;
        case 3: lo = i + 1; break;
        case 4: lo = i; break;
        default: break;
    }
    if (s.window >= 0) {
        const long long w = s.window < s.n ? s.window : s.n;
        lo = lo > i - w ? lo : i - w;
        hi = hi < i + w ? hi : i + w;
    }
}

// Average-hard kernels keep, per row h of a thread, redo[h] >= 0 when the key tiles before
// redo[h] must be summed again (the row's maximum rose after they were passed). The block
// sweeps once more up to the latest such tile of any of its rows: that tile (-1: none) is
// returned to every thread. Lane t == 0 counts the rows that need it into *rescans (if any).
// Every thread of the block must call it (two block barriers).
template <int R>
__device__ inline long long block_rescan_end(const long long (&redo)[R], int t, int tid, unsigned long long* rescans) {
    long long last = -1;
#pragma unroll
    for (int h = 0; h < R; ++h) {
        last = redo[h] - 1 > last ? redo[h] - 1 : last;
        if (redo[h] >= 0 && t == 0 && rescans) atomicAdd(rescans, 1ull);
    }
    __shared__ long long s_last;
    if (tid == 0) s_last = -1;
    __syncthreads();
    if (last >= 0) atomicMax(&s_last, last);
    __syncthreads();
    return s_last;
}

}  // namespace ahat::numeric::cuda
