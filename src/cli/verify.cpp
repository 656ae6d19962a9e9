// ahat verify C.circ | --family NAME --sizes A..B  [--construction wire|gate|both] [--depth K]
//             [--samples N] [--seed S] [--json]
#include "circuit/circ_io.hpp"
#include "circuit/families.hpp"
#include "cli/common.hpp"
#include "compile/verify.hpp"

namespace ahat::cli {
namespace {

struct VerifyArgs {
    std::string file, family, sizes = "1..8", construction = "both";
    std::optional<std::size_t> depth;
    std::size_t samples = 10, random_depth = 4;
    std::uint64_t seed = 1;
    bool json = false;
};

std::pair<std::size_t, std::size_t> parse_range(const std::string& s) {
    constexpr std::size_t kMax = std::size_t{1} << 20;
    const auto dots = s.find("..");
    if (dots == std::string::npos) {
        const std::size_t v = parse_number<std::size_t>(s, "--sizes", 1, kMax);
        return {v, v};
    }
    const std::size_t a = parse_number<std::size_t>(s.substr(0, dots), "--sizes", 1, kMax);
    const std::size_t b = parse_number<std::size_t>(s.substr(dots + 2), "--sizes", 1, kMax);
    if (a > b) fail(SourceLoc{"--sizes", 0, 0}, "expected a size or a range A..B with A <= B, got '{}'", s);
    return {a, b};
}

int run_verify(const VerifyArgs& a) {
    std::vector<Construction> constructions;
    if (a.construction == "both") constructions = {Construction::Wire, Construction::Gate};
    else if (auto c = parse_construction(a.construction)) constructions = {*c};
    else fail(SourceLoc{"--construction", 1, 1}, "unknown construction '{}' (wire, gate, both)", a.construction);
    std::vector<std::pair<std::string, Circuit>> circuits;
    if (!a.family.empty()) {
        if (!a.file.empty()) fail(SourceLoc{"--family", 0, 0}, "give a circuit file or --family, not both");
        auto [lo, hi] = parse_range(a.sizes);
        for (std::size_t n = lo; n <= hi; ++n) {
            FamilyParams p;
            p.size = n;
            p.seed = a.seed + n;
            p.depth = std::min(a.random_depth, n);
            circuits.emplace_back(fmt::format("{} size {}", a.family, n), make_family(a.family, p));
        }
    } else {
        if (a.file.empty()) fail(SourceLoc{"verify", 0, 0}, "give a circuit file or --family NAME --sizes A..B");
        circuits.emplace_back(a.file, load_circuit(a.file));
    }
    std::size_t instances = 0, failures = 0;
    for (const auto& [name, circ] : circuits) {
        for (Construction c : constructions) {
            VerifyOptions o;
            o.construction = c;
            o.depth_bound = a.depth;
            o.samples = a.samples;
            o.seed = a.seed;
            VerifyReport rep = verify_circuit(circ, o);
            for (const auto& inst : rep.instances) {
                ++instances;
                failures += inst.ok() ? 0 : 1;
                if (a.json) {
                    print_json(json{{"circuit", name},
                                    {"construction", construction_name(c)},
                                    {"depth", rep.circuit_depth},
                                    {"K", rep.depth_bound},
                                    {"layers", rep.shape.layers},
                                    {"heads", rep.shape.total_heads},
                                    {"width", rep.shape.width},
                                    {"tokens", rep.tokens},
                                    {"sample", inst.sample},
                                    {"inputs", rationals_json(inst.inputs)},
                                    {"expected", rationals_json(inst.expected)},
                                    {"got", rationals_json(inst.got)},
                                    {"outputs_ok", inst.outputs_ok},
                                    {"invariant_ok", inst.invariant_ok},
                                    {"argmax_ok", inst.argmax_ok},
                                    {"shuffle_ok", inst.shuffle_ok},
                                    {"problem", inst.problem}});
                } else if (!inst.ok()) {
                    fmt::print("FAIL {} [{}] sample {}: {}\n", name, construction_name(c), inst.sample, inst.problem);
                }
            }
            if (!a.json)
                fmt::print("{:<40} {:<4} depth {} K {}: {} layers, {} heads, d = {}, {} tokens, {}/{} samples ok\n", name,
                           construction_name(c), rep.circuit_depth, rep.depth_bound, rep.shape.layers,
                           rep.shape.total_heads, rep.shape.width, rep.tokens,
                           std::count_if(rep.instances.begin(), rep.instances.end(), [](const auto& i) { return i.ok(); }),
                           rep.instances.size());
        }
    }
    if (!a.json) fmt::print("{} instances, {} failed (outputs, layer invariant, argmax sizes, shuffle)\n", instances, failures);
    if (failures) throw CheckFailed(fmt::format("{} of {} instances failed", failures, instances));
    return 0;
}

}  // namespace

void register_verify(CLI::App& app, Action& action) {
    auto args = std::make_shared<VerifyArgs>();
    CLI::App* sub = app.add_subcommand("verify", "Compile circuits to encoders and check them against direct evaluation");
    sub->add_option("circuit", args->file, "a .circ file");
    sub->add_option("--family", args->family, "verify a generated family instead (see ahat gen --list)");
    sub->add_option("--sizes", args->sizes, "family sizes A..B")->capture_default_str();
    add_number(sub, "--random-depth", args->random_depth, "depth of the random family's circuits", 1, 1 << 20);
    sub->add_option("--construction", args->construction, "wire, gate or both")->capture_default_str();
    add_number(sub, "--depth", args->depth, "depth bound K of the encoder (default: the circuit's depth)", 1, 1 << 20);
    add_number(sub, "--samples", args->samples, "random inputs per circuit", 0, 1 << 20);
    add_number(sub, "--seed", args->seed, "seed of the random inputs", 0, UINT64_MAX);
    sub->add_flag("--json", args->json, "JSON Lines: one document per instance");
    sub->callback([args, &action] { action = [args] { return run_verify(*args); }; });
}

}  // namespace ahat::cli
