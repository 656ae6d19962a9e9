#include "encoder/fast_attention.hpp"

#include <algorithm>
#include <numeric>

namespace ahat {
namespace {

// Integers below 2^61 in magnitude: differences stay below 2^62, products of a difference
// and a direction component below 2^123, and a sum of two such below 2^124.
bool small61(const Rational& r, std::int64_t* out) {
    return small_int(r, out) && mpz_sizeinbase(mpq_numref(r.backend().data()), 2) <= 61;
}

// The best vertex of a chain for a direction, given the sign of each edge's gain (strictly
// decreasing along the chain); on a zero-gain edge both ends and the points on it tie.
template <class Gain>
void best_vertex(const std::vector<std::uint32_t>& vertex, const std::vector<std::vector<std::uint32_t>>& on_edge,
                 Gain gain, std::vector<std::uint32_t>& out) {
    const std::size_t m = vertex.size();
    std::size_t lo = 0, hi = m - 1;  // first k in [0, m-1) with gain <= 0, or m-1
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if (gain(mid) <= 0) hi = mid;
        else lo = mid + 1;
    }
    out.push_back(vertex[lo]);
    if (lo + 1 < m && gain(lo) == 0) {
        out.push_back(vertex[lo + 1]);
        out.insert(out.end(), on_edge[lo].begin(), on_edge[lo].end());
    }
}

Rational cross(const Rational& ox, const Rational& oy, const Rational& ax, const Rational& ay, const Rational& bx,
               const Rational& by) {
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

}  // namespace

std::optional<KeyIndex> KeyIndex::build(const Matrix<Rational>& K) {
    KeyIndex idx;
    const std::size_t n = K.rows, dk = K.cols;
    idx.dk_ = dk;
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
    // 3. Extremes in x, and the two chains.
    std::vector<std::uint32_t> by_x(G);
    std::iota(by_x.begin(), by_x.end(), 0u);
    std::sort(by_x.begin(), by_x.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (idx.small_) return idx.xs_[a] != idx.xs_[b] ? idx.xs_[a] < idx.xs_[b] : idx.ys_[a] < idx.ys_[b];
        return idx.x_[a] != idx.x_[b] ? idx.x_[a] < idx.x_[b] : idx.y_[a] < idx.y_[b];
    });
    // Orientation of (o, a, b) in the plane (x, s*y): > 0 left turn, < 0 right turn.
    auto turn = [&](int s, std::uint32_t o, std::uint32_t a, std::uint32_t b) -> int {
        if (idx.small_) {
            const i128 ax = idx.xs_[a] - idx.xs_[o], ay = s * (idx.ys_[a] - idx.ys_[o]);
            const i128 bx = idx.xs_[b] - idx.xs_[o], by = s * (idx.ys_[b] - idx.ys_[o]);
            const i128 c = ax * by - ay * bx;
            return c > 0 ? 1 : (c < 0 ? -1 : 0);
        }
        const Rational c = cross(idx.x_[o], s * idx.y_[o], idx.x_[a], s * idx.y_[a], idx.x_[b], s * idx.y_[b]);
        return c > 0 ? 1 : (c < 0 ? -1 : 0);
    };
    auto x_less = [&](std::uint32_t a, std::uint32_t b) {
        return idx.small_ ? idx.xs_[a] < idx.xs_[b] : idx.x_[a] < idx.x_[b];
    };
    auto x_equal = [&](std::uint32_t a, std::uint32_t b) {
        return idx.small_ ? idx.xs_[a] == idx.xs_[b] : idx.x_[a] == idx.x_[b];
    };
    for (std::uint32_t g : by_x) {
        if (x_equal(g, by_x.front())) idx.xmin_.push_back(g);
        if (x_equal(g, by_x.back())) idx.xmax_.push_back(g);
    }
    for (int s : {1, -1}) {
        Chain& c = s == 1 ? idx.upper_ : idx.lower_;
        // The highest point (in s*y) of every distinct x, x ascending.
        std::vector<std::uint32_t> top;
        for (std::uint32_t g : by_x) {
            if (!top.empty() && x_equal(top.back(), g)) {
                const bool higher = idx.small_ ? s * idx.ys_[g] > s * idx.ys_[top.back()]
                                               : s * idx.y_[g] > s * idx.y_[top.back()];
                if (higher) top.back() = g;
            } else {
                top.push_back(g);
            }
        }
        for (std::uint32_t g : top) {
            while (c.vertex.size() >= 2 && turn(s, c.vertex[c.vertex.size() - 2], c.vertex.back(), g) >= 0)
                c.vertex.pop_back();
            c.vertex.push_back(g);
        }
        c.on_edge.assign(c.vertex.size() > 0 ? c.vertex.size() - 1 : 0, {});
        std::vector<bool> is_vertex(G, false);
        for (auto v : c.vertex) is_vertex[v] = true;
        for (std::uint32_t g = 0; g < G; ++g) {
            if (is_vertex[g] || c.vertex.size() < 2) continue;
            // the edge whose x-range strictly contains x_g
            auto it = std::upper_bound(c.vertex.begin(), c.vertex.end(), g, x_less);
            if (it == c.vertex.begin() || it == c.vertex.end()) continue;
            std::size_t k = static_cast<std::size_t>(it - c.vertex.begin()) - 1;
            std::uint32_t a = c.vertex[k], b = c.vertex[k + 1];
            if (x_less(a, g) && turn(s, a, b, g) == 0) c.on_edge[k].push_back(g);
        }
    }
    return idx;
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

void KeyIndex::best_on_chain(const Chain& c, int s, const Rational& dx, const Rational& dy,
                             std::vector<std::uint32_t>& out) const {
    std::int64_t sdx = 0, sdy = 0;
    const bool fast = small_ && small61(dx, &sdx) && small61(dy, &sdy);
    // gain of edge k = <(dx, dy), v_{k+1} - v_k>, strictly decreasing in k
    auto sign_of_gain = [&](std::size_t k) -> int {
        const std::uint32_t a = c.vertex[k], b = c.vertex[k + 1];
        if (fast) {
            i128 g = static_cast<i128>(sdx) * (xs_[b] - xs_[a]) + static_cast<i128>(sdy) * (s * (ys_[b] - ys_[a]));
            return g > 0 ? 1 : (g < 0 ? -1 : 0);
        }
        Rational g = dx * (x_[b] - x_[a]) + dy * (s == 1 ? y_[b] - y_[a] : y_[a] - y_[b]);
        return g > 0 ? 1 : (g < 0 ? -1 : 0);
    };
    best_vertex(c.vertex, c.on_edge, sign_of_gain, out);
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

void KeyIndex::argmax(const Rational* q, std::vector<std::uint32_t>& out) const {
    out.clear();
    const std::size_t G = groups_.size();
    if (G <= 1) {
        if (G == 1) out.push_back(0);
        return;
    }
    if (scan_) {  // few distinct keys in more than a plane: score each once, exactly
        thread_local Rational best, s;
        for (std::size_t g = 0; g < G; ++g) {
            s = dot(q, keys_.data() + g * dk_, dk_);
            if (out.empty() || s > best) {
                best = s;
                out.assign(1, static_cast<std::uint32_t>(g));
            } else if (s == best) {
                out.push_back(static_cast<std::uint32_t>(g));
            }
        }
        return;
    }
    // Integer keys and an integer query, read straight from the query: no Rationals at all.
    std::int64_t qx = 0, qy = 0;
    if (raw_ && small_ && (dk_ < 1 || small61(q[0], &qx)) && (dk_ < 2 || small61(q[1], &qy))) {
        if (qy != 0) {
            const Chain& c = qy > 0 ? upper_ : lower_;
            const int s = qy > 0 ? 1 : -1;
            const std::int64_t ay = qy > 0 ? qy : -qy;
            best_vertex(c.vertex, c.on_edge, [&](std::size_t k) {
                const std::uint32_t a = c.vertex[k], b = c.vertex[k + 1];
                const i128 g = static_cast<i128>(qx) * (xs_[b] - xs_[a]) + static_cast<i128>(ay) * (s * (ys_[b] - ys_[a]));
                return g > 0 ? 1 : (g < 0 ? -1 : 0);
            }, out);
        } else if (qx > 0) {
            out = xmax_;
        } else if (qx < 0) {
            out = xmin_;
        } else {
            out.resize(G);
            std::iota(out.begin(), out.end(), 0u);
        }
        return;
    }
    Rational dx, dy;
    direction(q, dx, dy);
    if (dy > 0) {
        best_on_chain(upper_, 1, dx, dy, out);
    } else if (dy < 0) {
        best_on_chain(lower_, -1, dx, Rational(-dy), out);
    } else if (dx > 0) {
        out = xmax_;
    } else if (dx < 0) {
        out = xmin_;
    } else {
        out.resize(G);
        std::iota(out.begin(), out.end(), 0u);
    }
}

}  // namespace ahat
