// ahat run enc.json --input TEXT | --input-file F [--precision P] [--layers L] [--trace]
//          [--states] [--tie-tolerance T] [--max-bits B] [--json]
#include "cli/common.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"

namespace ahat::cli {
namespace {

struct RunArgs {
    std::string file, input, input_file, precision = "exact";
    std::optional<std::size_t> layers;
    std::optional<double> tie_tolerance;
    std::size_t max_bits = kDefaultMaxBits;
    bool trace = false, states = false, json = false;
};

template <class S>
std::string show(const S& x) {
    if constexpr (is_exact_v<S>) return to_string(x);
    else return fmt::format("{}", x);
}

template <class S>
json matrix_json(const Matrix<S>& m) {
    json rows = json::array();
    for (std::size_t i = 0; i < m.rows; ++i) {
        json row = json::array();
        for (std::size_t c = 0; c < m.cols; ++c) row.push_back(show(m.at(i, c)));
        rows.push_back(std::move(row));
    }
    return rows;
}

template <class S>
void print_matrix(const Matrix<S>& m, const std::vector<std::string>& labels) {
    for (std::size_t i = 0; i < m.rows; ++i) {
        std::string line = fmt::format("  {:>4}", i);
        if (i < labels.size()) line += fmt::format(" {:>4}", labels[i]);
        for (std::size_t c = 0; c < m.cols; ++c) line += " " + show(m.at(i, c));
        fmt::print("{}\n", line);
    }
}

template <class S>
int run_as(const Encoder& enc, const Matrix<Rational>& x, const std::vector<std::string>& tokens, const RunArgs& a) {
    RunOptions opts;
    opts.stop_after = a.layers;
    opts.record_states = a.states;
    opts.tie_tolerance = a.tie_tolerance;
    opts.max_bits = a.max_bits;
    Program<S> prog(enc);
    RunResult<S> r = prog.run(convert<S>(x), opts);
    const std::string prec(scalar_name<S>());
    if (a.json) {
        json j{{"encoder", a.file}, {"precision", prec}, {"n", x.rows}, {"layers_run", r.layers_run}};
        if (!is_exact_v<S>) j["tie_tolerance"] = r.trace.tie_tolerance;
        if (!tokens.empty()) j["tokens"] = tokens;
        if (r.accepted) {
            j["accepted"] = *r.accepted;
            j["score"] = show(r.score);
        } else {
            j["outputs"] = matrix_json(r.outputs);
        }
        if (a.trace) {
            json layers = json::array();
            for (std::size_t l = 0; l < r.trace.heads.size(); ++l) {
                json heads = json::array();
                for (std::size_t h = 0; h < r.trace.heads[l].size(); ++h)
                    heads.push_back(json{{"head", h}, {"name", enc.layers[l].heads[h].name}, {"selected", r.trace.heads[l][h].selected}});
                layers.push_back(json{{"layer", l}, {"heads", heads}});
            }
            j["trace"] = layers;
        }
        if (a.states) {
            json states = json::array();
            for (const auto& s : r.trace.states) states.push_back(matrix_json(s));
            j["states"] = states;
        }
        j["mul_adds"] = r.trace.mul_adds;
        print_json(j);
        return 0;
    }
    fmt::print("encoder {} (d = {}, {} layers), precision {}", enc.name.empty() ? a.file : enc.name, enc.d,
               enc.layers.size(), prec);
    if (!is_exact_v<S>) fmt::print(", tie tolerance {:g}", r.trace.tie_tolerance);
    fmt::print("\ninput: n = {}{}\n", x.rows, r.layers_run < enc.layers.size() ? fmt::format(", stopped after layer {}", r.layers_run) : "");
    if (a.trace) {
        for (std::size_t l = 0; l < r.trace.heads.size(); ++l)
            for (std::size_t h = 0; h < r.trace.heads[l].size(); ++h)
                fmt::print("layer {} head {}{}: |M_i| = {}\n", l, h,
                           enc.layers[l].heads[h].name.empty() ? "" : " (" + enc.layers[l].heads[h].name + ")",
                           fmt::join(r.trace.heads[l][h].selected, " "));
    }
    if (a.states) {
        for (std::size_t l = 0; l < r.trace.states.size(); ++l) {
            if (l == 0) fmt::print("state: input\n");
            else fmt::print("state after layer {}\n", l);
            print_matrix(r.trace.states[l], tokens);
        }
    }
    if (r.accepted) {
        fmt::print("{} (score {})\n", *r.accepted ? "accepted" : "rejected", show(r.score));
    } else {
        fmt::print("outputs (position, token, coordinates {}):\n", fmt::join(enc.readout.coordinates, " "));
        print_matrix(r.outputs, tokens);
    }
    return 0;
}

int run_run(const RunArgs& a) {
    Encoder enc = load_encoder(a.file);
    Precision p = parse_precision(a.precision);
    if (!a.input.empty() && !a.input_file.empty())
        fail(SourceLoc{"--input", 0, 0}, "give either --input or --input-file, not both");
    std::string text = a.input_file.empty() ? a.input : read_file(a.input_file);
    std::string source = a.input_file.empty() ? "<input>" : a.input_file;
    Matrix<Rational> x;
    std::vector<std::string> tokens;
    if (enc.input.kind == InputSpec::Kind::String) {
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        tokens = tokenize_input(enc, text);
        x = embed(enc, tokens);
        if (enc.input.bos) tokens.insert(tokens.begin(), *enc.input.bos);
    } else {
        x = parse_rows(text, source, enc.d);
    }
    switch (p) {
        case Precision::Exact: return run_as<Rational>(enc, x, tokens, a);
        case Precision::Double: return run_as<double>(enc, x, tokens, a);
        case Precision::Float: return run_as<float>(enc, x, tokens, a);
    }
    return 2;
}

}  // namespace

void register_run(CLI::App& app, Action& action) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* sub = app.add_subcommand("run", "Run an encoder (.json) on one input");
    sub->add_option("encoder", args->file, "the encoder JSON file")->required();
    sub->add_option("--input,-i", args->input,
                    "a string for string encoders (\"abba\", or space-separated tokens); rows of d values separated by ';' for vector encoders");
    sub->add_option("--input-file", args->input_file, "read the input from a file (vector rows one per line)");
    sub->add_option("--precision", args->precision, "exact (default), double or float");
    sub->add_option("--layers", args->layers, "stop after this many layers");
    sub->add_option("--tie-tolerance", args->tie_tolerance,
                    "numeric runs: scores within tol*max(1,|max|) of the maximum tie (default 1e-9 double, 1e-4 float)");
    sub->add_option("--max-bits", args->max_bits, "largest allowed size of any exact value in bits (0: no limit)")
        ->capture_default_str();
    sub->add_flag("--trace", args->trace, "print the argmax-set size of every head at every position");
    sub->add_flag("--states", args->states, "print the state after every layer");
    sub->add_flag("--json", args->json, "print one JSON document");
    sub->callback([args, &action] { action = [args] { return run_run(*args); }; });
}

}  // namespace ahat::cli
