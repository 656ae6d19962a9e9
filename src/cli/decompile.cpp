// ahat decompile ENC.json --length n [-o out.circ] [--check N] [--seed S] [--no-pad] [--json]
#include <random>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "cli/common.hpp"
#include "compile/compiled_io.hpp"
#include "compile/encoder_to_circuit.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "support/json.hpp"

namespace ahat::cli {
namespace {

struct DecompileArgs {
    std::string file, output;
    std::size_t length = 0, checks = 20;
    std::uint64_t seed = 1;
    bool no_pad = false, json = false;
};

// Random input number `sample` of length n (rows, BOS included). Strings: tokens drawn
// uniformly from the alphabet (the BOS symbol left out where there are others). Vectors:
// even samples p/q with p in [-5, 5], q in [1, 4]; odd samples entries in {0, 1}, full of ties.
Matrix<Rational> random_input(std::mt19937_64& rng, const Encoder& enc, std::size_t n, std::size_t sample) {
    if (enc.input.kind == InputSpec::Kind::String) {
        std::vector<std::string> symbols;
        for (const auto& s : enc.input.alphabet)
            if (!enc.input.bos || s != *enc.input.bos) symbols.push_back(s);
        if (symbols.empty()) symbols = enc.input.alphabet;
        std::vector<std::string> tokens;
        const std::size_t m = n - (enc.input.bos ? 1 : 0);
        for (std::size_t k = 0; k < m; ++k) tokens.push_back(symbols[rng() % symbols.size()]);
        return embed(enc, tokens);
    }
    Matrix<Rational> x(n, enc.d);
    for (auto& v : x.data) {
        if (sample % 2 == 1) {
            v = Rational(static_cast<long long>(rng() % 2));
        } else {
            const auto p = static_cast<long long>(rng() % 11) - 5;
            const auto q = static_cast<long long>(rng() % 4) + 1;
            v = Rational(p) / Rational(q);
        }
    }
    return x;
}

int run_decompile(const DecompileArgs& a) {
    // A compiled circuit (ahat compile) is decompiled through its encoder, as run and info read it.
    const JValue root = parse_json(read_file(a.file), input_name(a.file));
    Encoder enc = is_compiled_circuit(root) ? compiled_from_json(root).encoder : encoder_from_json(root);
    if (a.length == 0) fail(SourceLoc{"--length", 0, 0}, "the input length n must be at least 1");
    EncoderCircuitOptions opts;
    opts.pad = !a.no_pad;
    EncoderCircuit ec = build_encoder_circuit(enc, a.length, opts);
    const CircuitStats st = stats(ec.circuit);

    // The circuit against the interpreter on random inputs.
    Program<Rational> prog(enc);
    std::mt19937_64 rng(a.seed);
    std::size_t mismatches = 0;
    std::string first_problem;
    for (std::size_t s = 0; s < a.checks; ++s) {
        Matrix<Rational> x = random_input(rng, enc, a.length, s);
        RunResult<Rational> r = prog.run(x);
        std::vector<Rational> expected =
            r.accepted ? std::vector<Rational>{Rational(*r.accepted ? 1 : 0), r.score} : r.outputs.data;
        std::vector<Rational> got = evaluate<Rational>(ec.circuit, circuit_input(x));
        if (got != expected) {
            if (mismatches == 0) {
                std::size_t k = 0;
                while (k < got.size() && got[k] == expected[k]) ++k;
                first_problem = fmt::format("check {}: output {} ({}) is {}, the interpreter gives {}", s, k,
                                            ec.circuit.gates[ec.circuit.outputs[k]].name, to_string(got[k]),
                                            to_string(expected[k]));
            }
            ++mismatches;
        }
    }

    const bool string_input = enc.input.kind == InputSpec::Kind::String;
    const bool accept = enc.readout.kind == Readout::Kind::Accept;
    std::string comment = fmt::format(
        "decompiled from {} (encoder {}), n = {}: ahat decompile {} --length {}{}\n"
        "inputs x<i>_<c>: the {} x {} input matrix, row-major{}\n"
        "outputs: {}",
        a.file, enc.name.empty() ? "unnamed" : enc.name, a.length, a.file, a.length, a.no_pad ? " --no-pad" : "",
        a.length, enc.d,
        string_input ? (enc.input.bos ? " (the embedded string, BOS row included)" : " (the embedded string)") : "",
        accept ? "accept = [<t, x_p> + b > 0], score = <t, x_p> + b"
               : fmt::format("y<i>_<k> = coordinate {} of position i after the last layer",
                             fmt::join(enc.readout.coordinates, ", ")));
    emit(a.output, write_circuit(ec.circuit, comment));

    const bool to_file = !a.output.empty() && a.output != "-";
    std::FILE* sink = to_file ? stdout : stderr;
    std::vector<std::uint32_t> layer_depths;
    for (const LayerDepth& ld : ec.depth.layers) layer_depths.push_back(ld.output);
    if (a.json) {
        json j{{"encoder", a.file},
               {"n", a.length},
               {"size", st.size},
               {"depth", st.depth},
               {"inputs", st.inputs},
               {"outputs", st.outputs},
               {"checks", a.checks},
               {"mismatches", mismatches},
               {"layer_depths", layer_depths},
               {"readout_depth", ec.depth.readout},
               {"padding", ec.padding},
               {"circuit", to_file ? a.output : "-"}};
        fmt::print(sink, "{}\n", j.dump());
    } else {
        fmt::print(sink, "decompiled {} (n = {}{}) to {}\n", a.file, a.length,
                   string_input && enc.input.bos ? ", BOS included" : "", to_file ? a.output : "stdout");
        fmt::print(sink, "  {} inputs, {} outputs ({})\n", st.inputs, st.outputs, accept ? "accept, score" : "y<i>_<k>");
        fmt::print(sink, "  size {} ({} add, {} mul, {} sign; {} of them padding), {} constants, max fan-in {}\n", st.size,
                   st.adds, st.muls, st.signs, ec.padding, st.consts, st.max_fanin);
        fmt::print(sink, "  depth {}{}\n", st.depth,
                   opts.pad || st.depth == ec.depth.total ? "" : fmt::format(" (the formula's bound: {})", ec.depth.total));
        for (std::size_t l = 0; l < ec.depth.layers.size(); ++l) {
            const LayerDepth& ld = ec.depth.layers[l];
            fmt::print(sink, "    layer {}: input {}, after attention {}, after feed-forward {}\n", l, ld.input,
                       ld.attention, ld.output);
        }
        fmt::print(sink, "    readout {}\n", ec.depth.readout);
        if (a.checks > 0)
            fmt::print(sink, "  {}/{} random inputs (seed {}) agree exactly with the interpreter\n", a.checks - mismatches,
                       a.checks, a.seed);
    }
    if (mismatches)
        throw CheckFailed(fmt::format("{} of {} random inputs disagree with the interpreter; first: {}", mismatches,
                                      a.checks, first_problem));
    return 0;
}

}  // namespace

void register_decompile(CLI::App& app, Action& action) {
    auto args = std::make_shared<DecompileArgs>();
    CLI::App* sub = app.add_subcommand(
        "decompile", "Turn an encoder (.json), for one input length n, into an arithmetic circuit (.circ) of constant depth");
    sub->add_option("encoder", args->file, "the encoder JSON file, or a compiled circuit (ahat compile; its encoder is decompiled)")->required();
    add_number(sub, "--length,-n", args->length, "the input length n (with a BOS symbol, n counts it)", 1, 1 << 20)->required();
    sub->add_option("-o,--output", args->output, "the circuit file (default: stdout, with the summary on stderr)");
    add_number(sub, "--check", args->checks, "random inputs to compare with the interpreter (0: none)", 0, 1 << 20);
    add_number(sub, "--seed", args->seed, "seed of the random inputs", 0, UINT64_MAX);
    sub->add_flag("--no-pad", args->no_pad,
                  "leave out the single-operand add gates that give every state gate its exact depth (depth then at most the formula)");
    sub->add_flag("--json", args->json, "print the summary as one JSON document");
    sub->callback([args, &action] { action = [args] { return run_decompile(*args); }; });
}

}  // namespace ahat::cli
