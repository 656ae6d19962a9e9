// ahat gen FAMILY --size N [--seed S] [--depth D] [--fanin F] [--inputs K] [--threshold T] [-o F]
#include "circuit/circ_io.hpp"
#include "circuit/families.hpp"
#include "cli/common.hpp"

namespace ahat::cli {
namespace {

struct GenArgs {
    std::string family, output, threshold = "1";
    FamilyParams p;
    bool list = false, json = false;
};

int run_gen(GenArgs& a) {
    if (a.list) {
        for (const auto& n : family_names()) fmt::print("{}\n", n);
        return 0;
    }
    if (a.family.empty()) fail(SourceLoc{}, "give a family: {} (or --list)", fmt::join(family_names(), ", "));
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
    const std::string text = write_circuit(c, comment);
    if (!a.json) {
        emit(a.output, text);
        return 0;
    }
    // --json: a summary document; the circuit itself goes to -o, or into "circuit".
    if (!a.output.empty() && a.output != "-") write_file_atomic(a.output, text);
    const CircuitStats st = stats(c);
    json j{{"family", a.family},
           {"command", comment},
           {"file", a.output.empty() ? "-" : a.output},
           {"inputs", st.inputs},
           {"outputs", st.outputs},
           {"size", st.size},
           {"depth", st.depth},
           {"max_fanin", st.max_fanin},
           {"edges", st.edges}};
    j["circuit"] = a.output.empty() || a.output == "-" ? json(text) : json(nullptr);
    print_json(j);
    return 0;
}

}  // namespace

void register_gen(CLI::App& app, Action& action) {
    auto args = std::make_shared<GenArgs>();
    CLI::App* sub = app.add_subcommand("gen", "Write an instance of a circuit family as .circ");
    sub->add_option("family", args->family, "family name (see --list)");
    sub->add_flag("--list", args->list, "list the families");
    constexpr std::size_t kMax = std::size_t{1} << 28;  // as random_circuit allows
    add_number(sub, "--size,-n", args->p.size, "n for fixed families; number of gates for random", std::size_t{1}, kMax);
    add_number(sub, "--seed", args->p.seed, "random family: seed", std::uint64_t{0}, UINT64_MAX);
    add_number(sub, "--depth", args->p.depth, "random family: exact depth", std::size_t{1}, kMax);
    add_number(sub, "--fanin", args->p.max_fanin, "random family: largest add fan-in", std::size_t{1}, kMax);
    add_number(sub, "--inputs", args->p.inputs, "random family: number of inputs", std::size_t{1}, kMax);
    sub->add_option("--threshold", args->threshold, "threshold family: t in [sum >= t]")->capture_default_str();
    sub->add_option("-o,--output", args->output, "output file (default: standard output)");
    sub->add_flag("--json", args->json, "print a JSON summary (family, command, shape; the circuit text under \"circuit\" without -o)");
    sub->callback([args, &action] { action = [args] { return run_gen(*args); }; });
}

}  // namespace ahat::cli
