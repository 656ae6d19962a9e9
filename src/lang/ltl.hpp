// Past temporal logic over finite words, read at the end-of-string position (Li & Cotterell).
//
// Offers:
//   LtlOp, LtlNode, Formula   a hash-consed formula DAG (children precede parents): atoms
//                  (letters), true/false, not, and, or, implies, P (strictly earlier), H
//                  (= not P not), Y (previous position), Y<=k (at one of the previous k
//                  positions), S (strict since). Builders intern nodes: equal subformulas
//                  share one id.
//   parse_ltl(text, source)   the text syntax below; InputError at source:1:col.
//   to_string(f[, id])        prints in the same syntax (parse(print(f)) == f).
//   temporal_depth(f[, id])   nesting depth of temporal operators.
//   evaluate(f, w)            the value of every node at every position 0..n of w.EOS, O(|f| n k).
//   accepts(f, w)             the root's value at the EOS position n.
//   ltl_dfa(f, alphabet)      the minimal DFA of the language (states: the valuations of the
//                  temporal subformulas at the next position), O(states |alphabet| |f|);
//                  refused for formulas with counts (their languages need not be regular).
//   Counting (Yang & Chiang 2024, C-RASP / temporal counting logic): a comparison node
//                  [c1 #A1 + ... + cm #Am + c0 REL 0] with integer coefficients, where #A is
//                  the number of positions j <= i where A holds (the current one included),
//                  or, written #<=k A, the number of j in i-k..i-1 (the window of Y<=k).
//                  One comparison uses one kind of count; evaluated with prefix sums, O(n) per term.
//
// Syntax (precedence low to high): `A -> B` (right), `A | B`, `A & B`, `A S B` (left), then
// unary `!A`, `P A`, `H A`, `Y A`, `Y<=k A`, atoms: a single lowercase letter or digit, or any
// single character quoted as 'c'; `true`, `false`, parentheses; comparisons in brackets:
// `[#a > #b]`, `[2 #(a & Y b) - #b + 1 >= 0]`, `[#<=3 a = 2]`: sums of terms `N`, `#A`, `N #A`
// or `N * #A` (A a unary formula), compared by one of < <= = != >= >.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "lang/language.hpp"

namespace ahat::lang {

enum class LtlOp : std::uint8_t { Atom, True, False, Not, And, Or, Implies, P, H, Y, YWithin, Since, Count };

enum class Rel : std::uint8_t { Lt, Le, Eq, Ne, Ge, Gt };
std::string_view rel_symbol(Rel r);
bool holds(Rel r, long long lhs);  // lhs REL 0

// [sum coef * #node + constant REL 0]; window 0: the count over j <= i, else over i-k..i-1.
struct Comparison {
    std::uint32_t window = 0;
    std::vector<std::pair<long long, std::uint32_t>> terms;  // (coefficient, node)
    long long constant = 0;
    Rel rel = Rel::Gt;
    auto operator<=>(const Comparison&) const = default;
};

struct LtlNode {
    LtlOp op = LtlOp::True;
    char letter = 0;       // Atom
    std::uint32_t k = 0;   // YWithin window (Y is YWithin with k = 1 printed as Y); Count: comparison index
    std::uint32_t a = 0, b = 0;  // operands (unary: a; Since: a S b)
};

bool is_temporal(LtlOp op);
std::string_view op_symbol(LtlOp op);  // "P", "H", "Y", "Y<=k", "S", "!", "&", ...

class Formula {
public:
    std::vector<LtlNode> nodes;
    std::uint32_t root = 0;

    std::uint32_t atom(char c);
    std::uint32_t top();
    std::uint32_t bottom();
    std::uint32_t neg(std::uint32_t x);
    std::uint32_t conj(std::uint32_t x, std::uint32_t y);
    std::uint32_t disj(std::uint32_t x, std::uint32_t y);
    std::uint32_t implies(std::uint32_t x, std::uint32_t y);
    std::uint32_t past(std::uint32_t x);            // P
    std::uint32_t historically(std::uint32_t x);    // H
    std::uint32_t yesterday(std::uint32_t x);       // Y
    std::uint32_t within(std::uint32_t k, std::uint32_t x);  // Y<=k (k = 1 gives Y)
    std::uint32_t since(std::uint32_t x, std::uint32_t y);   // x S y
    std::uint32_t count(Comparison c);                       // [c]; its nodes must exist
    const Comparison& comparison(std::uint32_t id) const { return comparisons[nodes[id].k]; }
    std::vector<Comparison> comparisons;
    // Smart constructors: fold true/false and double negation.
    std::uint32_t s_neg(std::uint32_t x);
    std::uint32_t s_and(std::uint32_t x, std::uint32_t y);
    std::uint32_t s_or(std::uint32_t x, std::uint32_t y);
    std::uint32_t intern(const LtlNode& n);
    const LtlNode& operator[](std::uint32_t id) const { return nodes[id]; }
    std::size_t size() const { return nodes.size(); }

private:
    std::map<std::tuple<int, char, std::uint32_t, std::uint32_t, std::uint32_t>, std::uint32_t> index_;
    std::map<Comparison, std::uint32_t> comparison_index_;
};

Formula parse_ltl(std::string_view text, const std::string& source = "formula");
std::string to_string(const Formula& f, std::uint32_t id);
inline std::string to_string(const Formula& f) { return to_string(f, f.root); }
std::uint32_t temporal_depth(const Formula& f, std::uint32_t id);
inline std::uint32_t temporal_depth(const Formula& f) { return temporal_depth(f, f.root); }
// The operands of node id (Count: its terms' nodes), in order.
std::vector<std::uint32_t> operands(const Formula& f, std::uint32_t id);
bool has_counts(const Formula& f);
// The distinct letters of the atoms, sorted.
std::string atoms_of(const Formula& f);

// values[node][i] for positions i = 0..n; position n is EOS (no letter holds there).
std::vector<std::vector<bool>> evaluate(const Formula& f, std::string_view w);
bool accepts(const Formula& f, std::string_view w);

// The minimal DFA of {w over alphabet : accepts(f, w)}. Refuses (InputError) beyond max_states.
Dfa ltl_dfa(const Formula& f, const std::string& alphabet, std::size_t max_states = 100000);

}  // namespace ahat::lang
