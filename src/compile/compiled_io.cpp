#include "compile/compiled_io.hpp"

#include <nlohmann/json.hpp>

#include "circuit/circ_io.hpp"
#include "encoder/encoder_json.hpp"
#include "support/json.hpp"

namespace ahat {
namespace {

using ojson = nlohmann::ordered_json;

std::uint32_t token_index(const JValue& v, std::string_view what, std::size_t n) {
    std::size_t t = v.count(what);
    if (t >= n) fail(v.loc, "{}: token {} out of range ({} tokens)", what, t, n);
    return static_cast<std::uint32_t>(t);
}

// {"rows": n, "cols": d, "entries": [[i, j, "v"], ...]} (duplicates add up); n must be the
// length of the per-token lists already read (so that a bad "rows" cannot ask for huge memory).
Matrix<Rational> read_tokens(const JValue& v, std::size_t n_expected, std::size_t d) {
    if (v.kind != JValue::Kind::Object)
        fail(v.loc, "tokens: expected the sparse form {{\"rows\": n, \"cols\": d, \"entries\": [[i, j, value], ...]}}");
    v.only_keys({"rows", "cols", "entries"});
    const JValue& rv = v.at("rows");
    const std::size_t n = rv.count("tokens rows");
    if (n != n_expected) fail(rv.loc, "{} tokens, but token_gate lists {}", n, n_expected);
    const JValue& cv = v.at("cols");
    const std::size_t cols = cv.count("tokens cols");
    if (cols != d) fail(cv.loc, "the tokens have width {}, but the encoder's width is d = {}", cols, d);
    Matrix<Rational> m(n, d);
    for (const JValue& e : v.at("entries").array("tokens entries")) {
        const auto& t = e.array("tokens entry");
        if (t.size() != 3) fail(e.loc, "tokens: an entry is [token, coordinate, value]");
        const std::size_t i = token_index(t[0], "tokens entry", n);
        const std::size_t j = t[1].count("tokens entry");
        if (j >= d) fail(t[1].loc, "tokens entry: coordinate {} out of range (d = {})", j, d);
        m.at(i, j) += t[2].rational("tokens entry");
    }
    return m;
}

ojson tokens_json(const Matrix<Rational>& m) {
    ojson entries = ojson::array();
    for (std::size_t i = 0; i < m.rows; ++i)
        for (std::size_t j = 0; j < m.cols; ++j)
            if (m.at(i, j) != 0) entries.push_back(ojson::array({i, j, to_string(m.at(i, j))}));
    return ojson{{"rows", m.rows}, {"cols", m.cols}, {"entries", std::move(entries)}};
}

const JValue& member_loc_or(const JValue& obj, std::string_view key) {
    const JValue* v = obj.find(key);
    return v ? *v : obj;
}

// The names `ahat run --input` lists: each input gate's, or input1, input2, ... where unnamed.
std::vector<std::string> input_names_of(const Circuit& c) {
    std::vector<std::string> names;
    for (std::size_t k = 0; k < c.inputs.size(); ++k) {
        const std::string& name = c.gates[c.inputs[k]].name;
        names.push_back(name.empty() ? fmt::format("input{}", k + 1) : name);
    }
    return names;
}

}  // namespace

CompiledCircuit compile_circuit(const Circuit& c, Construction construction, std::optional<std::size_t> K,
                                std::string source, Layout layout) {
    CompiledCircuit cc;
    cc.construction = construction;
    cc.source = std::move(source);
    cc.circuit_depth = stats(c).depth;
    cc.K = K.value_or(cc.circuit_depth);
    if (cc.K < cc.circuit_depth)
        fail({}, "the circuit has depth {}, above the depth bound K = {} (the encoder needs K >= the depth)",
             cc.circuit_depth, cc.K);
    cc.encoder = circuit_encoder(construction, cc.K);
    cc.tokens = token_count(construction, c);
    if (layout == Layout::Full) cc.encoding = encode(construction, c);
    cc.input_names = input_names_of(c);
    cc.circuit_text = write_circuit(c);
    return cc;
}

std::optional<Layout> parse_layout(std::string_view name) {
    if (name == "full") return Layout::Full;
    if (name == "compact") return Layout::Compact;
    return std::nullopt;
}

Layout choose_layout(std::size_t tokens) { return tokens > kCompactAbove ? Layout::Compact : Layout::Full; }

std::string write_compiled(const CompiledCircuit& cc, Layout layout) {
    const bool compact = layout == Layout::Compact;
    if (compact && cc.circuit_text.empty()) internal_error("a compact compiled circuit needs the circuit's text");
    ojson root{{"format", std::string(kCompiledCircuitFormat)},
               {"version", compact ? 2 : 1},
               {"construction", std::string(construction_name(cc.construction))},
               {"K", cc.K},
               {"circuit", cc.source},
               {"circuit_depth", cc.circuit_depth},
               {"encoder", encoder_to_json(cc.encoder)}};
    if (compact) {
        root["circuit_text"] = circuit_lines(cc.circuit_text);
        return pretty_json(root);
    }
    const Encoding& e = cc.encoding;
    if (e.tokens.rows != cc.tokens) internal_error("the full layout needs the encoding (compiled for the compact layout)");
    ojson inputs = ojson::array();
    for (std::size_t k = 0; k < e.input_tokens.size(); ++k)
        inputs.push_back(ojson{{"name", k < cc.input_names.size() ? cc.input_names[k] : fmt::format("input{}", k + 1)},
                               {"tokens", e.input_tokens[k]}});
    ojson outputs = ojson::array();
    for (std::size_t r = 0; r < e.output_tokens.size(); ++r)
        outputs.push_back(ojson{{"name", r < e.output_names.size() ? e.output_names[r] : std::string()},
                                {"token", e.output_tokens[r]}});
    root["encoding"] = ojson{{"value_coordinate", e.value_coordinate},
                             {"inputs", std::move(inputs)},
                             {"outputs", std::move(outputs)},
                             {"token_gate", e.token_gate},
                             {"token_is_gate", e.token_is_gate},
                             {"tokens", tokens_json(e.tokens)}};
    return pretty_json(root);
}

bool is_compiled_circuit(const JValue& root) {
    if (root.kind != JValue::Kind::Object) return false;
    const JValue* f = root.find("format");
    return f && f->kind == JValue::Kind::String && f->text == kCompiledCircuitFormat;
}

CompiledCircuit compiled_from_json(const JValue& root) {
    root.object("compiled circuit");
    const JValue& f = root.at("format");
    if (f.string("format") != kCompiledCircuitFormat)
        fail(f.loc, "this is not an ahat compiled circuit (format \"{}\")", f.text);
    std::size_t version = 1;
    if (const JValue* v = root.find("version"); v && (version = v->count("version")) != 1 && version != 2)
        fail(v->loc, "unsupported compiled-circuit format version {} (this ahat reads versions 1 and 2)", v->text);
    const bool compact = version == 2;
    if (compact) root.only_keys({"format", "version", "construction", "K", "circuit", "circuit_depth", "encoder", "circuit_text"});
    else root.only_keys({"format", "version", "construction", "K", "circuit", "circuit_depth", "encoder", "encoding"});
    CompiledCircuit cc;
    const JValue& cv = root.at("construction");
    auto c = parse_construction(cv.string("construction"));
    if (!c) fail(cv.loc, "unknown construction \"{}\" (wire, gate)", cv.text);
    cc.construction = *c;
    const JValue& kv = root.at("K");
    cc.K = kv.count("K");
    if (const JValue* s = root.find("circuit")) cc.source = s->string("circuit");
    const JValue& dv = root.at("circuit_depth");
    cc.circuit_depth = dv.count("circuit_depth");
    if (cc.circuit_depth > cc.K)
        fail(dv.loc, "the circuit has depth {}, above the depth bound K = {}", cc.circuit_depth, cc.K);

    // The encoder: any encoder of the construction's shape for K (the compiler writes E_K).
    const JValue& ev = root.at("encoder");
    cc.encoder = encoder_from_json(ev);
    const Shape shape = shape_of(cc.construction, cc.K);
    if (cc.encoder.d != shape.width)
        fail(member_loc_or(ev, "d").loc, "the {} construction has width d = {}, the encoder has d = {}",
             construction_name(cc.construction), shape.width, cc.encoder.d);
    if (cc.encoder.layers.size() != shape.layers)
        fail(member_loc_or(ev, "layers").loc, "the {} construction for K = {} has {} layers, the encoder has {}",
             construction_name(cc.construction), cc.K, shape.layers, cc.encoder.layers.size());
    std::size_t heads = 0;
    for (const Layer& l : cc.encoder.layers) heads += l.heads.size();
    if (heads != shape.total_heads)
        fail(member_loc_or(ev, "layers").loc, "the {} construction for K = {} has {} heads, the encoder has {}",
             construction_name(cc.construction), cc.K, shape.total_heads, heads);
    if (cc.encoder.input.kind != InputSpec::Kind::Vectors)
        fail(member_loc_or(ev, "input").loc, "the encoder of a compiled circuit takes vectors, not strings");

    if (compact) {  // the tokens encoded again from the circuit, as ahat compile encodes them
        const Circuit c = read_embedded_circuit(root.at("circuit_text"), "circuit_text");
        cc.circuit_text = write_circuit(c);
        const std::size_t depth = stats(c).depth;
        if (depth != cc.circuit_depth)
            fail(dv.loc, "circuit_depth is {}, but the circuit in circuit_text has depth {}", cc.circuit_depth, depth);
        cc.encoding = encode(cc.construction, c);
        cc.tokens = cc.encoding.tokens.rows;
        cc.input_names = input_names_of(c);
        return cc;
    }

    // The encoding.
    const JValue& nv = root.at("encoding").object("encoding");
    nv.only_keys({"value_coordinate", "inputs", "outputs", "token_gate", "token_is_gate", "tokens"});
    Encoding& e = cc.encoding;
    e.construction = cc.construction;
    const std::size_t d = cc.encoder.d;
    const JValue& tg = nv.at("token_gate");
    for (const JValue& g : tg.array("token_gate")) e.token_gate.push_back(static_cast<std::uint32_t>(g.count("token_gate")));
    const std::size_t n = e.token_gate.size();
    const JValue& tig = nv.at("token_is_gate");
    for (const JValue& g : tig.array("token_is_gate")) {
        std::size_t b = g.count("token_is_gate");
        if (b > 1) fail(g.loc, "token_is_gate: expected 0 or 1, got {}", b);
        e.token_is_gate.push_back(static_cast<std::uint8_t>(b));
    }
    if (e.token_is_gate.size() != n) fail(tig.loc, "token_is_gate has {} entries, token_gate {}", e.token_is_gate.size(), n);
    e.tokens = read_tokens(nv.at("tokens"), n, d);
    cc.tokens = n;
    const JValue& vc = nv.at("value_coordinate");
    e.value_coordinate = static_cast<std::uint32_t>(vc.count("value_coordinate"));
    if (e.value_coordinate >= d) fail(vc.loc, "value_coordinate {} out of range (d = {})", e.value_coordinate, d);
    for (const JValue& in : nv.at("inputs").array("inputs")) {
        in.object("input");
        in.only_keys({"name", "tokens"});
        cc.input_names.push_back(in.at("name").string("input name"));
        std::vector<std::uint32_t> ts;
        for (const JValue& t : in.at("tokens").array("input tokens")) ts.push_back(token_index(t, "input tokens", n));
        e.input_tokens.push_back(std::move(ts));
    }
    for (const JValue& out : nv.at("outputs").array("outputs")) {
        out.object("output");
        out.only_keys({"name", "token"});
        e.output_names.push_back(out.at("name").string("output name"));
        e.output_tokens.push_back(token_index(out.at("token"), "output token", n));
    }
    return cc;
}

CompiledCircuit read_compiled(std::string_view text, const std::string& file) {
    return compiled_from_json(parse_json(text, file));
}

CompiledCircuit load_compiled(const std::string& path) {
    return read_compiled(read_file(path), input_name(path));
}

}  // namespace ahat
