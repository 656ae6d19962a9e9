// ahat run enc.json --input TEXT | --input-file F [--precision P] [--layers L] [--trace]
//          [--states] [--tie-tolerance T] [--max-bits B] [--json]
// A compiled circuit (ahat compile) is recognised by its "format"; then --input holds the
// circuit's input values and the decoded outputs are printed.
#include <cmath>
#include <limits>

#include "cli/common.hpp"
#include "compile/compiled_io.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "exact/bfloat16.hpp"
#include "numeric/engine.hpp"
#include "support/json.hpp"
#include "support/plural.hpp"
#include "cli/attention_svg.hpp"

namespace ahat::cli {
namespace {

struct RunArgs {
    std::string file, input, input_file, precision = "exact";
    std::optional<std::size_t> layers;
    std::optional<double> tie_tolerance;
    std::size_t max_bits = kDefaultMaxBits;
    bool trace = false, states = false, json = false, attention = false;
    std::string attention_svg;
    std::string engine = "scalar", order = "reference", device = "cpu";
    int threads = 0;
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

// A table of m's rows under a header: position, token (where labels are given), then one
// right-aligned column per coordinate, each as wide as its name or its widest value.
template <class S>
void print_matrix(const Matrix<S>& m, const std::vector<std::string>& labels, const std::vector<std::string>& names) {
    std::vector<std::vector<std::string>> cells(m.rows);
    std::vector<std::size_t> width(m.cols, 0);
    for (std::size_t c = 0; c < m.cols; ++c) width[c] = c < names.size() ? names[c].size() : 0;
    for (std::size_t i = 0; i < m.rows; ++i)
        for (std::size_t c = 0; c < m.cols; ++c) {
            cells[i].push_back(show(m.at(i, c)));
            width[c] = std::max(width[c], cells[i].back().size());
        }
    std::size_t tok = 3;
    for (const std::string& t : labels) tok = std::max(tok, t.size());
    auto line = [&](std::string head, const std::string& label, auto&& cell) {
        if (!labels.empty()) head += fmt::format(" {:>{}}", label, tok);
        for (std::size_t c = 0; c < m.cols; ++c) head += fmt::format(" {:>{}}", cell(c), width[c]);
        fmt::print("{}\n", head);
    };
    line(fmt::format("  {:>4}", "pos"), "tok", [&](std::size_t c) { return c < names.size() ? names[c] : std::to_string(c); });
    for (std::size_t i = 0; i < m.rows; ++i)
        line(fmt::format("  {:>4}", i), i < labels.size() ? labels[i] : "", [&](std::size_t c) { return cells[i][c]; });
}

template <class S>
json trace_json(const Encoder& enc, const Trace<S>& trace) {
    json layers = json::array();
    for (std::size_t l = 0; l < trace.heads.size(); ++l) {
        json heads = json::array();
        for (std::size_t h = 0; h < trace.heads[l].size(); ++h)
            heads.push_back(json{{"head", h}, {"name", enc.layers[l].heads[h].name}, {"selected", trace.heads[l][h].selected}});
        layers.push_back(json{{"layer", l}, {"heads", heads}});
    }
    return layers;
}

// Layers are numbered from 0 everywhere (--trace, --states, --attention); --layers L is a count.
template <class S>
void print_trace(const Encoder& enc, const Trace<S>& trace) {
    for (std::size_t l = 0; l < trace.heads.size(); ++l)
        for (std::size_t h = 0; h < trace.heads[l].size(); ++h)
            fmt::print("layer {} head {}{}: |M_i| = {}\n", l, h,
                       enc.layers[l].heads[h].name.empty() ? "" : " (" + enc.layers[l].heads[h].name + ")",
                       fmt::join(trace.heads[l][h].selected, " "));
}

// The states, each under a header naming its columns (the encoder's coordinate names).
template <class S>
void print_states(const Encoder& enc, const Trace<S>& trace, const std::vector<std::string>& tokens) {
    std::vector<std::string> names;
    for (std::size_t c = 0; c < enc.d; ++c) names.push_back(coordinate_name(enc, c));
    for (std::size_t l = 0; l < trace.states.size(); ++l) {
        if (l == 0) fmt::print("state: input\n");
        else fmt::print("state after layer {}\n", l - 1);
        print_matrix(trace.states[l], tokens, names);
    }
}

template <class S>
json states_json(const Trace<S>& trace) {
    json states = json::array();
    for (const auto& st : trace.states) states.push_back(matrix_json(st));
    return states;
}

json coordinates_json(const Encoder& enc) {
    json names = json::array();
    for (std::size_t c = 0; c < enc.d; ++c) names.push_back(coordinate_name(enc, c));
    return names;
}

// --attention: per layer and head, per query position, the key positions attended to and
// their weights (exact weights as rationals where the run is exact and the head is hard or
// uniform; softmax weights as computed).
template <class S>
json attention_json(const Encoder& enc, const Trace<S>& trace) {
    json heads = json::array();
    for (std::size_t l = 0; l < trace.heads.size(); ++l)
        for (std::size_t h = 0; h < trace.heads[l].size(); ++h) {
            const Head& head = enc.layers[l].heads[h];
            const HeadTrace& ht = trace.heads[l][h];
            json queries = json::array();
            for (std::size_t i = 0; i < ht.positions.size(); ++i) {
                const auto& keys = ht.positions[i];
                json weights = json::array();
                for (std::size_t k = 0; k < keys.size(); ++k) {
                    if (!ht.weights.empty()) weights.push_back(ht.weights[i][k]);
                    else if (head.rule == Rule::UniqueHardLeft || head.rule == Rule::UniqueHardRight) weights.push_back(1.0);
                    else weights.push_back(1.0 / static_cast<double>(keys.size()));
                }
                queries.push_back(json{{"query", i}, {"keys", keys}, {"weights", weights}});
            }
            heads.push_back(json{{"layer", l}, {"head", h}, {"name", head.name}, {"rule", rule_name(head.rule)},
                                 {"mask", mask_name(head.mask)}, {"queries", queries}});
        }
    return heads;
}

template <class S>
void print_attention(const Encoder& enc, const Trace<S>& trace) {
    const json heads = attention_json(enc, trace);
    for (const json& h : heads) {
        fmt::print("attention layer {} head {}{} ({}):", h["layer"].get<std::size_t>(), h["head"].get<std::size_t>(),
                   h["name"].get<std::string>().empty() ? "" : " " + h["name"].get<std::string>(), h["rule"].get<std::string>());
        for (const json& q : h["queries"]) {
            std::vector<std::size_t> keys = q["keys"].get<std::vector<std::size_t>>();
            fmt::print(" {}:[{}]", q["query"].get<std::size_t>(), fmt::join(keys, " "));
        }
        fmt::print("\n");
    }
}

template <class S>
void write_attention_svg(const Encoder& enc, const Trace<S>& trace, const std::vector<std::string>& tokens,
                         const std::string& path) {
    std::vector<AttentionMap> maps;
    for (const json& h : attention_json(enc, trace)) {
        AttentionMap m;
        m.title = fmt::format("layer {} head {}{} ({})", h["layer"].get<std::size_t>(), h["head"].get<std::size_t>(),
                              h["name"].get<std::string>().empty() ? "" : " " + h["name"].get<std::string>(),
                              h["rule"].get<std::string>());
        const std::size_t n = h["queries"].size();
        m.weights.assign(n, std::vector<double>(n, 0.0));
        for (const json& q : h["queries"]) {
            const auto i = q["query"].get<std::size_t>();
            for (std::size_t k = 0; k < q["keys"].size(); ++k)
                m.weights[i][q["keys"][k].get<std::size_t>()] = q["weights"][k].get<double>();
        }
        maps.push_back(std::move(m));
    }
    std::vector<std::string> labels = tokens;
    if (labels.empty())
        for (std::size_t i = 0; i < (trace.states.empty() ? 0 : trace.states[0].rows); ++i) labels.push_back(std::to_string(i));
    write_file_atomic(path, attention_svg(maps, labels));
}

// The decoded readout per position (the BOS row left out), where the encoder says how to
// decode it (readout values, or a single coordinate); null entries where a row decodes to nothing.
template <class S>
std::optional<std::vector<std::optional<std::string>>> decoded(const Encoder& enc, const Matrix<S>& outputs) {
    if (enc.readout.kind != Readout::Kind::Sequence || (enc.readout.values.empty() && outputs.cols != 1)) return std::nullopt;
    std::vector<std::optional<std::string>> out;
    for (std::size_t i = enc.input.bos ? 1 : 0; i < outputs.rows; ++i) {
        std::vector<Rational> row;
        for (std::size_t c = 0; c < outputs.cols; ++c) row.push_back(to_rational(outputs.at(i, c)));
        out.push_back(decoded_output(enc, row, !is_exact_v<S>));
    }
    return out;
}

template <class S>
int run_as(const Encoder& enc, const Matrix<Rational>& x, const std::vector<std::string>& tokens, const RunArgs& a) {
    RunOptions opts;
    opts.stop_after = a.layers;
    opts.record_states = a.states || !a.attention_svg.empty();
    opts.record_attention = a.attention || !a.attention_svg.empty();
    opts.tie_tolerance = a.tie_tolerance;
    opts.max_bits = a.max_bits;
    opts.threads = a.threads;
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
            if (const auto dec = decoded(enc, r.outputs)) {
                json values = json::array();
                for (const auto& v : *dec) values.push_back(or_null(v));
                j["decoded"] = values;
            }
        }
        if (a.trace) j["trace"] = trace_json(enc, r.trace);
        if (a.states) {
            j["coordinates"] = coordinates_json(enc);
            j["states"] = states_json(r.trace);
        }
        if (a.attention) j["attention"] = attention_json(enc, r.trace);
        j["mul_adds"] = r.trace.mul_adds;
        if (!a.attention_svg.empty()) write_attention_svg(enc, r.trace, tokens, a.attention_svg);
        print_json(j);
        return 0;
    }
    if (!a.attention_svg.empty()) write_attention_svg(enc, r.trace, tokens, a.attention_svg);
    fmt::print("encoder {} (d = {}, {}), precision {}", enc.name.empty() ? a.file : enc.name, enc.d,
               counted(enc.layers.size(), "layer"), prec);
    if (!is_exact_v<S>) fmt::print(", tie tolerance {:g}", r.trace.tie_tolerance);
    fmt::print("\ninput: n = {}{}\n", x.rows,
               r.layers_run < enc.layers.size() ? fmt::format(", stopped after {}", counted(r.layers_run, "layer")) : "");
    if (a.trace) print_trace(enc, r.trace);
    if (a.states) print_states(enc, r.trace, tokens);
    if (a.attention) print_attention(enc, r.trace);
    if (r.accepted) {
        fmt::print("{} (score {})\n", *r.accepted ? "accepted" : "rejected", show(r.score));
    } else {
        std::vector<std::string> cols;
        for (std::uint32_t c : enc.readout.coordinates)
            cols.push_back(c < enc.coordinates.size() ? enc.coordinates[c] : std::to_string(c));
        fmt::print("outputs:\n");
        print_matrix(r.outputs, tokens, cols);
        if (const auto dec = decoded(enc, r.outputs)) {
            std::vector<std::string> shown;
            for (const auto& v : *dec) shown.push_back(v ? *v : "?");
            fmt::print("decoded: {}\n", fmt::join(shown, " "));
        }
    }
    return 0;
}

// ---- compiled circuits ----

// The circuit's input values: separated by commas or white space, over any number of lines,
// '#' starting a comment.
std::vector<Rational> compiled_inputs(const CompiledCircuit& cc, const RunArgs& a) {
    if (!a.input.empty() && !a.input_file.empty())
        fail(SourceLoc{"--input", 0, 0}, "give either --input or --input-file, not both");
    const std::string text = a.input_file.empty() ? a.input : read_file(a.input_file);
    const std::string source = a.input_file.empty() ? "<input>" : input_name(a.input_file);
    std::vector<Rational> values;
    std::uint32_t line = 1;
    for (std::size_t pos = 0; pos <= text.size(); ++line) {
        std::size_t e = text.find('\n', pos);
        if (e == std::string::npos) e = text.size();
        std::string_view part = std::string_view(text).substr(pos, e - pos);
        if (std::size_t hash = part.find('#'); hash != std::string_view::npos) part = part.substr(0, hash);
        for (Rational& v : parse_values(part, source, line)) values.push_back(std::move(v));
        pos = e + 1;
    }
    if (values.size() != cc.input_names.size()) {
        if (a.input.empty() && a.input_file.empty() && !cc.input_names.empty())
            fail(SourceLoc{a.file, 0, 0}, "the circuit has {} inputs; give their values with --input \"v1, v2, ...\" ({})",
                 cc.input_names.size(), fmt::join(cc.input_names, ", "));
        fail(SourceLoc{source, 1, 1}, "{} values for a circuit with {} inputs ({})", values.size(), cc.input_names.size(),
             fmt::join(cc.input_names, ", "));
    }
    return values;
}

template <class S>
int run_compiled_as(CompiledCircuit& cc, const std::vector<Rational>& in, const RunArgs& a) {
    const Encoding& e = cc.encoding;
    const std::size_t token_count = e.tokens.rows;
    // The token matrix becomes the input, and in an exact run the state: no copy of it is made.
    Matrix<Rational> x = std::move(cc.encoding.tokens);
    set_inputs(e, in, x);
    RunOptions opts;
    opts.stop_after = a.layers;
    opts.record_states = a.states || !a.attention_svg.empty();
    opts.record_attention = a.attention || !a.attention_svg.empty();
    opts.tie_tolerance = a.tie_tolerance;
    opts.max_bits = a.max_bits;
    opts.threads = a.threads;
    const Program<S> prog(cc.encoder);
    const RunResult<S> r = [&] {
        if constexpr (is_exact_v<S>) return prog.run(std::move(x), opts);
        else return prog.run(convert<S>(x), opts);  // x stays for the exact run below
    }();
    std::vector<S> got;
    for (std::uint32_t t : e.output_tokens) got.push_back(r.state.at(t, e.value_coordinate));
    // Numeric runs are compared with the exact run of the same layers.
    std::vector<Rational> exact;
    std::vector<double> diff;
    if constexpr (!is_exact_v<S>) {
        RunOptions eo;
        eo.stop_after = a.layers;
        eo.max_bits = a.max_bits;
        eo.threads = a.threads;
        exact = decode(e, Program<Rational>(cc.encoder).run(x, eo).state);
        for (std::size_t k = 0; k < got.size(); ++k) {
            const double v = static_cast<double>(got[k]);
            const Rational delta = std::isfinite(v) ? Rational(to_rational(got[k]) - exact[k]) : Rational(0);
            diff.push_back(std::isfinite(v) ? delta.convert_to<double>() : std::numeric_limits<double>::quiet_NaN());
        }
    }
    const std::string prec(scalar_name<S>());
    const Shape shape = shape_of(cc.construction, cc.K);
    const bool stopped = r.layers_run < cc.encoder.layers.size();
    if (a.json) {
        json outputs = json::object(), exact_j = json::object(), diff_j = json::object();
        for (std::size_t k = 0; k < got.size(); ++k) {
            outputs[e.output_names[k]] = show(got[k]);
            if (!is_exact_v<S>) {
                exact_j[e.output_names[k]] = to_string(exact[k]);
                diff_j[e.output_names[k]] = diff[k];  // NaN prints as null
            }
        }
        json j{{"compiled", a.file},
               {"circuit", cc.source},
               {"construction", construction_name(cc.construction)},
               {"K", cc.K},
               {"precision", prec},
               {"inputs", rationals_json(in)},
               {"outputs", outputs}};
        if (!is_exact_v<S>) {
            j["exact"] = exact_j;
            j["difference"] = diff_j;
            j["tie_tolerance"] = r.trace.tie_tolerance;
        }
        j["layers"] = shape.layers;
        j["layers_run"] = r.layers_run;
        j["tokens"] = token_count;
        if (a.trace) j["trace"] = trace_json(cc.encoder, r.trace);
        if (a.states) {
            j["coordinates"] = coordinates_json(cc.encoder);
            j["states"] = states_json(r.trace);
        }
        if (a.attention) j["attention"] = attention_json(cc.encoder, r.trace);
        j["mul_adds"] = r.trace.mul_adds;
        if (!a.attention_svg.empty()) write_attention_svg(cc.encoder, r.trace, {}, a.attention_svg);
        print_json(j);
        return 0;
    }
    if (!a.attention_svg.empty()) write_attention_svg(cc.encoder, r.trace, {}, a.attention_svg);
    fmt::print("compiled circuit {} ({} construction, K = {}): {}, {}, d = {}, {}; precision {}",
               cc.source.empty() ? a.file : cc.source, construction_name(cc.construction), cc.K,
               counted(shape.layers, "layer"), counted(shape.total_heads, "head"), shape.width,
               counted(token_count, "token"), prec);
    if (!is_exact_v<S>) fmt::print(", tie tolerance {:g}", r.trace.tie_tolerance);
    fmt::print("\n");
    if (stopped)
        fmt::print("stopped after {} of {}: the values below are intermediate, not the circuit's outputs\n",
                   counted(r.layers_run, "layer"), cc.encoder.layers.size());
    if (a.trace) print_trace(cc.encoder, r.trace);
    if (a.states) print_states(cc.encoder, r.trace, {});
    if (a.attention) print_attention(cc.encoder, r.trace);
    for (std::size_t k = 0; k < got.size(); ++k) {
        if constexpr (is_exact_v<S>) fmt::print("{} = {}\n", e.output_names[k], show(got[k]));
        else fmt::print("{} = {} (exact {}, difference {:g})\n", e.output_names[k], show(got[k]), to_string(exact[k]), diff[k]);
    }
    return 0;
}

int run_compiled(CompiledCircuit cc, const RunArgs& a) {
    Precision p = parse_precision(a.precision);
    std::vector<Rational> in = compiled_inputs(cc, a);
    switch (p) {
        case Precision::Exact: return run_compiled_as<Rational>(cc, in, a);
        case Precision::Double: return run_compiled_as<double>(cc, in, a);
        case Precision::Float: return run_compiled_as<float>(cc, in, a);
        case Precision::BFloat16: return run_compiled_as<bfloat16>(cc, in, a);
    }
    return 2;
}

// --engine numeric: every input (each line of --input-file, or --input) of a string encoder,
// batched by length through the numeric engine; one result per input, in input order.
template <class S>
int run_numeric_as(const Encoder& enc, const std::vector<std::string>& lines, const RunArgs& a) {
    numeric::EngineOptions eo;
    eo.tie_tolerance = a.tie_tolerance;
    eo.stop_after = a.layers;
    eo.threads = a.threads;
    if (a.order == "fast") eo.order = numeric::Order::Fast;
    else if (a.order != "reference") fail(SourceLoc{"--order", 0, 0}, "unknown order '{}' (reference, fast)", a.order);
    eo.device = numeric::parse_device(a.device);
    if (eo.device == numeric::Device::Cuda) numeric::require_cuda();
    std::vector<std::vector<std::string>> tokens;
    for (std::size_t k = 0; k < lines.size(); ++k) {
        try {
            tokens.push_back(tokenize_input(enc, lines[k]));
            embed(enc, tokens.back());  // refuses unknown symbols here, where the line is known
        } catch (const InputError& e) {
            if (a.input_file.empty()) throw;
            fail(SourceLoc{a.input_file, static_cast<std::uint32_t>(k + 1), 1}, "{}", e.what());
        }
    }
    std::vector<std::size_t> order(lines.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return tokens[x].size() < tokens[y].size(); });
    std::vector<json> results(lines.size());
    std::vector<std::string> score_text(lines.size());
    const numeric::Plan<S> plan(enc);
    double tol = 0;
    for (std::size_t k = 0; k < order.size();) {
        std::size_t e = k;
        std::vector<std::vector<std::string>> group;
        while (e < order.size() && tokens[order[e]].size() == tokens[order[k]].size()) group.push_back(tokens[order[e++]]);
        const numeric::BatchResult<S> r = plan.run(numeric::embed_batch<S>(enc, group), eo);
        tol = r.tie_tolerance;
        for (std::size_t b = 0; b < group.size(); ++b) {
            json j{{"input", order[k + b]}, {"text", lines[order[k + b]]}, {"n", r.n}};
            if (enc.readout.kind == Readout::Kind::Accept) {
                j["accepted"] = *r.accepted[b];
                j["score"] = static_cast<double>(r.score[b]);
                score_text[order[k + b]] = show(r.score[b]);
            } else {
                j["outputs"] = matrix_json(r.outputs[b]);
                if (const auto dec = decoded(enc, r.outputs[b])) {
                    json values = json::array();
                    for (const auto& v : *dec) values.push_back(or_null(v));
                    j["decoded"] = values;
                }
            }
            results[order[k + b]] = std::move(j);
        }
        k = e;
    }
    for (std::size_t k = 0; k < results.size(); ++k) {
        json& j = results[k];
        j["precision"] = scalar_name<S>();
        j["order"] = a.order;
        j["tie_tolerance"] = tol;
        if (a.json) {
            fmt::print("{}\n", j.dump());
        } else if (j.contains("accepted")) {
            fmt::print("{}: {} (score {})\n", j["text"].get<std::string>(), j["accepted"].get<bool>() ? "accept" : "reject", score_text[k]);
        } else {
            std::string rows;
            for (const auto& row : j["outputs"]) {
                rows += rows.empty() ? "" : " | ";
                for (std::size_t c = 0; c < row.size(); ++c) rows += (c ? " " : "") + row[c].get<std::string>();
            }
            std::string dec;
            if (j.contains("decoded"))
                for (const auto& v : j["decoded"]) dec += (dec.empty() ? " -> " : " ") + (v.is_null() ? std::string("?") : v.get<std::string>());
            fmt::print("{}: {}{}\n", j["text"].get<std::string>(), rows, dec);
        }
    }
    return 0;
}

int run_numeric(const Encoder& enc, const RunArgs& a) {
    if (enc.input.kind != InputSpec::Kind::String)
        fail(SourceLoc{a.file, 0, 0}, "--engine numeric runs string encoders (one input string per line of --input-file)");
    if (a.trace || a.states || a.attention || !a.attention_svg.empty())
        fail(SourceLoc{"--engine", 0, 0}, "--trace, --states, --attention and --attention-svg are for --engine scalar");
    std::vector<std::string> lines;
    if (!a.input_file.empty()) {
        const std::string text = read_file(a.input_file);
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t e = text.find('\n', pos);
            if (e == std::string::npos) e = text.size();
            std::string line = text.substr(pos, e - pos);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            lines.push_back(std::move(line));
            pos = e + 1;
        }
    } else {
        lines.push_back(a.input);
    }
    // The refusal stays outside the switch: clang 14's AddressSanitizer reported a
    // stack-use-after-scope on the SourceLoc temporary of a refusal inside a case.
    const Precision precision = parse_precision(a.precision);
    if (precision == Precision::Exact)
        fail(SourceLoc{"--precision", 0, 0}, "--engine numeric runs double, float or bfloat16; exact runs use --engine scalar");
    switch (precision) {
        case Precision::Double: return run_numeric_as<double>(enc, lines, a);
        case Precision::Float: return run_numeric_as<float>(enc, lines, a);
        case Precision::BFloat16: return run_numeric_as<bfloat16>(enc, lines, a);
        case Precision::Exact: break;
    }
    return 2;
}

int run_run(const RunArgs& a) {
    std::optional<JValue> root = parse_json(read_file(a.file), input_name(a.file));
    if (is_compiled_circuit(*root)) {
        CompiledCircuit cc = compiled_from_json(*root);
        root.reset();  // the parsed file is not needed while the circuit runs
        return run_compiled(std::move(cc), a);
    }
    Encoder enc = encoder_from_json(*root);
    if (!a.input.empty() && !a.input_file.empty())
        fail(SourceLoc{"--input", 0, 0}, "give either --input or --input-file, not both");
    if (a.engine == "numeric") return run_numeric(enc, a);
    if (a.engine != "scalar") fail(SourceLoc{"--engine", 0, 0}, "unknown engine '{}' (scalar, numeric)", a.engine);
    Precision p = parse_precision(a.precision);
    std::string text = a.input_file.empty() ? a.input : read_file(a.input_file);
    std::string source = a.input_file.empty() ? "<input>" : input_name(a.input_file);
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
        case Precision::BFloat16: return run_as<bfloat16>(enc, x, tokens, a);
    }
    return 2;
}

}  // namespace

void register_run(CLI::App& app, Action& action) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* sub = app.add_subcommand("run", "Run an encoder (.json) or a compiled circuit (ahat compile) on one input");
    sub->add_option("encoder", args->file, "the encoder JSON file, or a compiled circuit")->required();
    sub->add_option("--input,-i", args->input,
                    "a string for string encoders (\"abba\", or space-separated tokens); rows of d values separated by ';' for vector encoders; the circuit's input values (\"1/2, 3\") for compiled circuits");
    sub->add_option("--input-file", args->input_file, "read the input from a file (vector rows one per line)");
    sub->add_option("--precision", args->precision, "exact (default), double, float or bfloat16");
    add_number(sub, "--layers", args->layers, "stop after this many layers", 0, 1 << 20);
    add_number(sub, "--tie-tolerance", args->tie_tolerance, "numeric runs: scores within tol*max(1,|max|) of the maximum tie (default 1e-9 double, 1e-4 float)", 0, 1);
    add_number(sub, "--max-bits", args->max_bits, "largest allowed size of any exact value in bits (0: no limit)", 0, 1 << 30);
    sub->add_flag("--trace", args->trace, "print the argmax-set size of every head at every position");
    sub->add_flag("--states", args->states, "print the state after every layer, under the coordinates' names");
    sub->add_flag("--attention", args->attention,
                  "print each head's attended key positions per query (weights in JSON; layers numbered from 0)");
    sub->add_option("--attention-svg", args->attention_svg, "write one attention heat map per head (SVG) to this file");
    sub->add_flag("--json", args->json, "print one JSON document (--engine numeric: JSON Lines, one record per input)");
    sub->add_option("--engine", args->engine,
                    "scalar (default: the interpreter, one input) or numeric (the batched engine: one input per line of --input-file)");
    sub->add_option("--order", args->order, "--engine numeric: reference (bit-for-bit the scalar run) or fast");
    add_number(sub, "--threads", args->threads, "threads (0: every core): an exact run splits each layer's positions, --engine numeric its work", 0, 4096);
    sub->add_option("--device", args->device, "--engine numeric: cpu (default) or cuda (each layer's attention on the GPU)");
    sub->callback([args, &action] { action = [args] { return run_run(*args); }; });
}

}  // namespace ahat::cli
