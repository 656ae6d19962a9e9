#include "analysis/cascade.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "analysis/plot.hpp"
#include "analysis/sinks.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"

namespace ahat::analysis {

namespace {

// A Gram entry: d multiply-adds, counted where they are done.
template <class S>
S gram(const S* a, const S* b, std::size_t d, std::uint64_t& count) {
    S s = S(0);
    for (std::size_t t = 0; t < d; ++t) s += a[t] * b[t];
    count += d;
    return s;
}

template <class S>
struct Gram {
    const Matrix<S>& X;
    S tau_sq;
    std::vector<S> norm_sq;
    Selection sel;

    Gram(const Matrix<S>& x, const S& tau) : X(x), tau_sq(tau * tau), norm_sq(x.rows) {
        sel.owner.assign(x.rows, 0);
        for (std::size_t i = 0; i < x.rows; ++i) norm_sq[i] = gram(x.row(i), x.row(i), x.cols, sel.mul_adds);
    }
    bool covers(std::size_t i, std::size_t r) {
        sel.comparisons += 1;
        const S g = gram(X.row(i), X.row(r), X.cols, sel.mul_adds);
        // A zero representative covers only zero rows: its cosine with any row is undefined, and
        // 0 >= 0 would let it cover every row after it (a compiled BOS row is often zero).
        if (norm_sq[r] == S(0)) return norm_sq[i] == S(0);
        return g * g >= tau_sq * norm_sq[i] * norm_sq[r];
    }
    void join(std::size_t i) { sel.reps.push_back(i), sel.owner[i] = i; }
};

}  // namespace

template <class S>
Selection select_from_scratch(const Matrix<S>& X, const S& tau) {
    Gram<S> g(X, tau);
    for (std::size_t i = 0; i < X.rows; ++i) {
        bool covered = false;
        for (std::size_t k = 0; k < g.sel.reps.size() && !covered; ++k)
            if (g.covers(i, g.sel.reps[k])) covered = true, g.sel.owner[i] = g.sel.reps[k];
        if (!covered) g.join(i);
    }
    return g.sel;
}

template <class S>
Selection select_cascade(const Matrix<S>& X, const S& tau, const Selection& prev) {
    Gram<S> g(X, tau);
    std::vector<char> is_rep(X.rows, 0);
    for (std::size_t i = 0; i < X.rows; ++i) {
        bool covered = false;
        // Validation: the previous owner, when it is a representative again (it precedes i).
        std::size_t tried = X.rows;
        if (i < prev.owner.size()) {
            const std::size_t o = prev.owner[i];
            if (o != i && o < i && is_rep[o]) {
                tried = o;
                if (g.covers(i, o)) covered = true, g.sel.owner[i] = o;
            }
        }
        for (std::size_t k = 0; k < g.sel.reps.size() && !covered; ++k)
            if (g.sel.reps[k] != tried && g.covers(i, g.sel.reps[k])) covered = true, g.sel.owner[i] = g.sel.reps[k];
        if (!covered) g.join(i), is_rep[i] = 1;
    }
    return g.sel;
}

template Selection select_from_scratch(const Matrix<double>&, const double&);
template Selection select_from_scratch(const Matrix<Rational>&, const Rational&);
template Selection select_cascade(const Matrix<double>&, const double&, const Selection&);
template Selection select_cascade(const Matrix<Rational>&, const Rational&, const Selection&);

namespace {

struct LayerRecord {
    std::size_t size = 0, added = 0, removed = 0;
    std::optional<double> jaccard;
    std::uint64_t cascade = 0, scratch = 0, dense = 0, comparisons = 0;
    bool equal = true, counted = true;
};

template <class S>
struct Run {
    Forward<S> fw;
    std::map<std::size_t, LayerRecord> layers;
};

// One run with every layer's attention on its cascade representatives.
template <class S>
Run<S> cascade_run(const Encoder& enc, const Matrix<S>& input, const S& tau) {
    Run<S> run;
    std::optional<Selection> prev;
    KeySelector<S> select = [&](std::size_t l, const Matrix<S>& X) {
        Selection sel = prev ? select_cascade(X, tau, *prev) : select_from_scratch(X, tau);
        const Selection scratch = select_from_scratch(X, tau);
        LayerRecord rec;
        rec.size = sel.reps.size();
        rec.cascade = sel.mul_adds, rec.scratch = scratch.mul_adds, rec.comparisons = sel.comparisons;
        const std::uint64_t n = X.rows, d = X.cols;
        rec.dense = n * (n + 1) / 2 * d;  // the upper triangle of X X^T, diagonal included
        rec.equal = sel.reps == scratch.reps;
        rec.counted = sel.mul_adds == d * (sel.comparisons + n);
        if (prev) {
            std::set<std::size_t> a(prev->reps.begin(), prev->reps.end()), b(sel.reps.begin(), sel.reps.end());
            std::size_t inter = 0;
            for (std::size_t x : b) inter += a.count(x);
            rec.added = b.size() - inter, rec.removed = a.size() - inter;
            const std::size_t uni = a.size() + b.size() - inter;
            rec.jaccard = uni ? double(inter) / double(uni) : 1.0;
        } else {
            rec.added = sel.reps.size();
        }
        run.layers[l] = rec;
        std::vector<S> mult(X.rows, S(0));
        for (std::size_t i = 0; i < X.rows; ++i) mult[sel.owner[i]] += S(1);
        prev = std::move(sel);
        return mult;
    };
    run.fw = sink_forward(enc, input, 1e-9, select);
    return run;
}

std::vector<std::size_t> argmaxes(const Matrix<double>& m) {
    std::vector<std::size_t> a(m.rows, 0);
    for (std::size_t i = 0; i < m.rows; ++i)
        for (std::size_t c = 1; c < m.cols; ++c)
            if (m.at(i, c) > m.at(i, a[i])) a[i] = c;
    return a;
}

}  // namespace

CascadeResult cascade_item(const capture::Subject& subject, const CascadeOptions& o, std::size_t item) {
    if (!subject.not_compilable.empty()) throw InputError({}, fmt::format("'{}' does not compile: {}", subject.name, subject.not_compilable));
    if (o.sizes.empty() || o.taus.empty()) throw InputError({}, "no size or no tau to run");
    for (const Rational& t : o.taus)
        if (t <= 0 || t > 1) throw InputError({}, fmt::format("tau lies in (0, 1], got {}", to_string(t)));
    if (item >= o.sizes.size()) throw InternalError(fmt::format("cascade item {} of {}", item, o.sizes.size()));
    const capture::Model model = subject.compile();
    const Encoder enc = o.as_softmax ? numeric::as_softmax(model.encoder, *o.as_softmax) : model.encoder;
    if (enc.readout.kind != Readout::Kind::Sequence) throw InputError(enc.readout.loc, "cascade compares sequence readouts");
    CascadeResult res;
    res.subject = subject.name;
    res.layers = enc.layers.size();
    for (const Layer& l : enc.layers)
        for (const Head& h : l.heads) res.exact = res.exact && h.rule != Rule::Softmax;
    CascadeCheck strict{"strict", true, "the cascade's representatives equal a from-scratch selection with the same tau at every layer"};
    CascadeCheck counted{"mul_adds", true, "the Gram multiply-adds counted equal d x (comparisons + n) at every layer (n norms, one Gram entry per comparison)"};
    const std::size_t n = o.sizes[item];
    std::mt19937_64 rng = capture::size_rng(o.seed, n);
    {
        std::vector<capture::Sample> samples;
        for (std::size_t s = 0; s < o.samples; ++s) samples.push_back(subject.sample(n, rng));
        for (const Rational& tau : o.taus) {
            if (o.progress) o.progress(fmt::format("n = {}, tau = {}", n, to_string(tau)));
            CascadePoint p;
            p.n = n, p.tau = tau;
            std::map<std::size_t, CascadeLayer> acc;
            std::size_t positions = 0, agree_pos = 0, rep_layers = 0;
            double rep_frac = 0;
            Rational max_err = 0;
            for (const capture::Sample& smp : samples) {
                const Matrix<Rational> input = model.input(smp.tokens);
                Matrix<double> dense_d, rep_d;
                capture::AnyMatrix dense_any, rep_any;
                std::map<std::size_t, LayerRecord> layers;
                if (res.exact) {
                    const Forward<Rational> dense = sink_forward(enc, input, 0);
                    const Run<Rational> run = cascade_run(enc, input, tau);
                    for (std::size_t k = 0; k < dense.outputs.data.size(); ++k) {
                        Rational e = run.fw.outputs.data[k] - dense.outputs.data[k];
                        if (e < 0) e = -e;
                        max_err = std::max(max_err, e);
                    }
                    dense_d = convert<double>(dense.outputs), rep_d = convert<double>(run.fw.outputs);
                    dense_any = dense.outputs, rep_any = run.fw.outputs;
                    layers = run.layers;
                } else {
                    const Matrix<double> xd = convert<double>(input);
                    const Forward<double> dense = sink_forward(enc, xd);
                    const Run<double> run = cascade_run(enc, xd, tau.convert_to<double>());
                    dense_d = dense.outputs, rep_d = run.fw.outputs;
                    dense_any = dense_d, rep_any = rep_d;
                    layers = run.layers;
                }
                for (std::size_t k = 0; k < dense_d.data.size(); ++k) p.max_error_float = std::max(p.max_error_float, std::abs(rep_d.data[k] - dense_d.data[k]));
                const auto a = argmaxes(dense_d), b = argmaxes(rep_d);
                for (std::size_t i = 0; i < a.size(); ++i) agree_pos += a[i] == b[i];
                positions += a.size();
                const auto da = capture::safe_decode(model, dense_any), ra = capture::safe_decode(model, rep_any);
                p.samples += 1;
                p.answers_agree += da && ra && *da == *ra;
                p.correct += capture::wrong_positions(ra, smp.expected) == 0;
                p.dense_correct += capture::wrong_positions(da, smp.expected) == 0;
                for (const auto& [l, rec] : layers) {
                    CascadeLayer& c = acc[l];
                    c.n = n, c.layer = l, c.tau = tau;
                    c.size += double(rec.size);
                    if (rec.jaccard) c.jaccard = c.jaccard.value_or(0) + *rec.jaccard;
                    c.added += double(rec.added), c.removed += double(rec.removed);
                    c.cascade_mul_adds += rec.cascade, c.scratch_mul_adds += rec.scratch, c.dense_mul_adds += rec.dense;
                    p.cascade_mul_adds += rec.cascade, p.scratch_mul_adds += rec.scratch, p.dense_mul_adds += rec.dense;
                    rep_frac += double(rec.size) / double(input.rows), rep_layers += 1;
                    if (!rec.equal) {
                        c.equal_to_scratch = false;
                        if (strict.ok) strict.ok = false, strict.detail = fmt::format("n = {}, tau = {}, layer {}: the sets differ", n, to_string(tau), l);
                    }
                    if (!rec.counted && counted.ok)
                        counted.ok = false, counted.detail = fmt::format("n = {}, tau = {}, layer {}: {} counted, {} comparisons", n, to_string(tau), l,
                                                                          rec.cascade, rec.comparisons);
                }
            }
            if (res.exact) p.max_error = max_err;
            p.argmax_agreement = positions ? double(agree_pos) / double(positions) : 1.0;
            p.rep_fraction = rep_layers ? rep_frac / double(rep_layers) : 1.0;
            const double S_ = double(o.samples);
            for (auto& [l, c] : acc) {
                c.size /= S_, c.added /= S_, c.removed /= S_;
                if (c.jaccard) *c.jaccard /= S_;
                res.layer_stats.push_back(c);
            }
            res.points.push_back(std::move(p));
        }
    }
    res.checks = {strict, counted};
    return res;
}

CascadeResult merge_cascade(std::vector<CascadeResult> parts) {
    CascadeResult r;
    if (parts.empty()) return r;
    r.subject = parts[0].subject, r.exact = parts[0].exact, r.layers = parts[0].layers;
    for (CascadeResult& p : parts) {
        r.points.insert(r.points.end(), std::make_move_iterator(p.points.begin()), std::make_move_iterator(p.points.end()));
        r.layer_stats.insert(r.layer_stats.end(), std::make_move_iterator(p.layer_stats.begin()), std::make_move_iterator(p.layer_stats.end()));
        for (const CascadeCheck& c : p.checks) {
            const auto m = std::find_if(r.checks.begin(), r.checks.end(), [&](const CascadeCheck& x) { return x.name == c.name; });
            if (m == r.checks.end()) r.checks.push_back(c);
            else if (!c.ok && m->ok) m->ok = false, m->detail = c.detail;  // the first failure, in item order
        }
    }
    return r;
}

CascadeResult cascade(const capture::Subject& subject, const CascadeOptions& o) {
    std::vector<CascadeResult> parts;
    for (std::size_t i = 0; i < o.sizes.size(); ++i) parts.push_back(cascade_item(subject, o, i));
    return merge_cascade(std::move(parts));
}

std::string cascade_svg(const CascadeResult& r) {
    std::vector<Series> series;
    std::set<std::size_t> sizes;
    for (const CascadePoint& p : r.points) sizes.insert(p.n);
    for (std::size_t n : sizes) {
        Series frac{fmt::format("representatives / n, n = {}", n), {}}, agree{fmt::format("answers agreeing, n = {}", n), {}};
        for (const CascadePoint& p : r.points)
            if (p.n == n) {
                frac.points.push_back({p.tau.convert_to<double>(), p.rep_fraction});
                agree.points.push_back({p.tau.convert_to<double>(), p.samples ? double(p.answers_agree) / double(p.samples) : 1.0});
            }
        series.push_back(std::move(frac)), series.push_back(std::move(agree));
    }
    return line_chart(fmt::format("cascade: {} ({})", r.subject, r.exact ? "exact" : "double"), "tau", "fraction", series, false);
}

}  // namespace ahat::analysis
