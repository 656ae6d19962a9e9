// ahat rasp run PROG.rasp [--input TEXT] [--no-prelude] [--json]
// Evaluates a RASP program with the reference evaluator and prints every named result, in
// the order the program assigns them: s-ops as sequences, selectors as matrices (rows are
// queries, columns keys), constants as values. Without --input, the program's own
// `set example` is the input. Notes on accepted REPL commands go to stderr.
#include "cli/common.hpp"
#include "cli/rasp_print.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

namespace ahat::cli {
namespace {

struct RaspRunArgs {
    std::string file;
    std::optional<std::string> input;
    bool json = false, no_prelude = false;
};

json value_json(const rasp::Value& v) {
    if (v.is_bool()) return std::get<bool>(v.v);
    if (v.is_string()) return std::get<std::string>(v.v);
    if (v.is_number()) return to_string(std::get<Rational>(v.v));
    return nullptr;
}

int rasp_run(const RaspRunArgs& a) {
    const rasp::Program prog = rasp::load_rasp(a.file, rasp::ReadOptions{!a.no_prelude});
    for (const auto& [loc, what] : prog.notes) fmt::print(stderr, "ahat: note: {}: {}\n", loc.str(), what);
    if (!a.input && !prog.example)
        fail(SourceLoc{a.file, 0, 0}, "no input: give --input, or set one in the program (set example \"...\")");
    const std::vector<rasp::Value> tokens = rasp::parse_tokens(prog, a.input ? *a.input : *prog.example);
    const rasp::Evaluation ev = rasp::evaluate(prog, tokens);
    const char* kind = prog.tokens == rasp::Program::TokenKind::String ? "string" : "integer";
    if (a.json) {
        json results = json::array();
        for (const rasp::Named& nm : prog.named) {
            json r{{"name", nm.name}};
            switch (nm.ref.kind) {
                case rasp::Ref::Kind::Sop: {
                    const auto& vals = ev.sops[nm.ref.id];
                    json values = json::array();
                    for (const rasp::Value& v : vals) values.push_back(value_json(v));
                    r["kind"] = "s-op";
                    r["type"] = rasp::sequence_type(vals);
                    r["values"] = std::move(values);
                    break;
                }
                case rasp::Ref::Kind::Selector: {
                    json rows = json::array();
                    for (const auto& row : ev.sels[nm.ref.id]) rows.push_back(selector_row(row));
                    r["kind"] = "selector";
                    r["rows"] = std::move(rows);
                    break;
                }
                case rasp::Ref::Kind::Constant:
                    r["kind"] = "value";
                    r["value"] = value_json(nm.ref.constant);
                    break;
            }
            results.push_back(std::move(r));
        }
        json tok = json::array();
        for (const rasp::Value& t : tokens) tok.push_back(value_json(t));
        print_json(json{{"program", a.file}, {"token_kind", kind}, {"tokens", tok}, {"n", tokens.size()},
                        {"results", results}});
        return 0;
    }
    fmt::print("program {} ({} tokens), input {} (n = {})\n", a.file, kind, rasp::format_sequence(tokens), tokens.size());
    for (const rasp::Named& nm : prog.named) print_rasp_result(nm, ev, tokens);
    return 0;
}

}  // namespace

void register_rasp_run(CLI::App& app, Action& action) {
    auto args = std::make_shared<RaspRunArgs>();
    CLI::App& group = command_group(app, "rasp", "RASP programs: run them with the reference evaluator, compile them");
    CLI::App* sub = group.add_subcommand("run", "Evaluate a RASP program on one input and print every named result");
    sub->add_option("program", args->file, "the RASP program (.rasp)")->required();
    sub->add_option("--input,-i", args->input,
                    "the input: a string (\"hello\": one token per character) or, for programs using tokens_int, "
                    "integers separated by spaces or commas (\"3 1 2\"); default: the program's `set example`")
        ;
    sub->add_flag("--no-prelude", args->no_prelude, "do not preload the library (count, shift, sort, ...; docs/rasp.md)");
    sub->add_flag("--json", args->json, "print one JSON document");
    sub->callback([&action, args] { action = [args] { return rasp_run(*args); }; });
}

}  // namespace ahat::cli
