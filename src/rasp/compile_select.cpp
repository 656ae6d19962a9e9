// The RASP compiler, part 2: selectors as (mask, score) pairs, aggregate and selector_width
// as average-hard heads (proofs/rasp-compile.md).
#include "rasp/compile_internal.hpp"

namespace ahat::rasp::detail {

namespace {

bool is_indices(const Program& p, std::uint32_t sop) { return p.sops[sop].op == SopOp::Indices; }

Mask complement(Mask m) {
    switch (m) {
        case Mask::Past: return Mask::FutureOrSelf;
        case Mask::PastOrSelf: return Mask::Future;
        case Mask::Future: return Mask::PastOrSelf;
        case Mask::FutureOrSelf: return Mask::Past;
        default: return Mask::None;
    }
}

bool is_all(const SelForm& f) { return !f.never && !f.mask && !f.window0 && f.tables.empty() && f.eqs.empty(); }
bool has_terms(const SelForm& f) { return !f.tables.empty() || !f.eqs.empty(); }

}  // namespace

void conjoin(SelForm& f, const Table& t) {
    auto same = std::find_if(f.tables.begin(), f.tables.end(), [&](const Table& u) { return u.qsop == t.qsop && u.ksop == t.ksop; });
    if (same == f.tables.end()) {
        f.tables.push_back(t);
        same = f.tables.end() - 1;
    } else {
        for (std::size_t a = 0; a < t.t.size(); ++a)
            for (std::size_t b = 0; b < t.t[a].size(); ++b) same->t[a][b] = same->t[a][b] && t.t[a][b];
    }
    bool any = false;
    for (const auto& row : same->t)
        for (bool cell : row) any = any || cell;
    if (!any) f.never = true;
}

const SelForm& Builder::sel(std::uint32_t id) {
    if (sels.size() < prog.sels.size()) sels.resize(prog.sels.size());
    if (!sels[id]) sels[id] = compile_sel(id);
    return *sels[id];
}

SelForm Builder::compile_sel(std::uint32_t id) {
    const SelNode& node = prog.sels[id];
    SelForm f;
    switch (node.op) {
        case SelOp::Select: {
            if (node.pred == Pred::True) {
                f.nonempty = true;
                return f;
            }
            if (node.pred == Pred::False) {
                f.never = true;
                return f;
            }
            if (is_indices(prog, node.keys) && is_indices(prog, node.queries)) {
                switch (node.pred) {  // key j, query i (encoder positions; BOS is j = 0)
                    case Pred::Lt: f.mask = Mask::Past; break;
                    case Pred::Le: f.mask = Mask::PastOrSelf, f.nonempty = true; break;
                    case Pred::Gt: f.mask = Mask::Future; break;
                    case Pred::Ge: f.mask = Mask::FutureOrSelf, f.nonempty = true; break;
                    case Pred::Eq: f.window0 = f.at_most_one = f.nonempty = true; break;
                    default:
                        fail(node.loc, "select(indices, indices, !=) has no exact compilation: no mask or window "
                                       "excludes exactly the query's own position");
                }
                return f;
            }
            const Enc& k = sop(node.keys);
            const Enc& q = sop(node.queries);
            if (k.type == Type::Categorical && q.type == Type::Categorical) {
                Table t{node.queries, node.keys, {}};
                for (const Value& qv : q.values) {
                    t.t.emplace_back();
                    for (const Value& kv : k.values) t.t.back().push_back(apply_pred(node.pred, kv, qv).value_or(false));
                }
                f.tables.push_back(std::move(t));
                return f;
            }
            if (node.pred == Pred::Eq) {
                if (!integer_valued(k) || !integer_valued(q))
                    fail(node.loc, "select with == between rational-valued SOps has no exact compilation: "
                                   "-(q-k)^2 has no gap below 0 for the BOS default to sit in (only integers do)");
                f.eqs.push_back(IntEq{node.queries, node.keys});
                f.at_most_one = is_indices(prog, node.keys);
                return f;
            }
            if (node.pred == Pred::Ne)
                fail(node.loc, "select with != between numeric SOps has no exact compilation: its score would be "
                               "maximal off a single point, which no gap-1 score over unbounded values gives");
            fail(node.loc, "select with a comparison (<, <=, >, >=) between unbounded numeric SOps has no exact "
                           "compilation with weights independent of n: the selected sets {{k < q}} form a chain of "
                           "faces, which needs key dimension >= n-1 (only indices vs indices compiles, as a mask)");
        }
        case SelOp::And: {
            const SelForm a = sel(node.args[0]);
            const SelForm& b = sel(node.args[1]);
            if (a.never || b.never) {
                f.never = true;
                return f;
            }
            f = a;
            if (b.mask || b.window0) {
                if ((f.mask || f.window0) && (f.mask != b.mask || f.window0 != b.window0))
                    fail(node.loc, "'and' of two different index masks is not compiled (one mask per head)");
                f.mask = b.mask;
                f.window0 = b.window0;
            }
            for (const Table& t : b.tables) conjoin(f, t);
            if (f.never) {
                f = SelForm{};
                f.never = true;
                return f;
            }
            f.eqs.insert(f.eqs.end(), b.eqs.begin(), b.eqs.end());
            f.at_most_one = a.at_most_one || b.at_most_one;
            f.nonempty = a.nonempty && b.nonempty && !has_terms(f) && (!a.mask || !b.mask);
            return f;
        }
        case SelOp::Not: {
            const SelForm& a = sel(node.args[0]);
            if (a.never) return f;
            if (is_all(a)) {
                f.never = true;
                return f;
            }
            if (a.mask && !has_terms(a)) {
                f.mask = complement(*a.mask);
                f.nonempty = f.mask == Mask::PastOrSelf || f.mask == Mask::FutureOrSelf;
                return f;
            }
            if (a.tables.size() == 1 && !a.mask && !a.window0 && a.eqs.empty()) {
                f = a;
                for (auto& row : f.tables[0].t)
                    for (std::size_t j = 0; j < row.size(); ++j) row[j] = !row[j];
                return f;
            }
            fail(node.loc, "'not' of this selector has no exact compilation: only the negation of a select between "
                           "finite-valued SOps (a table) or of an index mask compiles (a score of an equality "
                           "over unbounded values cannot be negated with a gap)");
        }
        case SelOp::Or: {
            const SelForm& a = sel(node.args[0]);
            const SelForm& b = sel(node.args[1]);
            if (a.never) return b;
            if (b.never) return a;
            if (is_all(a) || is_all(b)) {
                f.nonempty = true;
                return f;
            }
            if (a.tables.size() == 1 && b.tables.size() == 1 && !a.mask && !b.mask && !a.window0 && !b.window0 &&
                a.eqs.empty() && b.eqs.empty() && a.tables[0].qsop == b.tables[0].qsop &&
                a.tables[0].ksop == b.tables[0].ksop) {
                f = a;
                for (std::size_t i = 0; i < f.tables[0].t.size(); ++i)
                    for (std::size_t j = 0; j < f.tables[0].t[i].size(); ++j)
                        f.tables[0].t[i][j] = a.tables[0].t[i][j] || b.tables[0].t[i][j];
                return f;
            }
            fail(node.loc, "'or' of these selectors has no exact compilation: only selects between the same two "
                           "finite-valued SOps fold into one table (a sum of scores is an 'and', not an 'or')");
        }
    }
    return f;
}

std::size_t Builder::form_level(const SelForm& f) {
    std::size_t l = 0;
    for (const Table& t : f.tables) l = std::max({l, sop(t.qsop).level, sop(t.ksop).level});
    for (const IntEq& e : f.eqs)
        l = std::max({l, sop(e.qsop).level, sop(e.ksop).level, square(e.qsop).level, square(e.ksop).level});
    return l;
}

void Builder::score_rows(const SelForm& f, const Rational& bos, HeadBuild& h) {
    const Lin nb = Lin::coord(not_bos());
    Row c;  // constants: bos * first - (#terms) * not_bos at the key; 1 at the query
    c.q.constant = 1;
    c.k.constant = bos;
    c.k.add(nb, -bos - Rational(static_cast<long>(f.tables.size())));
    for (const Table& t : f.tables) {
        const Enc& q = sop(t.qsop);
        const Enc& k = sop(t.ksop);
        for (std::size_t a = 0; a < q.values.size(); ++a) {
            Row r{q.parts[a], {}};
            for (std::size_t b = 0; b < k.values.size(); ++b)
                if (t.t[a][b]) r.k.add(k.parts[b], Rational(1));
            if (!r.k.empty()) h.rows.push_back(std::move(r));
        }
    }
    for (const IntEq& e : f.eqs) {  // -(q-k)^2 = 2qk - k^2 - q^2 (the last at real keys only)
        const SourceLoc& loc = prog.sops[e.qsop].loc;
        h.rows.push_back(Row{scalar(sop(e.qsop), loc, "a compared operand"),
                             scaled(scalar(sop(e.ksop), loc, "a compared operand"), Rational(2))});
        c.k.add(square(e.ksop).parts[0], Rational(-1));
        h.rows.push_back(Row{square(e.qsop).parts[0], scaled(nb, Rational(-1))});
    }
    h.rows.push_back(std::move(c));
    if (f.mask) h.mask = *f.mask;
    if (f.window0) h.window = 0;
}

std::uint32_t Builder::add_head(std::size_t l, HeadBuild h) {
    const std::uint32_t first = d;
    for (std::size_t k = 0; k < h.values.size(); ++k) h.outputs.push_back(fresh());
    layer(l).heads.push_back(std::move(h));
    return first;
}

Enc Builder::compile_aggregate(const SopNode& node) {
    const SelSum& s = selsum(node.selector);
    if (s.terms.empty()) {
        SelForm never;
        never.never = true;
        return aggregate_form(node, never, false);
    }
    if (plain(s)) return aggregate_form(node, s.terms[0].second, false);
    return aggregate_sum(node, s);
}

Enc Builder::aggregate_form(const SopNode& node, const SelForm& f, bool parts) {
    const Enc v = sop(node.args[0]);
    const Value dflt = parts ? Value{Rational(0)} : node.constant;
    // The reference averages numbers and returns a single selected value as it is: numbers
    // (numeric SOps, or finite SOps of numbers) take the mean path, everything else one-hots.
    bool numbers = v.type != Type::Categorical;
    if (!numbers) {
        numbers = !v.values.empty();
        for (const Value& x : v.values) numbers = numbers && x.is_number();
    }
    const bool numerical = numbers;
    if (parts && !numerical) {  // one-hots of the selected value, 0 at an empty selection
        if (f.window0) return v;
        HeadBuild h;
        h.name = fmt::format("aggregate {} (part)", node.loc.str());
        h.loc = node.loc;
        score_rows(f, Rational(-1) / 2, h);
        h.values = v.parts;
        const std::size_t l = std::max(form_level(f), v.level);
        const std::uint32_t raw = add_head(l, std::move(h));
        Enc e;
        e.level = l + 1;
        e.values = v.values;
        for (std::size_t k = 0; k < v.values.size(); ++k)
            e.parts.push_back(Lin::coord(write(l, layer(l).circuit.mul(gate(l, Lin::coord(raw + static_cast<std::uint32_t>(k))),
                                                                        gate(l, Lin::coord(not_bos()))))));
        return e;
    }
    if (numerical && !dflt.is_number() && !f.nonempty)
        fail(node.loc, "aggregate of numbers with the non-numeric default {} is not compiled: the mean is one "
                       "numeric coordinate, which cannot also hold {} for an empty selection",
             dflt.is_none() ? "None" : "a bool or string", dflt.is_none() ? "None" : "it");
    const Rational dnum = dflt.is_number() ? std::get<Rational>(dflt.v) : Rational(0);
    if (f.never) {
        if (!numerical || !dflt.is_number()) return constant_enc(dflt);
        return Enc{is_integer(dnum) ? Type::Integer : Type::Rational, {}, {scaled(Lin::coord(not_bos()), dnum)}, 0};
    }
    if (f.window0 && (!has_terms(f) || parts)) {  // the query's own position (parts: read with a flag)
        if (numerical && v.type == Type::Categorical) {
            Lin s = scalar(v, node.loc, "a numerical aggregate's value");
            return Enc{integer_valued(v) ? Type::Integer : Type::Rational, {}, {s}, v.level};
        }
        return v;
    }
    if (f.mask == Mask::Future && !parts && ((numerical && dnum != 0) || (!numerical && !dflt.is_none())))
        fail(node.loc, "aggregate over select(indices, indices, >) with a default other than 0/None is not compiled: "
                       "the last position selects nothing and its mask allows no BOS to carry the default");

    HeadBuild h;
    h.name = fmt::format("aggregate {}", node.loc.str());
    h.loc = node.loc;
    score_rows(f, Rational(-1) / 2, h);
    Lin first;  // 1 at BOS, 0 elsewhere
    first.constant = 1;
    first.add(Lin::coord(not_bos()), Rational(-1));
    std::vector<Value> out_values;
    if (numerical) {
        Lin s = scalar(v, node.loc, "a numerical aggregate's value");
        h.values.push_back(s.add(first, dnum));
    } else {
        bool none = dflt.is_none();
        for (std::size_t k = 0; k < v.values.size(); ++k) {
            if (v.values[k].is_none()) {
                none = true;
                continue;
            }
            out_values.push_back(v.values[k]);
            Lin x = v.parts[k];
            if (v.values[k] == dflt) x.add(first, Rational(1));
            h.values.push_back(x);
        }
        if (!dflt.is_none() && std::find(out_values.begin(), out_values.end(), dflt) == out_values.end()) {
            out_values.push_back(dflt);
            h.values.push_back(first);
        }
        if (none) out_values.push_back(Value{});
    }
    const std::size_t l = std::max(form_level(f), v.level);
    const std::size_t nv = h.values.size();
    const std::uint32_t raw = add_head(l, std::move(h));
    Enc e;
    e.level = l + 1;
    Lin sum;
    for (std::size_t k = 0; k < nv; ++k) {  // clean: raw * not_bos (the BOS row becomes 0)
        Circuit& C = layer(l).circuit;
        GateId g = C.mul(gate(l, Lin::coord(raw + k)), gate(l, Lin::coord(not_bos())));
        e.parts.push_back(Lin::coord(write(l, g)));
        sum.add(e.parts.back(), Rational(1));
    }
    if (numerical) {
        const bool integral = integer_valued(v) && is_integer(dnum) && f.at_most_one;
        e.type = integral ? Type::Integer : Type::Rational;
        return e;
    }
    e.values = out_values;
    if (out_values.size() > e.parts.size()) {  // None = not_bos - (the other one-hots)
        Lin none = Lin::coord(not_bos());
        e.parts.push_back(none.add(sum, Rational(-1)));
    }
    return e;
}

Enc Builder::compile_width(const SopNode& node) { return width_of_sel(node.selector, node.loc); }

Enc Builder::width_of_sel(std::uint32_t sel_id, const SourceLoc& loc) {
    const SelSum& s = selsum(sel_id);
    if (plain(s)) return width_form(s.terms[0].second, loc);
    if (auto e = sum_width(s, loc)) return *e;
    Enc e{Type::Integer, {}, {Lin{}}, 0};  // the signed sum of the terms' widths
    for (const auto& [c, f] : s.terms) {
        const Enc w = width_of(f, loc);
        e.parts[0].add(w.parts[0], Rational(c));
        e.level = std::max(e.level, w.level);
    }
    return e;
}

Enc Builder::width_form(const SelForm& f, const SourceLoc& loc) {
    const Lin nb = Lin::coord(not_bos());
    if (f.never) return Enc{Type::Integer, {}, {Lin{}}, 0};
    if (!has_terms(f)) {  // closed forms in indices and length
        Lin idx = Lin::coord(feature_i());
        idx.add(nb, Rational(-1));
        if (f.window0) return Enc{Type::Integer, {}, {nb}, 0};
        if (f.mask == Mask::Past) return Enc{Type::Integer, {}, {idx}, 0};
        if (f.mask == Mask::PastOrSelf) return Enc{Type::Integer, {}, {Lin(idx).add(nb, Rational(1))}, 0};
        const Enc len = length();
        Lin w = len.parts[0];
        if (f.mask == Mask::Future) w.add(idx, Rational(-1)).add(nb, Rational(-1));
        if (f.mask == Mask::FutureOrSelf) w.add(idx, Rational(-1));
        return Enc{Type::Integer, {}, {w}, len.level};
    }
    // layer l: BOS ties with the selected keys; averaging `first` gives a = 1/(w+1)
    HeadBuild h1;
    h1.name = fmt::format("selector_width {} (1/(w+1))", loc.str());
    h1.loc = loc;
    score_rows(f, Rational(0), h1);
    Lin first;
    first.constant = 1;
    first.add(nb, Rational(-1));
    h1.values.push_back(first);
    const std::size_t l = form_level(f);
    const std::uint32_t a = add_head(l, std::move(h1));
    GateId ga = gate(l, Lin::coord(a));
    const std::uint32_t a2 = write(l, layer(l).circuit.mul(ga, ga));
    // layer l+1: query (a, 1, a^2), key (2/(j+1), -1/(j+1)^2, -1): -(a - 1/(j+1))^2 is 0 at j = w only
    HeadBuild h2;
    h2.name = fmt::format("selector_width {} (w)", loc.str());
    h2.loc = loc;
    const Enc inv2 = inv_pos_sq();
    h2.rows.push_back(Row{Lin::coord(a), scaled(Lin::coord(inv_pos()), Rational(2))});
    Lin one;
    one.constant = 1;
    Lin mone;
    mone.constant = -1;
    h2.rows.push_back(Row{one, scaled(inv2.parts[0], Rational(-1))});
    h2.rows.push_back(Row{Lin::coord(a2), mone});
    h2.values.push_back(Lin::coord(feature_i()));
    const std::uint32_t w = add_head(l + 1, std::move(h2));
    GateId g = layer(l + 1).circuit.mul(gate(l + 1, Lin::coord(w)), gate(l + 1, nb));
    return Enc{Type::Integer, {}, {Lin::coord(write(l + 1, g))}, l + 2};
}

}  // namespace ahat::rasp::detail
