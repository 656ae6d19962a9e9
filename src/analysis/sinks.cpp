#include "analysis/sinks.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "analysis/plot.hpp"
#include "circuit/eval.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"

namespace ahat::analysis {

namespace {

template <class S>
struct LHead {
    Affine<S> query, key, value;
    Sparse<S> output;
    double beta = 1;
    const Head* src = nullptr;
};

template <class S>
std::vector<std::vector<LHead<S>>> lower(const Encoder& enc) {
    std::vector<std::vector<LHead<S>>> out(enc.layers.size());
    for (std::size_t l = 0; l < enc.layers.size(); ++l)
        for (const Head& h : enc.layers[l].heads) {
            if (is_exact_v<S> && h.rule == Rule::Softmax)
                throw InputError(h.loc, "an exact pass cannot run a softmax head (e^x is not rational); run it in double");
            LHead<S> lh;
            lh.query = convert<S>(h.query), lh.key = convert<S>(h.key), lh.value = convert<S>(h.value);
            lh.output = convert<S>(h.output);
            lh.beta = h.beta.convert_to<double>();
            lh.src = &h;
            out[l].push_back(std::move(lh));
        }
    return out;
}

// rows(f) x n: f applied to every row of X.
template <class S>
Matrix<S> map_rows(const Affine<S>& f, const Matrix<S>& X) {
    Matrix<S> out(X.rows, f.rows());
    for (std::size_t i = 0; i < X.rows; ++i) apply(f, X.row(i), out.row(i));
    return out;
}

// dx += A^T dy.
template <class S>
void transpose_add(const Sparse<S>& A, const S* dy, S* dx) {
    for (std::size_t r = 0; r < A.rows; ++r) {
        if (dy[r] == S(0)) continue;
        for (std::uint32_t k = A.start[r]; k < A.start[r + 1]; ++k) dx[A.col[k]] += A.val[k] * dy[r];
    }
}

template <class S>
S dot_n(const S* a, const S* b, std::size_t n) {
    S s = S(0);
    for (std::size_t t = 0; t < n; ++t) s += a[t] * b[t];
    return s;
}

// The weights of query i over its allowed interval [lo, hi] (w[j - lo]); false when empty.
// Hard rules decide ties as the interpreter does: exact equality, or for double
// max - s <= tol max(1, |max|).
//
// With multiplicities `mult` (attention on representatives, cascade.hpp): only keys j with
// mult[j] > 0 take part, each weighted by mult[j]: average-hard and uniform weights are
// mult[j] / (the sum over the selected keys), softmax weights mult[j] e^(beta s_j) normalized,
// unique-hard the leftmost / rightmost selected key.
template <class S>
bool row_weights(const LHead<S>& h, const Matrix<S>& Q, const Matrix<S>& K, std::size_t i, std::size_t n, double tol,
                 std::int64_t& lo, std::int64_t& hi, std::vector<S>& w, const std::vector<S>* mult = nullptr) {
    const auto [a, b] = allowed_interval(*h.src, static_cast<std::int64_t>(i), static_cast<std::int64_t>(n));
    lo = a, hi = b;
    if (lo > hi) return false;
    const std::size_t m = static_cast<std::size_t>(hi - lo + 1);
    auto on = [&](std::size_t t) { return !mult || (*mult)[static_cast<std::size_t>(lo) + t] > S(0); };
    auto weight = [&](std::size_t t) { return mult ? (*mult)[static_cast<std::size_t>(lo) + t] : S(1); };
    bool any = false;
    for (std::size_t t = 0; t < m && !any; ++t) any = on(t);
    if (!any) return false;
    w.assign(m, S(0));
    const Rule rule = h.src->rule;
    auto normalize = [&] {
        S z = S(0);
        for (const S& x : w) z += x;
        for (auto& x : w) x /= z;
    };
    if (rule == Rule::Uniform) {
        for (std::size_t t = 0; t < m; ++t) w[t] = on(t) ? weight(t) : S(0);
        normalize();
        return true;
    }
    const std::size_t dk = Q.cols;
    std::optional<S> best;
    for (std::size_t t = 0; t < m; ++t)
        if (on(t)) {
            w[t] = dot_n(Q.row(i), K.row(static_cast<std::size_t>(lo) + t), dk);
            if (!best || w[t] > *best) best = w[t];
        }
    const S mx = *best;
    if constexpr (!is_exact_v<S>) {
        if (rule == Rule::Softmax) {
            for (std::size_t t = 0; t < m; ++t) w[t] = on(t) ? weight(t) * std::exp(h.beta * (w[t] - mx)) : 0.0;
            normalize();
            return true;
        }
    }
    auto selected = [&](std::size_t t) {
        if (!on(t)) return false;
        if constexpr (is_exact_v<S>) return w[t] == mx;
        else return mx - w[t] <= tol * std::max(1.0, std::abs(mx));
    };
    if (rule == Rule::AverageHard) {
        if (!mult) {
            long c = 0;
            for (std::size_t t = 0; t < m; ++t) w[t] = selected(t) ? S(1) : S(0), c += w[t] != S(0);
            const S u = S(1) / S(c);
            for (auto& s : w)
                if (s != S(0)) s = u;
        } else {
            for (std::size_t t = 0; t < m; ++t) w[t] = selected(t) ? weight(t) : S(0);
            normalize();
        }
    } else {
        std::size_t pick = 0;
        bool found = false;
        for (std::size_t t = 0; t < m; ++t)
            if (selected(t) && (rule == Rule::UniqueHardRight || !found)) pick = t, found = true;
        for (auto& s : w) s = S(0);
        w[pick] = S(1);
    }
    return true;
}

template <class S>
double to_d(const S& s) {
    if constexpr (is_exact_v<S>) return s.template convert_to<double>();
    else return s;
}

template <class S>
void readout(const Encoder& enc, const Matrix<S>& X, Matrix<S>& out) {
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        out = Matrix<S>(X.rows, r.coordinates.size());
        for (std::size_t i = 0; i < X.rows; ++i)
            for (std::size_t c = 0; c < r.coordinates.size(); ++c) out.at(i, c) = X.at(i, r.coordinates[c]);
    } else {
        if (X.rows == 0) throw InputError(r.loc, "an accept readout needs a non-empty input");
        const std::size_t p = r.at_last ? X.rows - 1 : 0;
        out = Matrix<S>(1, 1);
        S s = from_rational<S>(r.bias);
        for (std::size_t c = 0; c < X.cols; ++c) s += from_rational<S>(r.weights[c]) * X.at(p, c);
        out.at(0, 0) = s;
    }
}

}  // namespace

template <class S>
Forward<S> sink_forward(const Encoder& enc, const Matrix<S>& input, double tol, const KeySelector<S>& select) {
    if (input.cols != enc.d) throw InputError(enc.loc, fmt::format("the input has {} columns, the encoder's width is {}", input.cols, enc.d));
    const auto heads = lower<S>(enc);
    const std::size_t n = input.rows;
    Forward<S> fw;
    fw.n = n;
    fw.states.push_back(input);
    std::vector<S> w, ins, vals;
    for (std::size_t l = 0; l < enc.layers.size(); ++l) {
        const Matrix<S>& X = fw.states.back();
        Matrix<S> Y = X;
        std::vector<HeadStats<S>> stats;
        std::vector<S> mult;
        if (select && !heads[l].empty()) mult = select(l, X);
        const std::vector<S>* mp = mult.empty() ? nullptr : &mult;
        for (const LHead<S>& h : heads[l]) {
            const Matrix<S> Q = map_rows(h.query, X), K = map_rows(h.key, X), V = map_rows(h.value, X);
            HeadStats<S> st;
            st.mass.assign(n, S(0));
            st.entropy_min = INFINITY, st.entropy_max = 0;
            st.entropy.assign(n, std::nullopt);
            st.weight0.assign(n, S(0));
            std::vector<S> a(V.cols);
            for (std::size_t i = 0; i < n; ++i) {
                std::int64_t lo, hi;
                std::fill(a.begin(), a.end(), S(0));
                if (row_weights(h, Q, K, i, n, tol, lo, hi, w, mp)) {
                    double ent = 0;
                    for (std::size_t t = 0; t < w.size(); ++t) {
                        if (w[t] == S(0)) continue;
                        const std::size_t j = static_cast<std::size_t>(lo) + t;
                        st.mass[j] += w[t];
                        const S* v = V.row(j);
                        for (std::size_t c = 0; c < V.cols; ++c) a[c] += w[t] * v[c];
                        const double p = to_d(w[t]);
                        if (p > 0) ent -= p * std::log(p);
                    }
                    if (lo == 0) st.weight0[i] = w[0];
                    st.entropy[i] = ent;
                    st.queries += 1, st.entropy_mean += ent;
                    st.entropy_min = std::min(st.entropy_min, ent), st.entropy_max = std::max(st.entropy_max, ent);
                }
                apply_add(h.output, a.data(), Y.row(i));
            }
            if (st.queries) {
                st.entropy_mean /= double(st.queries);
                const S q = S(static_cast<long>(st.queries));
                for (auto& m : st.mass) m /= q;
            } else {
                st.entropy_min = 0;
            }
            stats.push_back(std::move(st));
        }
        fw.heads.push_back(std::move(stats));
        fw.mid.push_back(Y);
        if (const auto& f = enc.layers[l].ffn) {
            for (std::size_t i = 0; i < n; ++i) {
                ins.resize(f->reads.size());
                for (std::size_t k = 0; k < f->reads.size(); ++k) ins[k] = Y.at(i, f->reads[k]);
                evaluate_into(f->circuit, ins, vals, EvalOptions{0});
                for (std::size_t k = 0; k < f->writes.size(); ++k) Y.at(i, f->writes[k]) += vals[f->circuit.outputs[k]];
            }
        }
        fw.states.push_back(std::move(Y));
    }
    readout(enc, fw.states.back(), fw.outputs);
    return fw;
}

template <class S>
S sink_loss(const Forward<S>& fw, SinkLoss loss, const std::type_identity_t<Matrix<S>>* target) {
    S L = S(0);
    for (std::size_t k = 0; k < fw.outputs.data.size(); ++k) {
        if (loss == SinkLoss::Readout) L += fw.outputs.data[k];
        else {
            const S e = fw.outputs.data[k] - target->data[k];
            L += e * e / S(2);
        }
    }
    return L;
}

template <class S>
Backward<S> sink_backward(const Encoder& enc, const Forward<S>& fw, SinkLoss loss, const std::type_identity_t<Matrix<S>>* target, double tol,
                          numeric::Device device) {
    if (device == numeric::Device::Cuda && is_exact_v<S>) throw InputError(enc.loc, "the exact backward pass runs on the CPU only (--device cpu)");
    if (device == numeric::Device::Cuda) numeric::require_cuda();
    if (loss == SinkLoss::Squared && (!target || target->rows != fw.outputs.rows || target->cols != fw.outputs.cols))
        throw InputError(enc.loc, "the squared loss needs a target of the readout's shape");
    const auto heads = lower<S>(enc);
    const std::size_t n = fw.n, L = enc.layers.size();
    Backward<S> bw;
    bw.loss = sink_loss(fw, loss, target);
    bw.grad.assign(L + 1, Matrix<S>());
    // dL/d outputs, then into the final state.
    Matrix<S> G(n, enc.d);
    auto dout = [&](std::size_t k) { return loss == SinkLoss::Readout ? S(1) : fw.outputs.data[k] - target->data[k]; };
    if (enc.readout.kind == Readout::Kind::Sequence) {
        const auto& cs = enc.readout.coordinates;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < cs.size(); ++c) G.at(i, cs[c]) += dout(i * cs.size() + c);
    } else {
        const std::size_t p = enc.readout.at_last ? n - 1 : 0;
        const S g = dout(0);
        for (std::size_t c = 0; c < enc.d; ++c) G.at(p, c) += from_rational<S>(enc.readout.weights[c]) * g;
    }
    bw.value_grad0.assign(L, {});
    bw.out_grad_sum.assign(L, {});
    std::vector<S> ins, vals, adj, w;
    for (std::size_t l = L; l-- > 0;) {
        // y = states[l] + attention (the forward pass kept it); Q, K, V again from states[l].
        const Matrix<S>& X = fw.states[l];
        const Matrix<S>& Y = fw.mid[l];
        struct HK {
            Matrix<S> Q, K, V;
        };
        std::vector<HK> hk;
        for (const LHead<S>& h : heads[l]) hk.push_back(HK{map_rows(h.query, X), map_rows(h.key, X), map_rows(h.value, X)});
        // dY = G + J_F(y)^T G.
        Matrix<S> dY = G;
        if (const auto& f = enc.layers[l].ffn) {
            const Circuit& c = f->circuit;
            std::vector<std::int64_t> input_index(c.size(), -1);
            for (std::size_t k = 0; k < c.inputs.size(); ++k) input_index[c.inputs[k]] = static_cast<std::int64_t>(k);
            for (std::size_t i = 0; i < n; ++i) {
                ins.resize(f->reads.size());
                for (std::size_t k = 0; k < f->reads.size(); ++k) ins[k] = Y.at(i, f->reads[k]);
                evaluate_into(c, ins, vals, EvalOptions{0});
                adj.assign(c.size(), S(0));
                bool any = false;
                for (std::size_t k = 0; k < f->writes.size(); ++k) {
                    const S& g = G.at(i, f->writes[k]);
                    if (g != S(0)) adj[c.outputs[k]] += g, any = true;
                }
                if (!any) continue;
                for (std::size_t gi = c.size(); gi-- > 0;) {
                    const S& a = adj[gi];
                    if (a == S(0)) continue;
                    const Gate& gate = c.gates[gi];
                    switch (gate.op) {
                        case Op::Input: dY.at(i, f->reads[static_cast<std::size_t>(input_index[gi])]) += a; break;
                        case Op::Const: case Op::Sign: break;
                        case Op::Add:
                            for (GateId o : gate.in) adj[o] += a;
                            break;
                        case Op::Mul: {
                            const S a0 = a * vals[gate.in[1]], a1 = a * vals[gate.in[0]];
                            adj[gate.in[0]] += a0;
                            adj[gate.in[1]] += a1;
                            break;
                        }
                    }
                }
            }
        }
        // Attention: y = x + sum_h O_h a_h.
        Matrix<S> dX = dY;
        for (std::size_t hi_ = 0; hi_ < heads[l].size(); ++hi_) {
            const LHead<S>& h = heads[l][hi_];
            const HK& t = hk[hi_];
            const std::size_t dk = t.Q.cols, dv = t.V.cols;
            Matrix<S> dQ(n, dk), dK(n, dk), dV(n, dv);
            std::vector<S> da(dv), dsum(dv, S(0)), dS;
            const bool soft = h.src->rule == Rule::Softmax;
            // Softmax heads on the GPU: the rows da_i gathered, then dQ, dK, dV in one call.
            const bool gpu = soft && device == numeric::Device::Cuda;
            Matrix<S> dA(gpu ? n : 0, dv);
            for (std::size_t i = 0; i < n; ++i) {
                std::fill(da.begin(), da.end(), S(0));
                // da_i = O^T dy_i
                transpose_add(h.output, dY.row(i), da.data());
                for (std::size_t c = 0; c < dv; ++c) dsum[c] += da[c];
                if (gpu) {
                    std::copy(da.begin(), da.end(), dA.row(i));
                    continue;
                }
                std::int64_t lo, hi;
                if (!row_weights(h, t.Q, t.K, i, n, tol, lo, hi, w)) continue;
                const std::size_t m = w.size();
                for (std::size_t s = 0; s < m; ++s)
                    if (w[s] != S(0)) {
                        S* dv_row = dV.row(static_cast<std::size_t>(lo) + s);
                        for (std::size_t c = 0; c < dv; ++c) dv_row[c] += w[s] * da[c];
                    }
                if (soft) {
                    if constexpr (!is_exact_v<S>) {
                        dS.resize(m);
                        double D = 0;
                        for (std::size_t s = 0; s < m; ++s) {
                            dS[s] = dot_n(da.data(), t.V.row(static_cast<std::size_t>(lo) + s), dv);
                            D += w[s] * dS[s];
                        }
                        S* dq = dQ.row(i);
                        const S* q = t.Q.row(i);
                        for (std::size_t s = 0; s < m; ++s) {
                            const double g = h.beta * w[s] * (dS[s] - D);
                            if (g == 0) continue;
                            const std::size_t j = static_cast<std::size_t>(lo) + s;
                            const S* k = t.K.row(j);
                            S* dk_row = dK.row(j);
                            for (std::size_t c = 0; c < dk; ++c) dq[c] += g * k[c], dk_row[c] += g * q[c];
                        }
                    }
                }
            }
            if constexpr (std::is_same_v<S, double>) {
                if (gpu && n > 0) {
                    numeric::HeadJob<double> job;
                    job.Q = t.Q.data.data(), job.K = t.K.data.data(), job.V = t.V.data.data();
                    job.n = n, job.dk = dk, job.dv = dv, job.q_end = n;
                    job.rule = Rule::Softmax, job.mask = h.src->mask, job.window = h.src->window, job.beta = h.beta;
                    numeric::softmax_backward_cuda(job, dA.data.data(), dQ.data.data(), dK.data.data(), dV.data.data());
                }
            }
            for (std::size_t i = 0; i < n; ++i) {
                transpose_add(h.value.A, dV.row(i), dX.row(i));
                if (soft) {
                    transpose_add(h.query.A, dQ.row(i), dX.row(i));
                    transpose_add(h.key.A, dK.row(i), dX.row(i));
                }
            }
            std::vector<S> v0(dv, S(0));
            if (n > 0) std::copy(dV.row(0), dV.row(0) + dv, v0.begin());
            bw.value_grad0[l].push_back(std::move(v0));
            bw.out_grad_sum[l].push_back(std::move(dsum));
        }
        bw.grad[l + 1] = std::move(G);
        G = std::move(dX);
    }
    bw.grad[0] = std::move(G);
    return bw;
}

std::optional<double> gradient_sink_ratio(const Matrix<double>& g, std::size_t s) {
    if (g.rows < 2 || s >= g.rows) return std::nullopt;
    double at = 0, rest = 0;
    for (std::size_t i = 0; i < g.rows; ++i) {
        double q = 0;
        for (std::size_t c = 0; c < g.cols; ++c) q += g.at(i, c) * g.at(i, c);
        (i == s ? at : rest) += std::sqrt(q);
    }
    rest /= double(g.rows - 1);
    if (rest == 0) return std::nullopt;
    return at / rest;
}

bool SinksResult::ok() const {
    return std::all_of(checks.begin(), checks.end(), [](const SinkCheck& c) { return c.ok; });
}

namespace {

using Clock = std::chrono::steady_clock;

struct HeadAcc {
    std::vector<Rational> mass;
    std::vector<double> mass_f;
    double ent_mean = 0, ent_min = 0, ent_max = 0, vg0 = 0, ogs = 0;
};

struct LayerAcc {
    Rational norm0_sq = 0;
    double norm0 = 0, early = 0, ratio = 0, grad0 = 0, rest = 0, rgs = 0;
    std::size_t ratio_count = 0, rgs_count = 0;
};

double row_norm(const Matrix<double>& m, std::size_t i) {
    double q = 0;
    for (std::size_t c = 0; c < m.cols; ++c) q += m.at(i, c) * m.at(i, c);
    return std::sqrt(q);
}

double vec_norm(const std::vector<double>& v) {
    double q = 0;
    for (double x : v) q += x * x;
    return std::sqrt(q);
}

template <class S>
std::vector<double> to_doubles(const std::vector<S>& v) {
    std::vector<double> out;
    for (const S& x : v) out.push_back(to_d(x));
    return out;
}

template <class S>
Matrix<double> as_double(const Matrix<S>& m) {
    if constexpr (std::is_same_v<S, double>) return m;
    else return convert<double>(m);
}

// Adds one sample's statistics (forward fw, backward bw) to the accumulators.
template <class S>
void absorb(const Encoder& enc, const Forward<S>& fw, const Backward<S>& bw, const SinksOptions& o, std::vector<std::vector<HeadAcc>>& ha,
            std::vector<LayerAcc>& la) {
    const std::size_t rows = fw.n, shown = std::min(o.mass_positions, rows);
    for (std::size_t l = 0; l < enc.layers.size(); ++l)
        for (std::size_t h = 0; h < enc.layers[l].heads.size(); ++h) {
            HeadAcc& a = ha[l][h];
            const HeadStats<S>& st = fw.heads[l][h];
            a.mass.resize(shown, Rational(0));
            a.mass_f.resize(shown, 0.0);
            for (std::size_t j = 0; j < shown; ++j) {
                if constexpr (is_exact_v<S>) a.mass[j] += st.mass[j];
                a.mass_f[j] += to_d(st.mass[j]);
            }
            a.ent_mean += st.entropy_mean, a.ent_min += st.entropy_min, a.ent_max += st.entropy_max;
            a.vg0 += vec_norm(to_doubles(bw.value_grad0[l][h]));
            a.ogs += vec_norm(to_doubles(bw.out_grad_sum[l][h]));
        }
    for (std::size_t l = 0; l <= enc.layers.size(); ++l) {
        LayerAcc& a = la[l];
        const Matrix<double> st = as_double(fw.states[l]), g = as_double(bw.grad[l]);
        if (rows == 0) continue;
        if constexpr (is_exact_v<S>) {
            Rational q = 0;
            for (std::size_t c = 0; c < fw.states[l].cols; ++c) q += fw.states[l].at(0, c) * fw.states[l].at(0, c);
            a.norm0_sq += q;
        }
        const double n0 = row_norm(st, 0);
        double early = 0;
        const std::size_t e = std::min(o.early, rows - 1);
        for (std::size_t j = 1; j <= e; ++j) early += row_norm(st, j);
        if (e) early /= double(e);
        a.norm0 += n0, a.early += early;
        if (e && early > 0) a.ratio += n0 / early, a.ratio_count += 1;
        double rest = 0;
        for (std::size_t j = 1; j < rows; ++j) rest += row_norm(g, j);
        if (rows > 1) rest /= double(rows - 1);
        a.grad0 += row_norm(g, 0), a.rest += rest;
        if (const auto r = gradient_sink_ratio(g, 0)) a.rgs += *r, a.rgs_count += 1;
    }
}

template <class S>
void coords_of(const Forward<S>& fw, std::size_t n, bool exact, std::vector<SinkCoord>& out) {
    for (std::size_t l = 0; l < fw.states.size(); ++l) {
        const Matrix<S>& st = fw.states[l];
        for (std::size_t c = 0; c < st.cols; ++c) {
            SinkCoord k;
            k.n = n, k.layer = l, k.coordinate = c;
            S best = S(0);
            for (std::size_t i = 0; i < st.rows; ++i) {
                const S v = st.at(i, c) < S(0) ? S(-st.at(i, c)) : st.at(i, c);
                if (v > best) best = v, k.position = i;
            }
            if (exact) k.max_abs = to_rational(best);
            k.max_abs_float = to_d(best);
            out.push_back(std::move(k));
        }
    }
}

template <class S>
void queries_of(const Forward<S>& fw, std::size_t n, bool exact, std::vector<SinkQuery>& out) {
    for (std::size_t l = 0; l < fw.heads.size(); ++l)
        for (std::size_t h = 0; h < fw.heads[l].size(); ++h) {
            const HeadStats<S>& st = fw.heads[l][h];
            for (std::size_t i = 0; i < st.entropy.size(); ++i) {
                SinkQuery q;
                q.n = n, q.layer = l, q.head = h, q.position = i, q.entropy = st.entropy[i];
                if (exact) q.weight0 = to_rational(st.weight0[i]);
                q.weight0_float = to_d(st.weight0[i]);
                out.push_back(std::move(q));
            }
        }
}

double max_abs_diff(const Matrix<double>& a, const Matrix<double>& b, double& scale) {
    double m = 0;
    scale = 1;
    for (std::size_t k = 0; k < a.data.size(); ++k) m = std::max(m, std::abs(a.data[k] - b.data[k])), scale = std::max(scale, std::abs(b.data[k]));
    return m;
}

// The readout of an interpreter or engine run, in the shape of Forward::outputs.
template <class S>
Matrix<S> run_readout(const Encoder& enc, const RunResult<S>& r) {
    if (enc.readout.kind == Readout::Kind::Sequence) return r.outputs;
    Matrix<S> m(1, 1);
    m.at(0, 0) = r.score;
    return m;
}

}  // namespace

std::size_t sinks_items(const SinksOptions& o) { return o.sizes.size() + (o.time_n ? 1 : 0); }

SinksResult sinks_item(const capture::Subject& subject, const SinksOptions& o, std::size_t item) {
    if (!subject.not_compilable.empty()) throw InputError({}, fmt::format("'{}' does not compile: {}", subject.name, subject.not_compilable));
    if (o.sizes.empty()) throw InputError({}, "no size to run");
    if (o.samples == 0) throw InputError({}, "--samples must be at least 1");
    if (item >= sinks_items(o)) throw InternalError(fmt::format("sinks item {} of {}", item, sinks_items(o)));
    const capture::Model model = subject.compile();
    const Encoder enc = o.as_softmax ? numeric::as_softmax(model.encoder, *o.as_softmax) : model.encoder;
    SinksResult res;
    res.subject = subject.name;
    res.layers = enc.layers.size();
    bool soft = false;
    for (const Layer& l : enc.layers)
        for (const Head& h : l.heads) res.heads += 1, soft = soft || h.rule == Rule::Softmax;
    res.exact = !soft;
    auto say = [&](const std::string& s) {
        if (o.progress) o.progress(s);
    };
    const Program<Rational> reference(model.encoder);
    const numeric::Plan<double> plan(enc);
    const double tol = 1e-9;

    if (item == o.sizes.size()) {  // the timing item
        say(fmt::format("timing: forward and backward in double at n = {}", *o.time_n));
        std::mt19937_64 trng(o.seed + 1);
        const capture::Sample smp = subject.sample(*o.time_n, trng);
        const Matrix<Rational> input = model.input(smp.tokens);
        const Matrix<double> input_d = convert<double>(input);
        const Matrix<double> target_d = o.loss == SinkLoss::Squared ? convert<double>(run_readout(model.encoder, reference.run(input))) : Matrix<double>();
        const auto t0 = Clock::now();
        const Forward<double> fw = sink_forward(enc, input_d, tol);
        const auto t1 = Clock::now();
        const Backward<double> bw = sink_backward(enc, fw, o.loss, &target_d, tol, o.device);
        const auto t2 = Clock::now();
        res.time_n = *o.time_n;
        res.forward_seconds = std::chrono::duration<double>(t1 - t0).count();
        res.backward_seconds = std::chrono::duration<double>(t2 - t1).count();
        return res;
    }
    SinkCheck engine{"engine", true, res.exact ? "the exact pass's readout equals the interpreter's at every sample"
                                               : "the double pass's readout is within 1e-9 (relative to max(1, |output|)) of the numeric engine's "
                                                 "(reference order) at every sample", 0.0};
    SinkCheck exact_grad{"exact_gradient", true, "the double backward pass is within 1e-9 (relative to max(1, |g|)) of the exact one at "
                                                 "every sample, layer and position", 0.0};
    SinkCheck fd{"finite_differences", true,
                 fmt::format("directional derivatives of the loss at the input agree with central finite differences (h = 1e-5, one Richardson step) within "
                             "{:g} relative, {} random directions at the smallest size",
                             o.fd_tolerance, o.fd_directions), 0.0};
    double worst_engine = 0, worst_grad = 0, worst_fd = 0;

    const std::size_t n = o.sizes[item];
    // The finite-difference check runs once: at the first item of the smallest size.
    const bool fd_here = item == std::size_t(std::min_element(o.sizes.begin(), o.sizes.end()) - o.sizes.begin());
    std::mt19937_64 rng = capture::size_rng(o.seed, n);
    {
        say(fmt::format("n = {}: {} sample(s), {}", n, o.samples, res.exact ? "exact" : "double"));
        std::vector<std::vector<HeadAcc>> ha(enc.layers.size());
        for (std::size_t l = 0; l < enc.layers.size(); ++l) ha[l].resize(enc.layers[l].heads.size());
        std::vector<LayerAcc> la(enc.layers.size() + 1);
        for (std::size_t s = 0; s < o.samples; ++s) {
            const capture::Sample smp = subject.sample(n, rng);
            const Matrix<Rational> input = model.input(smp.tokens);
            const Matrix<Rational> target = run_readout(model.encoder, reference.run(input));
            const Matrix<double> input_d = convert<double>(input), target_d = convert<double>(target);
            const Forward<double> fwd = sink_forward(enc, input_d, tol);
            const Backward<double> bwd = sink_backward(enc, fwd, o.loss, &target_d, tol, o.device);
            if (res.exact) {
                const Forward<Rational> fw = sink_forward(enc, input, 0);
                const Backward<Rational> bw = sink_backward(enc, fw, o.loss, &target, 0);
                if (fw.outputs != target) {
                    engine.ok = false;
                    engine.detail = fmt::format("n = {}: the exact pass's readout differs from the interpreter's", n);
                }
                for (std::size_t l = 0; l < bw.grad.size(); ++l)
                    for (std::size_t k = 0; k < bw.grad[l].data.size(); ++k) {
                        const double e = bw.grad[l].data[k].convert_to<double>(), g = bwd.grad[l].data[k];
                        const double rel = std::abs(e - g) / std::max(1.0, std::abs(e));
                        worst_grad = std::max(worst_grad, rel);
                        if (rel > 1e-9 && exact_grad.ok) {
                            exact_grad.ok = false;
                            exact_grad.detail = fmt::format("n = {}, layer {}, entry {}: exact {:.17g}, double {:.17g}", n, l, k, e, g);
                        }
                    }
                absorb(enc, fw, bw, o, ha, la);
                if (s == 0) coords_of(fw, n, true, res.coords), queries_of(fw, n, true, res.queries);
            } else {
                const numeric::BatchResult<double> br = plan.run({input_d});
                Matrix<double> eng;
                if (enc.readout.kind == Readout::Kind::Sequence) eng = br.outputs[0];
                else eng = Matrix<double>(1, 1), eng.at(0, 0) = br.score[0];
                double scale = 1;
                const double diff = max_abs_diff(fwd.outputs, eng, scale);
                worst_engine = std::max(worst_engine, diff / scale);
                if (diff > 1e-9 * scale && engine.ok) {
                    engine.ok = false;
                    engine.detail = fmt::format("n = {}: the double pass's readout differs from the engine's by {:.3g}", n, diff);
                }
                if (fd_here && s == 0) {
                    std::mt19937_64 drng(o.seed + 7);
                    std::normal_distribution<double> nd;
                    const double h = 1e-5;
                    for (std::size_t t = 0; t < o.fd_directions; ++t) {
                        Matrix<double> u(input_d.rows, input_d.cols);
                        double an = 0;
                        for (std::size_t k = 0; k < u.data.size(); ++k) u.data[k] = nd(drng), an += bwd.grad[0].data[k] * u.data[k];
                        auto central = [&](double step) {
                            Matrix<double> xp = input_d, xm = input_d;
                            for (std::size_t k = 0; k < u.data.size(); ++k) xp.data[k] += step * u.data[k], xm.data[k] -= step * u.data[k];
                            return (sink_loss(sink_forward(enc, xp, tol), o.loss, &target_d) - sink_loss(sink_forward(enc, xm, tol), o.loss, &target_d)) /
                                   (2 * step);
                        };
                        const double num = (4 * central(h / 2) - central(h)) / 3;  // one Richardson step
                        const double rel = std::abs(num - an) / std::max({std::abs(num), std::abs(an), 1e-8});
                        worst_fd = std::max(worst_fd, rel);
                        if (rel > o.fd_tolerance && fd.ok) {
                            fd.ok = false;
                            fd.detail = fmt::format("direction {}: analytic {:.12g}, finite differences {:.12g}", t, an, num);
                        }
                    }
                }
                absorb(enc, fwd, bwd, o, ha, la);
                if (s == 0) coords_of(fwd, n, false, res.coords), queries_of(fwd, n, false, res.queries);
            }
        }
        const double S_ = double(o.samples);
        const Rational SR(static_cast<long>(o.samples));
        for (std::size_t l = 0; l < enc.layers.size(); ++l)
            for (std::size_t h = 0; h < enc.layers[l].heads.size(); ++h) {
                const HeadAcc& a = ha[l][h];
                SinkHead sh;
                sh.n = n, sh.layer = l, sh.head = h, sh.name = enc.layers[l].heads[h].name, sh.rule = std::string(rule_name(enc.layers[l].heads[h].rule));
                if (res.exact)
                    for (const Rational& m : a.mass) sh.mass.push_back(m / SR);
                for (double m : a.mass_f) sh.mass_float.push_back(m / S_);
                sh.entropy_mean = a.ent_mean / S_, sh.entropy_min = a.ent_min / S_, sh.entropy_max = a.ent_max / S_;
                sh.value_grad0_norm = a.vg0 / S_, sh.out_grad_sum_norm = a.ogs / S_;
                res.heads_stats.push_back(std::move(sh));
            }
        for (std::size_t l = 0; l <= enc.layers.size(); ++l) {
            const LayerAcc& a = la[l];
            SinkLayer sl;
            sl.n = n, sl.layer = l;
            if (l < enc.layers.size() && !enc.layers[l].heads.empty()) {
                std::size_t above = 0, count = 0;
                Rational sum = 0;
                double sum_f = 0;
                for (const SinkHead& sh : res.heads_stats)
                    if (sh.n == n && sh.layer == l) {
                        const double s0 = sh.mass_float.empty() ? 0 : sh.mass_float[0];
                        above += s0 > o.epsilon, count += 1, sum_f += s0;
                        if (res.exact && !sh.mass.empty()) sum += sh.mass[0];
                    }
                sl.sink_fraction = double(above) / double(count);
                sl.sink_mean_float = sum_f / double(count);
                if (res.exact) sl.sink_mean = sum / Rational(static_cast<long>(count));
            }
            if (res.exact) sl.norm0_sq = a.norm0_sq / SR;
            sl.norm0 = a.norm0 / S_, sl.early_norm = a.early / S_;
            if (a.ratio_count) sl.norm_ratio = a.ratio / double(a.ratio_count);
            sl.grad_norm0 = a.grad0 / S_, sl.grad_norm_rest = a.rest / S_;
            if (a.rgs_count) sl.rgs = a.rgs / double(a.rgs_count);
            res.layer_stats.push_back(std::move(sl));
        }
    }
    if (!res.exact) engine.largest = worst_engine;  // exact mode compares for equality
    res.checks.push_back(engine);
    if (res.exact) {
        exact_grad.largest = worst_grad;
        res.checks.push_back(exact_grad);
    } else if (o.fd_directions) {
        fd.largest = worst_fd;
        res.checks.push_back(fd);
    }
    return res;
}

SinksResult merge_sinks(std::vector<SinksResult> parts) {
    SinksResult r;
    if (parts.empty()) return r;
    r.subject = parts[0].subject, r.exact = parts[0].exact, r.layers = parts[0].layers, r.heads = parts[0].heads;
    auto append = [](auto& to, auto& from) { to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end())); };
    for (SinksResult& p : parts) {
        append(r.heads_stats, p.heads_stats), append(r.layer_stats, p.layer_stats);
        append(r.coords, p.coords), append(r.queries, p.queries);
        if (p.time_n) r.time_n = p.time_n, r.forward_seconds = p.forward_seconds, r.backward_seconds = p.backward_seconds;
        for (const SinkCheck& c : p.checks) {
            const auto m = std::find_if(r.checks.begin(), r.checks.end(), [&](const SinkCheck& x) { return x.name == c.name; });
            if (m == r.checks.end()) {
                r.checks.push_back(c);
                continue;
            }
            if (!c.ok && m->ok) m->ok = false, m->detail = c.detail;  // the first failure, in item order
            if (c.largest) m->largest = std::max(m->largest.value_or(0), *c.largest);
        }
    }
    for (SinkCheck& c : r.checks)
        if (c.largest) c.detail += fmt::format(" (largest {:.3g})", *c.largest), c.largest.reset();
    return r;
}

SinksResult sinks(const capture::Subject& subject, const SinksOptions& o) {
    std::vector<SinksResult> parts;
    for (std::size_t i = 0; i < sinks_items(o); ++i) parts.push_back(sinks_item(subject, o, i));
    return merge_sinks(std::move(parts));
}

std::string sinks_svg(const SinksResult& r) {
    std::vector<Series> series;
    for (std::size_t l = 0; l <= r.layers; ++l) {
        Series s{fmt::format("R_GS(0), layer {}", l), {}};
        for (const SinkLayer& x : r.layer_stats)
            if (x.layer == l) s.points.push_back({double(x.n), x.rgs});
        series.push_back(std::move(s));
    }
    return line_chart(fmt::format("gradient sinks: {} ({})", r.subject, r.exact ? "exact" : "double"), "n", "R_GS(0) at the layer's input", series,
                      true);
}

template Forward<double> sink_forward(const Encoder&, const Matrix<double>&, double, const KeySelector<double>&);
template Forward<Rational> sink_forward(const Encoder&, const Matrix<Rational>&, double, const KeySelector<Rational>&);
template Backward<double> sink_backward(const Encoder&, const Forward<double>&, SinkLoss, const Matrix<double>*, double, numeric::Device);
template Backward<Rational> sink_backward(const Encoder&, const Forward<Rational>&, SinkLoss, const Matrix<Rational>*, double, numeric::Device);
template double sink_loss(const Forward<double>&, SinkLoss, const Matrix<double>*);
template Rational sink_loss(const Forward<Rational>&, SinkLoss, const Matrix<Rational>*);

}  // namespace ahat::analysis
