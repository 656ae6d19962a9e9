#include "cli/records.hpp"

#include <cstdio>

namespace ahat::cli {

void add_output_flags(CLI::App* sub, OutputFlags& flags, const std::string& json_help, const std::string& csv_help) {
    CLI::Option* j = sub->add_flag("--json", flags.json, json_help);
    CLI::Option* c = sub->add_flag("--csv", flags.csv, csv_help);
    j->excludes(c);
}

void put_rational(json& rec, const std::string& key, const std::optional<Rational>& v) {
    rec[key] = v ? json(to_string(*v)) : json(nullptr);
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

}  // namespace ahat::cli
