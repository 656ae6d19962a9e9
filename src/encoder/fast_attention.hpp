// Exact hard attention in less than quadratic time where the keys have structure.
//
// Offers:
//   KeyIndex::build(K, intervals)
//                        groups the key rows into classes of equal keys, and, when the
//                        distinct keys span an affine space of dimension <= 2, builds the
//                        upper and lower convex chains of the keys seen as points of the plane
//                        (dimension 1 is the degenerate case y = 0). With `intervals`, it
//                        builds them for every node of a segment tree over the key positions
//                        (O(n log n) memory), so that any interval of positions is answered,
//                        which masked and windowed heads need. When the keys span more than a
//                        plane, it splits them into classes by the key coordinates that take
//                        at most 2 (then 4, 8, 16) values (a one-hot part, a beginning-of-
//                        sequence flag) and treats each class as a plane of its own, if every
//                        class is planar
//                        and there are few classes (C <= 16 or C^2 <= n); failing that, when
//                        the distinct keys are few (G <= 16 or G^2 <= n: one-hot keys over a
//                        vocabulary, say), each is a class of one key, scanned. nullopt
//                        otherwise (the caller falls back to the dense scan).
//   argmax(q, lo, hi, out)
//                        the groups with a member at a position in [lo, hi] whose key
//                        maximises <q, k> among those, exactly; false (out empty) when the
//                        keys are one class (or one key) and q scores them all alike: every
//                        allowed key ties (with several classes, all tied groups are listed
//                        instead). Planar keys: the
//                        interval splits into O(log n) tree nodes, each searched in O(log n)
//                        comparisons (at most 2 log2 of the chain's length; where the chain's
//                        slopes are spread evenly, as a compiled pointer head's parabola of
//                        addresses, an interpolated guess makes it a few), plus the groups returned (ties between distinct keys are
//                        found: collinear points stay on the chains). With C classes, that per
//                        class, plus O(C dk) to compare the classes' best scores exactly.
//   argmax(q, out)       the same over all positions (out = every group when all tie).
//   members_in(g, lo, hi) the members of group g in [lo, hi], as a range of members: O(log n).
//   first_member(g), size(g)  group g's first member and member count, from one flat array
//                        (no list to follow: a query touches one entry).
//   same_keys(K)         whether K is the matrix the index was built from: O(n dk).
//   arithmetic()         per plane, the arithmetic of its chains (below).
// Arithmetic is exact. A plane's points are `small` when their coordinates, scaled by a
// constant per axis, are integers below 2^61; `homogeneous` when each point is (X, Y) / D
// with 128-bit-safe X, Y, D (the 1/(t+1) and 1/(t+1)^2 coordinates of positional features);
// `rational` otherwise. Small and homogeneous chains take a 128-bit path when the query's
// direction is small too (their points are then kept in chain order, 24 bytes a chain vertex
// with its group, so that a search step reads one entry); every other comparison is on GMP
// integers and rationals. Cost to build: O(n log n) key comparisons and O(G) rational work,
// plus O(n log n) orientation tests for the interval tree.
// The construction and its proof: proofs/masked-attention.md.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "exact/linalg.hpp"

namespace ahat {

class KeyIndex {
public:
    struct Group {
        std::vector<std::uint32_t> members;  // positions, ascending
    };

    static std::optional<KeyIndex> build(const Matrix<Rational>& K, bool intervals = false);

    std::size_t groups() const { return groups_.size(); }
    std::size_t positions() const { return n_; }
    bool has_intervals() const { return intervals_; }
    const Group& group(std::size_t g) const { return groups_[g]; }
    std::uint32_t first_member(std::size_t g) const { return spans_[g].first; }
    std::uint32_t size(std::size_t g) const { return spans_[g].second; }
    // The position of the group's key in the group list is its index; out gets group indices,
    // ascending. Needs lo <= hi < n, and an index built with intervals unless [lo, hi] = [0, n).
    bool argmax(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const;
    void argmax(const Rational* q, std::vector<std::uint32_t>& out) const;
    std::pair<std::size_t, std::size_t> members_in(std::size_t g, std::uint32_t lo, std::uint32_t hi) const;
    // Whether K is the key matrix this index was built from (O(n dk) comparisons).
    bool same_keys(const Matrix<Rational>& K) const;
    enum class Arithmetic { small, homogeneous, rational };
    std::vector<Arithmetic> arithmetic() const;

private:
    // The distinct keys of one range of positions: ranges into Plane::pool.
    struct Hull {
        std::uint32_t sorted = 0, upper = 0, lower = 0, end = 0;  // pool[sorted, upper): ranks
        // in (x, y) order; [upper, lower): upper chain, [lower, end): lower chain, as local
        // group indices with x strictly increasing, collinear points kept.
        std::uint32_t points = 0;  // small planes: points[points + t] is pool[upper + t]'s point
    };
    struct Point {
        std::int64_t x, y;
        std::uint32_t g;  // its local group
    };
    // One class of distinct keys lying in a plane. Raw (dk <= 2): key = (x / sx, y / sy).
    // Otherwise x / sx and y / sy are two coordinates of the key (pivots) that tell the
    // plane's keys apart, and every coordinate c is an affine function of them:
    // key_c = const_c + u_c x / sx + w_c y / sy, so <q, key> = const + <q, u> x / sx + <q, w> y / sy.
    // sx, sy > 0 make every x and y an integer when that keeps them small; otherwise, when
    // each point's denominators are small, the point is kept homogeneous: (x, y) = (X, Y) / D.
    struct Plane {
        std::vector<std::uint32_t> groups;     // its groups (global indices), the local index order
        bool identity = false;                 // groups[t] = t for every t
        std::vector<std::uint32_t> positions;  // the positions of its keys, ascending; empty: all
        bool raw = true, unit = true;          // unit: sx = sy = 1
        std::vector<Rational> u, w;
        int ax = -1, ay = -1;                  // axes: u = e_ax, w = e_ay (0 for -1), so the
        bool axes = false;                     // direction is (q[ax], q[ay]): raw planes too
        Rational sx = 1, sy = 1;
        std::vector<Rational> x, y;            // per local group
        std::vector<std::int64_t> xs, ys;      // small: the same as int64; hom: X and Y
        std::vector<std::int64_t> ds;          // hom: D > 0
        bool small = false;                    // integers below 2^61
        bool hom = false;                      // not small, homogeneous 128-bit (see fit)
        int qbits = 0;                         // hom: the largest direction (bits) the 128-bit path takes
        std::vector<std::uint32_t> by_rank;    // local groups in (x, y) order
        std::vector<std::uint32_t> rank_of;    // per position index: the rank of its key
        std::vector<Hull> tree;                // node 1 = all its positions; children 2k, 2k+1
        std::vector<std::uint32_t> pool;
        std::vector<Point> points;             // small and hom planes: the chains' points in chain
                                               // order, so a search step reads one entry, not three
        std::vector<std::int64_t> point_ds;    // hom: their D, in the same order
    };
    std::size_t n_ = 0, dk_ = 0;
    bool intervals_ = false;
    std::vector<Group> groups_;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;  // per group: first member, count
    std::vector<Plane> planes_;
    std::vector<Rational> keys_;           // G x dk, the distinct keys (for scores across planes)
    std::vector<std::uint32_t> group_of_;  // per position
    std::vector<std::int64_t> ikeys_;      // the same as int64 when int_keys_
    bool int_keys_ = false;

    static constexpr std::size_t kFewClasses = 16;
    bool few(std::size_t classes) const { return classes <= kFewClasses || classes * classes <= n_; }
    bool fit(Plane& p) const;
    static bool homogeneous(Plane& p);
    void build_tree(Plane& p) const;
    void build_node(Plane& p, std::size_t k, std::uint32_t l, std::uint32_t r, bool recurse) const;
    // 0: no key of the plane in [lo, hi]; 1: out = its best groups; 2: q scores them alike.
    int in_plane(const Plane& p, const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const;
    void present(const Plane& p, std::uint32_t a, std::uint32_t b, std::vector<std::uint32_t>& out) const;
    template <class T>
    void on_chains(const Plane& p, const T& dx, const T& dy, std::uint32_t a, std::uint32_t b, std::vector<std::uint32_t>& out) const;
    // The node's best groups into out, its first a vertex of the best score (on_chains
    // compares nodes by the sign of their first vertices' score difference; no score is formed).
    template <class T>
    void best_in_node(const Plane& p, const Hull& h, const T& dx, const T& dy, std::vector<std::uint32_t>& out) const;
};

}  // namespace ahat
