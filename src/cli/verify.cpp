// ahat verify C.circ | --family NAME --sizes A..B  [--construction wire|gate|both] [--depth K]
//             [--samples N] [--seed S] [--json]
#include "circuit/circ_io.hpp"
#include "circuit/families.hpp"
#include "capture/sweep.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "cli/sweep.hpp"
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
    // The items: (size, construction) for a family, each construction for a file. A family
    // instance's seed is the seed plus its size: it depends on the item alone.
    const bool family = !a.family.empty();
    std::vector<std::size_t> sizes;
    std::optional<Circuit> file_circuit;
    if (family) {
        if (!a.file.empty()) fail(SourceLoc{"--family", 0, 0}, "give a circuit file or --family, not both");
        sizes = capture::parse_sizes(a.sizes, "--sizes", std::size_t{1} << 20);
    } else {
        if (a.file.empty()) fail(SourceLoc{"verify", 0, 0}, "give a circuit file or --family NAME --sizes A..B");
        file_circuit = load_circuit(a.file);
        sizes = {0};
    }
    const std::size_t nc = constructions.size();
    auto name_of = [&](std::size_t i) { return family ? fmt::format("{} size {}", a.family, sizes[i / nc]) : a.file; };
    SweepItems items;
    items.count = sizes.size() * nc;
    items.key = [&](std::size_t i) { return fmt::format("{} {}", name_of(i), construction_name(constructions[i % nc])); };
    items.compute = [&](std::size_t i) {
        std::optional<Circuit> made;
        if (family) {
            const std::size_t n = sizes[i / nc];
            FamilyParams p;
            p.size = n;
            p.seed = a.seed + n;
            p.depth = std::min(a.random_depth, n);
            made = make_family(a.family, p);
        }
        VerifyOptions o;
        o.construction = constructions[i % nc];
        o.depth_bound = a.depth;
        o.samples = a.samples;
        o.seed = a.seed;
        const VerifyReport rep = verify_circuit(family ? *made : *file_circuit, o);
        json r{{"circuit", name_of(i)},          {"construction", construction_name(o.construction)},
               {"depth", rep.circuit_depth},     {"K", rep.depth_bound},
               {"layers", rep.shape.layers},     {"heads", rep.shape.total_heads},
               {"width", rep.shape.width},       {"tokens", rep.tokens},
               {"instances", json::array()}};
        for (const auto& inst : rep.instances)
            r["instances"].push_back(json{{"sample", inst.sample},
                                          {"inputs", rationals_json(inst.inputs)},
                                          {"expected", rationals_json(inst.expected)},
                                          {"outputs", rationals_json(inst.got)},
                                          {"outputs_ok", inst.outputs_ok},
                                          {"invariant_ok", inst.invariant_ok},
                                          {"argmax_ok", inst.argmax_ok},
                                          {"shuffle_ok", inst.shuffle_ok},
                                          {"ok", inst.ok()},
                                          {"problem", inst.problem.empty() ? json(nullptr) : json(inst.problem)}});
        return r;
    };
    items.read = [](const json& r) {  // every field the rendering below reads, in its type
        for (const char* k : {"circuit", "construction"}) (void)r.at(k).get<std::string>();
        for (const char* k : {"depth", "K", "layers", "heads", "width", "tokens"}) (void)r.at(k).get<std::size_t>();
        for (const json& inst : r.at("instances")) {
            if (!inst.is_object()) fail(SourceLoc{}, "an instance is not an object");
            (void)inst.at("ok").get<bool>(), (void)inst.at("sample").get<std::size_t>();
            if (!inst.at("problem").is_null()) (void)inst["problem"].get<std::string>();
        }
    };
    const std::optional<std::vector<json>> results = run_sweep(items);
    if (!results) return 0;
    std::size_t instances = 0, failures = 0;
    RecordWriter records(a.out, {"circuit", "construction", "depth", "K", "layers", "heads", "width", "tokens", "sample",
                                 "inputs", "expected", "outputs", "outputs_ok", "invariant_ok", "argmax_ok", "shuffle_ok",
                                 "ok", "problem"});
    for (const json& r : *results) {
        std::size_t ok = 0;
        for (const json& inst : r["instances"]) {
            ++instances;
            ok += inst["ok"].get<bool>();
            failures += inst["ok"].get<bool>() ? 0 : 1;
            if (!a.out.text()) {
                json rec;
                for (const char* k : {"circuit", "construction", "depth", "K", "layers", "heads", "width", "tokens"}) rec[k] = r[k];
                for (const auto& [k, v] : inst.items()) rec[k] = v;
                records.write(rec);
            } else if (!inst["ok"].get<bool>()) {
                fmt::print("FAIL {} [{}] sample {}: {}\n", r["circuit"].get<std::string>(), r["construction"].get<std::string>(),
                           inst["sample"].get<std::size_t>(), inst["problem"].is_null() ? "" : inst["problem"].get<std::string>());
            }
        }
        if (a.out.text())
            fmt::print("{:<40} {:<4} depth {} K {}: {}, {}, d = {}, {}, {}/{} samples ok\n", r["circuit"].get<std::string>(),
                       r["construction"].get<std::string>(), r["depth"].get<std::size_t>(), r["K"].get<std::size_t>(),
                       counted(r["layers"].get<std::size_t>(), "layer"), counted(r["heads"].get<std::size_t>(), "head"),
                       r["width"].get<std::size_t>(), counted(r["tokens"].get<std::size_t>(), "token"), ok, r["instances"].size());
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
    add_sweep_flags(sub);
    sub->callback([args, &action] { action = [args] { return run_verify(*args); }; });
}

}  // namespace ahat::cli
