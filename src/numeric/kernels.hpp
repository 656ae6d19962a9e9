// Attention kernels of the numeric engine (internal to src/numeric).
//
// Offers:
//   HeadJob<S>     one head on one instance: Q (n x dk), K (n x dk), V (n x dv) row-major, the
//                  output A (n x dv, written, not accumulated), |M_i| per query (optional),
//                  rule, mask, window, beta, tie tolerance, and the query range to do.
//   attend(job, order)   runs the job with the kernels of the best instruction set this
//                  processor has (AVX-512 or the x86-64 baseline; chosen once at start-up).
//   attend_all(jobs, order, threads, shortcuts)   many jobs at once on a thread team (the
//                  engine's layer); shortcuts = false: every hard and softmax head on the dense
//                  tiles (no prefix sums for constant keys, no groups, no repeated-query or
//                  key-block pruning), a cost that depends on the shapes only.
//   kernel_isa()   the instruction set chosen: "avx512" or "baseline".
// Reference order (Order::Reference) repeats the scalar interpreter's arithmetic operation
// for operation, so results are bit-for-bit those of Program<S> (docs/numeric.md says how):
// lanes hold queries, and each lane does exactly the scalar operations of its query. The fast
// order fuses multiply-adds, streams softmax online with a vector exp, and sums whole groups
// of equal keys at once; its error is measured against the reference, never assumed.
// Cost per head and instance: O(|allowed pairs| dk) for hard and softmax heads on the dense
// tiles (hard rules: the maximum, then the tie set from the kept scores), O(n dv) for
// uniform heads whose allowed sets start at 0 (prefix sums), O(n G (dk + dv)) on the grouped
// path (fast order, G distinct keys, no window). Memory: O(W (dk + dv)) per query tile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "encoder/encoder.hpp"
#include "exact/bfloat16.hpp"

namespace ahat::numeric {

enum class Order : std::uint8_t { Reference, Fast };

// Key blocks of a hard head, for pruning (kernels_impl.hpp, docs/numeric.md): per block of
// kKeyBlock positions and per coordinate, the least and greatest key value and the largest
// magnitude, in double; a block with a non-finite value is never skipped.
inline constexpr std::size_t kKeyBlock = 32;
struct KeyBlocks {
    std::size_t count = 0;
    std::vector<double> lo, hi, mag;  // count x dk
    std::vector<char> finite;         // per block
    double err = 0, tiny = 0;         // a lane's scores in a block are <= U + err E + tiny + 2^-50 |U|
};

template <class S>
struct HeadJob {
    const S* Q = nullptr;
    const S* K = nullptr;
    const S* V = nullptr;
    S* A = nullptr;
    std::uint32_t* selected = nullptr;  // n entries or null
    std::size_t n = 0, dk = 0, dv = 0;
    Rule rule = Rule::AverageHard;
    Mask mask = Mask::None;
    std::optional<std::uint64_t> window;
    S beta = S(1);
    double tol = 0;
    bool constant_keys = false;  // every key row equal (or dk = 0): the whole allowed set ties
                                 // (attend_all decides it)
    const KeyBlocks* blocks = nullptr;  // hard rules: skip blocks that provably hold no maximum
                                        // and no tie (null: score every allowed key)
    std::size_t q_begin = 0, q_end = 0;
};

// Query tile width (lanes) of the kernels for S.
template <class S>
constexpr std::size_t lanes() {
    return std::is_same_v<S, double> ? 8 : std::is_same_v<S, float> ? 16 : 8;
}

template <class S>
void attend(const HeadJob<S>& job, Order order);
// Every job on `threads` OpenMP threads: jobs that need no query split first (it decides
// constant_keys, and in the fast order tries the grouped path), then blocks of 256 queries.
// Each output row is written by one thread: the result does not depend on `threads`.
template <class S>
void attend_all(std::vector<HeadJob<S>>& jobs, Order order, int threads, bool shortcuts = true);
std::string_view kernel_isa();
// Tests: use the baseline kernels even where AVX-512 exists (true), or the best again
// (false); returns whether the baseline was forced before.
bool force_baseline_kernels(bool on);

// C (M x N) = A (M x K) B (K x N) with register tiles (M a multiple of 4, N of 2 lanes<S>()):
// the multiply-add ceiling that `ahat bench kernels` measures beside the attention kernels.
template <class S>
void gemm(const S* A, const S* B, S* C, std::size_t M, std::size_t N, std::size_t K);

// The key blocks of a hard head where pruning may apply and pays: dk (u_S) < 1/16, tol < 1/4,
// n above four blocks, and blocks narrower than a quarter of the keys' range on average over
// the coordinates (keys that vary along the positions, as compiled lookups have; random or
// one-hot keys fill every block's box, and their bounds would cost without skipping). The
// choice depends on K alone: never on threads, and never on a result.
template <class S>
bool key_blocks(const HeadJob<S>& job, KeyBlocks& kb);

// Grouped path (fast order): true when it handled the job (keys with few distinct rows).
template <class S>
bool attend_grouped(const HeadJob<S>& job);

}  // namespace ahat::numeric
