// Line charts for the analyses' reports: one standalone SVG with labelled axes and a legend.
//
// Offers:
//   Series          a label and (x, y) points (drawn in order; y may be absent: a gap).
//   line_chart(title, x_label, y_label, series, log2_x)   an SVG document: a frame, five
//                   ticks per axis (x on a log2 scale when log2_x, over the points' range),
//                   one coloured polyline with dots per series, the legend on the right.
// Cost O(points).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ahat::analysis {

struct Series {
    std::string label;
    std::vector<std::pair<double, std::optional<double>>> points;
};

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<Series>& series, bool log2_x);

}  // namespace ahat::analysis
