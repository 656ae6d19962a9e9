#include "lang/ltl_compile.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace ahat::lang {

std::string Model::name() const {
    switch (kind) {
        case ModelKind::Global: return "global";
        case ModelKind::Local: return fmt::format("local-{}", k);
        case ModelKind::Hybrid: return fmt::format("hybrid-{}", k);
        case ModelKind::Rightmost: return "rightmost";
    }
    return "?";
}

std::string Model::logic() const {
    std::string y = k == 1 ? "Y" : fmt::format("Y<={}", k);
    switch (kind) {
        case ModelKind::Global: return "LTL[P]";
        case ModelKind::Local: return fmt::format("LTL[{}]", y);
        case ModelKind::Hybrid: return fmt::format("LTL[P,{}]", y);
        case ModelKind::Rightmost: return "LTL[Y,S]";
    }
    return "?";
}

bool Model::allows(const LtlNode& n) const {
    if (!is_temporal(n.op) || kind == ModelKind::Rightmost) return true;
    bool window = (n.op == LtlOp::Y || n.op == LtlOp::YWithin) && n.k == k;
    bool past = n.op == LtlOp::P || n.op == LtlOp::H;
    switch (kind) {
        case ModelKind::Global: return past;
        case ModelKind::Local: return window;
        case ModelKind::Hybrid: return past || window;
        default: return true;
    }
}

Model parse_model(std::string_view name, const SourceLoc& loc, Rule rule) {
    Model m;
    auto windowed = [&](std::string_view prefix, ModelKind kind) {
        if (name.substr(0, prefix.size()) != prefix) return false;
        std::string_view num = name.substr(prefix.size());
        std::uint32_t k = 0;
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), k);
        if (ec != std::errc() || p != num.data() + num.size() || k == 0 || k > 64)
            fail(loc, "'{}': the window must be a number from 1 to 64", name);
        m.kind = kind;
        m.k = k;
        return true;
    };
    if (name == "global") m.kind = ModelKind::Global;
    else if (name == "rightmost") m.kind = ModelKind::Rightmost;
    else if (!windowed("local-", ModelKind::Local) && !windowed("hybrid-", ModelKind::Hybrid))
        fail(loc, "unknown model '{}' (global, local-K, hybrid-K, rightmost)", name);
    if (m.kind == ModelKind::Rightmost) {
        m.rule = Rule::UniqueHardRight;
    } else {
        if (rule != Rule::AverageHard && rule != Rule::UniqueHardLeft && rule != Rule::Uniform)
            fail(loc, "model '{}' needs a rule without recency tie-breaking (average-hard, unique-hard-left, uniform), not {}",
                 name, rule_name(rule));
        m.rule = rule;
    }
    return m;
}

void check_in_model(const Formula& f, const Model& m, const SourceLoc& loc) {
    for (const auto& n : f.nodes)
        if (!m.allows(n)) {
            std::string op = n.op == LtlOp::YWithin ? fmt::format("Y<={}", n.k) : std::string(op_symbol(n.op));
            fail(loc, "operator {} is outside {} (model {})", op, m.logic(), m.name());
        }
}

namespace {

using Triple = Sparse<Rational>::Triple;

Affine<Rational> coordinate_map(std::size_t d, std::optional<std::uint32_t> coord, long bias) {
    std::vector<Triple> t;
    if (coord) t.push_back({0, *coord, Rational(1)});
    return Affine<Rational>(Sparse<Rational>::from_triples(1, d, std::move(t)), {Rational(bias)});
}

// The formula to compile: reachable nodes only, H x rewritten to !P!x, and for every x S y a
// helper node y | !x (the score of its head).
struct Prepared {
    Formula g;
    std::vector<std::uint32_t> helper;  // per node of g: the score node of a Since, else itself
};

Prepared prepare(const Formula& f) {
    Prepared p;
    std::vector<bool> reach(f.size(), false);
    reach[f.root] = true;
    for (std::uint32_t id = f.root + 1; id-- > 0;)
        if (reach[id]) {
            const LtlNode& n = f[id];
            if (n.op != LtlOp::Atom && n.op != LtlOp::True && n.op != LtlOp::False) reach[n.a] = true;
            if (n.op == LtlOp::And || n.op == LtlOp::Or || n.op == LtlOp::Implies || n.op == LtlOp::Since)
                reach[n.b] = true;
        }
    std::vector<std::uint32_t> map(f.size(), 0);
    Formula& g = p.g;
    for (std::uint32_t id = 0; id <= f.root; ++id) {
        if (!reach[id]) continue;
        LtlNode n = f[id];
        n.a = map[n.a];
        n.b = map[n.b];
        if (n.op == LtlOp::Atom || n.op == LtlOp::True || n.op == LtlOp::False) n.a = n.b = 0;
        if (n.op == LtlOp::H) {
            map[id] = g.neg(g.past(g.neg(n.a)));
        } else if (n.op == LtlOp::Since) {
            g.disj(n.b, g.neg(n.a));
            map[id] = g.intern(n);
        } else {
            map[id] = g.intern(n);
        }
    }
    g.root = map[f.root];
    p.helper.resize(g.size());
    for (std::uint32_t id = 0; id < g.size(); ++id) {
        const LtlNode& n = g[id];
        p.helper[id] = n.op == LtlOp::Since ? g.disj(n.b, g.neg(n.a)) : id;
    }
    return p;
}

}  // namespace

CompiledLtl compile_ltl(const Formula& f, const std::string& alphabet, Rule rule) {
    if (rule == Rule::Softmax) fail(SourceLoc{}, "formulas compile to hard or uniform attention, not softmax");
    if (alphabet.find('$') != std::string::npos) fail(SourceLoc{}, "'$' is the end-of-string symbol; it cannot be a letter");
    Prepared p = prepare(f);
    const Formula& g = p.g;
    std::size_t d = g.size();
    std::vector<std::uint32_t> td(d, 0);
    std::uint32_t depth = 0;
    for (std::uint32_t id = 0; id < d; ++id) {
        const LtlNode& n = g[id];
        switch (n.op) {
            case LtlOp::Atom: case LtlOp::True: case LtlOp::False: break;
            case LtlOp::Not: td[id] = td[n.a]; break;
            case LtlOp::And: case LtlOp::Or: case LtlOp::Implies: td[id] = std::max(td[n.a], td[n.b]); break;
            case LtlOp::Since:
                if (rule != Rule::UniqueHardRight)
                    fail(SourceLoc{}, "S compiles only under unique-hard-right attention (the rightmost model), not {}",
                         rule_name(rule));
                td[id] = 1 + std::max(td[n.a], std::max(td[n.b], td[p.helper[id]]));
                break;
            default: td[id] = 1 + td[n.a]; break;
        }
        depth = std::max(depth, td[id]);
    }
    CompiledLtl out;
    Encoder& enc = out.enc;
    enc.name = "ltl";
    enc.description = fmt::format("{} under {} attention", to_string(f), rule_name(rule));
    enc.d = static_cast<std::uint32_t>(d);
    enc.input.kind = InputSpec::Kind::String;
    for (char c : alphabet) enc.input.alphabet.emplace_back(1, c);
    enc.input.alphabet.emplace_back(kEos);
    for (const auto& sym : enc.input.alphabet) {
        std::vector<Rational> row(d, Rational(0));
        for (std::uint32_t id = 0; id < d; ++id)
            if ((g[id].op == LtlOp::Atom && sym.size() == 1 && sym[0] == g[id].letter && sym != kEos) ||
                g[id].op == LtlOp::True)
                row[id] = 1;
        enc.input.embedding.push_back(std::move(row));
    }
    for (std::uint32_t level = 0; level <= depth; ++level) {
        Layer layer;
        for (std::uint32_t id = 0; id < d; ++id) {
            const LtlNode& n = g[id];
            if (!is_temporal(n.op) || td[id] != level) continue;
            Head h;
            h.name = fmt::format("{} {}", op_symbol(n.op), to_string(g, id));
            h.rule = rule;
            h.mask = Mask::Past;
            if (n.op == LtlOp::Y || n.op == LtlOp::YWithin) h.window = n.k;
            std::uint32_t score = n.op == LtlOp::Since ? p.helper[id] : n.a;
            std::uint32_t value = n.op == LtlOp::Since ? n.b : n.a;
            h.query = coordinate_map(d, std::nullopt, 1);
            h.key = coordinate_map(d, score, 0);
            h.value = coordinate_map(d, value, 0);
            h.output = Sparse<Rational>::from_triples(d, 1, {Triple{id, 0, Rational(1)}});
            layer.heads.push_back(std::move(h));
        }
        FeedForward ff;
        Circuit& c = ff.circuit;
        std::map<std::uint32_t, GateId> gate;
        std::optional<GateId> one;
        auto operand = [&](std::uint32_t x) {
            auto it = gate.find(x);
            if (it != gate.end()) return it->second;
            GateId in = c.input(fmt::format("n{}", x));
            ff.reads.push_back(x);
            return gate[x] = in;
        };
        auto unit = [&] { return one ? *one : *(one = c.constant(Rational(1), "one")); };
        for (std::uint32_t id = 0; id < d; ++id) {
            const LtlNode& n = g[id];
            if (td[id] != level) continue;
            GateId v;
            if (is_temporal(n.op)) {
                if (rule != Rule::Uniform) continue;
                GateId mean = operand(id);  // the average of the operand over the window
                v = c.sign(mean);
                c.outputs.push_back(c.sub(v, mean));
                ff.writes.push_back(id);
                gate[id] = v;
                continue;
            }
            switch (n.op) {
                case LtlOp::Not: v = c.sub(unit(), operand(n.a)); break;
                case LtlOp::And: v = c.mul(operand(n.a), operand(n.b)); break;
                case LtlOp::Or: {
                    GateId x = operand(n.a), y = operand(n.b);
                    v = c.sub(c.add({x, y}), c.mul(x, y));
                    break;
                }
                case LtlOp::Implies: {
                    GateId x = operand(n.a), y = operand(n.b);
                    v = c.add({c.sub(unit(), x), c.mul(x, y)});
                    break;
                }
                default: continue;  // atoms and constants come from the embedding
            }
            gate[id] = v;
            c.outputs.push_back(v);
            ff.writes.push_back(id);
        }
        if (!c.outputs.empty()) layer.ffn = std::move(ff);
        if (!layer.heads.empty() || layer.ffn) {
            out.heads += layer.heads.size();
            enc.layers.push_back(std::move(layer));
        }
    }
    enc.readout.kind = Readout::Kind::Accept;
    enc.readout.at_last = true;
    enc.readout.weights.assign(d, Rational(0));
    enc.readout.weights[g.root] = 1;
    enc.readout.bias = Rational(Integer(-1), Integer(2));
    validate(enc);
    out.layers = enc.layers.size();
    out.width = d;
    return out;
}

bool compiled_accepts(const Program<Rational>& prog, std::string_view w) {
    std::vector<std::string> tokens;
    tokens.reserve(w.size() + 1);
    for (char c : w) tokens.emplace_back(1, c);
    tokens.emplace_back(kEos);
    return *prog.run(embed(prog.encoder(), tokens)).accepted;
}

std::vector<std::string> sample_words(const std::string& alphabet, std::size_t max_len, std::size_t count,
                                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<std::string> out;
    auto length = [&](std::size_t i) { return i % 2 == 0 ? max_len : 1 + pick(max_len); };
    for (std::size_t i = 0; i < count; ++i) {  // random
        std::string w;
        for (std::size_t n = length(i); n > 0; --n) w += alphabet[pick(alphabet.size())];
        out.push_back(std::move(w));
    }
    for (std::size_t i = 0; i < 2 * count; ++i) {  // periodic, then near-miss (one letter changed)
        std::string u;
        for (std::size_t n = 1 + pick(4); n > 0; --n) u += alphabet[pick(alphabet.size())];
        std::string w;
        for (std::size_t n = length(i); w.size() < n;) w += u[w.size() % u.size()];
        if (i >= count && !w.empty() && alphabet.size() > 1) {
            std::size_t at = i % 3 == 0 ? 0 : i % 3 == 1 ? w.size() - 1 : pick(w.size());
            w[at] = alphabet[(alphabet.find(w[at]) + 1 + pick(alphabet.size() - 1)) % alphabet.size()];
        }
        out.push_back(std::move(w));
    }
    return out;
}

LtlVerifyReport verify_ltl(const CompiledLtl& c, const std::string& alphabet,
                           const std::function<bool(std::string_view)>& reference, const LtlVerifyOptions& o) {
    Program<Rational> prog(c.enc);
    LtlVerifyReport r;
    auto check = [&](const std::string& w) {
        if (compiled_accepts(prog, w) != reference(w)) {
            if (r.failures++ == 0) r.first_failure = w.empty() ? "(empty)" : w;
        }
    };
    std::string w;
    // every word up to max_len, in length-lexicographic order
    for (std::size_t len = 0; len <= o.max_len; ++len) {
        std::vector<std::size_t> digits(len, 0);
        for (;;) {
            w.clear();
            for (std::size_t x : digits) w += alphabet[x];
            check(w);
            ++r.exhaustive;
            std::size_t i = len;
            while (i > 0 && ++digits[i - 1] == alphabet.size()) digits[--i] = 0;
            if (i == 0) break;
        }
    }
    if (o.random_len > 0)
        for (const auto& s : sample_words(alphabet, o.random_len, o.random_count, o.seed)) {
            check(s);
            ++r.sampled;
        }
    return r;
}

}  // namespace ahat::lang
