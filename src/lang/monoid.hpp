// The transition monoid of a DFA (for a minimal DFA: the syntactic monoid).
//
// Offers:
//   transition_monoid(d, limit)  all transformations q -> q·w, found breadth-first over
//                                words in shortlex order, so each element carries a
//                                shortest representative word; O(|M| n |Σ|) time; InputError
//                                when |M| would exceed limit.
//   Monoid::multiply(x, y)       the element of word(x) word(y); O(n) plus a hash lookup.
//   Monoid::power_index(x)       (m, p): least m >= 1, p >= 1 with x^m = x^(m+p).
//   Monoid::idempotent(x)        x·x == x.
//   r_classes / l_classes / j_classes   Green's classes as a class id per element
//                                (strongly connected components of the right, left and
//                                two-sided Cayley graphs), O(|M| |Σ|).
//   path_right(x, y)             a word v with x·v = y, if any (BFS in the right Cayley
//                                graph); path_left: u with u·x = y; path_two_sided: (u, v)
//                                with u·x·v = y.
// Element 0 is the identity (the empty word). `in_semigroup` says whether an element is the
// image of a nonempty word (always, except possibly the identity), with `nonempty_identity`
// a shortest nonempty word acting as the identity when there is one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lang/language.hpp"

namespace ahat::lang {

using Transformation = std::vector<std::uint32_t>;  // [state] -> state

struct Monoid {
    std::string alphabet;
    std::size_t n = 0;                           // states of the automaton
    std::vector<Transformation> elements;        // element -> transformation
    std::vector<std::string> word;               // element -> shortest representative
    std::vector<std::vector<std::uint32_t>> right, left;  // [element][letter] -> element
    std::optional<std::string> nonempty_identity;

    std::size_t size() const { return elements.size(); }
    bool in_semigroup(std::uint32_t x) const { return x != 0 || nonempty_identity.has_value(); }
    // A nonempty representative when in the semigroup, else "".
    const std::string& semigroup_word(std::uint32_t x) const;
    std::optional<std::uint32_t> find(const Transformation& t) const;
    std::uint32_t multiply(std::uint32_t x, std::uint32_t y) const;
    bool idempotent(std::uint32_t x) const { return multiply(x, x) == x; }
    std::pair<std::size_t, std::size_t> power_index(std::uint32_t x) const;
    std::vector<std::uint32_t> r_classes() const;
    std::vector<std::uint32_t> l_classes() const;
    std::vector<std::uint32_t> j_classes() const;
    std::optional<std::string> path_right(std::uint32_t x, std::uint32_t y) const;
    std::optional<std::string> path_left(std::uint32_t x, std::uint32_t y) const;
    std::optional<std::pair<std::string, std::string>> path_two_sided(std::uint32_t x, std::uint32_t y) const;

    struct Hash {
        std::size_t operator()(const Transformation& t) const;
    };
    std::unordered_map<Transformation, std::uint32_t, Hash> index;
};

Monoid transition_monoid(const Dfa& d, std::size_t limit = 200000);

}  // namespace ahat::lang
