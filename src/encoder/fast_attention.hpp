// Exact hard attention in less than quadratic time where the keys have structure.
//
// Offers:
//   KeyIndex::build(K)   groups the key rows into classes of equal keys, and, when the
//                        distinct keys span an affine space of dimension <= 2, builds the
//                        upper and lower convex chains of the keys seen as points of the plane
//                        (dimension 1 is the degenerate case y = 0). When they span more but
//                        there are few of them (G <= 16 or G^2 <= n: one-hot keys over a
//                        vocabulary, say), it keeps the G distinct keys to scan. nullopt
//                        otherwise (the caller falls back to the dense scan).
//   argmax(q, out)       the groups whose keys maximise <q, k>, exactly: O(log G) comparisons
//                        plus the number of groups returned (ties between distinct keys are
//                        found: points on the supporting line are on one chain edge); for a
//                        scanned index O(G dk), so a head costs O(n G dk) instead of O(n^2 dk).
// Valid for the allowed set "all positions" (mask none, no window). Arithmetic is exact; a
// 128-bit fast path is used when the point coordinates and the direction are integers below
// 2^61. Cost to build: O(n log n) key comparisons and O(G) rational work.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "exact/linalg.hpp"

namespace ahat {

class KeyIndex {
public:
    struct Group {
        std::vector<std::uint32_t> members;  // positions, ascending
    };

    static std::optional<KeyIndex> build(const Matrix<Rational>& K);

    std::size_t groups() const { return groups_.size(); }
    const Group& group(std::size_t g) const { return groups_[g]; }
    // The position of the group's key in the group list is its index; out gets group indices.
    void argmax(const Rational* q, std::vector<std::uint32_t>& out) const;

private:
    struct Chain {
        std::vector<std::uint32_t> vertex;          // group indices, x strictly increasing
        std::vector<std::vector<std::uint32_t>> on_edge;  // groups strictly inside edge k
    };
    std::vector<Group> groups_;
    std::vector<Rational> x_, y_;           // plane coordinates of each group's key
    std::vector<std::int64_t> xs_, ys_;     // the same as int64 when small_
    bool small_ = false;
    std::size_t dk_ = 0;
    std::vector<Rational> origin_, u_, w_;  // key = origin + x u + y w (when dk > 2)
    bool raw_ = true;                       // dk <= 2: x, y are the key's coordinates
    Chain upper_, lower_;                   // lower_ is built on (x, -y)
    std::vector<std::uint32_t> xmin_, xmax_;  // groups with the smallest / largest x

    static constexpr std::size_t kScanGroups = 16;
    bool scan_ = false;                     // few distinct keys beyond a plane: scan them
    std::vector<Rational> keys_;            // scan_: G x dk, the distinct keys
    std::optional<KeyIndex> scan_or_refuse(const Matrix<Rational>& K, std::size_t n);

    void direction(const Rational* q, Rational& dx, Rational& dy) const;
    void best_on_chain(const Chain& c, int sign_y, const Rational& dx, const Rational& dy,
                       std::vector<std::uint32_t>& out) const;
};

}  // namespace ahat
