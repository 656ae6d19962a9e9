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

namespace {

// Exact evaluation; input(k) is the k-th input's value.
template <class Input>
void exact_into(const Circuit& c, const Input& input, std::vector<Rational>& v, const EvalOptions& opts) {
    v.resize(c.gates.size());
    std::size_t next_input = 0;
    // Gates whose operands are small fractions are formed as SmallQ (no GMP call, no
    // allocation); a gate's Rational is written only when a GMP gate reads it, or at the
    // end. Any other gate runs in place on the existing values through exact/fast_path.hpp.
    // A small fraction has at most 124 bits, so the --max-bits guard can only trip on GMP
    // gates unless the limit is below that (then every gate takes GMP).
    thread_local std::vector<SmallQ> q;
    thread_local std::vector<unsigned char> written;  // v[k] holds gate k's value
    q.assign(c.gates.size(), SmallQ{});
    written.assign(c.gates.size(), 0);
    const bool fast = opts.max_bits == 0 || opts.max_bits >= 124;
    auto value = [&](GateId g) -> const Rational& {
        if (!written[g]) q_store(q[g], v[g]), written[g] = 1;
        return v[g];
    };
    for (std::size_t k = 0; k < c.gates.size(); ++k) {
        const Gate& g = c.gates[k];
        SmallQ& out = q[k];
        switch (g.op) {
            case Op::Input:
                if (fast) out = small_q(input(next_input));
                if (!out.ok()) mpq_set(v[k].backend().data(), input(next_input).backend().data());
                ++next_input;
                break;
            case Op::Const:
                if (fast) out = small_q(g.value);
                if (!out.ok()) mpq_set(v[k].backend().data(), g.value.backend().data());
                break;
            case Op::Add: {
                if (fast) {
                    out = SmallQ{0, 1};
                    for (std::size_t t = 0; t < g.in.size() && out.ok(); ++t) out = q_add(out, q[g.in[t]]);
                }
                if (out.ok()) break;
                thread_local std::vector<const Rational*> terms;
                terms.clear();
                for (GateId in : g.in) terms.push_back(&value(in));
                exact_sum(v[k], terms.data(), terms.size());
                break;
            }
            case Op::Mul:
                if (fast) out = q_mul(q[g.in[0]], q[g.in[1]]);
                if (!out.ok()) exact_mul(v[k], value(g.in[0]), value(g.in[1]));
                break;
            case Op::Sign:
                if (q[g.in[0]].ok()) out = SmallQ{q[g.in[0]].num > 0 ? 1 : 0, 1};
                else mpq_set_ui(v[k].backend().data(), mpq_sgn(v[g.in[0]].backend().data()) > 0 ? 1 : 0, 1);
                break;
        }
        if (out.ok()) continue;
        written[k] = 1;
        if (opts.max_bits != 0 && g.op != Op::Input && g.op != Op::Const && over_bits(v[k], opts.max_bits))
            fail({}, "gate '{}' ({}) needs {} bits, over the limit of {} (raise --max-bits)",
                 g.name.empty() ? fmt::format("#{}", k) : g.name, op_name(g.op), bit_size(v[k]), opts.max_bits);
    }
    if (opts.outputs_only)
        for (GateId o : c.outputs) value(o);
    else
        for (std::size_t k = 0; k < c.gates.size(); ++k) value(static_cast<GateId>(k));
}

}  // namespace

template <class S>
void evaluate_into(const Circuit& c, const std::vector<S>& inputs, std::vector<S>& v, const EvalOptions& opts) {
    if (inputs.size() != c.inputs.size())
        fail({}, "the circuit has {} inputs, {} values were given", c.inputs.size(), inputs.size());
    if constexpr (is_exact_v<S>) {
        exact_into(c, [&](std::size_t k) -> const Rational& { return inputs[k]; }, v, opts);
    } else {
        v.resize(c.gates.size());
        std::size_t next_input = 0;
        for (std::size_t k = 0; k < c.gates.size(); ++k) {
            const Gate& g = c.gates[k];
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
    }
}

void evaluate_into(const Circuit& c, const Rational* row, const std::vector<std::uint32_t>& reads, std::vector<Rational>& v,
                   const EvalOptions& opts) {
    if (reads.size() != c.inputs.size())
        fail({}, "the circuit has {} inputs, {} coordinates are read", c.inputs.size(), reads.size());
    exact_into(c, [&](std::size_t k) -> const Rational& { return row[reads[k]]; }, v, opts);
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
