#include "numeric/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace ahat::numeric {
namespace avx512 {
template <class S, bool Fast>
void attend_impl(const HeadJob<S>& job);
template <class S>
void gemm_tile(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K);
}  // namespace avx512
namespace baseline {
template <class S, bool Fast>
void attend_impl(const HeadJob<S>& job);
template <class S>
void gemm_tile(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K);
}  // namespace baseline

namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(AHAT_NO_AVX512)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool& use_avx512() {
    static bool on = cpu_has_avx512();
    return on;
}

}  // namespace

std::string_view kernel_isa() { return use_avx512() ? "avx512" : "baseline"; }

bool force_baseline_kernels(bool on) {
    const bool had = !use_avx512();
    use_avx512() = on ? false : cpu_has_avx512();
    return had;
}

template <class S>
void attend(const HeadJob<S>& job, Order order) {
    if constexpr (std::is_same_v<S, bfloat16>) {
        baseline::attend_impl<S, false>(job);  // emulated: one order only
    } else {
        const bool fast = order == Order::Fast;
        if (use_avx512()) fast ? avx512::attend_impl<S, true>(job) : avx512::attend_impl<S, false>(job);
        else fast ? baseline::attend_impl<S, true>(job) : baseline::attend_impl<S, false>(job);
    }
}

template <class S>
void gemm(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K) {
    if (use_avx512()) avx512::gemm_tile(A, B, C, M, N, K);
    else baseline::gemm_tile(A, B, C, M, N, K);
}
template void gemm<double>(const double*, const double*, double*, std::size_t, std::size_t, std::size_t);
template void gemm<float>(const float*, const float*, float*, std::size_t, std::size_t, std::size_t);

template <class S>
bool key_blocks(const HeadJob<S>& job, KeyBlocks& kb) {
    constexpr bool dbl = std::is_same_v<S, double>;
    const double u = dbl ? 0x1p-53 : std::is_same_v<S, float> ? 0x1p-24 : 0x1p-8;
    const double subnormal = dbl ? 0x1p-1074 : 0x1p-149;  // bfloat16 has float's range
    const std::size_t dk = job.dk, n = job.n;
    const bool hard = job.rule == Rule::AverageHard || job.rule == Rule::UniqueHardLeft || job.rule == Rule::UniqueHardRight;
    if (!hard || dk == 0 || dk > 64 || static_cast<double>(dk + 1) * u >= 1.0 / 16 || !(job.tol >= 0 && job.tol < 0.25) || n <= 4 * kKeyBlock)
        return false;
    kb.count = (n + kKeyBlock - 1) / kKeyBlock;
    kb.lo.assign(kb.count * dk, 0), kb.hi.assign(kb.count * dk, 0), kb.mag.assign(kb.count * dk, 0);
    kb.finite.assign(kb.count, 1);
    for (std::size_t b = 0; b < kb.count; ++b) {
        double* lo = kb.lo.data() + b * dk;
        double* hi = kb.hi.data() + b * dk;
        double* mag = kb.mag.data() + b * dk;
        const std::size_t j1 = std::min(n, (b + 1) * kKeyBlock);
        for (std::size_t c = 0; c < dk; ++c) lo[c] = hi[c] = static_cast<double>(job.K[b * kKeyBlock * dk + c]);
        for (std::size_t j = b * kKeyBlock; j < j1; ++j)
            for (std::size_t c = 0; c < dk; ++c) {
                const double x = static_cast<double>(job.K[j * dk + c]);
                if (!std::isfinite(x)) kb.finite[b] = 0;
                lo[c] = std::min(lo[c], x), hi[c] = std::max(hi[c], x);
            }
        for (std::size_t c = 0; c < dk; ++c) mag[c] = std::max(std::abs(lo[c]), std::abs(hi[c]));
    }
    double width = 0;
    std::size_t varying = 0;
    for (std::size_t c = 0; c < dk; ++c) {
        double glo = kb.lo[c], ghi = kb.hi[c], sum = 0;
        for (std::size_t b = 0; b < kb.count; ++b) glo = std::min(glo, kb.lo[b * dk + c]), ghi = std::max(ghi, kb.hi[b * dk + c]);
        if (!(ghi > glo) || !std::isfinite(ghi - glo)) continue;
        for (std::size_t b = 0; b < kb.count; ++b) sum += (kb.hi[b * dk + c] - kb.lo[b * dk + c]) / (ghi - glo);
        width += sum / static_cast<double>(kb.count), ++varying;
    }
    if (varying == 0 || width > 0.25 * static_cast<double>(varying)) return false;
    // gamma_m = m u / (1 - m u) bounds the relative rounding of an m-term dot product
    // (fused or not): once for the computed score in S, once for the bound's own sum in double.
    const auto gamma = [&](double unit) {
        const double m = static_cast<double>(dk + 1) * unit;
        return m / (1 - m);
    };
    kb.err = 2 * (gamma(u) + gamma(0x1p-53));
    kb.tiny = 4 * static_cast<double>(dk + 1) * subnormal;
    return true;
}

template <class S>
bool attend_grouped(const HeadJob<S>& job) {
    if constexpr (std::is_same_v<S, bfloat16>) {
        (void)job;
        return false;
    } else {
        if (job.window || job.rule == Rule::Uniform || job.constant_keys || job.n < 64) return false;
        const std::size_t n = job.n, dk = job.dk, dv = job.dv;
        const std::size_t limit = std::min<std::size_t>(1024, n / 8);
        // Groups of bitwise-equal key rows (equal rows give equal scores for every query).
        std::vector<std::uint32_t> gid(n), rep;
        std::unordered_multimap<std::uint64_t, std::uint32_t> seen;
        for (std::size_t j = 0; j < n; ++j) {
            const S* k = job.K + j * dk;
            std::uint64_t h = 1469598103934665603ull;
            const auto* bytes = reinterpret_cast<const unsigned char*>(k);
            for (std::size_t b = 0; b < dk * sizeof(S); ++b) h = (h ^ bytes[b]) * 1099511628211ull;
            std::uint32_t g = UINT32_MAX;
            for (auto [it, end] = seen.equal_range(h); it != end; ++it)
                if (std::memcmp(job.K + rep[it->second] * dk, k, dk * sizeof(S)) == 0) g = it->second;
            if (g == UINT32_MAX) {
                g = static_cast<std::uint32_t>(rep.size());
                if (g >= limit) return false;
                rep.push_back(static_cast<std::uint32_t>(j));
                seen.emplace(h, g);
            }
            gid[j] = g;
        }
        const std::size_t G = rep.size();
        std::vector<S> sum(G * dv, S(0)), s(G);
        std::vector<std::uint32_t> cnt(G, 0);
        std::vector<std::int64_t> first(G, -1), last(G, -1);
        auto insert = [&](std::size_t j) {
            const std::uint32_t g = gid[j];
            for (std::size_t c = 0; c < dv; ++c) sum[g * dv + c] += job.V[j * dv + c];
            ++cnt[g];
            const auto jj = static_cast<std::int64_t>(j);
            first[g] = first[g] < 0 ? jj : std::min(first[g], jj);
            last[g] = std::max(last[g], jj);
        };
        Head h;
        h.mask = job.mask;
        const bool descending = job.mask == Mask::Future || job.mask == Mask::FutureOrSelf;
        const auto N = static_cast<std::int64_t>(n);
        std::int64_t next = descending ? N - 1 : 0;  // next key to insert
        const S tol = static_cast<S>(job.tol);
        for (std::size_t step = 0; step < n; ++step) {
            const std::size_t i = descending ? n - 1 - step : step;
            auto [lo, hi] = allowed_interval(h, static_cast<std::int64_t>(i), N);
            if (descending) {
                while (next >= lo && next >= 0) insert(static_cast<std::size_t>(next--));
            } else {
                while (next <= hi && next < N) insert(static_cast<std::size_t>(next++));
            }
            if (i < job.q_begin || i >= job.q_end) continue;
            S* out = job.A + i * dv;
            std::fill(out, out + dv, S(0));
            if (lo > hi) {
                if (job.selected) job.selected[i] = 0;
                continue;
            }
            const S* q = job.Q + i * dk;
            S best = S(0);
            bool started = false;
            for (std::size_t g = 0; g < G; ++g) {
                if (!cnt[g]) continue;
                const S* k = job.K + rep[g] * dk;
                S a = S(0);
                for (std::size_t c = 0; c < dk; ++c) a = a + q[c] * k[c];
                s[g] = a;
                if (!started || a > best) best = a;
                started = true;
            }
            std::uint64_t count = 0;
            if (job.rule == Rule::Softmax) {
                S total = S(0);
                for (std::size_t g = 0; g < G; ++g) {
                    if (!cnt[g]) continue;
                    const S w = std::exp(job.beta * (s[g] - best));
                    total += w * S(cnt[g]);
                    for (std::size_t c = 0; c < dv; ++c) out[c] += w * sum[g * dv + c];
                    count += cnt[g];
                }
                for (std::size_t c = 0; c < dv; ++c) out[c] /= total;
            } else {
                const S slack = tol * std::max<S>(S(1), std::abs(best));
                std::int64_t pick = -1;
                for (std::size_t g = 0; g < G; ++g) {
                    if (!cnt[g] || !(best - s[g] <= slack)) continue;
                    count += cnt[g];
                    if (job.rule == Rule::AverageHard)
                        for (std::size_t c = 0; c < dv; ++c) out[c] += sum[g * dv + c];
                    else if (job.rule == Rule::UniqueHardLeft)
                        pick = pick < 0 ? first[g] : std::min(pick, first[g]);
                    else
                        pick = std::max(pick, last[g]);
                }
                if (job.rule == Rule::AverageHard) {
                    for (std::size_t c = 0; c < dv; ++c) out[c] /= S(static_cast<long long>(count));
                } else if (pick >= 0) {
                    std::copy(job.V + static_cast<std::size_t>(pick) * dv, job.V + static_cast<std::size_t>(pick + 1) * dv, out);
                }
            }
            if (job.selected) job.selected[i] = static_cast<std::uint32_t>(count);
        }
        return true;
    }
}

namespace {

// A job whose queries repeat: the distinct query rows (first occurrence order) with their
// own outputs, and each query's row among them. Every allowed set is the whole sequence
// (mask none, no window), so equal query rows go through the very same operations: the
// representative's output is every copy's output, bit for bit, in either order.
template <class S>
struct Distinct {
    std::vector<S> Q, A;
    std::vector<std::uint32_t> selected, row_of;
};

template <class S>
bool distinct_queries(HeadJob<S>& job, Distinct<S>& d) {
    if (job.mask != Mask::None || job.window || job.q_end - job.q_begin < 64) return false;
    const std::size_t dk = job.dk, count = job.q_end - job.q_begin;
    std::unordered_multimap<std::uint64_t, std::uint32_t> seen;
    d.row_of.resize(count);
    std::vector<std::size_t> rep;
    for (std::size_t t = 0; t < count; ++t) {
        const S* q = job.Q + (job.q_begin + t) * dk;
        std::uint64_t h = 1469598103934665603ull;
        const auto* bytes = reinterpret_cast<const unsigned char*>(q);
        for (std::size_t b = 0; b < dk * sizeof(S); ++b) h = (h ^ bytes[b]) * 1099511628211ull;
        std::uint32_t g = UINT32_MAX;
        for (auto [it, end] = seen.equal_range(h); it != end && g == UINT32_MAX; ++it)
            if (std::memcmp(job.Q + rep[it->second] * dk, q, dk * sizeof(S)) == 0) g = it->second;
        if (g == UINT32_MAX) {
            g = static_cast<std::uint32_t>(rep.size());
            if (rep.size() >= count / 2) {  // too few repeats to pay
                d.row_of.clear();
                return false;
            }
            rep.push_back(job.q_begin + t);
            seen.emplace(h, g);
        }
        d.row_of[t] = g;
    }
    const std::size_t G = rep.size();
    d.Q.resize(G * dk);
    for (std::size_t g = 0; g < G; ++g) std::copy(job.Q + rep[g] * dk, job.Q + (rep[g] + 1) * dk, d.Q.begin() + static_cast<std::ptrdiff_t>(g * dk));
    d.A.assign(G * job.dv, S(0));
    d.selected.assign(G, 0);
    return true;
}

template <class S>
void scatter(const HeadJob<S>& job, const Distinct<S>& d) {
    for (std::size_t t = 0; t < d.row_of.size(); ++t) {
        const std::size_t i = job.q_begin + t, g = d.row_of[t];
        std::copy(d.A.begin() + static_cast<std::ptrdiff_t>(g * job.dv), d.A.begin() + static_cast<std::ptrdiff_t>((g + 1) * job.dv), job.A + i * job.dv);
        if (job.selected) job.selected[i] = d.selected[g];
    }
}

}  // namespace

template <class S>
void attend_all(std::vector<HeadJob<S>>& jobs, Order order, int threads, bool shortcuts) {
    // Whole jobs first where they need no query split (constant keys: prefix sums or one
    // interval; the grouped path) and, for the others, their distinct query rows when queries
    // repeat; then blocks of 256 queries of what remains.
    constexpr std::size_t kQueryBlock = 256;
    const auto J = static_cast<std::int64_t>(jobs.size());
    std::vector<char> done(jobs.size(), 0);
    std::vector<Distinct<S>> distinct(jobs.size());
    std::vector<KeyBlocks> blocks(jobs.size());
    std::vector<HeadJob<S>> rest = jobs;  // what the blocks run: a job, or its distinct queries
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::int64_t p = 0; p < J; ++p) {
        const auto P = static_cast<std::size_t>(p);
        HeadJob<S>& job = jobs[P];
        bool constant = job.rule == Rule::Uniform || job.dk == 0;
        if (!shortcuts) {
            job.constant_keys = rest[P].constant_keys = constant;
            if (constant) attend(job, order), done[P] = 1;
            continue;
        }
        if (!constant) {
            constant = true;
            for (std::size_t j = 1; j < job.n && constant; ++j) constant = std::equal(job.K + j * job.dk, job.K + (j + 1) * job.dk, job.K);
        }
        job.constant_keys = constant;
        rest[P].constant_keys = constant;
        if (constant) {
            attend(job, order);
            done[P] = 1;
        } else if (order == Order::Fast && attend_grouped(job)) {
            done[P] = 1;
        } else if (distinct_queries(job, distinct[P])) {
            HeadJob<S>& r = rest[P];
            r.Q = distinct[P].Q.data(), r.A = distinct[P].A.data();
            r.selected = job.selected ? distinct[P].selected.data() : nullptr;
            r.q_begin = 0, r.q_end = distinct[P].selected.size();
        }
        if (!done[P] && key_blocks(rest[P], blocks[P])) rest[P].blocks = &blocks[P];
    }
    std::vector<HeadJob<S>> split;
    for (std::size_t p = 0; p < jobs.size(); ++p) {
        if (done[p]) continue;
        for (std::size_t q0 = rest[p].q_begin; q0 < rest[p].q_end; q0 += kQueryBlock) {
            HeadJob<S> job = rest[p];
            job.q_begin = q0, job.q_end = std::min(rest[p].q_end, q0 + kQueryBlock);
            split.push_back(job);
        }
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::int64_t t = 0; t < static_cast<std::int64_t>(split.size()); ++t) attend(split[static_cast<std::size_t>(t)], order);
    for (std::size_t p = 0; p < jobs.size(); ++p)
        if (!distinct[p].row_of.empty()) scatter(jobs[p], distinct[p]);
}

template void attend_all<double>(std::vector<HeadJob<double>>&, Order, int, bool);
template void attend_all<float>(std::vector<HeadJob<float>>&, Order, int, bool);
template void attend_all<bfloat16>(std::vector<HeadJob<bfloat16>>&, Order, int, bool);
template void attend<double>(const HeadJob<double>&, Order);
template void attend<float>(const HeadJob<float>&, Order);
template void attend<bfloat16>(const HeadJob<bfloat16>&, Order);
template bool key_blocks<double>(const HeadJob<double>&, KeyBlocks&);
template bool key_blocks<float>(const HeadJob<float>&, KeyBlocks&);
template bool key_blocks<bfloat16>(const HeadJob<bfloat16>&, KeyBlocks&);
template bool attend_grouped<double>(const HeadJob<double>&);
template bool attend_grouped<float>(const HeadJob<float>&);
template bool attend_grouped<bfloat16>(const HeadJob<bfloat16>&);

}  // namespace ahat::numeric
