#include "compile/encoder_to_circuit.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "support/error.hpp"

namespace ahat {
namespace {

using u32 = std::uint32_t;
constexpr GateId kNone = std::numeric_limits<GateId>::max();

struct Entry {
    u32 col;
    Rational w;
};
using Row = std::vector<Entry>;

Row row_of(const Sparse<Rational>& m, std::size_t r) {
    Row out;
    for (std::uint32_t k = m.start[r]; k < m.start[r + 1]; ++k)
        if (m.val[k] != 0) out.push_back({m.col[k], m.val[k]});
    return out;
}

Row negated(const Row& r) {
    Row o = r;
    for (Entry& e : o) e.w = -e.w;
    return o;
}

Row nonzeros(const std::vector<Rational>& dense) {
    Row out;
    for (std::size_t c = 0; c < dense.size(); ++c)
        if (dense[c] != 0) out.push_back({static_cast<u32>(c), dense[c]});
    return out;
}

// Depth of materialising sum_e w_e x[e.col] + bias (see Builder::mat): a term costs a mul
// unless its weight is 1, and the add is there only for two or more operands.
u32 row_depth(const Row& row, const Rational& bias, const std::vector<u32>& delta) {
    const std::size_t ops = row.size() + (bias != 0 ? 1 : 0);
    u32 m = 0;
    for (const Entry& e : row) m = std::max<u32>(m, delta[e.col] + (e.w != 1 ? 1 : 0));
    return ops >= 2 ? m + 1 : m;
}

// How a head is built. Dead: it never changes the state. Mean: the mean of the values over
// U_i (uniform heads; hard heads whose scores never depend on j, where all of U_i ties).
// Select: the value at one position of U_i (heads whose allowed sets have at most one
// element; unique-hard heads whose scores never depend on j). Hard: the comparison circuit.
enum class Kind { Dead, Mean, Select, Hard };

struct HeadPlan {
    Kind kind = Kind::Dead;
    Rule rule = Rule::AverageHard;
    bool pick_right = false;       // Select: the largest allowed index, else the smallest
    std::vector<Row> W;            // O V, one row per coordinate (d rows)
    std::vector<Rational> w;       // O v0
    std::vector<u32> written;      // coordinates c with (W[c], w[c]) != 0
    Row kappa;                     // sum over constant query rows r of q0[r] K_r
    std::vector<Row> Q, K;         // product rows: non-constant query and key rows
    std::vector<Rational> q0;      // their query biases
    bool negate_query = true;      // -s_ij from (-q_i) k_j, else from q_i (-k_j)
    u32 d_sigma = 0;               // depth of the comparison signs [s_ij' > s_ij]
    u32 d_ind = 0;                 // average: sz_ij = [j not in M_i]; unique: [j is chosen]
    u32 d_g = 0;                   // average: [t_i >= k]
    std::vector<u32> term;         // per coordinate: the deepest operand the head adds to Y_c
};

struct LayerPlan {
    std::vector<u32> in, y, out;   // delta_l, depth of y_i, delta_{l+1} (per coordinate)
    std::vector<char> touched;     // some live head writes the coordinate
    std::vector<char> written;     // touched or written by the feed-forward part
    std::vector<HeadPlan> heads;
    std::vector<u32> ffn_depth;    // per feed-forward gate
    std::vector<char> ffn_live;    // the gate reaches an output
    std::vector<int> ffn_input;    // per feed-forward gate: its input index, or -1
};

struct Plan {
    std::vector<LayerPlan> layers;
    EncoderCircuitDepth depth;
};

// The largest allowed set over all n, capped at 2.
int max_allowed(const Head& h) {
    if (!h.window) return 2;
    const std::uint64_t w = *h.window;
    switch (h.mask) {
        case Mask::None:
        case Mask::PastOrSelf:
        case Mask::FutureOrSelf: return w == 0 ? 1 : 2;
        case Mask::Past:
        case Mask::Future: return w == 0 ? 0 : (w == 1 ? 1 : 2);
    }
    return 2;
}

HeadPlan plan_head(const Head& h, std::size_t l, std::size_t hidx, const std::vector<u32>& in, std::size_t d) {
    HeadPlan p;
    p.rule = h.rule;
    if (h.rule == Rule::Softmax)
        fail(h.loc,
             "layer {} head {}: softmax attention has no exact circuit (its weights e^(beta s) are not rational); "
             "only average-hard, unique-hard and uniform heads can be decompiled",
             l, hidx);
    // O V and O v0.
    const Sparse<Rational>& O = h.output;
    const Sparse<Rational>& V = h.value.A;
    p.W.resize(d);
    p.w.assign(d, Rational(0));
    for (std::size_t c = 0; c < d; ++c) {
        std::vector<Rational> acc(d, Rational(0));
        for (std::uint32_t k = O.start[c]; k < O.start[c + 1]; ++k) {
            const std::uint32_t v = O.col[k];
            const Rational& o = O.val[k];
            for (std::uint32_t t = V.start[v]; t < V.start[v + 1]; ++t) acc[V.col[t]] += o * V.val[t];
            p.w[c] += o * h.value.b[v];
        }
        p.W[c] = nonzeros(acc);
        if (!p.W[c].empty() || p.w[c] != 0) p.written.push_back(static_cast<u32>(c));
    }
    p.term.assign(d, 0);
    const int um = max_allowed(h);
    if (p.written.empty() || um == 0) {
        p.kind = Kind::Dead;
        p.written.clear();
        return p;
    }
    // Scores: s_ij' - s_ij = kappa . (x_j' - x_j) + sum_{r in R} q_i[r] (K_r x_j' - K_r x_j).
    if (h.rule != Rule::Uniform) {
        std::vector<Rational> kappa(d, Rational(0));
        for (std::size_t r = 0; r < h.query.rows(); ++r) {
            Row qr = row_of(h.query.A, r), kr = row_of(h.key.A, r);
            if (qr.empty()) {
                if (h.query.b[r] != 0)
                    for (const Entry& e : kr) kappa[e.col] += h.query.b[r] * e.w;
            } else if (!kr.empty()) {
                p.Q.push_back(std::move(qr));
                p.K.push_back(std::move(kr));
                p.q0.push_back(h.query.b[r]);
            }
        }
        p.kappa = nonzeros(kappa);
    }
    const bool static_tie = p.kappa.empty() && p.Q.empty();
    if (h.rule == Rule::Uniform) {
        p.kind = um >= 2 ? Kind::Mean : Kind::Select;
    } else if (um <= 1 || static_tie) {
        p.kind = um >= 2 && h.rule == Rule::AverageHard ? Kind::Mean : Kind::Select;
        p.pick_right = h.rule == Rule::UniqueHardRight;
    } else {
        p.kind = Kind::Hard;
    }
    auto select_term = [&](u32 c) {
        u32 m = 0;
        for (const Entry& e : p.W[c]) m = std::max<u32>(m, in[e.col] + (e.w != 1 ? 1 : 0));
        return m;
    };
    if (p.kind == Kind::Hard) {
        u32 prod = 0, nq = 0, nk = 0;
        for (std::size_t r = 0; r < p.Q.size(); ++r) {
            const u32 dq = row_depth(p.Q[r], p.q0[r], in), dk = row_depth(p.K[r], Rational(0), in);
            const u32 dnq = row_depth(negated(p.Q[r]), -p.q0[r], in), dnk = row_depth(negated(p.K[r]), Rational(0), in);
            prod = std::max(prod, 1 + std::max(dq, dk));
            nq = std::max(nq, 1 + std::max(dnq, dk));
            nk = std::max(nk, 1 + std::max(dq, dnk));
        }
        p.negate_query = nq <= nk;
        u32 diff = std::max(prod, p.negate_query ? nq : nk);
        for (const Entry& e : p.kappa) diff = std::max(diff, in[e.col] + 1);
        p.d_sigma = diff + 2;  // the add over the terms, then sign
        if (h.rule == Rule::AverageHard) {
            p.d_ind = p.d_sigma + 2;  // add, sign
            p.d_g = p.d_ind + 2;      // add, sign
        } else {
            p.d_ind = p.d_sigma + 3;  // mul by -1, add, sign
        }
        for (u32 c : p.written) {
            u32 t = 0;
            if (h.rule == Rule::AverageHard) {
                const u32 nov = row_depth(negated(p.W[c]), -p.w[c], in);
                const u32 product = p.W[c].empty() ? p.d_ind + (-p.w[c] != 1 ? 1 : 0) : 1 + std::max(p.d_ind, nov);
                const u32 N = 1 + std::max(select_term(c), product);
                t = 2 + std::max(p.d_g, N);
            } else {
                const u32 ov = row_depth(p.W[c], p.w[c], in);
                t = p.W[c].empty() ? p.d_ind + (p.w[c] != 1 ? 1 : 0) : 1 + std::max(p.d_ind, ov);
            }
            p.term[c] = std::max(t, select_term(c));
        }
    } else {
        for (u32 c : p.written) {
            u32 t = select_term(c);
            if (p.kind == Kind::Mean)
                for (const Entry& e : p.W[c]) t = std::max<u32>(t, in[e.col] + 1);
            p.term[c] = t;
        }
    }
    return p;
}

Plan make_plan(const Encoder& enc) {
    validate(enc);
    const std::size_t d = enc.d;
    Plan plan;
    std::vector<u32> delta(d, 0);
    plan.depth.coordinate.push_back(delta);
    for (std::size_t l = 0; l < enc.layers.size(); ++l) {
        const Layer& layer = enc.layers[l];
        LayerPlan lp;
        lp.in = delta;
        lp.touched.assign(d, 0);
        std::vector<u32> term(d, 0);
        for (std::size_t h = 0; h < layer.heads.size(); ++h) {
            lp.heads.push_back(plan_head(layer.heads[h], l, h, lp.in, d));
            for (u32 c : lp.heads.back().written) {
                lp.touched[c] = 1;
                term[c] = std::max(term[c], lp.heads.back().term[c]);
            }
        }
        lp.y = lp.in;
        for (std::size_t c = 0; c < d; ++c)
            if (lp.touched[c]) lp.y[c] = 1 + std::max(lp.in[c], term[c]);
        lp.written = lp.touched;
        std::vector<u32> ffn_term(d, 0);
        if (layer.ffn) {
            const FeedForward& f = *layer.ffn;
            const Circuit& fc = f.circuit;
            lp.ffn_input.assign(fc.gates.size(), -1);
            for (std::size_t k = 0; k < fc.inputs.size(); ++k) lp.ffn_input[fc.inputs[k]] = static_cast<int>(k);
            lp.ffn_depth.assign(fc.gates.size(), 0);
            for (std::size_t g = 0; g < fc.gates.size(); ++g) {
                const Gate& gate = fc.gates[g];
                if (gate.op == Op::Input) {
                    lp.ffn_depth[g] = lp.y[f.reads[static_cast<std::size_t>(lp.ffn_input[g])]];
                } else if (gate.op != Op::Const) {
                    u32 m = 0;
                    for (GateId o : gate.in) m = std::max(m, lp.ffn_depth[o]);
                    lp.ffn_depth[g] = m + 1;
                }
            }
            lp.ffn_live.assign(fc.gates.size(), 0);
            for (GateId o : fc.outputs) lp.ffn_live[o] = 1;
            for (std::size_t g = fc.gates.size(); g-- > 0;)
                if (lp.ffn_live[g])
                    for (GateId o : fc.gates[g].in) lp.ffn_live[o] = 1;
            for (std::size_t k = 0; k < f.writes.size(); ++k) {
                const u32 c = f.writes[k];
                lp.written[c] = 1;
                ffn_term[c] = std::max(ffn_term[c], lp.ffn_depth[fc.outputs[k]]);
            }
        }
        lp.out = lp.in;
        for (std::size_t c = 0; c < d; ++c)
            if (lp.written[c]) lp.out[c] = 1 + std::max({lp.in[c], lp.touched[c] ? term[c] : 0u, ffn_term[c]});
        LayerDepth ld;
        ld.input = *std::max_element(lp.in.begin(), lp.in.end());
        ld.attention = *std::max_element(lp.y.begin(), lp.y.end());
        ld.output = *std::max_element(lp.out.begin(), lp.out.end());
        plan.depth.layers.push_back(ld);
        delta = lp.out;
        plan.depth.coordinate.push_back(delta);
        plan.layers.push_back(std::move(lp));
    }
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        u32 m = 0;
        for (u32 c : r.coordinates) m = std::max(m, delta[c]);
        plan.depth.readout = m + 1;  // y<i>_<k> = add(x^(L)_{i,c_k})
    } else {
        u32 m = 0;
        for (std::size_t c = 0; c < d; ++c)
            if (r.weights[c] != 0) m = std::max<u32>(m, delta[c] + (r.weights[c] != 1 ? 1 : 0));
        plan.depth.readout = m + 2;  // score = add(...), accept = sign(score)
    }
    plan.depth.total = std::max(plan.depth.readout, *std::max_element(delta.begin(), delta.end()));
    return plan;
}

// ---- building ----

struct Lin {
    std::vector<std::pair<GateId, Rational>> terms;
    Rational k = 0;
};

class Builder {
public:
    Circuit c;
    std::vector<u32> dep;

    GateId input(std::string name) { return track(c.input(std::move(name))); }
    GateId constant(const Rational& v) {
        auto it = consts_.find(v);
        if (it != consts_.end()) return it->second;
        GateId g = track(c.constant(v));
        consts_.emplace(v, g);
        return g;
    }
    GateId add(std::vector<GateId> ops) { return track(c.add(std::move(ops))); }
    GateId mul(GateId a, GateId b) { return track(c.mul(a, b)); }
    GateId sign(GateId a) { return track(c.sign(a)); }
    // k * g with a const gate (k != 0); k = 1 is g itself. Shared.
    GateId scale(GateId g, const Rational& k) {
        if (k == 1) return g;
        const GateId kc = constant(k);
        const std::uint64_t key = (static_cast<std::uint64_t>(kc) << 32) | g;
        auto it = scaled_.find(key);
        if (it != scaled_.end()) return it->second;
        GateId m = mul(kc, g);
        scaled_.emplace(key, m);
        return m;
    }
    void term(Lin& L, GateId g, const Rational& k) {
        if (k == 0) return;
        if (c.gates[g].op == Op::Const) {
            L.k += k * c.gates[g].value;
            return;
        }
        L.terms.emplace_back(g, k);
    }
    // One gate for the linear form: a mul by a const gate for each weight other than 1, one
    // add when there are two or more operands (like terms are not merged).
    GateId mat(const Lin& L) {
        std::vector<GateId> ops;
        ops.reserve(L.terms.size() + 1);
        for (const auto& [g, k] : L.terms) ops.push_back(scale(g, k));
        if (L.k != 0) ops.push_back(constant(L.k));
        if (ops.empty()) return constant(Rational(0));
        if (ops.size() == 1) return ops[0];
        return add(std::move(ops));
    }

private:
    std::map<Rational, GateId> consts_;
    std::unordered_map<std::uint64_t, GateId> scaled_;

    GateId track(GateId g) {
        while (dep.size() < c.gates.size()) {
            const Gate& gate = c.gates[dep.size()];
            u32 m = 0;
            if (gate.op != Op::Input && gate.op != Op::Const) {
                for (GateId o : gate.in) m = std::max(m, dep[o]);
                ++m;
            }
            dep.push_back(m);
        }
        return g;
    }
};


struct LayerBuild {
    Builder& B;
    const std::size_t n, d;
    const std::vector<GateId>& X;  // n*d state gates
    std::vector<Lin>& Y;           // n*d: y_{i,c} as linear forms

    GateId x(std::size_t j, u32 c) const { return X[j * d + c]; }

    Lin row_lin(const Row& row, const Rational& bias, std::size_t j) {
        Lin L;
        for (const Entry& e : row) B.term(L, x(j, e.col), e.w);
        L.k += bias;
        return L;
    }

    void select(const HeadPlan& p, std::size_t i, std::size_t j) {
        for (u32 c : p.written) {
            Lin& L = Y[i * d + c];
            for (const Entry& e : p.W[c]) B.term(L, x(j, e.col), e.w);
            L.k += p.w[c];
        }
    }

    void mean(const HeadPlan& p, std::size_t i, std::size_t lo, std::size_t hi) {
        const Rational u(static_cast<long long>(hi - lo + 1));
        for (u32 c : p.written) {
            Lin& L = Y[i * d + c];
            for (std::size_t j = lo; j <= hi; ++j)
                for (const Entry& e : p.W[c]) B.term(L, x(j, e.col), e.w / u);
            L.k += p.w[c];
        }
    }

    void append(std::size_t i, const HeadPlan& p, const std::vector<Lin>& contrib) {
        for (std::size_t w = 0; w < p.written.size(); ++w) {
            Lin& L = Y[i * d + p.written[w]];
            L.terms.insert(L.terms.end(), contrib[w].terms.begin(), contrib[w].terms.end());
            L.k += contrib[w].k;
        }
    }

    void head(const Head& h, const HeadPlan& p) {
        if (p.kind == Kind::Dead) return;
        const std::size_t R = p.Q.size();
        // Per key position, shared by all queries: K_r x_j (no bias), its negation, O V x_j + O v0
        // and its negation.
        std::vector<GateId> khat(n * R, kNone), nkhat(n * R, kNone), ov(n * d, kNone), nov(n * d, kNone);
        const bool shared = R == 0;
        std::vector<GateId> rho_all(shared ? n * n : 0, kNone);
        std::map<std::pair<std::size_t, std::size_t>, std::vector<Lin>> by_interval;
        auto get = [&](std::vector<GateId>& memo, std::size_t idx, auto make) {
            if (memo[idx] == kNone) memo[idx] = make();
            return memo[idx];
        };
        for (std::size_t i = 0; i < n; ++i) {
            auto [lo_, hi_] = allowed_interval(h, static_cast<std::int64_t>(i), static_cast<std::int64_t>(n));
            if (lo_ > hi_) continue;  // empty allowed set: the zero vector
            const auto lo = static_cast<std::size_t>(lo_), hi = static_cast<std::size_t>(hi_);
            const std::size_t u = hi - lo + 1;
            if (p.kind == Kind::Select || (p.kind == Kind::Hard && u == 1)) {
                select(p, i, p.pick_right ? hi : lo);
                continue;
            }
            if (p.kind == Kind::Mean) {
                mean(p, i, lo, hi);
                continue;
            }
            // With every query row constant (R empty) the scores do not depend on i: the
            // comparisons are shared by all queries, and the whole contribution depends on
            // U_i only.
            if (shared) {
                auto it = by_interval.find({lo, hi});
                if (it != by_interval.end()) {
                    append(i, p, it->second);
                    continue;
                }
            }
            std::vector<Lin> contrib(p.written.size());
            // Scores: the products q_i[r] k_j[r] and -q_i[r] k_j[r] (key bias left out: it cancels).
            std::vector<GateId> qhat(R), nqhat(R);
            for (std::size_t r = 0; r < R; ++r) {
                qhat[r] = B.mat(row_lin(p.Q[r], p.q0[r], i));
                if (p.negate_query) nqhat[r] = B.mat(row_lin(negated(p.Q[r]), -p.q0[r], i));
            }
            std::vector<GateId> prod(u * R), nprod(u * R);
            for (std::size_t j = lo; j <= hi; ++j)
                for (std::size_t r = 0; r < R; ++r) {
                    GateId kj = get(khat, j * R + r, [&] { return B.mat(row_lin(p.K[r], Rational(0), j)); });
                    prod[(j - lo) * R + r] = B.mul(qhat[r], kj);
                    if (p.negate_query) {
                        nprod[(j - lo) * R + r] = B.mul(nqhat[r], kj);
                    } else {
                        GateId nkj = get(nkhat, j * R + r, [&] { return B.mat(row_lin(negated(p.K[r]), Rational(0), j)); });
                        nprod[(j - lo) * R + r] = B.mul(qhat[r], nkj);
                    }
                }
            // rho(a, b) = [s_ia > s_ib]
            std::vector<GateId> rho_memo(shared ? 0 : u * u, kNone);
            auto rho = [&](std::size_t a, std::size_t b) {
                GateId& g = shared ? rho_all[a * n + b] : rho_memo[(a - lo) * u + (b - lo)];
                if (g == kNone) {
                    Lin L;
                    for (const Entry& e : p.kappa) {
                        B.term(L, x(a, e.col), e.w);
                        B.term(L, x(b, e.col), -e.w);
                    }
                    for (std::size_t r = 0; r < R; ++r) {
                        B.term(L, prod[(a - lo) * R + r], Rational(1));
                        B.term(L, nprod[(b - lo) * R + r], Rational(1));
                    }
                    g = B.sign(B.mat(L));
                }
                return g;
            };
            if (p.rule == Rule::AverageHard) {
                // sz_j = [some j' beats j] = [j not in M_i]; t = sum_j sz_j = u - |M_i|.
                std::vector<GateId> sz(u);
                for (std::size_t j = lo; j <= hi; ++j) {
                    std::vector<GateId> ops;
                    for (std::size_t jp = lo; jp <= hi; ++jp)
                        if (jp != j) ops.push_back(rho(jp, j));
                    sz[j - lo] = B.sign(B.add(std::move(ops)));
                }
                // g_k = [t >= k] = sign(t - k + 1), k = 1..u-1
                std::vector<GateId> gk(u, kNone);
                for (std::size_t k = 1; k < u; ++k) {
                    std::vector<GateId> ops(sz);
                    if (k != 1) ops.push_back(B.constant(Rational(1 - static_cast<long long>(k))));
                    gk[k] = B.sign(B.add(std::move(ops)));
                }
                const Rational U(static_cast<long long>(u));
                for (std::size_t w = 0; w < p.written.size(); ++w) {
                    const u32 c = p.written[w];
                    // N = sum_{j in M_i} v_j[c] = sum_j v_j[c] - sum_j sz_j v_j[c]
                    Lin N;
                    for (std::size_t j = lo; j <= hi; ++j)
                        for (const Entry& e : p.W[c]) B.term(N, x(j, e.col), e.w);
                    N.k += U * p.w[c];
                    for (std::size_t j = lo; j <= hi; ++j) {
                        if (p.W[c].empty()) {
                            B.term(N, sz[j - lo], -p.w[c]);
                        } else {
                            GateId nv = get(nov, j * d + c, [&] { return B.mat(row_lin(negated(p.W[c]), -p.w[c], j)); });
                            B.term(N, B.mul(sz[j - lo], nv), Rational(1));
                        }
                    }
                    const GateId Nh = B.mat(N);
                    // N / |M_i| = N/u + sum_k (1/(u-k) - 1/(u-k+1)) [t >= k] N
                    Lin& L = contrib[w];
                    B.term(L, Nh, Rational(1) / U);
                    for (std::size_t k = 1; k < u; ++k) {
                        const Rational e = Rational(1) / Rational(static_cast<long long>(u - k)) -
                                           Rational(1) / Rational(static_cast<long long>(u - k + 1));
                        B.term(L, B.mul(gk[k], Nh), e);
                    }
                }
            } else {
                const bool left = p.rule == Rule::UniqueHardLeft;
                for (std::size_t j = lo; j <= hi; ++j) {
                    // left: [j is the leftmost maximum]
                    //   = sign(1 - (j - lo) + sum_{j'<j} [s_j > s_j'] - sum_{j'>j} [s_j' > s_j])
                    std::vector<GateId> ops;
                    const long long before = static_cast<long long>(left ? j - lo : hi - j);
                    if (before != 1) ops.push_back(B.constant(Rational(1 - before)));
                    for (std::size_t jp = lo; jp <= hi; ++jp) {
                        if (jp == j) continue;
                        const bool wins = left ? jp < j : jp > j;  // j must beat jp strictly
                        ops.push_back(wins ? rho(j, jp) : B.scale(rho(jp, j), Rational(-1)));
                    }
                    const GateId sel = B.sign(B.add(std::move(ops)));
                    for (std::size_t w = 0; w < p.written.size(); ++w) {
                        const u32 c = p.written[w];
                        Lin& L = contrib[w];
                        if (p.W[c].empty()) {
                            B.term(L, sel, p.w[c]);
                        } else {
                            GateId v = get(ov, j * d + c, [&] { return B.mat(row_lin(p.W[c], p.w[c], j)); });
                            B.term(L, B.mul(sel, v), Rational(1));
                        }
                    }
                }
            }
            append(i, p, contrib);
            if (shared) by_interval.emplace(std::make_pair(lo, hi), std::move(contrib));
        }
    }
};

}  // namespace

EncoderCircuitDepth encoder_circuit_depth(const Encoder& enc) { return make_plan(enc).depth; }

std::vector<Rational> circuit_input(const Matrix<Rational>& x) { return x.data; }

EncoderCircuit build_encoder_circuit(const Encoder& enc, std::size_t n, const EncoderCircuitOptions& opts) {
    Plan plan = make_plan(enc);
    if (n == 0) fail({}, "the input length n must be at least 1");
    const std::size_t d = enc.d;
    Builder B;
    EncoderCircuit out;
    std::vector<GateId> X(n * d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t c = 0; c < d; ++c) X[i * d + c] = B.input(fmt::format("x{}_{}", i, c));
    for (std::size_t l = 0; l < enc.layers.size(); ++l) {
        const Layer& layer = enc.layers[l];
        const LayerPlan& lp = plan.layers[l];
        const GateId first = static_cast<GateId>(B.c.gates.size());
        std::vector<Lin> Y(n * d);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < d; ++c)
                if (lp.written[c]) B.term(Y[i * d + c], X[i * d + c], Rational(1));
        LayerBuild lb{B, n, d, X, Y};
        for (std::size_t h = 0; h < layer.heads.size(); ++h) lb.head(layer.heads[h], lp.heads[h]);
        // y_{i,c} as gates, where the feed-forward part reads them.
        std::vector<GateId> ygate(n * d, kNone);
        auto y = [&](std::size_t i, std::size_t c) {
            GateId& g = ygate[i * d + c];
            if (g == kNone) g = lp.touched[c] ? B.mat(Y[i * d + c]) : X[i * d + c];
            return g;
        };
        std::vector<std::vector<std::pair<u32, GateId>>> ffn_out(n);
        if (layer.ffn) {
            const FeedForward& f = *layer.ffn;
            const Circuit& fc = f.circuit;
            std::vector<GateId> map(fc.gates.size(), kNone);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t g = 0; g < fc.gates.size(); ++g) {
                    if (!lp.ffn_live[g]) continue;
                    const Gate& gate = fc.gates[g];
                    switch (gate.op) {
                        case Op::Input: map[g] = y(i, f.reads[static_cast<std::size_t>(lp.ffn_input[g])]); break;
                        case Op::Const: map[g] = B.constant(gate.value); break;
                        case Op::Add: {
                            std::vector<GateId> ops;
                            for (GateId o : gate.in) ops.push_back(map[o]);
                            map[g] = B.add(std::move(ops));
                            break;
                        }
                        case Op::Mul: map[g] = B.mul(map[gate.in[0]], map[gate.in[1]]); break;
                        case Op::Sign: map[g] = B.sign(map[gate.in[0]]); break;
                    }
                }
                for (std::size_t k = 0; k < f.writes.size(); ++k) ffn_out[i].emplace_back(f.writes[k], map[fc.outputs[k]]);
            }
        }
        std::vector<GateId> next = X;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t c = 0; c < d; ++c) {
                if (!lp.written[c]) continue;
                GateId g;
                bool ffn_writes = false;
                for (const auto& [wc, fg] : ffn_out[i]) ffn_writes = ffn_writes || wc == c;
                if (ffn_writes) {
                    Lin L = Y[i * d + c];
                    for (const auto& [wc, fg] : ffn_out[i])
                        if (wc == c) B.term(L, fg, Rational(1));
                    g = B.mat(L);
                } else {
                    g = y(i, c);
                }
                if (B.dep[g] > lp.out[c])
                    internal_error("encoder_to_circuit: layer {} position {} coordinate {} has depth {} above the formula's {}",
                                   l, i, c, B.dep[g], lp.out[c]);
                if (opts.pad)
                    while (B.dep[g] < lp.out[c]) {
                        g = B.add({g});
                        ++out.padding;
                    }
                if (g >= first && B.c.gates[g].name.empty()) B.c.gates[g].name = fmt::format("L{}.x{}_{}", l + 1, i, c);
                next[i * d + c] = g;
            }
        }
        X = std::move(next);
    }
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < r.coordinates.size(); ++k) {
                GateId g = B.add({X[i * d + r.coordinates[k]]});
                B.c.gates[g].name = fmt::format("y{}_{}", i, k);
                B.c.outputs.push_back(g);
            }
    } else {
        const std::size_t p = r.at_last ? n - 1 : 0;
        std::vector<GateId> ops;
        for (std::size_t c = 0; c < d; ++c)
            if (r.weights[c] != 0) ops.push_back(B.scale(X[p * d + c], r.weights[c]));
        if (r.bias != 0) ops.push_back(B.constant(r.bias));
        GateId score = B.add(std::move(ops));
        GateId accept = B.sign(score);
        B.c.gates[score].name = "score";
        B.c.gates[accept].name = "accept";
        B.c.outputs = {accept, score};
    }
    out.circuit = std::move(B.c);
    out.depth = std::move(plan.depth);
    return out;
}

Circuit encoder_to_circuit(const Encoder& enc, std::size_t n) { return build_encoder_circuit(enc, n).circuit; }

}  // namespace ahat
