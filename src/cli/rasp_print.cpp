#include "cli/rasp_print.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "support/utf8.hpp"

namespace ahat::cli {
namespace {

constexpr std::size_t kMatrixPrintLimit = 40;  // larger selectors are summarized in text output

void print_selector(const std::vector<std::vector<bool>>& m, const std::vector<rasp::Value>& tokens) {
    const std::size_t n = m.size();
    if (n > kMatrixPrintLimit) {
        std::size_t total = 0;
        for (const auto& row : m) total += static_cast<std::size_t>(std::count(row.begin(), row.end(), true));
        fmt::print("    {} x {} matrix, {} pairs selected (--json prints it)\n", n, n, total);
        return;
    }
    std::vector<std::string> labels;
    std::size_t w = 1;
    for (const rasp::Value& t : tokens) {
        labels.push_back(rasp::format_element(t));
        w = std::max(w, code_points(labels.back()).size());
    }
    std::string head = fmt::format("    {:>{}}  ", "", w);
    for (const std::string& l : labels) head += fmt::format(" {:>{}}", l, w);
    fmt::print("{}\n", head);
    for (std::size_t q = 0; q < n; ++q) {
        std::string line = fmt::format("    {:>{}} |", labels[q], w);
        for (bool b : m[q]) line += fmt::format(" {:>{}}", b ? "1" : "", w);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        fmt::print("{}\n", line);
    }
}

}  // namespace

std::string selector_row(const std::vector<bool>& row) {
    std::string s;
    s.reserve(row.size());
    for (bool b : row) s += b ? '1' : '0';
    return s;
}

void print_rasp_result(const rasp::Named& nm, const rasp::Evaluation& ev, const std::vector<rasp::Value>& tokens) {
    switch (nm.ref.kind) {
        case rasp::Ref::Kind::Sop:
            fmt::print("s-op {} = {}\n", nm.name, rasp::format_sequence(ev.sops[nm.ref.id]));
            break;
        case rasp::Ref::Kind::Selector:
            fmt::print("selector {}:\n", nm.name);
            print_selector(ev.sels[nm.ref.id], tokens);
            break;
        case rasp::Ref::Kind::Constant:
            fmt::print("value {} = {}\n", nm.name, rasp::format_value(nm.ref.constant));
            break;
    }
}

}  // namespace ahat::cli
