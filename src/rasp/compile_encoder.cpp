// The RASP compiler, part 3: choosing the SOp, assembling the encoder (embedding, declared
// features, heads as affine maps, feed-forward circuits, readout) and decode().
#include <algorithm>
#include <cmath>

#include "rasp/compile_internal.hpp"
#include "rasp/eval.hpp"

namespace ahat::rasp {

using namespace detail;

namespace {

Affine<Rational> affine(const std::vector<Lin>& rows, std::uint32_t d) {
    std::vector<Sparse<Rational>::Triple> t;
    std::vector<Rational> b;
    for (std::uint32_t r = 0; r < rows.size(); ++r) {
        for (const auto& [c, k] : rows[r].terms) t.push_back({r, c, k});
        b.push_back(rows[r].constant);
    }
    return Affine<Rational>(Sparse<Rational>::from_triples(rows.size(), d, std::move(t)), std::move(b));
}

std::string bos_symbol(const std::vector<std::string>& alphabet) {
    for (const char* s : {"$", "^", "#", "@", "~", "|", "&", "!"})
        if (std::find(alphabet.begin(), alphabet.end(), s) == alphabet.end()) return s;
    fail({}, "no beginning-of-sequence symbol is free: the alphabet uses $ ^ # @ ~ | & !");
}

std::uint32_t pick_sop(const Program& prog, const std::string& name) {
    for (std::size_t k = prog.named.size(); k-- > 0;) {
        const Named& nm = prog.named[k];
        if (!name.empty() && nm.name != name) continue;
        if (nm.ref.kind == Ref::Kind::Sop) return nm.ref.id;
        if (!name.empty())
            fail(nm.loc, "'{}' is {}, not an SOp: only SOps compile to encoders", name,
                 nm.ref.kind == Ref::Kind::Selector ? "a selector" : "a constant");
    }
    if (name.empty()) fail(SourceLoc{prog.file, 1, 1}, "the program defines no SOp to compile");
    fail(SourceLoc{"--name", 0, 0}, "the program {} defines no '{}'", prog.file, name);
}

// The longest chain of operands (SOps and selectors) below SOp `root`, without recursion: the
// compiler recurses along operands, so a deeper DAG is refused instead of overflowing the stack.
std::size_t dag_depth(const Program& prog, std::uint32_t root) {
    std::vector<std::size_t> sop_depth(prog.sops.size(), 0), sel_depth(prog.sels.size(), 0);
    std::vector<char> sop_done(prog.sops.size(), 0), sel_done(prog.sels.size(), 0);
    std::vector<std::pair<bool, std::uint32_t>> stack{{false, root}};  // (is selector, id)
    auto children = [&](bool is_sel, std::uint32_t id) {
        std::vector<std::pair<bool, std::uint32_t>> out;
        if (is_sel) {
            const SelNode& s = prog.sels[id];
            for (std::uint32_t a : s.args) out.emplace_back(true, a);
            if (s.op == SelOp::Select && s.pred != Pred::True && s.pred != Pred::False)
                out.insert(out.end(), {{false, s.keys}, {false, s.queries}});
        } else {
            const SopNode& s = prog.sops[id];
            for (std::uint32_t a : s.args) out.emplace_back(false, a);
            if (s.op == SopOp::Aggregate || s.op == SopOp::SelectorWidth) out.emplace_back(true, s.selector);
        }
        return out;
    };
    while (!stack.empty()) {
        auto [is_sel, id] = stack.back();
        if ((is_sel ? sel_done : sop_done)[id]) {
            stack.pop_back();
            continue;
        }
        bool ready = true;
        std::size_t d = 0;
        for (auto [cs, cid] : children(is_sel, id)) {
            if (!(cs ? sel_done : sop_done)[cid]) {
                stack.emplace_back(cs, cid);
                ready = false;
            } else {
                d = std::max(d, (cs ? sel_depth : sop_depth)[cid] + 1);
            }
        }
        if (!ready) continue;
        (is_sel ? sel_depth : sop_depth)[id] = d;
        (is_sel ? sel_done : sop_done)[id] = 1;
        stack.pop_back();
    }
    return sop_depth[root];
}

// The compiler recurses along the DAG: 1000 levels fit an 8 MiB stack in optimized builds
// (unoptimized sanitizer builds use about 10 KiB a level; their tests stay at 250).
constexpr std::size_t kMaxDepth = 1000;

// A value as a label: strings bare (a, not "a"), everything else as RASP prints it.
std::string plain_value(const Value& v) {
    if (const auto* str = std::get_if<std::string>(&v.v)) return *str;
    return format_value(v);
}

// Names of the residual coordinates, in the manner of tracr: a coordinate holding one value
// of a categorical SOp is "NAME:VALUE" (tokens:a), one holding a numeric SOp "NAME"; NAME is
// the SOp's name in the program (the compiled SOp's for the readout), else tokens, indices,
// length, or sop<id> for an unnamed intermediate. Helper coordinates: not_bos (1 - first),
// i, 1/(i+1), 1/(i+1)^2; the rest (gates' intermediate values) hidden:<c>.
std::vector<std::string> coordinate_names(const Program& prog, const Builder& B, const Compiled& c,
                                          const std::vector<std::uint32_t>& readout) {
    std::vector<std::string> names(B.d);
    std::vector<int> rank(B.d, 0);  // 3 readout, 2 named SOp, 1 unnamed SOp
    auto put = [&](std::uint32_t coord, std::string name, int r) {
        if (coord < B.d && r > rank[coord]) names[coord] = std::move(name), rank[coord] = r;
    };
    std::vector<std::string> sop_name(prog.sops.size());
    for (const Named& nm : prog.named)
        if (nm.ref.kind == Ref::Kind::Sop && nm.ref.id < sop_name.size()) sop_name[nm.ref.id] = nm.name;
    for (std::uint32_t id = 0; id < B.sops.size() && id < prog.sops.size(); ++id) {
        if (!B.sops[id]) continue;
        const Enc& e = *B.sops[id];
        const SopOp op = prog.sops[id].op;
        const bool named = !sop_name[id].empty();
        const std::string label = named ? sop_name[id]
                                  : op == SopOp::Tokens || op == SopOp::Indices || op == SopOp::Length
                                      ? std::string(sop_op_name(op))
                                      : fmt::format("sop{}", id);
        for (std::size_t k = 0; k < e.parts.size(); ++k) {
            const Lin& part = e.parts[k];
            if (part.terms.size() != 1 || part.constant != 0 || part.terms.begin()->second != 1) continue;
            const bool categorical = e.type == Type::Categorical && k < e.values.size();
            put(part.terms.begin()->first, categorical ? label + ":" + plain_value(e.values[k]) : label, named ? 2 : 1);
        }
    }
    for (std::size_t k = 0; k < readout.size(); ++k)
        put(readout[k], c.kind == Compiled::Kind::Categorical ? c.name + ":" + plain_value(c.values[k]) : c.name, 3);
    if (B.not_bos_) put(*B.not_bos_, "not_bos", 1);
    if (B.i_) put(*B.i_, "i", 1);
    if (B.inv_) put(*B.inv_, "1/(i+1)", 1);
    if (B.inv2_) put(*B.inv2_, "1/(i+1)^2", 1);
    std::map<std::string, int> seen;  // a name given twice gets "#2", "#3", ...
    for (std::uint32_t k = 0; k < B.d; ++k) {
        if (names[k].empty()) names[k] = fmt::format("hidden:{}", k);
        if (const int times = ++seen[names[k]]; times > 1) names[k] += fmt::format("#{}", times);
    }
    return names;
}

std::vector<std::string> checked_alphabet(const Program& prog, std::vector<std::string> alphabet) {
    if (prog.tokens == Program::TokenKind::Integer && alphabet.empty())
        for (int k = 0; k < 10; ++k) alphabet.push_back(std::to_string(k));
    if (alphabet.empty()) fail(SourceLoc{prog.file, 0, 0}, "give the token alphabet (string tokens need a finite vocabulary)");
    for (std::size_t a = 0; a < alphabet.size(); ++a)
        for (std::size_t b = 0; b < a; ++b)
            if (alphabet[a] == alphabet[b]) fail(SourceLoc{"--alphabet", 0, 0}, "the symbol '{}' is listed twice", alphabet[a]);
    return alphabet;
}

// SOp `id` built into B (memoised: what B already holds is shared), with plain readout
// coordinates; `c` gets the SOp's name, kind and values.
std::vector<std::uint32_t> build_sop(const Program& prog, Builder& B, std::uint32_t id, const std::string& name,
                                     Compiled& c) {
    if (id >= prog.sops.size()) internal_error("compile: s-op {} out of range", id);
    if (dag_depth(prog, id) > kMaxDepth)
        fail(prog.sops[id].loc, "this s-op is more than {} operations deep: not compiled (the compiler follows "
                                "operands recursively)", kMaxDepth);
    const Enc e = [&] {
        try {
            return B.sop(id);
        } catch (const InputError& err) {  // every refusal points at the proofs of what compiles
            if (std::string(err.what()).find("proofs/") != std::string::npos) throw;
            throw InputError(err.loc(), std::string(err.what()) + " (proofs/rasp-compile.md)");
        }
    }();

    // the readout needs plain coordinates: materialise Lins that are not one
    std::vector<std::uint32_t> coords;
    for (const Lin& part : e.parts) {
        if (part.terms.size() == 1 && part.constant == 0 && part.terms.begin()->second == 1) {
            coords.push_back(part.terms.begin()->first);
            continue;
        }
        const std::size_t l = std::max<std::size_t>(e.level, 1) - 1;
        coords.push_back(B.write(l, B.gate(l, part)));
    }
    c.name = name;
    for (const Named& nm : prog.named)
        if (name.empty() && nm.ref.kind == Ref::Kind::Sop && nm.ref.id == id) c.name = nm.name;
    c.kind = e.type == Type::Categorical ? Compiled::Kind::Categorical
             : e.type == Type::Integer   ? Compiled::Kind::Integer
                                         : Compiled::Kind::Rational;
    c.values = e.values;
    c.bos = true;
    return coords;
}

// The encoder B describes, reading out `c` at `coords`.
Encoder assemble(const Program& prog, Builder& B, const Compiled& c, const std::vector<std::uint32_t>& coords) {
    Encoder enc;
    const std::uint32_t d = B.d;
    const std::vector<std::string>& alphabet = B.alphabet;
    enc.name = c.name;
    enc.description = fmt::format("RASP SOp '{}' of {}, compiled by ahat rasp compile", c.name, prog.file);
    enc.d = d;
    enc.input.kind = InputSpec::Kind::String;
    const std::string bos = bos_symbol(alphabet);
    enc.input.alphabet = alphabet;
    enc.input.alphabet.push_back(bos);
    enc.input.bos = bos;
    for (std::size_t s = 0; s <= alphabet.size(); ++s) {
        std::vector<Rational> row(d, Rational(0));
        if (s < alphabet.size())
            for (std::uint32_t k = 0; k < d; ++k) row[k] = B.embedding[k][s];
        enc.input.embedding.push_back(std::move(row));
    }
    for (Feature f : all_features()) {
        std::vector<Rational> p(d, Rational(0));
        bool used = false;
        for (std::uint32_t k = 0; k < d; ++k)
            for (const auto& [g, v] : B.positional[k])
                if (g == f && v != 0) p[k] = v, used = true;
        if (used) enc.input.positional.push_back(PositionalTerm{f, std::move(p)});
    }
    for (LayerBuild& L : B.layers) {
        Layer layer;
        for (HeadBuild& hb : L.heads) {
            Head h;
            h.name = hb.name;
            std::vector<Lin> q, k;
            for (const Row& r : hb.rows) q.push_back(r.q), k.push_back(r.k);
            h.query = affine(q, d);
            h.key = affine(k, d);
            h.value = affine(hb.values, d);
            std::vector<Sparse<Rational>::Triple> o;
            for (std::uint32_t j = 0; j < hb.outputs.size(); ++j) o.push_back({hb.outputs[j], j, Rational(1)});
            h.output = Sparse<Rational>::from_triples(d, hb.outputs.size(), std::move(o));
            h.mask = hb.mask;
            h.window = hb.window;
            h.rule = Rule::AverageHard;
            layer.heads.push_back(std::move(h));
        }
        if (!L.outputs.empty()) {
            FeedForward ff;
            ff.circuit = std::move(L.circuit);
            ff.circuit.outputs = L.outputs;
            ff.reads = L.reads;
            ff.writes = L.writes;
            layer.ffn = std::move(ff);
        }
        enc.layers.push_back(std::move(layer));
    }
    enc.readout.kind = Readout::Kind::Sequence;
    enc.readout.coordinates = coords;
    if (c.kind == Compiled::Kind::Categorical)
        for (const Value& v : c.values) enc.readout.values.push_back(plain_value(v));
    enc.coordinates = coordinate_names(prog, B, c, coords);
    validate(enc);
    return enc;
}

}  // namespace

Compiled compile(const Program& prog, const CompileOptions& opts) {
    Builder B(prog, checked_alphabet(prog, opts.alphabet));
    B.not_bos();
    Compiled c;
    std::vector<std::uint32_t> coords = build_sop(prog, B, opts.id ? *opts.id : pick_sop(prog, opts.name), opts.name, c);
    const std::vector<std::uint32_t> to = B.share();
    for (std::uint32_t& k : coords) k = to[k];
    c.encoder = assemble(prog, B, c, coords);
    return c;
}

Joint compile_joint(const Program& prog, const std::vector<std::string>& alphabet,
                    const std::vector<std::uint32_t>& ids) {
    if (ids.empty()) internal_error("compile_joint: no s-op");
    Builder B(prog, checked_alphabet(prog, alphabet));
    B.not_bos();
    Joint j;
    for (std::uint32_t id : ids) {
        j.sops.emplace_back();
        j.coordinates.push_back(build_sop(prog, B, id, "", j.sops.back()));
    }
    const std::vector<std::uint32_t> to = B.share();
    for (auto& coords : j.coordinates)
        for (std::uint32_t& k : coords) k = to[k];
    j.encoder = assemble(prog, B, j.sops.front(), j.coordinates.front());
    return j;
}

template <class S>
std::vector<Value> decode(const Compiled& c, const Matrix<S>& outputs) {
    std::vector<Value> out;
    const std::size_t first = c.bos ? 1 : 0;
    for (std::size_t i = first; i < outputs.rows; ++i) {
        const S* row = outputs.row(i);
        if (c.kind == Compiled::Kind::Categorical) {
            std::size_t best = 0;
            for (std::size_t k = 1; k < outputs.cols; ++k)
                if (row[k] > row[best]) best = k;
            if constexpr (is_exact_v<S>) {
                for (std::size_t k = 0; k < outputs.cols; ++k)
                    if (row[k] != (k == best ? S(1) : S(0)))
                        fail({}, "position {}: the output is not a one-hot vector (a categorical aggregate over "
                                 "different values?)", i - first);
            }
            out.push_back(c.values.at(best));
            continue;
        }
        if constexpr (is_exact_v<S>) {
            if (c.kind == Compiled::Kind::Integer && !is_integer(row[0]))
                fail({}, "position {}: the integer output {} is not an integer", i - first, to_string(row[0]));
            out.push_back(Value{Rational(row[0])});
        } else {
            const double x = static_cast<double>(row[0]);
            if (!std::isfinite(x)) fail({}, "position {}: the output is not finite", i - first);
            out.push_back(Value{c.kind == Compiled::Kind::Integer ? Rational(Integer(static_cast<long long>(std::llround(x))))
                                                                  : Rational(x)});
        }
    }
    return out;
}

template std::vector<Value> decode<Rational>(const Compiled&, const Matrix<Rational>&);
template std::vector<Value> decode<double>(const Compiled&, const Matrix<double>&);
template std::vector<Value> decode<float>(const Compiled&, const Matrix<float>&);

}  // namespace ahat::rasp
