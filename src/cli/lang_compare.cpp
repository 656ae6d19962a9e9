// ahat lang compare LANGS [--models M,...] [--max-len L] [--random-len R] [--json]
// ahat lang verify FORMULA --model M [--rule R] [--max-len L] [--random-len R] [--json]
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"
#include "encoder/encoder_json.hpp"
#include "support/plural.hpp"

#include <cctype>
#include <filesystem>
#include "lang/compare.hpp"

namespace ahat::cli {
namespace {

using namespace ahat::lang;

struct CompareArgs {
    std::string languages,
        models = "global,global-exact,local-1,local-2,local-2-exact,hybrid-1,hybrid-2,hybrid-2-exact,rightmost",
        rule = "average-hard";
    CompareOptions o;
    std::size_t max_states = kDefaultMaxStates;
    bool json = false, csv = false;
    std::string emit_dir;
};

struct VerifyArgs {
    std::string formula, model = "global", rule = "average-hard", alphabet;
    LtlVerifyOptions o;
    std::size_t max_layers = 100;
    bool json = false;
    std::string output;
};

// A language or model name as a file name: letters, digits, '-' and '_' kept, the rest '_'.
std::string file_part(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
    return out.empty() ? "_" : out;
}

Rule rule_arg(const std::string& s) {
    auto r = parse_rule(s);
    if (!r) fail(SourceLoc{"--rule", 1, 1}, "unknown rule '{}'", s);
    return *r;
}

std::vector<Model> parse_models(const std::string& list, Rule rule) {
    std::vector<Model> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = std::min(list.find(',', start), list.size());
        out.push_back(parse_model(list.substr(start, end - start), SourceLoc{"--models", 1, static_cast<std::uint32_t>(start + 1)},
                                  rule));
        start = end + 1;
    }
    return out;
}

std::string short_verdict(const Cell& c) {
    switch (c.verdict) {
        case Verdict::Recognized: return fmt::format("yes d{}", c.formula_depth);
        case Verdict::Recognizable: return "yes*";
        case Verdict::NotRecognizable: return "no";
        case Verdict::Undecided: return c.construction_failed ? "FAIL" : "?";
    }
    return "?";
}

json cell_json(const Cell& c) {
    json j{{"language", c.language}, {"model", c.model},   {"logic", c.logic}, {"precision", c.precision},
           {"verdict", verdict_name(c.verdict)}, {"method", c.method}, {"reason", c.reason}};
    if (c.formula) {
        j["formula"] = *c.formula;
        j["depth"] = c.formula_depth;
        j["layers"] = c.layers;
        j["heads"] = c.heads;
        j["width"] = c.width;
        j["verified_max_len"] = c.verified_max_len;
        j["verified_words"] = c.verified_words;
        j["sampled_words"] = c.sampled_words;
        j["sampled_max_len"] = c.sampled_max_len;
    }
    if (c.witness)
        j["witness"] = json{{"member", c.witness->member}, {"non_member", c.witness->non_member}, {"depth", c.witness->depth}};
    else if (!c.witness_note.empty())
        j["witness_note"] = c.witness_note;
    return j;
}

// A cell back from its record (cli/sweep.hpp); the encoder stays behind.
Cell cell_from_json(const json& rec) {
    const json& j = rec.at("cell");
    Cell c;
    c.language = j.at("language").get<std::string>(), c.model = j.at("model").get<std::string>();
    c.logic = j.at("logic").get<std::string>(), c.precision = j.at("precision").get<std::string>();
    for (Verdict v : {Verdict::Recognized, Verdict::Recognizable, Verdict::NotRecognizable, Verdict::Undecided})
        if (j.at("verdict").get<std::string>() == verdict_name(v)) c.verdict = v;
    c.method = j.at("method").get<std::string>(), c.reason = j.at("reason").get<std::string>();
    if (j.contains("formula")) {
        c.formula = j.at("formula").get<std::string>();
        c.formula_depth = j.at("depth").get<std::size_t>();
        c.layers = j.at("layers").get<std::size_t>(), c.heads = j.at("heads").get<std::size_t>(), c.width = j.at("width").get<std::size_t>();
        c.verified_max_len = j.at("verified_max_len").get<std::size_t>(), c.verified_words = j.at("verified_words").get<std::size_t>();
        c.sampled_words = j.at("sampled_words").get<std::size_t>(), c.sampled_max_len = j.at("sampled_max_len").get<std::size_t>();
    }
    if (j.contains("witness"))
        c.witness = WitnessPair{j.at("witness")["member"].get<std::string>(), j.at("witness")["non_member"].get<std::string>(),
                                j.at("witness")["depth"].get<std::uint32_t>()};
    else if (j.contains("witness_note"))
        c.witness_note = j.at("witness_note").get<std::string>();
    c.construction_failed = rec.at("construction_failed").get<bool>();
    return c;
}

int run_compare(const CompareArgs& a) {
    std::vector<Model> models = parse_models(a.models, rule_arg(a.rule));
    std::vector<Language> langs = resolve_languages(a.languages, SourceLoc{"LANGS", 1, 1}, a.max_states);
    for (const Language& l : langs) check_word_count(l.alphabet.size(), a.o.max_len, "--max-len");
    json doc{{"models", json::array()}, {"max_len", a.o.max_len}, {"random_len", a.o.random_len}, {"languages", json::array()}};
    for (const auto& m : models)
        doc["models"].push_back(json{{"name", m.name()},
                                     {"logic", m.logic()},
                                     {"rule", rule_name(m.rule)},
                                     {"precision", m.exact ? "exact" : "fixed"},
                                     {"assumptions", m.assumptions()}});
    if (!a.emit_dir.empty() && sweep_from_records())
        fail(SourceLoc{"--emit", 0, 0}, "--emit writes the encoders of one run: it does not go with --shard, --resume, "
                                        "ahat merge or ahat-mpi, whose records do not hold them");
    // The items: one per language and model, in table order.
    std::vector<std::optional<Encoder>> encoders(langs.size() * models.size());
    SweepItems items;
    items.count = langs.size() * models.size();
    items.key = [&](std::size_t i) { return langs[i / models.size()].name + " " + models[i % models.size()].name(); };
    items.compute = [&](std::size_t i) {
        Cell c = compare_cell(langs[i / models.size()], models[i % models.size()], a.o);
        encoders[i] = std::move(c.encoder);
        return json{{"cell", cell_json(c)}, {"construction_failed", c.construction_failed}};
    };
    items.read = [](const json& j) { (void)cell_from_json(j); };
    const std::optional<std::vector<json>> results = run_sweep(items);
    if (!results) return 0;
    std::vector<std::vector<Cell>> table;
    std::size_t failed = 0;
    for (std::size_t li = 0; li < langs.size(); ++li) {
        const Language& l = langs[li];
        std::vector<Cell> row;
        json cells = json::array();
        for (std::size_t mi = 0; mi < models.size(); ++mi) {
            const std::size_t i = li * models.size() + mi;
            row.push_back(cell_from_json((*results)[i]));
            row.back().encoder = std::move(encoders[i]);
            failed += row.back().construction_failed ? 1 : 0;
            cells.push_back((*results)[i]["cell"]);
        }
        doc["languages"].push_back(json{{"name", l.name}, {"description", l.description}, {"source", l.source},
                                        {"regular", l.regular()}, {"cells", cells}});
        table.push_back(std::move(row));
    }
    if (!a.emit_dir.empty()) {  // the encoders behind the "recognized" cells
        std::error_code ec;
        std::filesystem::create_directories(a.emit_dir, ec);
        if (ec || !std::filesystem::is_directory(a.emit_dir))
            fail(SourceLoc{"--emit", 0, 0}, "cannot create the directory '{}'", a.emit_dir);
        std::size_t written = 0;
        for (const auto& row : table)
            for (const Cell& c : row)
                if (c.encoder) {
                    const auto path = std::filesystem::path(a.emit_dir) / (file_part(c.language) + "." + file_part(c.model) + ".json");
                    write_file_atomic(path.string(), write_encoder(*c.encoder));
                    ++written;
                }
        fmt::print(stderr, "ahat: wrote {} to {}\n", counted(written, "encoder"), a.emit_dir);
    }
    if (a.csv) {
        // one row per language and model: the cells' keys, witness flattened
        RecordWriter records(OutputFlags{false, true},
                             {"language", "model", "logic", "precision", "verdict", "method", "reason", "formula", "depth",
                              "layers", "heads", "width", "verified_max_len", "verified_words", "sampled_words",
                              "sampled_max_len", "witness_member", "witness_non_member", "witness_depth", "witness_note"});
        for (const auto& row : table)
            for (const Cell& c : row) {
                json j = cell_json(c);
                if (j.contains("witness")) {
                    const json w = j["witness"];
                    j.erase("witness");
                    j["witness_member"] = w["member"];
                    j["witness_non_member"] = w["non_member"];
                    j["witness_depth"] = w["depth"];
                }
                records.write(j);
            }
    } else if (a.json) {
        print_json(doc);
    } else {
        fmt::print("models (every input is w$, $ read at the end):\n");
        for (const auto& m : models) fmt::print("  {:<15} {}: {}\n", m.name(), m.logic(), m.assumptions());
        fmt::print("\n");
        std::size_t w = 8;
        for (const auto& l : langs) w = std::max(w, l.name.size());
        fmt::print("{:<{}}", "language", w + 2);
        for (const auto& m : models) fmt::print(" {:<10}", m.name());
        fmt::print("\n");
        for (std::size_t i = 0; i < langs.size(); ++i) {
            fmt::print("{:<{}}", langs[i].name, w + 2);
            for (const auto& c : table[i]) fmt::print(" {:<10}", short_verdict(c));
            fmt::print("\n");
        }
        fmt::print("\nyes dR: recognized by an encoder of a depth-R formula, verified exactly; yes*: recognizable by "
                   "the theorem, not constructed; no: in a fixed-precision column, not definable in its logic (= not "
                   "recognizable at fixed precision), in an -exact column, not recognizable by any encoder of the model "
                   "in exact arithmetic; certificates below; ?: undecided\n");
        for (std::size_t i = 0; i < langs.size(); ++i) {
            fmt::print("\n{}{}\n", langs[i].name, langs[i].description.empty() ? "" : "  (" + langs[i].description + ")");
            for (const auto& c : table[i]) {
                fmt::print("  {:<15} {:<16} ", c.model, verdict_name(c.verdict));
                if (c.formula)
                    fmt::print("{}  [{}; {}, {}, width {}; all {} words <= {}, {} sampled <= {}]", *c.formula,
                               c.method, counted(c.layers, "layer"), counted(c.heads, "head"), c.width, c.verified_words, c.verified_max_len, c.sampled_words,
                               c.sampled_max_len);
                else
                    fmt::print("{}", c.reason);
                if (c.witness)
                    fmt::print("\n  {:<15} {:<16} witness: '{}' in L, '{}' not, equal depth-{} types", "", "", c.witness->member,
                               c.witness->non_member, c.witness->depth);
                fmt::print("\n");
            }
        }
    }
    if (failed) throw CheckFailed(fmt::format("{} synthesized encoders disagreed with their automata", failed));
    return 0;
}

int run_ltl_verify(const VerifyArgs& a) {
    Model m = parse_model(a.model, SourceLoc{"--model", 1, 1}, rule_arg(a.rule));
    Formula f = parse_ltl(a.formula, "FORMULA");
    check_in_model(f, m, SourceLoc{"FORMULA", 1, 1});
    std::string alphabet = a.alphabet.empty() ? "ab" : a.alphabet;
    for (char c : atoms_of(f))
        if (alphabet.find(c) == std::string::npos)
            fail(SourceLoc{"--alphabet", 1, 1}, "the formula's letter '{}' is not in the alphabet '{}'", c, alphabet);
    check_word_count(alphabet.size(), a.o.max_len, "--max-len");
    CompiledLtl c = compile_in_model(f, alphabet, m);
    if (c.layers > a.max_layers)  // verifying takes time growing like the square of the layers
        fail(SourceLoc{"FORMULA", 1, 1}, "the formula compiles to {} layers, more than {} (--max-layers raises the limit)",
             c.layers, a.max_layers);
    LtlVerifyReport r = verify_ltl(c, alphabet, [&](std::string_view w) { return accepts(f, w); }, a.o);
    if (!a.output.empty()) write_file_atomic(a.output, write_encoder(c.enc));  // written even when a check fails
    if (a.json) {
        print_json(json{{"formula", to_string(f)}, {"model", m.name()}, {"logic", m.logic()}, {"rule", rule_name(m.rule)},
                        {"assumptions", m.assumptions()},
                        {"alphabet", alphabet}, {"depth", temporal_depth(f)}, {"layers", c.layers}, {"heads", c.heads},
                        {"width", c.width}, {"max_len", a.o.max_len}, {"exhaustive_words", r.exhaustive},
                        {"random_len", a.o.random_len}, {"sampled_words", r.sampled}, {"failures", r.failures},
                        {"first_failure", r.first_failure}});
    } else {
        fmt::print("{} in {} (model {}: {}): {}, {}, width {}\n", to_string(f), m.logic(), m.name(),
                   m.assumptions(), counted(c.layers, "layer"), counted(c.heads, "head"), c.width);
        fmt::print("all {} words up to length {} and {} sampled words up to length {}: {} disagreements\n", r.exhaustive,
                   a.o.max_len, r.sampled, a.o.random_len, r.failures);
    }
    if (!r.ok()) throw CheckFailed(fmt::format("compiled encoder and evaluator differ on '{}'", r.first_failure));
    return 0;
}

}  // namespace

void register_lang_compare(CLI::App& app, Action& action) {
    CLI::App& group = command_group(app, "lang", "Formal languages: automata, classes, logics and the models");
    auto args = std::make_shared<CompareArgs>();
    CLI::App* sub = group.add_subcommand("compare", "Which attention models recognize which languages, with certificates");
    sub->add_option("languages", args->languages, "comma-separated: library names, re:REGEX, ltl:FORMULA, FILE.dfa, or all")
        ->required();
    sub->add_option("--models", args->models, "global, local-K, hybrid-K, rightmost (fixed precision); global-exact, local-K-exact, "
                    "hybrid-K-exact (exact arithmetic)")->capture_default_str();
    sub->add_option("--rule", args->rule, "attention rule of the non-rightmost models")->capture_default_str();
    add_number(sub, "--max-len", args->o.max_len, "verify constructions on every word up to this length", 0, 32);
    add_number(sub, "--random-len", args->o.random_len, "and on sampled words up to this length", 0, 1 << 16);
    add_number(sub, "--samples", args->o.samples, "sampled words of each kind (random, periodic, near-miss)", 0, 1 << 20);
    add_number(sub, "--witness-len", args->o.witness_len, "witness search over words up to this length", 0, 32);
    add_number(sub, "--witness-depth", args->o.witness_depth, "witness pairs at this type depth (or less)", 0, 64);
    add_number(sub, "--seed", args->o.seed, "seed of the sampled words", 0, UINT64_MAX);
    add_number(sub, "--max-states", args->max_states, "largest automaton read or built from a language", 1, 1 << 20);
    CLI::Option* js = sub->add_flag("--json", args->json, "one JSON document");
    sub->add_flag("--csv", args->csv, "CSV: one row per language and model")->excludes(js);
    sub->add_option("--emit", args->emit_dir, "write each verified encoder to DIR/LANGUAGE.MODEL.json");
    add_sweep_flags(sub);
    sub->callback([args, &action] { action = [args] { return run_compare(*args); }; });

    auto vargs = std::make_shared<VerifyArgs>();
    CLI::App* v = group.add_subcommand("verify", "Compile a temporal formula to an encoder and check it against the evaluator");
    v->add_option("formula", vargs->formula, "the formula (docs/languages.md)")->required();
    v->add_option("--model", vargs->model, "global, local-K, hybrid-K, rightmost, global-exact, local-K-exact, hybrid-K-exact")
        ->capture_default_str();
    v->add_option("--rule", vargs->rule, "attention rule (rightmost: always unique-hard-right)")->capture_default_str();
    v->add_option("--alphabet", vargs->alphabet, "letters (default ab)");
    add_number(v, "--max-len", vargs->o.max_len, "every word up to this length", 0, 32);
    add_number(v, "--random-len", vargs->o.random_len, "random, periodic and near-miss words up to this length", 0, 1 << 16);
    add_number(v, "--samples", vargs->o.random_count, "words of each sampled kind", 0, 1 << 20);
    add_number(v, "--seed", vargs->o.seed, "seed of the sampled words", 0, UINT64_MAX);
    add_number(v, "--max-layers", vargs->max_layers, "largest encoder verified (a layer per level of temporal depth)", 1,
               1 << 20);
    v->add_flag("--json", vargs->json, "one JSON document");
    v->add_option("-o,--output", vargs->output, "write the compiled encoder (JSON) to this file (written even when a check fails)");
    v->callback([vargs, &action] { action = [vargs] { return run_ltl_verify(*vargs); }; });
}

}  // namespace ahat::cli
