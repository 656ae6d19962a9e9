// ahat: the command line. Parses arguments, dispatches to one subcommand, maps failures to
// exit codes (0 ok, 1 a check failed, 2 bad usage or bad input, 3 an internal error).
#include <cstdio>
#include <exception>
#include <new>

#include "cli/common.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    using namespace ahat::cli;
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
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "ahat: error: %s\n", e.what());
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
