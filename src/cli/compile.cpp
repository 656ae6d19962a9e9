// ahat compile C.circ [--construction wire|gate] [--depth K] [--layout auto|full|compact] [-o FILE] [--json]
#include "circuit/circ_io.hpp"
#include "cli/common.hpp"
#include "compile/compiled_io.hpp"
#include "support/plural.hpp"

namespace ahat::cli {

json compiled_shape_json(const CompiledCircuit& cc) {
    const Shape s = shape_of(cc.construction, cc.K);
    return json{{"construction", construction_name(cc.construction)},
                {"K", cc.K},
                {"circuit_depth", cc.circuit_depth},
                {"layers", s.layers},
                {"heads", s.total_heads},
                {"width", s.width},
                {"tokens", cc.tokens}};
}
namespace {

struct CompileArgs {
    std::string file, construction = "wire", output, layout = "auto";
    std::optional<std::size_t> depth;
    bool json = false;
};

int run_compile(const CompileArgs& a) {
    auto c = parse_construction(a.construction);
    if (!c) fail(SourceLoc{"--construction", 0, 0}, "unknown construction '{}' (wire, gate)", a.construction);
    Circuit circ = load_circuit(a.file);
    const std::size_t depth = stats(circ).depth;
    if (a.depth && *a.depth < depth)
        fail(SourceLoc{"--depth", 0, 0}, "K = {} is below the depth of {} ({}); the encoder needs K >= the circuit's depth",
             *a.depth, a.file, depth);
    std::optional<Layout> layout = parse_layout(a.layout);
    if (!layout && a.layout != "auto") fail(SourceLoc{"--layout", 0, 0}, "unknown layout '{}' (auto, full, compact)", a.layout);
    if (!layout) layout = choose_layout(token_count(*c, circ));
    CompiledCircuit cc = compile_circuit(circ, *c, a.depth, a.file, *layout);
    emit(a.output, write_compiled(cc, *layout));

    const Shape s = shape_of(cc.construction, cc.K);
    const bool wrote_file = !a.output.empty() && a.output != "-";
    std::FILE* sink = wrote_file ? stdout : stderr;
    if (a.json) {
        json j{{"compiled", wrote_file ? a.output : "-"}, {"circuit", a.file}};
        j.update(compiled_shape_json(cc));
        j["inputs"] = cc.input_names.size();
        j["outputs"] = circ.outputs.size();
        j["layout"] = *layout == Layout::Compact ? "compact" : "full";
        fmt::print(sink, "{}\n", j.dump());
    } else {
        fmt::print(sink,
                   "compiled {} ({} construction) to {}\n  K = {} (circuit depth {}): {}, {}, width d = {}\n"
                   "  {}; {}, {}; {} layout\n",
                   a.file, construction_name(cc.construction), wrote_file ? a.output : "stdout", cc.K, cc.circuit_depth,
                   counted(s.layers, "layer"), counted(s.total_heads, "head"), s.width,
                   counted(cc.tokens, "token"), counted(cc.input_names.size(), "input"),
                   counted(circ.outputs.size(), "output"),
                   *layout == Layout::Compact ? "compact (the circuit, tokens built when read)" : "full (the token matrix)");
        if (wrote_file && !cc.input_names.empty())
            fmt::print(sink, "  run it: ahat run {} --input \"...\" (values of {}, in order)\n", a.output,
                       fmt::join(cc.input_names, ", "));
    }
    return 0;
}

}  // namespace

void register_compile(CLI::App& app, Action& action) {
    auto args = std::make_shared<CompileArgs>();
    CLI::App* sub = app.add_subcommand("compile", "Compile a circuit (.circ) to an encoder plus its token encoding");
    sub->add_option("circuit", args->file, "the .circ file")->required();
    sub->add_option("--construction", args->construction, "wire (K layers) or gate (2K layers)")->capture_default_str();
    add_number(sub, "--depth", args->depth, "depth bound K of the encoder (default: the circuit's depth)", 1, 1 << 20);
    sub->add_option("--layout", args->layout,
                    "full (the token matrix written out), compact (the circuit's text; the tokens are built "
                    "when the file is read) or auto (compact above 65536 tokens)")
        ->capture_default_str();
    sub->add_option("-o,--output", args->output,
                    "the compiled file (default: stdout, with the summary on stderr)");
    sub->add_flag("--json", args->json, "print the summary as one JSON document");
    sub->callback([args, &action] { action = [args] { return run_compile(*args); }; });
}

}  // namespace ahat::cli
