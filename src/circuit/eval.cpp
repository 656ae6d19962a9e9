#include "circuit/eval.hpp"

#include "exact/fast_path.hpp"
#include "exact/scalar.hpp"
#include "support/error.hpp"

namespace ahat {

template <class S>
std::vector<S> evaluate_all(const Circuit& c, const std::vector<S>& inputs, const EvalOptions& opts) {
    std::vector<S> v;
    evaluate_into(c, inputs, v, opts);
    return v;
}

template <class S>
void evaluate_into(const Circuit& c, const std::vector<S>& inputs, std::vector<S>& v, const EvalOptions& opts) {
    if (inputs.size() != c.inputs.size())
        fail({}, "the circuit has {} inputs, {} values were given", c.inputs.size(), inputs.size());
    v.resize(c.gates.size());
    std::size_t next_input = 0;
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        if constexpr (is_exact_v<S>) {
            // In place on the existing values: no temporaries, no allocation once warm; small
            // integers (and products by 0 and 1) on the fast path of exact/fast_path.hpp.
            mpq_ptr out = v[k].backend().data();
            switch (g.op) {
                case Op::Input: mpq_set(out, inputs[next_input++].backend().data()); break;
                case Op::Const: mpq_set(out, g.value.backend().data()); break;
                case Op::Add: {
                    thread_local std::vector<const Rational*> terms;
                    terms.clear();
                    for (GateId in : g.in) terms.push_back(&v[in]);
                    exact_sum(v[k], terms.data(), terms.size());
                    break;
                }
                case Op::Mul: exact_mul(v[k], v[g.in[0]], v[g.in[1]]); break;
                case Op::Sign: mpq_set_ui(out, mpq_sgn(v[g.in[0]].backend().data()) > 0 ? 1 : 0, 1); break;
            }
        } else {
            switch (g.op) {
                case Op::Input: v[k] = inputs[next_input++]; break;
                case Op::Const: v[k] = from_rational<S>(g.value); break;
                case Op::Add:
                    v[k] = S(0);
                    for (GateId in : g.in) v[k] += v[in];
                    break;
                case Op::Mul: v[k] = v[g.in[0]] * v[g.in[1]]; break;
                case Op::Sign: v[k] = sign_gate(v[g.in[0]]); break;
            }
        }
        if constexpr (is_exact_v<S>) {
            if (opts.max_bits != 0 && g.op != Op::Input && g.op != Op::Const) {
                if (over_bits(v[k], opts.max_bits))
                    fail({}, "gate '{}' ({}) needs {} bits, over the limit of {} (raise --max-bits)",
                         g.name.empty() ? fmt::format("#{}", k) : g.name, op_name(g.op), bit_size(v[k]), opts.max_bits);
            }
        }
    }
}

template <class S>
std::vector<S> evaluate(const Circuit& c, const std::vector<S>& inputs, const EvalOptions& opts) {
    std::vector<S> all = evaluate_all(c, inputs, opts);
    std::vector<S> out;
    out.reserve(c.outputs.size());
    for (GateId o : c.outputs) out.push_back(all[o]);
    return out;
}

#define AHAT_EVAL(S)                                                                                  \
    template std::vector<S> evaluate_all<S>(const Circuit&, const std::vector<S>&, const EvalOptions&); \
    template std::vector<S> evaluate<S>(const Circuit&, const std::vector<S>&, const EvalOptions&); \
    template void evaluate_into<S>(const Circuit&, const std::vector<S>&, std::vector<S>&, const EvalOptions&);
AHAT_EVAL(Rational)
AHAT_EVAL(double)
AHAT_EVAL(float)
AHAT_EVAL(bfloat16)
#undef AHAT_EVAL

}  // namespace ahat
