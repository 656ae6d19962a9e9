// ahat: the command line. Parses arguments, dispatches to one subcommand, maps failures to
// exit codes (0 ok, 1 a check failed, 2 bad usage or bad input, 3 an internal error).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
#include <exception>
#include <new>

#include "cli/common.hpp"
#include "cli/sweep.hpp"

namespace {

// The exit code of the exception being handled, after its "ahat: ..." line on stderr: no
// exception ends the process without one.
int failure() {
    using namespace ahat::cli;
    std::fflush(stdout);
    try {
        throw;
    } catch (const ahat::InputError& e) {
        std::fprintf(stderr, "ahat: error: %s\n", e.located().c_str());
        return 2;
    } catch (const CheckFailed& e) {
        std::fprintf(stderr, "ahat: check failed: %s\n", e.what());
        return 1;
    } catch (const nlohmann::json::exception& e) {
        if (sweep_from_records()) {  // a result read back from records (merge, --resume) its reader missed
            std::fprintf(stderr, "ahat: error: a sweep record's result is not one this command writes: %s\n", e.what());
            return 2;
        }
        std::fprintf(stderr, "ahat: error: internal error: %s\n", e.what());
        std::fprintf(stderr, "this is a bug in ahat: please report it with the command that shows it\n");
        return 3;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "ahat: error: out of memory (try a smaller input or a lower --max-bits)\n");
        return 2;
    } catch (const std::exception& e) {  // InternalError, std::logic_error and the rest: a bug
        std::fprintf(stderr, "ahat: error: internal error: %s\n", e.what());
        std::fprintf(stderr, "this is a bug in ahat: please report it with the command that shows it\n");
        return 3;
    } catch (...) {
        std::fprintf(stderr, "ahat: error: internal error: an unknown exception\n");
        std::fprintf(stderr, "this is a bug in ahat: please report it with the command that shows it\n");
        return 3;
    }
}

// Levenshtein distance (insertions, deletions, substitutions), for suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// The nearest of `names` to `word`, if near enough to be a typo (distance at most a third of
// the word, and at least 1 allowed), or one that starts with it.
std::string nearest(const std::string& word, const std::vector<std::string>& names) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const std::string& n : names) {
        const std::size_t d = n.rfind(word, 0) == 0 && word.size() >= 2 ? 1 : edit_distance(word, n);
        if (d < best_d) best_d = d, best = n;
    }
    return best;
}

// After a parse error: follow argv down the subcommands it names, then look for the first
// word that is neither a subcommand where one is expected nor a known option, and suggest
// the nearest name ("did you mean 'run'?"). Empty when there is nothing to suggest.
std::string suggestion(CLI::App& app, int argc, char** argv) {
    CLI::App* cur = &app;
    std::string path = "ahat";
    auto options_of = [](CLI::App* a) {
        std::vector<std::string> out;
        for (CLI::App* x = a; x; x = x->get_parent())
            for (const CLI::Option* o : x->get_options())
                for (const std::string& l : o->get_lnames()) out.push_back("--" + l);
        return out;
    };
    for (int k = 1; k < argc; ++k) {
        const std::string arg = argv[k];
        if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
            const std::string name = arg.substr(0, arg.find('='));
            const std::vector<std::string> known = options_of(cur);
            if (std::find(known.begin(), known.end(), name) != known.end()) {
                // an option with a value given as the next word: skip that word
                for (CLI::App* x = cur; x; x = x->get_parent())
                    for (const CLI::Option* o : x->get_options())
                        if (o->check_lname(name.substr(2)) && o->get_type_size_min() > 0 && arg.find('=') == std::string::npos)
                            ++k;
                continue;
            }
            const std::string near = nearest(name, known);
            return fmt::format("unknown option '{}' for '{}'{}", name, path, near.empty() ? "" : fmt::format(": did you mean '{}'?", near));
        }
        if (arg.empty() || arg[0] == '-') continue;
        std::vector<std::string> subs;
        CLI::App* next = nullptr;
        for (CLI::App* sub : cur->get_subcommands([](CLI::App*) { return true; })) {
            subs.push_back(sub->get_name());
            if (sub->get_name() == arg) next = sub;
        }
        if (next) {
            cur = next;
            path += " " + arg;
            continue;
        }
        if (!subs.empty() && cur->get_require_subcommand_min() > 0) {
            const std::string near = nearest(arg, subs);
            return fmt::format("unknown command '{}' for '{}'{}", arg, path,
                               near.empty() ? fmt::format(" (commands: {})", fmt::join(subs, ", "))
                                            : fmt::format(": did you mean '{} {}'?", path, near));
        }
    }
    return "";
}

// CLI11 lists unexpected arguments last to first: give them in the order they were typed.
std::string extras_in_order(const std::string& what) {
    const std::size_t colon = what.find(": ");
    if (colon == std::string::npos) return what;
    std::vector<std::string> words;
    for (std::size_t p = colon + 2; p < what.size();) {
        std::size_t e = what.find(' ', p);
        if (e == std::string::npos) e = what.size();
        words.push_back(what.substr(p, e - p));
        p = e + 1;
    }
    std::reverse(words.begin(), words.end());
    return what.substr(0, colon + 2) + fmt::format("{}", fmt::join(words, " "));
}

}  // namespace

namespace ahat::cli {

int cli_main(int argc, char** argv) {
    use_limb_pool();  // small exact values in half the memory (exact/rational.hpp)
    set_sweep_argv(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
    CLI::App app{"ahat: exact average-hard-attention transformer encoders, circuits and their expressivity"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ahat 0.1.0");
    app.fallthrough();  // the options below may also follow the command
    std::uint64_t max_input_mb = ahat::input_limit() >> 20;
    add_number(&app, "--max-input-mb", max_input_mb, "largest input file read, in MiB", std::uint64_t{1},
               std::uint64_t{1} << 20);
    Action action;
    register_eval(app, action);
    register_run(app, action);
    register_info(app, action);
    register_gen(app, action);
    register_demo(app, action);
    register_compile(app, action);
    register_verify(app, action);
    register_decompile(app, action);
    register_rasp_run(app, action);
    register_rasp_compile(app, action);
    register_rasp_repl(app, action);
    register_capture(app, action);
    register_validate(app, action);
    register_budget(app, action);
    register_sinks(app, action);
    register_cascade(app, action);
    register_weights(app, action);
    register_lang_classify(app, action);
    register_lang_compare(app, action);
    register_bench(app, action);
    register_bench_rasp(app, action);
    register_bench_kernels(app, action);
    register_bench_sinks(app, action);
    register_bench_mpi(app, action);
    register_merge(app, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const std::string hint = suggestion(app, argc, argv);
        const std::string what = dynamic_cast<const CLI::ExtrasError*>(&e) ? extras_in_order(e.what()) : std::string(e.what());
        std::fprintf(stderr, "ahat: error: %s\n", hint.empty() ? what.c_str() : hint.c_str());
        std::fprintf(stderr, "run 'ahat --help' or 'ahat <command> --help' for usage\n");
        return 2;
    } catch (...) {
        return failure();  // a numeric option's value, read as it is parsed
    }
    ahat::set_input_limit(max_input_mb << 20);
    if (!action) {  // every command sets one; a group without its subcommand is refused by CLI11
        std::fprintf(stderr, "ahat: error: no command given; run 'ahat --help' for usage\n");
        return 2;
    }
    try {
        return action();
    } catch (...) {
        return failure();
    }
}

}  // namespace ahat::cli
