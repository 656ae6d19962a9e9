#include "cli/common.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "capture/sweep.hpp"
#include "support/utf8.hpp"

#include <cctype>
#include <cstdio>

namespace ahat::cli {

namespace {

// The text refused by a numeric option, and what it should have been.
[[noreturn]] void bad_number(std::string_view text, const std::string& option, const std::string& wanted) {
    fail(SourceLoc{option, 0, 0}, "expected {}, got '{}'", wanted, text);
}

template <class T>
T integer(std::string_view text, const std::string& option, T lo, T hi) {
    T v{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end || v < lo || v > hi)
        bad_number(text, option, fmt::format("an integer from {} to {}", lo, hi));
    return v;
}

}  // namespace

std::uint64_t parse_unsigned(std::string_view text, const std::string& option, std::uint64_t lo, std::uint64_t hi) {
    return integer(text, option, lo, hi);
}

std::int64_t parse_signed(std::string_view text, const std::string& option, std::int64_t lo, std::int64_t hi) {
    return integer(text, option, lo, hi);
}

double parse_real(std::string_view text, const std::string& option, double lo, double hi) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v) || v < lo || v > hi)
        bad_number(text, option, fmt::format("a number from {:g} to {:g}", lo, hi));
    return v;
}

void check_word_count(std::size_t letters, std::size_t max_len, const std::string& option) {
    constexpr std::uint64_t kMax = std::uint64_t{1} << 24;
    std::uint64_t total = 1, of_length = 1;
    for (std::size_t len = 1; len <= max_len; ++len) {
        of_length *= letters;  // at most kMax * letters: the loop stops once total passes kMax
        total += of_length;
        if (total > kMax)
            fail(SourceLoc{option, 0, 0}, "the words up to length {} over {} letters are more than 2^24: give a smaller {}",
                 max_len, letters, option);
    }
}

std::string option_name(const std::string& names) {
    std::string first;
    for (const std::string& n : split_list(names)) {
        if (n.starts_with("--")) return n;
        if (first.empty()) first = n;
    }
    return first;
}

Precision parse_precision(const std::string& s) {
    if (s == "exact") return Precision::Exact;
    if (s == "double") return Precision::Double;
    if (s == "float") return Precision::Float;
    if (s == "bfloat16") return Precision::BFloat16;
    fail(SourceLoc{"--precision", 0, 0}, "unknown precision '{}' (exact, double, float, bfloat16)", s);
}

std::string_view precision_name(Precision p) {
    switch (p) {
        case Precision::Exact: return "exact";
        case Precision::Double: return "double";
        case Precision::Float: return "float";
        case Precision::BFloat16: return "bfloat16";
    }
    return "?";
}

std::vector<Rational> parse_values(std::string_view text, const std::string& source, std::uint32_t line) {
    std::vector<Rational> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
        std::size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != ',') ++j;
        if (j == i) break;
        ParseFailure why;
        auto v = parse_rational(text.substr(i, j - i), &why);
        if (!v)
            fail(SourceLoc{source, line, static_cast<std::uint32_t>(i + why.offset + 1)}, "bad value '{}': {}",
                 text.substr(i, j - i), why.why);
        out.push_back(*v);
        i = j;
    }
    return out;
}

Matrix<Rational> parse_rows(std::string_view text, const std::string& source, std::size_t cols) {
    std::vector<std::vector<Rational>> rows;
    std::uint32_t line = 1;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t e = text.find_first_of(";\n", pos);
        if (e == std::string_view::npos) e = text.size();
        std::string_view part = text.substr(pos, e - pos);
        if (std::size_t hash = part.find('#'); hash != std::string_view::npos) part = part.substr(0, hash);
        auto vals = parse_values(part, source, line);
        if (!vals.empty()) {
            if (vals.size() != cols)
                fail(SourceLoc{source, line, 1}, "row {} has {} values, expected d = {}", rows.size(), vals.size(), cols);
            rows.push_back(std::move(vals));
        }
        if (e < text.size() && text[e] == '\n') ++line;
        pos = e + 1;
    }
    Matrix<Rational> m(rows.size(), cols);
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < cols; ++c) m.at(r, c) = rows[r][c];
    return m;
}

json rationals_json(const std::vector<Rational>& v) {
    json a = json::array();
    for (const auto& x : v) a.push_back(to_string(x));
    return a;
}

void print_json(const json& j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
}

std::vector<std::size_t> sizes_from(const std::vector<std::string>& texts, const std::string& option, std::size_t max) {
    std::string joined;
    for (const std::string& t : texts) joined += (joined.empty() ? "" : ",") + t;
    return capture::parse_sizes(joined, option, max);
}

void emit(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        write_file_atomic(path, text);
    }
}

CLI::App& command_group(CLI::App& app, const std::string& name, const std::string& description) {
    auto found = app.get_subcommands([&](const CLI::App* a) { return a->get_name() == name; });
    if (!found.empty()) return *found.front();
    CLI::App* group = app.add_subcommand(name, description);
    group->require_subcommand(1);
    return *group;
}

std::vector<std::string> parse_alphabet(std::string_view text, const std::string& where) {
    if (!valid_utf8(text)) fail(SourceLoc{where, 0, 0}, "the alphabet is not UTF-8 text");
    std::vector<std::string> out;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    if (std::none_of(text.begin(), text.end(), space)) {
        out = code_points(text);
    } else {
        for (std::size_t i = 0; i < text.size();) {
            while (i < text.size() && space(text[i])) ++i;
            if (i == text.size()) break;
            std::string sym;
            for (; i < text.size() && !space(text[i]); ++i) {
                if (text[i] != '\\') {
                    sym += text[i];
                    continue;
                }
                const char next = i + 1 < text.size() ? text[i + 1] : '\0';
                const char* named = next == 's' ? " " : next == 't' ? "\t" : next == 'n' ? "\n" : next == '\\' ? "\\" : nullptr;
                if (!named)
                    fail(SourceLoc{where, 0, 0}, "unknown escape '\\{}' in the alphabet (\\s space, \\t tab, \\n newline, \\\\ backslash)",
                         std::string(1, next));
                sym += named;
                ++i;
            }
            out.push_back(std::move(sym));
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (out[i] == out[j]) fail(SourceLoc{where, 0, 0}, "the symbol '{}' is given twice in the alphabet", out[i]);
    return out;
}

}  // namespace ahat::cli
