// ahat lang classify REGEX|FILE.dfa|NAME [--alphabet LETTERS] [--json]
#include "cli/common.hpp"
#include "lang/classes.hpp"
#include "lang/dfa_io.hpp"
#include "lang/library.hpp"
#include "lang/monoid.hpp"
#include "lang/regex.hpp"

namespace ahat::cli {
namespace {

struct ClassifyArgs {
    std::string what, alphabet;
    std::size_t max_states = lang::kDefaultMaxStates;
    bool json = false;
};

int run_classify(const ClassifyArgs& a) {
    using namespace ahat::lang;
    Dfa d;
    std::string source;
    if (a.what.size() > 4 && a.what.ends_with(".dfa")) {
        d = minimize(load_dfa(a.what, a.max_states));
        source = "dfa: " + a.what;
    } else if (const Language* l = find_language(a.what)) {
        if (!l->dfa) fail(SourceLoc{a.what, 0, 0}, "'{}' ({}) is not regular: no automaton to classify", l->name, l->description);
        d = *l->dfa;
        source = "builtin: " + l->name;
    } else {
        d = compile_regex(a.what, a.alphabet, "regex", a.max_states);
        source = "regex: " + a.what;
    }
    Monoid m = transition_monoid(d);
    auto decisions = decide_all(d);
    if (a.json) {
        json ds = json::array();
        for (const auto& dec : decisions) {
            json words = json::object(), states = json::object();
            for (const auto& [n, w] : dec.certificate.words) words[n] = w;
            for (const auto& [n, s] : dec.certificate.states) states[n] = s;
            json j{{"property", dec.property}, {"holds", dec.holds}, {"claim", dec.certificate.claim},
                   {"words", words}, {"states", states}};
            j["index"] = dec.certificate.index ? json(*dec.certificate.index) : json(nullptr);
            ds.push_back(j);
        }
        print_json(json{{"source", source}, {"alphabet", d.alphabet}, {"states", d.states()},
                        {"monoid_size", m.size()}, {"dfa", write_dfa(d)}, {"decisions", ds}});
        return 0;
    }
    fmt::print("{}\nalphabet {}, minimal DFA {} states, syntactic monoid {} elements\n", source, d.alphabet, d.states(), m.size());
    for (const auto& dec : decisions) {
        fmt::print("{:<20} {:<3}", dec.property, dec.holds ? "yes" : "no");
        if (dec.certificate.index) {
            const char* what = dec.holds ? (dec.property == "aperiodic" ? "m =" : "k =")
                                         : (dec.property == "locally-R-trivial" ? "idempotent power" : "period");
            fmt::print(" ({} {})", what, *dec.certificate.index);
        }
        fmt::print("  {}\n", dec.certificate.claim);
        if (!dec.certificate.words.empty() || !dec.certificate.states.empty()) {
            std::string parts;
            for (const auto& [n, w] : dec.certificate.words) parts += fmt::format(" {}={}", n, w.empty() ? "ε" : w);
            for (const auto& [n, s] : dec.certificate.states) parts += fmt::format(" {}={}", n, s);
            fmt::print("{:<24}certificate:{}\n", "", parts);
        }
    }
    return 0;
}

}  // namespace

void register_lang_classify(CLI::App& app, Action& action) {
    auto args = std::make_shared<ClassifyArgs>();
    CLI::App& group = command_group(app, "lang", "Formal languages: automata, classes, recognizers");
    CLI::App* sub = group.add_subcommand("classify", "Decide language classes of a regular language, with certificates");
    sub->add_option("language", args->what, "a regular expression, a .dfa file or a built-in language name")->required();
    sub->add_option("--alphabet", args->alphabet, "letters of the alphabet (default: those in the regex)");
    add_number(sub, "--max-states", args->max_states, "largest automaton read or built (classifying takes time growing like its cube)",
               1, 1 << 20);
    sub->add_flag("--json", args->json, "one JSON document");
    sub->callback([args, &action] { action = [args] { return run_classify(*args); }; });
}

}  // namespace ahat::cli
