// Generated circuit families, each with a size parameter (and a seed where random).
//
// Offers:
//   inner_product(n)      inputs x1..xn y1..yn; output sum_i xi*yi                 depth 2
//   sum(n)                inputs x1..xn; output their sum                           depth 1
//   majority(n)           inputs x1..xn (0/1); output [sum > n/2]                   depth 3
//   threshold(n, t)       inputs x1..xn; output [sum >= t] = 1 - sign(t - sum)      depth 5
//   sort(n)               inputs x1..xn; outputs out1..outn, them in ascending order (ties
//                         kept in input order), by ranks built from sign gates; depth 8 for
//                         every n >= 2 (n = 1: depth 1), about 5.5 n^2 gates
//   matvec(n)             inputs a_i_j (row-major n x n) then x1..xn; outputs A x   depth 2
//   random_circuit(p)     a random circuit of exactly the given depth with the given number
//                         of add/mul/sign gates and 1..max_fanin operands per add; outputs
//                         are the top level plus up to 3 lower gates
//   make_family(name, p)  any of the above by name; InputError on an unknown name
//   family_names()        the names make_family accepts
// Every generator is deterministic: the same parameters give the same circuit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "circuit/circuit.hpp"

namespace ahat {

Circuit inner_product(std::size_t n);
Circuit sum_circuit(std::size_t n);
Circuit majority(std::size_t n);
Circuit threshold(std::size_t n, const Rational& t);
Circuit sort_circuit(std::size_t n);
Circuit matvec(std::size_t n);

struct RandomCircuitParams {
    std::size_t inputs = 4;
    std::size_t depth = 3;
    std::size_t size = 20;       // add + mul + sign gates; at least depth
    std::size_t max_fanin = 3;   // operands of an add gate: 1..max_fanin (mul 2, sign 1)
    std::uint64_t seed = 1;
};
Circuit random_circuit(const RandomCircuitParams& p);

struct FamilyParams {
    std::size_t size = 4;      // n for the fixed families; gate count for "random"
    std::uint64_t seed = 1;    // "random" only
    std::size_t depth = 3;     // "random" only
    std::size_t max_fanin = 3; // "random" only
    std::size_t inputs = 4;    // "random" only
    Rational threshold = 1;    // "threshold" only
};
Circuit make_family(std::string_view name, const FamilyParams& p);
std::vector<std::string> family_names();

}  // namespace ahat
