#include "capture/report.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ahat::capture {
namespace {

using json = nlohmann::ordered_json;


json rational_or_null(const std::optional<Rational>& r) { return r ? json(to_string(*r)) : json(nullptr); }

template <class T>
json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

std::string percent(const FormatResult& f) { return fmt::format("{:.1f}%", 100.0 * f.accuracy()); }

std::string predicted_text(const Prediction& p, std::size_t largest) {
    if (!p.predicted_n) return "none (margin does not shrink)";
    if (*p.predicted_n > 1e15) return "> 1e15";
    return fmt::format("{:.0f}{}", *p.predicted_n, *p.predicted_n > double(largest) ? " (beyond the sweep)" : "");
}

std::string observed_text(const Prediction& p, std::size_t largest) {
    return p.observed_n ? fmt::format("{}", *p.observed_n) : fmt::format("none up to {}", largest);
}

std::size_t largest_size(const SweepResult& r) { return r.sizes.empty() ? 0 : r.sizes.back().n; }

json format_json(const FormatResult& f) {
    json j{{"format", format_name(f.format)},
           {"samples", f.samples},
           {"correct", f.correct},
           {"accuracy", f.accuracy()},
           {"wrong_positions", f.wrong_positions}};
    if (f.format != Format::Exact) {
        j["tie_tolerance"] = f.tie_tolerance;
        j["differs_from_exact"] = f.differs_from_exact;
        j["argmax_differs"] = f.argmax_differs;
    }
    return j;
}

}  // namespace

std::string table_report(const SweepResult& r) {
    std::string s = fmt::format("capture check: {} ({} samples per size, seed {})\n", r.subject, r.options.samples,
                                r.options.seed);
    if (!r.not_compilable.empty()) {
        s += fmt::format("not compilable: {}\nreference evaluator vs solver only:\n", r.not_compilable);
        s += fmt::format("{:>7} {:>10} {:>9}\n", "n", "agree", "seconds");
        for (const SizeResult& z : r.sizes)
            s += fmt::format("{:>7} {:>4}/{:<5} {:>9.2f}\n", z.n, z.reference_agree, z.reference_samples, z.seconds);
        return s;
    }
    s += fmt::format("{:>7}  {:<16}", "n", "weights hash");
    if (!r.sizes.empty())
        for (const FormatResult& f : r.sizes.front().formats) s += fmt::format(" {:>9}", format_name(f.format));
    s += fmt::format("  {:>12} {:>12} {:>6} {:>8}\n", "margin", "rel margin", "bits", "seconds");
    for (const SizeResult& z : r.sizes) {
        s += fmt::format("{:>7}  {:<16}", z.n, z.weights_hash + (z.hash_matches ? "" : "!"));
        for (const FormatResult& f : z.formats) s += fmt::format(" {:>9}", percent(f));
        std::string rel = z.relative_margin ? fmt::format("{:.3g}", std::exp2(log2_rational(*z.relative_margin))) : "none";
        // decimals throughout the column (the exact rationals are in --json)
        const std::string margin = z.margin ? fmt::format("{:.3g}", z.margin->convert_to<double>()) : "none";
        s += fmt::format("  {:>12} {:>12} {:>6} {:>8.2f}\n", margin, rel,
                         z.implied_bits ? fmt::format("{:.1f}", *z.implied_bits) : "-", z.seconds);
    }
    for (const SizeResult& z : r.sizes)
        for (const FormatResult& f : z.formats)
            if (f.format != Format::Exact && (f.differs_from_exact || f.argmax_differs))
                s += fmt::format("  n = {} {}: {} of {} samples differ from exact ({} wrong positions), argmax sets differ "
                                 "in {} (tie tolerance {:g})\n",
                                 z.n, format_name(f.format), f.differs_from_exact, f.samples, f.wrong_positions,
                                 f.argmax_differs, f.tie_tolerance);
    s += fmt::format("weights identical at every size: {}\n", r.hashes_ok ? "yes" : "NO");
    if (r.slope)
        s += fmt::format("fit: log2(rel margin) = {:.3f} {:+.3f} * log2(n)\n", *r.intercept, *r.slope);
    else
        s += "fit: none (fewer than two sizes with a margin)\n";
    if (r.tol_slope)
        s += fmt::format("fit: log2(tolerance margin) = {:.3f} {:+.3f} * log2(n)\n", *r.tol_intercept, *r.tol_slope);
    s += fmt::format("{:<10} {:>9} {:>9} {:>28} {:>10} {:>20}\n", "format", "u", "tie tol", "predicted break n", "by",
                     "observed break n");
    for (const Prediction& p : r.predictions)
        s += fmt::format("{:<10} {:>9.3g} {:>9.3g} {:>28} {:>10} {:>20}\n", format_name(p.format), p.threshold,
                         p.tie_tolerance, predicted_text(p, largest_size(r)),
                         !p.predicted_n ? "-" : p.predicted_n == p.tolerance_n ? "tolerance" : "rounding",
                         observed_text(p, largest_size(r)));
    s += fmt::format("exact accuracy 100% at every size: {}\n", r.exact_ok ? "yes" : "NO");
    return s;
}

std::string json_lines(const SweepResult& r) {
    // Flat records with one key set (null where a key does not apply), so that a notebook
    // loads them with one call: pd.read_json(..., lines=True).
    static const std::vector<std::string> keys{
        "type", "subject", "n", "format", "samples", "correct", "accuracy", "wrong_positions", "tie_tolerance",
        "differs_from_exact", "argmax_differs", "weights_hash", "hash_matches", "margin", "margin_float",
        "relative_margin", "relative_margin_float", "relative_margin_log2", "scale", "scale_float", "layer", "head",
        "position", "implied_bits", "tolerance_margin", "tolerance_margin_float", "seconds", "threshold",
        "rounding_n", "tolerance_n", "predicted_n", "observed_n", "compilable", "not_compilable", "seed", "sizes",
        "fit_slope", "fit_intercept", "tolerance_fit_slope", "tolerance_fit_intercept", "hashes_identical",
        "exact_ok", "reference_ok"};
    std::string out;
    auto emit_record = [&](const json& rec) {
        json full = json::object();
        for (const std::string& k : keys) full[k] = rec.contains(k) ? rec[k] : json(nullptr);
        out += full.dump() + "\n";
    };
    auto rational = [](json& j, const std::string& key, const std::optional<Rational>& v) {
        j[key] = rational_or_null(v);
        j[key + "_float"] = v ? json(v->convert_to<double>()) : json(nullptr);
    };
    for (const SizeResult& z : r.sizes) {
        json base{{"type", "size"}, {"subject", r.subject}, {"n", z.n}, {"seconds", z.seconds}};
        if (!r.not_compilable.empty()) {
            json j = base;
            j["format"] = "reference";
            j["samples"] = z.reference_samples;
            j["correct"] = z.reference_agree;
            j["accuracy"] = z.reference_samples ? double(z.reference_agree) / double(z.reference_samples) : 0.0;
            emit_record(j);
            continue;
        }
        base["weights_hash"] = z.weights_hash;
        base["hash_matches"] = z.hash_matches;
        rational(base, "margin", z.margin);
        rational(base, "relative_margin", z.relative_margin);
        base["relative_margin_log2"] = z.relative_margin ? json(log2_rational(*z.relative_margin)) : json(nullptr);
        rational(base, "scale", std::optional<Rational>(z.scale));
        if (z.relative_margin) {
            base["layer"] = z.layer;
            base["head"] = z.head;
            base["position"] = z.position;
        }
        base["implied_bits"] = or_null(z.implied_bits);
        rational(base, "tolerance_margin", z.tolerance_margin);
        for (const FormatResult& f : z.formats) {
            json j = base;
            j.update(format_json(f));
            emit_record(j);
        }
    }
    for (const Prediction& p : r.predictions)
        emit_record(json{{"type", "prediction"},
                         {"subject", r.subject},
                         {"format", format_name(p.format)},
                         {"threshold", p.threshold},
                         {"tie_tolerance", p.tie_tolerance},
                         {"rounding_n", or_null(p.rounding_n)},
                         {"tolerance_n", or_null(p.tolerance_n)},
                         {"predicted_n", or_null(p.predicted_n)},
                         {"observed_n", or_null(p.observed_n)}});
    std::string sizes;
    for (const SizeResult& z : r.sizes) sizes += (sizes.empty() ? "" : ",") + std::to_string(z.n);
    emit_record(json{{"type", "summary"},
                     {"subject", r.subject},
                     {"compilable", r.not_compilable.empty()},
                     {"not_compilable", r.not_compilable.empty() ? json(nullptr) : json(r.not_compilable)},
                     {"seed", r.options.seed},
                     {"samples", r.options.samples},
                     {"sizes", sizes},
                     {"fit_slope", or_null(r.slope)},
                     {"fit_intercept", or_null(r.intercept)},
                     {"tolerance_fit_slope", or_null(r.tol_slope)},
                     {"tolerance_fit_intercept", or_null(r.tol_intercept)},
                     {"hashes_identical", r.hashes_ok},
                     {"exact_ok", r.exact_ok},
                     {"reference_ok", r.reference_ok}});
    return out;
}

std::string csv_report(const SweepResult& r) {
    std::string s = "subject,n,format,samples,correct,accuracy,wrong_positions,differs_from_exact,argmax_differs,"
                    "tie_tolerance,relative_margin_log2,implied_bits,weights_hash\n";
    for (const SizeResult& z : r.sizes) {
        const std::string rel = z.relative_margin ? fmt::format("{:.6g}", log2_rational(*z.relative_margin)) : "";
        const std::string bits = z.implied_bits ? fmt::format("{:.6g}", *z.implied_bits) : "";
        for (const FormatResult& f : z.formats)
            s += fmt::format("{},{},{},{},{},{:.6g},{},{},{},{:g},{},{},{}\n", r.subject, z.n, format_name(f.format),
                             f.samples, f.correct, f.accuracy(), f.wrong_positions, f.differs_from_exact,
                             f.argmax_differs, f.tie_tolerance, rel, bits, z.weights_hash);
        if (!r.not_compilable.empty())
            s += fmt::format("{},{},reference,{},{},{:.6g},,,,,,,\n", r.subject, z.n, z.reference_samples,
                             z.reference_agree,
                             z.reference_samples ? double(z.reference_agree) / double(z.reference_samples) : 1.0);
    }
    return s;
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}

std::string svg_plot(const SweepResult& r) {
    const double W = 640, H = 400, left = 60, right = 130, top = 40, bottom = 50;
    const double pw = W - left - right, ph = H - top - bottom;
    double x0 = 0, x1 = 1;
    if (!r.sizes.empty()) {
        x0 = std::log2(double(r.sizes.front().n));
        x1 = std::log2(double(r.sizes.back().n));
        for (const SizeResult& z : r.sizes) x0 = std::min(x0, std::log2(double(z.n))), x1 = std::max(x1, std::log2(double(z.n)));
        if (x1 <= x0) x1 = x0 + 1;
    }
    auto X = [&](std::size_t n) { return left + (std::log2(double(n)) - x0) / (x1 - x0) * pw; };
    auto Y = [&](double acc) { return top + (1.0 - acc) * ph; };
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
        W, H);
    s += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\">capture: {} (accuracy vs n)</text>\n", left,
                     xml_escape(r.subject));
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", left, top, pw, ph);
    for (double a : {0.0, 0.25, 0.5, 0.75, 1.0})
        s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#ddd\"/>"
                         "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5:.0f}%</text>\n",
                         left, Y(a), left + pw, left - 6, Y(a) + 4, 100 * a);
    for (const SizeResult& z : r.sizes)
        s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                         "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                         X(z.n), top, top + ph, top + ph + 16, z.n);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">input size n (log scale)</text>\n", left + pw / 2, H - 12);
    s += fmt::format("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" transform=\"rotate(-90 {0} {1})\">"
                     "accuracy (whole answers correct)</text>\n",
                     16, top + ph / 2);
    static const char* colors[] = {"#000000", "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c"};
    // Each format has its own dash pattern and offset, so that lines that coincide (every
    // format at 100%) all stay visible, the exact one included.
    static const char* dashes[] = {"", "6 3", "2 2", "8 2 2 2", "4 4"};
    std::vector<std::pair<std::string, std::vector<std::pair<std::size_t, double>>>> lines;
    for (const SizeResult& z : r.sizes) {
        std::vector<std::pair<std::string, double>> points;
        for (const FormatResult& f : z.formats) points.emplace_back(std::string(format_name(f.format)), f.accuracy());
        if (!r.not_compilable.empty())
            points.emplace_back("reference", z.reference_samples ? double(z.reference_agree) / double(z.reference_samples) : 1.0);
        for (const auto& point : points) {
            auto it = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == point.first; });
            if (it == lines.end()) it = lines.insert(lines.end(), {point.first, {}});
            it->second.emplace_back(z.n, point.second);
        }
    }
    for (std::size_t k = 0; k < lines.size(); ++k) {
        const char* color = colors[k % 5];
        std::string pts;
        for (const auto& [n, acc] : lines[k].second) pts += fmt::format("{:.1f},{:.1f} ", X(n), Y(acc));
        // Offset each line by a pixel so that overlapping formats stay visible.
        s += fmt::format("<g class=\"format\" data-format=\"{}\" transform=\"translate(0,{})\"><polyline fill=\"none\" "
                         "stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"{}\" points=\"{}\"/>",
                         xml_escape(lines[k].first), 3.0 * double(k) - 4.5, color, dashes[k % 5], pts);
        for (const auto& [n, acc] : lines[k].second)
            s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", X(n), Y(acc), color);
        s += "</g>\n";
        s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\" "
                         "stroke-dasharray=\"{7}\"/><text x=\"{4}\" y=\"{5}\">{6}</text>\n",
                         left + pw + 10, top + 10 + 18 * double(k), left + pw + 30, color, left + pw + 36,
                         top + 14 + 18 * double(k), xml_escape(lines[k].first), dashes[k % 5]);
        // the predicted break size of this format: a dotted vertical line (at the edge, with
        // "→", when it lies beyond the sweep)
        for (const Prediction& p : r.predictions) {
            if (std::string(format_name(p.format)) != lines[k].first || !p.predicted_n || r.sizes.empty()) continue;
            const double lx = std::log2(std::max(1.0, *p.predicted_n));
            const bool beyond = lx > x1, before = lx < x0;
            const double x = beyond ? left + pw : before ? left : left + (lx - x0) / (x1 - x0) * pw;
            s += fmt::format("<g class=\"predicted-break\" data-format=\"{0}\" data-n=\"{1:.6g}\"><line x1=\"{2:.1f}\" y1=\"{3}\" "
                             "x2=\"{2:.1f}\" y2=\"{4}\" stroke=\"{5}\" stroke-dasharray=\"1 3\" stroke-width=\"1.5\"/>"
                             "<text x=\"{6:.1f}\" y=\"{7}\" font-size=\"10\" fill=\"{5}\" text-anchor=\"{8}\">{0} break {9}n = {1:.4g}</text></g>\n",
                             xml_escape(lines[k].first), *p.predicted_n, x, top, top + ph, color, beyond ? x - 2 : x + 2,
                             top + ph - 6 - 12 * double(k), beyond ? "end" : "start", beyond ? "→ " : "");
        }
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">dotted: predicted break size</text>\n", left + pw + 10,
                     top + 14 + 18 * double(lines.size()));
    s += "</svg>\n";
    return s;
}

}  // namespace ahat::capture
