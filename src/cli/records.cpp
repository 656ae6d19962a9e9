#include "cli/records.hpp"

namespace ahat::cli {

json exact_or_null(const std::optional<Rational>& r) { return r ? json(to_string(*r)) : json(nullptr); }

void print_json_lines(const std::vector<json>& records) {
    for (const json& j : records) fmt::print("{}\n", j.dump());
}

void print_csv(const std::vector<json>& records, const std::string& type) {
    bool header = false;
    for (const json& j : records) {
        if (j["type"] != type) continue;
        std::string line;
        if (!header) {
            for (const auto& [k, v] : j.items()) line += (line.empty() ? "" : ",") + k;
            fmt::print("{}\n", line), line.clear(), header = true;
        }
        for (const auto& [k, v] : j.items())
            line += (line.empty() ? "" : ",") + (v.is_null() ? std::string() : v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump());
        fmt::print("{}\n", line);
    }
}

std::optional<Rational> parse_beta(const std::string& text, const std::string& option) {
    if (text.empty()) return std::nullopt;
    const std::vector<Rational> b = parse_values(text, option);
    if (b.size() != 1 || b[0] <= 0) fail(SourceLoc{option, 0, 0}, "{} takes one positive number (beta)", option);
    return b[0];
}

}  // namespace ahat::cli
