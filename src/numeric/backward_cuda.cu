// The backward pass of softmax attention on the GPU (cuda_impl.hpp, softmax_backward; design
// and figures in docs/numeric.md, "The GPU backend"), in double, the scores recomputed rather
// than stored: memory O(n (dk + dv)). For one head over one instance,
//   A_i = sum_j P_ij V_j,  P_ij = e^(beta (s_ij - m_i)) / l_i over query i's allowed keys,
//   s_ij = <q_i, k_j>,  m_i = max_j s_ij,  l_i = sum_j e^(beta (s_ij - m_i)),
// and with dP_ij = <dA_i, V_j>, D_i = sum_j P_ij dP_ij, dS_ij = beta P_ij (dP_ij - D_i):
//   dV_j = sum_i P_ij dA_i,  dQ_i = sum_j dS_ij k_j,  dK_j = sum_i dS_ij q_i
// (the same formulas as the CPU pass in analysis/sinks.cpp). grad_rows: one thread per query,
// three sweeps over its allowed keys (m_i; l_i and D_i; dQ_i), m, l, D kept per query.
// grad_keys: one thread per key, a sweep over the queries whose allowed interval holds it
// (dK_j, dV_j). Each thread owns its output rows: no atomics, sums in position order.
#include "numeric/cuda_common.cuh"

#include <cmath>

namespace ahat::numeric::cuda {

namespace {

constexpr int kGradThreads = 128;

__device__ inline double dot_rows(const double* __restrict__ a, const double* __restrict__ b, int d) {
    double s = 0;
    for (int c = 0; c < d; ++c) s = fma(a[c], b[c], s);
    return s;
}

__global__ void __launch_bounds__(kGradThreads) grad_rows(Shape sh, const double* __restrict__ Q, const double* __restrict__ K,
                                                          const double* __restrict__ V, const double* __restrict__ dA,
                                                          double* __restrict__ stats, double* __restrict__ dQ) {
    const long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
    if (i >= sh.n) return;
    const int dk = sh.dk, dv = sh.dv;
    const double* q = Q + i * dk;
    const double* da = dA + i * dv;
    double* dq = dQ + i * dk;
    for (int c = 0; c < dk; ++c) dq[c] = 0;
    long long lo, hi;
    allowed(sh, i, lo, hi);
    double m = -INFINITY, l = 0, D = 0;
    if (lo <= hi) {
        m = dot_rows(q, K + lo * dk, dk);
        for (long long j = lo + 1; j <= hi; ++j) m = fmax(m, dot_rows(q, K + j * dk, dk));
        for (long long j = lo; j <= hi; ++j) {
            const double e = exp(sh.beta * (dot_rows(q, K + j * dk, dk) - m));
            l += e;
            D = fma(e, dot_rows(da, V + j * dv, dv), D);
        }
        D /= l;
        for (long long j = lo; j <= hi; ++j) {
            const double* k = K + j * dk;
            const double p = exp(sh.beta * (dot_rows(q, k, dk) - m)) / l;
            const double g = sh.beta * p * (dot_rows(da, V + j * dv, dv) - D);
            for (int c = 0; c < dk; ++c) dq[c] = fma(g, k[c], dq[c]);
        }
    }
    stats[3 * i] = m, stats[3 * i + 1] = l, stats[3 * i + 2] = D;
}

__global__ void __launch_bounds__(kGradThreads) grad_keys(Shape sh, const double* __restrict__ Q, const double* __restrict__ K,
                                                          const double* __restrict__ V, const double* __restrict__ dA,
                                                          const double* __restrict__ stats, double* __restrict__ dK,
                                                          double* __restrict__ dV) {
    const long long j = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
    if (j >= sh.n) return;
    const int dk = sh.dk, dv = sh.dv;
    const double* k = K + j * dk;
    const double* v = V + j * dv;
    double* dkr = dK + j * dk;
    double* dvr = dV + j * dv;
    for (int c = 0; c < dk; ++c) dkr[c] = 0;
    for (int c = 0; c < dv; ++c) dvr[c] = 0;
    for (long long i = 0; i < sh.n; ++i) {
        long long lo, hi;
        allowed(sh, i, lo, hi);
        if (j < lo || j > hi) continue;
        const double* q = Q + i * dk;
        const double* da = dA + i * dv;
        const double p = exp(sh.beta * (dot_rows(q, k, dk) - stats[3 * i])) / stats[3 * i + 1];
        const double g = sh.beta * p * (dot_rows(da, v, dv) - stats[3 * i + 2]);
        for (int c = 0; c < dv; ++c) dvr[c] = fma(p, da[c], dvr[c]);
        for (int c = 0; c < dk; ++c) dkr[c] = fma(g, q[c], dkr[c]);
    }
}

}  // namespace

void softmax_backward(const Shape& sh, const double* Q, const double* K, const double* V, const double* dA, double* dQ, double* dK,
                      double* dV) {
    const std::size_t n = static_cast<std::size_t>(sh.n), qk = n * sh.dk * sizeof(double), vv = n * sh.dv * sizeof(double);
    if (n == 0) return;
    Buf q(qk), k(qk), v(vv), da(vv), dq(qk), dk(qk), dv(vv), stats(3 * n * sizeof(double));
    check(cudaMemcpy(q.p, Q, qk, cudaMemcpyHostToDevice), "copy Q");
    check(cudaMemcpy(k.p, K, qk, cudaMemcpyHostToDevice), "copy K");
    check(cudaMemcpy(v.p, V, vv, cudaMemcpyHostToDevice), "copy V");
    check(cudaMemcpy(da.p, dA, vv, cudaMemcpyHostToDevice), "copy dA");
    const unsigned blocks = static_cast<unsigned>((n + kGradThreads - 1) / kGradThreads);
    grad_rows<<<blocks, kGradThreads>>>(sh, q.as<double>(), k.as<double>(), v.as<double>(), da.as<double>(), stats.as<double>(),
                                        dq.as<double>());
    check(cudaGetLastError(), "backward (queries)");
    grad_keys<<<blocks, kGradThreads>>>(sh, q.as<double>(), k.as<double>(), v.as<double>(), da.as<double>(), stats.as<double>(),
                                        dk.as<double>(), dv.as<double>());
    check(cudaGetLastError(), "backward (keys)");
    check(cudaDeviceSynchronize(), "backward kernels");
    check(cudaMemcpy(dQ, dq.p, qk, cudaMemcpyDeviceToHost), "copy dQ");
    check(cudaMemcpy(dK, dk.p, qk, cudaMemcpyDeviceToHost), "copy dK");
    check(cudaMemcpy(dV, dv.p, vv, cudaMemcpyDeviceToHost), "copy dV");
}

}  // namespace ahat::numeric::cuda
