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

}  // namespace ahat::numeric::cuda
