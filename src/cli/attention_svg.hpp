// Attention pictures for `ahat run --attention-svg`: one heat map per head.
//
// Offers:
//   AttentionMap                  a head's title and its n x n weights [query][key].
//   attention_svg(maps, labels)   an SVG document: one heat map per head (white 0 to dark
//                                 blue 1), rows the query positions and columns the key
//                                 positions, both labelled with the input tokens; each cell
//                                 carries its weight in a <title> (and data-weight).
#pragma once

#include <string>
#include <vector>

namespace ahat::cli {

struct AttentionMap {
    std::string title;
    std::vector<std::vector<double>> weights;  // [query][key]
};

std::string attention_svg(const std::vector<AttentionMap>& maps, const std::vector<std::string>& labels);

}  // namespace ahat::cli
