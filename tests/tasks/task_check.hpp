// Shared by the task tests: loading a task's program, reading its answer from an
// evaluation, printing an instance for failure messages, and the sizes the tests sweep.
#pragma once

#include <string>
#include <vector>

#include "rasp/eval.hpp"
#include "rasp/reader.hpp"
#include "tasks/tasks.hpp"

namespace ahat::tasks::testing {

inline std::string show(const std::vector<rasp::Value>& vs) {
    std::string s;
    for (const auto& v : vs) {
        if (!s.empty()) s += ' ';
        s += rasp::format_value(v);
    }
    return s;
}

// The SOp id of the last assignment named `name` (the last named SOp when name is empty).
inline std::uint32_t output_sop(const rasp::Program& prog, const std::string& name) {
    for (auto it = prog.named.rbegin(); it != prog.named.rend(); ++it)
        if (it->ref.kind == rasp::Ref::Kind::Sop && (name.empty() || it->name == name))
            return it->ref.id;
    fail({}, "{}: no SOp named '{}'", prog.file, name);
}

// The tokens as the string front end spells them (strings, or integers in decimal).
inline std::vector<std::string> spelled(const Tokens& in) {
    std::vector<std::string> out;
    for (const auto& v : in)
        out.push_back(v.is_string() ? std::get<std::string>(v.v) : to_string(std::get<Rational>(v.v)));
    return out;
}

// Instance n of a sweep: n = 1..max_small, then the listed large sizes; at least min_size.
inline std::vector<std::size_t> sizes(const Task& t, std::size_t max_small,
                                      const std::vector<std::size_t>& large) {
    std::vector<std::size_t> out;
    for (std::size_t n = t.min_size; n <= max_small; ++n) out.push_back(n);
    out.insert(out.end(), large.begin(), large.end());
    return out;
}

}  // namespace ahat::tasks::testing
