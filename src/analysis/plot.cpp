#include "analysis/plot.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "capture/report.hpp"

namespace ahat::analysis {

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<Series>& series, bool log2_x) {
    const double W = 680, H = 420, left = 70, right = 170, top = 40, bottom = 50;
    const double pw = W - left - right, ph = H - top - bottom;
    auto tx = [&](double x) { return log2_x ? std::log2(std::max(x, 1e-300)) : x; };
    double x0 = INFINITY, x1 = -INFINITY, y0 = 0, y1 = -INFINITY;
    for (const Series& s : series)
        for (const auto& [x, y] : s.points) {
            x0 = std::min(x0, tx(x)), x1 = std::max(x1, tx(x));
            if (y && std::isfinite(*y)) y0 = std::min(y0, *y), y1 = std::max(y1, *y);
        }
    if (!(x0 <= x1)) x0 = 0, x1 = 1;
    if (x0 == x1) x0 -= 1, x1 += 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    auto X = [&](double x) { return left + (tx(x) - x0) / (x1 - x0) * pw; };
    auto Y = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
        W, H);
    s += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\">{}</text>\n", left, capture::xml_escape(title));
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", left, top, pw, ph);
    for (int k = 0; k <= 4; ++k) {
        const double fy = y0 + (y1 - y0) * k / 4, fx = x0 + (x1 - x0) * k / 4;
        const double xv = log2_x ? std::exp2(fx) : fx;
        s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/><text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.3g}</text>\n",
                         left, Y(fy), left + pw, left - 6, Y(fy) + 4, fy);
        const double px = left + pw * k / 4;
        s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:.4g}</text>\n",
                         px, top, top + ph, top + ph + 16, xv);
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>\n", left + pw / 2, H - 12, capture::xml_escape(x_label),
                     log2_x ? " (log scale)" : "");
    s += fmt::format("<text transform=\"translate(18,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n", top + ph / 2,
                     capture::xml_escape(y_label));
    static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    for (std::size_t k = 0; k < series.size(); ++k) {
        const char* col = colors[k % 10];
        std::string pts, dots;
        for (const auto& [x, y] : series[k].points) {
            if (!y || !std::isfinite(*y)) {
                if (!pts.empty()) s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", col, pts);
                pts.clear();
                continue;
            }
            pts += fmt::format("{:.1f},{:.1f} ", X(x), Y(*y));
            dots += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", X(x), Y(*y), col);
        }
        if (!pts.empty()) s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>", col, pts);
        s += dots + "\n";
        const double ly = top + 10 + 18 * static_cast<double>(k);
        s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"/><text x=\"{4}\" y=\"{5}\">{6}</text>\n",
                         left + pw + 10, ly, left + pw + 30, col, left + pw + 36, ly + 4, capture::xml_escape(series[k].label));
    }
    s += "</svg>\n";
    return s;
}

}  // namespace ahat::analysis
