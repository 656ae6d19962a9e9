#include "cli/attention_svg.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "capture/report.hpp"

namespace ahat::cli {

std::string attention_svg(const std::vector<AttentionMap>& maps, const std::vector<std::string>& labels) {
    const std::size_t n = labels.size();
    const double cell = n <= 16 ? 22 : n <= 64 ? 8 : 3;  // pixels per position
    const bool text_labels = n <= 64;
    const double margin = 60, side = cell * static_cast<double>(n), gap = 40, title_h = 24;
    const std::size_t per_row = std::max<std::size_t>(1, std::min<std::size_t>(4, maps.size()));
    const std::size_t rows = (maps.size() + per_row - 1) / per_row;
    const double panel_w = margin + side + gap, panel_h = title_h + margin + side + gap;
    const double width = std::max(200.0, panel_w * static_cast<double>(per_row)), height = std::max(60.0, panel_h * static_cast<double>(rows) + 20);
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" font-size=\"11\">\n",
        width, height);
    s += fmt::format("<rect width=\"{:.0f}\" height=\"{:.0f}\" fill=\"white\"/>\n", width, height);
    for (std::size_t m = 0; m < maps.size(); ++m) {
        const AttentionMap& map = maps[m];
        const double x0 = panel_w * static_cast<double>(m % per_row) + margin;
        const double y0 = panel_h * static_cast<double>(m / per_row) + title_h + margin;
        s += fmt::format("<g class=\"head\" data-title=\"{}\">\n", capture::xml_escape(map.title));
        s += fmt::format("<text class=\"title\" x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\">{}</text>\n", x0 - margin + 4,
                         y0 - margin + 4, capture::xml_escape(map.title));
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">key position</text>\n", x0 + side / 2,
                         y0 - margin + 22);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 {:.1f} {:.1f})\">query position</text>\n",
                         x0 - margin + 14, y0 + side / 2, x0 - margin + 14, y0 + side / 2);
        for (std::size_t i = 0; i < n; ++i) {
            if (!text_labels) break;
            const std::string label = capture::xml_escape(labels[i]);
            const double c = static_cast<double>(i) * cell + cell / 2;
            s += fmt::format("<text class=\"key-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x0 + c, y0 - 4, label);
            s += fmt::format("<text class=\"query-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", x0 - 4, y0 + c + 4, label);
        }
        for (std::size_t i = 0; i < map.weights.size() && i < n; ++i)
            for (std::size_t j = 0; j < map.weights[i].size() && j < n; ++j) {
                const double w = std::clamp(map.weights[i][j], 0.0, 1.0);
                const auto shade = [w](int white, int full) { return static_cast<int>(std::lround(white + (full - white) * w)); };
                s += fmt::format(
                    "<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"rgb({},{},{})\" "
                    "data-query=\"{}\" data-key=\"{}\" data-weight=\"{:.6g}\"><title>query {} key {}: {:.6g}</title></rect>\n",
                    x0 + static_cast<double>(j) * cell, y0 + static_cast<double>(i) * cell, cell, cell, shade(255, 8),
                    shade(255, 48), shade(255, 107), i, j, map.weights[i][j], i, j, map.weights[i][j]);
            }
        s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#888\"/>\n", x0, y0, side, side);
        s += "</g>\n";
    }
    s += "</svg>\n";
    return s;
}

}  // namespace ahat::cli
