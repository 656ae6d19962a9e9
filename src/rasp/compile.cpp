// The RASP compiler, part 1: coordinates, feed-forward circuits and SOp encodings (tokens,
// indices, length, constants, elementwise maps). Selectors, aggregates and widths are in
// compile_select.cpp, the encoder's assembly and decode() in compile_encoder.cpp.
#include <functional>

#include "rasp/compile_internal.hpp"

namespace ahat::rasp::detail {

Lin& Lin::add(const Lin& o, const Rational& k) {
    for (const auto& [c, v] : o.terms) {
        Rational& t = terms[c];
        t += k * v;
        if (t == 0) terms.erase(c);
    }
    constant += k * o.constant;
    return *this;
}

Lin scaled(const Lin& l, const Rational& k) {
    Lin r;
    return r.add(l, k);
}

std::uint32_t Builder::fresh() {
    positional.emplace_back();
    embedding.emplace_back(alphabet.size(), Rational(0));
    return d++;
}

std::uint32_t Builder::not_bos() {
    if (!not_bos_) {
        not_bos_ = fresh();
        positional[*not_bos_] = {{Feature::One, Rational(1)}, {Feature::First, Rational(-1)}};
    }
    return *not_bos_;
}

std::uint32_t Builder::feature_i() {
    if (!i_) {
        i_ = fresh();
        positional[*i_] = {{Feature::I, Rational(1)}};
    }
    return *i_;
}

std::uint32_t Builder::feature_i2() {
    if (!i2_) {
        i2_ = fresh();
        positional[*i2_] = {{Feature::ISquared, Rational(1)}};
    }
    return *i2_;
}

std::uint32_t Builder::inv_pos() {
    if (!inv_) {
        inv_ = fresh();
        positional[*inv_] = {{Feature::InvIPlus1, Rational(1)}};
    }
    return *inv_;
}

Enc Builder::inv_pos_sq() {
    if (!inv2_) {
        GateId g = gate(0, Lin::coord(inv_pos()));
        inv2_ = write(0, layers[0].circuit.mul(g, g));
    }
    Enc e{Type::Rational, {}, {Lin::coord(*inv2_)}, 1};
    return e;
}

LayerBuild& Builder::layer(std::size_t l) {
    while (layers.size() <= l) layers.emplace_back();
    return layers[l];
}

GateId Builder::gate(std::size_t l, const Lin& x) {
    LayerBuild& L = layer(l);
    std::vector<GateId> sum;
    for (const auto& [c, k] : x.terms) {
        auto it = L.gate_of.find(c);
        GateId g;
        if (it != L.gate_of.end()) {
            g = it->second;
        } else {
            g = L.circuit.input();
            L.gate_of[c] = g;
            L.reads.push_back(c);
        }
        sum.push_back(k == 1 ? g : L.circuit.mul(L.circuit.constant(k), g));
    }
    if (x.constant != 0) {
        // constants are scaled by not_bos so that every gate vanishes at the BOS row
        sum.push_back(L.circuit.mul(L.circuit.constant(x.constant), gate(l, Lin::coord(not_bos()))));
    }
    if (sum.size() == 1) return sum[0];
    return L.circuit.add(std::move(sum));
}

std::uint32_t Builder::write(std::size_t l, GateId g) {
    std::uint32_t c = fresh();
    LayerBuild& L = layer(l);
    L.outputs.push_back(g);
    L.writes.push_back(c);
    L.gate_of[c] = g;
    return c;
}

Enc Builder::length() {  // (n - 1) * not_bos, computed in layer 0's feed-forward part
    if (!length_) {
        std::uint32_t n = fresh();
        positional[n] = {{Feature::N, Rational(1)}};
        GateId one = gate(0, Lin::coord(not_bos()));
        GateId nn = gate(0, Lin::coord(n));
        Circuit& C = layer(0).circuit;
        GateId g = C.add({C.mul(nn, one), C.mul(C.constant(Rational(-1)), one)});
        length_ = Enc{Type::Integer, {}, {Lin::coord(write(0, g))}, 1};
    }
    return *length_;
}

Enc Builder::constant_enc(const Value& v) {
    Enc e;
    e.values = {v};
    e.parts = {Lin::coord(not_bos())};
    return e;
}

const Enc& Builder::sop(std::uint32_t id) {
    if (sops.size() < prog.sops.size()) sops.resize(prog.sops.size());
    if (!sops[id]) sops[id] = compile_sop(id);
    return *sops[id];
}

Lin Builder::scalar(const Enc& e, const SourceLoc& loc, const char* what) {
    if (e.type != Type::Categorical) return e.parts[0];
    Lin s;
    for (std::size_t k = 0; k < e.values.size(); ++k) {
        const Value& v = e.values[k];
        if (v.is_number()) s.add(e.parts[k], std::get<Rational>(v.v));
        else if (v.is_bool()) s.add(e.parts[k], Rational(std::get<bool>(v.v) ? 1 : 0));
        else fail(loc, "{}: the value {} is not a number", what, v.is_none() ? "None" : "'" + std::get<std::string>(v.v) + "'");
    }
    return s;
}

bool integer_valued(const Enc& e) {
    if (e.type == Type::Integer) return true;
    if (e.type == Type::Rational) return false;
    for (const Value& v : e.values)
        if (!(v.is_bool() || (v.is_number() && is_integer(std::get<Rational>(v.v))))) return false;
    return true;
}

namespace {

// A categorical SOp with one numeric value everywhere (a constant): that value.
std::optional<Rational> constant_number(const Enc& e) {
    if (e.type != Type::Categorical || e.values.size() != 1) return std::nullopt;
    if (e.values[0].is_number()) return std::get<Rational>(e.values[0].v);
    if (e.values[0].is_bool()) return Rational(std::get<bool>(e.values[0].v) ? 1 : 0);
    return std::nullopt;
}

constexpr std::size_t kMaxTable = 1 << 14;

}  // namespace

Enc Builder::compile_sop(std::uint32_t id) {
    const SopNode& node = prog.sops[id];
    switch (node.op) {
        case SopOp::Tokens: {
            Enc e;
            if (prog.tokens == Program::TokenKind::Integer) {
                std::uint32_t c = fresh();
                for (std::size_t s = 0; s < alphabet.size(); ++s) {
                    auto r = parse_rational(alphabet[s]);
                    if (!r || !is_integer(*r)) fail(node.loc, "integer tokens: the alphabet symbol '{}' is not an integer", alphabet[s]);
                    embedding[c][s] = *r;
                }
                e.type = Type::Integer;
                e.parts = {Lin::coord(c)};
                return e;
            }
            for (std::size_t s = 0; s < alphabet.size(); ++s) {
                std::uint32_t c = fresh();
                embedding[c][s] = 1;
                e.values.push_back(Value{alphabet[s]});
                e.parts.push_back(Lin::coord(c));
            }
            return e;
        }
        case SopOp::Indices: {  // i - 1 at real positions, 0 at BOS
            Lin l = Lin::coord(feature_i());
            l.add(Lin::coord(not_bos()), Rational(-1));
            return Enc{Type::Integer, {}, {l}, 0};
        }
        case SopOp::Length: return length();
        case SopOp::Constant: return constant_enc(node.constant);
        case SopOp::Aggregate: return compile_aggregate(node);
        case SopOp::SelectorWidth: return compile_width(node);
        default: return compile_map(node);
    }
}

Enc Builder::compile_lookup(const SopNode& node, const std::vector<Enc>& args) {
    std::size_t total = 1, level = 0;
    for (const Enc& a : args) {
        total *= a.values.size();
        level = std::max(level, a.level);
        if (total > kMaxTable)
            fail(node.loc, "'{}' of categorical values: the table of value combinations exceeds {} entries",
                 sop_op_name(node.op), kMaxTable);
    }
    // every combination of argument values, its result, and the product of one-hots
    std::vector<Value> values;
    std::vector<std::vector<std::vector<std::size_t>>> combos;  // per result value
    std::vector<std::size_t> idx(args.size(), 0);
    bool any = false;
    for (std::size_t t = 0; t < total; ++t) {
        std::vector<Value> in;
        for (std::size_t k = 0; k < args.size(); ++k) in.push_back(args[k].values[idx[k]]);
        if (auto r = apply_op(node, in)) {
            any = true;
            std::size_t p = 0;
            while (p < values.size() && !(values[p] == *r)) ++p;
            if (p == values.size()) {
                values.push_back(*r);
                combos.emplace_back();
            }
            combos[p].push_back(idx);
        }
        for (std::size_t k = args.size(); k-- > 0;) {
            if (++idx[k] < args[k].values.size()) break;
            idx[k] = 0;
        }
    }
    if (!any) fail(node.loc, "'{}' is undefined on every combination of its operands' values", sop_op_name(node.op));
    if (values.size() == 1) {  // the same value everywhere
        Enc e = constant_enc(values[0]);
        return e;
    }
    // operands that are constants contribute a factor 1 at real positions: leave them out
    std::size_t varying = 0, which = 0;
    for (std::size_t k = 0; k < args.size(); ++k)
        if (args[k].values.size() > 1) ++varying, which = k;
    if (varying == 1) {  // a function of one one-hot: sums of its coordinates, no gate
        Enc e;
        e.values = values;
        e.level = args[which].level;
        for (std::size_t p = 0; p < values.size(); ++p) {
            Lin x;
            for (const auto& combo : combos[p]) x.add(args[which].parts[combo[which]], Rational(1));
            e.parts.push_back(std::move(x));
        }
        return e;
    }
    const std::size_t l = std::max<std::size_t>(level, 1) - 1;
    Enc e;
    e.values = values;
    e.level = l + 1;
    Circuit& C = layer(l).circuit;
    for (std::size_t p = 0; p < values.size(); ++p) {
        std::vector<GateId> sum;
        for (const auto& combo : combos[p]) {
            std::optional<GateId> prod;
            for (std::size_t k = 0; k < args.size(); ++k) {
                if (args[k].values.size() == 1) continue;
                GateId g = gate(l, args[k].parts[combo[k]]);
                prod = prod ? layer(l).circuit.mul(*prod, g) : g;
            }
            sum.push_back(*prod);
        }
        GateId g = sum.size() == 1 ? sum[0] : C.add(std::move(sum));
        e.parts.push_back(Lin::coord(write(l, g)));
    }
    return e;
}

std::optional<std::uint32_t> Builder::reciprocal_width(std::uint32_t mean) {
    const SopNode& m = prog.sops[mean];
    if (m.op != SopOp::Aggregate) return std::nullopt;
    auto is_const = [&](std::uint32_t id, long v) {
        const SopNode& c = prog.sops[id];
        return c.op == SopOp::Constant && c.constant.is_number() && std::get<Rational>(c.constant.v) == v;
    };
    auto is_first = [&](std::uint32_t id) {  // indices == 0 (either order)
        const SopNode& e = prog.sops[id];
        return e.op == SopOp::Eq && ((prog.sops[e.args[0]].op == SopOp::Indices && is_const(e.args[1], 0)) ||
                                     (prog.sops[e.args[1]].op == SopOp::Indices && is_const(e.args[0], 0)));
    };
    const SopNode& v = prog.sops[m.args[0]];
    if (!(v.op == SopOp::Indicator && is_first(v.args[0]))) return std::nullopt;
    std::function<bool(std::uint32_t)> has_first = [&](std::uint32_t id) {  // key 0 selected for every query
        const SelNode& s = prog.sels[id];
        switch (s.op) {
            case SelOp::Select:
                return s.pred == Pred::True ||
                       (s.pred == Pred::Eq && prog.sops[s.keys].op == SopOp::Indices && is_const(s.queries, 0));
            case SelOp::Or: return has_first(s.args[0]) || has_first(s.args[1]);
            case SelOp::And: return has_first(s.args[0]) && has_first(s.args[1]);
            case SelOp::Not: return false;
        }
        return false;
    };
    if (!has_first(m.selector)) return std::nullopt;
    return m.selector;
}

Enc Builder::compile_map(const SopNode& node) {
    if (node.op == SopOp::Div) {  // x / (1/width(S)) = x * width(S) (proofs/rasp-compile.md)
        if (auto s = reciprocal_width(node.args[1])) {
            const Enc x = sop(node.args[0]);
            const Enc w = width_of_sel(*s, node.loc);
            const Type t = integer_valued(x) ? Type::Integer : Type::Rational;
            if (auto c = constant_number(x)) return Enc{t, {}, {scaled(w.parts[0], *c)}, w.level};
            const std::size_t l = std::max<std::size_t>(std::max(x.level, w.level), 1) - 1;
            const GateId g = layer(l).circuit.mul(gate(l, scalar(x, node.loc, "a dividend")), gate(l, w.parts[0]));
            return Enc{t, {}, {Lin::coord(write(l, g))}, l + 1};
        }
    }
    std::vector<Enc> args;
    for (std::uint32_t a : node.args) args.push_back(sop(a));
    bool all_cat = true;
    std::size_t level = 0;
    for (const Enc& a : args) {
        all_cat = all_cat && a.type == Type::Categorical;
        level = std::max(level, a.level);
    }
    if (all_cat) return compile_lookup(node, args);

    const char* what = "an arithmetic operand";
    const std::string op(sop_op_name(node.op));
    auto numeric_type = [&](bool integral) { return integral ? Type::Integer : Type::Rational; };
    const std::size_t l = std::max<std::size_t>(level, 1) - 1;  // the feed-forward layer for gates
    auto bool_enc = [&](GateId t) {
        Lin tl = Lin::coord(write(l, t));
        Lin f = Lin::coord(not_bos());
        f.add(tl, Rational(-1));
        return Enc{Type::Categorical, {Value{false}, Value{true}}, {f, tl}, l + 1};
    };
    switch (node.op) {
        case SopOp::Add:
        case SopOp::Sub: {
            Lin s = scalar(args[0], node.loc, what);
            s.add(scalar(args[1], node.loc, what), Rational(node.op == SopOp::Add ? 1 : -1));
            return Enc{numeric_type(integer_valued(args[0]) && integer_valued(args[1])), {}, {s}, level};
        }
        case SopOp::Neg:
            return Enc{args[0].type, {}, {scaled(args[0].parts[0], Rational(-1))}, level};
        case SopOp::Mul: {
            const bool sum = is_sum(node.args[0], node.args[1]) || is_sum(node.args[1], node.args[0]);
            const Type t = numeric_type(sum || (integer_valued(args[0]) && integer_valued(args[1])));
            for (int k = 0; k < 2; ++k)
                if (auto c = constant_number(args[k]))
                    return Enc{t, {}, {scaled(scalar(args[1 - k], node.loc, what), *c)}, args[1 - k].level};
            GateId g = layer(l).circuit.mul(gate(l, scalar(args[0], node.loc, what)), gate(l, scalar(args[1], node.loc, what)));
            return Enc{t, {}, {Lin::coord(write(l, g))}, l + 1};
        }
        case SopOp::Div: {
            Lin x = scalar(args[0], node.loc, what);
            if (args[1].type != Type::Categorical) {
                if (auto inv = positional_reciprocal(args[1])) {  // 1/(indices+1) or 1/length, from a head
                    const std::size_t lp = std::max<std::size_t>(std::max(args[0].level, inv->level), 1) - 1;
                    if (auto c = constant_number(args[0])) return Enc{Type::Rational, {}, {scaled(inv->parts[0], *c)}, inv->level};
                    const GateId g = layer(lp).circuit.mul(gate(lp, x), gate(lp, inv->parts[0]));
                    return Enc{Type::Rational, {}, {Lin::coord(write(lp, g))}, lp + 1};
                }
                fail(node.loc, "'/' by an unbounded numeric SOp has no exact compilation: the feed-forward basis "
                               "(add, mul, sign) has no reciprocal; divide by a constant, a finite-valued SOp, "
                               "indices + 1 or length");
            }
            if (auto c = constant_number(args[1])) {
                if (*c == 0) fail(node.loc, "'/' by the constant 0");
                return Enc{Type::Rational, {}, {scaled(x, Rational(1) / *c)}, args[0].level};
            }
            Lin inv;  // sum over the divisor's values v of (1/v) * onehot_v (RASP raises at v = 0)
            for (std::size_t k = 0; k < args[1].values.size(); ++k) {
                const Value& v = args[1].values[k];
                if (!v.is_number()) fail(node.loc, "'/': a divisor value is not a number");
                if (std::get<Rational>(v.v) != 0) inv.add(args[1].parts[k], Rational(1) / std::get<Rational>(v.v));
            }
            GateId g = layer(l).circuit.mul(gate(l, x), gate(l, inv));
            return Enc{Type::Rational, {}, {Lin::coord(write(l, g))}, l + 1};
        }
        case SopOp::Round:
            if (args[0].type == Type::Integer) return args[0];  // round of an integer is itself
            [[fallthrough]];
        case SopOp::Mod:
            fail(node.loc, "'{}' of an unbounded numeric SOp has no exact compilation: it is not a finite "
                           "combination of sign gates (the function has infinitely many jumps)", op);
        case SopOp::Eq: case SopOp::Ne: case SopOp::Lt: case SopOp::Le: case SopOp::Gt: case SopOp::Ge: {
            Lin diff = scalar(args[0], node.loc, "a compared operand");
            diff.add(scalar(args[1], node.loc, "a compared operand"), Rational(-1));
            Circuit& C = layer(l).circuit;
            GateId x = gate(l, diff);
            GateId pos = C.sign(x), neg = C.sign(C.mul(C.constant(Rational(-1)), x));
            GateId one = gate(l, Lin::coord(not_bos()));
            GateId mone = C.constant(Rational(-1));
            GateId t = 0;
            switch (node.op) {
                case SopOp::Gt: t = pos; break;
                case SopOp::Lt: t = neg; break;
                case SopOp::Ge: t = C.add({one, C.mul(mone, neg)}); break;
                case SopOp::Le: t = C.add({one, C.mul(mone, pos)}); break;
                case SopOp::Eq: t = C.add({one, C.mul(mone, pos), C.mul(mone, neg)}); break;
                default: t = C.add({pos, neg}); break;
            }
            return bool_enc(t);
        }
        case SopOp::IfElse: {
            if (args[1].type != Type::Categorical)
                fail(node.loc, "if-else: the condition must be a finite-valued SOp (a boolean), not a number");
            Lin t, f;
            for (std::size_t k = 0; k < args[1].values.size(); ++k)
                (truthy(args[1].values[k]) ? t : f).add(args[1].parts[k], Rational(1));
            Circuit& C = layer(l).circuit;
            GateId g = C.add({C.mul(gate(l, t), gate(l, scalar(args[0], node.loc, what))),
                              C.mul(gate(l, f), gate(l, scalar(args[2], node.loc, what)))});
            return Enc{numeric_type(integer_valued(args[0]) && integer_valued(args[2])), {}, {Lin::coord(write(l, g))}, l + 1};
        }
        case SopOp::Lookup: {  // [x == k] = nb - sign(x - k) - sign(k - x) for each numeric key k
            Circuit& C = layer(l).circuit;
            const Lin x = scalar(args[0], node.loc, "an index");
            const GateId one = gate(l, Lin::coord(not_bos()));
            Enc e{Type::Categorical, {}, {}, l + 1};
            Lin hit;  // 1 where some key matches
            for (const auto& [key, value] : node.table) {
                if (!key.is_number() && !key.is_bool()) continue;  // a number never equals a string
                const Rational k = key.is_bool() ? Rational(std::get<bool>(key.v) ? 1 : 0) : std::get<Rational>(key.v);
                const GateId d = gate(l, Lin(x).add(Lin::coord(not_bos()), -k));
                const GateId eq = C.add({one, C.mul(C.constant(Rational(-1)), C.sign(d)),
                                         C.mul(C.constant(Rational(-1)), C.sign(C.mul(C.constant(Rational(-1)), d)))});
                const Lin eql = Lin::coord(write(l, eq));
                hit.add(eql, Rational(1));
                auto it = std::find(e.values.begin(), e.values.end(), value);
                if (it == e.values.end()) {
                    e.values.push_back(value);
                    e.parts.push_back(eql);
                } else {
                    e.parts[static_cast<std::size_t>(it - e.values.begin())].add(eql, Rational(1));
                }
            }
            if (!node.constant.is_none()) {  // the default where no key matches (a missing key raises otherwise)
                Lin miss = Lin::coord(not_bos());
                miss.add(hit, Rational(-1));
                auto it = std::find(e.values.begin(), e.values.end(), node.constant);
                if (it == e.values.end()) {
                    e.values.push_back(node.constant);
                    e.parts.push_back(miss);
                } else {
                    e.parts[static_cast<std::size_t>(it - e.values.begin())].add(miss, Rational(1));
                }
            }
            if (e.values.empty()) fail(node.loc, "indexing by a number: no key of the list or dict is a number");
            return e;
        }
        case SopOp::Pow:
            fail(node.loc, "'^' of an unbounded numeric SOp has no exact compilation: powers are not a finite "
                           "combination of add, mul and sign gates for every exponent");
        default:
            fail(node.loc, "'{}' of an unbounded numeric SOp is not compiled: and/or/not/indicator take finite-valued "
                           "(boolean) operands; compare the number first (e.g. x > 0)", op);
    }
}

std::optional<Enc> Builder::positional_reciprocal(const Enc& divisor) {
    if (divisor.type != Type::Integer) return std::nullopt;
    const Lin& d = divisor.parts[0];
    auto same = [&](const Lin& l) { return d.terms == l.terms && d.constant == l.constant; };
    const bool upto = i_ && same(Lin::coord(*i_));  // indices + 1 = encoder position i
    const bool all = length_ && same(length_->parts[0]);
    if (!upto && !all) return std::nullopt;
    std::optional<Enc>& memo = upto ? inv_upto_ : inv_all_;
    if (memo) return memo;
    if (!first_real_) {  // [i = 1]: 1 at the first real position only (0 at BOS)
        Circuit& C = layer(0).circuit;
        const GateId one = gate(0, Lin::coord(not_bos()));
        const GateId dd = gate(0, Lin::coord(feature_i()).add(Lin::coord(not_bos()), Rational(-1)));
        const GateId m1 = C.constant(Rational(-1));
        first_real_ = write(0, C.add({one, C.mul(m1, C.sign(dd)), C.mul(m1, C.sign(C.mul(m1, dd)))}));
    }
    // one head at layer 1: BOS scores -1, real keys 0 (j <= i, or all); the mean of [j = 1] is
    // 1/#real keys = 1/(p+1) or 1/m
    SelForm f;
    if (upto) f.mask = Mask::PastOrSelf;
    HeadBuild h;
    h.name = upto ? "1/(indices+1)" : "1/length";
    score_rows(f, Rational(-1), h);
    h.values.push_back(Lin::coord(*first_real_));
    const std::uint32_t raw = add_head(1, std::move(h));
    const GateId g = layer(1).circuit.mul(gate(1, Lin::coord(raw)), gate(1, Lin::coord(not_bos())));
    memo = Enc{Type::Rational, {}, {Lin::coord(write(1, g))}, 2};
    return memo;
}

bool Builder::is_sum(std::uint32_t width, std::uint32_t mean) {
    const SopNode& m = prog.sops[mean];
    if (m.op != SopOp::Aggregate || !integer_valued(sop(m.args[0]))) return false;
    const SelSum& s = selsum(m.selector);
    if (!plain(s)) return false;
    const SelForm& f = s.terms[0].second;
    if (!f.tables.empty() || !f.eqs.empty()) return false;
    if (!f.mask && !f.window0) return prog.sops[width].op == SopOp::Length;
    const Enc& w = sop(width);
    if (w.type == Type::Categorical || !i_) return false;
    Lin closed = Lin::coord(*i_);  // the mask's width: i for j <= i, i - 1 for j < i, 1 for j == i
    if (f.window0) closed = Lin::coord(not_bos());
    else if (f.mask == Mask::Past) closed.add(Lin::coord(not_bos()), Rational(-1));
    else if (f.mask != Mask::PastOrSelf) return false;
    return w.parts[0].terms == closed.terms && w.parts[0].constant == closed.constant;
}

Enc Builder::square(std::uint32_t id) {
    if (auto it = squares.find(id); it != squares.end()) return it->second;
    const Enc& e = sop(id);
    Lin s = scalar(e, prog.sops[id].loc, "a compared operand");
    const std::size_t l = std::max<std::size_t>(e.level, 1) - 1;
    GateId g = gate(l, s);
    Enc r{Type::Integer, {}, {Lin::coord(write(l, layer(l).circuit.mul(g, g)))}, l + 1};
    squares[id] = r;
    return r;
}

}  // namespace ahat::rasp::detail
