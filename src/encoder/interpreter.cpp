#include "encoder/interpreter.hpp"

#include "encoder/fast_attention.hpp"
#include "exact/fast_path.hpp"
#include "support/plural.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include <omp.h>

namespace ahat {

int exact_threads(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_max_threads());  // OMP_NUM_THREADS, or every core
}

template <class S>
Program<S>::Program(const Encoder& enc) : enc_(&enc) {
    validate(enc);
    for (const Layer& layer : enc.layers) {
        auto& lowered = heads_.emplace_back();
        for (const Head& h : layer.heads) {
            if constexpr (is_exact_v<S>) {
                if (h.rule == Rule::Softmax)
                    fail(h.loc, "softmax attention has no exact semantics; run it with --precision double or float");
            }
            lowered.push_back(LoweredHead{convert<S>(h.query), convert<S>(h.key), convert<S>(h.value),
                                          convert<S>(h.output), from_rational<S>(h.beta)});
        }
        Touched& t = touched_.emplace_back();
        for (const LoweredHead& h : lowered) {
            for (const Affine<S>* f : {&h.query, &h.key, &h.value}) t.reads.insert(t.reads.end(), f->A.col.begin(), f->A.col.end());
            t.writes.insert(t.writes.end(), h.output.used.begin(), h.output.used.end());
        }
        if (layer.ffn) t.writes.insert(t.writes.end(), layer.ffn->writes.begin(), layer.ffn->writes.end());
        for (auto* v : {&t.reads, &t.writes}) {
            std::sort(v->begin(), v->end());
            v->erase(std::unique(v->begin(), v->end()), v->end());
        }
    }
}

namespace {

// Exact runs split the rows of a layer's row-wise work (the maps, the feed-forward circuits,
// the queries of structured heads) into contiguous blocks shared out among the threads. Every row is computed
// by the same code in the same order whatever the split, so results do not depend on it. Fewer
// rows than this per thread are not split (waking a thread would cost more than they do).
constexpr std::size_t kRowsPerThread = 128;

// The threads a run's row-wise work uses: `requested` (0: every core), at most one per
// kRowsPerThread rows, one within another OpenMP parallel region. The threads are OpenMP's,
// which live as long as the process: each keeps its pool of GMP blocks (src/exact/rational.cpp).
int row_threads(int requested, std::size_t rows) {
    if (omp_in_parallel()) return 1;
    const auto T = static_cast<std::size_t>(exact_threads(requested));
    return static_cast<int>(std::max<std::size_t>(1, std::min(T, rows / kRowsPerThread)));
}

// f(lo, hi) for contiguous blocks of the rows 0..n-1 (up to 8 per thread, taken as threads
// become free: rows differ in cost). An exception ends its block; the lowest block's is
// rethrown once all have finished: it is the one a single thread would have met first (rows
// are visited in order within a block).
template <class F>
void for_rows(std::size_t n, int T, const F& f) {
    if (T <= 1) return f(std::size_t{0}, n);
    const std::size_t blocks = std::max<std::size_t>(static_cast<std::size_t>(T),
                                                     std::min<std::size_t>(8 * static_cast<std::size_t>(T), n / kRowsPerThread));
    std::vector<std::exception_ptr> errors(blocks);
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (std::size_t b = 0; b < blocks; ++b) {
        try {
            f(n * b / blocks, n * (b + 1) / blocks);
        } catch (...) {
            errors[b] = std::current_exception();
        }
    }
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
}

// Key indexes of recent heads: compiled encoders reuse the same keys layer after layer, so an
// index is looked up by exact equality of the key matrix before one is built (an index holds
// the distinct keys and the group of each position, which is enough to compare; a refused
// key matrix is kept as it is). A masked or windowed head needs the index with its interval
// tree; one built without is rebuilt with it.
struct KeyCache {
    struct Entry {
        std::shared_ptr<const std::optional<KeyIndex>> index;
        Matrix<Rational> refused;  // the keys, where the index was refused
    };
    std::vector<Entry> entries;
    static bool same(const Entry& e, const Matrix<Rational>& K) {
        if (e.index->has_value()) return (*e.index)->same_keys(K);
        return e.refused.rows == K.rows && e.refused.cols == K.cols && e.refused.data == K.data;
    }
    std::shared_ptr<const std::optional<KeyIndex>> get(const Matrix<Rational>& K, bool intervals) {
        for (Entry& e : entries)
            if (same(e, K)) {
                if (intervals && e.index->has_value() && !(*e.index)->has_intervals())
                    e.index = std::make_shared<const std::optional<KeyIndex>>(KeyIndex::build(K, true));
                return e.index;
            }
        Entry e{std::make_shared<const std::optional<KeyIndex>>(KeyIndex::build(K, intervals)), {}};
        if (!e.index->has_value()) e.refused = K;
        if (entries.size() == 4) entries.erase(entries.begin());
        entries.push_back(std::move(e));
        return entries.back().index;
    }
};


// int64 copy of a matrix when every entry is an integer below 2^62.
bool small_copy(const Matrix<Rational>& m, std::vector<std::int64_t>& out) {
    return small_ints(m.data.data(), m.data.size(), out);
}

template <class S>
bool rows_equal(const Matrix<S>& m) {
    for (std::size_t r = 1; r < m.rows; ++r)
        if (!std::equal(m.row(r), m.row(r) + m.cols, m.row(0))) return false;
    return true;
}

// Mean of rows `idx` of V into out (dv entries). `vs`: V as int64, all small (else null:
// entries are read as small integers where they are).
template <class S>
void mean_of(const Matrix<S>& V, const std::vector<std::int64_t>* vs, const std::vector<std::uint32_t>& idx, S* out) {
    const std::size_t dv = V.cols;
    for (std::size_t c = 0; c < dv; ++c) {
        if constexpr (is_exact_v<S>) {
            SmallSum acc;
            std::int64_t x = 0;
            for (std::size_t k = 0; k < idx.size() && acc.ok(); ++k) {
                if (vs) acc.add((*vs)[idx[k] * dv + c]);
                else if (small_int(V.at(idx[k], c), &x)) acc.add(x);
                else acc.give_up();
            }
            if (acc.ok()) {
                acc.store_mean(out[c], idx.size());
                continue;
            }
            mpq_set(out[c].backend().data(), V.at(idx[0], c).backend().data());  // idx is never empty
            for (std::size_t k = 1; k < idx.size(); ++k)
                mpq_add(out[c].backend().data(), out[c].backend().data(), V.at(idx[k], c).backend().data());
            SmallSum::divide_in_place(out[c], idx.size());
        } else {
            S acc = S(0);
            for (std::uint32_t j : idx) acc += V.at(j, c);
            out[c] = acc / S(static_cast<long long>(idx.size()));
        }
    }
}

template <class S>
void set_zero(S& x) {
    if constexpr (is_exact_v<S>) mpq_set_ui(x.backend().data(), 0, 1);
    else x = S(0);
}

// In place, no temporary: out = a + b (exact: GMP's call).
template <class S>
void add_to(S& out, const S& a, const S& b) {
    if constexpr (is_exact_v<S>) mpq_add(out.backend().data(), a.backend().data(), b.backend().data());
    else out = a + b;
}

// Buffers every head of a run reuses: they only grow, so a run allocates them once rather
// than once per head (entries hold stale values; each use writes before it reads).
template <class S>
struct Scratch {
    std::vector<std::int64_t> qs, ks, vs;  // Q, K, V as int64 when small
    std::vector<S> prefix;                 // whole intervals: prefix sums of V, (n + 1) x dv
    std::vector<S> sums;                   // structured path under a mask or window
    std::vector<std::int64_t> isums;       // the same as int64, when every one is small
    std::vector<S> means;                  // structured path over all positions: per group
    // Per group: 0 its mean is not formed, 1 a thread forms it, 2 it is in `means`.
    std::vector<std::atomic<unsigned char>> ready;
    std::vector<std::size_t> start;
};

// Copies of dv exact values from sources that stay put, done two pushes late: a push
// prefetches the source's records, the next push its limbs, the one after copies.
template <class S>
struct DeferredCopies {
    std::size_t dv;
    const S* src[2] = {nullptr, nullptr};
    S* dst[2] = {nullptr, nullptr};
    void push(const S* from, S* to) {
        if (dv == 0) return;  // nothing to copy
        if constexpr (is_exact_v<S>) {
            __builtin_prefetch(from);
            __builtin_prefetch(from + dv - 1);
            if (src[0])
                for (std::size_t c = 0; c < dv; ++c) {
                    mpq_srcptr q = src[0][c].backend().data();
                    __builtin_prefetch(mpq_numref(q)->_mp_d);
                    __builtin_prefetch(mpq_denref(q)->_mp_d);
                }
        }
        if (src[1]) std::copy_n(src[1], dv, dst[1]);
        src[1] = src[0], dst[1] = dst[0];
        src[0] = from, dst[0] = to;
    }
    void flush() {
        for (int k = 1; k >= 0; --k)
            if (src[k]) std::copy_n(src[k], dv, dst[k]);
        src[0] = src[1] = nullptr;
    }
};

template <class S>
void grow(std::vector<S>& v, std::size_t size) {
    if (v.size() < size) v.resize(size);
}

template <class S>
struct Attention {
    const Head& h;
    const Matrix<S>& Q;
    const Matrix<S>& K;
    const Matrix<S>& V;
    S beta;
    double tol;
    Matrix<S>& A;
    HeadTrace& trace;
    std::uint64_t& mul_adds;
    bool allow_fast;
    KeyCache* cache;
    bool margins = false;  // exact runs: fill trace.margin for hard heads
    bool record = false;   // fill trace.positions (and trace.weights for softmax)

    Scratch<S>& sc;
    std::vector<std::int64_t>& qs = sc.qs;
    std::vector<std::int64_t>& ks = sc.ks;
    std::vector<std::int64_t>& vs = sc.vs;
    bool small_qk = false, small_v = false;
    bool have_prefix = false;  // sc.prefix holds this head's prefix sums
    bool small_sums = false;   // structured under a mask or window: sc.isums holds the sums
    std::vector<std::uint32_t> M{};
    std::vector<S> kmax{};  // margins: max_j |K_jt| per key coordinate t
    int threads = 1;        // the structured path's queries (not with margins: they fold in order)
    // Fewer positions than RunOptions::structured_from: the dense scan, where its scores are
    // integers (or scale to integers); the structured path where it would compare rationals.
    bool prefer_dense = false;
    std::once_flag prefix_once{};

    void run() {
        const auto n = static_cast<std::int64_t>(Q.rows);
        // Scores do not matter when the rule ignores them, or when every key is the same
        // (then every allowed position ties): the whole interval is selected.
        const bool constant = h.rule == Rule::Uniform || K.cols == 0 || rows_equal(K);
        if (constant && is_exact_v<S>) build_prefix();
        trace.selected.assign(Q.rows, 0);
        if (record) {
            trace.positions.assign(Q.rows, {});
            if (h.rule == Rule::Softmax) trace.weights.assign(Q.rows, {});
        }
        if constexpr (is_exact_v<S>) {
            const bool hard = h.rule == Rule::AverageHard || h.rule == Rule::UniqueHardLeft || h.rule == Rule::UniqueHardRight;
            margins = margins && hard;
            if (margins) {
                trace.margin.emplace();
                kmax.assign(K.cols, S(0));
                for (std::size_t j = 0; j < K.rows; ++j)
                    for (std::size_t t = 0; t < K.cols; ++t)
                        if (abs(K.at(j, t)) > kmax[t]) kmax[t] = abs(K.at(j, t));
            }
            const bool everywhere = h.mask == Mask::None && (!h.window || *h.window + 1 >= Q.rows);
            std::shared_ptr<const std::optional<KeyIndex>> index;
            const bool indexable = !constant && allow_fast && hard;
            if (indexable && !prefer_dense) index = cache->get(K, !everywhere);
            bool fast = index && index->has_value();
            // int64 queries and keys for the scores of the dense scan, or of the runner-up;
            // without margins, scaled ones do for the dense scan (it only compares scores)
            if (!fast || margins) small_qk = small_copy(Q, qs) && small_copy(K, ks);
            if (!fast && !margins && !small_qk) small_qk = scaled_scores(Q, K, qs, ks);
            if (indexable && prefer_dense && !small_qk) {  // a short input, but the scan would compare rationals
                index = cache->get(K, !everywhere);
                fast = index && index->has_value();
            }
            if (fast) return structured(**index, everywhere);  // reads each value once: no int64 copy of V
            small_v = small_copy(V, vs);  // the scan may read a value once per query that selects it
        }
        for (std::int64_t i = 0; i < n; ++i) {
            auto [lo, hi] = allowed_interval(h, i, n);
            S* out = A.row(static_cast<std::size_t>(i));
            if (lo > hi) continue;  // empty allowed set: the zero vector
            if (constant) {
                if (margins && K.cols > 0) note_margin(dot(Q.row(static_cast<std::size_t>(i)), K.row(static_cast<std::size_t>(lo)), K.cols), nullptr, i);
                whole_interval(i, lo, hi, out);
            } else if (h.rule == Rule::Softmax) {
                softmax(i, lo, hi, out);
            } else {
                hard(i, lo, hi, out);
            }
        }
    }

    // The structured path: groups of equal keys, argmax over the allowed interval on the
    // chains (proofs/masked-attention.md). Over all positions a query takes whole groups, so
    // each group's mean is formed once, when first selected; under a mask or window, prefix
    // sums of each group's values along its members give any range of members.
    void structured(const KeyIndex& index, bool everywhere) {
        if constexpr (is_exact_v<S>) {
            const std::size_t G = index.groups(), dv = V.cols;
            if (everywhere) {
                grow(sc.means, G * dv);
                if (sc.ready.size() < G) sc.ready = std::vector<std::atomic<unsigned char>>(G);
                for (std::size_t g = 0; g < G; ++g) sc.ready[g].store(0, std::memory_order_relaxed);
            } else {
                // Row start[g] + t of sums: the values of group g's first t members, added up.
                sc.start.assign(G + 1, 0);
                for (std::size_t g = 0; g < G; ++g) sc.start[g + 1] = sc.start[g] + index.group(g).members.size() + 1;
                // As int64 while every value is a small integer and every sum stays below 2^62
                // (the common case: flags, counts); else as rationals.
                sc.isums.resize(sc.start[G] * dv);
                small_sums = true;
                for (std::size_t g = 0; g < G && small_sums; ++g) {
                    const auto& members = index.group(g).members;
                    std::int64_t* row = sc.isums.data() + sc.start[g] * dv;
                    std::fill(row, row + dv, 0);
                    std::int64_t x = 0;
                    for (std::size_t t = 0; t < members.size() && small_sums; ++t, row += dv)
                        for (std::size_t c = 0; c < dv && small_sums; ++c) {
                            small_sums = small_int(V.at(members[t], c), &x) && !__builtin_add_overflow(row[c], x, &row[dv + c]) &&
                                         row[dv + c] < (std::int64_t{1} << 62) && row[dv + c] > -(std::int64_t{1} << 62);
                        }
                }
                if (!small_sums) {
                    grow(sc.sums, sc.start[G] * dv);
                    for (std::size_t g = 0; g < G; ++g) {
                        const auto& members = index.group(g).members;
                        S* row = sc.sums.data() + sc.start[g] * dv;
                        for (std::size_t c = 0; c < dv; ++c) set_zero(row[c]);
                        for (std::size_t t = 0; t < members.size(); ++t, row += dv)
                            for (std::size_t c = 0; c < dv; ++c) add_to(row[dv + c], row[c], V.at(members[t], c));
                    }
                }
            }
            // Queries are independent: blocks of them go to the threads (group means are formed
            // once, by the first thread that needs one; the others wait for it).
            const auto n = static_cast<std::int64_t>(Q.rows);
            std::atomic<std::uint64_t> ops_done{0};
            for_rows(Q.rows, margins ? 1 : threads, [&](std::size_t r0, std::size_t r1) {
            thread_local std::vector<std::uint32_t> best;
            thread_local std::vector<std::pair<std::size_t, std::size_t>> range;
            // A query that takes one group's mean copies it two queries later: its record is
            // fetched ahead, then its limbs, while the next queries search (the mean sits at a
            // random place in memory; its source does not change during the head).
            DeferredCopies<S> copies{dv};
            std::uint64_t ops = 0;
            for (auto i = static_cast<std::int64_t>(r0); i < static_cast<std::int64_t>(r1); ++i) {
                const auto [lo, hi] = allowed_interval(h, i, n);
                if (lo > hi) continue;  // empty allowed set: the zero vector
                const auto row = static_cast<std::size_t>(i);
                S* out = A.row(row);
                ops += 2 * Q.cols;
                if (!index.argmax(Q.row(row), static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), best)) {
                    // q scores every key alike: the whole allowed interval is selected
                    std::call_once(prefix_once, [&] {
                        if (!have_prefix) build_prefix();
                    });
                    if (margins) note_margin(dot(Q.row(row), K.row(static_cast<std::size_t>(lo)), K.cols), nullptr, i);
                    whole_interval(i, lo, hi, out);
                    continue;
                }
                if (margins) structured_margin(index, best, row, lo, hi);
                std::size_t count = 0;
                range.clear();
                for (std::uint32_t g : best) {
                    range.push_back(everywhere ? std::pair<std::size_t, std::size_t>(0, index.size(g))
                                               : index.members_in(g, static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi)));
                    count += range.back().second - range.back().first;
                }
                trace.selected[row] = static_cast<std::uint32_t>(count);
                if (h.rule != Rule::AverageHard) {
                    const bool left = h.rule == Rule::UniqueHardLeft;
                    std::uint32_t j = left ? UINT32_MAX : 0;
                    for (std::size_t k = 0; k < best.size(); ++k) {
                        const auto& members = index.group(best[k]).members;
                        j = left ? std::min(j, members[range[k].first]) : std::max(j, members[range[k].second - 1]);
                    }
                    std::copy(V.row(j), V.row(j) + dv, out);
                } else if (everywhere && best.size() == 1) {
                    copies.push(group_mean(index, best[0]), out);
                } else if (everywhere) {  // tied groups: sum_g |g| mean_g / count
                    thread_local S part;
                    for (std::size_t c = 0; c < dv; ++c) set_zero(out[c]);
                    for (std::uint32_t g : best) {
                        const S* mean = group_mean(index, g);
                        for (std::size_t c = 0; c < dv; ++c) {
                            mpq_set_ui(part.backend().data(), index.size(g), 1);
                            mpq_mul(part.backend().data(), part.backend().data(), mean[c].backend().data());
                            mpq_add(out[c].backend().data(), out[c].backend().data(), part.backend().data());
                        }
                    }
                    for (std::size_t c = 0; c < dv; ++c) SmallSum::divide_in_place(out[c], count);
                } else {
                    for (std::size_t c = 0; c < dv; ++c) {
                        if (small_sums) {  // the members' sum as differences of prefix sums
                            SmallSum part;
                            for (std::size_t k = 0; k < best.size(); ++k) {
                                const std::int64_t* sums = sc.isums.data() + sc.start[best[k]] * dv;
                                part.add(static_cast<i128>(sums[range[k].second * dv + c]) - sums[range[k].first * dv + c]);
                            }
                            part.store_mean(out[c], count);  // |part| < 2^63 per group: no overflow for < 2^64 groups
                            continue;
                        }
                        set_zero(out[c]);
                        for (std::size_t k = 0; k < best.size(); ++k) {
                            const S* sums = sc.sums.data() + sc.start[best[k]] * dv;
                            const auto [a, b] = range[k];
                            mpq_add(out[c].backend().data(), out[c].backend().data(), sums[b * dv + c].backend().data());
                            mpq_sub(out[c].backend().data(), out[c].backend().data(), sums[a * dv + c].backend().data());
                        }
                        SmallSum::divide_in_place(out[c], count);
                    }
                }
            }
            copies.flush();
            ops_done += ops;
            });
            mul_adds += ops_done.load();
        } else {
            (void)index, (void)everywhere;
        }
    }

    // The mean of group g's values (dv entries), formed on first use (a group of one: its
    // value, not copied).
    const S* group_mean(const KeyIndex& index, std::uint32_t g) {
        if (index.size(g) == 1) return V.row(index.first_member(g));
        S* mean = sc.means.data() + g * V.cols;
        std::atomic<unsigned char>& state = sc.ready[g];
        if (state.load(std::memory_order_acquire) == 2) return mean;
        unsigned char idle = 0;
        if (state.compare_exchange_strong(idle, 1, std::memory_order_acq_rel)) {
            mean_of(V, small_v ? &vs : nullptr, index.group(g).members, mean);
            state.store(2, std::memory_order_release);
        } else {
            while (state.load(std::memory_order_acquire) != 2) std::this_thread::yield();
        }
        return mean;
    }

    // Exact runs: fold one query's best score and runner-up (null: none) into trace.margin.
    void note_margin(const S& best, const S* second, std::int64_t i) {
        if constexpr (is_exact_v<S>) {
            HeadMargin& m = *trace.margin;
            // The magnitude of the terms behind query i's scores, sum_t |q_it| max_j |k_jt|: a
            // floating-point score carries an error proportional to it, not to the score.
            Rational terms = 0;
            for (std::size_t t = 0; t < K.cols; ++t) terms += abs(Q.at(static_cast<std::size_t>(i), t)) * kmax[t];
            if (terms > m.scale) m.scale = std::move(terms);
            if (abs(best) > m.score_scale) m.score_scale = abs(best);
            if (!second) return;
            if (abs(*second) > m.score_scale) m.score_scale = abs(*second);
            Rational gap = best - *second;
            if (!m.gap || gap < *m.gap) {
                m.gap = std::move(gap);
                m.position = static_cast<std::size_t>(i);
            }
        } else {
            (void)best, (void)second, (void)i;
        }
    }

    // The runner-up on the structured path: the best score among groups outside `best` with a
    // member in [lo, hi], by a scan of the group keys (the convex chains do not hold it).
    void structured_margin(const KeyIndex& index, const std::vector<std::uint32_t>& best, std::size_t i,
                           std::int64_t lo, std::int64_t hi) {
        if constexpr (is_exact_v<S>) {
            const std::size_t G = index.groups(), dk = Q.cols;
            thread_local std::vector<char> chosen;
            chosen.assign(G, 0);
            for (std::uint32_t g : best) chosen[g] = 1;
            auto score = [&](std::size_t g) { return dot(Q.row(i), K.row(index.group(g).members.front()), dk); };
            const Rational top = score(best[0]);
            std::optional<Rational> second;
            std::optional<i128> second_small;
            const std::int64_t* q = small_qk ? qs.data() + i * dk : nullptr;
            const bool everywhere = lo == 0 && static_cast<std::size_t>(hi) + 1 == Q.rows;
            for (std::size_t g = 0; g < G; ++g) {
                if (chosen[g]) continue;
                if (!everywhere) {
                    const auto [a, b] = index.members_in(g, static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi));
                    if (a == b) continue;
                }
                mul_adds += dk;
                if (q) {  // |entries| < 2^62: i128 with overflow checks
                    if (auto acc = small_dot(q, ks.data() + index.group(g).members.front() * dk, dk)) {
                        if (!second_small || *acc > *second_small) second_small = *acc;
                        continue;
                    }
                }
                Rational s = score(g);
                if (!second || s > *second) second = std::move(s);
            }
            if (second_small) {
                Rational s = rational_from_i128(*second_small);
                if (!second || s > *second) second = std::move(s);
            }
            note_margin(top, second ? &*second : nullptr, static_cast<std::int64_t>(i));
        } else {
            (void)index, (void)best, (void)i, (void)lo, (void)hi;
        }
    }

    void build_prefix() {
        const std::size_t dv = V.cols;
        grow(sc.prefix, (V.rows + 1) * dv);
        for (std::size_t c = 0; c < dv; ++c) set_zero(sc.prefix[c]);
        for (std::size_t j = 0; j < V.rows; ++j)
            for (std::size_t c = 0; c < dv; ++c) add_to(sc.prefix[(j + 1) * dv + c], sc.prefix[j * dv + c], V.at(j, c));
        have_prefix = true;
    }

    void whole_interval(std::int64_t i, std::int64_t lo, std::int64_t hi, S* out) {
        trace.selected[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(hi - lo + 1);
        if (record) {
            auto& p = trace.positions[static_cast<std::size_t>(i)];
            if (h.rule == Rule::UniqueHardLeft) p = {static_cast<std::uint32_t>(lo)};
            else if (h.rule == Rule::UniqueHardRight) p = {static_cast<std::uint32_t>(hi)};
            else for (std::int64_t j = lo; j <= hi; ++j) p.push_back(static_cast<std::uint32_t>(j));
        }
        const std::size_t dv = V.cols;
        if (h.rule == Rule::UniqueHardLeft || h.rule == Rule::UniqueHardRight) {
            std::size_t j = static_cast<std::size_t>(h.rule == Rule::UniqueHardLeft ? lo : hi);
            std::copy(V.row(j), V.row(j) + dv, out);
            trace.selected[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(hi - lo + 1);
            return;
        }
        for (std::size_t c = 0; c < dv; ++c) {
            if constexpr (is_exact_v<S>) {
                mpq_sub(out[c].backend().data(), sc.prefix[static_cast<std::size_t>(hi + 1) * dv + c].backend().data(),
                        sc.prefix[static_cast<std::size_t>(lo) * dv + c].backend().data());
                SmallSum::divide_in_place(out[c], static_cast<unsigned long>(hi - lo + 1));
            } else {
                S acc = S(0);
                for (std::int64_t j = lo; j <= hi; ++j) acc += V.at(static_cast<std::size_t>(j), c);
                out[c] = acc / S(static_cast<long long>(hi - lo + 1));
            }
        }
    }

    // Scores of query i against keys lo..hi into s (exact runs try i128 first).
    template <class Sc>
    void scores(std::int64_t i, std::int64_t lo, std::int64_t hi, std::vector<Sc>& s) {
        const std::size_t dk = Q.cols;
        s.resize(static_cast<std::size_t>(hi - lo + 1));
        mul_adds += static_cast<std::uint64_t>(hi - lo + 1) * dk;
        if constexpr (std::is_same_v<Sc, i128>) {
            const std::int64_t* q = qs.data() + static_cast<std::size_t>(i) * dk;
            for (std::int64_t j = lo; j <= hi; ++j) {
                const auto acc = small_dot(q, ks.data() + static_cast<std::size_t>(j) * dk, dk);
                if (!acc) throw Overflow{};
                s[static_cast<std::size_t>(j - lo)] = *acc;
            }
        } else {
            for (std::int64_t j = lo; j <= hi; ++j)
                s[static_cast<std::size_t>(j - lo)] = dot(Q.row(static_cast<std::size_t>(i)), K.row(static_cast<std::size_t>(j)), dk);
        }
    }
    struct Overflow {};

    template <class Sc>
    void select(const std::vector<Sc>& s, std::int64_t i, std::int64_t lo) {
        Sc best = s[0];
        for (const Sc& x : s)
            if (x > best) best = x;
        M.clear();
        if constexpr (is_numeric_v<Sc>) {
            using std::abs;
            const Sc slack = static_cast<Sc>(tol) * std::max<Sc>(Sc(1), abs(best));
            for (std::size_t k = 0; k < s.size(); ++k)
                if (best - s[k] <= slack) M.push_back(static_cast<std::uint32_t>(lo + static_cast<std::int64_t>(k)));
            (void)i;
        } else {
            std::optional<Sc> second;
            for (std::size_t k = 0; k < s.size(); ++k) {
                if (s[k] == best) M.push_back(static_cast<std::uint32_t>(lo + static_cast<std::int64_t>(k)));
                else if (margins && (!second || s[k] > *second)) second = s[k];
            }
            if (margins) {
                if constexpr (std::is_same_v<Sc, i128>) {
                    const Rational r = rational_from_i128(best);
                    const std::optional<Rational> r2 = second ? std::optional<Rational>(rational_from_i128(*second)) : std::nullopt;
                    note_margin(r, r2 ? &*r2 : nullptr, i);
                } else {
                    note_margin(best, second ? &*second : nullptr, i);
                }
            }
        }
    }

    void hard(std::int64_t i, std::int64_t lo, std::int64_t hi, S* out) {
        bool done = false;
        if constexpr (is_exact_v<S>) {
            if (small_qk) {
                thread_local std::vector<i128> s;
                try {
                    scores<i128>(i, lo, hi, s);
                    select(s, i, lo);
                    done = true;
                } catch (const Overflow&) {
                }
            }
        }
        if (!done) {
            thread_local std::vector<S> s;
            scores<S>(i, lo, hi, s);
            select(s, i, lo);
        }
        trace.selected[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(M.size());
        const std::size_t dv = V.cols;
        if (record) {
            auto& p = trace.positions[static_cast<std::size_t>(i)];
            if (h.rule == Rule::UniqueHardLeft) p = {M.front()};
            else if (h.rule == Rule::UniqueHardRight) p = {M.back()};
            else p.assign(M.begin(), M.end());
        }
        if (h.rule == Rule::UniqueHardLeft || h.rule == Rule::UniqueHardRight) {
            std::size_t j = h.rule == Rule::UniqueHardLeft ? M.front() : M.back();
            std::copy(V.row(j), V.row(j) + dv, out);
            return;
        }
        mean_of(V, small_v ? &vs : nullptr, M, out);
    }

    void softmax(std::int64_t i, std::int64_t lo, std::int64_t hi, S* out) {
        if constexpr (!is_exact_v<S>) {
            thread_local std::vector<S> s;
            scores<S>(i, lo, hi, s);
            S best = *std::max_element(s.begin(), s.end());
            S total = S(0);
            const std::size_t dv = V.cols;
            std::fill(out, out + dv, S(0));
            for (std::int64_t j = lo; j <= hi; ++j) {
                using std::exp;
                S w = exp(beta * (s[static_cast<std::size_t>(j - lo)] - best));
                total += w;
                for (std::size_t c = 0; c < dv; ++c) out[c] += w * V.at(static_cast<std::size_t>(j), c);
            }
            for (std::size_t c = 0; c < dv; ++c) out[c] /= total;
            trace.selected[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(hi - lo + 1);
            if (record) {
                const auto row = static_cast<std::size_t>(i);
                for (std::int64_t j = lo; j <= hi; ++j) {
                    using std::exp;
                    trace.positions[row].push_back(static_cast<std::uint32_t>(j));
                    trace.weights[row].push_back(static_cast<double>(exp(beta * (s[static_cast<std::size_t>(j - lo)] - best)) / total));
                }
            }
        } else {
            (void)i, (void)lo, (void)hi, (void)out;
        }
    }
};

// Gives m the shape rows x cols, keeping the entries it has (and, exact, their limbs): heads
// of different widths reuse one buffer, so a layer does not make n x dk rationals anew per
// head. Entries a smaller shape drops are moved to `spare`, and a larger shape takes them back
// from there first: the buffers of a run trade entries instead of destroying and making them.
// The entries' values are left as they were: callers overwrite or zero them.
template <class S>
void reshape(Matrix<S>& m, std::size_t rows, std::size_t cols, std::vector<S>& spare) {
    const std::size_t size = rows * cols;
    m.rows = rows;
    m.cols = cols;
    if (m.data.size() > size) {
        spare.insert(spare.end(), std::make_move_iterator(m.data.begin() + static_cast<std::ptrdiff_t>(size)),
                     std::make_move_iterator(m.data.end()));
        m.data.resize(size);
    } else if (m.data.size() < size) {
        const std::size_t take = std::min(spare.size(), size - m.data.size());
        m.data.insert(m.data.end(), std::make_move_iterator(spare.end() - static_cast<std::ptrdiff_t>(take)),
                      std::make_move_iterator(spare.end()));
        spare.resize(spare.size() - take);
        m.data.resize(size);
    }
}

// The --max-bits guard over the coordinates `cols` of row i (null: all of them). A layer
// checks the coordinates it wrote, row by row as it writes them: the others are as they were
// when last checked.
template <class S>
void check_bits_row(const Matrix<S>& X, std::size_t i, const std::vector<std::uint32_t>* cols, std::size_t layer,
                    std::size_t max_bits) {
    if constexpr (is_exact_v<S>) {
        if (max_bits == 0) return;
        auto check = [&](std::size_t c) {
            if (over_bits(X.at(i, c), max_bits))
                fail({}, "after {}: position {} coordinate {} needs {} bits, over the limit of {} (raise --max-bits)",
                     counted(layer, "layer"), i, c, bit_size(X.at(i, c)), max_bits);
        };
        if (!cols)
            for (std::size_t c = 0; c < X.cols; ++c) check(c);
        else
            for (std::uint32_t c : *cols) check(c);
    } else {
        (void)X, (void)i, (void)cols, (void)layer, (void)max_bits;
    }
}

}  // namespace

template <class S>
RunResult<S> Program<S>::run(const Matrix<S>& input, const RunOptions& opts, const LayerObserver<S>& observe) const {
    return run(Matrix<S>(input), opts, observe);
}

template <class S>
RunResult<S> Program<S>::run(Matrix<S>&& input, const RunOptions& opts, const LayerObserver<S>& observe) const {
    const Encoder& enc = *enc_;
    const std::size_t n = input.rows, d = enc.d;
    if (input.cols != d) fail({}, "the input has {} columns, the encoder's width is d = {}", input.cols, d);
    std::size_t L = enc.layers.size();
    if (opts.stop_after) {
        if (*opts.stop_after > L) fail({}, "cannot stop after {}: the encoder has {}", counted(*opts.stop_after, "layer"), counted(L, "layer"));
        L = *opts.stop_after;
    }
    RunResult<S> res;
    res.trace.tie_tolerance = opts.tie_tolerance.value_or(default_tie_tolerance<S>());
    if constexpr (is_exact_v<S>) res.trace.tie_tolerance = 0;
    res.state = std::move(input);
    if (is_exact_v<S> && opts.max_bits != 0)
        for_rows(n, row_threads(opts.threads, n), [&](std::size_t r0, std::size_t r1) {
            for (std::size_t i = r0; i < r1; ++i) check_bits_row(res.state, i, nullptr, 0, opts.max_bits);
        });
    if (opts.record_states) res.trace.states.push_back(res.state);
    if (observe) observe(0, res.state, {});
    // The layer is computed in place: every head reads the layer's input state and writes its
    // n x dv output to a buffer of its own, added to the state once all heads have run (in
    // head order, as y_i = x_i + sum_h O_h a_hi). Memory: one state plus these buffers.
    // Buffers reused across heads, layers and the thread's later runs (each use writes before it
    // reads, and none outlives a layer, so an observer's own runs may share them): a survey of
    // many short inputs allocates no exact values once warm.
    // (Named through references: a lambda that names a thread_local reaches the running thread's.)
    struct Buffers {
        Matrix<S> Q, K, V;
        std::vector<Matrix<S>> outs;
        Scratch<S> scratch;
        std::vector<S> spare;  // entries reshape moved out of a buffer, for the next one that grows
        std::vector<std::int64_t> marks;  // exact runs: the coordinates the layer's maps read, as int64 where small
    };
    thread_local Buffers buffers;
    Matrix<S>&Q = buffers.Q, &K = buffers.K, &V = buffers.V;
    std::vector<Matrix<S>>& outs = buffers.outs;
    Scratch<S>& scratch = buffers.scratch;
    std::vector<std::int64_t>& marks = buffers.marks;
    KeyCache cache;
    // Exact runs split row-wise work over threads; numeric runs are the numeric engine's job.
    const int T = is_exact_v<S> ? row_threads(opts.threads, n) : 1;
    std::atomic<std::uint64_t> ops_done{0};  // multiply-adds of the threads' blocks
    for (std::size_t l = 0; l < L; ++l) {
        const Layer& layer = enc.layers[l];
        auto& layer_trace = res.trace.heads.emplace_back(layer.heads.size());
        Matrix<S>& Y = res.state;
        if (outs.size() < layer.heads.size()) outs.resize(layer.heads.size());
        const std::int64_t* marked = nullptr;  // row i's marks: marked + i * d
        if constexpr (is_exact_v<S>) {
            marks.resize(n * d);  // only the columns the maps read are marked (the rest are never looked at)
            const std::vector<std::uint32_t>& reads = touched_[l].reads;
            for_rows(n, T, [&](std::size_t r0, std::size_t r1) {
                if (reads.size() == d) return marked_small_ints(Y.data.data() + r0 * d, (r1 - r0) * d, marks.data() + r0 * d), void();
                for (std::size_t i = r0; i < r1; ++i)
                    for (std::uint32_t c : reads)
                        if (!small_int(Y.at(i, c), &marks[i * d + c])) marks[i * d + c] = kNotSmall;
            });
            marked = marks.data();
        }
        for (std::size_t hidx = 0; hidx < layer.heads.size(); ++hidx) {
            const LoweredHead& lh = heads_[l][hidx];
            const std::size_t dk = lh.query.rows(), dv = lh.value.rows();
            Matrix<S>& A = outs[hidx];
            std::vector<S>& spare = buffers.spare;
            reshape(Q, n, dk, spare), reshape(K, n, dk, spare), reshape(V, n, dv, spare), reshape(A, n, dv, spare);
            for_rows(n, T, [&](std::size_t r0, std::size_t r1) {
                std::uint64_t ops = 0;
                for (std::size_t i = r0; i < r1; ++i) {
                    const std::int64_t* xs = marked ? marked + i * d : nullptr;
                    ops += apply(lh.query, Y.row(i), Q.row(i), xs);
                    ops += apply(lh.key, Y.row(i), K.row(i), xs);
                    ops += apply(lh.value, Y.row(i), V.row(i), xs);
                    for (std::size_t c = 0; c < dv; ++c) set_zero(A.at(i, c));
                }
                ops_done += ops;
            });
            Attention<S> att{layer.heads[hidx], Q, K, V, lh.beta, res.trace.tie_tolerance, A, layer_trace[hidx],
                             res.trace.mul_adds, !opts.dense && !opts.record_attention, &cache,
                             opts.margins && is_exact_v<S>, opts.record_attention, scratch};
            att.threads = T;
            att.prefer_dense = n < opts.structured_from;
            att.run();
        }
        // Heads' outputs are added to each row in head order; then the feed-forward circuit;
        // then, exact, the --max-bits guard over the coordinates the layer wrote, while the row
        // is at hand.
        const FeedForward* f = layer.ffn ? &*layer.ffn : nullptr;
        for_rows(n, T, [&](std::size_t r0, std::size_t r1) {
            std::uint64_t ops = 0;
            EvalOptions eo{opts.max_bits, true};                // outputs only
            thread_local std::vector<S> in, values;  // the block's thread's, reused by its later layers and runs
            for (std::size_t i = r0; i < r1; ++i) {
                for (std::size_t hidx = 0; hidx < layer.heads.size(); ++hidx)
                    ops += apply_add(heads_[l][hidx].output, outs[hidx].row(i), Y.row(i));
                if (f) {
                    try {
                        if constexpr (is_exact_v<S>) {
                            evaluate_into(f->circuit, Y.row(i), f->reads, values, eo);  // reads the row in place
                        } else {
                            in.resize(f->reads.size());
                            for (std::size_t k = 0; k < f->reads.size(); ++k) in[k] = Y.at(i, f->reads[k]);
                            evaluate_into(f->circuit, in, values, eo);
                        }
                    } catch (const InputError& e) {  // the --max-bits guard: say where it tripped
                        throw InputError(e.loc(), fmt::format("feed-forward circuit of layer {} of {}, position {}: {}", l + 1, L, i, e.what()));
                    }
                    for (std::size_t k = 0; k < f->writes.size(); ++k) {
                        if constexpr (is_exact_v<S>) exact_add(Y.at(i, f->writes[k]), values[f->circuit.outputs[k]]);
                        else Y.at(i, f->writes[k]) += values[f->circuit.outputs[k]];
                    }
                }
                check_bits_row(Y, i, &touched_[l].writes, l + 1, opts.max_bits);
            }
            ops_done += ops;
        });
        res.trace.mul_adds += ops_done.exchange(0);
        if (opts.record_states) res.trace.states.push_back(res.state);
        if (observe) observe(l + 1, res.state, layer_trace);
    }
    res.layers_run = L;
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        res.outputs = Matrix<S>(n, r.coordinates.size());
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < r.coordinates.size(); ++k) res.outputs.at(i, k) = res.state.at(i, r.coordinates[k]);
    } else {
        if (n == 0) fail({}, "an acceptance readout needs at least one position; the input is empty");
        const S* x = res.state.row(r.at_last ? n - 1 : 0);
        S score = from_rational<S>(r.bias);
        for (std::size_t c = 0; c < d; ++c)
            if (r.weights[c] != 0) score += from_rational<S>(r.weights[c]) * x[c];
        res.score = score;
        res.accepted = score > S(0);
    }
    return res;
}

template class Program<Rational>;
template class Program<double>;
template class Program<float>;
template class Program<bfloat16>;

}  // namespace ahat
