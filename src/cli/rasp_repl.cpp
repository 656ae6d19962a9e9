// ahat rasp repl [--no-prelude] [--example TEXT]
// An interactive RASP session in the manner of the reference REPL: each statement is read in
// the context of the earlier ones (the session's text is read again, so the semantics are
// rasp run's), evaluated on the current example, and its results printed, selectors as text
// matrices. A statement that fails (syntax, unknown name, error on the example) is reported
// and left out of the session. `show example`, `exit`/`quit` are REPL commands here.
#include <unistd.h>

#include <iostream>

#include "cli/common.hpp"
#include "cli/rasp_print.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

namespace ahat::cli {
namespace {

struct RaspReplArgs {
    std::string example = "hello";
    bool no_prelude = false;
};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// A statement that only lacks its end (more lines follow).
bool incomplete(const InputError& e) { return std::string(e.what()).find("found the end of the file") != std::string::npos; }

int rasp_repl(const RaspReplArgs& a) {
    const bool tty = isatty(0) && isatty(1);
    const rasp::ReadOptions opts{!a.no_prelude};
    std::string session, chunk, example = a.example;
    std::size_t session_lines = 0, chunk_lines = 0;
    fmt::print("ahat rasp repl: RASP statements end with ';' (docs/rasp.md); show example, exit\n");
    std::string line;
    for (;;) {
        fmt::print("{}", chunk.empty() ? ">> " : ".. ");
        std::fflush(stdout);
        if (!std::getline(std::cin, line)) break;
        if (!tty) fmt::print("{}\n", line);  // a transcript when not interactive
        const std::string t = trim(line);
        if (chunk.empty()) {
            if (t.empty()) continue;
            if (t == "exit" || t == "quit" || t == "exit()" || t == "quit()") break;
            if (t == "show example" || t == "show s-op example" || t == "show selector example") {
                fmt::print("the example is \"{}\"\n", example);
                continue;
            }
        }
        chunk += line + "\n";
        ++chunk_lines;
        rasp::Program prog;
        try {
            prog = rasp::read_rasp(session + chunk, "<repl>", opts);
        } catch (const InputError& e) {
            if (incomplete(e)) continue;
            fmt::print("error: {} (ignored)\n", e.located());
            chunk.clear(), chunk_lines = 0;
            continue;
        }
        const std::string input = prog.example.value_or(example);
        std::vector<rasp::Value> tokens;
        rasp::Evaluation ev;
        try {
            tokens = rasp::parse_tokens(prog, input);
            ev = rasp::evaluate(prog, tokens);
        } catch (const InputError& e) {
            fmt::print("error on the example \"{}\": {} (ignored)\n", input, e.located());
            chunk.clear(), chunk_lines = 0;
            continue;
        }
        example = input;
        for (const auto& [loc, what] : prog.notes)
            if (loc.line > session_lines) fmt::print("note: {}\n", what);
        for (const rasp::Named& nm : prog.named)
            if (nm.loc.line > session_lines) print_rasp_result(nm, ev, tokens);
        session += chunk;
        session_lines += chunk_lines;
        chunk.clear(), chunk_lines = 0;
    }
    if (!chunk.empty()) fmt::print("\nerror: the last statement is incomplete (ignored)\n");
    fmt::print("\n");
    return 0;
}

}  // namespace

void register_rasp_repl(CLI::App& app, Action& action) {
    auto args = std::make_shared<RaspReplArgs>();
    CLI::App& group = command_group(app, "rasp", "RASP programs: run them with the reference evaluator, compile them");
    CLI::App* sub = group.add_subcommand("repl", "An interactive RASP session: each statement's results on the example");
    sub->add_option("--example", args->example, "the first example input (default: hello; `set example` changes it)");
    sub->add_flag("--no-prelude", args->no_prelude, "do not preload the library");
    sub->callback([&action, args] { action = [args] { return rasp_repl(*args); }; });
}

}  // namespace ahat::cli
