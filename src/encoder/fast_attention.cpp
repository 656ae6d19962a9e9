#include "encoder/fast_attention.hpp"

#include "exact/fast_path.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <type_traits>

namespace ahat {
namespace {

// Integers below 2^bits in magnitude (bits <= 62).
bool small_below(const Rational& r, int bits, std::int64_t* out) {
    const std::int64_t bound = std::int64_t{1} << bits;
    return small_int(r, out) && *out < bound && *out > -bound;
}

// Integers below 2^61 in magnitude: differences stay below 2^62, products of a difference
// and a direction component below 2^123, and a sum of two such below 2^124.
bool small61(const Rational& r, std::int64_t* out) { return small_below(r, 61, out); }

// The number of bits of |v|.
int bits_of(std::int64_t v) {
    const std::uint64_t a = v < 0 ? static_cast<std::uint64_t>(-v) : static_cast<std::uint64_t>(v);
    return a == 0 ? 0 : 64 - __builtin_clzll(a);
}

// r = num / den with both below 2^62 in magnitude (den > 0).
bool fraction62(const Rational& r, std::int64_t& num, std::int64_t& den) {
    mpq_srcptr q = r.backend().data();
    if (mpz_sizeinbase(mpq_numref(q), 2) > 62 || mpz_sizeinbase(mpq_denref(q), 2) > 62) return false;
    num = mpz_get_si(mpq_numref(q));
    den = mpz_get_si(mpq_denref(q));
    return true;
}

Rational cross(const Rational& ox, const Rational& oy, const Rational& ax, const Rational& ay, const Rational& bx,
               const Rational& by) {
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

// The direction (x, y) (null: 0) scaled by a positive factor to integers, as
// clear_denominators scales it, when numerators and denominators are below 2^62 and the
// results below 2^bits: in 128-bit integers, with no GMP operation.
bool small_direction(const Rational* x, const Rational* y, int bits, std::int64_t* qx, std::int64_t* qy) {
    std::int64_t nx = 0, dx = 1, ny = 0, dy = 1;
    if ((x && !fraction62(*x, nx, dx)) || (y && !fraction62(*y, ny, dy))) return false;
    const std::int64_t g = std::gcd(dx, dy);
    const i128 X = static_cast<i128>(nx) * (dy / g), Y = static_cast<i128>(ny) * (dx / g);
    const i128 bound = i128{1} << bits;
    if (X >= bound || X <= -bound || Y >= bound || Y <= -bound) return false;
    *qx = static_cast<std::int64_t>(X);
    *qy = static_cast<std::int64_t>(Y);
    return true;
}

// The least common multiple of the denominators of v, as a Rational; nullopt once it is so
// large that some value times it is at least 2^61 (it exceeds 2^61 times the largest
// denominator seen, whose value is not zero): the lcm of the 1/(t+1)^2 of positional features
// would otherwise grow to thousands of bits.
std::optional<Rational> small_common_denominator(const std::vector<Rational>& v) {
    Integer l = 1;
    std::size_t den_bits = 1;
    for (const Rational& r : v) {
        mpz_srcptr d = mpq_denref(r.backend().data());
        if (mpz_cmp_ui(d, 1) == 0) continue;
        mpz_lcm(l.backend().data(), l.backend().data(), d);
        den_bits = std::max(den_bits, mpz_sizeinbase(d, 2));
        if (mpz_sizeinbase(l.backend().data(), 2) >= den_bits + 63) return std::nullopt;
    }
    return Rational(l);
}

// Scales (a, b) by a positive rational so that both become integers (with no common factor
// introduced): the direction of a linear form, whose argmax positive scaling keeps.
void clear_denominators(Rational& a, Rational& b) {
    Integer l = 1;
    mpz_lcm(l.backend().data(), mpq_denref(a.backend().data()), mpq_denref(b.backend().data()));
    if (l != 1) {
        a *= Rational(l);
        b *= Rational(l);
    }
}

// out = x times one positive integer L (the lcm of the denominators, 1 when x is integral),
// when L < 2^31 and every product is an integer below 2^62 in magnitude; false otherwise.
bool scaled_small_ints(const Rational* x, std::size_t n, std::vector<std::int64_t>& out) {
    out.resize(n);
    std::int64_t L = 1;
    for (std::size_t k = 0; k < n; ++k) {
        if (small_int(x[k], &out[k])) continue;
        std::int64_t num = 0, den = 1;
        if (!fraction62(x[k], num, den)) return false;
        L = L / std::gcd(L, den) * den;
        if (L >= (std::int64_t{1} << 31)) return false;
    }
    if (L == 1) return true;
    for (std::size_t k = 0; k < n; ++k) {
        // x = num / den with den | L: x L = num (L / den), below 2^62 or refused
        std::int64_t num = 0, den = 1;
        if (!fraction62(x[k], num, den)) return false;
        const i128 v = static_cast<i128>(num) * (L / den);
        if (v >= (i128{1} << 62) || v <= -(i128{1} << 62)) return false;
        out[k] = static_cast<std::int64_t>(v);
    }
    return true;
}

}  // namespace

std::optional<KeyIndex> KeyIndex::build(const Matrix<Rational>& K, bool intervals) {
    KeyIndex idx;
    const std::size_t n = K.rows, dk = K.cols;
    idx.dk_ = dk;
    idx.n_ = n;
    idx.intervals_ = intervals;
    if (n == 0) return idx;
    // 1. Classes of equal keys, in lexicographic key order; members ascending.
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    // Keys compare as int64 rows when every entry is a small integer (the common case), or
    // is one once all keys are scaled by the lcm of their denominators (a positive scale keeps
    // both the lexicographic order and the order of scores, which is all ik is used for).
    std::vector<std::int64_t> ik;
    const bool int_keys = scaled_small_ints(K.data.data(), n * dk, ik);
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
    idx.group_of_.resize(n);
    idx.spans_.resize(G);
    for (std::uint32_t g = 0; g < G; ++g) {
        for (std::uint32_t j : idx.groups_[g].members) idx.group_of_[j] = g;
        idx.spans_[g] = {idx.groups_[g].members.front(), static_cast<std::uint32_t>(idx.groups_[g].members.size())};
    }
    idx.keys_.resize(G * dk);
    idx.int_keys_ = int_keys;
    if (int_keys) idx.ikeys_.resize(G * dk);
    for (std::size_t g = 0; g < G; ++g) {
        const std::size_t j = idx.groups_[g].members.front();
        std::copy(K.row(j), K.row(j) + dk, idx.keys_.begin() + static_cast<std::ptrdiff_t>(g * dk));
        if (int_keys) std::copy(ik.begin() + static_cast<std::ptrdiff_t>(j * dk), ik.begin() + static_cast<std::ptrdiff_t>((j + 1) * dk), idx.ikeys_.begin() + static_cast<std::ptrdiff_t>(g * dk));
    }
    // 2. One plane of all the distinct keys; else classes by the coordinates of few values,
    //    each a plane; else, when the keys are few, one class per key.
    auto finish = [&]() -> std::optional<KeyIndex> {
        for (Plane& p : idx.planes_) {
            p.identity = true;
            for (std::size_t t = 0; t < p.groups.size() && p.identity; ++t) p.identity = p.groups[t] == t;
            idx.build_tree(p);
        }
        return std::move(idx);
    };
    {
        Plane all;
        all.groups.resize(G);
        std::iota(all.groups.begin(), all.groups.end(), 0u);
        if (idx.fit(all)) {
            idx.planes_.push_back(std::move(all));
            return finish();
        }
    }
    // Class coordinates: those with at most `limit` distinct values, for limit 2, 4, 8, 16 in
    // turn (a coordinate of a plane's part may take few values too, and then splits too much).
    // Integer keys compare as their int64 copies (a positive scale keeps order and equality).
    auto differ = [&](std::size_t a, std::size_t b) {
        return idx.int_keys_ ? idx.ikeys_[a] != idx.ikeys_[b] : idx.keys_[a] != idx.keys_[b];
    };
    auto less = [&](std::size_t a, std::size_t b) {
        return idx.int_keys_ ? idx.ikeys_[a] < idx.ikeys_[b] : idx.keys_[a] < idx.keys_[b];
    };
    std::vector<std::size_t> values(dk, 0);
    for (std::size_t c = 0; c < dk; ++c) {
        std::vector<std::size_t> seen;  // entries of keys_ with distinct values
        for (std::size_t g = 0; g < G && seen.size() <= kFewClasses; ++g)
            if (std::none_of(seen.begin(), seen.end(), [&](std::size_t e) { return !differ(e, g * dk + c); })) seen.push_back(g * dk + c);
        values[c] = seen.size();
    }
    for (std::size_t limit = 2; limit <= kFewClasses; limit *= 2) {
        std::vector<std::size_t> few_values;
        for (std::size_t c = 0; c < dk; ++c)
            if (values[c] <= limit) few_values.push_back(c);
        if (few_values.empty() || few_values.size() == dk) continue;
        std::vector<std::uint32_t> by_class(G);
        std::iota(by_class.begin(), by_class.end(), 0u);
        auto class_less = [&](std::uint32_t a, std::uint32_t b) {
            for (std::size_t c : few_values)
                if (differ(a * dk + c, b * dk + c)) return less(a * dk + c, b * dk + c);
            return false;
        };
        std::stable_sort(by_class.begin(), by_class.end(), class_less);
        std::vector<Plane> planes;
        for (std::size_t t = 0; t < G; ++t) {
            if (t == 0 || class_less(by_class[t - 1], by_class[t])) planes.emplace_back();
            planes.back().groups.push_back(by_class[t]);
        }
        bool planar = idx.few(planes.size());
        for (std::size_t c = 0; c < planes.size() && planar; ++c) planar = idx.fit(planes[c]);
        if (planar) {
            idx.planes_ = std::move(planes);
            return finish();
        }
    }
    if (!idx.few(G)) return std::nullopt;
    idx.planes_.resize(G);
    for (std::uint32_t g = 0; g < G; ++g) {
        idx.planes_[g].groups = {g};
        idx.fit(idx.planes_[g]);
    }
    return finish();
}

// Plane coordinates of the plane's keys, scaled to integers where that keeps them small,
// else homogeneous where that does; false when the keys span more than a plane.
bool KeyIndex::fit(Plane& p) const {
    const std::size_t m = p.groups.size(), dk = dk_;
    auto key = [&](std::size_t t) { return keys_.data() + p.groups[t] * dk; };
    if (dk <= 2) {
        p.x.assign(m, Rational(0));
        p.y.assign(m, Rational(0));
        for (std::size_t t = 0; t < m; ++t) {
            if (dk >= 1) p.x[t] = key(t)[0];
            if (dk == 2) p.y[t] = key(t)[1];
        }
        p.axes = true;
        p.ax = dk >= 1 ? 0 : -1;
        p.ay = dk == 2 ? 1 : -1;
    } else {
        p.raw = false;
        // Two differences of keys, u = k_s - k_0 and w = k_t - k_0, that are not parallel, and
        // two coordinates i, j where their minor det = u_i w_j - u_j w_i is not zero (a line:
        // w and j absent; one key: u and i too).
        const Rational* o = key(0);
        std::vector<Rational> u, w, diff(dk);
        std::size_t i = dk, j = dk;
        Rational det;
        for (std::size_t t = 1; t < m && w.empty(); ++t) {
            for (std::size_t c = 0; c < dk; ++c) diff[c] = key(t)[c] - o[c];
            if (u.empty()) {
                u = diff;  // not zero: the keys are distinct
                i = static_cast<std::size_t>(std::find_if(u.begin(), u.end(), [](const Rational& v) { return v != 0; }) - u.begin());
                continue;
            }
            for (std::size_t c = 0; c < dk && w.empty(); ++c) {
                det = u[i] * diff[c] - u[c] * diff[i];
                if (det != 0) j = c, w = diff;
            }
        }
        // On the plane, k_c - o_c = a_c (k_i - o_i) + b_c (k_j - o_j), with
        // a_c = (u_c w_j - w_c u_j) / det and b_c = (w_c u_i - u_c w_i) / det (a_i = b_j = 1,
        // a_j = b_i = 0); on a line a_c = u_c / u_i. So x = k_i and y = k_j are the plane's
        // coordinates, and <q, k> = const + <q, a> x + <q, b> y: a and b are kept as u and w.
        p.u.assign(dk, Rational(0));
        p.w.assign(dk, Rational(0));
        std::vector<std::size_t> constant, affine;  // the other coordinates: a_c = b_c = 0, or not
        for (std::size_t c = 0; c < dk; ++c) {
            if (!w.empty()) {
                p.u[c] = (u[c] * w[j] - w[c] * u[j]) / det;
                p.w[c] = (w[c] * u[i] - u[c] * w[i]) / det;
            } else if (i < dk) {
                p.u[c] = u[c] / u[i];
            }
            if (c == i || c == j) continue;
            (p.u[c] == 0 && p.w[c] == 0 ? constant : affine).push_back(c);
        }
        // Every key must satisfy those identities; else the keys span more than a plane.
        Rational di, dj, rebuilt;
        for (std::size_t t = 0; t < m; ++t) {
            const Rational* k = key(t);
            for (std::size_t c : constant)
                if (k[c] != o[c]) return false;
            if (!affine.empty()) {
                di = k[i] - o[i];
                if (j < dk) dj = k[j] - o[j];
                for (std::size_t c : affine) {
                    rebuilt = o[c] + p.u[c] * di;
                    if (j < dk) rebuilt += p.w[c] * dj;
                    if (rebuilt != k[c]) return false;
                }
            }
        }
        // Only a plane gets its coordinates (a failed fit is cheap: the first key off the plane).
        p.x.assign(m, Rational(0));
        p.y.assign(m, Rational(0));
        for (std::size_t t = 0; t < m; ++t) {
            if (i < dk) p.x[t] = key(t)[i];
            if (j < dk) p.y[t] = key(t)[j];
        }
        // The other coordinates constant (a bias, a flag): the direction is q's pivot coordinates.
        p.axes = affine.empty();
        p.ax = i < dk ? static_cast<int>(i) : -1;
        p.ay = j < dk ? static_cast<int>(j) : -1;
    }
    // Integer coordinates where clearing the denominators keeps them below 2^61 (the 128-bit
    // path); otherwise the rationals as they are (denominators such as (i+1)^2 of positional
    // features would make the integers huge), homogeneous where each point's are small.
    p.xs.resize(m);
    p.ys.resize(m);
    auto scaled = [&](std::vector<Rational>& v, std::vector<std::int64_t>& iv, Rational& scale) {
        const std::optional<Rational> l = small_common_denominator(v);
        scale = 1;
        if (!l) return false;
        const bool unit = *l == 1;
        for (std::size_t t = 0; t < m; ++t)
            if (!(unit ? small61(v[t], &iv[t]) : small61(v[t] * *l, &iv[t]))) return false;  // no copy of v[t] when unit
        scale = *l;
        if (scale != 1)
            for (Rational& r : v) r *= scale;
        return true;
    };
    const bool small_x = scaled(p.x, p.xs, p.sx), small_y = scaled(p.y, p.ys, p.sy);
    p.small = small_x && small_y;
    p.unit = p.sx == 1 && p.sy == 1;
    p.hom = !p.small && homogeneous(p);
    if (!p.hom) p.ds.clear();
    return true;
}

// (x, y) = (X, Y) / D with D the least common multiple of the point's denominators, when every
// X, Y, D is below 2^62 and 2 bits(X, Y) + bits(D) <= 124: orientation tests (determinants of
// three homogeneous points) then stay below 2^127. A direction (dx, dy) below 2^qbits, with
// qbits + bits(X, Y) + bits(D) <= 125, makes each gain (dx X1 + dy Y1) D0 - (dx X0 + dy Y0) D1
// an exact 128-bit integer too.
bool KeyIndex::homogeneous(Plane& p) {
    const std::size_t m = p.x.size();
    p.ds.resize(m);
    int bxy = 0, bd = 0;
    constexpr i128 bound = i128{1} << 62;
    for (std::size_t t = 0; t < m; ++t) {
        std::int64_t nx = 0, dx = 1, ny = 0, dy = 1;
        if (!fraction62(p.x[t], nx, dx) || !fraction62(p.y[t], ny, dy)) return false;
        const i128 d = static_cast<i128>(dx / std::gcd(dx, dy)) * dy;
        if (d >= bound) return false;
        const i128 X = static_cast<i128>(nx) * static_cast<std::int64_t>(d / dx);
        const i128 Y = static_cast<i128>(ny) * static_cast<std::int64_t>(d / dy);
        if (X >= bound || X <= -bound || Y >= bound || Y <= -bound) return false;
        p.xs[t] = static_cast<std::int64_t>(X);
        p.ys[t] = static_cast<std::int64_t>(Y);
        p.ds[t] = static_cast<std::int64_t>(d);
        bxy = std::max({bxy, bits_of(p.xs[t]), bits_of(p.ys[t])});
        bd = std::max(bd, bits_of(p.ds[t]));
    }
    if (2 * bxy + bd > 124) return false;
    p.qbits = std::min(61, 125 - bxy - bd);
    return true;
}

// The (x, y) order of the plane's keys and the chains of its tree's nodes (the root alone
// without intervals; nothing for a plane of one key).
void KeyIndex::build_tree(Plane& p) const {
    const std::size_t m = p.groups.size();
    if (m == 1 && planes_.size() > 1) return;
    p.by_rank.resize(m);
    std::iota(p.by_rank.begin(), p.by_rank.end(), 0u);
    std::sort(p.by_rank.begin(), p.by_rank.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (p.small) return p.xs[a] != p.xs[b] ? p.xs[a] < p.xs[b] : p.ys[a] < p.ys[b];
        if (p.hom) {  // X_a / D_a against X_b / D_b, D > 0
            const i128 l = static_cast<i128>(p.xs[a]) * p.ds[b], r = static_cast<i128>(p.xs[b]) * p.ds[a];
            return l != r ? l < r : static_cast<i128>(p.ys[a]) * p.ds[b] < static_cast<i128>(p.ys[b]) * p.ds[a];
        }
        return p.x[a] != p.x[b] ? p.x[a] < p.x[b] : p.y[a] < p.y[b];
    });
    std::vector<std::uint32_t> rank(m);
    for (std::uint32_t r = 0; r < m; ++r) rank[p.by_rank[r]] = r;
    if (planes_.size() > 1) {
        for (std::uint32_t g : p.groups) p.positions.insert(p.positions.end(), groups_[g].members.begin(), groups_[g].members.end());
        std::sort(p.positions.begin(), p.positions.end());
    }
    const std::size_t count = p.positions.empty() ? n_ : p.positions.size();
    p.rank_of.resize(count);
    for (std::uint32_t t = 0; t < m; ++t)
        for (std::uint32_t j : groups_[p.groups[t]].members) {
            const std::size_t at = p.positions.empty() ? j : static_cast<std::size_t>(std::lower_bound(p.positions.begin(), p.positions.end(), j) - p.positions.begin());
            p.rank_of[at] = rank[t];
        }
    p.tree.resize(intervals_ ? 4 * count : 2);
    build_node(p, 1, 0, static_cast<std::uint32_t>(count), intervals_);
}

// Node k covers position indices [l, r). Children first (when recursing), then the node's
// distinct ranks (the merge of the children's, or all ranks at the root of a tree-less
// plane), then its upper chain (for each x the highest point, pops on left turns) and lower
// chain (the lowest, pops on right turns); collinear points stay.
void KeyIndex::build_node(Plane& p, std::size_t k, std::uint32_t l, std::uint32_t r, bool recurse) const {
    thread_local std::vector<std::uint32_t> ranks, chain;  // shared by the recursion: filled after it
    if (recurse && r - l > 1) {
        const std::uint32_t mid = l + (r - l) / 2;
        build_node(p, 2 * k, l, mid, true);
        build_node(p, 2 * k + 1, mid, r, true);
    }
    ranks.clear();
    if (!recurse) {
        ranks.resize(p.groups.size());
        std::iota(ranks.begin(), ranks.end(), 0u);
    } else if (r - l == 1) {
        ranks.push_back(p.rank_of[l]);
    } else {
        const Hull &a = p.tree[2 * k], &b = p.tree[2 * k + 1];
        std::set_union(p.pool.begin() + a.sorted, p.pool.begin() + a.upper, p.pool.begin() + b.sorted,
                       p.pool.begin() + b.upper, std::back_inserter(ranks));
    }
    Hull& h = p.tree[k];
    h.sorted = static_cast<std::uint32_t>(p.pool.size());
    p.pool.insert(p.pool.end(), ranks.begin(), ranks.end());
    auto x_equal = [&](std::uint32_t a, std::uint32_t b) {
        if (p.small) return p.xs[a] == p.xs[b];
        if (p.hom) return static_cast<i128>(p.xs[a]) * p.ds[b] == static_cast<i128>(p.xs[b]) * p.ds[a];
        return p.x[a] == p.x[b];
    };
    // sign of the cross product (a - o) x (b - o)
    auto turn = [&](std::uint32_t o, std::uint32_t a, std::uint32_t b) -> int {
        if (p.small) {
            const i128 c = static_cast<i128>(p.xs[a] - p.xs[o]) * (p.ys[b] - p.ys[o]) -
                           static_cast<i128>(p.ys[a] - p.ys[o]) * (p.xs[b] - p.xs[o]);
            return c > 0 ? 1 : (c < 0 ? -1 : 0);
        }
        if (p.hom) {  // det [[D_o, X_o, Y_o], [D_a, X_a, Y_a], [D_b, X_b, Y_b]] = D_o D_a D_b times it
            const std::int64_t *X = p.xs.data(), *Y = p.ys.data(), *D = p.ds.data();
            const i128 c = static_cast<i128>(D[o]) * (static_cast<i128>(X[a]) * Y[b] - static_cast<i128>(Y[a]) * X[b]) -
                           static_cast<i128>(X[o]) * (static_cast<i128>(D[a]) * Y[b] - static_cast<i128>(Y[a]) * D[b]) +
                           static_cast<i128>(Y[o]) * (static_cast<i128>(D[a]) * X[b] - static_cast<i128>(X[a]) * D[b]);
            return c > 0 ? 1 : (c < 0 ? -1 : 0);
        }
        const Rational c = cross(p.x[o], p.y[o], p.x[a], p.y[a], p.x[b], p.y[b]);
        return c > 0 ? 1 : (c < 0 ? -1 : 0);
    };
    for (int side : {1, -1}) {
        (side == 1 ? h.upper : h.lower) = static_cast<std::uint32_t>(p.pool.size());
        chain.clear();
        for (std::size_t t = 0; t < ranks.size(); ++t) {
            const std::uint32_t g = p.by_rank[ranks[t]];
            // ranks ascend in (x, y): the highest of an x is its last, the lowest its first
            if (side == 1 && t + 1 < ranks.size() && x_equal(g, p.by_rank[ranks[t + 1]])) continue;
            if (side == -1 && t > 0 && x_equal(g, p.by_rank[ranks[t - 1]])) continue;
            while (chain.size() >= 2 && turn(chain[chain.size() - 2], chain.back(), g) * side > 0) chain.pop_back();
            chain.push_back(g);
        }
        p.pool.insert(p.pool.end(), chain.begin(), chain.end());
    }
    h.end = static_cast<std::uint32_t>(p.pool.size());
    if (p.small || p.hom) {
        h.points = static_cast<std::uint32_t>(p.points.size());
        for (std::uint32_t t = h.upper; t < h.end; ++t) p.points.push_back({p.xs[p.pool[t]], p.ys[p.pool[t]], p.pool[t]});
        if (p.hom)
            for (std::uint32_t t = h.upper; t < h.end; ++t) p.point_ds.push_back(p.ds[p.pool[t]]);
    }
}

bool KeyIndex::same_keys(const Matrix<Rational>& K) const {
    if (K.rows != n_ || K.cols != dk_) return false;
    for (std::size_t j = 0; j < n_; ++j)
        if (!std::equal(K.row(j), K.row(j) + dk_, keys_.data() + group_of_[j] * dk_)) return false;
    return true;
}

std::vector<KeyIndex::Arithmetic> KeyIndex::arithmetic() const {
    std::vector<Arithmetic> out;
    for (const Plane& p : planes_)
        out.push_back(p.small ? Arithmetic::small : p.hom ? Arithmetic::homogeneous : Arithmetic::rational);
    return out;
}

std::pair<std::size_t, std::size_t> KeyIndex::members_in(std::size_t g, std::uint32_t lo, std::uint32_t hi) const {
    const auto& m = groups_[g].members;
    if (lo <= m.front() && m.back() <= hi) return {0, m.size()};  // all of them: no search
    const auto a = std::lower_bound(m.begin(), m.end(), lo), b = std::upper_bound(a, m.end(), hi);
    return {static_cast<std::size_t>(a - m.begin()), static_cast<std::size_t>(b - m.begin())};
}

// The best groups of one node for the direction (dx, dy) != 0, appended to out (local
// indices); returns their score dx x + dy y. On a chain the gain of edge k, score(v_{k+1}) -
// score(v_k), has a sign that does not increase with k (the chain is convex and its x
// increases), so the best vertex is the first whose outgoing gain is <= 0, and the vertices
// after it on zero-gain edges tie with it.
namespace {

// sign(dx (x1 - x0) + dy (y1 - y0)) for rationals, exactly: with dx = a/b, dy = c/d and the
// points' coordinates n/m (denominators positive), the sign of
// a d (xn1 xd0 - xn0 xd1) yd0 yd1 + c b (yn1 yd0 - yn0 yd1) xd0 xd1, formed in integers kept
// per thread: no gcd and, once the temporaries have grown, no allocation (the mpq form of the
// same expression canonicalises every product and difference).
int gain_sign(const Rational& dx, const Rational& dy, const Rational& x0, const Rational& x1, const Rational& y0,
              const Rational& y1) {
    struct Temps {
        mpz_t t1, t2, u;
        Temps() { mpz_init(t1), mpz_init(t2), mpz_init(u); }
        ~Temps() { mpz_clear(t1), mpz_clear(t2), mpz_clear(u); }
    };
    thread_local Temps t;
    auto num = [](const Rational& r) { return mpq_numref(r.backend().data()); };
    auto den = [](const Rational& r) { return mpq_denref(r.backend().data()); };
    // out = (n(b) d(a) - n(a) d(b)) n(dir) d(other) d(f0) d(f1): one term of the sum above
    auto term = [&](mpz_ptr out, const Rational& a, const Rational& b, const Rational& dir, const Rational& other,
                    const Rational& f0, const Rational& f1) {
        mpz_mul(out, num(b), den(a));
        mpz_mul(t.u, num(a), den(b));
        mpz_sub(out, out, t.u);
        mpz_mul(out, out, num(dir));
        mpz_mul(out, out, den(other));
        mpz_mul(out, out, den(f0));
        mpz_mul(out, out, den(f1));
    };
    term(t.t1, x0, x1, dx, dy, y0, y1);
    term(t.t2, y0, y1, dy, dx, x0, x1);
    mpz_add(t.t1, t.t1, t.t2);
    return mpz_sgn(t.t1);
}

// sign(score(1) - score(0)) for the direction (dx, dy) between two 128-bit points: plain
// (integers below 2^61) or homogeneous (x = X / D; bounds in homogeneous()).
int gain128(i128 dx, i128 dy, std::int64_t x0, std::int64_t y0, std::int64_t x1, std::int64_t y1, const std::int64_t* d0,
            const std::int64_t* d1) {
    const i128 g = d0 ? (dx * x1 + dy * y1) * *d0 - (dx * x0 + dy * y0) * *d1 : dx * (x1 - x0) + dy * (y1 - y0);
    return g > 0 ? 1 : (g < 0 ? -1 : 0);
}

}  // namespace

template <class T>
void KeyIndex::best_in_node(const Plane& p, const Hull& h, const T& dx, const T& dy, std::vector<std::uint32_t>& out) const {
    constexpr bool fast = std::is_same_v<T, i128>;
    if (dy == 0) {  // the groups of extreme x: a run at one end of the (x, y) order
        const std::uint32_t* first = p.pool.data() + h.sorted;
        const std::uint32_t* last = p.pool.data() + h.upper;
        const std::uint32_t end = dx > 0 ? p.by_rank[last[-1]] : p.by_rank[first[0]];
        auto same_x = [&](std::uint32_t g) {
            if constexpr (fast) {
                if (p.hom) return static_cast<i128>(p.xs[g]) * p.ds[end] == static_cast<i128>(p.xs[end]) * p.ds[g];
                return p.xs[g] == p.xs[end];
            } else {
                return p.x[g] == p.x[end];
            }
        };
        for (const std::uint32_t* r = first; r != last; ++r)
            if (same_x(p.by_rank[*r])) out.push_back(p.by_rank[*r]);
        return;
    }
    const std::uint32_t first = dy > 0 ? h.upper : h.lower;
    const std::uint32_t* v = p.pool.data() + first;
    const std::size_t m = (dy > 0 ? h.lower : h.end) - first;
    const Point* pt = nullptr;  // 128-bit: the chain's points
    const std::int64_t* pd = nullptr;  // homogeneous: their D
    if constexpr (fast) {
        pt = p.points.data() + h.points + (first - h.upper);
        if (p.hom) pd = p.point_ds.data() + h.points + (first - h.upper);
    }
    // 128-bit gains from vertex k to k + 1, for the interpolation below: the gain, or for
    // homogeneous points the gain times D_k D_{k+1} (its sign), with the gain in double.
    auto gain_of = [&](auto k, double& approx) -> i128 {  // generic: instantiated only where called
        if (!pd) {
            const i128 g = dx * (pt[k + 1].x - pt[k].x) + dy * (pt[k + 1].y - pt[k].y);
            approx = static_cast<double>(g);
            return g;
        }
        const i128 g = (dx * pt[k + 1].x + dy * pt[k + 1].y) * pd[k] - (dx * pt[k].x + dy * pt[k].y) * pd[k + 1];
        approx = static_cast<double>(g) / (static_cast<double>(pd[k]) * static_cast<double>(pd[k + 1]));
        return g;
    };
    // The sign of the gain from vertex k to k + 1; rationals by integer cross-multiplication.
    auto gain = [&](std::size_t k) -> int {
        if constexpr (fast) {
            double unused = 0;
            const i128 g = gain_of(k, unused);
            return g > 0 ? 1 : (g < 0 ? -1 : 0);
        } else {
            return gain_sign(dx, dy, p.x[v[k]], p.x[v[k + 1]], p.y[v[k]], p.y[v[k + 1]]);
        }
    };
    // The first k in [0, m-1) with gain <= 0, or m-1: gains at k < lo are > 0, and hi is m-1
    // or has gain <= 0. 128-bit gains also guess the crossing by interpolating between the
    // gains known at lo - 1 and hi (a guess in double: only the exact sign of the gain probed
    // there decides), which takes a few probes where the chain's slopes are spread evenly (a
    // search step is a cache miss on a large chain); a probe that fails to halve the range is
    // followed by a bisection, so there are at most 2 log2 m probes.
    std::size_t lo = 0, hi = m - 1;
    double below = 0, above = 0;  // 128-bit gains: gain(lo - 1) > 0, gain(hi) <= 0, when known
    bool known_below = false, known_above = false, bisect = false;
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if constexpr (fast) {
            if (!bisect && known_below && known_above) {
                const double f = below / (below - above);
                const double at = static_cast<double>(lo - 1) + f * static_cast<double>(hi - lo + 1);
                mid = at <= static_cast<double>(lo) ? lo : (at >= static_cast<double>(hi - 1) ? hi - 1 : static_cast<std::size_t>(at));
            }
        }
        const std::size_t before = hi - lo;
        double approx = 0;  // 128-bit gains: the value, for the interpolation
        int sign = 0;
        if constexpr (fast) {
            const i128 g = gain_of(mid, approx);
            sign = g > 0 ? 1 : (g < 0 ? -1 : 0);
        } else {
            sign = gain(mid);
        }
        if (sign <= 0) {
            hi = mid;
            known_above = true;
            above = approx;
        } else {
            lo = mid + 1;
            known_below = true;
            below = approx;
        }
        bisect = !bisect && 2 * (hi - lo) > before;
    }
    auto vertex = [&](std::size_t k) {
        if constexpr (fast) return pt[k].g;
        else return v[k];
    };
    out.push_back(vertex(lo));
    for (std::size_t k = lo; k + 1 < m && gain(k) == 0; ++k) out.push_back(vertex(k + 1));
}

// The nodes covering position indices [a, b] (the root alone for a tree-less plane), their
// best groups merged by the exact sign of their score differences; out gets local indices.
template <class T>
void KeyIndex::on_chains(const Plane& p, const T& dx, const T& dy, std::uint32_t a, std::uint32_t b,
                         std::vector<std::uint32_t>& out) const {
    const auto count = static_cast<std::uint32_t>(p.rank_of.size());
    if (!intervals_ && (a != 0 || b + 1 != count))
        throw std::logic_error("KeyIndex: an interval query on an index built without intervals");
    // sign(score(g1) - score(g0))
    auto better_than = [&](std::uint32_t g0, std::uint32_t g1) -> int {
        if constexpr (std::is_same_v<T, i128>)
            return gain128(dx, dy, p.xs[g0], p.ys[g0], p.xs[g1], p.ys[g1], p.hom ? &p.ds[g0] : nullptr,
                           p.hom ? &p.ds[g1] : nullptr);
        else return gain_sign(dx, dy, p.x[g0], p.x[g1], p.y[g0], p.y[g1]);
    };
    std::uint32_t best_g = 0;  // a vertex of the best score so far
    bool found = false;
    thread_local std::vector<std::uint32_t> part;
    auto visit = [&](auto&& self, std::size_t k, std::uint32_t l, std::uint32_t r) -> void {
        if (b < l || r <= a) return;
        if (a <= l && r <= b + 1) {
            part.clear();
            best_in_node(p, p.tree[k], dx, dy, part);
            if (part.empty()) return;
            const int better = found ? better_than(best_g, part[0]) : 1;
            if (better > 0) {
                best_g = part[0], found = true;
                out.assign(part.begin(), part.end());
            } else if (better == 0) {
                out.insert(out.end(), part.begin(), part.end());
            }
            return;
        }
        const std::uint32_t mid = l + (r - l) / 2;
        self(self, 2 * k, l, mid);
        self(self, 2 * k + 1, mid, r);
    };
    visit(visit, 1, 0, count);
}

// Every key of the plane at position indices [a, b] (local indices).
void KeyIndex::present(const Plane& p, std::uint32_t a, std::uint32_t b, std::vector<std::uint32_t>& out) const {
    const auto count = static_cast<std::uint32_t>(p.rank_of.size());
    if (!intervals_ && (a != 0 || b + 1 != count))
        throw std::logic_error("KeyIndex: an interval query on an index built without intervals");
    auto visit = [&](auto&& self, std::size_t k, std::uint32_t l, std::uint32_t r) -> void {
        if (b < l || r <= a) return;
        if (a <= l && r <= b + 1) {
            for (std::uint32_t t = p.tree[k].sorted; t < p.tree[k].upper; ++t) out.push_back(p.by_rank[p.pool[t]]);
            return;
        }
        const std::uint32_t mid = l + (r - l) / 2;
        self(self, 2 * k, l, mid);
        self(self, 2 * k + 1, mid, r);
    };
    visit(visit, 1, 0, count);
}

int KeyIndex::in_plane(const Plane& p, const Rational* q, std::uint32_t lo, std::uint32_t hi,
                       std::vector<std::uint32_t>& out) const {
    out.clear();
    if (p.groups.size() == 1 && planes_.size() > 1) {  // one key: is it in [lo, hi]?
        const auto [a, b] = members_in(p.groups[0], lo, hi);
        if (a == b) return 0;
        out.push_back(p.groups[0]);
        return 1;
    }
    std::uint32_t a = lo, b = hi;  // position indices of the plane
    if (!p.positions.empty()) {
        a = static_cast<std::uint32_t>(std::lower_bound(p.positions.begin(), p.positions.end(), lo) - p.positions.begin());
        b = static_cast<std::uint32_t>(std::upper_bound(p.positions.begin(), p.positions.end(), hi) - p.positions.begin());
        if (a == b) return 0;
        --b;
    }
    // The direction of q in the plane's scaled coordinates: (<q, u> / sx, <q, w> / sy).
    std::int64_t qx = 0, qy = 0;
    if (p.axes && p.unit && (p.small || p.hom) &&
        small_direction(p.ax >= 0 ? q + p.ax : nullptr, p.ay >= 0 ? q + p.ay : nullptr, p.small ? 61 : p.qbits, &qx, &qy)) {
        if (qx == 0 && qy == 0) return 2;
        on_chains<i128>(p, qx, qy, a, b, out);
    } else {
        Rational dx, dy;
        if (p.raw) {
            dx = dk_ >= 1 ? q[0] : Rational(0);
            dy = dk_ == 2 ? q[1] : Rational(0);
        } else {
            dx = dot(q, p.u.data(), dk_);
            dy = dot(q, p.w.data(), dk_);
        }
        if (dx == 0 && dy == 0) return 2;
        if (!p.unit) dx /= p.sx, dy /= p.sy;
        if (p.small || p.hom) clear_denominators(dx, dy);  // a positive multiple: the same argmax
        if (p.small ? small61(dx, &qx) && small61(dy, &qy)
                    : p.hom && small_below(dx, p.qbits, &qx) && small_below(dy, p.qbits, &qy))
            on_chains<i128>(p, qx, qy, a, b, out);
        else
            on_chains<Rational>(p, dx, dy, a, b, out);
    }
    if (!p.identity)
        for (std::uint32_t& g : out) g = p.groups[g];
    return 1;
}

bool KeyIndex::argmax(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const {
    out.clear();
    if (groups_.size() <= 1) return false;
    if (planes_.size() == 1) {
        if (in_plane(planes_[0], q, lo, hi, out) != 1) return false;  // 2: every key ties
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return true;
    }
    // Several classes: each one's best, then the best of those by their exact scores (128-bit
    // integers with overflow checks where the query and the keys are small integers).
    thread_local std::vector<std::uint32_t> part, found_groups, first;
    found_groups.clear(), first.clear();
    for (const Plane& p : planes_) {
        const int found = in_plane(p, q, lo, hi, part);
        if (found == 0) continue;
        if (found == 2) {  // q ties the plane's keys in [lo, hi]: all of them
            part.clear();
            const auto a = std::lower_bound(p.positions.begin(), p.positions.end(), lo) - p.positions.begin();
            const auto b = std::upper_bound(p.positions.begin(), p.positions.end(), hi) - p.positions.begin();
            present(p, static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b - 1), part);
            for (std::uint32_t& g : part) g = p.groups[g];
        }
        first.push_back(static_cast<std::uint32_t>(found_groups.size()));
        found_groups.insert(found_groups.end(), part.begin(), part.end());
    }
    first.push_back(static_cast<std::uint32_t>(found_groups.size()));
    const std::size_t classes = first.size() - 1;
    thread_local std::vector<i128> small_scores;
    thread_local std::vector<Rational> scores;
    thread_local std::vector<std::int64_t> iq;
    bool small = int_keys_ && small_ints(q, dk_, iq);
    small_scores.resize(classes);
    for (std::size_t k = 0; k < classes && small; ++k) {
        const auto s = small_dot(iq.data(), ikeys_.data() + found_groups[first[k]] * dk_, dk_);
        small = s.has_value();
        if (small) small_scores[k] = *s;
    }
    if (!small) {
        scores.resize(classes);
        for (std::size_t k = 0; k < classes; ++k) scores[k] = dot(q, keys_.data() + found_groups[first[k]] * dk_, dk_);
    }
    std::size_t top = 0;
    for (std::size_t k = 1; k < classes; ++k)
        if (small ? small_scores[k] > small_scores[top] : scores[k] > scores[top]) top = k;
    for (std::size_t k = 0; k < classes; ++k)
        if (small ? small_scores[k] == small_scores[top] : scores[k] == scores[top])
            out.insert(out.end(), found_groups.begin() + first[k], found_groups.begin() + first[k + 1]);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return true;
}

void KeyIndex::argmax(const Rational* q, std::vector<std::uint32_t>& out) const {
    if (n_ > 0 && argmax(q, 0, static_cast<std::uint32_t>(n_ - 1), out)) return;
    out.resize(groups_.size());
    std::iota(out.begin(), out.end(), 0u);
}

}  // namespace ahat
