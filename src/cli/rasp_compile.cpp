// ahat rasp compile PROG.rasp [--name SOP] [--alphabet abc | --alphabet-file F] -o enc.json [--json]
// Compiles one SOp of a RASP program to an encoder JSON (then: ahat run enc.json --input ...).
#include "cli/common.hpp"
#include "encoder/encoder_json.hpp"
#include "rasp/compile.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

namespace ahat::cli {
namespace {

struct RaspCompileArgs {
    std::string file, name, alphabet, alphabet_file, output;
    bool json = false, no_prelude = false;
};

// A file's last line break is not part of the alphabet ("abc\n" is a, b, c).
std::string without_final_newline(std::string text) {
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text;
}

std::string_view kind_name(rasp::Compiled::Kind k) {
    switch (k) {
        case rasp::Compiled::Kind::Categorical: return "categorical";
        case rasp::Compiled::Kind::Integer: return "integer";
        case rasp::Compiled::Kind::Rational: return "rational";
    }
    return "?";
}

int run_rasp_compile(const RaspCompileArgs& a) {
    if (!a.alphabet.empty() && !a.alphabet_file.empty())
        fail(SourceLoc{"--alphabet", 0, 0}, "give either --alphabet or --alphabet-file, not both");
    rasp::Program prog = rasp::load_rasp(a.file, rasp::ReadOptions{!a.no_prelude});
    rasp::CompileOptions opts;
    opts.name = a.name;
    opts.alphabet = a.alphabet_file.empty() ? parse_alphabet(a.alphabet, "--alphabet")
                                            : parse_alphabet(without_final_newline(read_file(a.alphabet_file)), a.alphabet_file);
    rasp::Compiled c = rasp::compile(prog, opts);
    emit(a.output, write_encoder(c.encoder));

    std::size_t heads = 0;
    for (const Layer& l : c.encoder.layers) heads += l.heads.size();
    std::vector<std::string> features, values;
    for (const PositionalTerm& p : c.encoder.input.positional) features.emplace_back(feature_name(p.feature));
    for (const rasp::Value& v : c.values) values.push_back(rasp::format_value(v));
    const bool wrote_file = !a.output.empty() && a.output != "-";
    std::FILE* sink = wrote_file ? stdout : stderr;
    if (a.json) {
        json j{{"compiled", wrote_file ? a.output : "-"}, {"program", a.file},       {"sop", c.name},
               {"kind", kind_name(c.kind)},                {"layers", c.encoder.layers.size()}, {"heads", heads},
               {"width", c.encoder.d},                      {"features", features},  {"alphabet", opts.alphabet.empty() ? c.encoder.input.alphabet : opts.alphabet},
               {"bos", c.encoder.input.bos.value_or("")}};
        if (c.kind == rasp::Compiled::Kind::Categorical) j["values"] = values;
        fmt::print(sink, "{}\n", j.dump(-1, ' ', false, json::error_handler_t::replace));
        return 0;
    }
    fmt::print(sink, "compiled SOp '{}' of {} to {}\n  {} layers, {} heads, width d = {}\n  features: {}\n", c.name,
               a.file, wrote_file ? a.output : "stdout", c.encoder.layers.size(), heads, c.encoder.d,
               fmt::join(features, ", "));
    if (c.kind == rasp::Compiled::Kind::Categorical)
        fmt::print(sink, "  output: categorical, one-hot over {}\n", fmt::join(values, ", "));
    else
        fmt::print(sink, "  output: {} (one coordinate)\n", kind_name(c.kind));
    fmt::print(sink, "  input: a beginning-of-sequence symbol '{}' is prepended (output row 0 is it)\n",
               c.encoder.input.bos.value_or(""));
    return 0;
}

}  // namespace

void register_rasp_compile(CLI::App& app, Action& action) {
    auto args = std::make_shared<RaspCompileArgs>();
    CLI::App& group = command_group(app, "rasp", "RASP programs: read, evaluate, compile to encoders");
    CLI::App* sub = group.add_subcommand("compile", "Compile one SOp of a RASP program to an encoder (.json)");
    sub->add_option("program", args->file, "the .rasp file")->required();
    sub->add_option("--name", args->name, "the SOp to compile (default: the last one the program names)");
    sub->add_option("--alphabet", args->alphabet,
                    "the token vocabulary: one symbol per character (\"abc\", commas included), or symbols separated by "
                    "white space (\"0 1 10\"; \\s names a space)");
    sub->add_option("--alphabet-file", args->alphabet_file, "read the vocabulary from a file (as --alphabet: one symbol per character, or symbols "
                    "separated by white space)");
    sub->add_option("-o,--output", args->output, "the encoder file (default: stdout, with the summary on stderr)");
    sub->add_flag("--no-prelude", args->no_prelude, "do not preload the library (count, shift, sort, ...; docs/rasp.md)");
    sub->add_flag("--json", args->json, "print the summary as one JSON document");
    sub->callback([args, &action] { action = [args] { return run_rasp_compile(*args); }; });
}

}  // namespace ahat::cli
