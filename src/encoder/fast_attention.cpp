#include "encoder/fast_attention.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <type_traits>

namespace ahat {
namespace {

// Integers below 2^61 in magnitude: differences stay below 2^62, products of a difference
// and a direction component below 2^123, and a sum of two such below 2^124.
bool small61(const Rational& r, std::int64_t* out) {
    return small_int(r, out) && mpz_sizeinbase(mpq_numref(r.backend().data()), 2) <= 61;
}

Rational cross(const Rational& ox, const Rational& oy, const Rational& ax, const Rational& ay, const Rational& bx,
               const Rational& by) {
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

}  // namespace

std::optional<KeyIndex> KeyIndex::build(const Matrix<Rational>& K, bool intervals) {
    KeyIndex idx;
    const std::size_t n = K.rows, dk = K.cols;
    idx.dk_ = dk;
    idx.n_ = n;
    if (n == 0) return idx;
    // 1. Classes of equal keys, in lexicographic key order; members ascending.
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    // Keys compare as int64 rows when every entry is a small integer (the common case).
    std::vector<std::int64_t> ik(n * dk);
    bool int_keys = true;
    for (std::size_t k = 0; k < n * dk && int_keys; ++k) int_keys = small_int(K.data[k], &ik[k]);
    auto row_less = [&](std::uint32_t a, std::uint32_t b) {
        if (int_keys)
            return std::lexicographical_compare(ik.begin() + a * dk, ik.begin() + (a + 1) * dk, ik.begin() + b * dk,
                                                ik.begin() + (b + 1) * dk);
        return std::lexicographical_compare(K.row(a), K.row(a) + dk, K.row(b), K.row(b) + dk);
    };
    std::stable_sort(order.begin(), order.end(), row_less);
    for (std::size_t k = 0; k < n; ++k) {
        if (k == 0 || row_less(order[k - 1], order[k])) idx.groups_.emplace_back();
        idx.groups_.back().members.push_back(order[k]);
    }
    const std::size_t G = idx.groups_.size();
    auto key = [&](std::size_t g) { return K.row(idx.groups_[g].members.front()); };
    // 2. Plane coordinates of every distinct key.
    idx.x_.assign(G, Rational(0));
    idx.y_.assign(G, Rational(0));
    if (dk <= 2) {
        for (std::size_t g = 0; g < G; ++g) {
            if (dk >= 1) idx.x_[g] = key(g)[0];
            if (dk == 2) idx.y_[g] = key(g)[1];
        }
    } else {
        idx.raw_ = false;
        idx.origin_.assign(key(0), key(0) + dk);
        std::vector<Rational> diff(dk);
        std::size_t p = dk, r = dk;  // pivot coordinates of u and of (u, w)
        Rational det;
        for (std::size_t g = 1; g < G; ++g) {
            for (std::size_t c = 0; c < dk; ++c) diff[c] = key(g)[c] - idx.origin_[c];
            if (idx.u_.empty()) {
                idx.u_ = diff;
                p = static_cast<std::size_t>(std::find_if(diff.begin(), diff.end(), [](const Rational& v) { return v != 0; }) - diff.begin());
                continue;
            }
            // Is diff parallel to u? If not, it is the second direction w.
            if (idx.w_.empty()) {
                Rational a = diff[p] / idx.u_[p];
                bool parallel = true;
                for (std::size_t c = 0; c < dk && parallel; ++c) parallel = diff[c] == a * idx.u_[c];
                if (parallel) continue;
                idx.w_ = diff;
                for (r = 0; r < dk; ++r) {
                    det = idx.u_[p] * idx.w_[r] - idx.u_[r] * idx.w_[p];
                    if (det != 0) break;
                }
                if (r == dk) {  // w parallel to u after all: cannot happen, but stay safe
                    idx.w_.clear();
                    continue;
                }
            }
        }
        if (idx.u_.empty()) idx.u_.assign(dk, Rational(0));
        for (std::size_t g = 0; g < G; ++g) {
            for (std::size_t c = 0; c < dk; ++c) diff[c] = key(g)[c] - idx.origin_[c];
            Rational a, b;
            if (idx.w_.empty()) {
                if (p < dk) a = diff[p] / idx.u_[p];
            } else {
                a = (diff[p] * idx.w_[r] - diff[r] * idx.w_[p]) / det;
                b = (idx.u_[p] * diff[r] - idx.u_[r] * diff[p]) / det;
            }
            for (std::size_t c = 0; c < dk; ++c) {
                Rational rebuilt = a * idx.u_[c] + (idx.w_.empty() ? Rational(0) : b * idx.w_[c]);
                if (rebuilt != diff[c]) return idx.scan_or_refuse(K, n);  // more than a plane
            }
            idx.x_[g] = a;
            idx.y_[g] = b;
        }
        if (idx.w_.empty()) idx.w_.assign(dk, Rational(0));
    }
    idx.xs_.resize(G);
    idx.ys_.resize(G);
    idx.small_ = true;
    for (std::size_t g = 0; g < G && idx.small_; ++g)
        idx.small_ = small61(idx.x_[g], &idx.xs_[g]) && small61(idx.y_[g], &idx.ys_[g]);
    // 3. The (x, y) order of the groups, and the chains of every tree node.
    idx.by_rank_.resize(G);
    std::iota(idx.by_rank_.begin(), idx.by_rank_.end(), 0u);
    std::sort(idx.by_rank_.begin(), idx.by_rank_.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (idx.small_) return idx.xs_[a] != idx.xs_[b] ? idx.xs_[a] < idx.xs_[b] : idx.ys_[a] < idx.ys_[b];
        return idx.x_[a] != idx.x_[b] ? idx.x_[a] < idx.x_[b] : idx.y_[a] < idx.y_[b];
    });
    std::vector<std::uint32_t> rank(G);
    for (std::uint32_t r = 0; r < G; ++r) rank[idx.by_rank_[r]] = r;
    idx.rank_of_position_.resize(n);
    for (std::size_t g = 0; g < G; ++g)
        for (std::uint32_t j : idx.groups_[g].members) idx.rank_of_position_[j] = rank[g];
    idx.intervals_ = intervals;
    idx.tree_.resize(intervals ? 4 * n : 2);
    idx.build_node(1, 0, static_cast<std::uint32_t>(n), intervals);
    return idx;
}

// Node k covers positions [l, r). Children first (when recursing), then the node's distinct
// ranks (the merge of the children's, or all ranks at the root of a tree-less index), then
// its upper chain (for each x the highest point, pops on left turns) and lower chain (the
// lowest, pops on right turns); collinear points stay.
void KeyIndex::build_node(std::size_t k, std::uint32_t l, std::uint32_t r, bool recurse) {
    thread_local std::vector<std::uint32_t> ranks, chain;  // shared by the recursion: filled after it
    if (recurse && r - l > 1) {
        const std::uint32_t mid = l + (r - l) / 2;
        build_node(2 * k, l, mid, true);
        build_node(2 * k + 1, mid, r, true);
    }
    ranks.clear();
    if (!recurse) {
        ranks.resize(groups_.size());
        std::iota(ranks.begin(), ranks.end(), 0u);
    } else if (r - l == 1) {
        ranks.push_back(rank_of_position_[l]);
    } else {
        const Hull &a = tree_[2 * k], &b = tree_[2 * k + 1];
        std::set_union(pool_.begin() + a.sorted, pool_.begin() + a.upper, pool_.begin() + b.sorted,
                       pool_.begin() + b.upper, std::back_inserter(ranks));
    }
    Hull& h = tree_[k];
    h.sorted = static_cast<std::uint32_t>(pool_.size());
    pool_.insert(pool_.end(), ranks.begin(), ranks.end());
    auto x_equal = [&](std::uint32_t a, std::uint32_t b) { return small_ ? xs_[a] == xs_[b] : x_[a] == x_[b]; };
    // sign of the cross product (a - o) x (b - o)
    auto turn = [&](std::uint32_t o, std::uint32_t a, std::uint32_t b) -> int {
        if (small_) {
            const i128 c = static_cast<i128>(xs_[a] - xs_[o]) * (ys_[b] - ys_[o]) -
                           static_cast<i128>(ys_[a] - ys_[o]) * (xs_[b] - xs_[o]);
            return c > 0 ? 1 : (c < 0 ? -1 : 0);
        }
        const Rational c = cross(x_[o], y_[o], x_[a], y_[a], x_[b], y_[b]);
        return c > 0 ? 1 : (c < 0 ? -1 : 0);
    };
    for (int side : {1, -1}) {
        (side == 1 ? h.upper : h.lower) = static_cast<std::uint32_t>(pool_.size());
        chain.clear();
        for (std::size_t t = 0; t < ranks.size(); ++t) {
            const std::uint32_t g = by_rank_[ranks[t]];
            // ranks ascend in (x, y): the highest of an x is its last, the lowest its first
            if (side == 1 && t + 1 < ranks.size() && x_equal(g, by_rank_[ranks[t + 1]])) continue;
            if (side == -1 && t > 0 && x_equal(g, by_rank_[ranks[t - 1]])) continue;
            while (chain.size() >= 2 && turn(chain[chain.size() - 2], chain.back(), g) * side > 0) chain.pop_back();
            chain.push_back(g);
        }
        pool_.insert(pool_.end(), chain.begin(), chain.end());
    }
    h.end = static_cast<std::uint32_t>(pool_.size());
}

void KeyIndex::direction(const Rational* q, Rational& dx, Rational& dy) const {
    if (raw_) {
        dx = dk_ >= 1 ? q[0] : Rational(0);
        dy = dk_ == 2 ? q[1] : Rational(0);
    } else {
        dx = dot(q, u_.data(), dk_);
        dy = dot(q, w_.data(), dk_);
    }
}

std::pair<std::size_t, std::size_t> KeyIndex::members_in(std::size_t g, std::uint32_t lo, std::uint32_t hi) const {
    const auto& m = groups_[g].members;
    const auto a = std::lower_bound(m.begin(), m.end(), lo), b = std::upper_bound(a, m.end(), hi);
    return {static_cast<std::size_t>(a - m.begin()), static_cast<std::size_t>(b - m.begin())};
}

std::optional<KeyIndex> KeyIndex::scan_or_refuse(const Matrix<Rational>& K, std::size_t n) {
    const std::size_t G = groups_.size();
    if (G > kScanGroups && G * G > n) return std::nullopt;
    scan_ = true;
    keys_.resize(G * dk_);
    for (std::size_t g = 0; g < G; ++g) std::copy(K.row(groups_[g].members.front()), K.row(groups_[g].members.front()) + dk_, keys_.begin() + static_cast<std::ptrdiff_t>(g * dk_));
    x_.clear(), y_.clear(), origin_.clear(), u_.clear(), w_.clear();
    return std::move(*this);
}

// Few distinct keys in more than a plane: score each group present in [lo, hi] once, exactly.
bool KeyIndex::scan(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const {
    const bool everywhere = lo == 0 && hi + 1 == n_;
    thread_local Rational best, s;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        if (!everywhere) {
            const auto [a, b] = members_in(g, lo, hi);
            if (a == b) continue;
        }
        s = dot(q, keys_.data() + g * dk_, dk_);
        if (out.empty() || s > best) {
            best = s;
            out.assign(1, static_cast<std::uint32_t>(g));
        } else if (s == best) {
            out.push_back(static_cast<std::uint32_t>(g));
        }
    }
    return true;
}

// The best groups of one node for the direction (dx, dy) != 0, appended to out; returns
// their score dx x + dy y. On a chain the gain of edge k, score(v_{k+1}) - score(v_k), does
// not increase with k (the chain is convex and its x increases), so the best vertex is the
// first whose outgoing gain is <= 0, and the vertices after it on zero-gain edges tie with it.
template <class T>
T KeyIndex::best_in_node(const Hull& h, const T& dx, const T& dy, std::vector<std::uint32_t>& out) const {
    auto x = [&](std::uint32_t g) -> T {
        if constexpr (std::is_same_v<T, i128>) return xs_[g];
        else return x_[g];
    };
    auto y = [&](std::uint32_t g) -> T {
        if constexpr (std::is_same_v<T, i128>) return ys_[g];
        else return y_[g];
    };
    if (dy == 0) {  // the groups of extreme x: a run at one end of the (x, y) order
        const std::uint32_t* first = pool_.data() + h.sorted;
        const std::uint32_t* last = pool_.data() + h.upper;
        const std::uint32_t end = dx > 0 ? by_rank_[last[-1]] : by_rank_[first[0]];
        for (const std::uint32_t* p = first; p != last; ++p) {
            const std::uint32_t g = by_rank_[*p];
            if (x(g) == x(end)) out.push_back(g);
        }
        return dx * x(end);
    }
    const std::uint32_t* v = pool_.data() + (dy > 0 ? h.upper : h.lower);
    const std::size_t m = (dy > 0 ? h.lower : h.end) - (dy > 0 ? h.upper : h.lower);
    auto gain = [&](std::size_t k) -> int {
        const T g = dx * (x(v[k + 1]) - x(v[k])) + dy * (y(v[k + 1]) - y(v[k]));
        return g > 0 ? 1 : (g < 0 ? -1 : 0);
    };
    std::size_t lo = 0, hi = m - 1;  // first k in [0, m-1) with gain <= 0, or m-1
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (gain(mid) <= 0) hi = mid;
        else lo = mid + 1;
    }
    const T score = dx * x(v[lo]) + dy * y(v[lo]);
    out.push_back(v[lo]);
    for (std::size_t k = lo; k + 1 < m && gain(k) == 0; ++k) out.push_back(v[k + 1]);
    return score;
}

// The nodes covering [lo, hi] (the root alone for a tree-less index), their best groups
// merged by exact comparison of the scores.
template <class T>
bool KeyIndex::on_chains(const T& dx, const T& dy, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const {
    if (dx == 0 && dy == 0) return false;  // every key scores <q, origin>
    if (!intervals_ && (lo != 0 || hi + 1 != n_))
        throw std::logic_error("KeyIndex: an interval query on an index built without intervals");
    std::optional<T> best;
    thread_local std::vector<std::uint32_t> part;
    auto visit = [&](auto&& self, std::size_t k, std::uint32_t l, std::uint32_t r) -> void {
        if (hi < l || r <= lo) return;
        if (lo <= l && r <= hi + 1) {
            part.clear();
            T s = best_in_node(tree_[k], dx, dy, part);
            if (!best || s > *best) {
                best = std::move(s);
                out.assign(part.begin(), part.end());
            } else if (s == *best) {
                out.insert(out.end(), part.begin(), part.end());
            }
            return;
        }
        const std::uint32_t mid = l + (r - l) / 2;
        self(self, 2 * k, l, mid);
        self(self, 2 * k + 1, mid, r);
    };
    visit(visit, 1, 0, static_cast<std::uint32_t>(n_));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return true;
}

bool KeyIndex::argmax(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const {
    out.clear();
    if (groups_.size() <= 1) return false;
    if (scan_) return scan(q, lo, hi, out);
    // Integer keys and an integer query, read straight from the query: no Rationals at all.
    std::int64_t qx = 0, qy = 0;
    if (raw_ && small_ && (dk_ < 1 || small61(q[0], &qx)) && (dk_ < 2 || small61(q[1], &qy)))
        return on_chains<i128>(qx, qy, lo, hi, out);
    Rational dx, dy;
    direction(q, dx, dy);
    if (small_ && small61(dx, &qx) && small61(dy, &qy)) return on_chains<i128>(qx, qy, lo, hi, out);
    return on_chains<Rational>(dx, dy, lo, hi, out);
}

void KeyIndex::argmax(const Rational* q, std::vector<std::uint32_t>& out) const {
    if (n_ > 0 && argmax(q, 0, static_cast<std::uint32_t>(n_ - 1), out)) return;
    out.resize(groups_.size());
    std::iota(out.begin(), out.end(), 0u);
}

}  // namespace ahat
