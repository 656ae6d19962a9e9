// ahat eval C.circ --input "1, 2, 3/2" [--input ...] [--precision P] [--max-bits B] [--json]
#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "cli/common.hpp"
#include "exact/bfloat16.hpp"

namespace ahat::cli {
namespace {

struct EvalArgs {
    std::string file;
    std::vector<std::string> inputs;
    std::string precision = "exact";
    std::size_t max_bits = kDefaultMaxBits;
    bool json = false;
};

template <class S>
std::vector<std::string> eval_as(const Circuit& c, const std::vector<Rational>& in, std::size_t max_bits) {
    std::vector<S> xs;
    for (const auto& v : in) xs.push_back(from_rational<S>(v));
    std::vector<std::string> out;
    for (const S& y : evaluate<S>(c, xs, EvalOptions{max_bits})) {
        if constexpr (is_exact_v<S>) out.push_back(to_string(y));
        else out.push_back(fmt::format("{}", y));
    }
    return out;
}

int run_eval(const EvalArgs& a) {
    Circuit c = load_circuit(a.file);
    Precision p = parse_precision(a.precision);
    std::vector<std::string> texts = a.inputs;
    if (texts.empty()) {
        if (!c.inputs.empty())
            fail(SourceLoc{a.file, 0, 0}, "the circuit has {} inputs; give them with --input \"v1, v2, ...\"", c.inputs.size());
        texts.push_back("");
    }
    json results = json::array();
    for (std::size_t k = 0; k < texts.size(); ++k) {
        std::string source = fmt::format("--input #{}", k + 1);
        auto in = parse_values(texts[k], source);
        if (in.size() != c.inputs.size())
            fail(SourceLoc{source, 1, 1}, "{} values for a circuit with {} inputs", in.size(), c.inputs.size());
        std::vector<std::string> out = p == Precision::Exact    ? eval_as<Rational>(c, in, a.max_bits)
                                       : p == Precision::Double ? eval_as<double>(c, in, a.max_bits)
                                       : p == Precision::Float  ? eval_as<float>(c, in, a.max_bits)
                                                                : eval_as<bfloat16>(c, in, a.max_bits);
        if (a.json) {
            json o = json::object(), f = json::object();
            for (std::size_t j = 0; j < out.size(); ++j) {
                const std::string& name = c.gates[c.outputs[j]].name;
                o[name] = out[j];
                const auto v = parse_rational(out[j]);  // numeric results print as decimals
                f[name] = v ? json(v->convert_to<double>()) : json(nullptr);
            }
            results.push_back(json{{"inputs", rationals_json(in)}, {"outputs", o}, {"outputs_float", f}});
        } else {
            if (texts.size() > 1) fmt::print("# input {}\n", k + 1);
            for (std::size_t j = 0; j < out.size(); ++j) fmt::print("{} = {}\n", c.gates[c.outputs[j]].name, out[j]);
        }
    }
    if (a.json) print_json(json{{"circuit", a.file}, {"precision", a.precision}, {"results", results}});
    return 0;
}

}  // namespace

void register_eval(CLI::App& app, Action& action) {
    auto args = std::make_shared<EvalArgs>();
    CLI::App* sub = app.add_subcommand("eval", "Evaluate a circuit (.circ) on given inputs, exactly by default");
    sub->add_option("circuit", args->file, "the .circ file")->required();
    sub->add_option("--input,-i", args->inputs, "input values in declaration order, e.g. \"1, 2, 3/2\"; repeat for more instances");
    sub->add_option("--precision", args->precision, "exact (default), double, float or bfloat16");
    add_number(sub, "--max-bits", args->max_bits, "largest allowed size of any exact value in bits (0: no limit)", 0, 1 << 30);
    sub->add_flag("--json", args->json, "print one JSON document");
    sub->callback([args, &action] { action = [args] { return run_eval(*args); }; });
}

}  // namespace ahat::cli
