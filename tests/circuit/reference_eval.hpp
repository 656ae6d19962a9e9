// A straightforward reference evaluation of a circuit on plain rationals, independent of
// circuit/eval.cpp: the value of every gate, in gate order. For the circuit tests.
#pragma once

#include <vector>

#include "circuit/circuit.hpp"

namespace ahat_test {

inline std::vector<ahat::Rational> reference_values(const ahat::Circuit& c, const std::vector<ahat::Rational>& in) {
    using namespace ahat;
    std::vector<Rational> v(c.gates.size());
    std::size_t next = 0;
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        switch (g.op) {
            case Op::Input: v[k] = in.at(next++); break;
            case Op::Const: v[k] = g.value; break;
            case Op::Add:
                v[k] = 0;
                for (GateId o : g.in) v[k] += v[o];
                break;
            case Op::Mul: v[k] = v[g.in[0]] * v[g.in[1]]; break;
            case Op::Sign: v[k] = v[g.in[0]] > 0 ? 1 : 0; break;
        }
    }
    return v;
}

}  // namespace ahat_test
