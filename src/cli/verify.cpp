// ahat verify C.circ | --family NAME --sizes A..B  [--construction wire|gate|both] [--depth K]
//             [--samples N] [--seed S] [--json]
#include "circuit/circ_io.hpp"
#include "circuit/families.hpp"
#include "capture/sweep.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "compile/verify.hpp"
#include "support/plural.hpp"

namespace ahat::cli {
namespace {

struct VerifyArgs {
    std::string file, family, sizes = "1..8", construction = "both";
    std::optional<std::size_t> depth;
    std::size_t samples = 10, random_depth = 4;
    std::uint64_t seed = 1;
    OutputFlags out;
};

int run_verify(const VerifyArgs& a) {
    std::vector<Construction> constructions;
    if (a.construction == "both") constructions = {Construction::Wire, Construction::Gate};
    else if (auto c = parse_construction(a.construction)) constructions = {*c};
    else fail(SourceLoc{"--construction", 1, 1}, "unknown construction '{}' (wire, gate, both)", a.construction);
    std::vector<std::pair<std::string, Circuit>> circuits;
    if (!a.family.empty()) {
        if (!a.file.empty()) fail(SourceLoc{"--family", 0, 0}, "give a circuit file or --family, not both");
        for (std::size_t n : capture::parse_sizes(a.sizes, "--sizes", std::size_t{1} << 20)) {
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
    RecordWriter records(a.out, {"circuit", "construction", "depth", "K", "layers", "heads", "width", "tokens", "sample",
                                 "inputs", "expected", "outputs", "outputs_ok", "invariant_ok", "argmax_ok", "shuffle_ok",
                                 "ok", "problem"});
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
                if (!a.out.text()) {
                    records.write(json{{"circuit", name},
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
                                    {"outputs", rationals_json(inst.got)},
                                    {"outputs_ok", inst.outputs_ok},
                                    {"invariant_ok", inst.invariant_ok},
                                    {"argmax_ok", inst.argmax_ok},
                                    {"shuffle_ok", inst.shuffle_ok},
                                    {"ok", inst.ok()},
                                    {"problem", inst.problem.empty() ? json(nullptr) : json(inst.problem)}});
                } else if (!inst.ok()) {
                    fmt::print("FAIL {} [{}] sample {}: {}\n", name, construction_name(c), inst.sample, inst.problem);
                }
            }
            if (a.out.text())
                fmt::print("{:<40} {:<4} depth {} K {}: {}, {}, d = {}, {}, {}/{} samples ok\n", name,
                           construction_name(c), rep.circuit_depth, rep.depth_bound, counted(rep.shape.layers, "layer"),
                           counted(rep.shape.total_heads, "head"), rep.shape.width, counted(rep.tokens, "token"),
                           std::count_if(rep.instances.begin(), rep.instances.end(), [](const auto& i) { return i.ok(); }),
                           rep.instances.size());
        }
    }
    if (a.out.text()) fmt::print("{} instances, {} failed (outputs, layer invariant, argmax sizes, shuffle)\n", instances, failures);
    if (failures) throw CheckFailed(fmt::format("{} of {} instances failed", failures, instances));
    return 0;
}

}  // namespace

void register_verify(CLI::App& app, Action& action) {
    auto args = std::make_shared<VerifyArgs>();
    CLI::App* sub = app.add_subcommand("verify", "Compile circuits to encoders and check them against direct evaluation");
    sub->add_option("circuit", args->file, "a .circ file");
    sub->add_option("--family", args->family, "verify a generated family instead (see ahat gen --list)");
    sub->add_option("--sizes", args->sizes, "family sizes: A..B (every integer), A..B*2 (doubling) or a list 8,16,100")
        ->capture_default_str();
    add_number(sub, "--random-depth", args->random_depth, "depth of the random family's circuits", 1, 1 << 20);
    sub->add_option("--construction", args->construction, "wire, gate or both")->capture_default_str();
    add_number(sub, "--depth", args->depth, "depth bound K of the encoder (default: the circuit's depth)", 1, 1 << 20);
    add_number(sub, "--samples", args->samples, "random inputs per circuit", 0, 1 << 20);
    add_number(sub, "--seed", args->seed, "seed of the random inputs", 0, UINT64_MAX);
    add_output_flags(sub, args->out, "JSON Lines: one flat record per instance", "CSV: one row per instance");
    sub->callback([args, &action] { action = [args] { return run_verify(*args); }; });
}

}  // namespace ahat::cli
