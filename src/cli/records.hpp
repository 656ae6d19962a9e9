// The output convention of docs/cli.md ("Output"), in one place: flat records written as
// JSON Lines or CSV, every key in every record, rationals with a float sibling; shared by
// every table-like subcommand (verify, bench, lang compare, sinks, cascade, export, ...).
// Only src/cli includes this header.
//
// Offers:
//   OutputFlags                 --json / --csv of a command; add_output_flags declares them
//                               (given together: exit 2).
//   put_rational(rec, key, v)   rec[key] = v as the exact string ("1/900"), rec[key_float] =
//                               its nearest double; both null without a value.
//   RecordWriter(flags, keys)   writes records with exactly `keys`, in that order: a key a
//                               record lacks is null (an empty CSV cell); a key not listed is
//                               a bug (InternalError). JSON Lines: one object per line. CSV:
//                               the header once, then one row per record (strings quoted
//                               where needed, arrays and objects as their JSON text).
//   csv_cell(v)                 one JSON value as a CSV cell.
//   exact_or_null(r)            the exact value as its canonical string, or null;
//   exact_from(j)               and back.
//   none_or<T>(j)               the converse of or_null (common.hpp): none for null.
//   real_record(v) / real_from(j)   a double that may be NaN or infinite (JSON has neither):
//                               those as the strings "nan", "inf", "-inf"; none as null; and
//                               back (any other string: InputError); real_at(j, key): j.at(key)
//                               so read, null as 0.
//   print_json_lines(records)   every record as one JSON line.
//   print_csv(records, type)    the records of one type as CSV: their keys as the header (from
//                               the first), one row each (cells as csv_cell writes them).
//   parse_beta(text, option)    --as-softmax: one positive number (beta), or none when empty.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace ahat::cli {

struct OutputFlags {
    bool json = false, csv = false;
    bool text() const { return !json && !csv; }
};
void add_output_flags(CLI::App* sub, OutputFlags& flags, const std::string& json_help, const std::string& csv_help);

void put_rational(json& rec, const std::string& key, const std::optional<Rational>& v);

std::string csv_cell(const json& v);

class RecordWriter {
public:
    RecordWriter(const OutputFlags& flags, std::vector<std::string> keys);
    void write(const json& record);

private:
    bool csv_;
    bool header_done_ = false;
    std::vector<std::string> keys_;
};

json exact_or_null(const std::optional<Rational>& r);
std::optional<Rational> exact_from(const json& j);
template <class T>
std::optional<T> none_or(const json& j) {
    return j.is_null() ? std::nullopt : std::optional<T>(j.get<T>());
}
json real_record(const std::optional<double>& v);
std::optional<double> real_from(const json& j);
double real_at(const json& j, const char* key);
void print_json_lines(const std::vector<json>& records);
void print_csv(const std::vector<json>& records, const std::string& type);
std::optional<Rational> parse_beta(const std::string& text, const std::string& option);

}  // namespace ahat::cli
