// ahat gen FAMILY --size N [--seed S] [--depth D] [--fanin F] [--inputs K] [--threshold T] [-o F]
#include "circuit/circ_io.hpp"
#include "circuit/families.hpp"
#include "cli/common.hpp"

namespace ahat::cli {
namespace {

struct GenArgs {
    std::string family, output, threshold = "1";
    FamilyParams p;
    bool list = false;
};

int run_gen(GenArgs& a) {
    if (a.list || a.family.empty()) {
        for (const auto& n : family_names()) fmt::print("{}\n", n);
        return a.list ? 0 : 2;
    }
    ParseFailure why;
    auto t = parse_rational(a.threshold, &why);
    if (!t) fail(SourceLoc{"--threshold", 1, static_cast<std::uint32_t>(why.offset + 1)}, "bad value: {}", why.why);
    a.p.threshold = *t;
    Circuit c = make_family(a.family, a.p);
    std::string comment = a.family == "random"
                              ? fmt::format("ahat gen random --size {} --depth {} --fanin {} --inputs {} --seed {}",
                                            a.p.size, a.p.depth, a.p.max_fanin, a.p.inputs, a.p.seed)
                              : fmt::format("ahat gen {} --size {}{}", a.family, a.p.size,
                                            a.family == "threshold" ? " --threshold " + a.threshold : "");
    emit(a.output, write_circuit(c, comment));
    return 0;
}

}  // namespace

void register_gen(CLI::App& app, Action& action) {
    auto args = std::make_shared<GenArgs>();
    CLI::App* sub = app.add_subcommand("gen", "Write an instance of a circuit family as .circ");
    sub->add_option("family", args->family, "family name (see --list)");
    sub->add_flag("--list", args->list, "list the families");
    sub->add_option("--size,-n", args->p.size, "n for fixed families; number of gates for random")->capture_default_str();
    sub->add_option("--seed", args->p.seed, "random family: seed")->capture_default_str();
    sub->add_option("--depth", args->p.depth, "random family: exact depth")->capture_default_str();
    sub->add_option("--fanin", args->p.max_fanin, "random family: largest add fan-in")->capture_default_str();
    sub->add_option("--inputs", args->p.inputs, "random family: number of inputs")->capture_default_str();
    sub->add_option("--threshold", args->threshold, "threshold family: t in [sum >= t]")->capture_default_str();
    sub->add_option("-o,--output", args->output, "output file (default: standard output)");
    sub->callback([args, &action] { action = [args] { return run_gen(*args); }; });
}

}  // namespace ahat::cli
