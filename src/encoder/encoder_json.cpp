#include "encoder/encoder_json.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "circuit/circ_io.hpp"
#include "support/json.hpp"

namespace ahat {
namespace {

using Triple = Sparse<Rational>::Triple;

std::vector<Rational> read_vector(const JValue& v, std::string_view what, std::size_t expect) {
    std::vector<Rational> out;
    if (v.kind == JValue::Kind::Object) {
        v.only_keys({"size", "entries"});
        std::size_t size = v.at("size").count(what);
        out.assign(size, Rational(0));
        for (const JValue& e : v.at("entries").array(what)) {
            const auto& pair = e.array(what);
            if (pair.size() != 2) fail(e.loc, "{}: a sparse entry is [index, value]", what);
            std::size_t i = pair[0].count(what);
            if (i >= size) fail(pair[0].loc, "{}: index {} out of range (size {})", what, i, size);
            out[i] = pair[1].rational(what);
        }
    } else {
        for (const JValue& e : v.array(what)) out.push_back(e.rational(what));
    }
    if (expect != SIZE_MAX && out.size() != expect)
        fail(v.loc, "{} has length {}, expected {}", what, out.size(), expect);
    return out;
}

// Dense [[row], [row], ...] or sparse {"rows": r, "cols": c, "entries": [[i, j, v], ...]}.
// `cols` (when not SIZE_MAX) is the required column count; `rows` likewise.
Sparse<Rational> read_matrix(const JValue& v, std::string_view what, std::size_t rows, std::size_t cols) {
    Sparse<Rational> m;
    if (v.kind == JValue::Kind::Object) {
        v.only_keys({"rows", "cols", "entries"});
        std::size_t r = v.at("rows").count(what), c = v.at("cols").count(what);
        if (r > kMaxDimension) fail(v.at("rows").loc, "{}: {} rows, more than the format's limit of {}", what, r, kMaxDimension);
        if (c > kMaxDimension) fail(v.at("cols").loc, "{}: {} columns, more than the format's limit of {}", what, c, kMaxDimension);
        std::vector<Triple> triples;
        for (const JValue& e : v.at("entries").array(what)) {
            const auto& t = e.array(what);
            if (t.size() != 3) fail(e.loc, "{}: a sparse entry is [row, col, value]", what);
            std::size_t i = t[0].count(what), j = t[1].count(what);
            if (i >= r) fail(t[0].loc, "{}: row {} out of range ({} rows)", what, i, r);
            if (j >= c) fail(t[1].loc, "{}: column {} out of range ({} columns)", what, j, c);
            triples.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), t[2].rational(what)});
        }
        m = Sparse<Rational>::from_triples(r, c, std::move(triples));
    } else {
        const auto& rs = v.array(what);
        Matrix<Rational> dense(rs.size(), rs.empty() ? (cols == SIZE_MAX ? 0 : cols) : rs[0].array(what).size());
        for (std::size_t i = 0; i < rs.size(); ++i) {
            const auto& row = rs[i].array(what);
            if (row.size() != dense.cols)
                fail(rs[i].loc, "{}: row {} has {} entries, row 0 has {}", what, i, row.size(), dense.cols);
            for (std::size_t j = 0; j < row.size(); ++j) dense.at(i, j) = row[j].rational(what);
        }
        m = Sparse<Rational>::from_dense(dense);
    }
    if (cols != SIZE_MAX && m.cols != cols) fail(v.loc, "{} has {} columns, expected {}", what, m.cols, cols);
    if (rows != SIZE_MAX && m.rows != rows) fail(v.loc, "{} has {} rows, expected {}", what, m.rows, rows);
    return m;
}

Affine<Rational> read_map(const JValue& v, std::string_view what, std::size_t rows, std::size_t d) {
    v.object(what);
    v.only_keys({"matrix", "bias"});
    Sparse<Rational> a = read_matrix(v.at("matrix"), what, rows, d);
    std::vector<Rational> b;
    if (const JValue* bias = v.find("bias")) b = read_vector(*bias, std::string(what) + " bias", a.rows);
    return Affine<Rational>(std::move(a), std::move(b));
}

std::vector<std::uint32_t> read_indices(const JValue& v, std::string_view what, std::size_t bound) {
    std::vector<std::uint32_t> out;
    for (const JValue& e : v.array(what)) {
        std::size_t c = e.count(what);
        if (c >= bound) fail(e.loc, "{}: coordinate {} out of range (d = {})", what, c, bound);
        out.push_back(static_cast<std::uint32_t>(c));
    }
    return out;
}

FeedForward read_ffn(const JValue& v, std::size_t d) {
    v.object("ffn");
    if (const JValue* relu = v.find("relu")) {
        v.only_keys({"relu"});
        relu->object("relu");
        relu->only_keys({"w1", "b1", "w2", "b2"});
        Sparse<Rational> w1 = read_matrix(relu->at("w1"), "relu w1", SIZE_MAX, d);
        std::vector<Rational> b1 = relu->find("b1") ? read_vector(relu->at("b1"), "relu b1", w1.rows)
                                                    : std::vector<Rational>(w1.rows, Rational(0));
        Sparse<Rational> w2 = read_matrix(relu->at("w2"), "relu w2", d, w1.rows);
        std::vector<Rational> b2 = relu->find("b2") ? read_vector(relu->at("b2"), "relu b2", d)
                                                    : std::vector<Rational>(d, Rational(0));
        FeedForward f = lower_relu(w1, b1, w2, b2);
        f.loc = v.loc;
        return f;
    }
    v.only_keys({"circuit", "reads", "writes"});
    FeedForward f;
    f.loc = v.loc;
    f.circuit = read_embedded_circuit(v.at("circuit"), "the feed-forward circuit");
    if (const JValue* r = v.find("reads")) {
        f.reads = read_indices(*r, "reads", d);
    } else {
        for (std::uint32_t c = 0; c < d; ++c) f.reads.push_back(c);
    }
    if (const JValue* w = v.find("writes")) {
        f.writes = read_indices(*w, "writes", d);
    } else {
        for (std::uint32_t c = 0; c < d; ++c) f.writes.push_back(c);
    }
    if (f.reads.size() != f.circuit.inputs.size())
        fail(v.loc, "the feed-forward circuit has {} inputs but reads {} coordinates{}", f.circuit.inputs.size(),
             f.reads.size(), v.find("reads") ? "" : " (all of d; give \"reads\" to choose)");
    if (f.writes.size() != f.circuit.outputs.size())
        fail(v.loc, "the feed-forward circuit has {} outputs but writes {} coordinates{}", f.circuit.outputs.size(),
             f.writes.size(), v.find("writes") ? "" : " (all of d; give \"writes\" to choose)");
    return f;
}

Head read_head(const JValue& v, std::size_t d) {
    v.object("head");
    v.only_keys({"name", "rule", "mask", "window", "beta", "query", "key", "value", "output"});
    Head h;
    h.loc = v.loc;
    if (const JValue* n = v.find("name")) h.name = n->string("name");
    if (const JValue* r = v.find("rule")) {
        auto rule = parse_rule(r->string("rule"));
        if (!rule)
            fail(r->loc, "unknown attention rule \"{}\" (average-hard, unique-hard-left, unique-hard-right, uniform, softmax)",
                 r->text);
        h.rule = *rule;
    }
    if (const JValue* m = v.find("mask")) {
        auto mask = parse_mask(m->string("mask"));
        if (!mask) fail(m->loc, "unknown mask \"{}\" (none, j<i, j<=i, j>i, j>=i)", m->text);
        h.mask = *mask;
    }
    if (const JValue* w = v.find("window"); w && !w->is_null()) h.window = w->count("window");
    if (const JValue* b = v.find("beta")) {
        if (h.rule != Rule::Softmax) fail(b->loc, "\"beta\" applies to softmax heads only");
        h.beta = b->rational("beta");
        if (h.beta < 0) fail(b->loc, "softmax inverse temperature must be >= 0");
        // beyond it, beta times a score overflows float and the softmax turns into NaN
        if (h.beta > Rational(std::uint64_t{1} << 63) * 2) fail(b->loc, "softmax inverse temperature must be at most 2^64");
    }
    const bool scored = h.rule != Rule::Uniform;
    if (scored || v.find("query")) {
        h.query = read_map(v.at("query"), "query", SIZE_MAX, d);
        h.key = read_map(v.at("key"), "key", h.query.rows(), d);
    } else {
        if (v.find("key")) fail(v.at("key").loc, "a uniform head has no key (it ignores scores)");
        h.query = Affine<Rational>(Sparse<Rational>(0, d), {});
        h.key = h.query;
    }
    h.value = read_map(v.at("value"), "value", SIZE_MAX, d);
    h.output = read_matrix(v.at("output"), "output", d, h.value.rows());
    return h;
}

InputSpec read_input(const JValue& v, std::size_t d) {
    v.object("input");
    InputSpec in;
    in.loc = v.loc;
    const std::string& kind = v.at("kind").string("input kind");
    if (kind == "vectors") {
        v.only_keys({"kind"});
        return in;
    }
    if (kind != "string") fail(v.at("kind").loc, "unknown input kind \"{}\" (vectors, string)", kind);
    v.only_keys({"kind", "alphabet", "embedding", "positional", "bos"});
    in.kind = InputSpec::Kind::String;
    for (const JValue& s : v.at("alphabet").array("alphabet")) {
        const std::string& sym = s.string("alphabet symbol");
        // white space only as a one-character symbol (tokenize_input: then text splits per character)
        if (sym.empty() || (sym.size() > 1 && sym.find_first_of(" \t\n") != std::string::npos))
            fail(s.loc, "alphabet symbols must be non-empty and contain no white space (a lone space, tab or "
                        "newline is a symbol)");
        for (const auto& prev : in.alphabet)
            if (prev == sym) fail(s.loc, "alphabet symbol \"{}\" appears twice", sym);
        in.alphabet.push_back(sym);
    }
    const JValue& emb = v.at("embedding").object("embedding");
    in.embedding.assign(in.alphabet.size(), {});
    for (const auto& [sym, vec] : emb.members) {
        std::size_t s = 0;
        while (s < in.alphabet.size() && in.alphabet[s] != sym) ++s;
        if (s == in.alphabet.size()) fail(vec.loc, "embedding for \"{}\", which is not in the alphabet", sym);
        in.embedding[s] = read_vector(vec, "embedding of \"" + sym + "\"", d);
    }
    for (std::size_t s = 0; s < in.alphabet.size(); ++s)
        if (in.embedding[s].empty()) fail(emb.loc, "no embedding for alphabet symbol \"{}\"", in.alphabet[s]);
    if (const JValue* pos = v.find("positional")) {
        for (const auto& [name, vec] : pos->object("positional").members) {
            auto f = parse_feature(name);
            if (!f) {
                std::string list;
                for (Feature g : all_features()) list += (list.empty() ? "" : ", ") + std::string(feature_name(g));
                fail(vec.loc, "unknown positional feature \"{}\" (catalogue: {})", name, list);
            }
            in.positional.push_back({*f, read_vector(vec, "positional \"" + name + "\"", d)});
        }
    }
    if (const JValue* b = v.find("bos")) {
        in.bos = b->string("bos");
        bool found = false;
        for (const auto& s : in.alphabet) found = found || s == *in.bos;
        if (!found) fail(b->loc, "the beginning-of-sequence symbol \"{}\" is not in the alphabet", *in.bos);
    }
    return in;
}

Readout read_readout(const JValue& v, std::size_t d) {
    v.object("readout");
    Readout r;
    r.loc = v.loc;
    const std::string& kind = v.at("kind").string("readout kind");
    if (kind == "sequence") {
        v.only_keys({"kind", "coordinates", "values"});
        r.coordinates = read_indices(v.at("coordinates"), "readout coordinates", d);
        if (r.coordinates.empty()) fail(v.at("coordinates").loc, "the sequence readout lists no coordinates");
        if (const JValue* vals = v.find("values")) {
            for (const JValue& x : vals->array("readout values")) r.values.push_back(x.string("a readout value"));
            if (r.values.size() != r.coordinates.size())
                fail(vals->loc, "{} readout values for {} readout coordinates", r.values.size(), r.coordinates.size());
        }
    } else if (kind == "accept") {
        v.only_keys({"kind", "position", "weights", "bias"});
        r.kind = Readout::Kind::Accept;
        if (const JValue* p = v.find("position")) {
            const std::string& pos = p->string("position");
            if (pos != "first" && pos != "last") fail(p->loc, "position must be \"first\" or \"last\"");
            r.at_last = pos == "last";
        }
        r.weights = read_vector(v.at("weights"), "readout weights", d);
        if (const JValue* b = v.find("bias")) r.bias = b->rational("readout bias");
    } else {
        fail(v.at("kind").loc, "unknown readout kind \"{}\" (sequence, accept)", kind);
    }
    return r;
}

// ---- writing ----

using ojson = nlohmann::ordered_json;

ojson vec_json(const std::vector<Rational>& v) {
    ojson a = ojson::array();
    for (const auto& x : v) a.push_back(to_string(x));
    return a;
}

ojson matrix_json(const Sparse<Rational>& m) {
    // Dense rows when at least half the entries are non-zero and the matrix is small.
    if (m.rows * m.cols <= 4096 && (m.rows == 0 || 2 * m.nnz() >= m.rows * m.cols)) {
        Matrix<Rational> d = m.to_dense();
        ojson rows = ojson::array();
        for (std::size_t i = 0; i < d.rows; ++i) {
            ojson row = ojson::array();
            for (std::size_t j = 0; j < d.cols; ++j) row.push_back(to_string(d.at(i, j)));
            rows.push_back(std::move(row));
        }
        return rows;
    }
    ojson entries = ojson::array();
    for (std::size_t i = 0; i < m.rows; ++i)
        for (std::uint32_t k = m.start[i]; k < m.start[i + 1]; ++k)
            entries.push_back(ojson::array({i, m.col[k], to_string(m.val[k])}));
    return ojson{{"rows", m.rows}, {"cols", m.cols}, {"entries", std::move(entries)}};
}

ojson map_json(const Affine<Rational>& f) {
    ojson o{{"matrix", matrix_json(f.A)}};
    bool zero = true;
    for (const auto& x : f.b) zero = zero && x == 0;
    if (!zero) o["bias"] = vec_json(f.b);
    return o;
}


// Indented JSON with arrays of scalars (rows, vectors, entries) kept on one line.
void pretty(const ojson& j, int indent, std::string& out) {
    auto scalar_array = [](const ojson& a) {
        return std::all_of(a.begin(), a.end(), [](const ojson& x) { return !x.is_structured(); });
    };
    const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
    if (j.is_object() && !j.empty()) {
        out += "{\n";
        std::size_t k = 0;
        for (auto it = j.begin(); it != j.end(); ++it, ++k) {
            out += pad + ojson(it.key()).dump() + ": ";
            pretty(it.value(), indent + 2, out);
            out += k + 1 < j.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<std::size_t>(indent), ' ') + "}";
    } else if (j.is_array() && !j.empty() && !scalar_array(j)) {
        out += "[\n";
        for (std::size_t k = 0; k < j.size(); ++k) {
            out += pad;
            pretty(j[k], indent + 2, out);
            out += k + 1 < j.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<std::size_t>(indent), ' ') + "]";
    } else if (j.is_array()) {
        out += "[";
        for (std::size_t k = 0; k < j.size(); ++k) out += (k ? ", " : "") + j[k].dump();
        out += "]";
    } else {
        out += j.dump();
    }
}

}  // namespace

Circuit read_embedded_circuit(const JValue& v, std::string_view what) {
    std::string text;
    std::vector<const JValue*> lines;
    if (v.kind == JValue::Kind::String) {
        text = v.text;
    } else {
        for (const JValue& line : v.array("circuit")) {
            text += line.string("circuit line") + "\n";
            lines.push_back(&line);
        }
    }
    try {
        return read_circuit(text, "<circuit>");
    } catch (const InputError& e) {
        SourceLoc at = v.loc;
        std::uint32_t line = e.loc().line;
        if (!lines.empty() && line >= 1 && line <= lines.size()) {
            at = lines[line - 1]->loc;
            at.col += e.loc().col;  // past the opening quote
        } else if (lines.empty()) {
            at.col += 1;
        }
        throw InputError(at, fmt::format("in {} (its line {}): {}", what, line, e.what()));
    }
}

nlohmann::ordered_json circuit_lines(std::string_view text) {
    ojson lines = ojson::array();
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t e = text.find('\n', pos);
        if (e == std::string::npos) e = text.size();
        lines.push_back(text.substr(pos, e - pos));
        pos = e + 1;
    }
    return lines;
}


FeedForward lower_relu(const Sparse<Rational>& w1, const std::vector<Rational>& b1, const Sparse<Rational>& w2,
                       const std::vector<Rational>& b2) {
    FeedForward f;
    Circuit& c = f.circuit;
    std::vector<std::int64_t> input_of(w1.cols, -1);
    for (std::uint32_t col : w1.col)
        if (input_of[col] < 0) input_of[col] = 0;
    for (std::size_t col = 0; col < w1.cols; ++col) {
        if (input_of[col] < 0) continue;
        input_of[col] = c.input(fmt::format("y{}", col));
        f.reads.push_back(static_cast<std::uint32_t>(col));
    }
    std::vector<GateId> hidden(w1.rows);
    for (std::size_t k = 0; k < w1.rows; ++k) {
        std::vector<GateId> terms;
        for (std::uint32_t e = w1.start[k]; e < w1.start[k + 1]; ++e)
            terms.push_back(c.mul(c.constant(w1.val[e]), static_cast<GateId>(input_of[w1.col[e]])));
        if (b1[k] != 0) terms.push_back(c.constant(b1[k]));
        GateId u = c.add(std::move(terms), fmt::format("u{}", k));
        hidden[k] = c.relu(u, fmt::format("h{}", k));
    }
    for (std::size_t r = 0; r < w2.rows; ++r) {
        std::vector<GateId> terms;
        for (std::uint32_t e = w2.start[r]; e < w2.start[r + 1]; ++e)
            terms.push_back(c.mul(c.constant(w2.val[e]), hidden[w2.col[e]]));
        if (b2[r] != 0) terms.push_back(c.constant(b2[r]));
        if (terms.empty()) continue;
        c.outputs.push_back(c.add(std::move(terms), fmt::format("o{}", r)));
        f.writes.push_back(static_cast<std::uint32_t>(r));
    }
    return f;
}

Encoder read_encoder(std::string_view text, const std::string& file) {
    return encoder_from_json(parse_json(text, file));
}

Encoder encoder_from_json(const JValue& root) {
    root.object("encoder");
    root.only_keys({"format", "version", "name", "description", "d", "coordinates", "input", "layers", "readout"});
    if (const JValue* f = root.find("format"); f && f->string("format") != "ahat-encoder")
        fail(f->loc, "this is not an ahat encoder (format \"{}\")", f->text);
    if (const JValue* v = root.find("version"); v && v->count("version") != 1)
        fail(v->loc, "unsupported encoder format version {} (this ahat reads version 1)", v->text);
    Encoder enc;
    enc.loc = root.loc;
    if (const JValue* n = root.find("name")) enc.name = n->string("name");
    if (const JValue* n = root.find("description")) enc.description = n->string("description");
    const JValue& dv = root.at("d");
    enc.d = static_cast<std::uint32_t>(dv.count("d"));
    if (enc.d == 0) fail(dv.loc, "the width d must be at least 1");
    if (enc.d > kMaxDimension) fail(dv.loc, "the width d = {} is more than the format's limit of {}", enc.d, kMaxDimension);
    if (const JValue* names = root.find("coordinates")) {
        for (const JValue& x : names->array("coordinates")) enc.coordinates.push_back(x.string("a coordinate name"));
        if (enc.coordinates.size() != enc.d)
            fail(names->loc, "{} coordinate names for d = {}", enc.coordinates.size(), enc.d);
    }
    enc.input = read_input(root.at("input"), enc.d);
    for (const JValue& lv : root.at("layers").array("layers")) {
        lv.object("layer");
        lv.only_keys({"heads", "ffn"});
        Layer layer;
        layer.loc = lv.loc;
        if (const JValue* hs = lv.find("heads"))
            for (const JValue& hv : hs->array("heads")) layer.heads.push_back(read_head(hv, enc.d));
        if (const JValue* f = lv.find("ffn"); f && !f->is_null()) {
            layer.ffn = read_ffn(*f, enc.d);
            if (layer.ffn->circuit.outputs.empty()) layer.ffn.reset();  // a ReLU part that adds nothing
        }
        enc.layers.push_back(std::move(layer));
    }
    enc.readout = read_readout(root.at("readout"), enc.d);
    validate(enc);
    return enc;
}

Encoder load_encoder(const std::string& path) {
    return read_encoder(read_file(path), input_name(path));
}

std::string write_encoder(const Encoder& enc) {
    return pretty_json(encoder_to_json(enc));
}

std::string pretty_json(const ojson& j) {
    std::string out;
    pretty(j, 0, out);
    return out + "\n";
}

ojson encoder_to_json(const Encoder& enc) {
    ojson root{{"format", "ahat-encoder"}, {"version", 1}};
    if (!enc.name.empty()) root["name"] = enc.name;
    if (!enc.description.empty()) root["description"] = enc.description;
    root["d"] = enc.d;
    if (!enc.coordinates.empty()) root["coordinates"] = enc.coordinates;
    const InputSpec& in = enc.input;
    if (in.kind == InputSpec::Kind::Vectors) {
        root["input"] = ojson{{"kind", "vectors"}};
    } else {
        ojson emb = ojson::object();
        for (std::size_t s = 0; s < in.alphabet.size(); ++s) emb[in.alphabet[s]] = vec_json(in.embedding[s]);
        ojson input{{"kind", "string"}, {"alphabet", in.alphabet}, {"embedding", std::move(emb)}};
        if (!in.positional.empty()) {
            ojson pos = ojson::object();
            for (const auto& p : in.positional) pos[std::string(feature_name(p.feature))] = vec_json(p.vector);
            input["positional"] = std::move(pos);
        }
        if (in.bos) input["bos"] = *in.bos;
        root["input"] = std::move(input);
    }
    ojson layers = ojson::array();
    for (const Layer& layer : enc.layers) {
        ojson heads = ojson::array();
        for (const Head& h : layer.heads) {
            ojson hj = ojson::object();
            if (!h.name.empty()) hj["name"] = h.name;
            hj["rule"] = rule_name(h.rule);
            hj["mask"] = mask_name(h.mask);
            if (h.window) hj["window"] = *h.window;
            if (h.rule == Rule::Softmax) hj["beta"] = to_string(h.beta);
            if (h.rule != Rule::Uniform || h.query.rows() != 0) {
                hj["query"] = map_json(h.query);
                hj["key"] = map_json(h.key);
            }
            hj["value"] = map_json(h.value);
            hj["output"] = matrix_json(h.output);
            heads.push_back(std::move(hj));
        }
        ojson lj{{"heads", std::move(heads)}};
        if (layer.ffn)
            lj["ffn"] = ojson{{"circuit", circuit_lines(write_circuit(layer.ffn->circuit))},
                              {"reads", layer.ffn->reads},
                              {"writes", layer.ffn->writes}};
        layers.push_back(std::move(lj));
    }
    root["layers"] = std::move(layers);
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        root["readout"] = ojson{{"kind", "sequence"}, {"coordinates", r.coordinates}};
        if (!r.values.empty()) root["readout"]["values"] = r.values;
    } else {
        root["readout"] = ojson{{"kind", "accept"},
                                {"position", r.at_last ? "last" : "first"},
                                {"weights", vec_json(r.weights)},
                                {"bias", to_string(r.bias)}};
    }
    return root;
}

}  // namespace ahat
