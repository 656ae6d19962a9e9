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
#if defined(__x86_64__) && defined(__GNUC__)
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

template void attend<double>(const HeadJob<double>&, Order);
template void attend<float>(const HeadJob<float>&, Order);
template void attend<bfloat16>(const HeadJob<bfloat16>&, Order);
template bool attend_grouped<double>(const HeadJob<double>&);
template bool attend_grouped<float>(const HeadJob<float>&);
template bool attend_grouped<bfloat16>(const HeadJob<bfloat16>&);

}  // namespace ahat::numeric
