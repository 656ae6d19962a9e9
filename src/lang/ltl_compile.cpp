#include "lang/ltl_compile.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace ahat::lang {

std::string Model::name() const {
    std::string base;
    switch (kind) {
        case ModelKind::Global: base = "global"; break;
        case ModelKind::Local: base = fmt::format("local-{}", k); break;
        case ModelKind::Hybrid: base = fmt::format("hybrid-{}", k); break;
        case ModelKind::Rightmost: base = "rightmost"; break;
    }
    return exact ? base + "-exact" : base;
}

std::string Model::logic() const {
    std::string y = k == 1 ? "Y" : fmt::format("Y<={}", k);
    if (exact) {
        bool reach = rule == Rule::AverageHard;  // Y by position needs an argmax
        switch (kind) {
            case ModelKind::Global: return reach ? "LTL[P,Y,#]" : "LTL[P,#]";
            case ModelKind::Local: return fmt::format("LTL[{},#<={}]", y, k);
            case ModelKind::Hybrid:
                return reach && k != 1 ? fmt::format("LTL[P,Y,{},#,#<={}]", y, k) : fmt::format("LTL[P,{},#,#<={}]", y, k);
            case ModelKind::Rightmost: break;
        }
    }
    switch (kind) {
        case ModelKind::Global: return "LTL[P]";
        case ModelKind::Local: return fmt::format("LTL[{}]", y);
        case ModelKind::Hybrid: return fmt::format("LTL[P,{}]", y);
        case ModelKind::Rightmost: return "LTL[Y,S]";
    }
    return "?";
}

std::string Model::assumptions() const {
    std::string window = kind == ModelKind::Local ? fmt::format("window {} (local heads only)", k)
                         : kind == ModelKind::Hybrid ? fmt::format("global heads and heads with window {}", k)
                                                     : std::string("no window");
    std::string precision =
        exact ? "exact rational arithmetic"
              : fmt::format("fixed precision (the characterization by {} holds for fixed-precision transformers: {})",
                            logic(), kind == ModelKind::Rightmost ? "Yang, Chiang & Angluin 2024" : "Li & Cotterell 2026");
    return fmt::format("precision: {}; rule: {}; mask: strict (j < i); {}; input: w$ one-hot, no positional "
                       "features, no BOS, acceptance read at $",
                       precision, rule_name(rule), window);
}

bool Model::allows(const LtlNode& n, const Formula& f) const {
    if (n.op == LtlOp::Count) {
        if (!exact) return false;
        std::uint32_t w = f.comparisons[n.k].window;
        bool past = kind == ModelKind::Global || kind == ModelKind::Hybrid;
        bool local = kind == ModelKind::Local || kind == ModelKind::Hybrid;
        return w == 0 ? past : local && w == k;
    }
    if (!is_temporal(n.op) || kind == ModelKind::Rightmost) return true;
    bool window = (n.op == LtlOp::Y || n.op == LtlOp::YWithin) && n.k == k;
    bool past = n.op == LtlOp::P || n.op == LtlOp::H;
    // exact: Y reads i-1 through keys built from 1/i (needs an argmax: average-hard)
    bool reach = exact && n.op == LtlOp::Y && rule == Rule::AverageHard;
    switch (kind) {
        case ModelKind::Global: return past || reach;
        case ModelKind::Local: return window;
        case ModelKind::Hybrid: return past || window || reach;
        default: return true;
    }
}

Model parse_model(std::string_view full, const SourceLoc& loc, Rule rule) {
    Model m;
    std::string_view name = full;
    constexpr std::string_view kExact = "-exact";
    if (name.size() > kExact.size() && name.substr(name.size() - kExact.size()) == kExact) {
        m.exact = true;
        name.remove_suffix(kExact.size());
    }
    auto windowed = [&](std::string_view prefix, ModelKind kind) {
        if (name.substr(0, prefix.size()) != prefix) return false;
        std::string_view num = name.substr(prefix.size());
        std::uint32_t k = 0;
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), k);
        if (ec != std::errc() || p != num.data() + num.size() || k == 0 || k > 64)
            fail(loc, "'{}': the window must be a number from 1 to 64", full);
        m.kind = kind;
        m.k = k;
        return true;
    };
    if (name == "global") m.kind = ModelKind::Global;
    else if (name == "rightmost" && !m.exact) m.kind = ModelKind::Rightmost;
    else if (!windowed("local-", ModelKind::Local) && !windowed("hybrid-", ModelKind::Hybrid))
        fail(loc, "unknown model '{}' (global, local-K, hybrid-K, rightmost; global-exact, local-K-exact, hybrid-K-exact)",
             full);
    if (m.kind == ModelKind::Rightmost) {
        m.rule = Rule::UniqueHardRight;
        return m;
    }
    bool symmetric = rule == Rule::AverageHard || rule == Rule::Uniform;
    if (m.kind == ModelKind::Global && !m.exact) {
        if (!symmetric && rule != Rule::UniqueHardLeft)
            fail(loc, "model '{}' needs a rule without recency tie-breaking (average-hard, unique-hard-left, uniform), not {}",
                 full, rule_name(rule));
    } else if (!symmetric) {
        fail(loc,
             "model '{}' needs average-hard or uniform attention, not {}: {}", full, rule_name(rule),
             m.exact ? "exact columns are about averaging (a hard rule computes no new numbers)"
                     : "leftmost ties inside a window read position i-k exactly, which LTL[Y<=k] cannot express");
    }
    m.rule = rule;
    return m;
}

void check_in_model(const Formula& f, const Model& m, const SourceLoc& loc) {
    for (const auto& n : f.nodes)
        if (!m.allows(n, f)) {
            std::string op = n.op == LtlOp::YWithin ? fmt::format("Y<={}", n.k)
                             : n.op == LtlOp::Count  ? (f.comparisons[n.k].window ? fmt::format("#<={}", f.comparisons[n.k].window)
                                                                                  : std::string("#"))
                                                     : std::string(op_symbol(n.op));
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
        if (reach[id])
            for (std::uint32_t x : operands(f, id)) reach[x] = true;
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
        } else if (n.op == LtlOp::Count) {
            Comparison c = f.comparison(id);
            for (auto& t : c.terms) t.second = map[t.second];
            map[id] = g.count(std::move(c));
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

// Extra coordinates after the formula's: seen (1 from position 1 on), inv (1/i, 0 at 0), for
// each window k of a count the average of the first-position flag over it (1/i for i <= k),
// and one per count term (the average of its operand over the count's range).
struct Extras {
    std::uint32_t seen = 0, inv = 0;
    std::map<std::uint32_t, std::uint32_t> window_first;          // k -> coordinate
    std::map<std::pair<std::uint32_t, std::size_t>, std::uint32_t> term;  // (node, term) -> coordinate
    std::uint32_t d = 0;
};

}  // namespace

CompiledLtl compile_ltl(const Formula& f, const std::string& alphabet, Rule rule, bool y_by_position) {
    if (rule == Rule::Softmax) fail(SourceLoc{}, "formulas compile to hard or uniform attention, not softmax");
    if (alphabet.find('$') != std::string::npos) fail(SourceLoc{}, "'$' is the end-of-string symbol; it cannot be a letter");
    Prepared p = prepare(f);
    const Formula& g = p.g;
    Extras ex;
    std::uint32_t d = static_cast<std::uint32_t>(g.size());
    bool prelude = false, global = false;
    for (std::uint32_t id = 0; id < g.size(); ++id) {
        const LtlNode& n = g[id];
        bool positional_y = y_by_position && n.op == LtlOp::Y;
        if (n.op != LtlOp::Count && !positional_y) continue;
        if (rule != Rule::AverageHard && (positional_y || rule != Rule::Uniform))
            fail(SourceLoc{}, "{} compiles only under {} attention, not {}", positional_y ? "Y by position" : "a count",
                 positional_y ? "average-hard" : "average-hard or uniform", rule_name(rule));
        prelude = true;
        global = global || positional_y;
        if (n.op == LtlOp::Count) {
            const Comparison& c = g.comparison(id);
            global = global || c.window == 0;
            if (c.window && !ex.window_first.count(c.window)) ex.window_first[c.window] = 0;
            for (std::size_t t = 0; t < c.terms.size(); ++t) ex.term[{id, t}] = 0;
        }
    }
    if (prelude) {  // without global counts or Y by position, every prelude head is windowed
        ex.seen = d++;
        if (global) ex.inv = d++;
        for (auto& [k, coord] : ex.window_first) coord = d++;
        for (auto& [key, coord] : ex.term) coord = d++;
    }
    ex.d = d;
    std::vector<std::uint32_t> td(g.size(), 0);
    std::uint32_t depth = 0;
    for (std::uint32_t id = 0; id < g.size(); ++id) {
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
            case LtlOp::Count:
                for (std::uint32_t x : operands(g, id)) td[id] = std::max(td[id], 1 + td[x]);
                break;
            default: td[id] = 1 + td[n.a]; break;
        }
        depth = std::max(depth, td[id]);
    }
    CompiledLtl out;
    Encoder& enc = out.enc;
    enc.name = "ltl";
    enc.description = fmt::format("{} under {} attention", to_string(f), rule_name(rule));
    enc.d = d;
    enc.input.kind = InputSpec::Kind::String;
    for (char c : alphabet) enc.input.alphabet.emplace_back(1, c);
    enc.input.alphabet.emplace_back(kEos);
    for (const auto& sym : enc.input.alphabet) {
        std::vector<Rational> row(d, Rational(0));
        for (std::uint32_t id = 0; id < g.size(); ++id)
            if ((g[id].op == LtlOp::Atom && sym.size() == 1 && sym[0] == g[id].letter && sym != kEos) ||
                g[id].op == LtlOp::True)
                row[id] = 1;
        enc.input.embedding.push_back(std::move(row));
    }
    auto constant_head = [&](std::string name, std::optional<std::uint32_t> value, long bias, std::uint32_t target,
                             std::optional<std::uint64_t> window) {
        Head h;
        h.name = std::move(name);
        h.rule = rule;
        h.mask = Mask::Past;
        h.window = window;
        h.query = coordinate_map(d, std::nullopt, 1);
        h.key = coordinate_map(d, std::nullopt, 0);
        std::vector<Triple> t;
        if (value) t.push_back({0, *value, Rational(-1)});  // value = bias - x (x = seen: the first-position flag)
        h.value = Affine<Rational>(Sparse<Rational>::from_triples(1, d, std::move(t)), {Rational(bias)});
        h.output = Sparse<Rational>::from_triples(d, 1, {Triple{target, 0, Rational(1)}});
        return h;
    };
    if (prelude) {  // proofs/counting-compile.md, blocks 1 and 2
        Layer seen;
        std::optional<std::uint64_t> seen_window;
        if (!global) seen_window = ex.window_first.begin()->first;
        seen.heads.push_back(constant_head("seen: 1 from position 1 on", std::nullopt, 1, ex.seen, seen_window));
        enc.layers.push_back(std::move(seen));
        Layer inv;
        if (global)
            inv.heads.push_back(constant_head("1/i: the first-position flag averaged", ex.seen, 1, ex.inv, std::nullopt));
        for (const auto& [k, coord] : ex.window_first)
            inv.heads.push_back(constant_head(fmt::format("1/i for i <= {}: the flag averaged over the window", k), ex.seen,
                                              1, coord, k));
        enc.layers.push_back(std::move(inv));
        out.heads += 1 + enc.layers.back().heads.size();
    }
    for (std::uint32_t level = 0; level <= depth; ++level) {
        Layer layer;
        for (std::uint32_t id = 0; id < g.size(); ++id) {
            const LtlNode& n = g[id];
            if (td[id] != level) continue;
            if (n.op == LtlOp::Count) {  // one averaging head per term
                const Comparison& c = g.comparison(id);
                for (std::size_t t = 0; t < c.terms.size(); ++t) {
                    Head h = constant_head(fmt::format("mean of {} for {}", to_string(g, c.terms[t].second), to_string(g, id)),
                                           std::nullopt, 0, ex.term.at({id, t}),
                                           c.window ? std::optional<std::uint64_t>(c.window) : std::nullopt);
                    h.value = coordinate_map(d, c.terms[t].second, 0);
                    layer.heads.push_back(std::move(h));
                }
                continue;
            }
            if (!is_temporal(n.op)) continue;
            Head h;
            h.name = fmt::format("{} {}", op_symbol(n.op), to_string(g, id));
            h.rule = rule;
            h.mask = Mask::Past;
            std::uint32_t score = n.op == LtlOp::Since ? p.helper[id] : n.a;
            std::uint32_t value = n.op == LtlOp::Since ? n.b : n.a;
            h.query = coordinate_map(d, std::nullopt, 1);
            h.key = coordinate_map(d, score, 0);
            if (n.op == LtlOp::Y && y_by_position) {
                // key_j = 2 seen_j - inv_j - 2: -2 at j = 0, then -1/j, strictly increasing, so the
                // average-hard argmax over j < i is j = i - 1 alone (block 3)
                h.key = Affine<Rational>(Sparse<Rational>::from_triples(
                                             1, d, {Triple{0, ex.seen, Rational(2)}, Triple{0, ex.inv, Rational(-1)}}),
                                         {Rational(-2)});
            } else if (n.op == LtlOp::Y || n.op == LtlOp::YWithin) {
                h.window = n.k;
            }
            h.value = coordinate_map(d, value, 0);
            h.output = Sparse<Rational>::from_triples(d, 1, {Triple{id, 0, Rational(1)}});
            layer.heads.push_back(std::move(h));
        }
        FeedForward ff;
        Circuit& c = ff.circuit;
        std::map<std::uint32_t, GateId> gate;
        std::map<long long, GateId> constants;
        auto operand = [&](std::uint32_t x) {
            auto it = gate.find(x);
            if (it != gate.end()) return it->second;
            GateId in = c.input(fmt::format("n{}", x));
            ff.reads.push_back(x);
            return gate[x] = in;
        };
        auto number = [&](long long v) {
            auto it = constants.find(v);
            return it != constants.end() ? it->second : constants[v] = c.constant(Rational(v), fmt::format("c{}", v));
        };
        auto unit = [&] { return number(1); };
        auto relation = [&](Rel r, GateId x) {  // [x REL 0]
            GateId zero = number(0);
            switch (r) {
                case Rel::Gt: return c.greater(x, zero);
                case Rel::Ge: return c.greater_equal(x, zero);
                case Rel::Lt: return c.greater(zero, x);
                case Rel::Le: return c.greater_equal(zero, x);
                case Rel::Eq: return c.equal(x, zero);
                case Rel::Ne: return c.sub(unit(), c.equal(x, zero));
            }
            return zero;
        };
        for (std::uint32_t id = 0; id < g.size(); ++id) {
            const LtlNode& n = g[id];
            if (td[id] != level) continue;
            GateId v;
            if (n.op == LtlOp::Count) {  // block 4: the sign of (sum coef #A + constant) / |range|
                const Comparison& cmp = g.comparison(id);
                GateId seen = operand(ex.seen);
                std::vector<GateId> scaled, at_zero{number(cmp.constant)};
                GateId norm;  // 1/|range| from position 1 on
                if (cmp.window == 0) {
                    norm = operand(ex.inv);
                } else {  // 1/i while i <= k (the window reaches position 0), else 1/k
                    GateId early = operand(ex.window_first.at(cmp.window));
                    GateId late = c.mul(c.sub(seen, c.greater(early, number(0))),
                                        c.constant(Rational(Integer(1), Integer(cmp.window)), "1/k"));
                    norm = c.add({early, late});
                }
                scaled.push_back(c.mul(number(cmp.constant), norm));
                for (std::size_t t = 0; t < cmp.terms.size(); ++t) {
                    auto [coef, x] = cmp.terms[t];
                    GateId mean = operand(ex.term.at({id, t}));
                    GateId here = operand(x);
                    GateId count_over_range = cmp.window == 0 ? c.add({mean, c.mul(here, norm)}) : mean;
                    scaled.push_back(c.mul(number(coef), count_over_range));
                    if (cmp.window == 0) at_zero.push_back(c.mul(number(coef), here));  // #A at 0 is A at 0
                }
                GateId later = relation(cmp.rel, c.add(scaled));
                GateId first = relation(cmp.rel, c.add(at_zero));
                v = c.add({c.mul(seen, later), c.mul(c.sub(unit(), seen), first)});
            } else if (is_temporal(n.op)) {
                if (rule != Rule::Uniform) continue;
                GateId mean = operand(id);  // the average of the operand over the window
                v = c.sign(mean);
                c.outputs.push_back(c.sub(v, mean));
                ff.writes.push_back(id);
                gate[id] = v;
                continue;
            } else {
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
    // Coordinate names: each subformula's truth value under its text (long ones shortened and
    // told apart by their node number), then the prelude's helpers.
    for (std::uint32_t id = 0; id < g.size(); ++id) {
        std::string text = to_string(g, id);
        if (text.size() > 40) text = fmt::format("{}...#{}", text.substr(0, 32), id);
        enc.coordinates.push_back(std::move(text));
    }
    enc.coordinates.resize(d);
    if (prelude) {
        enc.coordinates[ex.seen] = "seen";
        if (global) enc.coordinates[ex.inv] = "1/i";
        for (const auto& [k, coord] : ex.window_first) enc.coordinates[coord] = fmt::format("1/i(i<={})", k);
        for (const auto& [key, coord] : ex.term)
            enc.coordinates[coord] = fmt::format("mean:{}#{}", to_string(g, g.comparison(key.first).terms[key.second].second), coord);
    }
    enc.readout.kind = Readout::Kind::Accept;
    enc.readout.at_last = true;
    enc.readout.weights.assign(d, Rational(0));
    enc.readout.weights[g.root] = 1;
    enc.readout.bias = Rational(Integer(-1), Integer(2));
    validate(enc);
    out.layers = enc.layers.size();
    out.width = d;
    if (prelude) out.seen = ex.seen;
    if (global) out.inv = ex.inv;
    return out;
}

CompiledLtl compile_in_model(const Formula& f, const std::string& alphabet, const Model& m) {
    bool window_one = (m.kind == ModelKind::Local || m.kind == ModelKind::Hybrid) && m.k == 1;
    return compile_ltl(f, alphabet, m.rule, m.exact && !window_one);
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
