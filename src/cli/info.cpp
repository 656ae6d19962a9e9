// ahat info FILE [--json]: statistics of a circuit (.circ), an encoder (.json) or a compiled
// circuit (.json with "format": "ahat-compiled-circuit").
#include "circuit/circ_io.hpp"
#include "cli/common.hpp"
#include "compile/compiled_io.hpp"
#include "encoder/encoder_json.hpp"
#include "support/json.hpp"
#include "support/plural.hpp"

namespace ahat::cli {
namespace {

struct InfoArgs {
    std::string file;
    bool json = false;
};

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int circuit_info(const InfoArgs& a, const std::string& text) {
    Circuit c = read_circuit(text, input_name(a.file));
    CircuitStats s = stats(c);
    if (a.json) {
        print_json(json{{"file", a.file},     {"kind", "circuit"}, {"inputs", s.inputs}, {"outputs", s.outputs},
                        {"consts", s.consts}, {"add", s.adds},     {"mul", s.muls},      {"sign", s.signs},
                        {"size", s.size},     {"depth", s.depth},  {"max_fanin", s.max_fanin}, {"edges", s.edges}});
        return 0;
    }
    fmt::print("circuit {}\n  inputs {}, outputs {}, constants {}\n  gates {} (add {}, mul {}, sign {}), edges {}\n"
               "  depth {}, max fan-in {}\n",
               a.file, s.inputs, s.outputs, s.consts, s.size, s.adds, s.muls, s.signs, s.edges, s.depth, s.max_fanin);
    return 0;
}

int compiled_info(const InfoArgs& a, const CompiledCircuit& cc) {
    const Shape s = shape_of(cc.construction, cc.K);
    if (a.json) {
        json j{{"file", a.file}, {"kind", "compiled-circuit"}, {"circuit", cc.source}};
        j.update(compiled_shape_json(cc));
        j["inputs"] = cc.input_names;
        j["outputs"] = cc.encoding.output_names;
        print_json(j);
        return 0;
    }
    fmt::print("compiled circuit {}{}\n  construction {}, K = {}, circuit depth {}\n"
               "  encoder: layers {}, heads {}, width d = {}\n  tokens {}\n  inputs ({}): {}\n  outputs ({}): {}\n",
               a.file, cc.source.empty() ? "" : " (from " + cc.source + ")", construction_name(cc.construction), cc.K,
               cc.circuit_depth, s.layers, s.total_heads, s.width, cc.tokens, cc.input_names.size(),
               fmt::join(cc.input_names, ", "), cc.encoding.output_names.size(), fmt::join(cc.encoding.output_names, ", "));
    return 0;
}

int encoder_info(const InfoArgs& a, const Encoder& enc) {
    std::size_t heads = 0, params = 0, ffn_gates = 0, ffn_depth = 0;
    std::map<std::string, std::size_t> rules, masks;
    for (const Layer& l : enc.layers) {
        for (const Head& h : l.heads) {
            ++heads;
            params += h.query.A.nnz() + h.key.A.nnz() + h.value.A.nnz() + h.output.nnz();
            ++rules[std::string(rule_name(h.rule))];
            ++masks[std::string(mask_name(h.mask)) + (h.window ? fmt::format(" window {}", *h.window) : "")];
        }
        if (l.ffn) {
            CircuitStats s = stats(l.ffn->circuit);
            ffn_gates += s.size;
            ffn_depth = std::max(ffn_depth, s.depth);
        }
    }
    std::vector<std::string> features;
    for (const auto& p : enc.input.positional) features.emplace_back(feature_name(p.feature));
    std::string input = enc.input.kind == InputSpec::Kind::String ? "string" : "vectors";
    std::string readout = enc.readout.kind == Readout::Kind::Sequence ? "sequence" : (enc.readout.at_last ? "accept at last" : "accept at first");
    if (a.json) {
        print_json(json{{"file", a.file},     {"kind", "encoder"},     {"name", enc.name},     {"d", enc.d},
                        {"layers", enc.layers.size()}, {"heads", heads}, {"attention_nonzeros", params},
                        {"ffn_gates", ffn_gates}, {"ffn_max_depth", ffn_depth}, {"rules", rules}, {"masks", masks},
                        {"input", input},     {"alphabet", enc.input.alphabet}, {"features", features},
                        {"readout", readout}});
        return 0;
    }
    fmt::print("encoder {}{}\n  width d = {}, layers {}, heads {}\n  attention weights: {} non-zeros\n"
               "  feed-forward circuits: {} gates, max depth {}\n",
               a.file, enc.name.empty() ? "" : " (" + enc.name + ")", enc.d, enc.layers.size(), heads, params, ffn_gates,
               ffn_depth);
    for (const auto& [k, v] : rules) fmt::print("  rule {}: {}\n", k, counted(v, "head"));
    for (const auto& [k, v] : masks) fmt::print("  mask {}: {}\n", k, counted(v, "head"));
    fmt::print("  input: {}{}\n", input,
               enc.input.alphabet.empty() ? "" : fmt::format(" over {{{}}}", fmt::join(enc.input.alphabet, ", ")));
    fmt::print("  positional features: {}\n", features.empty() ? "none" : fmt::format("{}", fmt::join(features, ", ")));
    fmt::print("  readout: {}\n", readout);
    if (!enc.description.empty()) fmt::print("  {}\n", enc.description);
    return 0;
}

int json_info(const InfoArgs& a, const std::string& text) {
    const JValue root = parse_json(text, input_name(a.file));
    if (is_compiled_circuit(root)) return compiled_info(a, compiled_from_json(root));
    return encoder_info(a, encoder_from_json(root));
}

}  // namespace

void register_info(CLI::App& app, Action& action) {
    auto args = std::make_shared<InfoArgs>();
    CLI::App* sub = app.add_subcommand("info", "Statistics of a circuit (.circ), an encoder or a compiled circuit (.json)");
    sub->add_option("file", args->file, "a .circ or .json file, or - for standard input (JSON if it starts with '{')")->required();
    sub->add_flag("--json", args->json, "print one JSON document");
    sub->callback([args, &action] {
        action = [args] {
            // A .json file is an encoder or a compiled circuit; standard input ("-") is JSON when
            // its first non-blank character is '{'; anything else is read as a .circ file.
            const std::string text = read_file(args->file);
            const auto first = text.find_first_not_of(" \t\r\n");
            const bool is_json = args->file == "-" ? first != std::string::npos && text[first] == '{'
                                                   : ends_with(args->file, ".json");
            return is_json ? json_info(*args, text) : circuit_info(*args, text);
        };
    });
}

}  // namespace ahat::cli
