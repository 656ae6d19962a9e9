// ahat capture TASK|PROG.rasp [--sizes 8..2048*2] [--samples N] [--seed S]
//              [--precision exact,double,float,bfloat16] [--tie-tolerance T] [--max-bits B]
//              [--name SOP] [--alphabet A] [--json | --csv] [--svg FILE]
// The capture check of src/capture (docs/capture.md): exact and numeric accuracy per size,
// exact attention margins, predicted and observed break sizes, the weights hash per size.
#include <unistd.h>

#include <algorithm>

#include "capture/report.hpp"
#include "capture/subjects.hpp"
#include "circuit/eval.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"

namespace ahat::cli {
namespace {

struct CaptureArgs {
    std::string subject, sizes = "8..2048*2", precision = "exact,double,float,bfloat16", name, alphabet, svg;
    std::size_t samples = 10, max_bits = kDefaultMaxBits;
    std::uint64_t seed = 1;
    std::optional<double> tie_tolerance;
    bool json = false, csv = false, quiet = false;
};

int run_capture(const CaptureArgs& a) {
    if (a.json && a.csv) fail(SourceLoc{"--csv", 0, 0}, "give --json or --csv, not both");
    capture::SweepOptions o;
    o.sizes = capture::parse_sizes(a.sizes);
    o.samples = a.samples;
    o.seed = a.seed;
    o.tie_tolerance = a.tie_tolerance;
    o.max_bits = a.max_bits;
    o.formats.clear();
    for (const std::string& p : split_list(a.precision)) {
        auto f = capture::parse_format(p);
        if (!f) fail(SourceLoc{"--precision", 0, 0}, "unknown precision '{}' (exact, double, float, bfloat16)", p);
        o.formats.push_back(*f);
    }
    const capture::Subject subject = subject_from(a.subject, a.name, a.alphabet, o.sizes);
    std::vector<std::size_t> owned;  // the sizes this process runs, for the progress bar
    for (std::size_t i : owned_items(o.sizes.size())) owned.push_back(o.sizes[i]);
    auto progress = std::make_shared<Progress>("capture", size_work(owned), a.quiet);
    SweepItems items;  // one per size
    items.count = o.sizes.size();
    items.key = [&](std::size_t i) { return fmt::format("n = {}", o.sizes[i]); };
    items.compute = [&](std::size_t i) {
        progress->step(fmt::format("{}: n = {}", subject.name, o.sizes[i]));
        return size_json(capture::sweep_size(subject, o, o.sizes[i]));
    };
    items.read = [](const json& j) { (void)size_from_json(j); };
    const std::optional<std::vector<json>> results = run_sweep(items);
    progress->finish();
    if (!results) return 0;
    std::vector<capture::SizeResult> sizes;
    for (const json& j : *results) sizes.push_back(size_from_json(j));
    const capture::SweepResult r = capture::sweep_result(subject, o, std::move(sizes));
    if (!a.svg.empty()) emit(a.svg, capture::svg_plot(r));
    if (a.json) fmt::print("{}", capture::json_lines(r));
    else if (a.csv) fmt::print("{}", capture::csv_report(r));
    else fmt::print("{}", capture::table_report(r));
    if (!r.not_compilable.empty()) {
        if (!r.reference_ok) throw CheckFailed("the RASP evaluator disagrees with the task's solver");
        return 0;
    }
    if (!r.exact_ok) throw CheckFailed("exact accuracy is below 100% for a compiled program");
    if (!r.hashes_ok) throw CheckFailed("the compiled encoder's weights differ between sizes");
    return 0;
}

}  // namespace

// One size's result as a sweep record, and back (cli/sweep.hpp).
json size_json(const capture::SizeResult& z) {
    json formats = json::array();
    for (const capture::FormatResult& f : z.formats)
        formats.push_back(json{{"format", capture::format_name(f.format)}, {"tie_tolerance", f.tie_tolerance},
                               {"samples", f.samples}, {"correct", f.correct}, {"wrong_positions", f.wrong_positions},
                               {"differs_from_exact", f.differs_from_exact}, {"argmax_differs", f.argmax_differs}});
    return json{{"n", z.n}, {"weights_hash", z.weights_hash}, {"formats", formats},
                {"margin", exact_or_null(z.margin)}, {"relative_margin", exact_or_null(z.relative_margin)},
                {"scale", to_string(z.scale)}, {"layer", z.layer}, {"head", z.head}, {"position", z.position},
                {"implied_bits", or_null(z.implied_bits)}, {"tolerance_margin", exact_or_null(z.tolerance_margin)},
                {"reference_samples", z.reference_samples}, {"reference_agree", z.reference_agree}, {"seconds", z.seconds}};
}

capture::SizeResult size_from_json(const json& j) {
    capture::SizeResult z;
    z.n = j.at("n").get<std::size_t>();
    z.weights_hash = j.at("weights_hash").get<std::string>();
    for (const json& f : j.at("formats")) {
        capture::FormatResult fr;
        fr.format = format_from(f.at("format"));
        fr.tie_tolerance = f.at("tie_tolerance").get<double>();
        fr.samples = f.at("samples").get<std::size_t>(), fr.correct = f.at("correct").get<std::size_t>();
        fr.wrong_positions = f.at("wrong_positions").get<std::size_t>();
        fr.differs_from_exact = f.at("differs_from_exact").get<std::size_t>();
        fr.argmax_differs = f.at("argmax_differs").get<std::size_t>();
        z.formats.push_back(fr);
    }
    z.margin = exact_from(j.at("margin")), z.relative_margin = exact_from(j.at("relative_margin"));
    const std::optional<Rational> scale = exact_from(j.at("scale"));
    if (!scale) fail(SourceLoc{}, "no scale");
    z.scale = *scale;
    z.layer = j.at("layer").get<std::size_t>(), z.head = j.at("head").get<std::size_t>(), z.position = j.at("position").get<std::size_t>();
    z.implied_bits = none_or<double>(j.at("implied_bits"));
    z.tolerance_margin = exact_from(j.at("tolerance_margin"));
    z.reference_samples = j.at("reference_samples").get<std::size_t>(), z.reference_agree = j.at("reference_agree").get<std::size_t>();
    z.seconds = j.at("seconds").get<double>();
    return z;
}

capture::Format format_from(const json& j) {
    const auto f = capture::parse_format(j.get<std::string>());
    if (!f) fail(SourceLoc{}, "unknown precision {}", j.dump());
    return *f;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t e = s.find(',', pos);
        if (e == std::string::npos) e = s.size();
        if (e > pos) out.push_back(s.substr(pos, e - pos));
        pos = e + 1;
    }
    return out;
}

capture::Subject subject_from(const std::string& subject, const std::string& name, const std::string& alphabet,
                              const std::vector<std::size_t>& sizes) {
    const bool is_rasp = subject.size() > 5 && subject.ends_with(".rasp");
    if (!is_rasp && (!name.empty() || !alphabet.empty()))
        fail(SourceLoc{"--name", 0, 0}, "--name and --alphabet are for .rasp files; a task brings its own");
    return is_rasp ? capture::rasp_subject(subject, name, parse_alphabet(alphabet, "--alphabet"))
                   : capture::task_subject(subject, *std::max_element(sizes.begin(), sizes.end()));
}

void register_capture(CLI::App& app, Action& action) {
    auto a = std::make_shared<CaptureArgs>();
    CLI::App* sub = app.add_subcommand("capture", "Capture check: a compiled task across sizes, exact and in floating point");
    sub->add_option("subject", a->subject, "a task name (see docs/tasks.md) or a .rasp file")->required();
    sub->add_option("--sizes", a->sizes, "A..B (every integer), A..B*2 (powers of two from A to B) or a list A,B,C")
        ->capture_default_str();
    add_number(sub, "--samples", a->samples, "instances per size", 1, 100000);
    add_number(sub, "--seed", a->seed, "random seed", 0, UINT64_MAX);
    sub->add_option("--precision", a->precision, "formats to run (exact always runs)")->capture_default_str();
    add_number(sub, "--tie-tolerance", a->tie_tolerance, "numeric tie tolerance (default: each format's)", 0, 1);
    add_number(sub, "--max-bits", a->max_bits, "exact runs' resource guard (0: none)", 0, 1 << 30);
    sub->add_option("--name", a->name, ".rasp files: the SOp to compile (default: the last named)");
    sub->add_option("--alphabet", a->alphabet, ".rasp files: tokens to draw, 'abc' (one per character, commas included) or '0 1 2' (separated by white space)");
    sub->add_flag("--json", a->json, "JSON Lines: one object per size, then a summary");
    sub->add_flag("--csv", a->csv, "CSV, one row per size and format");
    sub->add_option("--svg", a->svg, "write a plot of accuracy against size");
    sub->add_flag("--quiet", a->quiet, "no progress on stderr");
    add_sweep_flags(sub);
    sub->callback([a, &action] { action = [a] { return run_capture(*a); }; });
}

}  // namespace ahat::cli
