// The GPU backend of the numeric engine (device.hpp; design in docs/numeric.md, "The GPU
// backend"). Three kernel families:
//  - ref_kernel: one thread per query, keys staged through shared memory in tiles, every
//    score accumulated from 0 in coordinate order with explicitly rounded operations
//    (__dadd_rn, __fmul_rn, ...: never contracted), the maximum in pass 1, the tie set and
//    its values summed in position order in pass 2: the CPU reference order bit for bit. The
//    fast order runs the same structure with fused multiply-adds.
//  - wg::attn_kernel (wgmma_attention.cuh): bfloat16 with the Hopper warpgroup tensor-core
//    products (wgmma.mma_async, sm_90a, float accumulation), tiles loaded by the TMA into a
//    ring of 3-4 stages, warpgroups of 64 queries; run by bench_kernel for bfloat16 where
//    the GPU runs sm_90a code, mma_kernel elsewhere.
//  - mma_kernel: bfloat16 with tensor cores (mma.sync m16n8k16, float accumulation), 4 warps
//    of 16 queries, key and value tiles of 64 rows double-buffered in shared memory with
//    cp.async, masked tiles skipped. Softmax streams online (running maximum, rescaled sums);
//    average-hard runs in one pass with a running maximum and the tie set's sum and count,
//    reset when the maximum leaves the old tie window and rescanned (counted) when the new
//    window cuts the old tie set.
//  - dmma_kernel: double average-hard with the FP64 tensor cores (mma.sync m16n8k16 f64), the
//    same one-pass structure as mma_kernel's hard path; run by bench_kernel for double, key
//    width 64, in the fast order (the engine's runs keep ref_kernel).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "numeric/cuda_common.cuh"
#include "numeric/wgmma_attention.cuh"

namespace ahat::numeric::cuda {

namespace {

// ---- Arithmetic of the reference order: every operation rounded once, never contracted.
// bfloat16 is stored as float (exact/bfloat16.hpp) and rounded to bfloat16 after each
// operation; a float operation on bfloat16 operands then rounded is correctly rounded
// (24 >= 2 * 8 + 2), as the CPU's double-then-round is.
template <class S, bool Bf, bool Fast>
struct Ar {
    __device__ static S r(S x) {
        if constexpr (Bf) return __bfloat162float(__float2bfloat16_rn(x));
        else return x;
    }
    __device__ static S add(S a, S b) {
        if constexpr (sizeof(S) == 8) return __dadd_rn(a, b);
        else return r(__fadd_rn(a, b));
    }
    __device__ static S sub(S a, S b) {
        if constexpr (sizeof(S) == 8) return __dsub_rn(a, b);
        else return r(__fsub_rn(a, b));
    }
    __device__ static S mul(S a, S b) {
        if constexpr (sizeof(S) == 8) return __dmul_rn(a, b);
        else return r(__fmul_rn(a, b));
    }
    __device__ static S div(S a, S b) {
        if constexpr (sizeof(S) == 8) return __ddiv_rn(a, b);
        else return r(__fdiv_rn(a, b));
    }
    __device__ static S madd(S a, S b, S acc) {  // acc + a * b
        if constexpr (Fast && !Bf) {
            if constexpr (sizeof(S) == 8) return __fma_rn(a, b, acc);
            else return __fmaf_rn(a, b, acc);
        } else {
            return add(acc, mul(a, b));
        }
    }
    __device__ static S ex(S x) {
        if constexpr (sizeof(S) == 8) return exp(x);
        else return r(expf(x));
    }
};


constexpr int kRefThreads = 128, kRefKeys = 32;

// One thread per query; blockIdx.y the instance. MAXDK > 0: the query in registers (dk <=
// MAXDK); 0: the query in shared memory, transposed. Rules: 0 average-hard, 1 leftmost,
// 2 rightmost, 3 uniform, 4 softmax (encoder.hpp's order).
template <class S, bool Bf, bool Fast, int MAXDK>
__global__ void __launch_bounds__(kRefThreads) ref_kernel(Shape sh, const S* __restrict__ Qb, const S* __restrict__ Kb,
                                                          const S* __restrict__ Vb, S* __restrict__ Ab, unsigned* __restrict__ selb) {
    using A = Ar<S, Bf, Fast>;
    extern __shared__ __align__(16) unsigned char smem[];
    const int dk = sh.dk, dv = sh.dv;
    S* ks = reinterpret_cast<S*>(smem);             // kRefKeys x dk
    S* qs = ks + kRefKeys * (dk > 0 ? dk : 1);      // dk x kRefThreads (MAXDK == 0)
    __shared__ long long s_jmin, s_jmax;
    const long long b = blockIdx.y;
    const S* Q = Qb + b * sh.q_stride;
    const S* K = Kb + b * sh.q_stride;
    const S* V = Vb + b * sh.v_stride;
    S* Aout = Ab + b * sh.v_stride;
    unsigned* sel = selb ? selb + b * sh.n : nullptr;
    const int tid = threadIdx.x;
    const long long i = static_cast<long long>(blockIdx.x) * kRefThreads + tid;
    const bool valid = i < sh.n;
    long long lo = 1, hi = 0;
    if (valid) allowed(sh, i, lo, hi);
    if (tid == 0) s_jmin = sh.n, s_jmax = -1;
    __syncthreads();
    if (lo <= hi) {
        atomicMin(&s_jmin, lo);
        atomicMax(&s_jmax, hi);
    }
    S q[MAXDK > 0 ? MAXDK : 1];
    if constexpr (MAXDK > 0) {
#pragma unroll
        for (int c = 0; c < MAXDK; ++c) q[c] = (valid && c < dk) ? Q[i * dk + c] : S(0);
    } else {
        for (int c = 0; c < dk; ++c) qs[c * kRefThreads + tid] = valid ? Q[i * dk + c] : S(0);
    }
    __syncthreads();
    const long long jmin = s_jmin, jmax = s_jmax;
    const bool any = lo <= hi;
    S* out = valid ? Aout + i * dv : nullptr;
    if (valid)
        for (int c = 0; c < dv; ++c) out[c] = S(0);
    if (jmin > jmax) {
        if (valid && sel) sel[i] = 0;
        return;
    }
    auto score = [&](const S* k) {
        S a = S(0);
        if constexpr (MAXDK > 0) {
#pragma unroll
            for (int c = 0; c < MAXDK; ++c)
                if (c < dk) a = A::madd(q[c], k[c], a);
        } else {
            for (int c = 0; c < dk; ++c) a = A::madd(qs[c * kRefThreads + tid], k[c], a);
        }
        return a;
    };
    // Calls f(j, k row in shared memory) for every j of this thread's interval, in order;
    // every thread of the block walks the block's union of intervals.
    auto for_keys = [&](auto f) {
        for (long long j0 = jmin; j0 <= jmax; j0 += kRefKeys) {
            const int cnt = static_cast<int>(jmax - j0 + 1 < kRefKeys ? jmax - j0 + 1 : kRefKeys);
            __syncthreads();
            for (int e = tid; e < cnt * dk; e += kRefThreads) ks[e] = K[j0 * dk + e];
            __syncthreads();
            for (int jj = 0; jj < cnt; ++jj) {
                const long long j = j0 + jj;
                if (j >= lo && j <= hi) f(j, ks + jj * dk);
            }
        }
    };
    const int rule = sh.rule;
    if (rule == 3) {  // uniform: every allowed value, summed in position order
        if (any) {
            for (long long j = lo; j <= hi; ++j)
                for (int c = 0; c < dv; ++c) out[c] = A::add(out[c], V[j * dv + c]);
            const S cntS = A::r(S(static_cast<float>(hi - lo + 1)));
            for (int c = 0; c < dv; ++c) out[c] = A::div(out[c], cntS);
        }
        if (valid && sel) sel[i] = any ? static_cast<unsigned>(hi - lo + 1) : 0u;
        return;
    }
    // Pass 1: the maximum (the first allowed score, then strictly greater ones).
    S m = S(0);
    bool have = false;
    for_keys([&](long long, const S* k) {
        const S s = score(k);
        if (!have) m = s, have = true;
        else if (s > m) m = s;
    });
    if (rule == 4) {  // softmax: weights e^{beta (s - max)} summed in position order
        S total = S(0);
        const S beta = static_cast<S>(sh.beta);
        for_keys([&](long long j, const S* k) {
            const S w = A::ex(A::mul(beta, A::sub(score(k), m)));
            total = A::add(total, w);
            for (int c = 0; c < dv; ++c) out[c] = A::madd(w, V[j * dv + c], out[c]);
        });
        if (any)
            for (int c = 0; c < dv; ++c) out[c] = A::div(out[c], total);
        if (valid && sel) sel[i] = any ? static_cast<unsigned>(hi - lo + 1) : 0u;
        return;
    }
    // Pass 2: the tie set {j : m - s_j <= tol max(1, |m|)}.
    const S one = S(1);
    const S am = m < S(0) ? -m : m;
    const S slack = A::mul(A::r(static_cast<S>(sh.tol)), one < am ? am : one);
    unsigned count = 0;
    long long first = -1, last = -1;
    for_keys([&](long long j, const S* k) {
        const S s = score(k);
        if (A::sub(m, s) <= slack) {
            ++count;
            if (first < 0) first = j;
            last = j;
            if (rule == 0)
                for (int c = 0; c < dv; ++c) out[c] = A::add(out[c], V[j * dv + c]);
        }
    });
    if (!valid) return;
    if (sel) sel[i] = any ? count : 0u;
    if (!any) return;
    if (rule == 0) {
        const S cntS = A::r(S(static_cast<float>(count)));
        for (int c = 0; c < dv; ++c) out[c] = A::div(out[c], cntS);
    } else if (first >= 0) {
        const long long j = rule == 1 ? first : last;
        for (int c = 0; c < dv; ++c) out[c] = V[j * dv + c];
    }
}

// ---- bfloat16 with tensor cores.
constexpr int kWarps = 4;

__device__ inline unsigned pack_bf16(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const unsigned*>(&v);
}
__device__ inline void mma_bf16(float* d, const unsigned* a, unsigned b0, unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ inline void ldmatrix_x4(unsigned* r, const void* p) {
    const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(a));
}
__device__ inline void ldmatrix_x4_trans(unsigned* r, const void* p) {
    const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(a));
}
__device__ inline void cp_async16(void* dst, const void* src, bool ok) {
    const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    const int bytes = ok ? 16 : 0;  // 0: fill with zeros
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(a), "l"(src), "r"(bytes));
}
__device__ inline void cp_commit() { asm volatile("cp.async.commit_group;\n"); }

// Stages key rows j0 .. j0 + BN - 1 of K and V (rows of D elements of T) into shared-memory
// buffer `buf` of sK and sV (row stride LD), 16 bytes per cp.async, rows past n zero-filled;
// one commit group. THREADS threads of the block take the chunks in turn.
template <class T, int D, int BN, int LD, int THREADS>
__device__ inline void stage_kv(T* sK, T* sV, const T* K, const T* V, long long j0, long long n, int buf, int tid) {
    constexpr int PER = 16 / static_cast<int>(sizeof(T)), CH = D / PER;  // elements per chunk, chunks per row
    for (int e = tid; e < BN * CH; e += THREADS) {
        const int r = e / CH, c = (e % CH) * PER;
        const long long j = j0 + r;
        const bool ok = j < n;
        const long long js = ok ? j : 0;
        cp_async16(sK + (buf * BN + r) * LD + c, K + js * D + c, ok);
        cp_async16(sV + (buf * BN + r) * LD + c, V + js * D + c, ok);
    }
    cp_commit();
}
template <int N>
__device__ inline void cp_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
__device__ inline float quad_max(float x) {
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_min(float x) {
    x = fminf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fminf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

__device__ inline float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// Q, K, V, A: bfloat16, n x D per instance (blockIdx.y). Each warp owns MT tiles of 16 query
// rows (MT = 2 halves the shared-memory reads per multiply-add: each K and V fragment feeds
// two m-tiles); a thread holds rows g and g + 8 of each tile (slot h = 2 mt + {0, 1}). HARD:
// average-hard with tie tolerance tol (scores in float); else softmax at beta.
template <int D, int MT, int kBN, bool QSH, bool HARD>
__global__ void __launch_bounds__(32 * kWarps) mma_kernel(Shape sh, const __nv_bfloat16* __restrict__ Qb, const __nv_bfloat16* __restrict__ Kb,
                                                          const __nv_bfloat16* __restrict__ Vb, __nv_bfloat16* __restrict__ Ab,
                                                          unsigned* __restrict__ selb, unsigned long long* __restrict__ rescans) {
    constexpr int LD = D + 8;  // padded row: conflict-free ldmatrix
    constexpr int NB = kBN / 8, DB = D / 8, KS = D / 16, R = 2 * MT, BM = 16 * MT * kWarps;
    extern __shared__ __align__(16) unsigned char smem[];
    __nv_bfloat16* sK = reinterpret_cast<__nv_bfloat16*>(smem);  // 2 x kBN x LD
    __nv_bfloat16* sV = sK + 2 * kBN * LD;                         // 2 x kBN x LD
    __nv_bfloat16* sQ = sV + 2 * kBN * LD;                         // QSH: BM x LD
    const long long n = sh.n;
    const long long b = blockIdx.y;
    const __nv_bfloat16* Q = Qb + b * n * D;
    const __nv_bfloat16* K = Kb + b * n * D;
    const __nv_bfloat16* V = Vb + b * n * D;
    __nv_bfloat16* O = Ab + b * n * D;
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    const long long q0 = static_cast<long long>(blockIdx.x) * BM;
    long long row[R], lo[R], hi[R];
#pragma unroll
    for (int h = 0; h < R; ++h) {
        row[h] = q0 + warp * 16 * MT + (h / 2) * 16 + g + (h % 2) * 8;
        lo[h] = 1, hi[h] = 0;
        if (row[h] < n) allowed(sh, row[h], lo[h], hi[h]);
    }
    // The block's key range and the range every row allows (tiles inside it need no mask):
    // intervals are monotone in the query for every mask and window.
    long long blo = n, bhi = -1, alo = 0, ahi = n - 1;
    const long long qlast = q0 + BM - 1 < n - 1 ? q0 + BM - 1 : n - 1;
    for (int e = 0; e < 2; ++e) {
        long long l, hh;
        allowed(sh, e == 0 ? q0 : qlast, l, hh);
        if (l <= hh) blo = l < blo ? l : blo, bhi = hh > bhi ? hh : bhi;
        alo = l > alo ? l : alo, ahi = hh < ahi ? hh : ahi;
    }
    // Q fragments (A operand, row-major 16 x 16 per k-step): in registers for the whole sweep,
    // or (QSH, to leave registers to the accumulators) staged once in shared memory and read
    // with ldmatrix at every k-step.
    unsigned qa[QSH ? 1 : MT][QSH ? 1 : KS][4];
    if constexpr (QSH) {
        constexpr int CH = D / 8;
        for (int e = tid; e < BM * CH; e += 32 * kWarps) {
            const int r = e / CH, c = (e % CH) * 8;
            const long long qr = q0 + r;
            cp_async16(sQ + r * LD + c, Q + (qr < n ? qr : 0) * D + c, qr < n);
        }
        cp_commit();
    } else {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int ks = 0; ks < KS; ++ks) {
                const int c = ks * 16 + 2 * t;
                auto ld = [&](long long r, int cc) -> unsigned {
                    if (r >= n) return 0u;
                    return *reinterpret_cast<const unsigned*>(Q + r * D + cc);
                };
                const long long ra = row[2 * mt], rb = row[2 * mt + 1];
                qa[mt][ks][0] = ld(ra, c), qa[mt][ks][1] = ld(rb, c), qa[mt][ks][2] = ld(ra, c + 8), qa[mt][ks][3] = ld(rb, c + 8);
            }
    }
    float o[MT][DB][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int d = 0; d < DB; ++d) o[mt][d][0] = o[mt][d][1] = o[mt][d][2] = o[mt][d][3] = 0.f;
    const float ninf = -INFINITY;
    float m[R], l[R], low[R];
    long long redo[R];  // average-hard: key tiles before this one must be summed again
#pragma unroll
    for (int h = 0; h < R; ++h) m[h] = ninf, l[h] = 0.f, low[h] = INFINITY, redo[h] = -1;
    const float tol = static_cast<float>(sh.tol);
    const float sc = static_cast<float>(sh.beta) * 1.4426950408889634f;
    const long long t0 = blo / kBN, t1 = bhi < 0 ? -1 : bhi / kBN;
    auto load_tile = [&](long long tile, int buf) { stage_kv<__nv_bfloat16, D, kBN, LD, 32 * kWarps>(sK, sV, K, V, tile * kBN, n, buf, tid); };
    auto thresh = [&](float mm) { return mm - tol * fmaxf(1.f, fabsf(mm)); };
    // One sweep over key tiles t0..last. RESCAN: average-hard's second sweep, which adds the
    // tie-set members of the tiles before each row's redo point at the final maximum.
    auto sweep = [&](bool rescan, long long last) {
        if (t0 <= last) load_tile(t0, 0);
        bool active = true;
        if (rescan) {
            bool any = false;
#pragma unroll
            for (int h = 0; h < R; ++h) any = any || redo[h] >= 0;
            active = __any_sync(0xffffffffu, any);
        }
        for (long long tile = t0; tile <= last; ++tile) {
            const int buf = static_cast<int>((tile - t0) & 1);
            if (tile < last) {
                load_tile(tile + 1, buf ^ 1);
                cp_wait<1>();
            } else {
                cp_wait<0>();
            }
            __syncthreads();
            if (active) {
                const __nv_bfloat16* k_s = sK + buf * kBN * LD;
                const __nv_bfloat16* v_s = sV + buf * kBN * LD;
                float s[MT][NB][4];
#pragma unroll
                for (int mt = 0; mt < MT; ++mt)
#pragma unroll
                    for (int nb = 0; nb < NB; ++nb) s[mt][nb][0] = s[mt][nb][1] = s[mt][nb][2] = s[mt][nb][3] = 0.f;
#pragma unroll
                for (int ks = 0; ks < KS; ++ks) {
                    unsigned qf[MT][4];
#pragma unroll
                    for (int mt = 0; mt < MT; ++mt) {
                        if constexpr (QSH) {
                            const int qrow = warp * 16 * MT + mt * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
                            ldmatrix_x4(qf[mt], sQ + qrow * LD + ks * 16 + (lane / 16) * 8);
                        } else {
#pragma unroll
                            for (int e = 0; e < 4; ++e) qf[mt][e] = qa[QSH ? 0 : mt][QSH ? 0 : ks][e];
                        }
                    }
#pragma unroll
                    for (int nb = 0; nb < NB; nb += 2) {
                        unsigned kb[4];
                        const int mi = lane / 8, rr = lane % 8;
                        ldmatrix_x4(kb, k_s + (nb * 8 + rr + (mi / 2) * 8) * LD + ks * 16 + (mi % 2) * 8);
#pragma unroll
                        for (int mt = 0; mt < MT; ++mt) {
                            mma_bf16(s[mt][nb], qf[mt], kb[0], kb[1]);
                            mma_bf16(s[mt][nb + 1], qf[mt], kb[2], kb[3]);
                        }
                    }
                }
                const long long j0 = tile * kBN;
                const bool full = j0 >= alo && j0 + kBN - 1 <= ahi;
                if (!full) {
#pragma unroll
                    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
                        for (int nb = 0; nb < NB; ++nb)
#pragma unroll
                            for (int e = 0; e < 4; ++e) {
                                const int h = 2 * mt + e / 2;
                                const long long j = j0 + nb * 8 + 2 * t + (e & 1);
                                if (!(j >= lo[h] && j <= hi[h])) s[mt][nb][e] = ninf;
                            }
                }
#pragma unroll
                for (int h = 0; h < R; ++h) {
                    const int mt = h / 2, hs = h % 2;
                    float scale = 1.f;
                    if constexpr (HARD) {
                        if (!rescan) {
                            float tm = ninf;
#pragma unroll
                            for (int nb = 0; nb < NB; ++nb) tm = fmaxf(tm, fmaxf(s[mt][nb][2 * hs], s[mt][nb][2 * hs + 1]));
                            tm = quad_max(tm);
                            const float mn = fmaxf(m[h], tm);
                            const float lw = quad_min(low[h]);
                            if (mn > m[h]) {
                                const float tn = thresh(mn);
                                if (tn > m[h]) scale = 0.f, redo[h] = -1;  // the old tie set leaves whole
                                else if (!(tn <= lw)) scale = 0.f, redo[h] = tile;  // cut: rescan the tiles before
                                if (scale == 0.f) l[h] = 0.f, low[h] = INFINITY;
                            }
                            m[h] = mn;
                        }
                        const float mm = m[h];
                        const float slack = tol * fmaxf(1.f, fabsf(mm));
                        const bool take = !rescan || tile < redo[h];
#pragma unroll
                        for (int nb = 0; nb < NB; ++nb)
#pragma unroll
                            for (int e = 0; e < 2; ++e) {
                                const float x = s[mt][nb][2 * hs + e];
                                const bool in = take && (mm - x <= slack);
                                s[mt][nb][2 * hs + e] = in ? 1.f : 0.f;
                                if (in) l[h] += 1.f, low[h] = fminf(low[h], x);
                            }
                    } else {
                        float tm = ninf;
#pragma unroll
                        for (int nb = 0; nb < NB; ++nb) tm = fmaxf(tm, fmaxf(s[mt][nb][2 * hs], s[mt][nb][2 * hs + 1]));
                        tm = quad_max(tm);
                        const float mn = fmaxf(m[h], tm * sc);
                        scale = mn == ninf ? 1.f : fast_exp2(m[h] - mn);
                        m[h] = mn;
                        float rs = 0.f;
#pragma unroll
                        for (int nb = 0; nb < NB; ++nb)
#pragma unroll
                            for (int e = 0; e < 2; ++e) {
                                const float x = s[mt][nb][2 * hs + e];
                                const float p = mn == ninf ? 0.f : fast_exp2(x * sc - mn);
                                s[mt][nb][2 * hs + e] = p;
                                rs += p;
                            }
                        l[h] = l[h] * scale + rs;
                    }
                    if (scale != 1.f) {
#pragma unroll
                        for (int d = 0; d < DB; ++d) o[mt][d][2 * hs] *= scale, o[mt][d][2 * hs + 1] *= scale;
                    }
                }
#pragma unroll
                for (int kk = 0; kk < NB / 2; ++kk) {
                    unsigned pa[MT][4];
#pragma unroll
                    for (int mt = 0; mt < MT; ++mt) {
                        pa[mt][0] = pack_bf16(s[mt][2 * kk][0], s[mt][2 * kk][1]);
                        pa[mt][1] = pack_bf16(s[mt][2 * kk][2], s[mt][2 * kk][3]);
                        pa[mt][2] = pack_bf16(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
                        pa[mt][3] = pack_bf16(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
                    }
#pragma unroll
                    for (int d = 0; d < DB; d += 2) {
                        unsigned vb[4];
                        const int mi = lane / 8, rr = lane % 8;
                        ldmatrix_x4_trans(vb, v_s + (kk * 16 + rr + (mi % 2) * 8) * LD + d * 8 + (mi / 2) * 8);
#pragma unroll
                        for (int mt = 0; mt < MT; ++mt) {
                            mma_bf16(o[mt][d], pa[mt], vb[0], vb[1]);
                            mma_bf16(o[mt][d + 1], pa[mt], vb[2], vb[3]);
                        }
                    }
                }
            }
            __syncthreads();
        }
    };
    sweep(false, t1);
    if constexpr (HARD) {
        // The block's rescan reaches the latest redo point of any row.
        if (const long long last = block_rescan_end(redo, t, tid, rescans); last >= t0) sweep(true, last);
    }
#pragma unroll
    for (int h = 0; h < R; ++h) {
        const int mt = h / 2, hs = h % 2;
        const float tot = quad_sum(l[h]);
        if (row[h] >= n) continue;
        const float inv = tot > 0.f ? 1.f / tot : 0.f;
#pragma unroll
        for (int d = 0; d < DB; ++d)
            *reinterpret_cast<unsigned*>(O + row[h] * D + d * 8 + 2 * t) = pack_bf16(o[mt][d][2 * hs] * inv, o[mt][d][2 * hs + 1] * inv);
        if (selb && t == 0)
            selb[b * n + row[h]] = HARD ? static_cast<unsigned>(tot) : (lo[h] <= hi[h] ? static_cast<unsigned>(hi[h] - lo[h] + 1) : 0u);
    }
}

// D = 64: two m-tiles per warp with Q in registers, key tiles of 64; D = 128: two m-tiles per
// warp with Q in shared memory and key tiles of 32 (the accumulators need the registers).
template <int D, bool HARD>
void launch_mma(const Shape& sh, int instances, const void* Q, const void* K, const void* V, void* A, unsigned* sel,
                unsigned long long* rescans) {
    constexpr int MT = 2, BN = D <= 64 ? 64 : 32, BM = 16 * MT * kWarps;
    constexpr bool QSH = D > 64;
    const int smem = (4 * BN + (QSH ? BM : 0)) * (D + 8) * 2;
    auto kern = mma_kernel<D, MT, BN, QSH, HARD>;
    check(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem), "shared memory limit");
    const dim3 grid(static_cast<unsigned>((sh.n + BM - 1) / BM), static_cast<unsigned>(instances));
    kern<<<grid, 32 * kWarps, smem>>>(sh, static_cast<const __nv_bfloat16*>(Q), static_cast<const __nv_bfloat16*>(K),
                                      static_cast<const __nv_bfloat16*>(V), static_cast<__nv_bfloat16*>(A), sel, rescans);
    check(cudaGetLastError(), "launch");
}

// ---- bfloat16 with wgmma (wgmma_attention.cuh). Key tiles of 128; D = 64: three warpgroups
// (192 queries per block) and a ring of 4 stages (153 KB of shared memory); D = 128: two
// warpgroups and 3 stages (225 KB); one block per multiprocessor. Softmax has the warpgroups
// take turns to issue their products (PP), average-hard does not (on the H200 the turns gained
// up to 9% for softmax and cost 1-13% for hard: docs/numeric.md).
__global__ void has_sm90a(int* f) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    *f = 1;
#else
    *f = 0;
#endif
}

// Whether the current GPU runs this binary's sm_90a code (wgmma), i.e. a compute-capability
// 9.0 device and a build for 90a (CMake: CUDA_ARCHITECTURES 90a).
bool wgmma_available() {
    int dev = 0;
    cudaDeviceProp p{};
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess || p.major != 9 || p.minor != 0) {
        cudaGetLastError();
        return false;
    }
    Buf f(sizeof(int));
    check(cudaMemset(f.p, 0, sizeof(int)), "memset");
    has_sm90a<<<1, 1>>>(f.as<int>());
    if (cudaGetLastError() != cudaSuccess) return false;
    int h = 0;
    check(cudaMemcpy(&h, f.p, sizeof h, cudaMemcpyDeviceToHost), "copy");
    return h == 1;
}

template <int D, bool HARD>
void launch_wgmma(const Shape& sh, int instances, const void* Q, const void* K, const void* V, void* A, unsigned* sel,
                  unsigned long long* rescans) {
    constexpr int NWG = D <= 64 ? 3 : 2, BN = 128, BM = 64 * NWG, ST = D <= 64 ? 4 : 3;
    constexpr int smem = wg::smem_bytes<D, BN, NWG, ST>();
    auto kern = wg::attn_kernel<D, BN, NWG, ST, !HARD, HARD>;
    CUtensorMap mq, mk, mv;
    if (!wg::make_map(&mq, Q, sh.n, instances, D, BM) || !wg::make_map(&mk, K, sh.n, instances, D, BN) ||
        !wg::make_map(&mv, V, sh.n, instances, D, BN))
        throw std::runtime_error("CUDA: cuTensorMapEncodeTiled failed");
    check(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem), "shared memory limit");
    const dim3 grid(static_cast<unsigned>((sh.n + BM - 1) / BM), static_cast<unsigned>(instances));
    kern<<<grid, 128 * NWG, smem>>>(sh, mq, mk, mv, static_cast<__nv_bfloat16*>(A), sel, rescans);
    check(cudaGetLastError(), "launch");
}

// ---- double on tensor cores (DMMA).
// One f64 tensor-core product of a 16 x 8 tile of C (rows g and g + 8 of the quad's group:
// c[0], c[1] = C[g][2t], C[g][2t + 1]; c[2], c[3] = the same of row g + 8) by KK values of
// the contraction: a[2v + h] = A[g + 8h][k_v], b[v] = B[k_v][g] with k_v = t + 4v (v < KK / 4).
// KK = 4 and PAIR false: two mma.m8n8k4 (one per 8-row half, sharing b); PAIR true or KK = 8,
// 16: the m16n8k4, m16n8k8, m16n8k16 shapes (sm_90). On the H200, m8n8k4 runs at half the
// rate of the others (33 against 66 TFLOP/s in a loop of independent products: the sm_90 unit
// is 16 rows wide), so the kernel uses m16n8k16 (docs/numeric.md, "float and double").
template <int KK, bool PAIR>
__device__ inline void dmma(double (&c)[4], const double* a, const double* b) {
    if constexpr (KK == 4 && !PAIR) {
        asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                     : "+d"(c[0]), "+d"(c[1])
                     : "d"(a[0]), "d"(b[0]));
        asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                     : "+d"(c[2]), "+d"(c[3])
                     : "d"(a[1]), "d"(b[0]));
    } else if constexpr (KK == 4) {
        asm volatile("mma.sync.aligned.m16n8k4.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};\n"
                     : "+d"(c[0]), "+d"(c[1]), "+d"(c[2]), "+d"(c[3])
                     : "d"(a[0]), "d"(a[1]), "d"(b[0]));
    } else if constexpr (KK == 8) {
        asm volatile("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+d"(c[0]), "+d"(c[1]), "+d"(c[2]), "+d"(c[3])
                     : "d"(a[0]), "d"(a[1]), "d"(a[2]), "d"(a[3]), "d"(b[0]), "d"(b[1]));
    } else {
        static_assert(KK == 16, "KK: 4, 8 or 16");
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%5,%6,%7,%8,%9,%10,%11}, {%12,%13,%14,%15}, "
            "{%0,%1,%2,%3};\n"
            : "+d"(c[0]), "+d"(c[1]), "+d"(c[2]), "+d"(c[3])
            : "d"(a[0]), "d"(a[1]), "d"(a[2]), "d"(a[3]), "d"(a[4]), "d"(a[5]), "d"(a[6]), "d"(a[7]), "d"(b[0]), "d"(b[1]), "d"(b[2]),
              "d"(b[3]));
    }
}
__device__ inline double quad_max_d(double x) {
    x = fmax(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmax(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline double quad_min_d(double x) {
    x = fmin(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmin(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline unsigned quad_sum_u(unsigned x) {
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Average-hard attention in double on the FP64 tensor cores, Q, K, V, A: n x D per instance
// (blockIdx.y), the structure of mma_kernel's hard path. Each of the KW warps owns 16 query
// rows (two 8-row m-tiles: every K and V fragment read from shared memory feeds both); a
// thread (g = lane / 4, t = lane % 4) holds rows g and g + 8 of its warp's 16.
// No shuffles: the contraction order is free, so it is chosen to make every fragment a
// thread-local one. Scores: k-step ks of the Q K^T product contracts coordinate
// 16 (ks / 4) + 4t + ks % 4 in lane t, so Q fragments (in registers for the whole sweep) and K
// fragments are read as 16-byte pairs. The score tile comes out with S[g][2t + e] in lane t;
// the value product takes its keys in the order (2t + e) of each 8-key n-tile, so the 0/1 tie
// weights are the A operand as they lie, and the V fragment of lane (g, t) is row 2t + e,
// columns 16q + 2g, +1 (one 16-byte read for two output n-tiles 2q, 2q + 1): output n-tile
// 2q + w, C column 2t + e' holds value column 16q + 4t + 2e' + w. Rows are padded by 2 doubles
// (LD = D + 2), which makes both 16-byte patterns free of bank conflicts. Key and value tiles
// of kBN rows are double-buffered with cp.async; tiles outside the block's allowed range are
// skipped, tiles inside every row's range skip the mask test. Ties: a running maximum m per
// row, the tie set {s : m - s <= tol max(1, |m|)} summed through the value product with 0/1
// weights and counted; when m rises and the new window cuts the old tie set the row is reset
// and marked, and a second sweep adds the members of the tiles before the mark (counted in
// `rescans`), as in mma_kernel.
template <int D, int KW, int kBN, int KK, bool PAIR>
__global__ void __launch_bounds__(32 * KW, KW <= 4 ? 2 : 1)
    dmma_kernel(Shape sh, const double* __restrict__ Qb, const double* __restrict__ Kb, const double* __restrict__ Vb, double* __restrict__ Ab,
                unsigned* __restrict__ selb, unsigned long long* __restrict__ rescans) {
    constexpr int LD = D + 2, NB = kBN / 8, P = D / 16, KG = KK / 4, BM = 16 * KW;
    static_assert(D % 16 == 0 && kBN % 16 == 0, "shape");
    extern __shared__ __align__(16) unsigned char smem[];
    double* sK = reinterpret_cast<double*>(smem);  // 2 x kBN x LD
    double* sV = sK + 2 * kBN * LD;                 // 2 x kBN x LD
    const long long n = sh.n;
    const long long b = blockIdx.y;
    const double* Q = Qb + b * sh.q_stride;
    const double* K = Kb + b * sh.q_stride;
    const double* V = Vb + b * sh.v_stride;
    double* O = Ab + b * sh.v_stride;
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    // Past masks: the last query blocks have the most keys; they start first.
    const long long qblock = (sh.mask == 1 || sh.mask == 2) ? gridDim.x - 1 - blockIdx.x : blockIdx.x;
    const long long q0 = qblock * BM;
    long long row[2], lo[2], hi[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        row[h] = q0 + warp * 16 + g + 8 * h;
        lo[h] = 1, hi[h] = 0;
        if (row[h] < n) allowed(sh, row[h], lo[h], hi[h]);
    }
    long long blo = n, bhi = -1, alo = 0, ahi = n - 1;
    const long long qlast = q0 + BM - 1 < n - 1 ? q0 + BM - 1 : n - 1;
    for (int e = 0; e < 2; ++e) {
        long long l, hh;
        allowed(sh, e == 0 ? q0 : qlast, l, hh);
        if (l <= hh) blo = l < blo ? l : blo, bhi = hh > bhi ? hh : bhi;
        alo = l > alo ? l : alo, ahi = hh < ahi ? hh : ahi;
    }
    // qf[h][ks] = Q[row h][16 (ks / 4) + 4t + ks % 4].
    double qf[2][D / 4];
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
        for (int p = 0; p < P; ++p) {
            double2 x = make_double2(0, 0), y = x;
            if (row[h] < n) {
                const double* src = Q + row[h] * D + 16 * p + 4 * t;
                x = *reinterpret_cast<const double2*>(src), y = *reinterpret_cast<const double2*>(src + 2);
            }
            qf[h][4 * p] = x.x, qf[h][4 * p + 1] = x.y, qf[h][4 * p + 2] = y.x, qf[h][4 * p + 3] = y.y;
        }
    double o[D / 8][4];
#pragma unroll
    for (int d = 0; d < D / 8; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0;
    const double ninf = -INFINITY, tol = sh.tol;
    double m[2] = {ninf, ninf}, low[2] = {INFINITY, INFINITY};
    unsigned cnt[2] = {0u, 0u};
    long long redo[2] = {-1, -1};  // key tiles before this one must be summed again
    const long long t0 = blo / kBN, t1 = bhi < 0 ? -1 : bhi / kBN;
    auto load_tile = [&](long long tile, int buf) { stage_kv<double, D, kBN, LD, 32 * KW>(sK, sV, K, V, tile * kBN, n, buf, tid); };
    // RESCAN: the second sweep, which adds the tie-set members of the tiles before each row's
    // redo point at the final maximum.
    auto sweep = [&](bool rescan, long long last) {
        if (t0 <= last) load_tile(t0, 0);
        bool active = true;
        if (rescan) active = __any_sync(0xffffffffu, redo[0] >= 0 || redo[1] >= 0);
        for (long long tile = t0; tile <= last; ++tile) {
            const int buf = static_cast<int>((tile - t0) & 1);
            if (tile < last) {
                load_tile(tile + 1, buf ^ 1);
                cp_wait<1>();
            } else {
                cp_wait<0>();
            }
            __syncthreads();
            if (active) {
                const double* k_s = sK + buf * kBN * LD;
                const double* v_s = sV + buf * kBN * LD;
                double s[NB][4];
#pragma unroll
                for (int nb = 0; nb < NB; ++nb) s[nb][0] = s[nb][1] = s[nb][2] = s[nb][3] = 0.0;
#pragma unroll
                for (int p = 0; p < P; ++p)
#pragma unroll
                    for (int nb = 0; nb < NB; ++nb) {
                        const double* kr = k_s + (nb * 8 + g) * LD + 16 * p + 4 * t;
                        const double2 x = *reinterpret_cast<const double2*>(kr), y = *reinterpret_cast<const double2*>(kr + 2);
                        const double kb[4] = {x.x, x.y, y.x, y.y};
#pragma unroll
                        for (int gi = 0; gi < 4 / KG; ++gi) {
                            double a[2 * KG];
#pragma unroll
                            for (int v = 0; v < KG; ++v) a[2 * v] = qf[0][4 * p + gi * KG + v], a[2 * v + 1] = qf[1][4 * p + gi * KG + v];
                            dmma<KK, PAIR>(s[nb], a, kb + gi * KG);
                        }
                    }
                const long long j0 = tile * kBN;
                if (!(j0 >= alo && j0 + kBN - 1 <= ahi)) {
#pragma unroll
                    for (int nb = 0; nb < NB; ++nb)
#pragma unroll
                        for (int e = 0; e < 4; ++e) {
                            const int h = e / 2;
                            const long long j = j0 + nb * 8 + 2 * t + (e & 1);
                            if (!(j >= lo[h] && j <= hi[h])) s[nb][e] = ninf;
                        }
                }
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    if (!rescan) {
                        double tm = ninf;
#pragma unroll
                        for (int nb = 0; nb < NB; ++nb) tm = fmax(tm, fmax(s[nb][2 * h], s[nb][2 * h + 1]));
                        tm = quad_max_d(tm);
                        const double mn = fmax(m[h], tm);
                        const double lw = quad_min_d(low[h]);
                        if (mn > m[h]) {
                            const double tn = __dsub_rn(mn, __dmul_rn(tol, fmax(1.0, fabs(mn))));
                            bool reset = false;
                            if (tn > m[h]) reset = true, redo[h] = -1;                // the old tie set leaves whole
                            else if (!(tn <= lw)) reset = true, redo[h] = tile;  // cut: rescan the tiles before
                            if (reset) {
                                cnt[h] = 0u, low[h] = INFINITY;
#pragma unroll
                                for (int d = 0; d < D / 8; ++d) o[d][2 * h] = o[d][2 * h + 1] = 0.0;
                            }
                        }
                        m[h] = mn;
                    }
                    const double mm = m[h];
                    const double slack = __dmul_rn(tol, fmax(1.0, fabs(mm)));
                    const bool take = !rescan || tile < redo[h];
#pragma unroll
                    for (int nb = 0; nb < NB; ++nb)
#pragma unroll
                        for (int e = 0; e < 2; ++e) {
                            const double x = s[nb][2 * h + e];
                            const bool in = take && __dsub_rn(mm, x) <= slack;
                            s[nb][2 * h + e] = in ? 1.0 : 0.0;
                            if (in) ++cnt[h], low[h] = fmin(low[h], x);
                        }
                }
                // The value product: k4-step u = 2 nb + e takes keys 8 nb + 2t + e.
#pragma unroll
                for (int gi = 0; gi < 2 * NB / KG; ++gi) {
                    double a[2 * KG];
#pragma unroll
                    for (int v = 0; v < KG; ++v) {
                        const int u = gi * KG + v;
                        a[2 * v] = s[u / 2][u % 2], a[2 * v + 1] = s[u / 2][2 + u % 2];
                    }
#pragma unroll
                    for (int q = 0; q < P; ++q) {
                        double bx[KG], by[KG];
#pragma unroll
                        for (int v = 0; v < KG; ++v) {
                            const int u = gi * KG + v;
                            const double2 w = *reinterpret_cast<const double2*>(v_s + ((u / 2) * 8 + 2 * t + u % 2) * LD + 16 * q + 2 * g);
                            bx[v] = w.x, by[v] = w.y;
                        }
                        dmma<KK, PAIR>(o[2 * q], a, bx);
                        dmma<KK, PAIR>(o[2 * q + 1], a, by);
                    }
                }
            }
            __syncthreads();
        }
    };
    sweep(false, t1);
    if (const long long last = block_rescan_end(redo, t, tid, rescans); last >= t0) sweep(true, last);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const unsigned tot = quad_sum_u(cnt[h]);
        if (row[h] >= n) continue;
        const double c = static_cast<double>(tot);
        double* dst = O + row[h] * D + 4 * t;
#pragma unroll
        for (int q = 0; q < P; ++q) {
            double2 x = make_double2(0, 0), y = x;
            if (tot > 0) {
                x = make_double2(__ddiv_rn(o[2 * q][2 * h], c), __ddiv_rn(o[2 * q + 1][2 * h], c));
                y = make_double2(__ddiv_rn(o[2 * q][2 * h + 1], c), __ddiv_rn(o[2 * q + 1][2 * h + 1], c));
            }
            *reinterpret_cast<double2*>(dst + 16 * q) = x;
            *reinterpret_cast<double2*>(dst + 16 * q + 2) = y;
        }
        if (selb && t == 0) selb[b * n + row[h]] = tot;
    }
}

template <int D, int KW, int BN, int KK, bool PAIR>
void launch_dmma(const Shape& sh, int instances, const double* Q, const double* K, const double* V, double* A, unsigned* sel,
                 unsigned long long* rescans) {
    constexpr int BM = 16 * KW;
    const int smem = 4 * BN * (D + 2) * static_cast<int>(sizeof(double));
    auto kern = dmma_kernel<D, KW, BN, KK, PAIR>;
    check(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem), "shared memory limit");
    check(cudaFuncSetAttribute(kern, cudaFuncAttributePreferredSharedMemoryCarveout, 100), "shared memory carveout");
    const dim3 grid(static_cast<unsigned>((sh.n + BM - 1) / BM), static_cast<unsigned>(instances));
    kern<<<grid, 32 * KW, smem>>>(sh, Q, K, V, A, sel, rescans);
    check(cudaGetLastError(), "launch");
}

// The configuration bench_kernel runs: key width 64, 4 warps of 16 queries, key tiles of 32,
// m16n8k16 (ptxas, sm_90: 255 registers, 16 bytes spilled; two blocks per multiprocessor).
// Measured on the H200 at n = 65536 (docs/numeric.md): 8 warps per block ran the same, key
// tiles of 16 9% slower, m16n8k4 and m16n8k8 5% slower, m8n8k4 45% slower.
void launch_dmma_hard(const Shape& sh, int instances, const double* Q, const double* K, const double* V, double* A, unsigned* sel,
                      unsigned long long* rescans) {
    launch_dmma<64, 4, 32, 16, true>(sh, instances, Q, K, V, A, sel, rescans);
}

template <class S, bool Bf, bool Fast, int MAXDK>
void launch_ref_dk(const Shape& sh, int instances, const S* Q, const S* K, const S* V, S* A, unsigned* sel) {
    const std::size_t smem = sizeof(S) * (kRefKeys * std::max(sh.dk, 1) + (MAXDK == 0 ? sh.dk * kRefThreads : 0));
    auto kern = ref_kernel<S, Bf, Fast, MAXDK>;
    if (smem > 48 * 1024) check(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)), "shared memory limit");
    const dim3 grid(static_cast<unsigned>((sh.n + kRefThreads - 1) / kRefThreads), static_cast<unsigned>(instances));
    kern<<<grid, kRefThreads, smem>>>(sh, Q, K, V, A, sel);
    check(cudaGetLastError(), "launch");
}

template <class S, bool Bf, bool Fast>
void launch_ref(const Shape& sh, int instances, const S* Q, const S* K, const S* V, S* A, unsigned* sel) {
    if (sh.dk <= 8) launch_ref_dk<S, Bf, Fast, 8>(sh, instances, Q, K, V, A, sel);
    else if (sh.dk <= 16) launch_ref_dk<S, Bf, Fast, 16>(sh, instances, Q, K, V, A, sel);
    else if (sh.dk <= 32) launch_ref_dk<S, Bf, Fast, 32>(sh, instances, Q, K, V, A, sel);
    else if (sh.dk <= 64) launch_ref_dk<S, Bf, Fast, 64>(sh, instances, Q, K, V, A, sel);
    else launch_ref_dk<S, Bf, Fast, 0>(sh, instances, Q, K, V, A, sel);
}

template <class S>
void launch_ref_order(const Shape& sh, int instances, const S* Q, const S* K, const S* V, S* A, unsigned* sel, bool fast) {
    if (fast) launch_ref<S, false, true>(sh, instances, Q, K, V, A, sel);
    else launch_ref<S, false, false>(sh, instances, Q, K, V, A, sel);
}


}  // namespace

int device_count(std::string* name) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        cudaGetLastError();
        return 0;
    }
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return 0;
    if (name) *name = p.name;
    return count;
}

void attend_group(const Shape& sh, int instances, Elem elem, bool fast, const void* Q, const void* K, const void* V, void* A, unsigned* sel,
                  int gpu) {
    check(cudaSetDevice(gpu), "cudaSetDevice");
    const std::size_t es = elem == Elem::Double ? 8 : 4;
    const std::size_t qs = static_cast<std::size_t>(sh.q_stride) * instances * es, vs = static_cast<std::size_t>(sh.v_stride) * instances * es;
    const std::size_t ss = sel ? static_cast<std::size_t>(sh.n) * instances * sizeof(unsigned) : 0;
    Buf dq(qs), dk(qs), dv(vs), da(vs), dsel(ss);
    check(cudaMemcpy(dq.p, Q, qs, cudaMemcpyHostToDevice), "copy Q");
    check(cudaMemcpy(dk.p, K, qs, cudaMemcpyHostToDevice), "copy K");
    check(cudaMemcpy(dv.p, V, vs, cudaMemcpyHostToDevice), "copy V");
    unsigned* ds = sel ? dsel.as<unsigned>() : nullptr;
    if (sh.n > 0 && instances > 0) {
        if (elem == Elem::Double) launch_ref_order<double>(sh, instances, dq.as<double>(), dk.as<double>(), dv.as<double>(), da.as<double>(), ds, fast);
        else if (elem == Elem::Float) launch_ref_order<float>(sh, instances, dq.as<float>(), dk.as<float>(), dv.as<float>(), da.as<float>(), ds, fast);
        else launch_ref<float, true, false>(sh, instances, dq.as<float>(), dk.as<float>(), dv.as<float>(), da.as<float>(), ds);
    }
    check(cudaDeviceSynchronize(), "attention kernel");
    check(cudaMemcpy(A, da.p, vs, cudaMemcpyDeviceToHost), "copy A");
    if (sel) check(cudaMemcpy(sel, ds, ss, cudaMemcpyDeviceToHost), "copy |M_i|");
}

// ---- Measurements.
namespace {

// coarse: x rounded to a multiple of 1/2 and clamped to [-2, 2], so that dot products are exact
// in any order and ties between distinct keys are common.
__global__ void fill_normal(unsigned char* p, std::size_t count, int kind, unsigned long long seed, bool coarse) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
        // Two hashed uniforms, Box-Muller.
        unsigned long long z = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const double u1 = (static_cast<double>(z >> 40) + 1.0) / 16777217.0, u2 = static_cast<double>((z >> 16) & 0xFFFFFF) / 16777216.0;
        double x = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        if (coarse) x = fmin(2.0, fmax(-2.0, rint(2 * x) / 2));
        if (kind == 0) reinterpret_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(static_cast<float>(x));
        else if (kind == 1) reinterpret_cast<float*>(p)[i] = static_cast<float>(x);
        else reinterpret_cast<double*>(p)[i] = x;
    }
}

__global__ void bf16_to_float(const __nv_bfloat16* a, float* b, std::size_t count) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
        b[i] = __bfloat162float(a[i]);
}

// err[0]: largest |a - b| (as float bits, non-negative); err[1]: elements off by more than
// 1/16 (a changed selection rather than rounding).
__global__ void compare_bf16(const __nv_bfloat16* a, const float* b, std::size_t count, unsigned* err) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
        const float e = fabsf(__bfloat162float(a[i]) - b[i]);
        const float x = e == e ? e : INFINITY;
        atomicMax(err, __float_as_uint(x));
        if (!(x <= 0.0625f)) atomicAdd(err + 1, 1u);
    }
}

// err[0]: largest |a - b| (as double bits, non-negative); err[1]: elements off by more than
// 2^-20 (a tie decided the other way rather than rounding).
__global__ void compare_f64(const double* a, const double* b, std::size_t count, unsigned long long* err) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
        const double e = fabs(a[i] - b[i]);
        const double x = e == e ? e : INFINITY;
        atomicMax(err, static_cast<unsigned long long>(__double_as_longlong(x)));
        if (!(x <= 0x1p-20)) atomicAdd(err + 1, 1ull);
    }
}

void fill(void* p, std::size_t count, int kind, unsigned long long seed, bool coarse = false) {
    fill_normal<<<1024, 256>>>(static_cast<unsigned char*>(p), count, kind, seed, coarse);
    check(cudaGetLastError(), "fill");
}

template <class F>
double median_ms(std::size_t repeats, F f) {
    cudaEvent_t a, b;
    check(cudaEventCreate(&a), "event");
    check(cudaEventCreate(&b), "event");
    f();  // warm-up
    check(cudaDeviceSynchronize(), "warm-up");
    std::vector<double> ms;
    for (std::size_t r = 0; r < std::max<std::size_t>(repeats, 1); ++r) {
        check(cudaEventRecord(a), "event");
        f();
        check(cudaEventRecord(b), "event");
        check(cudaEventSynchronize(b), "run");
        float x = 0;
        check(cudaEventElapsedTime(&x, a, b), "event");
        ms.push_back(x);
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace

BenchPoint bench_kernel(const BenchShape& s, std::size_t repeats) {
    const int kind = s.kind;
    const std::size_t es = kind == 0 ? 2 : kind == 1 ? 4 : 8;
    const std::size_t inst = s.heads * s.batch, per = s.n * s.dk;
    Buf Q(inst * per * es), K(inst * per * es), V(inst * per * es), A(inst * per * es);
    fill(Q.p, inst * per, kind, 1, s.coarse), fill(K.p, inst * per, kind, 2, s.coarse), fill(V.p, inst * per, kind, 3);
    Buf res(sizeof(unsigned long long));
    check(cudaMemset(res.p, 0, sizeof(unsigned long long)), "memset");
    Shape sh;
    sh.n = static_cast<long long>(s.n), sh.dk = sh.dv = static_cast<int>(s.dk);
    sh.rule = s.softmax ? 4 : 0, sh.mask = s.causal ? 2 : 0;
    sh.tol = s.tol >= 0 ? s.tol : kind == 0 ? 0x1p-8 : kind == 1 ? 0x1p-20 : 0x1p-40;
    sh.beta = 1.0 / std::sqrt(static_cast<double>(s.dk));
    sh.q_stride = sh.v_stride = static_cast<long long>(per);
    const int I = static_cast<int>(inst);
    // Double average-hard at key width 64 in the fast order: the FP64 tensor-core kernel.
    const bool dmma = kind == 2 && s.fast && !s.softmax && s.dk == 64;
    // bfloat16: the wgmma kernel where the GPU runs sm_90a code, else mma_kernel.
    const bool wgmma = kind == 0 && wgmma_available();
    auto run = [&] {
        if (kind == 0) {
            unsigned long long* rs = s.softmax ? nullptr : res.as<unsigned long long>();
            if (wgmma) {
                if (s.dk == 64) s.softmax ? launch_wgmma<64, false>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs) : launch_wgmma<64, true>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs);
                else s.softmax ? launch_wgmma<128, false>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs) : launch_wgmma<128, true>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs);
            } else if (s.dk == 64) {
                s.softmax ? launch_mma<64, false>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs) : launch_mma<64, true>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs);
            } else {
                s.softmax ? launch_mma<128, false>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs) : launch_mma<128, true>(sh, I, Q.p, K.p, V.p, A.p, nullptr, rs);
            }
        } else if (kind == 1) {
            launch_ref_order<float>(sh, I, Q.as<float>(), K.as<float>(), V.as<float>(), A.as<float>(), nullptr, s.fast);
        } else if (dmma) {
            launch_dmma_hard(sh, I, Q.as<double>(), K.as<double>(), V.as<double>(), A.as<double>(), nullptr, res.as<unsigned long long>());
        } else {
            launch_ref_order<double>(sh, I, Q.as<double>(), K.as<double>(), V.as<double>(), A.as<double>(), nullptr, s.fast);
        }
    };
    BenchPoint pt;
    pt.ms = median_ms(repeats, run);
    unsigned long long r = 0;
    check(cudaMemcpy(&r, res.p, sizeof r, cudaMemcpyDeviceToHost), "rescans");
    pt.rescans = r / (repeats + 1);
    if (kind == 0 && s.n <= 65536) {
        // The error of the tensor-core kernel: instance 0 against the float kernel (fused
        // multiply-adds, float sums) on the same bfloat16 inputs upcast; beyond n = 65536 the
        // float kernel's quadratic time is not spent (the fields stay 0).
        Buf fq(per * 4), fk(per * 4), fv(per * 4), fa(per * 4), err(2 * sizeof(unsigned));
        bf16_to_float<<<1024, 256>>>(Q.as<__nv_bfloat16>(), fq.as<float>(), per);
        bf16_to_float<<<1024, 256>>>(K.as<__nv_bfloat16>(), fk.as<float>(), per);
        bf16_to_float<<<1024, 256>>>(V.as<__nv_bfloat16>(), fv.as<float>(), per);
        check(cudaGetLastError(), "convert");
        launch_ref<float, false, true>(sh, 1, fq.as<float>(), fk.as<float>(), fv.as<float>(), fa.as<float>(), nullptr);
        check(cudaMemset(err.p, 0, 2 * sizeof(unsigned)), "memset");
        compare_bf16<<<1024, 256>>>(A.as<__nv_bfloat16>(), fa.as<float>(), per, err.as<unsigned>());
        check(cudaGetLastError(), "compare");
        unsigned e[2];
        check(cudaMemcpy(e, err.p, sizeof e, cudaMemcpyDeviceToHost), "error");
        float mx;
        std::memcpy(&mx, &e[0], sizeof mx);
        pt.max_abs_error = mx, pt.off = e[1], pt.checked = per;
    }
    if (dmma && s.n <= 65536) {
        // The error of the tensor-core kernel: instance 0 against the fast-order kernel (fused
        // multiply-adds in coordinate order, values summed in position order) on the same
        // inputs; off: elements differing by more than 2^-20.
        Buf ra(per * 8), err(2 * sizeof(unsigned long long));
        launch_ref_order<double>(sh, 1, Q.as<double>(), K.as<double>(), V.as<double>(), ra.as<double>(), nullptr, true);
        check(cudaMemset(err.p, 0, 2 * sizeof(unsigned long long)), "memset");
        compare_f64<<<1024, 256>>>(A.as<double>(), ra.as<double>(), per, err.as<unsigned long long>());
        check(cudaGetLastError(), "compare");
        unsigned long long e[2];
        check(cudaMemcpy(e, err.p, sizeof e, cudaMemcpyDeviceToHost), "error");
        double mx;
        std::memcpy(&mx, &e[0], sizeof mx);
        pt.max_abs_error = mx, pt.off = e[1], pt.checked = per;
    }
    const double nn = static_cast<double>(s.n);
    pt.pairs = static_cast<double>(inst) * (s.causal ? nn * (nn + 1) / 2 : nn * nn);
    return pt;
}

namespace {
// cuBLAS, loaded at run time so that the binary does not need it (the ceilings are 0 where
// it is missing). Declared here from the documented C interface.
using cublasHandle = void*;
using CreateFn = int (*)(cublasHandle*);
using DestroyFn = int (*)(cublasHandle);
using DgemmFn = int (*)(cublasHandle, int, int, int, int, int, const double*, const double*, int, const double*, int, const double*, double*, int);
using SgemmFn = int (*)(cublasHandle, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
using GemmExFn = int (*)(cublasHandle, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int, const void*, void*, int,
                         int, int, int);
}  // namespace

Ceilings ceilings() {
    Ceilings c;
    {
        const std::size_t bytes = std::size_t(4) << 30;
        Buf a(bytes), b(bytes);
        check(cudaMemset(a.p, 1, bytes), "memset");
        const double ms = median_ms(9, [&] { check(cudaMemcpy(b.p, a.p, bytes, cudaMemcpyDeviceToDevice), "copy"); });
        c.copy_gbs = 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
    }
    void* lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcublas.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return c;
    auto create = reinterpret_cast<CreateFn>(dlsym(lib, "cublasCreate_v2"));
    auto destroy = reinterpret_cast<DestroyFn>(dlsym(lib, "cublasDestroy_v2"));
    auto dgemm = reinterpret_cast<DgemmFn>(dlsym(lib, "cublasDgemm_v2"));
    auto sgemm = reinterpret_cast<SgemmFn>(dlsym(lib, "cublasSgemm_v2"));
    auto gemmex = reinterpret_cast<GemmExFn>(dlsym(lib, "cublasGemmEx"));
    cublasHandle h = nullptr;
    if (!create || !destroy || create(&h) != 0) return c;
    auto rate = [&](int kind, int N) {
        const std::size_t es = kind == 0 ? 2 : kind == 1 ? 4 : 8, cnt = static_cast<std::size_t>(N) * N;
        Buf A(cnt * es), B(cnt * es), C(cnt * (kind == 0 ? 4 : es));
        fill(A.p, cnt, kind, 7), fill(B.p, cnt, kind, 8);
        const double one = 1, zero = 0;
        const float onef = 1, zerof = 0;
        int st = 0;
        const double ms = median_ms(9, [&] {
            if (kind == 2) st |= dgemm(h, 0, 0, N, N, N, &one, A.as<double>(), N, B.as<double>(), N, &zero, C.as<double>(), N);
            else if (kind == 1) st |= sgemm(h, 0, 0, N, N, N, &onef, A.as<float>(), N, B.as<float>(), N, &zerof, C.as<float>(), N);
            else st |= gemmex(h, 0, 0, N, N, N, &onef, A.p, 14 /*CUDA_R_16BF*/, N, B.p, 14, N, &zerof, C.p, 0 /*CUDA_R_32F*/, N,
                              68 /*CUBLAS_COMPUTE_32F*/, -1 /*CUBLAS_GEMM_DEFAULT*/);
        });
        return st == 0 ? 2.0 * N * static_cast<double>(N) * N / (ms * 1e-3) / 1e12 : 0.0;
    };
    if (gemmex) c.gemm_bf16_tflops = rate(0, 8192);
    if (sgemm) c.gemm_float_tflops = rate(1, 8192);
    if (dgemm) c.gemm_double_tflops = rate(2, 8192);
    destroy(h);
    return c;
}

}  // namespace ahat::numeric::cuda
