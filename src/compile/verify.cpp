#include "compile/verify.hpp"

#include <algorithm>
#include <numeric>
#include <random>

#include "circuit/eval.hpp"
#include "encoder/interpreter.hpp"
#include "exact/fast_path.hpp"

namespace ahat {
namespace {

Rational random_rational(std::mt19937_64& rng) {
    long long p = static_cast<long long>(rng() % 41) - 20;
    long long q = static_cast<long long>(rng() % 8) + 1;
    return Rational(Integer(p), Integer(q));
}

bool is_leaf(const Gate& g) {
    return g.op == Op::Input || g.op == Op::Const || (g.op == Op::Add && g.in.empty());
}

// The number of layers after which token t must hold its gate's exact value.
std::size_t ready_after(Construction c, const Encoding& e, std::size_t t, std::uint32_t depth) {
    if (c == Construction::Wire) return depth;
    return e.token_is_gate[t] ? 2 * depth : 2 * depth + 1;
}

void note(InstanceReport& r, const std::string& what) {
    if (r.problem.empty()) r.problem = what;
}

}  // namespace

VerifyReport verify_circuit(const Circuit& circ, const VerifyOptions& opts) {
    VerifyReport rep;
    rep.construction = opts.construction;
    rep.circuit_depth = stats(circ).depth;
    rep.depth_bound = opts.depth_bound.value_or(rep.circuit_depth);
    if (rep.depth_bound < rep.circuit_depth)
        fail({}, "the circuit has depth {}, above the depth bound K = {}", rep.circuit_depth, rep.depth_bound);
    rep.shape = shape_of(opts.construction, rep.depth_bound);
    const Encoder enc = circuit_encoder(opts.construction, rep.depth_bound);
    Encoding e = encode(opts.construction, circ);
    rep.tokens = e.tokens.rows;
    // The tokens and the final state are kept packed (8 bytes an entry where they are small
    // integers): at any time one state of the encoder's width lives as Rationals.
    const PackedMatrix tokens(e.tokens);
    e.tokens = Matrix<Rational>();
    const Program<Rational> prog(enc);
    const std::vector<std::uint32_t> depth = depths(circ);
    std::mt19937_64 rng(opts.seed);
    for (std::size_t s = 0; s < opts.samples; ++s) {
        InstanceReport r;
        r.sample = s;
        for (std::size_t k = 0; k < circ.inputs.size(); ++k) r.inputs.push_back(random_rational(rng));
        const std::vector<Rational> values = evaluate_all<Rational>(circ, r.inputs);
        for (GateId o : circ.outputs) r.expected.push_back(values[o]);
        r.invariant_ok = r.argmax_ok = r.shuffle_ok = true;
        // Each layer is checked as the run produces it, so one state is kept at a time.
        auto check_layer = [&](std::size_t l, const Matrix<Rational>& state, const std::vector<HeadTrace>& heads) {
            // Invariant: layer by layer, with the poison in every token not yet complete.
            for (std::size_t t = 0; t < tokens.rows && r.invariant_ok; ++t) {
                const GateId g = e.token_gate[t];
                const bool due = l >= ready_after(opts.construction, e, t, depth[g]);
                if (due && state.at(t, e.value_coordinate) != values[g]) {
                    r.invariant_ok = false;
                    note(r, fmt::format("after {} layers token {} (gate '{}', depth {}) does not hold its value", l, t,
                                        circ.gates[g].name, depth[g]));
                }
            }
            if (l == 0 || !r.argmax_ok) return;
            // Argmax sets of layer l - 1: the sizes the proofs predict.
            const bool fetch = opts.construction == Construction::Gate && (l - 1) % 2 == 0;
            for (std::size_t t = 0; t < tokens.rows; ++t) {
                const Gate& g = circ.gates[e.token_gate[t]];
                const bool computing = opts.construction == Construction::Wire || e.token_is_gate[t];
                bool ok = true;
                if (fetch) {
                    ok = e.token_is_gate[t] || heads[0].selected[t] == 1;
                } else if (computing && !is_leaf(g)) {
                    if (g.op == Op::Add || g.op == Op::Sign) ok = heads[0].selected[t] == g.in.size();
                    if (g.op == Op::Mul) ok = heads[1].selected[t] == 1 && heads[2].selected[t] == 1;
                }
                if (!ok) {
                    r.argmax_ok = false;
                    note(r, fmt::format("layer {} token {} (gate '{}'): argmax-set size not as the proof predicts", l - 1,
                                        t, g.name));
                    break;
                }
            }
        };
        RunOptions ro;
        ro.max_bits = 0;
        // The run takes over its input: one state of the encoder's width lives at a time.
        Matrix<Rational> x = tokens.unpack();
        set_inputs(e, r.inputs, x);
        RunResult<Rational> run = prog.run(std::move(x), ro, opts.invariants ? LayerObserver<Rational>(check_layer) : nullptr);
        run.trace = {};
        r.got = decode(e, run.state);
        const PackedMatrix final_state(run.state);
        run.state = Matrix<Rational>();
        r.outputs_ok = r.got == r.expected;
        if (!r.outputs_ok) note(r, "decoded outputs differ from direct evaluation");
        if (opts.invariants) {
            // Shuffle: a random order of the tokens permutes the final state row for row.
            std::vector<std::size_t> perm(tokens.rows);
            std::iota(perm.begin(), perm.end(), std::size_t{0});
            for (std::size_t k = perm.size(); k > 1; --k) std::swap(perm[k - 1], perm[rng() % k]);
            Matrix<Rational> xs(tokens.rows, tokens.cols);
            for (std::size_t t = 0; t < tokens.rows; ++t) tokens.unpack_row(t, xs.row(perm[t]));
            set_inputs(e, r.inputs, xs, &perm);
            RunOptions plain;
            plain.max_bits = 0;
            const RunResult<Rational> shuffled = prog.run(std::move(xs), plain);
            for (std::size_t t = 0; t < tokens.rows && r.shuffle_ok; ++t)
                if (!final_state.row_equals(t, shuffled.state.row(perm[t]))) {
                    r.shuffle_ok = false;
                    note(r, fmt::format("token {} ends differently when the tokens are shuffled", t));
                }
        }
        rep.instances.push_back(std::move(r));
    }
    return rep;
}

}  // namespace ahat
