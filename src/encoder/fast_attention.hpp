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
//                        plane but there are few of them (G <= 16 or G^2 <= n: one-hot keys
//                        over a vocabulary, say), it keeps the G distinct keys to scan.
//                        nullopt otherwise (the caller falls back to the dense scan).
//   argmax(q, lo, hi, out)
//                        the groups with a member at a position in [lo, hi] whose key
//                        maximises <q, k> among those, exactly; false (out empty) when q
//                        scores every key alike (every allowed key ties). Planar keys: the
//                        interval splits into O(log n) tree nodes, each searched in O(log n)
//                        comparisons, plus the groups returned (ties between distinct keys are
//                        found: collinear points stay on the chains). Scanned keys: O(G dk) and
//                        O(G log n) to test which groups have a member in the interval.
//   argmax(q, out)       the same over all positions (out = every group when all tie).
//   members_in(g, lo, hi) the members of group g in [lo, hi], as a range of members: O(log n).
// Arithmetic is exact; a 128-bit fast path is used when the point coordinates and the
// direction are integers below 2^61. Cost to build: O(n log n) key comparisons and O(G)
// rational work, plus O(n log n) orientation tests for the interval tree.
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
    bool has_intervals() const { return intervals_ || scan_; }
    const Group& group(std::size_t g) const { return groups_[g]; }
    // The position of the group's key in the group list is its index; out gets group indices,
    // ascending. Needs lo <= hi < n, and an index built with intervals unless [lo, hi] = [0, n).
    bool argmax(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const;
    void argmax(const Rational* q, std::vector<std::uint32_t>& out) const;
    std::pair<std::size_t, std::size_t> members_in(std::size_t g, std::uint32_t lo, std::uint32_t hi) const;

private:
    // The distinct keys of one range of positions: ranges into pool_.
    struct Hull {
        std::uint32_t sorted = 0, upper = 0, lower = 0, end = 0;  // pool_[sorted, upper): ranks
        // in (x, y) order; [upper, lower): upper chain, [lower, end): lower chain, as group
        // indices with x strictly increasing, collinear points kept.
    };
    std::size_t n_ = 0;
    std::vector<Group> groups_;
    std::vector<Rational> x_, y_;           // plane coordinates of each group's key
    std::vector<std::int64_t> xs_, ys_;     // the same as int64 when small_
    bool small_ = false;
    std::size_t dk_ = 0;
    std::vector<Rational> origin_, u_, w_;  // key = origin + x u + y w (when dk > 2)
    bool raw_ = true;                       // dk <= 2: x, y are the key's coordinates
    std::vector<std::uint32_t> by_rank_;    // groups in (x, y) order
    std::vector<std::uint32_t> rank_of_position_;
    bool intervals_ = false;
    std::vector<Hull> tree_;                // node 1 = all positions; children 2k, 2k+1
    std::vector<std::uint32_t> pool_;

    static constexpr std::size_t kScanGroups = 16;
    bool scan_ = false;                     // few distinct keys beyond a plane: scan them
    std::vector<Rational> keys_;            // scan_: G x dk, the distinct keys
    std::optional<KeyIndex> scan_or_refuse(const Matrix<Rational>& K, std::size_t n);

    void build_node(std::size_t k, std::uint32_t l, std::uint32_t r, bool recurse);
    void direction(const Rational* q, Rational& dx, Rational& dy) const;
    bool scan(const Rational* q, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const;
    template <class T>
    bool on_chains(const T& dx, const T& dy, std::uint32_t lo, std::uint32_t hi, std::vector<std::uint32_t>& out) const;
    template <class T>
    T best_in_node(const Hull& h, const T& dx, const T& dy, std::vector<std::uint32_t>& out) const;
};

}  // namespace ahat
