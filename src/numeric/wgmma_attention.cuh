// Fused bfloat16 attention with Hopper warpgroup tensor-core products (wgmma.mma_async,
// sm_90a), float accumulation: softmax at beta and average-hard with the tie tolerance, key
// width D = 64 or 128, every mask and window of `allowed` (tiles outside a block's range are
// never loaded). Included by device_cuda.cu and by bench/wgmma_probe.cu, which both define
// `Shape`, `allowed(sh, i, lo, hi)` and `block_rescan_end` (cuda_common.cuh) in namespace ahat::numeric::cuda
// before including this file. Design and measurements in docs/numeric.md ("bfloat16 on tensor
// cores: the wgmma kernel"). Written from the PTX ISA's descriptions (wgmma, mbarrier,
// cp.async.bulk.tensor); nothing copied from other kernels.
//
// Block: NWG warpgroups of 128 threads, each owning 64 query rows (BM = 64 NWG). Shared
// memory (1024-byte aligned): the Q tile and a ring of ST stages of K and V tiles of BN rows,
// each in the 128-byte-swizzled layout that the tensor memory accelerator (TMA) writes with
// CU_TENSOR_MAP_SWIZZLE_128B and boxes of 64 columns: the D columns split in blocks of 64
// (128 bytes), block kb of a ROWS-row tile at kb * ROWS * 128 bytes, row r at r * 128 within
// it, its 16-byte chunk c at (c ^ (r % 8)) * 16. Q and K are K-major operands of S = Q K^T
// (wgmma m64nBNk16, A and B from shared memory); V is the MN-major B operand (transpose bit)
// of O += P V, whose A operand P is the score tile converted to bfloat16 in registers.
// Loads: thread 0 issues the TMA copies of tile u + ST - 2 (prefetch distance ST - 2; the
// stage it reuses last held tile u - 2, whose value product every thread has completed and
// released: mbarrier `empty`, one arrival per consumer thread) while the consumers wait on
// `full` (the copies' transaction count). The warpgroups are not kept in step by block
// barriers, so one warpgroup's softmax overlaps another's tensor-core products; PP makes them
// take turns to issue their products (named barriers 1 + w, round robin; the value product of
// tile u - 1 is then issued with the score product of tile u). A thread (warp w of its
// warpgroup, lane = 4 g + t) holds rows 16 w + g and 16 w + g + 8 of the warpgroup's 64:
// accumulator element 4 c + e is row g + 8 (e / 2), column 8 c + 2 t + e % 2.
#pragma once

#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace ahat::numeric::cuda {
namespace wg {

__device__ __forceinline__ unsigned smem_addr(const void* p) { return static_cast<unsigned>(__cvta_generic_to_shared(p)); }
__device__ __forceinline__ void mbar_init(unsigned bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
__device__ __forceinline__ void mbar_expect(unsigned bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity) {
    unsigned done;
    do {
        asm volatile("{\n.reg .pred P;\nmbarrier.try_wait.parity.shared::cta.b64 P, [%1], %2;\nselp.u32 %0, 1, 0, P;\n}\n"
                     : "=r"(done)
                     : "r"(bar), "r"(parity)
                     : "memory");
    } while (!done);
}
// TMA: the box at (column c, row r, instance i) of tensor map m into shared memory at dst,
// completing `bar`'s transaction count.
__device__ __forceinline__ void tma3(unsigned dst, const CUtensorMap* m, int c, int r, int i, unsigned bar) {
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(dst),
                 "l"(reinterpret_cast<unsigned long long>(m)), "r"(c), "r"(r), "r"(i), "r"(bar)
                 : "memory");
}
__device__ __forceinline__ void fence_async_smem() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wg_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from touching accumulator registers across an asynchronous product.
template <int N>
__device__ __forceinline__ void pin(float* r) {
#pragma unroll
    for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
// Shared-memory matrix descriptor: start address, leading and stride byte offsets (all >> 4),
// 128-byte swizzle (mode 1 in bits 62-63).
__device__ __forceinline__ unsigned long long desc(unsigned addr, unsigned lbo, unsigned sbo) {
    return static_cast<unsigned long long>((addr & 0x3FFFF) >> 4) | (static_cast<unsigned long long>(lbo >> 4) << 16) |
           (static_cast<unsigned long long>(sbo >> 4) << 32) | (1ull << 62);
}
__device__ __forceinline__ unsigned pack(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const unsigned*>(&v);
}
__device__ __forceinline__ float ex2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
__device__ __forceinline__ float qmax(float x) {
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float qmin(float x) {
    x = fminf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fminf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float qsum(float x) {
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// D(64 x 64, float) (+)= A(desc) * B(desc); acc = 0: D = A * B.
__device__ __forceinline__ void wg_ss64(float* d, unsigned long long a, unsigned long long b, int acc) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "l"(a), "l"(b), "r"(acc));
}
// D(64 x 64, float) += A(registers, bf16 pairs) * B(desc, MN-major: trans-b = 1).
__device__ __forceinline__ void wg_rs64(float* d, const unsigned* a, unsigned long long b) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1, 1;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}
// D(64 x 128, float) (+)= A(desc) * B(desc); acc = 0: D = A * B.
__device__ __forceinline__ void wg_ss128(float* d, unsigned long long a, unsigned long long b, int acc) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(a), "l"(b), "r"(acc));
}
// D(64 x 128, float) += A(registers, bf16 pairs) * B(desc, MN-major: trans-b = 1).
__device__ __forceinline__ void wg_rs128(float* d, const unsigned* a, unsigned long long b) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, {%64,%65,%66,%67}, %68, p, 1, 1, 1;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}

template <int N>
__device__ __forceinline__ void ss(float* d, unsigned long long a, unsigned long long b, int acc) {
    if constexpr (N == 64) wg_ss64(d, a, b, acc);
    else wg_ss128(d, a, b, acc);
}
template <int N>
__device__ __forceinline__ void rs(float* d, const unsigned* a, unsigned long long b) {
    if constexpr (N == 64) wg_rs64(d, a, b);
    else wg_rs128(d, a, b);
}

template <int D, int BN, int NWG, int ST>
constexpr int smem_bytes() {
    return 1024 + 64 * NWG * D * 2 + ST * 2 * BN * D * 2;
}
__device__ __forceinline__ void bar_sync(int id, int count) { asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory"); }
__device__ __forceinline__ void bar_arrive(int id, int count) { asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(count) : "memory"); }

// Q, K, V: tensor maps of bfloat16 [instances][n][D] (boxes of 64 columns by BM rows for Q,
// BN rows for K and V, 128-byte swizzle; rows past n read as zeros); A: bfloat16, n x D per
// instance (blockIdx.y). HARD: average-hard with tie tolerance sh.tol (scores in float), the
// one-pass rule of mma_kernel: running maximum m, tie set {s : m - s <= tol max(1, |m|)}
// summed through the value product with 0/1 weights and counted; reset when the maximum
// leaves the old window, reset and marked (redo) when the new window cuts the old set, marked
// rows' earlier tiles swept again at the end (`rescans`). Else softmax at sh.beta.
// selb (optional): |M_i| for hard, the allowed count for softmax, as mma_kernel.
template <int D, int BN, int NWG, int ST, bool PP, bool HARD>
__global__ void __launch_bounds__(128 * NWG, 1) attn_kernel(Shape sh, const __grid_constant__ CUtensorMap tQ, const __grid_constant__ CUtensorMap tK,
                                                            const __grid_constant__ CUtensorMap tV, __nv_bfloat16* __restrict__ Ab,
                                                            unsigned* __restrict__ selb, unsigned long long* __restrict__ rescans) {
#if !defined(__CUDA_ARCH__) || defined(__CUDA_ARCH_FEAT_SM90_ALL)
    constexpr int BM = 64 * NWG, NS = BN / 2, NO = D / 2, CONSUMERS = 128 * NWG;
    constexpr unsigned QB = BM * D * 2, KVB = BN * D * 2;
    extern __shared__ unsigned char smem_raw[];
    __shared__ __align__(8) unsigned long long bars[2 * ST + 1];  // full[3], empty[3], Q
    const unsigned base = (smem_addr(smem_raw) + 1023u) & ~1023u;
    const unsigned sQ = base;
    auto sK = [&](int st) { return base + QB + st * 2 * KVB; };
    auto sV = [&](int st) { return base + QB + st * 2 * KVB + KVB; };
    auto full = [&](int st) { return smem_addr(&bars[st]); };
    auto empty = [&](int st) { return smem_addr(&bars[ST + st]); };
    const unsigned qbar = smem_addr(&bars[2 * ST]);
    const long long n = sh.n;
    const int b = blockIdx.y;
    __nv_bfloat16* O = Ab + static_cast<long long>(b) * n * D;
    const int tid = threadIdx.x, wgi = tid / 128, warp = (tid % 128) / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    // The last query blocks (the longest under causal masks) start first.
    const long long q0 = static_cast<long long>(gridDim.x - 1 - blockIdx.x) * BM;
    long long row[2], lo[2], hi[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        row[h] = q0 + wgi * 64 + warp * 16 + g + 8 * h;
        lo[h] = 1, hi[h] = 0;
        if (row[h] < n) allowed(sh, row[h], lo[h], hi[h]);
    }
    // The block's key range and the range every row allows (intervals are monotone in the query).
    long long blo = n, bhi = -1, alo = 0, ahi = n - 1;
    const long long qlast = q0 + BM - 1 < n - 1 ? q0 + BM - 1 : n - 1;
    for (int e = 0; e < 2; ++e) {
        long long l, hh;
        allowed(sh, e == 0 ? q0 : qlast, l, hh);
        if (l <= hh) blo = l < blo ? l : blo, bhi = hh > bhi ? hh : bhi;
        alo = l > alo ? l : alo, ahi = hh < ahi ? hh : ahi;
    }
    if (tid == 0) {
        for (int st = 0; st < ST; ++st) mbar_init(full(st), 1), mbar_init(empty(st), CONSUMERS);
        mbar_init(qbar, 1);
        fence_async_smem();  // the initialized barriers, visible to the TMA unit
    }
    __syncthreads();
    if (tid == 0) {
        mbar_expect(qbar, QB);
#pragma unroll
        for (int kb = 0; kb < D / 64; ++kb) tma3(sQ + kb * BM * 128, &tQ, kb * 64, static_cast<int>(q0), b, qbar);
    }
    float o[NO];
#pragma unroll
    for (int i = 0; i < NO; ++i) o[i] = 0.f;
    const float ninf = -INFINITY;
    float m[2], l[2], low[2];
    long long redo[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) m[h] = ninf, l[h] = 0.f, low[h] = INFINITY, redo[h] = -1;
    const float tol = static_cast<float>(sh.tol);
    const float sc = static_cast<float>(sh.beta) * 1.4426950408889634f;
    const long long t0 = blo / BN, t1 = bhi < 0 ? -1 : bhi / BN;
    // Use u of the ring (counted over both sweeps) lives in stage u % 3, phase (u / 3) % 2.
    unsigned use = 0;
    // Thread 0: tile `tile` into the stage of use u, once the consumers released use u - 3.
    constexpr unsigned PF = ST - 2;  // prefetch distance
    auto produce = [&](unsigned u, long long tile) {
        const int st = static_cast<int>(u % ST);
        if (u >= ST) mbar_wait(empty(st), ((u / ST) - 1) & 1);
        mbar_expect(full(st), 2 * KVB);
#pragma unroll
        for (int kb = 0; kb < D / 64; ++kb) {
            tma3(sK(st) + kb * BN * 128, &tK, kb * 64, static_cast<int>(tile * BN), b, full(st));
            tma3(sV(st) + kb * BN * 128, &tV, kb * 64, static_cast<int>(tile * BN), b, full(st));
        }
    };
    mbar_wait(qbar, 0);
    if constexpr (PP)
        if (wgi == NWG - 1) bar_arrive(1, 256);  // warpgroup 0 goes first
    auto sweep = [&](bool rescan, long long last) {
        if (t0 > last) return;
        const unsigned u0 = use;
        if (tid == 0)
            for (unsigned k = 0; k < PF && t0 + k <= last; ++k) produce(u0 + k, t0 + k);
        unsigned p[BN / 16][4];  // the previous tile's weights, bfloat16 (PP: its product issued here)
        for (long long tile = t0; tile <= last; ++tile, ++use) {
            const int st = static_cast<int>(use % ST);
            if (tid == 0 && tile + PF <= last) produce(use + PF, tile + PF);
            mbar_wait(full(st), (use / ST) & 1);
            __syncwarp();
            float s[NS];
            // PP: the warpgroups take turns to issue their products (barrier 1 + w), so that
            // one's softmax runs while another's products occupy the tensor cores.
            if constexpr (PP) bar_sync(1 + wgi, 256);
            wg_fence();
            if constexpr (PP) {
                if (use > u0) {
                    const int ps = static_cast<int>((use - 1) % ST);
#pragma unroll
                    for (int kk = 0; kk < BN / 16; ++kk) rs<D>(o, p[kk], desc(sV(ps) + kk * 2048, BN * 128, 1024));
                }
            }
#pragma unroll
            for (int ks = 0; ks < D / 16; ++ks)
                ss<BN>(s, desc(sQ + (ks >> 2) * (BM * 128) + wgi * 64 * 128 + (ks & 3) * 32, 16, 1024),
                       desc(sK(st) + (ks >> 2) * (BN * 128) + (ks & 3) * 32, 16, 1024), ks > 0);
            wg_commit();
            if constexpr (PP) bar_arrive(1 + (wgi + 1) % NWG, 256);
            wg_wait<0>();  // also completes the previous tile's value product
            pin<NS>(s);
            pin<NO>(o);
            if (use > u0) mbar_arrive(empty(static_cast<int>((use - 1) % ST)));
            const long long j0 = tile * BN;
            if (!(j0 >= alo && j0 + BN - 1 <= ahi)) {
#pragma unroll
                for (int i = 0; i < NS; ++i) {
                    const int h = (i >> 1) & 1;
                    const long long j = j0 + (i >> 2) * 8 + 2 * t + (i & 1);
                    if (!(j >= lo[h] && j <= hi[h])) s[i] = ninf;
                }
            }
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                float scale = 1.f;
                if constexpr (HARD) {
                    if (!rescan) {
                        float tm = ninf;
#pragma unroll
                        for (int c = 0; c < BN / 8; ++c) tm = fmaxf(tm, fmaxf(s[4 * c + 2 * h], s[4 * c + 2 * h + 1]));
                        tm = qmax(tm);
                        const float mn = fmaxf(m[h], tm);
                        const float lw = qmin(low[h]);
                        if (mn > m[h]) {
                            const float tn = mn - tol * fmaxf(1.f, fabsf(mn));
                            if (tn > m[h]) scale = 0.f, redo[h] = -1;           // the old tie set leaves whole
                            else if (!(tn <= lw)) scale = 0.f, redo[h] = tile;  // cut: rescan the tiles before
                            if (scale == 0.f) l[h] = 0.f, low[h] = INFINITY;
                        }
                        m[h] = mn;
                    }
                    const float mm = m[h];
                    const float slack = tol * fmaxf(1.f, fabsf(mm));
                    const bool take = !rescan || tile < redo[h];
#pragma unroll
                    for (int c = 0; c < BN / 8; ++c)
#pragma unroll
                        for (int e = 0; e < 2; ++e) {
                            const float x = s[4 * c + 2 * h + e];
                            const bool in = take && (mm - x <= slack);
                            s[4 * c + 2 * h + e] = in ? 1.f : 0.f;
                            if (in) l[h] += 1.f, low[h] = fminf(low[h], x);
                        }
                } else {
                    float tm = ninf;
#pragma unroll
                    for (int c = 0; c < BN / 8; ++c) tm = fmaxf(tm, fmaxf(s[4 * c + 2 * h], s[4 * c + 2 * h + 1]));
                    tm = qmax(tm);
                    const float mn = fmaxf(m[h], tm * sc);
                    scale = mn == ninf ? 1.f : ex2(m[h] - mn);
                    m[h] = mn;
                    float rsum = 0.f;
#pragma unroll
                    for (int c = 0; c < BN / 8; ++c)
#pragma unroll
                        for (int e = 0; e < 2; ++e) {
                            const float x = s[4 * c + 2 * h + e];
                            const float p = mn == ninf ? 0.f : ex2(x * sc - mn);
                            s[4 * c + 2 * h + e] = p;
                            rsum += p;
                        }
                    l[h] = l[h] * scale + rsum;
                }
                if (scale != 1.f) {
#pragma unroll
                    for (int c = 0; c < D / 8; ++c) o[4 * c + 2 * h] *= scale, o[4 * c + 2 * h + 1] *= scale;
                }
            }
#pragma unroll
            for (int kk = 0; kk < BN / 16; ++kk) {
                p[kk][0] = pack(s[8 * kk + 0], s[8 * kk + 1]);
                p[kk][1] = pack(s[8 * kk + 2], s[8 * kk + 3]);
                p[kk][2] = pack(s[8 * kk + 4], s[8 * kk + 5]);
                p[kk][3] = pack(s[8 * kk + 6], s[8 * kk + 7]);
            }
            if constexpr (!PP) {
                wg_fence();
#pragma unroll
                for (int kk = 0; kk < BN / 16; ++kk) rs<D>(o, p[kk], desc(sV(st) + kk * 2048, BN * 128, 1024));
                wg_commit();
            }
        }
        if constexpr (PP) {
            wg_fence();
            const int ps = static_cast<int>((use - 1) % ST);
#pragma unroll
            for (int kk = 0; kk < BN / 16; ++kk) rs<D>(o, p[kk], desc(sV(ps) + kk * 2048, BN * 128, 1024));
            wg_commit();
        }
        wg_wait<0>();
        pin<NO>(o);
        mbar_arrive(empty(static_cast<int>((use - 1) % ST)));
    };
    sweep(false, t1);
    if constexpr (HARD) {
        if (const long long last = block_rescan_end(redo, t, tid, rescans); last >= t0) sweep(true, last);
    }
    if constexpr (PP)
        if (wgi == 0) bar_sync(1, 256);  // the last warpgroup's final turn signal
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const float tot = qsum(l[h]);
        if (row[h] >= n) continue;
        const float inv = tot > 0.f ? 1.f / tot : 0.f;
#pragma unroll
        for (int c = 0; c < D / 8; ++c)
            *reinterpret_cast<unsigned*>(O + row[h] * D + c * 8 + 2 * t) = pack(o[4 * c + 2 * h] * inv, o[4 * c + 2 * h + 1] * inv);
        if (selb && t == 0)
            selb[b * n + row[h]] = HARD ? static_cast<unsigned>(tot) : (lo[h] <= hi[h] ? static_cast<unsigned>(hi[h] - lo[h] + 1) : 0u);
    }
#else
    __trap();  // not built for sm_90a: the host checks (wgmma_available) before launching
#endif
}

// Host: the tensor map of a bfloat16 array [instances][n][D] read in boxes of 64 columns by
// `rows` rows with the 128-byte swizzle (rows past n read as zeros). cuTensorMapEncodeTiled
// comes through the runtime's driver entry point, so nothing links against libcuda. False
// where the driver does not offer it.
inline bool make_map(CUtensorMap* m, const void* p, long long n, int instances, int D, int rows) {
    using Encode = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*, const cuuint64_t*, const cuuint32_t*,
                                const cuuint32_t*, CUtensorMapInterleave, CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
    static Encode encode = [] {
        void* f = nullptr;
        cudaDriverEntryPointQueryResult q;
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &q) != cudaSuccess ||
            q != cudaDriverEntryPointSuccess)
            f = nullptr;
        return reinterpret_cast<Encode>(f);
    }();
    if (!encode) return false;
    const cuuint64_t dims[3] = {static_cast<cuuint64_t>(D), static_cast<cuuint64_t>(n), static_cast<cuuint64_t>(instances)};
    const cuuint64_t strides[2] = {static_cast<cuuint64_t>(D) * 2, static_cast<cuuint64_t>(n) * D * 2};
    const cuuint32_t box[3] = {64, static_cast<cuuint32_t>(rows), 1}, es[3] = {1, 1, 1};
    return encode(m, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(p), dims, strides, box, es, CU_TENSOR_MAP_INTERLEAVE_NONE,
                  CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

}  // namespace wg
}  // namespace ahat::numeric::cuda
