// ahat: the command line. Parses arguments, dispatches to one subcommand, maps failures to
// exit codes (0 ok, 1 a check failed, 2 bad usage or bad input).
#include <cstdio>

#include "cli/common.hpp"

int main(int argc, char** argv) {
    using namespace ahat::cli;
    CLI::App app{"ahat: exact average-hard-attention transformer encoders, circuits and their expressivity"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ahat 0.1.0");
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
    register_lang_classify(app, action);
    register_lang_compare(app, action);
    register_bench(app, action);
    register_bench_rasp(app, action);
    register_bench_kernels(app, action);
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
    }
    try {
        return action ? action() : 2;
    } catch (const ahat::InputError& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "ahat: error: %s\n", e.located().c_str());
        return 2;
    } catch (const CheckFailed& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "ahat: check failed: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "ahat: error: out of memory (try a smaller input or a lower --max-bits)\n");
        return 2;
    }
}
