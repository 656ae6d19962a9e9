#include "cli/records.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace ahat::cli {

void add_output_flags(CLI::App* sub, OutputFlags& flags, const std::string& json_help, const std::string& csv_help) {
    CLI::Option* j = sub->add_flag("--json", flags.json, json_help);
    CLI::Option* c = sub->add_flag("--csv", flags.csv, csv_help);
    j->excludes(c);
}

json exact_or_null(const std::optional<Rational>& r) { return r ? json(to_string(*r)) : json(nullptr); }

std::optional<Rational> exact_from(const json& j) {
    if (j.is_null()) return std::nullopt;
    const std::optional<Rational> r = parse_rational(j.get<std::string>());
    if (!r) fail(SourceLoc{}, "not an exact number: {}", j.dump());
    return r;
}

json real_record(const std::optional<double>& v) {
    if (!v) return nullptr;
    return std::isfinite(*v) ? json(*v) : json(fmt::format("{}", *v));
}

std::optional<double> real_from(const json& j) {
    if (j.is_null()) return std::nullopt;
    if (!j.is_string()) return j.get<double>();
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    fail(SourceLoc{}, "not a number: {}", j.dump());
}

double real_at(const json& j, const char* key) { return real_from(j.at(key)).value_or(0); }

void put_rational(json& rec, const std::string& key, const std::optional<Rational>& v) {
    rec[key] = exact_or_null(v);
    rec[key + "_float"] = v ? json(v->convert_to<double>()) : json(nullptr);
}

std::string csv_cell(const json& v) {
    if (v.is_null()) return "";
    std::string s = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

RecordWriter::RecordWriter(const OutputFlags& flags, std::vector<std::string> keys) : csv_(flags.csv), keys_(std::move(keys)) {}

void RecordWriter::write(const json& record) {
    for (const auto& [k, v] : record.items()) {
        (void)v;
        if (std::find(keys_.begin(), keys_.end(), k) == keys_.end())
            internal_error("record key '{}' is not among the command's keys", k);
    }
    std::string line;
    if (csv_) {
        if (!header_done_) {
            for (std::size_t k = 0; k < keys_.size(); ++k) line += (k ? "," : "") + csv_cell(keys_[k]);
            line += '\n';
            header_done_ = true;
        }
        for (std::size_t k = 0; k < keys_.size(); ++k) {
            if (k) line += ',';
            if (record.contains(keys_[k])) line += csv_cell(record[keys_[k]]);
        }
    } else {
        json out = json::object();
        for (const std::string& k : keys_) out[k] = record.contains(k) ? record[k] : json(nullptr);
        line = out.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
}

void print_json_lines(const std::vector<json>& records) {
    for (const json& j : records) fmt::print("{}\n", j.dump(-1, ' ', false, json::error_handler_t::replace));
}

void print_csv(const std::vector<json>& records, const std::string& type) {
    bool header = false;
    for (const json& j : records) {
        if (j["type"] != type) continue;
        std::string line;
        if (!header) {
            for (const auto& [k, v] : j.items()) line += (line.empty() ? "" : ",") + csv_cell(k), (void)v;
            fmt::print("{}\n", line), line.clear(), header = true;
        }
        bool first = true;
        for (const auto& [k, v] : j.items()) line += (first ? "" : ",") + csv_cell(v), first = false, (void)k;
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
