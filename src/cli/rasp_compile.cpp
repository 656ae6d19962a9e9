// ahat rasp compile PROG.rasp [--name SOP] [--alphabet abc | --alphabet-file F] -o enc.json [--json]
// Compiles one SOp of a RASP program to an encoder JSON (then: ahat run enc.json --input ...).
// With --all: compiles every named SOp and checks each against the evaluator (rasp::survey).
#include <unistd.h>

#include <memory>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "encoder/encoder_json.hpp"
#include "rasp/compile.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"
#include "support/plural.hpp"

namespace ahat::cli {
namespace {

struct RaspCompileArgs {
    std::string file, name, alphabet, alphabet_file, output, words_file, shard;
    bool json = false, no_prelude = false, all = false, quiet = false, joint = false;
    std::size_t all_up_to = 4, random_words = 100, random_len = 40;
    int threads = 0;
    std::uint32_t seed = 1;
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

// --all: every named SOp compiled and checked against the evaluator; exit 1 on a disagreement.
int survey(const RaspCompileArgs& a, const rasp::Program& prog, const std::vector<std::string>& alphabet) {
    auto words = rasp::survey_words(alphabet, a.all_up_to, a.random_words, a.random_len, a.seed);
    if (!a.words_file.empty()) {  // and the file's words, one a line
        const std::string text = read_file(a.words_file);
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            std::string line = text.substr(start, end - start);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) {
                const rasp::Program& p = prog;
                std::vector<std::string> w;
                for (const rasp::Value& t : rasp::parse_tokens(p, line)) w.push_back(rasp::format_element(t));
                words.push_back(std::move(w));
            }
            start = end + 1;
        }
    }
    std::string of_shard;
    if (!a.shard.empty()) {  // K/N: the words whose number (from 0, in the order above) is K-1 mod N
        unsigned long long k = 0, n = 0;
        char slash = 0, extra = 0;
        if (std::sscanf(a.shard.c_str(), "%llu%c%llu%c", &k, &slash, &n, &extra) != 3 || slash != '/' || k < 1 || k > n ||
            n > (1u << 20) || a.shard.find_first_not_of("0123456789/") != std::string::npos)
            fail(SourceLoc{"--shard", 0, 0}, "'{}' is not a shard K/N with 1 <= K <= N <= 2^20", a.shard);
        std::size_t kept = 0;
        for (std::size_t w = 0; w < words.size(); ++w)
            if (w % n == k - 1) words[kept++] = std::move(words[w]);
        words.resize(kept);
        of_shard = fmt::format(", shard {} of {}", k, n);
    }
    rasp::SurveyOptions so;
    so.threads = a.threads;
    so.joint = a.joint;
    // Progress on stderr: a bar on a terminal; in a log, a line a chunk (at most 50) for
    // surveys of over 10^4 words.
    std::unique_ptr<Progress> progress;
    if (!a.quiet && (isatty(STDERR_FILENO) || words.size() > 10000)) {
        so.on_chunk = [&](std::size_t chunk, std::size_t chunks, std::size_t first, std::size_t end) {
            if (!progress)  // the first chunk: the SOps are compiled by now
                progress = std::make_unique<Progress>("rasp compile --all", std::vector<double>(chunks, 1.0), false);
            (void)chunk;
            progress->step(fmt::format("words {}..{} of {}", first + 1, end, words.size()));
        };
    }
    const rasp::Survey s = rasp::survey(prog, alphabet, words, so);
    if (progress) progress->finish();
    if (a.json) {
        json refused = json::array();
        for (const auto& [name, why] : s.refused) refused.push_back(json{{"name", name}, {"why", why}});
        print_json(json{{"program", a.file}, {"sops", s.sops}, {"compiled", s.compiled}, {"assignments", s.assignments},
                        {"assignments_compiled", s.assignments_compiled}, {"words", s.words},
                        {"checked", s.checked}, {"disagreements", s.disagreements}, {"refused", refused},
                        {"shard", a.shard.empty() ? json(nullptr) : json(a.shard)},
                        {"joint", a.joint ? json{{"layers", s.joint_layers}, {"heads", s.joint_heads}, {"width", s.joint_width}}
                                          : json(nullptr)}});
    } else {
        fmt::print("{}: {} of {} named s-ops compile ({} of {} s-op assignments); {} runs on {} words (all up to length {}, "
                   "{} random up to {}{}): {} disagree\n",
                   a.file, s.compiled, s.sops, s.assignments_compiled, s.assignments, s.checked, s.words, a.all_up_to,
                   a.random_words, a.random_len, of_shard, s.disagreements.size());
        if (a.joint)
            fmt::print("  checked on one joint encoder of the compiled s-ops: {}, {}, width {}\n",
                       counted(s.joint_layers, "layer"), counted(s.joint_heads, "head"), s.joint_width);
        for (const auto& [name, why] : s.refused) fmt::print("  refused {}: {}\n", name, why);
        for (const std::string& d : s.disagreements) fmt::print("  DISAGREES {}\n", d);
    }
    return s.disagreements.empty() ? 0 : 1;
}

int run_rasp_compile(const RaspCompileArgs& a) {
    if (!a.alphabet.empty() && !a.alphabet_file.empty())
        fail(SourceLoc{"--alphabet", 0, 0}, "give either --alphabet or --alphabet-file, not both");
    rasp::Program prog = rasp::load_rasp(a.file, rasp::ReadOptions{!a.no_prelude});
    rasp::CompileOptions opts;
    opts.name = a.name;
    opts.alphabet = a.alphabet_file.empty() ? parse_alphabet(a.alphabet, "--alphabet")
                                            : parse_alphabet(without_final_newline(read_file(a.alphabet_file)), a.alphabet_file);
    if (a.all) {
        check_word_count(opts.alphabet.size(), a.all_up_to, "--all-up-to");
        return survey(a, prog, opts.alphabet);
    }
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
    fmt::print(sink, "compiled SOp '{}' of {} to {}\n  {}, {}, width d = {}\n  features: {}\n", c.name,
               a.file, wrote_file ? a.output : "stdout", counted(c.encoder.layers.size(), "layer"), counted(heads, "head"), c.encoder.d,
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
    sub->add_flag("--all", args->all, "compile every named s-op (no file written) and check each encoder against "
                                      "the evaluator; exit 1 on a disagreement");
    add_number(sub, "--all-up-to", args->all_up_to, "--all: check on every word up to this length (default 4)", 0, 16);
    add_number(sub, "--random-words", args->random_words, "--all: and on this many random words (default 100)", 0, 1 << 20);
    add_number(sub, "--random-len", args->random_len, "--all: of lengths up to this (default 40)", 1, 1 << 16);
    add_number(sub, "--seed", args->seed, "--all: the random words' seed (default 1)", 0, UINT32_MAX);
    sub->add_option("--words", args->words_file, "--all: and on the words of this file, one a line");
    sub->add_option("--shard", args->shard,
                    "--all: K/N checks only the words numbered K-1 mod N (in the order: all words by length, the random "
                    "words, the file's), so N runs of K = 1..N check every word once");
    add_number(sub, "--threads", args->threads, "--all: threads (0: every core); the result does not depend on it", 0, 1024);
    sub->add_flag("--quiet", args->quiet, "--all: no progress on stderr");
    sub->add_flag("--joint", args->joint,
                  "--all: run each word once, on one encoder of every compiled s-op (each s-op by its own "
                  "construction, equal parts shared), instead of once per s-op");
    sub->add_flag("--json", args->json, "print the summary as one JSON document");
    sub->callback([args, &action] { action = [args] { return run_rasp_compile(*args); }; });
}

}  // namespace ahat::cli
