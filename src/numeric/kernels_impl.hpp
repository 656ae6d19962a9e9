// The attention kernels, compiled once per instruction set: kernels_avx512.cpp and
// kernels_baseline.cpp include this file inside their own namespace (AHAT_KERNEL_NS), with
// their own target flags; kernels.cpp picks one at start-up. See kernels.hpp for what they
// compute and docs/numeric.md for the design. Only plain loops over the W lanes of a query
// tile: the compiler vectorizes them for the target, and every lane performs exactly the
// operations of its query in the scalar interpreter (reference order).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "numeric/kernels.hpp"

namespace ahat::numeric::AHAT_KERNEL_NS {

template <class S>
using MaskInt = std::conditional_t<sizeof(S) == 8, std::int64_t, std::int32_t>;

// acc + a * b. Whether it is fused is the translation unit's choice: the reference-order
// units are compiled with -ffp-contract=off (never fused), the fast-order units with
// -ffp-contract=fast (fused where the target has FMA). Fast selects the fast-order algorithms.
template <class S, bool Fast>
inline S madd(S a, S b, S acc) {
    return acc + a * b;
}

// W lanes of S as one GCC vector (float and double), so that the per-key work of a tile is a
// handful of vector instructions whatever the auto-vectorizer decides.
template <class S>
inline constexpr bool has_vector_v = std::is_same_v<S, float> || std::is_same_v<S, double>;
template <class S>
struct VecOf {
    using type = S;
};
template <>
struct VecOf<float> {
    typedef float type __attribute__((vector_size(sizeof(float) * lanes<float>())));
};
template <>
struct VecOf<double> {
    typedef double type __attribute__((vector_size(sizeof(double) * lanes<double>())));
};
template <>
struct VecOf<std::int32_t> {
    typedef std::int32_t type __attribute__((vector_size(sizeof(std::int32_t) * lanes<float>())));
};
template <>
struct VecOf<std::int64_t> {
    typedef std::int64_t type __attribute__((vector_size(sizeof(std::int64_t) * lanes<double>())));
};
// W lanes of a scalar without a vector type (bfloat16, emulated): GCC vector semantics lane by
// lane (comparisons give -1 / 0 masks), so that one kernel serves every format.
template <class T, std::size_t W>
struct Lanes {
    T x[W];
    using Mask = Lanes<std::int32_t, W>;
    template <class F>
    static Lanes map(F f) {
        Lanes r;
        for (std::size_t l = 0; l < W; ++l) r.x[l] = f(l);
        return r;
    }
    template <class F>
    static Mask test(F f) {
        Mask r;
        for (std::size_t l = 0; l < W; ++l) r.x[l] = f(l) ? -1 : 0;
        return r;
    }
    friend Lanes operator+(const Lanes& a, const Lanes& b) { return map([&](std::size_t l) { return a.x[l] + b.x[l]; }); }
    friend Lanes operator-(const Lanes& a, const Lanes& b) { return map([&](std::size_t l) { return a.x[l] - b.x[l]; }); }
    friend Lanes operator*(const Lanes& a, const Lanes& b) { return map([&](std::size_t l) { return a.x[l] * b.x[l]; }); }
    friend Lanes operator&(const Lanes& a, const Lanes& b) { return map([&](std::size_t l) { return a.x[l] & b.x[l]; }); }
    friend Lanes operator+(const Lanes& a, T b) { return map([&](std::size_t l) { return a.x[l] + b; }); }
    friend Lanes operator-(const Lanes& a, T b) { return map([&](std::size_t l) { return a.x[l] - b; }); }
    friend Lanes operator*(const Lanes& a, T b) { return map([&](std::size_t l) { return a.x[l] * b; }); }
    friend Lanes operator*(T a, const Lanes& b) { return map([&](std::size_t l) { return a * b.x[l]; }); }
    Lanes operator-() const { return map([&](std::size_t l) { return -x[l]; }); }
    Lanes& operator-=(const Lanes& b) { return *this = *this - b; }
    friend Mask operator<(const Lanes& a, const Lanes& b) { return test([&](std::size_t l) { return a.x[l] < b.x[l]; }); }
    friend Mask operator>(const Lanes& a, const Lanes& b) { return test([&](std::size_t l) { return a.x[l] > b.x[l]; }); }
    friend Mask operator<=(const Lanes& a, const Lanes& b) { return test([&](std::size_t l) { return a.x[l] <= b.x[l]; }); }
    friend Mask operator>=(const Lanes& a, const Lanes& b) { return test([&](std::size_t l) { return a.x[l] >= b.x[l]; }); }
    friend Mask operator<(const Lanes& a, T b) { return test([&](std::size_t l) { return a.x[l] < b; }); }
};

template <>
struct VecOf<bfloat16> {
    using type = Lanes<bfloat16, lanes<bfloat16>()>;
};
template <class S>
using Vec = typename VecOf<S>::type;
// Lane masks and positions, as wide as S's lanes.
template <class S>
struct IVecOf {
    using type = typename VecOf<MaskInt<S>>::type;
};
template <>
struct IVecOf<bfloat16> {
    using type = Lanes<std::int32_t, lanes<bfloat16>()>;
};
template <class S>
using IVec = typename IVecOf<S>::type;

// mask ? a : b lane by lane (GCC vectors take the conditional operator as it is).
template <class M, class V>
inline V select(const M& mask, const V& a, const V& b) {
    if constexpr (std::is_class_v<V>) return V::map([&](std::size_t l) { return mask.x[l] ? a.x[l] : b.x[l]; });
    else return mask ? a : b;
}
static_assert(sizeof(Vec<float>) == sizeof(float) * lanes<float>() && sizeof(Vec<double>) == sizeof(double) * lanes<double>());

// Each lane's allowed interval, in integers as wide as S so that lane predicates vectorize.
template <class S>
struct Interval {
    MaskInt<S> lo[lanes<S>()], hi[lanes<S>()];
    std::int64_t jmin = 0, jmax = -1;  // union of the lanes' intervals (jmin > jmax: none)
};

// A query tile: up to W query positions, one per lane (consecutive, or in the order that
// sorts similar queries together: which queries share a tile never changes a lane's result).
template <class S>
struct Tile {
    std::size_t row[lanes<S>()] = {};
    std::size_t count = 0;
};

template <class S>
Tile<S> consecutive(const HeadJob<S>& job, std::size_t i0) {
    Tile<S> t;
    for (std::size_t l = 0; l < lanes<S>() && i0 + l < job.q_end; ++l) t.row[t.count++] = i0 + l;
    return t;
}

template <class S>
Interval<S> intervals(const HeadJob<S>& job, const Tile<S>& tile) {
    constexpr std::size_t W = lanes<S>();
    Interval<S> iv;
    Head h;
    h.mask = job.mask;
    h.window = job.window;
    const auto n = static_cast<std::int64_t>(job.n);
    iv.jmin = n, iv.jmax = -1;
    for (std::size_t l = 0; l < W; ++l) {
        if (l >= tile.count) {
            iv.lo[l] = 1, iv.hi[l] = 0;
            continue;
        }
        auto [lo, hi] = allowed_interval(h, static_cast<std::int64_t>(tile.row[l]), n);
        iv.lo[l] = static_cast<MaskInt<S>>(lo), iv.hi[l] = static_cast<MaskInt<S>>(hi);
        if (lo <= hi) iv.jmin = std::min(iv.jmin, lo), iv.jmax = std::max(iv.jmax, hi);
    }
    return iv;
}
template <class S>
Interval<S> intervals(const HeadJob<S>& job, std::size_t i0) {
    return intervals(job, consecutive(job, i0));
}

// The tile's queries, transposed: qt[c * W + l] = Q[row l][c] (zero for empty lanes).
template <class S>
void load_queries(const HeadJob<S>& job, const Tile<S>& tile, std::vector<S>& qt) {
    constexpr std::size_t W = lanes<S>();
    qt.assign(job.dk * W, S(0));
    for (std::size_t l = 0; l < tile.count; ++l)
        for (std::size_t c = 0; c < job.dk; ++c) qt[c * W + l] = job.Q[tile.row[l] * job.dk + c];
}
template <class S>
void load_queries(const HeadJob<S>& job, std::size_t i0, std::vector<S>& qt) {
    load_queries(job, consecutive(job, i0), qt);
}

// s[l] = <q_l, k> accumulated from 0 in coordinate order (the interpreter's dot()).
template <class S, bool Fast>
inline void score(const S* qt, const S* k, std::size_t dk, S* s) {
    constexpr std::size_t W = lanes<S>();
    if constexpr (has_vector_v<S>) {
        using V = Vec<S>;
        V acc = {};
        for (std::size_t c = 0; c < dk; ++c) {
            V q;
            std::memcpy(&q, qt + c * W, sizeof q);
            acc = acc + q * k[c];
        }
        std::memcpy(s, &acc, sizeof acc);
        return;
    }
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
            const MaskInt<S> jj = static_cast<MaskInt<S>>(j);
            for (std::size_t l = 0; l < W; ++l) inc[l] = MaskInt<S>((jj >= iv.lo[l]) & (jj <= iv.hi[l]));
            const S* v = job.V + static_cast<std::size_t>(j) * dv;
            for (std::size_t c = 0; c < dv; ++c) {
                const S vc = v[c];
                S* a = acc.data() + c * W;
                for (std::size_t l = 0; l < W; ++l) a[l] = inc[l] != 0 ? a[l] + vc : a[l];
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

// ---- The dense kernels on vectors: GCC vectors for float and double (each step one
// instruction), Lanes for bfloat16; every lane performs its query's scalar operations.

template <class V>
inline V load_vec(const void* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class V>
inline void store_vec(void* p, const V& v) {
    std::memcpy(p, &v, sizeof v);
}
template <class IV>
inline bool any_lane(const IV& m) {
    std::uint64_t w[sizeof(IV) / 8];
    std::memcpy(w, &m, sizeof w);
    std::uint64_t r = 0;
    for (std::uint64_t x : w) r |= x;
    return r != 0;
}

// Scores of R consecutive keys j..j+R-1 at once: R independent accumulation chains hide the
// latency of the multiply-add; each chain still adds its terms in coordinate order.
template <class S, std::size_t R>
inline void score_block(const S* qt, const S* K, std::int64_t j, std::size_t dk, Vec<S>* out) {
    using V = Vec<S>;
    constexpr std::size_t W = lanes<S>();
    V acc[R];
    for (std::size_t r = 0; r < R; ++r) acc[r] = V{};
    const S* k = K + static_cast<std::size_t>(j) * dk;
    for (std::size_t c = 0; c < dk; ++c) {
        const V q = load_vec<V>(qt + c * W);
        for (std::size_t r = 0; r < R; ++r) acc[r] = acc[r] + q * k[r * dk + c];
    }
    for (std::size_t r = 0; r < R; ++r) out[r] = acc[r];
}

// Calls f(j, scores of key j) for j = j0..j1 in increasing order, scoring 4 keys at a time.
template <class S, class F>
inline void for_scores(const S* qt, const S* K, std::int64_t j0, std::int64_t j1, std::size_t dk, F&& f) {
    Vec<S> sv[4];
    std::int64_t j = j0;
    for (; j + 3 <= j1; j += 4) {
        score_block<S, 4>(qt, K, j, dk, sv);
        for (std::int64_t r = 0; r < 4; ++r) f(j + r, sv[r]);
    }
    for (; j <= j1; ++j) {
        score_block<S, 1>(qt, K, j, dk, sv);
        f(j, sv[0]);
    }
}

inline constexpr double kInvFactorial[] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                                           1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600};

// e^x on a vector for x <= 0: x = k ln 2 + r, |r| <= ln2 / 2, a Taylor polynomial of r
// (degree 12 for double, 7 for float: below 2 ulp), scaled by 2^k through the exponent bits.
// Inputs below the smallest normal result give 0; NaN stays NaN.
template <class S>
inline Vec<S> exp_vec(Vec<S> x) {
    using V = Vec<S>;
    using IV = IVec<S>;
    constexpr bool dbl = sizeof(S) == 8;
    constexpr int degree = dbl ? 12 : 7;
    const IV zero = x < S(dbl ? -708.0 : -87.0);
    const V xv = zero ? V{} : x;
    constexpr S magic = dbl ? S(6755399441055744.0) : S(12582912.0);
    const V k = (xv * S(1.4426950408889634) + magic) - magic;
    const V r = (xv - k * S(dbl ? 0.6931471805598903 : 0.693359375)) - k * S(dbl ? 5.497923018708371e-14 : -2.12194440e-4);
    // Horner on the Taylor coefficients 1/d!: one multiply-add per degree.
    V p = V{} + S(kInvFactorial[degree]);
    for (int d = degree - 1; d >= 0; --d) p = p * r + S(kInvFactorial[d]);
    const IV e = __builtin_convertvector(k, IV) + (dbl ? 1023 : 127);
    const V scale = (V)(e << (dbl ? 52 : 23));
    return zero ? V{} : p * scale;
}

// ---- Pruning key blocks on hard heads. Keys are cut into blocks of kKeyBlock positions with
// their bounding box per coordinate; a lane's scores over a block are bounded above by
// ub = sum_c max(q_c lo_c, q_c hi_c) plus the rounding of the computed dot product
// (|fl(<q,k>) - <q,k>| <= gamma_dk sum_c |q_c k_c|, gamma_m = m u / (1 - m u), u the unit
// roundoff of S, with or without fused multiply-adds) and of the bound's own evaluation in
// double. A block whose bound is below cut(m) = m - 2 tol max(1, |m|) - 16 u |m| for every
// lane, m the lane's running maximum, holds neither a maximum nor a member of the tie set
// (docs/numeric.md, "Pruned key blocks", has the argument): skipping it changes no bit.

template <class S>
constexpr double unit_roundoff() {
    return std::is_same_v<S, double> ? 0x1p-53 : std::is_same_v<S, float> ? 0x1p-24 : 0x1p-8;
}

// cut(m) per lane (NaN where m is NaN or infinite: such lanes never skip).
template <class S>
inline double cut(double m, double tol) {
    const double am = std::abs(m);
    return m - 2 * tol * std::max(1.0, am) - 16 * unit_roundoff<S>() * am;
}

// The order in which tiles take the job's queries: positions sorted by their query rows
// (a total order on the bits, NaN included), so that a tile's lanes look for their maxima in
// the same few key blocks.
template <class S>
void sorted_queries(const HeadJob<S>& job, std::vector<std::size_t>& order) {
    order.resize(job.q_end - job.q_begin);
    for (std::size_t t = 0; t < order.size(); ++t) order[t] = job.q_begin + t;
    const auto key = [](S x) {
        const double d = static_cast<double>(x);
        std::int64_t b;
        std::memcpy(&b, &d, sizeof b);
        return b < 0 ? std::numeric_limits<std::int64_t>::min() - b - 1 : b;  // monotone in d
    };
    const std::size_t dk = job.dk;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const S* a = job.Q + x * dk;
        const S* b = job.Q + y * dk;
        for (std::size_t c = 0; c < dk; ++c) {
            const std::int64_t ka = key(a[c]), kb = key(b[c]);
            if (ka != kb) return ka < kb;
        }
        return false;
    });
}

// Average-hard, leftmost and rightmost on a dense tile: pass 1 takes each lane's maximum
// (its first allowed score, then strictly greater ones, as the interpreter does: a NaN first
// score stays, later NaNs are ignored), pass 2 the tie set {j : max - s_j <= tol * max(1,
// |max|)} with its values summed in position order (or its first / last position). With key
// blocks (kb non-null), pass 1 visits the blocks most likely to hold the maxima first and both
// passes skip the blocks that provably hold no maximum and no tie (the maximum does not depend
// on the order in which keys are seen, except for the sign of a zero maximum, which no later
// step reads).
template <class S, bool Fast>
void hard_tile(const HeadJob<S>& job, const Tile<S>& tile, const KeyBlocks* kb, std::vector<S>& qt, std::vector<S>& acc, std::vector<S>& kept, std::vector<double>& ub) {
    constexpr std::size_t W = lanes<S>();
    using V = Vec<S>;
    using IV = IVec<S>;
    using MI = MaskInt<S>;
    const Interval<S> iv = intervals(job, tile);
    const std::size_t dk = job.dk, dv = job.dv;
    for (std::size_t l = 0; l < tile.count; ++l) finish_row(job, tile.row[l], 0);
    if (iv.jmin > iv.jmax) return;
    load_queries(job, tile, qt);
    const IV lo = load_vec<IV>(iv.lo), hi = load_vec<IV>(iv.hi);
    // Each lane's maximum starts at its first allowed score.
    S m0[W];
    for (std::size_t l = 0; l < W; ++l) {
        m0[l] = S(0);
        if (iv.lo[l] > iv.hi[l]) continue;
        const S* k = job.K + static_cast<std::size_t>(iv.lo[l]) * dk;
        S a = S(0);
        for (std::size_t c = 0; c < dk; ++c) a = madd<S, Fast>(qt[c * W + l], k[c], a);
        m0[l] = a;
    }
    V m = load_vec<V>(m0);
    // Pass 1's scores are kept for pass 2 (the same values a recomputation would give) while
    // the tile's span is below 2^17 keys: O(span W) memory per thread.
    const auto span = static_cast<std::size_t>(iv.jmax - iv.jmin + 1);
    const bool keep = span <= (std::size_t(1) << 17);
    if (keep) kept.resize(span * W);
    // Every lane with an allowed key allows all of [jmin, jmax] (mask none, or one query): no
    // per-key interval test. Lanes without allowed keys compute what nobody reads.
    bool same = true;
    for (std::size_t l = 0; l < W; ++l) same = same && (iv.lo[l] > iv.hi[l] || (iv.lo[l] == iv.jmin && iv.hi[l] == iv.jmax));
    auto pass1 = [&](std::int64_t j, const V& sv) {
        if (same) {
            m = select(sv > m, sv, m);
        } else {
            const IV jj = IV{} + static_cast<MI>(j);
            m = select((jj >= lo) & (jj <= hi) & (sv > m), sv, m);
        }
        if (keep) store_vec(kept.data() + static_cast<std::size_t>(j - iv.jmin) * W, sv);
    };
    // Key blocks b0..b1 cover [jmin, jmax]; ub[(b - b0) * W + l] bounds lane l's scores in
    // block b (-inf where the lane allows no key of the block, +inf where no bound holds).
    const std::size_t b0 = kb ? static_cast<std::size_t>(iv.jmin) / kKeyBlock : 0;
    const std::size_t b1 = kb ? static_cast<std::size_t>(iv.jmax) / kKeyBlock : 0;
    const auto block_range = [&](std::size_t b) {
        return std::pair{std::max<std::int64_t>(iv.jmin, static_cast<std::int64_t>(b * kKeyBlock)),
                         std::min<std::int64_t>(iv.jmax, static_cast<std::int64_t>((b + 1) * kKeyBlock) - 1)};
    };
    double qd[W * 64];
    const bool prune = kb && dk <= 64 && keep;
    thread_local std::vector<char> seen;
    thread_local std::vector<std::pair<double, std::size_t>> visit;
    const auto skippable = [&](std::size_t b, const V& mv) {
        S ms[W];
        store_vec(ms, mv);
        const double* u = ub.data() + (b - b0) * W;
        for (std::size_t l = 0; l < W; ++l)
            if (!(u[l] < cut<S>(static_cast<double>(ms[l]), job.tol))) return false;
        return true;
    };
    if (prune) {
        const std::size_t nb = b1 - b0 + 1;
        ub.assign(nb * W, 0);
        for (std::size_t c = 0; c < dk; ++c)
            for (std::size_t l = 0; l < W; ++l) qd[c * W + l] = static_cast<double>(qt[c * W + l]);
        visit.clear();
        for (std::size_t b = b0; b <= b1; ++b) {
            double* u = ub.data() + (b - b0) * W;
            const double* blo = kb->lo.data() + b * dk;
            const double* bhi = kb->hi.data() + b * dk;
            const double* bmag = kb->mag.data() + b * dk;
            double U[W] = {}, E[W] = {};
            for (std::size_t c = 0; c < dk; ++c)
                for (std::size_t l = 0; l < W; ++l) {
                    const double q = qd[c * W + l];
                    U[l] += std::max(q * blo[c], q * bhi[c]);
                    E[l] += std::abs(q) * bmag[c];
                }
            const auto [j0, j1] = block_range(b);
            double top = -std::numeric_limits<double>::infinity();
            for (std::size_t l = 0; l < W; ++l) {
                if (std::max<std::int64_t>(j0, iv.lo[l]) > std::min<std::int64_t>(j1, iv.hi[l])) {
                    u[l] = -std::numeric_limits<double>::infinity();
                    continue;
                }
                const double bound = U[l] + kb->err * E[l] + kb->tiny + 0x1p-50 * std::abs(U[l]);
                u[l] = kb->finite[b] && !std::isnan(bound) ? bound : std::numeric_limits<double>::infinity();
                top = std::max(top, u[l]);
            }
            if (top > -std::numeric_limits<double>::infinity()) visit.emplace_back(-top, b);
        }
        std::sort(visit.begin(), visit.end());
        seen.assign(nb, 0);
        for (const auto& [neg, b] : visit) {
            if (skippable(b, m)) continue;
            seen[b - b0] = 1;
            const auto [j0, j1] = block_range(b);
            for_scores<S>(qt.data(), job.K, j0, j1, dk, pass1);
        }
    } else {
        for_scores<S>(qt.data(), job.K, iv.jmin, iv.jmax, dk, pass1);
    }
    const V one = V{} + S(1);
    const V am = select(m < V{}, -m, m);
    const V slack = static_cast<S>(job.tol) * select(one < am, am, one);
    IV count = {}, first = IV{} - 1, last = IV{} - 1;
    const bool average = job.rule == Rule::AverageHard;
    if (average) acc.assign(dv * W, S(0));
    auto pass2 = [&](std::int64_t j, const V& sv) {
        const IV jj = IV{} + static_cast<MI>(j);
        const IV inc = same ? IV((m - sv) <= slack) : IV((jj >= lo) & (jj <= hi) & ((m - sv) <= slack));
        if (!any_lane(inc)) return;
        count -= inc;  // true lanes are -1
        if (!average) {
            first = select(inc & (first < 0), jj, first);
            last = select(inc, jj, last);
        } else {
            const S* v = job.V + static_cast<std::size_t>(j) * dv;
            for (std::size_t c = 0; c < dv; ++c) {
                S* a = acc.data() + c * W;
                const V av = load_vec<V>(a);
                store_vec(a, select(inc, av + v[c], av));
            }
        }
    };
    const auto pass2_kept = [&](std::int64_t j0, std::int64_t j1) {
        const S* ks = kept.data() + static_cast<std::size_t>(j0 - iv.jmin) * W;
        if (same && average && dv == 1) {  // the common small head: every step in registers
            V a = load_vec<V>(acc.data());
            for (std::int64_t j = j0; j <= j1; ++j, ks += W) {
                const IV inc = (m - load_vec<V>(ks)) <= slack;
                count -= inc;
                a = select(inc, a + job.V[j], a);
            }
            store_vec(acc.data(), a);
            return;
        }
        for (std::int64_t j = j0; j <= j1; ++j, ks += W) pass2(j, load_vec<V>(ks));
    };
    if (prune) {
        // Blocks in position order; a block skipped in pass 1 stays skippable at the final
        // maximum (cut is increasing), so its scores, never computed, are never read.
        for (std::size_t b = b0; b <= b1; ++b) {
            if (!seen[b - b0] || skippable(b, m)) continue;
            const auto [j0, j1] = block_range(b);
            pass2_kept(j0, j1);
        }
    } else if (keep) {
        pass2_kept(iv.jmin, iv.jmax);
    } else {
        for_scores<S>(qt.data(), job.K, iv.jmin, iv.jmax, dk, pass2);
    }
    MI cnt[W], fst[W], lst[W];
    store_vec(cnt, count), store_vec(fst, first), store_vec(lst, last);
    for (std::size_t l = 0; l < tile.count; ++l) {
        if (iv.lo[l] > iv.hi[l]) continue;
        const std::size_t i = tile.row[l];
        finish_row(job, i, static_cast<std::uint32_t>(cnt[l]));
        S* out = job.A + i * dv;
        if (average) {
            const S n = S(static_cast<long long>(cnt[l]));
            for (std::size_t c = 0; c < dv; ++c) out[c] = acc[c * W + l] / n;
        } else if (fst[l] >= 0) {
            const std::int64_t j = job.rule == Rule::UniqueHardLeft ? fst[l] : lst[l];
            std::copy(job.V + static_cast<std::size_t>(j) * dv, job.V + static_cast<std::size_t>(j + 1) * dv, out);
        }
    }
}

// Softmax, fast order, on vectors: blocks of KB keys, online rescaling once per block.
template <class S>
void softmax_fast_vec(const HeadJob<S>& job, std::size_t i0, std::vector<S>& qt, std::vector<S>& acc, std::vector<S>& blk) {
    constexpr std::size_t W = lanes<S>(), KB = 32;
    using V = Vec<S>;
    using IV = IVec<S>;
    using MI = MaskInt<S>;
    const Interval<S> iv = intervals(job, i0);
    const std::size_t dk = job.dk, dv = job.dv;
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        const std::int64_t lo = iv.lo[l], hi = iv.hi[l];
        finish_row(job, i0 + l, lo > hi ? 0 : static_cast<std::uint32_t>(hi - lo + 1));
    }
    if (iv.jmin > iv.jmax) return;
    load_queries(job, i0, qt);
    const IV lo = load_vec<IV>(iv.lo), hi = load_vec<IV>(iv.hi);
    acc.assign(dv * W, S(0));
    blk.resize(KB * W);
    const S ninf = -std::numeric_limits<S>::infinity();
    V m = V{} + ninf, total = {};
    for (std::int64_t j0 = iv.jmin; j0 <= iv.jmax; j0 += static_cast<std::int64_t>(KB)) {
        const std::size_t nb = static_cast<std::size_t>(std::min<std::int64_t>(KB, iv.jmax - j0 + 1));
        V bm = V{} + ninf;
        for_scores<S>(qt.data(), job.K, j0, j0 + static_cast<std::int64_t>(nb) - 1, dk, [&](std::int64_t j, V sv) {
            const IV jj = IV{} + static_cast<MI>(j);
            sv = ((jj >= lo) & (jj <= hi)) ? job.beta * sv : V{} + ninf;
            store_vec(blk.data() + static_cast<std::size_t>(j - j0) * W, sv);
            bm = sv > bm ? sv : bm;
        });
        const V mn = bm > m ? bm : m;
        const V scale = exp_vec<S>(m != ninf ? m - mn : V{});
        m = mn;
        total *= scale;
        for (std::size_t c = 0; c < dv; ++c) store_vec(acc.data() + c * W, load_vec<V>(acc.data() + c * W) * scale);
        const IV started = m != ninf;
        for (std::size_t b = 0; b < nb; ++b) {
            S* pb = blk.data() + b * W;
            const V p = exp_vec<S>(started ? load_vec<V>(pb) - m : V{} + ninf);
            total += p;
            store_vec(pb, p);
        }
        // The weighted values, 8 value coordinates at a time held in registers across the
        // block's keys (the accumulators leave memory once per block, not once per key).
        const S* v0 = job.V + static_cast<std::size_t>(j0) * dv;
        std::size_t c0 = 0;
        for (; c0 + 8 <= dv; c0 += 8) {
            V a[8];
            for (std::size_t cc = 0; cc < 8; ++cc) a[cc] = load_vec<V>(acc.data() + (c0 + cc) * W);
            for (std::size_t b = 0; b < nb; ++b) {
                const V p = load_vec<V>(blk.data() + b * W);
                const S* v = v0 + b * dv + c0;
                for (std::size_t cc = 0; cc < 8; ++cc) a[cc] = a[cc] + p * v[cc];
            }
            for (std::size_t cc = 0; cc < 8; ++cc) store_vec(acc.data() + (c0 + cc) * W, a[cc]);
        }
        for (; c0 < dv; ++c0) {
            V a = load_vec<V>(acc.data() + c0 * W);
            for (std::size_t b = 0; b < nb; ++b) a = a + load_vec<V>(blk.data() + b * W) * v0[b * dv + c0];
            store_vec(acc.data() + c0 * W, a);
        }
    }
    S tot[W];
    store_vec(tot, total);
    for (std::size_t l = 0; l < W && i0 + l < job.q_end; ++l) {
        if (iv.lo[l] > iv.hi[l]) continue;
        S* out = job.A + (i0 + l) * dv;
        for (std::size_t c = 0; c < dv; ++c) out[c] = acc[c * W + l] / tot[l];
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
    if (job.rule == Rule::Softmax) {
        for (std::size_t i0 = job.q_begin; i0 < job.q_end; i0 += W) {
            if constexpr (Fast && has_vector_v<S>) softmax_fast_vec<S>(job, i0, qt, acc, blk);
            else softmax_reference(job, i0, blk);
        }
        return;
    }
    thread_local std::vector<std::size_t> order;
    thread_local std::vector<double> ub;
    const KeyBlocks* kb = job.blocks;
    if (!kb) {
        for (std::size_t i0 = job.q_begin; i0 < job.q_end; i0 += W) hard_tile<S, Fast>(job, consecutive(job, i0), nullptr, qt, acc, blk, ub);
        return;
    }
    sorted_queries(job, order);
    for (std::size_t t0 = 0; t0 < order.size(); t0 += W) {
        Tile<S> tile;
        for (std::size_t t = t0; t < order.size() && tile.count < W; ++t) tile.row[tile.count++] = order[t];
        hard_tile<S, Fast>(job, tile, kb, qt, acc, blk, ub);
    }
}

}  // namespace ahat::numeric::AHAT_KERNEL_NS

namespace ahat::numeric::AHAT_KERNEL_NS {

// C (M x N) = A (M x K) B (K x N), row-major, tiles of 4 rows by 2 W columns kept in
// registers: the machine's own multiply-add ceiling for `ahat bench kernels`. M must be a
// multiple of 4 and N of 2 W.
template <class S>
void gemm_tile(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K) {
    constexpr std::size_t W = lanes<S>(), R = 4;
    using V = Vec<S>;
    for (std::size_t i = 0; i < M; i += R)
        for (std::size_t j = 0; j < N; j += 2 * W) {
            V acc[R][2];
            for (std::size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = V{};
            for (std::size_t k = 0; k < K; ++k) {
                const V b0 = load_vec<V>(B + k * N + j), b1 = load_vec<V>(B + k * N + j + W);
                for (std::size_t r = 0; r < R; ++r) {
                    const S a = A[(i + r) * K + k];
                    acc[r][0] = acc[r][0] + a * b0;
                    acc[r][1] = acc[r][1] + a * b1;
                }
            }
            for (std::size_t r = 0; r < R; ++r) {
                store_vec(C + (i + r) * N + j, acc[r][0]);
                store_vec(C + (i + r) * N + j + W, acc[r][1]);
            }
        }
}

}  // namespace ahat::numeric::AHAT_KERNEL_NS
