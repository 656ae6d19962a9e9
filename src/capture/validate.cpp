#include "capture/validate.hpp"

#include <chrono>
#include <cmath>

#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"

namespace ahat::capture {

using namespace numeric;

namespace {



struct ExactRun {
    Matrix<Rational> outputs;
    std::optional<Answer> answer;
    std::vector<std::vector<std::vector<std::uint32_t>>> selected;  // [layer][head][i]
};

struct Batch {
    std::vector<Sample> samples;
    std::vector<Matrix<Rational>> exact_inputs;  // only while n <= exact_up_to
    std::vector<Matrix<double>> dbl;
    std::vector<Matrix<float>> flt;
    std::vector<Matrix<bfloat16>> bf;
    std::vector<ExactRun> exact;
};

template <class S>
std::vector<Matrix<S>>& inputs_of(Batch& b) {
    if constexpr (std::is_same_v<S, double>) return b.dbl;
    else if constexpr (std::is_same_v<S, float>) return b.flt;
    else return b.bf;
}

// The batch run in S, scored against the references; true when every answer is right.
template <class S>
bool score_run(const Model& m, const Plan<S>& plan, Batch& batch, const EngineOptions& eo, ValidateRow& row, bool compare_exact) {
    const auto t0 = std::chrono::steady_clock::now();
    BatchResult<S> r = plan.run(inputs_of<S>(batch), eo);
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t B = batch.samples.size();
    row.tokens_per_second = row.seconds > 0 ? static_cast<double>(B * r.n) / row.seconds : 0;
    row.samples = B, row.correct = 0, row.wrong_positions = 0;
    if (compare_exact) row.exact_agree = 0, row.argmax_agree = 0, row.max_error = 0.0;
    for (std::size_t b = 0; b < B; ++b) {
        std::optional<Answer> got;
        if constexpr (std::is_same_v<S, bfloat16>) {
            Matrix<float> f(r.outputs[b].rows, r.outputs[b].cols);
            for (std::size_t k = 0; k < f.data.size(); ++k) f.data[k] = static_cast<float>(r.outputs[b].data[k]);
            got = safe_decode(m, AnyMatrix(std::move(f)));
        } else {
            got = safe_decode(m, AnyMatrix(r.outputs[b]));
        }
        const std::size_t w = wrong_positions(got, batch.samples[b].expected);
        row.correct += w == 0;
        row.wrong_positions += w;
        if (!compare_exact) continue;
        const ExactRun& ex = batch.exact[b];
        *row.exact_agree += got == ex.answer;
        bool same = true;
        for (std::size_t l = 0; l < ex.selected.size(); ++l)
            for (std::size_t h = 0; h < ex.selected[l].size(); ++h)
                for (std::size_t i = 0; i < r.n && same; ++i) same = ex.selected[l][h][i] == r.selected[l][h][b * r.n + i];
        *row.argmax_agree += same;
        for (std::size_t k = 0; k < ex.outputs.data.size(); ++k) {
            const double e = ex.outputs.data[k].template convert_to<double>();
            const double err = std::fabs(static_cast<double>(r.outputs[b].data[k]) - e);
            if (!(err <= *row.max_error)) *row.max_error = err;  // NaN counts as the largest
        }
    }
    return row.correct == B;
}

// The smallest beta (powers of two, then bisection in the log) at which the softmax version
// of the encoder decodes every sample right; none up to beta_max.
template <class S>
std::optional<double> search_beta(const Model& m, Batch& batch, const EngineOptions& eo, double beta_max) {
    ValidateRow scratch;
    auto works = [&](double beta) {
        const Encoder soft = as_softmax(m.encoder, Rational(beta));
        const Plan<S> plan(soft);
        return score_run<S>(m, plan, batch, eo, scratch, false);
    };
    double hi = 1;
    while (!works(hi)) {
        if (hi >= beta_max) return std::nullopt;
        hi *= 2;
    }
    if (hi == 1) return hi;
    double lo = hi / 2;
    for (int k = 0; k < 6; ++k) {
        const double mid = std::sqrt(lo * hi);
        (works(mid) ? hi : lo) = mid;
    }
    return hi;
}

template <class S>
void run_format(const Model& m, const Plan<S>& plan, Batch& batch, const ValidateOptions& opts, ValidateRow& row) {
    EngineOptions eo;
    eo.order = opts.order, eo.tie_tolerance = row.tie_tolerance, eo.threads = opts.threads, eo.device = opts.device;
    const bool exact = !batch.exact.empty();
    eo.record_selected = exact;
    score_run<S>(m, plan, batch, eo, row, exact);
    if (opts.as_softmax) {
        eo.record_selected = false;
        row.beta = search_beta<S>(m, batch, eo, opts.beta_max);
        row.beta_found = row.beta.has_value();
    }
}

std::optional<double> fit_slope(const std::vector<std::pair<double, double>>& pts) {
    if (pts.size() < 2) return std::nullopt;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (auto [x, y] : pts) sx += x, sy += y, sxx += x * x, sxy += x * y;
    const double k = static_cast<double>(pts.size()), den = k * sxx - sx * sx;
    if (den <= 1e-12) return std::nullopt;
    return (k * sxy - sx * sy) / den;
}

}  // namespace

struct Validator::Impl {
    const Subject* subject = nullptr;
    ValidateOptions opts;
    Model model;
    std::optional<Plan<double>> pd;
    std::optional<Plan<float>> pf;
    std::optional<Plan<bfloat16>> pb;
    std::optional<Program<Rational>> exact;
    SweepOptions so;  // capture's exact margins at the sizes run exactly (up to 1024)
};

Validator::Validator(const Subject& subject, const ValidateOptions& opts) {
    if (!subject.not_compilable.empty()) fail({}, "'{}' does not compile, so there is no encoder to validate: {}", subject.name, subject.not_compilable);
    if (opts.sizes.empty()) fail({"--sizes", 0, 0}, "no sizes to validate");
    for (Format f : opts.formats)
        if (f == Format::Exact) fail({"--precision", 0, 0}, "validate compares numeric formats against exact runs; name double, float or bfloat16");
    auto im = std::make_shared<Impl>();
    im->subject = &subject;
    im->opts = opts;
    im->model = subject.compile();
    for (Format f : opts.formats) {
        if (f == Format::Double) im->pd.emplace(im->model.encoder);
        if (f == Format::Float) im->pf.emplace(im->model.encoder);
        if (f == Format::BFloat16) im->pb.emplace(im->model.encoder);
    }
    im->exact.emplace(im->model.encoder);
    im->so.samples = std::min<std::size_t>(opts.samples, 4);
    im->so.seed = opts.seed;
    im->so.formats = {Format::Exact};
    impl_ = std::move(im);
}

ValidateSize Validator::size(std::size_t n) const {
    const Impl& im = *impl_;
    const ValidateOptions& opts = im.opts;
    const Model& model = im.model;
    ValidateSize out;
    if (n <= std::min<std::size_t>(opts.exact_up_to, 1024)) out.margins = sweep_size(*im.subject, im.so, n);
    std::seed_seq seq{static_cast<std::uint32_t>(opts.seed), static_cast<std::uint32_t>(opts.seed >> 32), static_cast<std::uint32_t>(n)};
    std::mt19937_64 rng(seq);
    Batch batch;
    const bool exact = n <= opts.exact_up_to;
    for (std::size_t k = 0; k < opts.samples; ++k) {
        Sample smp = im.subject->sample(n, rng);
        Matrix<Rational> x = model.input(smp.tokens);
        if (im.pd) batch.dbl.push_back(convert<double>(x));
        if (im.pf) batch.flt.push_back(convert<float>(x));
        if (im.pb && n <= opts.bfloat16_up_to) batch.bf.push_back(convert<bfloat16>(x));
        if (exact) {
            RunResult<Rational> ex = im.exact->run(x);
            ExactRun er;
            er.answer = safe_decode(model, AnyMatrix(ex.outputs));
            out.exact_ok = out.exact_ok && er.answer == smp.expected;
            er.outputs = std::move(ex.outputs);
            for (const auto& layer : ex.trace.heads) {
                auto& sl = er.selected.emplace_back();
                for (const HeadTrace& h : layer) sl.push_back(h.selected);
            }
            batch.exact.push_back(std::move(er));
        }
        batch.samples.push_back(std::move(smp));
    }
    for (Format f : opts.formats) {
        if (f == Format::BFloat16 && n > opts.bfloat16_up_to) continue;
        ValidateRow row;
        row.n = n, row.format = f;
        row.tie_tolerance = opts.tie_tolerance.value_or(default_tolerance(f));
        if (f == Format::Double) run_format<double>(model, *im.pd, batch, opts, row);
        if (f == Format::Float) run_format<float>(model, *im.pf, batch, opts, row);
        if (f == Format::BFloat16) run_format<bfloat16>(model, *im.pb, batch, opts, row);
        if (out.margins) row.margin = out.margins->margin;
        out.rows.push_back(row);
    }
    return out;
}

ValidateResult Validator::result(const std::vector<ValidateSize>& sizes) const {
    const Impl& im = *impl_;
    const ValidateOptions& opts = im.opts;
    ValidateResult res;
    res.subject = im.subject->name;
    std::vector<SizeResult> margin_sizes;
    for (const ValidateSize& z : sizes) {
        res.rows.insert(res.rows.end(), z.rows.begin(), z.rows.end());
        res.exact_ok = res.exact_ok && z.exact_ok;
        if (z.margins) {
            margin_sizes.push_back(*z.margins);
            res.margin_sizes.push_back(z.margins->n), res.margins.push_back(z.margins->margin);
        }
    }
    // capture's prediction from the exact margins at the sizes run exactly.
    std::vector<Prediction> predictions;
    if (!margin_sizes.empty()) {
        SweepResult sw = sweep_result(*im.subject, im.so, std::move(margin_sizes));
        sw.options.formats = {Format::Exact};
        for (Format f : opts.formats) sw.options.formats.push_back(f);
        sw.options.tie_tolerance = opts.tie_tolerance;
        fit_and_predict(sw);
        predictions = sw.predictions;
    }
    std::vector<std::pair<double, double>> gaps;
    for (std::size_t k = 0; k < res.margin_sizes.size(); ++k)
        if (res.margins[k]) gaps.emplace_back(std::log2(static_cast<double>(res.margin_sizes[k])), log2_rational(*res.margins[k]));
    const std::optional<double> margin_slope = fit_slope(gaps);
    for (Format f : opts.formats) {
        FormatSummary s;
        s.format = f;
        std::vector<std::pair<double, double>> pts;
        for (const ValidateRow& r : res.rows) {
            if (r.format != f) continue;
            if (r.correct < r.samples && !s.first_failure) s.first_failure = r.n;
            if (r.beta) pts.emplace_back(std::log2(static_cast<double>(r.n)), std::log2(*r.beta));
        }
        for (const Prediction& p : predictions)
            if (p.format == f) s.predicted_break = p.predicted_n;
        if (opts.as_softmax) s.beta_slope = fit_slope(pts);
        s.margin_slope = margin_slope;
        res.summaries.push_back(s);
    }
    return res;
}

ValidateResult validate(const Subject& subject, const ValidateOptions& opts) {
    const Validator v(subject, opts);
    std::vector<ValidateSize> sizes;
    for (std::size_t n : opts.sizes) {
        if (opts.progress) opts.progress(fmt::format("{}: n = {}, {} samples", subject.name, n, opts.samples));
        sizes.push_back(v.size(n));
    }
    return v.result(sizes);
}

}  // namespace ahat::capture
