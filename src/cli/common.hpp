// Shared pieces of the `ahat` subcommands: registration, input parsing, output helpers.
// Only src/cli includes CLI11 and prints.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "exact/linalg.hpp"
#include "support/error.hpp"

namespace ahat {
struct CompiledCircuit;  // compile/compiled_io.hpp
}  // namespace ahat
namespace ahat::capture {
struct Subject;     // capture/sweep.hpp
struct SizeResult;  // capture/sweep.hpp
enum class Format : std::uint8_t;  // capture/sweep.hpp
}  // namespace ahat::capture

namespace ahat::cli {

using json = nlohmann::ordered_json;

// Thrown by a subcommand when a check it ran failed: exit code 1.
struct CheckFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Each subcommand registers itself; `run` is called after parsing succeeds and returns the
// exit code.
using Action = std::function<int()>;
void register_eval(CLI::App& app, Action& action);
void register_run(CLI::App& app, Action& action);
void register_info(CLI::App& app, Action& action);
void register_gen(CLI::App& app, Action& action);
void register_demo(CLI::App& app, Action& action);
void register_bench(CLI::App& app, Action& action);
void register_verify(CLI::App& app, Action& action);
void register_compile(CLI::App& app, Action& action);    // src/cli/compile.cpp
void register_decompile(CLI::App& app, Action& action);  // src/cli/decompile.cpp
void register_lang_compare(CLI::App& app, Action& action);  // src/cli/lang_compare.cpp (lang compare, lang verify)
void register_capture(CLI::App& app, Action& action);    // src/cli/capture.cpp
void register_bench_rasp(CLI::App& app, Action& action); // src/cli/bench_rasp.cpp
void register_lang_classify(CLI::App& app, Action& action);  // src/cli/lang_classify.cpp
void register_rasp_run(CLI::App& app, Action& action);   // src/cli/rasp_run.cpp
void register_rasp_compile(CLI::App& app, Action& action);  // src/cli/rasp_compile.cpp
void register_rasp_repl(CLI::App& app, Action& action);     // src/cli/rasp_repl.cpp
void register_validate(CLI::App& app, Action& action);   // src/cli/validate.cpp
void register_bench_kernels(CLI::App& app, Action& action);  // src/cli/bench_kernels.cpp
void register_budget(CLI::App& app, Action& action);         // src/cli/budget.cpp
void register_sinks(CLI::App& app, Action& action);          // src/cli/sinks.cpp
void register_cascade(CLI::App& app, Action& action);        // src/cli/cascade.cpp
void register_weights(CLI::App& app, Action& action);        // src/cli/weights.cpp (export, import)
void register_bench_sinks(CLI::App& app, Action& action);    // src/cli/bench_sinks.cpp
void register_bench_mpi(CLI::App& app, Action& action);      // src/cli/bench_mpi.cpp
void register_merge(CLI::App& app, Action& action);          // src/cli/merge.cpp

// The whole command line: parse, run one subcommand, map failures to exit codes (main.cpp;
// `ahat merge` and ahat-mpi call it again with a sweep's command line).
int cli_main(int argc, char** argv);

// The one --sizes grammar (capture::parse_sizes: A..B, A..B*K, lists) over an option's values
// (the option may be repeated or given several words: they are joined by commas).
std::vector<std::size_t> sizes_from(const std::vector<std::string>& texts, const std::string& option, std::size_t max);

// A comma-separated list (empty items dropped). Defined in capture.cpp.
std::vector<std::string> split_list(const std::string& s);
// The subject of capture and validate: a task name, or a .rasp file with its SOp name and
// alphabet (parse_alphabet); integer-token tasks fix their vocabulary for the largest size.
// Defined in capture.cpp.
capture::Subject subject_from(const std::string& subject, const std::string& name, const std::string& alphabet,
                              const std::vector<std::size_t>& sizes);
// One size of a capture sweep as a sweep record (cli/sweep.hpp) and back, exactly (rationals
// as their strings). Defined in capture.cpp.
json size_json(const capture::SizeResult& z);
capture::SizeResult size_from_json(const json& j);
// A precision's name (capture::format_name) back from a record; InputError for any other.
capture::Format format_from(const json& j);
// The subject of the analyses (budget, sinks, cascade): subject_from's, or an encoder .json
// file (analysis/encoder_subject.hpp). Defined in sinks.cpp.
capture::Subject analysis_subject(const std::string& subject, const std::string& name, const std::string& alphabet,
                                  const std::vector<std::size_t>& sizes);

// Numbers on the command line: the one parser of numeric option values. An integer is
// decimal digits, with a leading '-' only where lo < 0; a real is a decimal or scientific
// number. Text of another form, or a value outside [lo, hi] (overflow, NaN and infinities
// included), is an InputError naming the option (exit 2): never wrapped, saturated or NaN.
std::uint64_t parse_unsigned(std::string_view text, const std::string& option, std::uint64_t lo, std::uint64_t hi);
std::int64_t parse_signed(std::string_view text, const std::string& option, std::int64_t lo, std::int64_t hi);
double parse_real(std::string_view text, const std::string& option, double lo, double hi);

template <class T>
T parse_number(std::string_view text, const std::string& option, T lo, T hi) {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(parse_real(text, option, lo, hi));
    else if constexpr (std::is_signed_v<T>) return static_cast<T>(parse_signed(text, option, lo, hi));
    else return static_cast<T>(parse_unsigned(text, option, lo, hi));
}

// Refuses a length `option` whose words over `letters` letters, of every length up to it,
// number more than 2^24: checking each of them would not finish.
void check_word_count(std::size_t letters, std::size_t max_len, const std::string& option);

// The name errors give an option declared as `names` ("--size,-n": "--size").
std::string option_name(const std::string& names);

// Declares a numeric option read by parse_number into `value` (whose value before parsing
// is the default --help shows); an optional one stays empty unless given.
template <class T>
CLI::Option* add_number(CLI::App* app, const std::string& names, T& value, const std::string& help,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
    const std::string name = option_name(names);
    CLI::Option* o = app->add_option_function<std::string>(
        names, [&value, name, lo, hi](const std::string& text) { value = parse_number<T>(text, name, lo, hi); }, help);
    return o->type_name(std::is_floating_point_v<T> ? "REAL" : "INT")->default_str(fmt::format("{}", value));
}
template <class T>
CLI::Option* add_number(CLI::App* app, const std::string& names, std::optional<T>& value, const std::string& help,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
    const std::string name = option_name(names);
    CLI::Option* o = app->add_option_function<std::string>(
        names, [&value, name, lo, hi](const std::string& text) { value = parse_number<T>(text, name, lo, hi); }, help);
    return o->type_name(std::is_floating_point_v<T> ? "REAL" : "INT");
}
// A list: comma-separated values, or the option repeated.
template <class T>
CLI::Option* add_number(CLI::App* app, const std::string& names, std::vector<T>& values, const std::string& help,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
    const std::string name = option_name(names);
    CLI::Option* o = app->add_option_function<std::vector<std::string>>(
        names,
        [&values, name, lo, hi](const std::vector<std::string>& texts) {
            values.clear();
            for (const std::string& t : texts) values.push_back(parse_number<T>(t, name, lo, hi));
        },
        help);
    return o->delimiter(',')->type_name(std::is_floating_point_v<T> ? "REAL,..." : "INT,...")->default_str(fmt::format("{}", fmt::join(values, ",")));
}

// The subcommand `name` of app, created (requiring one subcommand of its own) if absent, so
// that several files can add commands under one group (`ahat rasp run`, `ahat rasp compile`).
CLI::App& command_group(CLI::App& app, const std::string& name, const std::string& description);

enum class Precision { Exact, Double, Float, BFloat16 };
Precision parse_precision(const std::string& s);  // InputError on anything else
std::string_view precision_name(Precision p);

// Rationals separated by commas and/or white space; `source` names the text in errors.
std::vector<Rational> parse_values(std::string_view text, const std::string& source, std::uint32_t line = 1);
// Rows separated by ';' or newlines, each a list of values; every row must have `cols` values.
Matrix<Rational> parse_rows(std::string_view text, const std::string& source, std::size_t cols);

json rationals_json(const std::vector<Rational>& v);

// The value, or null where there is none (records keep every key).
template <class T>
json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

// The shape of a compiled circuit as JSON fields (construction, K, circuit_depth, layers,
// heads, width, tokens), shared by `ahat compile` and `ahat info`; defined in compile.cpp.
json compiled_shape_json(const ahat::CompiledCircuit& cc);
// Print one JSON document on stdout.
void print_json(const json& j);

// An alphabet as given on the command line or in a file (docs/cli.md, "Alphabets"): text
// without white space is one symbol per code point (commas included); text with white space
// is the words between it, where \s, \t, \n and \\ name a space, tab, newline and
// backslash. A repeated symbol is an error at `where`.
std::vector<std::string> parse_alphabet(std::string_view text, const std::string& where);
// Write text to a file atomically, or to stdout when path is empty or "-".
void emit(const std::string& path, const std::string& text);

}  // namespace ahat::cli
