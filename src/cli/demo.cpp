// ahat demo [--root DIR] [--json]: the main job on the bundled files.
#include "cli/common.hpp"
#include "demo/demo.hpp"

namespace ahat::cli {
namespace {

struct DemoArgs {
    std::string root;
    bool json = false;
};

int run_demo_cmd(const DemoArgs& a) {
    DemoReport r = run_demo(a.root);
    if (a.json) {
        json checks = json::array();
        for (const auto& c : r.checks)
            checks.push_back(json{{"name", c.name}, {"command", c.command}, {"instances", c.instances},
                                  {"failures", c.failures}, {"detail", c.detail}});
        print_json(json{{"ok", r.ok()}, {"checks", checks}});
    } else {
        fmt::print("ahat demo: circuits and RASP tasks compiled to encoders and run exactly, the bundled examples,\n"
                   "a capture sweep and the local-vs-global comparison, each checked against an independent answer\n\n");
        for (const auto& c : r.checks) {
            fmt::print("[{}] {}\n      {} instance{}; {}\n      try: {}\n", c.failures == 0 ? " ok " : "FAIL", c.name,
                       c.instances, c.instances == 1 ? "" : "s", c.detail, c.command);
        }
        fmt::print("\n{}\n", r.ok() ? "all checks passed" : "SOME CHECKS FAILED");
    }
    if (!r.ok()) throw CheckFailed("the demo's checks did not all pass");
    return 0;
}

}  // namespace

void register_demo(CLI::App& app, Action& action) {
    auto args = std::make_shared<DemoArgs>();
    CLI::App* sub = app.add_subcommand("demo", "The main job: run the bundled circuits and example encoders and check them");
    sub->add_option("--root", args->root, "directory holding circuits/, examples/ and rasp/ (default: $AHAT_ROOT, else the copies built into ahat)");
    sub->add_flag("--json", args->json, "print one JSON document");
    sub->callback([args, &action] { action = [args] { return run_demo_cmd(*args); }; });
}

}  // namespace ahat::cli
