// The attention kernels, compiled once per instruction set: kernels_avx512.cpp and
// kernels_baseline.cpp include this file inside their own namespace (AHAT_KERNEL_NS), with
// their own target flags; kernels.cpp picks one at start-up. See kernels.hpp for what they
// compute and docs/numeric.md for the design. Only plain loops over the W lanes of a query
// tile: the compiler vectorizes them for the target, and every lane performs exactly the
// operations of its query in the scalar interpreter (reference order).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "numeric/kernels.hpp"

namespace ahat::numeric::AHAT_KERNEL_NS {

template <class S>
using MaskInt = std::conditional_t<sizeof(S) == 8, std::int64_t, std::int32_t>;

// acc + a * b, fused in the fast order where the target has FMA (never for bfloat16).
template <class S, bool Fast>
inline S madd(S a, S b, S acc) {
#if defined(__FMA__)
    if constexpr (Fast && !std::is_same_v<S, bfloat16>) return std::fma(a, b, acc);
#endif
    return acc + a * b;
}

template <class S>
struct Interval {
    std::int64_t lo[lanes<S>()], hi[lanes<S>()];
    std::int64_t jmin = 0, jmax = -1;  // union of the lanes' intervals (jmin > jmax: none)
};

template <class S>
Interval<S> intervals(const HeadJob<S>& job, std::size_t i0) {
    constexpr std::size_t W = lanes<S>();
    Interval<S> iv;
    Head h;
    h.mask = job.mask;
    h.window = job.window;
    const auto n = static_cast<std::int64_t>(job.n);
    iv.jmin = n, iv.jmax = -1;
    for (std::size_t l = 0; l < W; ++l) {
        const std::size_t i = i0 + l;
        if (i >= job.q_end) {
            iv.lo[l] = 1, iv.hi[l] = 0;
            continue;
        }
        auto [lo, hi] = allowed_interval(h, static_cast<std::int64_t>(i), n);
        iv.lo[l] = lo, iv.hi[l] = hi;
        if (lo <= hi) iv.jmin = std::min(iv.jmin, lo), iv.jmax = std::max(iv.jmax, hi);
    }
    return iv;
}

// The tile's queries, transposed: qt[c * W + l] = Q[i0 + l][c] (zero for lanes past the end).
template <class S>
void load_queries(const HeadJob<S>& job, std::size_t i0, std::vector<S>& qt) {
    constexpr std::size_t W = lanes<S>();
    qt.assign(job.dk * W, S(0));
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l)
        for (std::size_t c = 0; c < job.dk; ++c) qt[c * W + l] = job.Q[(i0 + l) * job.dk + c];
}

// s[l] = <q_l, k> accumulated from 0 in coordinate order (the interpreter's dot()).
template <class S, bool Fast>
inline void score(const S* qt, const S* k, std::size_t dk, S* s) {
    constexpr std::size_t W = lanes<S>();
    for (std::size_t l = 0; l < W; ++l) s[l] = S(0);
    for (std::size_t c = 0; c < dk; ++c) {
        const S kc = k[c];
        const S* q = qt + c * W;
        for (std::size_t l = 0; l < W; ++l) s[l] = madd<S, Fast>(q[l], kc, s[l]);
    }
}

template <class S>
inline void finish_row(const HeadJob<S>& job, std::size_t i, std::uint32_t count) {
    if (job.selected) job.selected[i] = count;
}

// Average-hard, leftmost and rightmost on a dense tile: pass 1 takes each lane's maximum
// (first allowed score, then strictly greater ones, as the interpreter does), pass 2 the
// tie set {j : max - s_j <= tol * max(1, |max|)} and its values in position order.
template <class S, bool Fast>
void hard_tile(const HeadJob<S>& job, std::size_t i0, std::vector<S>& qt, std::vector<S>& acc) {
    constexpr std::size_t W = lanes<S>();
    const Interval<S> iv = intervals(job, i0);
    const std::size_t dk = job.dk, dv = job.dv;
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) finish_row(job, i0 + l, 0);
    if (iv.jmin > iv.jmax) return;  // every lane's allowed set is empty: zero rows
    load_queries(job, i0, qt);
    S s[W], m[W], slack[W];
    MaskInt<S> started[W] = {}, inc[W];
    for (std::size_t l = 0; l < W; ++l) m[l] = S(0);
    for (std::int64_t j = iv.jmin; j <= iv.jmax; ++j) {
        score<S, Fast>(qt.data(), job.K + static_cast<std::size_t>(j) * dk, dk, s);
        for (std::size_t l = 0; l < W; ++l) {
            const bool allowed = j >= iv.lo[l] && j <= iv.hi[l];
            const bool take = allowed && (!started[l] || s[l] > m[l]);
            m[l] = take ? s[l] : m[l];
            started[l] = started[l] | MaskInt<S>(allowed);
        }
    }
    const S tol = static_cast<S>(job.tol);
    for (std::size_t l = 0; l < W; ++l) {
        using std::abs;
        slack[l] = tol * std::max<S>(S(1), abs(m[l]));
    }
    std::uint32_t count[W] = {};
    std::int64_t first[W], last[W];
    for (std::size_t l = 0; l < W; ++l) first[l] = -1, last[l] = -1;
    const bool average = job.rule == Rule::AverageHard;
    if (average) acc.assign(dv * W, S(0));
    for (std::int64_t j = iv.jmin; j <= iv.jmax; ++j) {
        score<S, Fast>(qt.data(), job.K + static_cast<std::size_t>(j) * dk, dk, s);
        MaskInt<S> any = 0;
        for (std::size_t l = 0; l < W; ++l) {
            const bool allowed = j >= iv.lo[l] && j <= iv.hi[l];
            inc[l] = MaskInt<S>(allowed && m[l] - s[l] <= slack[l]);
            any |= inc[l];
        }
        if (!any) continue;
        for (std::size_t l = 0; l < W; ++l) {
            count[l] += static_cast<std::uint32_t>(inc[l]);
            if (inc[l]) {
                if (first[l] < 0) first[l] = j;
                last[l] = j;
            }
        }
        if (average) {
            const S* v = job.V + static_cast<std::size_t>(j) * dv;
            for (std::size_t c = 0; c < dv; ++c) {
                const S vc = v[c];
                S* a = acc.data() + c * W;
                for (std::size_t l = 0; l < W; ++l) a[l] = inc[l] ? a[l] + vc : a[l];
            }
        }
    }
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        if (iv.lo[l] > iv.hi[l]) continue;
        const std::size_t i = i0 + l;
        finish_row(job, i, count[l]);
        S* out = job.A + i * dv;
        if (average) {
            const S cnt = S(static_cast<long long>(count[l]));
            for (std::size_t c = 0; c < dv; ++c) out[c] = acc[c * W + l] / cnt;
        } else if (first[l] >= 0) {
            const std::int64_t j = job.rule == Rule::UniqueHardLeft ? first[l] : last[l];
            std::copy(job.V + static_cast<std::size_t>(j) * dv, job.V + static_cast<std::size_t>(j + 1) * dv, out);
        }
    }
}

// Every allowed key selected (uniform heads, or all keys equal): the average of the allowed
// values summed in position order, or the first / last allowed value.
template <class S>
void whole_tile(const HeadJob<S>& job, std::size_t i0, std::vector<S>& acc) {
    constexpr std::size_t W = lanes<S>();
    const Interval<S> iv = intervals(job, i0);
    const std::size_t dv = job.dv;
    const bool average = job.rule == Rule::AverageHard || job.rule == Rule::Uniform || job.rule == Rule::Softmax;
    if (average && iv.jmin <= iv.jmax) {
        acc.assign(dv * W, S(0));
        for (std::int64_t j = iv.jmin; j <= iv.jmax; ++j) {
            MaskInt<S> inc[W];
            for (std::size_t l = 0; l < W; ++l) inc[l] = MaskInt<S>(j >= iv.lo[l] && j <= iv.hi[l]);
            const S* v = job.V + static_cast<std::size_t>(j) * dv;
            for (std::size_t c = 0; c < dv; ++c) {
                const S vc = v[c];
                S* a = acc.data() + c * W;
                for (std::size_t l = 0; l < W; ++l) a[l] = inc[l] ? a[l] + vc : a[l];
            }
        }
    }
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        const std::size_t i = i0 + l;
        const std::int64_t lo = iv.lo[l], hi = iv.hi[l];
        finish_row(job, i, lo > hi ? 0 : static_cast<std::uint32_t>(hi - lo + 1));
        if (lo > hi) continue;
        S* out = job.A + i * dv;
        if (average) {
            const S cnt = S(static_cast<long long>(hi - lo + 1));
            for (std::size_t c = 0; c < dv; ++c) out[c] = acc[c * W + l] / cnt;
        } else {
            const std::int64_t j = job.rule == Rule::UniqueHardLeft ? lo : hi;
            std::copy(job.V + static_cast<std::size_t>(j) * dv, job.V + static_cast<std::size_t>(j + 1) * dv, out);
        }
    }
}

// Whole allowed sets that all start at position 0: prefix sums in position order give every
// query's sum with the very additions of a direct sum (P_0 = 0, P_{j+1} = P_j + v_j).
template <class S>
void whole_prefix(const HeadJob<S>& job, std::vector<S>& prefix) {
    const std::size_t dv = job.dv;
    const auto n = static_cast<std::int64_t>(job.n);
    Head h;
    h.mask = job.mask, h.window = job.window;
    const bool average = job.rule == Rule::AverageHard || job.rule == Rule::Uniform || job.rule == Rule::Softmax;
    std::int64_t top = -1;
    for (std::size_t i = job.q_begin; i < job.q_end; ++i) top = std::max(top, allowed_interval(h, static_cast<std::int64_t>(i), n).second);
    if (average) {
        prefix.assign(static_cast<std::size_t>(top + 2) * dv, S(0));
        for (std::int64_t j = 0; j <= top; ++j)
            for (std::size_t c = 0; c < dv; ++c)
                prefix[static_cast<std::size_t>(j + 1) * dv + c] = prefix[static_cast<std::size_t>(j) * dv + c] + job.V[static_cast<std::size_t>(j) * dv + c];
    }
    for (std::size_t i = job.q_begin; i < job.q_end; ++i) {
        auto [lo, hi] = allowed_interval(h, static_cast<std::int64_t>(i), n);
        finish_row(job, i, lo > hi ? 0 : static_cast<std::uint32_t>(hi - lo + 1));
        if (lo > hi) continue;
        S* out = job.A + i * dv;
        if (average) {
            const S cnt = S(static_cast<long long>(hi - lo + 1));
            for (std::size_t c = 0; c < dv; ++c) out[c] = prefix[static_cast<std::size_t>(hi + 1) * dv + c] / cnt;
        } else {
            const std::int64_t j = job.rule == Rule::UniqueHardLeft ? lo : hi;
            std::copy(job.V + static_cast<std::size_t>(j) * dv, job.V + static_cast<std::size_t>(j + 1) * dv, out);
        }
    }
}

// Softmax, reference order: the interpreter's two passes per query (maximum, then weights
// e^{beta (s - max)} summed in position order with the library exp), one query at a time.
template <class S>
void softmax_reference(const HeadJob<S>& job, std::size_t i0, std::vector<S>& s) {
    constexpr std::size_t W = lanes<S>();
    const Interval<S> iv = intervals(job, i0);
    const std::size_t dk = job.dk, dv = job.dv;
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        const std::size_t i = i0 + l;
        const std::int64_t lo = iv.lo[l], hi = iv.hi[l];
        finish_row(job, i, lo > hi ? 0 : static_cast<std::uint32_t>(hi - lo + 1));
        if (lo > hi) continue;
        s.resize(static_cast<std::size_t>(hi - lo + 1));
        const S* q = job.Q + i * dk;
        for (std::int64_t j = lo; j <= hi; ++j) {
            const S* k = job.K + static_cast<std::size_t>(j) * dk;
            S a = S(0);
            for (std::size_t c = 0; c < dk; ++c) a += q[c] * k[c];
            s[static_cast<std::size_t>(j - lo)] = a;
        }
        S best = s[0];
        for (const S& x : s)
            if (best < x) best = x;
        S total = S(0);
        S* out = job.A + i * dv;
        std::fill(out, out + dv, S(0));
        for (std::int64_t j = lo; j <= hi; ++j) {
            using std::exp;
            const S w = exp(job.beta * (s[static_cast<std::size_t>(j - lo)] - best));
            total += w;
            const S* v = job.V + static_cast<std::size_t>(j) * dv;
            for (std::size_t c = 0; c < dv; ++c) out[c] += w * v[c];
        }
        for (std::size_t c = 0; c < dv; ++c) out[c] /= total;
    }
}

// e^x for x <= 0 on W lanes: x = k ln 2 + r, |r| <= ln2 / 2, a Taylor polynomial of r (degree
// 12 for double, 7 for float: below 2 ulp), scaled by 2^k through the exponent bits. Inputs
// below the smallest normal result give 0; NaN stays NaN.
template <class S>
inline void exp_lanes(S* x) {
    constexpr std::size_t W = lanes<S>();
    using I = MaskInt<S>;
    constexpr bool dbl = sizeof(S) == 8;
    constexpr S lo_cut = dbl ? S(-708.0) : S(-87.0);
    constexpr S log2e = S(1.4426950408889634);
    constexpr S ln2_hi = dbl ? S(0.6931471805598903) : S(0.693359375);
    constexpr S ln2_lo = dbl ? S(5.497923018708371e-14) : S(-2.12194440e-4);
    constexpr int degree = dbl ? 12 : 7;
    for (std::size_t l = 0; l < W; ++l) {
        const S v = x[l];
        const bool zero = v < lo_cut;
        const S xv = zero ? S(0) : v;
        const S k = std::nearbyint(xv * log2e);
        const S r = (xv - k * ln2_hi) - k * ln2_lo;
        S p = S(1);
        for (int d = degree; d >= 1; --d) p = S(1) + p * r * S(1.0 / d);
        const I e = static_cast<I>(k) + (dbl ? 1023 : 127);
        const I bits = e << (dbl ? 52 : 23);
        S scale;
        std::memcpy(&scale, &bits, sizeof scale);
        x[l] = zero ? S(0) : p * scale;
    }
}

// Softmax, fast order: keys in blocks of KB; per block the lanes' running maximum, one
// rescale of the running sums (online softmax), the vector exp, fused multiply-adds.
template <class S>
void softmax_fast(const HeadJob<S>& job, std::size_t i0, std::vector<S>& qt, std::vector<S>& acc, std::vector<S>& blk) {
    constexpr std::size_t W = lanes<S>(), KB = 32;
    const Interval<S> iv = intervals(job, i0);
    const std::size_t dk = job.dk, dv = job.dv;
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        const std::int64_t lo = iv.lo[l], hi = iv.hi[l];
        finish_row(job, i0 + l, lo > hi ? 0 : static_cast<std::uint32_t>(hi - lo + 1));
    }
    if (iv.jmin > iv.jmax) return;
    load_queries(job, i0, qt);
    acc.assign(dv * W, S(0));
    blk.resize(KB * W);
    constexpr S ninf = -std::numeric_limits<S>::infinity();
    S m[W], total[W], scale[W], bm[W];
    for (std::size_t l = 0; l < W; ++l) m[l] = ninf, total[l] = S(0);
    for (std::int64_t j0 = iv.jmin; j0 <= iv.jmax; j0 += KB) {
        const std::size_t nb = static_cast<std::size_t>(std::min<std::int64_t>(KB, iv.jmax - j0 + 1));
        for (std::size_t l = 0; l < W; ++l) bm[l] = ninf;
        for (std::size_t b = 0; b < nb; ++b) {
            const std::int64_t j = j0 + static_cast<std::int64_t>(b);
            S* s = blk.data() + b * W;
            score<S, true>(qt.data(), job.K + static_cast<std::size_t>(j) * dk, dk, s);
            for (std::size_t l = 0; l < W; ++l) {
                const bool allowed = j >= iv.lo[l] && j <= iv.hi[l];
                s[l] = allowed ? job.beta * s[l] : ninf;
                bm[l] = s[l] > bm[l] ? s[l] : bm[l];
            }
        }
        for (std::size_t l = 0; l < W; ++l) {
            const S mn = bm[l] > m[l] ? bm[l] : m[l];
            scale[l] = m[l] == ninf ? S(0) : m[l] - mn;
            m[l] = mn;
        }
        exp_lanes<S>(scale);
        for (std::size_t l = 0; l < W; ++l) {
            if (m[l] == ninf) scale[l] = S(1);  // nothing allowed yet: sums stay 0
            total[l] *= scale[l];
        }
        for (std::size_t c = 0; c < dv; ++c)
            for (std::size_t l = 0; l < W; ++l) acc[c * W + l] *= scale[l];
        for (std::size_t b = 0; b < nb; ++b) {
            S* s = blk.data() + b * W;
            for (std::size_t l = 0; l < W; ++l) s[l] = m[l] == ninf ? ninf : s[l] - m[l];
            exp_lanes<S>(s);
            for (std::size_t l = 0; l < W; ++l) total[l] += s[l];
            const S* v = job.V + static_cast<std::size_t>(j0 + static_cast<std::int64_t>(b)) * dv;
            for (std::size_t c = 0; c < dv; ++c) {
                const S vc = v[c];
                S* a = acc.data() + c * W;
                for (std::size_t l = 0; l < W; ++l) a[l] = madd<S, true>(s[l], vc, a[l]);
            }
        }
    }
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        if (iv.lo[l] > iv.hi[l]) continue;
        S* out = job.A + (i0 + l) * dv;
        for (std::size_t c = 0; c < dv; ++c) out[c] = acc[c * W + l] / total[l];
    }
}

template <class S, bool Fast>
void attend_impl(const HeadJob<S>& job) {
    constexpr std::size_t W = lanes<S>();
    thread_local std::vector<S> qt, acc, blk;
    const bool whole = job.rule == Rule::Uniform || job.constant_keys;
    if (whole) {
        const bool from_zero = (job.mask == Mask::None || job.mask == Mask::Past || job.mask == Mask::PastOrSelf) &&
                               (!job.window || *job.window >= job.n);
        if (from_zero) return whole_prefix(job, acc);
        for (std::size_t i0 = job.q_begin; i0 < job.q_end; i0 += W) whole_tile(job, i0, acc);
        return;
    }
    for (std::size_t i0 = job.q_begin; i0 < job.q_end; i0 += W) {
        if (job.rule == Rule::Softmax) {
            if constexpr (Fast && !std::is_same_v<S, bfloat16>) softmax_fast(job, i0, qt, acc, blk);
            else softmax_reference(job, i0, blk);
        } else {
            hard_tile<S, Fast>(job, i0, qt, acc);
        }
    }
}

}  // namespace ahat::numeric::AHAT_KERNEL_NS

namespace ahat::numeric::AHAT_KERNEL_NS {

// C (M x N) = A (M x K) B (K x N), row-major, tiles of 4 rows by 2 W columns kept in
// registers: the machine's own multiply-add ceiling for `ahat bench kernels`. M must be a
// multiple of 4 and N of 2 W.
template <class S>
void gemm_tile(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K) {
    constexpr std::size_t W = lanes<S>(), R = 4, CW = 2 * W;
    for (std::size_t i = 0; i < M; i += R)
        for (std::size_t j = 0; j < N; j += CW) {
            S acc[R][CW] = {};
            for (std::size_t k = 0; k < K; ++k) {
                const S* b = B + k * N + j;
                for (std::size_t r = 0; r < R; ++r) {
                    const S a = A[(i + r) * K + k];
                    for (std::size_t c = 0; c < CW; ++c) acc[r][c] = madd<S, true>(a, b[c], acc[r][c]);
                }
            }
            for (std::size_t r = 0; r < R; ++r)
                for (std::size_t c = 0; c < CW; ++c) C[(i + r) * N + j + c] = acc[r][c];
        }
}

}  // namespace ahat::numeric::AHAT_KERNEL_NS
