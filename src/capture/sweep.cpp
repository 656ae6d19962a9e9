#include "capture/sweep.hpp"

#include <chrono>
#include <cmath>

#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "numeric/engine.hpp"

namespace ahat::capture {

std::string_view format_name(Format f) {
    switch (f) {
        case Format::Exact: return "exact";
        case Format::Double: return "double";
        case Format::Float: return "float";
        case Format::BFloat16: return "bfloat16";
    }
    return "?";
}

std::optional<Format> parse_format(std::string_view s) {
    for (Format f : {Format::Exact, Format::Double, Format::Float, Format::BFloat16})
        if (s == format_name(f)) return f;
    return std::nullopt;
}

double unit_roundoff(Format f) {
    switch (f) {
        case Format::Exact: return 0;
        case Format::Double: return ahat::unit_roundoff<double>();
        case Format::Float: return ahat::unit_roundoff<float>();
        case Format::BFloat16: return ahat::unit_roundoff<bfloat16>();
    }
    return 0;
}

double default_tolerance(Format f) {
    switch (f) {
        case Format::Exact: return 0;
        case Format::Double: return default_tie_tolerance<double>();
        case Format::Float: return default_tie_tolerance<float>();
        case Format::BFloat16: return default_tie_tolerance<bfloat16>();
    }
    return 0;
}

std::string weights_hash(const Encoder& enc) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64
    for (unsigned char c : write_encoder(enc)) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("{:016x}", h);
}

std::vector<std::size_t> parse_sizes(std::string_view text, const std::string& option, std::size_t max) {
    constexpr std::size_t kMaxCount = std::size_t{1} << 20;
    const std::string grammar = "sizes are A..B (every integer), A..B*K (A, A*K, A*K^2, ... up to B) or lists of these: 8,16,100";
    auto number = [&](std::string_view part, std::size_t offset, std::size_t lo, std::size_t hi) -> std::size_t {
        std::size_t v = 0;
        bool ok = !part.empty() && part.size() <= 12;
        for (char c : part) ok = ok && c >= '0' && c <= '9';
        if (ok)
            for (char c : part) v = v * 10 + static_cast<std::size_t>(c - '0');
        if (!ok || v < lo || v > hi)
            fail(SourceLoc{option, 0, 0}, "expected an integer from {} to {}, got '{}' at column {} ({})", lo, hi, part,
                 offset + 1, grammar);
        return v;
    };
    std::vector<std::size_t> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t e = text.find(',', pos);
        if (e == std::string_view::npos) e = text.size();
        const std::string_view item = text.substr(pos, e - pos);
        const std::size_t dots = item.find("..");
        if (dots == std::string_view::npos) {
            out.push_back(number(item, pos, 1, max));
        } else {
            const std::size_t star = item.find('*', dots);
            const std::string_view to = item.substr(dots + 2, star == std::string_view::npos ? std::string_view::npos : star - dots - 2);
            const std::size_t a = number(item.substr(0, dots), pos, 1, max), b = number(to, pos + dots + 2, 1, max);
            const std::size_t k = star == std::string_view::npos ? 1 : number(item.substr(star + 1), pos + star + 1, 2, 1000);
            if (a > b) fail(SourceLoc{option, 0, 0}, "empty range {}..{} at column {}", a, b, pos + 1);
            for (std::size_t n = a; n <= b; n = k == 1 ? n + 1 : n * k) {
                out.push_back(n);
                if (out.size() > kMaxCount) break;
            }
        }
        if (out.size() > kMaxCount)
            fail(SourceLoc{option, 0, 0}, "more than {} sizes: give a step (A..B*2) or a list", kMaxCount);
        pos = e + 1;
    }
    return out;
}

double log2_rational(const Rational& r) {
    long en = 0, ed = 0;
    const double mn = mpz_get_d_2exp(&en, mpq_numref(r.backend().data()));
    const double md = mpz_get_d_2exp(&ed, mpq_denref(r.backend().data()));
    return std::log2(std::fabs(mn)) + static_cast<double>(en) - std::log2(md) - static_cast<double>(ed);
}

std::optional<Answer> safe_decode(const Model& m, const AnyMatrix& out) {
    try {
        return m.decode(out);
    } catch (const InputError&) {
        return std::nullopt;
    }
}

std::size_t wrong_positions(const std::optional<Answer>& got, const Answer& expected) {
    if (!got || got->size() != expected.size()) return expected.size();
    std::size_t w = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) w += (*got)[i] != expected[i];
    return w;
}

namespace {

// The argmax-set sizes of one exact run: [layer][head][position].
using Selected = std::vector<std::vector<std::vector<std::uint32_t>>>;

Selected selected_of(const Trace<Rational>& t) {
    Selected out;
    for (const auto& layer : t.heads) {
        auto& l = out.emplace_back();
        for (const HeadTrace& h : layer) l.push_back(h.selected);
    }
    return out;
}

// The exact run of one sample: what the numeric formats are scored against.
struct ExactSample {
    Sample sample;
    Matrix<Rational> input;
    std::optional<Answer> answer;
    Selected selected;
};

// Every sample of one size in scalar S as one batch of the numeric engine (reference order:
// bit-for-bit the interpreter), scored against the reference and exact's run.
template <class S>
void numeric_batch(const Model& m, const std::vector<ExactSample>& xs, FormatResult& fr) {
    if (xs.empty()) return;
    std::vector<Matrix<S>> inputs;
    for (const ExactSample& x : xs) inputs.push_back(convert<S>(x.input));
    numeric::EngineOptions o;
    o.tie_tolerance = fr.tie_tolerance;
    o.record_selected = true;
    const numeric::Plan<S> plan(m.encoder);
    numeric::BatchResult<S> r = plan.run(inputs, o);
    const std::size_t n = r.n;
    for (std::size_t b = 0; b < xs.size(); ++b) {
        std::optional<Answer> got = safe_decode(m, AnyMatrix(std::move(r.outputs[b])));
        const std::size_t w = wrong_positions(got, xs[b].sample.expected);
        fr.samples += 1;
        fr.correct += w == 0;
        fr.wrong_positions += w;
        fr.differs_from_exact += got != xs[b].answer;
        bool same = true;
        for (std::size_t l = 0; l < xs[b].selected.size() && same; ++l)
            for (std::size_t h = 0; h < xs[b].selected[l].size() && same; ++h)
                same = std::equal(xs[b].selected[l][h].begin(), xs[b].selected[l][h].end(),
                                  r.selected[l][h].begin() + static_cast<std::ptrdiff_t>(b * n));
        fr.argmax_differs += !same;
    }
}

}  // namespace

std::mt19937_64 size_rng(std::uint64_t seed, std::size_t n) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), static_cast<std::uint32_t>(n)};
    return std::mt19937_64(seq);
}

namespace {

void run_size(const Model& m, const Subject& subject, const SweepOptions& opts, SizeResult& sr) {
    const Program<Rational> exact(m.encoder);
    for (Format f : opts.formats) {
        if (f == Format::Exact) continue;
        FormatResult fr;
        fr.format = f;
        fr.tie_tolerance = opts.tie_tolerance.value_or(default_tolerance(f));
        sr.formats.push_back(fr);
    }
    FormatResult exact_fr;  // always run: it is the reference for the margins
    std::mt19937_64 rng = size_rng(opts.seed, sr.n);
    std::vector<ExactSample> xs;
    for (std::size_t k = 0; k < opts.samples; ++k) {
        ExactSample x;
        x.sample = subject.sample(sr.n, rng);
        x.input = m.input(x.sample.tokens);
        RunOptions o;
        o.margins = true;
        o.max_bits = opts.max_bits;
        RunResult<Rational> ex = exact.run(x.input, o);
        for (std::size_t l = 0; l < ex.trace.heads.size(); ++l)
            for (std::size_t h = 0; h < ex.trace.heads[l].size(); ++h) {
                const auto& mg = ex.trace.heads[l][h].margin;
                if (!mg || !mg->gap) continue;
                if (!sr.margin || *mg->gap < *sr.margin) sr.margin = *mg->gap;
                Rational tol_rel = *mg->gap / mg->score_scale;
                if (!sr.tolerance_margin || tol_rel < *sr.tolerance_margin) sr.tolerance_margin = tol_rel;
                Rational rel = *mg->gap / mg->scale;
                if (!sr.relative_margin || rel < *sr.relative_margin) {
                    sr.relative_margin = rel;
                    sr.scale = mg->scale;
                    sr.layer = l, sr.head = h, sr.position = mg->position;
                }
            }
        x.answer = safe_decode(m, AnyMatrix(ex.outputs));
        const std::size_t w = wrong_positions(x.answer, x.sample.expected);
        exact_fr.samples += 1;
        exact_fr.correct += w == 0;
        exact_fr.wrong_positions += w;
        x.selected = selected_of(ex.trace);
        xs.push_back(std::move(x));
    }
    for (FormatResult& fr : sr.formats) {
        if (fr.format == Format::Double) numeric_batch<double>(m, xs, fr);
        if (fr.format == Format::Float) numeric_batch<float>(m, xs, fr);
        if (fr.format == Format::BFloat16) numeric_batch<bfloat16>(m, xs, fr);
    }
    sr.formats.insert(sr.formats.begin(), exact_fr);
    if (sr.relative_margin) sr.implied_bits = -log2_rational(*sr.relative_margin) + 1;
}

}  // namespace

namespace {

// Least squares of log2(margin) against log2(n) over the sizes that have the margin.
void fit_line(const std::vector<SizeResult>& sizes, std::optional<Rational> SizeResult::*margin,
              std::optional<double>& slope, std::optional<double>& intercept) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    std::size_t k = 0;
    for (const SizeResult& s : sizes) {
        if (!(s.*margin)) continue;
        const double x = std::log2(static_cast<double>(s.n)), y = log2_rational(*(s.*margin));
        sx += x, sy += y, sxx += x * x, sxy += x * y, ++k;
    }
    slope.reset(), intercept.reset();
    const double den = static_cast<double>(k) * sxx - sx * sx;
    if (k >= 2 && den > 1e-12) {
        slope = (static_cast<double>(k) * sxy - sx * sy) / den;
        intercept = (sy - *slope * sx) / static_cast<double>(k);
    }
}

// Where the fitted line reaches log2(threshold); none when it does not fall.
std::optional<double> crossing(const std::optional<double>& slope, const std::optional<double>& intercept, double threshold) {
    if (!slope || *slope >= 0 || threshold <= 0) return std::nullopt;
    return std::exp2((std::log2(threshold) - *intercept) / *slope);
}

}  // namespace

void fit_and_predict(SweepResult& r) {
    fit_line(r.sizes, &SizeResult::relative_margin, r.slope, r.intercept);
    fit_line(r.sizes, &SizeResult::tolerance_margin, r.tol_slope, r.tol_intercept);
    r.predictions.clear();
    for (Format f : r.options.formats) {
        if (f == Format::Exact) continue;
        Prediction p;
        p.format = f;
        p.threshold = unit_roundoff(f);
        p.tie_tolerance = r.options.tie_tolerance.value_or(default_tolerance(f));
        p.rounding_n = crossing(r.slope, r.intercept, p.threshold);
        p.tolerance_n = crossing(r.tol_slope, r.tol_intercept, p.tie_tolerance);
        p.predicted_n = p.rounding_n;
        if (p.tolerance_n && (!p.predicted_n || *p.tolerance_n < *p.predicted_n)) p.predicted_n = p.tolerance_n;
        for (const SizeResult& s : r.sizes) {
            for (const FormatResult& fr : s.formats)
                if (fr.format == f && fr.correct < fr.samples && !p.observed_n) p.observed_n = s.n;
        }
        r.predictions.push_back(p);
    }
}

SizeResult sweep_size(const Subject& subject, const SweepOptions& opts, std::size_t n) {
    const auto t0 = std::chrono::steady_clock::now();
    SizeResult sr;
    sr.n = n;
    if (!subject.not_compilable.empty()) {
        std::mt19937_64 rng = size_rng(opts.seed, n);
        for (std::size_t k = 0; k < opts.samples; ++k) {
            sr.reference_samples += 1;
            sr.reference_agree += subject.reference_check(n, rng);
        }
    } else {
        const Model m = subject.compile();  // again at every size: the weights must not move
        sr.weights_hash = weights_hash(m.encoder);
        run_size(m, subject, opts, sr);
    }
    sr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sr;
}

SweepResult sweep_result(const Subject& subject, const SweepOptions& opts, std::vector<SizeResult> sizes) {
    SweepResult r;
    r.subject = subject.name;
    r.not_compilable = subject.not_compilable;
    r.options = opts;
    r.sizes = std::move(sizes);
    for (SizeResult& sr : r.sizes) {
        if (!subject.not_compilable.empty()) {
            r.reference_ok = r.reference_ok && sr.reference_agree == sr.reference_samples;
        } else {
            sr.hash_matches = sr.weights_hash == r.sizes.front().weights_hash;
            r.hashes_ok = r.hashes_ok && sr.hash_matches;
            r.exact_ok = r.exact_ok && sr.formats.front().correct == sr.formats.front().samples;
        }
    }
    fit_and_predict(r);
    return r;
}

SweepResult sweep(const Subject& subject, const SweepOptions& opts) {
    std::vector<SizeResult> sizes;
    for (std::size_t n : opts.sizes) {
        if (opts.progress) opts.progress(fmt::format("{}: n = {}", subject.name, n));
        sizes.push_back(sweep_size(subject, opts, n));
    }
    return sweep_result(subject, opts, std::move(sizes));
}

}  // namespace ahat::capture
