// Ehrenfeucht–Fraïssé-style types of positions for the logics of the models, and witness
// pairs: words of different membership that no formula of a given depth separates.
//
// Offers:
//   TypeRefiner(model)   hash-consed types: type_0(i) = the letter at i (or EOS);
//                        type_{r+1}(i) = (letter, the set of type_r over the model's reach):
//                        all j < i (P), the window i-k..i-1 (Y<=k), both (hybrid), or for
//                        LTL[Y,S] the set of pairs (type_r(j), set of type_r over j<l<i), j < i.
//                        Exact models keep multisets instead of sets (an average sees how often
//                        each value occurs): equal depth-r types then mean that no encoder of the
//                        model with r layers separates the positions (docs/languages.md).
//                        Two positions with equal depth-r types satisfy the same formulas of
//                        temporal depth <= r (docs/languages.md). Per word of length n:
//                        O(r n^2 log n) (P, window), O(r n^3 log n) (S).
//   TypeRefiner::eos_type(w, r)     the depth-r type of the EOS position of w.
//   TypeRefiner::describe(t)        (letter, children) of a local or global type, to build
//                        characteristic formulas.
//   find_witness(...)    the first pair (shortlex) of words up to max_len with equal depth-r
//                        EOS types and different membership.
//   agreement_depth(...) the largest r <= max_depth at which two words' EOS types agree.
//   rotation_family(k, alphabet, member, degree)   for window k >= 2 and a definite language
//                        of that degree: words u, v with |u|, |v| <= k, the same letters and
//                        u^m, v^m of different membership for all large m — by the lemma of
//                        docs/languages.md, u^m and v^m agree at depth r once |u|m, |v|m >= kr,
//                        so no LTL[Y<=k] formula of any depth defines the language.
//                        counted: |u| and |v| divide k and every window of k letters of u^m and of
//                        v^m holds the same multiset of letters (the exact local-k lemma).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lang/ltl_compile.hpp"

namespace ahat::lang {

class TypeRefiner {
public:
    TypeRefiner(const Model& m, std::string alphabet);
    std::uint32_t eos_type(std::string_view w, std::uint32_t depth);
    // The types of every position 0..n of w at depth r.
    std::vector<std::uint32_t> types(std::string_view w, std::uint32_t depth);
    struct Parts {
        std::int32_t letter = -1;               // alphabet index, -1 for EOS
        std::vector<std::uint32_t> past, window;  // child types (depth r-1); empty at depth 0
        std::uint32_t depth = 0;
    };
    Parts describe(std::uint32_t t) const;
    std::size_t count() const { return keys_.size(); }

private:
    struct KeyHash {
        std::size_t operator()(const std::vector<std::uint32_t>& key) const noexcept;
    };
    std::uint32_t intern(const std::vector<std::uint32_t>& key);
    Model model_;
    std::string alphabet_;
    std::unordered_map<std::vector<std::uint32_t>, std::uint32_t, KeyHash> ids_;
    std::vector<std::vector<std::uint32_t>> keys_;
};

struct WitnessPair {
    std::string member, non_member;
    std::uint32_t depth = 0;
};

using Membership = std::function<bool(std::string_view)>;

std::optional<WitnessPair> find_witness(const Model& m, const std::string& alphabet, const Membership& member,
                                        std::size_t max_len, std::uint32_t depth);

std::uint32_t agreement_depth(const Model& m, const std::string& alphabet, std::string_view x, std::string_view y,
                              std::uint32_t max_depth);

struct RotationFamily {
    std::string u, v;  // u^m is a member for large m, v^m is not
};
std::optional<RotationFamily> rotation_family(std::uint32_t k, const std::string& alphabet, const Membership& member,
                                              std::size_t degree, bool counted = false);

}  // namespace ahat::lang
