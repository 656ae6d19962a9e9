// ahat validate TASK|PROG.rasp [--sizes 8..65536*2] [--samples N] [--seed S]
//               [--precision double,float,bfloat16] [--order reference|fast] [--tie-tolerance T]
//               [--exact-up-to N] [--threads T] [--as-softmax] [--beta-max B]
//               [--name SOP] [--alphabet A] [--json | --csv] [--quiet]
// The numeric engine against exact runs and the subject's reference at scale
// (src/numeric/validate.hpp, docs/numeric.md).
#include <cmath>

#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"
#include "capture/validate.hpp"

namespace ahat::cli {
namespace {

struct ValidateArgs {
    std::string subject, sizes = "8..65536*2", precision = "double,float,bfloat16", order = "reference", device = "cpu", name, alphabet;
    std::size_t samples = 16, exact_up_to = 512, bfloat16_up_to = 4096;
    std::uint64_t seed = 1;
    std::optional<double> tie_tolerance;
    int threads = 0;
    double beta_max = 0x1p40;
    bool as_softmax = false, json_out = false, csv = false, quiet = false;
};

json row_json(const capture::ValidateRow& r, const std::string& order) {
    json j{{"type", "size"},
                {"n", r.n},
                {"format", capture::format_name(r.format)},
                {"order", order},
                {"tie_tolerance", r.tie_tolerance},
                {"samples", r.samples},
                {"correct", r.correct},
                {"accuracy", r.samples ? double(r.correct) / double(r.samples) : 1.0},
                {"wrong_positions", r.wrong_positions},
                {"exact_agree", or_null(r.exact_agree)},
                {"argmax_agree", or_null(r.argmax_agree)},
                {"max_error", or_null(r.max_error)},
                {"seconds", r.seconds},
                {"tokens_per_second", r.tokens_per_second},
                {"beta", or_null(r.beta)}};
    put_rational(j, "margin", r.margin);
    return j;
}

// One row as a sweep record (cli/sweep.hpp), and back exactly.
json row_record(const capture::ValidateRow& r) {
    return json{{"n", r.n}, {"format", capture::format_name(r.format)}, {"tie_tolerance", r.tie_tolerance},
                {"samples", r.samples}, {"correct", r.correct}, {"wrong_positions", r.wrong_positions},
                {"exact_agree", or_null(r.exact_agree)}, {"argmax_agree", or_null(r.argmax_agree)},
                {"max_error", real_record(r.max_error)}, {"seconds", r.seconds}, {"tokens_per_second", r.tokens_per_second},
                {"beta", real_record(r.beta)}, {"margin", exact_or_null(r.margin)}, {"beta_found", r.beta_found}};
}

capture::ValidateRow row_from_record(const json& j) {
    capture::ValidateRow r;
    r.n = j.at("n").get<std::size_t>();
    r.format = format_from(j.at("format"));
    r.tie_tolerance = j.at("tie_tolerance").get<double>();
    r.samples = j.at("samples").get<std::size_t>(), r.correct = j.at("correct").get<std::size_t>();
    r.wrong_positions = j.at("wrong_positions").get<std::size_t>();
    r.exact_agree = none_or<std::size_t>(j.at("exact_agree")), r.argmax_agree = none_or<std::size_t>(j.at("argmax_agree"));
    r.max_error = real_from(j.at("max_error"));
    r.seconds = j.at("seconds").get<double>(), r.tokens_per_second = j.at("tokens_per_second").get<double>();
    r.beta = real_from(j.at("beta"));
    r.margin = exact_from(j.at("margin"));
    r.beta_found = j.at("beta_found").get<bool>();
    return r;
}

capture::ValidateSize size_from_record(const json& j) {
    capture::ValidateSize z;
    for (const json& r : j.at("rows")) z.rows.push_back(row_from_record(r));
    if (!j.at("margins").is_null()) z.margins = size_from_json(j.at("margins"));
    z.exact_ok = j.at("exact_ok").get<bool>();
    return z;
}

std::string opt_size(const std::optional<std::size_t>& v) { return v ? fmt::format("{}", *v) : "none"; }
std::string opt_double(const std::optional<double>& v, const char* spec = "{:.3g}") {
    return v ? fmt::format(fmt::runtime(spec), *v) : "none";
}

int run_validate(const ValidateArgs& a) {
    if (a.json_out && a.csv) fail(SourceLoc{"--csv", 0, 0}, "give --json or --csv, not both");
    capture::ValidateOptions o;
    o.sizes = capture::parse_sizes(a.sizes);
    o.samples = a.samples, o.seed = a.seed, o.tie_tolerance = a.tie_tolerance, o.exact_up_to = a.exact_up_to;
    o.bfloat16_up_to = a.bfloat16_up_to;
    o.threads = a.threads, o.as_softmax = a.as_softmax, o.beta_max = a.beta_max;
    if (a.order == "reference") o.order = numeric::Order::Reference;
    else if (a.order == "fast") o.order = numeric::Order::Fast;
    else fail(SourceLoc{"--order", 0, 0}, "unknown order '{}' (reference, fast)", a.order);
    o.device = numeric::parse_device(a.device);
    if (o.device == numeric::Device::Cuda) numeric::require_cuda();
    if (a.tie_tolerance && !(*a.tie_tolerance >= 0 && *a.tie_tolerance < 1))
        fail(SourceLoc{"--tie-tolerance", 0, 0}, "the tie tolerance must lie in [0, 1), got {}", *a.tie_tolerance);
    if (!(a.beta_max >= 1 && std::isfinite(a.beta_max))) fail(SourceLoc{"--beta-max", 0, 0}, "--beta-max must be a finite number >= 1");
    o.formats.clear();
    for (const std::string& p : split_list(a.precision)) {
        auto f = capture::parse_format(p);
        if (!f || *f == capture::Format::Exact)
            fail(SourceLoc{"--precision", 0, 0}, "unknown numeric precision '{}' (double, float, bfloat16)", p);
        o.formats.push_back(*f);
    }
    const capture::Subject subject = subject_from(a.subject, a.name, a.alphabet, o.sizes);
    std::vector<std::size_t> owned;  // the sizes this process runs, for the progress bar
    for (std::size_t i : owned_items(o.sizes.size())) owned.push_back(o.sizes[i]);
    auto progress = std::make_shared<Progress>("validate", size_work(owned), a.quiet);
    const capture::Validator v(subject, o);
    SweepItems items;  // one per size
    items.count = o.sizes.size();
    items.key = [&](std::size_t i) { return fmt::format("n = {}", o.sizes[i]); };
    items.compute = [&](std::size_t i) {
        progress->step(fmt::format("{}: n = {}, {} samples", subject.name, o.sizes[i], o.samples));
        const capture::ValidateSize z = v.size(o.sizes[i]);
        json rows = json::array();
        for (const capture::ValidateRow& r : z.rows) rows.push_back(row_record(r));
        return json{{"rows", rows}, {"margins", z.margins ? size_json(*z.margins) : json(nullptr)}, {"exact_ok", z.exact_ok}};
    };
    items.read = [](const json& j) { (void)size_from_record(j); };
    const std::optional<std::vector<json>> results = run_sweep(items);
    progress->finish();
    if (!results) return 0;
    std::vector<capture::ValidateSize> sizes;
    for (const json& j : *results) sizes.push_back(size_from_record(j));
    const capture::ValidateResult r = v.result(sizes);
    if (a.json_out) {
        for (const auto& row : r.rows) fmt::print("{}\n", row_json(row, a.order).dump());
        for (const auto& s : r.summaries)
            fmt::print("{}\n", json{{"type", "summary"},
                                    {"subject", r.subject},
                                    {"format", capture::format_name(s.format)},
                                    {"first_failure", or_null(s.first_failure)},
                                    {"predicted_break", or_null(s.predicted_break)},
                                    {"beta_slope", or_null(s.beta_slope)},
                                    {"margin_slope", or_null(s.margin_slope)},
                                    {"exact_ok", r.exact_ok}}
                                   .dump());
    } else if (a.csv) {
        fmt::print("n,format,order,tie_tolerance,samples,correct,accuracy,wrong_positions,exact_agree,argmax_agree,max_error,seconds,tokens_per_second,beta,margin_float\n");
        auto cell = [](const json& j) { return j.is_null() ? std::string() : j.dump(); };
        for (const auto& row : r.rows) {
            const json j = row_json(row, a.order);
            std::string line;
            for (const char* k : {"n", "format", "order", "tie_tolerance", "samples", "correct", "accuracy", "wrong_positions", "exact_agree",
                                  "argmax_agree", "max_error", "seconds", "tokens_per_second", "beta", "margin_float"}) {
                if (!line.empty()) line += ',';
                line += j[k].is_string() ? j[k].get<std::string>() : cell(j[k]);
            }
            fmt::print("{}\n", line);
        }
    } else {
        fmt::print("validate {}: numeric engine ({} order) against exact runs (n <= {}) and the reference\n", r.subject, a.order, a.exact_up_to);
        fmt::print("  {:>7} {:<9} {:>9} {:>10} {:>10} {:>10} {:>12}{}\n", "n", "format", "accuracy", "exact-agree", "argmax-agree",
                   "max-error", "tokens/s", a.as_softmax ? "  beta*" : "");
        for (const auto& row : r.rows)
            fmt::print("  {:>7} {:<9} {:>8.1f}% {:>10} {:>10} {:>10} {:>12.3g}{}\n", row.n, capture::format_name(row.format),
                       100.0 * double(row.correct) / double(std::max<std::size_t>(row.samples, 1)),
                       row.exact_agree ? fmt::format("{}/{}", *row.exact_agree, row.samples) : "-",
                       row.argmax_agree ? fmt::format("{}/{}", *row.argmax_agree, row.samples) : "-", opt_double(row.max_error),
                       row.tokens_per_second, a.as_softmax ? "  " + opt_double(row.beta, "{:.4g}") : "");
        for (const auto& s : r.summaries)
            fmt::print("  {}: first failing size {}, capture's predicted break {}{}\n", capture::format_name(s.format),
                       opt_size(s.first_failure), opt_double(s.predicted_break, "{:.0f}"),
                       a.as_softmax ? fmt::format(", beta*(n) ~ n^{} beside exact gap ~ n^{}", opt_double(s.beta_slope, "{:.2f}"),
                                                  opt_double(s.margin_slope, "{:.2f}"))
                                    : "");
        fmt::print("  assumptions: tie tolerance per format (docs/semantics.md), {} samples per size, seed {}\n", a.samples, a.seed);
    }
    if (!r.exact_ok) throw CheckFailed("the exact run disagrees with the subject's reference");
    return 0;
}

}  // namespace

void register_validate(CLI::App& app, Action& action) {
    auto a = std::make_shared<ValidateArgs>();
    CLI::App* sub = app.add_subcommand("validate", "The numeric engine against exact runs and the reference, across sizes and precisions");
    sub->add_option("subject", a->subject, "a task name (docs/tasks.md) or a .rasp file")->required();
    sub->add_option("--sizes", a->sizes, "A..B (every integer), A..B*2 (powers of two from A to B) or a list A,B,C")
        ->capture_default_str();
    add_number(sub, "--samples", a->samples, "instances per size (one batch)", 1, 100000);
    add_number(sub, "--seed", a->seed, "random seed", 0, UINT64_MAX);
    sub->add_option("--precision", a->precision, "numeric formats to run")->capture_default_str();
    sub->add_option("--order", a->order, "reference (bit-for-bit the interpreter) or fast")->capture_default_str();
    sub->add_option("--device", a->device, "cpu, or cuda (each layer's attention on the GPU)")->capture_default_str();
    add_number(sub, "--tie-tolerance", a->tie_tolerance, "numeric tie tolerance (default: each format's)", 0, 1);
    add_number(sub, "--exact-up-to", a->exact_up_to, "run the exact interpreter for sizes up to this", 0, 1 << 30);
    add_number(sub, "--bfloat16-up-to", a->bfloat16_up_to, "run the emulated bfloat16 format for sizes up to this (it is scalar: O(n^2) per head)", 0, 1 << 30);
    add_number(sub, "--threads", a->threads, "threads (0: every core)", 0, 4096);
    sub->add_flag("--as-softmax", a->as_softmax, "run average-hard heads as softmax and search the smallest beta that decodes");
    add_number(sub, "--beta-max", a->beta_max, "largest beta tried by --as-softmax", 0, 1e300);
    sub->add_option("--name", a->name, ".rasp files: the SOp to compile (default: the last named)");
    sub->add_option("--alphabet", a->alphabet, ".rasp files: tokens to draw, 'abc' (one per character, commas included) or '0 1 2' (separated by white space)");
    sub->add_flag("--json", a->json_out, "JSON Lines: one record per size and format (type \"size\"), then one per format (type \"summary\")");
    sub->add_flag("--csv", a->csv, "CSV, one row per size and format");
    sub->add_flag("--quiet", a->quiet, "no progress lines on stderr");
    add_sweep_flags(sub);
    sub->callback([a, &action] { action = [a] { return run_validate(*a); }; });
}

}  // namespace ahat::cli
