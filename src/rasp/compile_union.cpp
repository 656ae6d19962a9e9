// The RASP compiler, part 3: selectors that one head cannot compute (proofs/rasp-compile.md,
// "Sums of conjunctions"): or, and of different masks, != on indices, not of several
// conditions, and future masks combined with conditions. A selector becomes a signed sum of
// conjunctions (SelSum); a width is the same sum of the terms' widths, a categorical
// aggregate the sum of the terms' one-hots, and a term whose mask excludes BOS is read with a
// flag "the term selects some key" computed from widths of BOS-including terms.
#include "rasp/compile_internal.hpp"

namespace ahat::rasp::detail {
namespace {

// A conjunction's index condition as the set of relations {j<i, j=i, j>i} it allows.
constexpr unsigned kLt = 1, kEq = 2, kGt = 4, kAll = 7;

unsigned rel_bits(const SelForm& f) {
    if (f.window0) return kEq;
    if (!f.mask) return kAll;
    switch (*f.mask) {
        case Mask::Past: return kLt;
        case Mask::PastOrSelf: return kLt | kEq;
        case Mask::Future: return kGt;
        case Mask::FutureOrSelf: return kEq | kGt;
        default: return kAll;
    }
}

void set_rel(SelForm& f, unsigned bits) {  // bits: an interval of < = > (intersections keep it one)
    f.mask.reset();
    f.window0 = false;
    switch (bits) {
        case 0: f.never = true; break;
        case kLt: f.mask = Mask::Past; break;
        case kLt | kEq: f.mask = Mask::PastOrSelf; break;
        case kGt: f.mask = Mask::Future; break;
        case kEq | kGt: f.mask = Mask::FutureOrSelf; break;
        case kEq: f.window0 = true; break;
        default: break;
    }
}

bool has_terms(const SelForm& f) { return !f.tables.empty() || !f.eqs.empty(); }

// a and b, as one conjunction (nullopt: selects nothing)
std::optional<SelForm> conj(const SelForm& a, const SelForm& b) {
    if (a.never || b.never) return std::nullopt;
    SelForm f = a;
    set_rel(f, rel_bits(a) & rel_bits(b));
    if (f.never) return std::nullopt;
    for (const Table& t : b.tables) conjoin(f, t);
    if (f.never) return std::nullopt;
    f.eqs.insert(f.eqs.end(), b.eqs.begin(), b.eqs.end());
    f.at_most_one = a.at_most_one || b.at_most_one || f.window0;
    f.nonempty = !has_terms(f) && (rel_bits(f) & kEq);
    return f;
}

bool excludes_bos(const SelForm& f) { return f.window0 || f.mask == Mask::Future || f.mask == Mask::FutureOrSelf; }

constexpr std::size_t kMaxTerms = 32;
// At most this many widths are read back by one head: its query holds P, the product of their
// 1/(w+1), whose denominator grows as n^terms.
constexpr std::size_t kMaxReadBack = 4;

// The BOS-including conjunctions whose signed widths add up to f's width: f itself, or, where
// f's mask excludes BOS, all keys (or j <= i) minus the past (or j <= i) under the same terms.
std::vector<std::pair<int, SelForm>> bos_terms(const SelForm& f) {
    if (!has_terms(f) || !excludes_bos(f)) return {{1, f}};
    SelForm all = f, keep = f;
    set_rel(all, f.window0 ? (kLt | kEq) : kAll);
    set_rel(keep, f.window0 ? kLt : f.mask == Mask::Future ? (kLt | kEq) : kLt);
    return {{1, all}, {-1, keep}};
}

}  // namespace

const SelSum& Builder::selsum(std::uint32_t id) {
    if (sums.size() < prog.sels.size()) sums.resize(prog.sels.size());
    if (!sums[id]) sums[id] = compile_selsum(id);
    return *sums[id];
}

bool Builder::plain(const SelSum& s) const {
    return s.terms.size() == 1 && s.terms[0].first == 1 && !(has_terms(s.terms[0].second) && excludes_bos(s.terms[0].second));
}

SelSum Builder::compile_selsum(std::uint32_t id) {
    const SelNode& node = prog.sels[id];
    SelSum out;
    auto one = [&](SelForm f) {
        if (!f.never) out.terms.emplace_back(1, std::move(f));
        return out;
    };
    auto check = [&] {
        if (out.terms.size() > kMaxTerms)
            fail(node.loc, "this combination of selectors expands to more than {} conjunctions (inclusion-exclusion); "
                           "it is not compiled", kMaxTerms);
        return out;
    };
    if (node.op == SelOp::Select) {
        if (node.pred == Pred::Ne && prog.sops[node.keys].op == SopOp::Indices && prog.sops[node.queries].op == SopOp::Indices) {
            SelForm lt, gt;  // j != i is j < i plus j > i (disjoint)
            lt.mask = Mask::Past;
            gt.mask = Mask::Future;
            out.terms = {{1, lt}, {1, gt}};
            return out;
        }
        return one(sel(id));
    }
    // a fold into one conjunction where the single-head forms allow it (same tables, masks)
    auto single = [&](const SelSum& s) { return s.terms.size() == 1 && s.terms[0].first == 1; };
    if (node.op == SelOp::Not) {
        const SelSum& a = selsum(node.args[0]);
        if (a.terms.empty()) return one(SelForm{});  // not never = all
        const SelForm& t = a.terms[0].second;
        if (single(a) && ((t.tables.size() == 1 && t.eqs.empty() && !t.mask && !t.window0) || (!has_terms(t) && t.mask)))
            return one(sel(id));
        out.terms.emplace_back(1, SelForm{});  // all minus a
        for (const auto& [c, f] : a.terms) out.terms.emplace_back(-c, f);
        out.parts = false;
        return check();
    }
    const SelSum& a = selsum(node.args[0]);
    const SelSum& b = selsum(node.args[1]);
    if (node.op == SelOp::Or && single(a) && single(b)) {
        const SelForm &x = a.terms[0].second, &y = b.terms[0].second;
        if (x.tables.size() == 1 && y.tables.size() == 1 && !x.mask && !y.mask && !x.window0 && !y.window0 &&
            x.eqs.empty() && y.eqs.empty() && x.tables[0].qsop == y.tables[0].qsop && x.tables[0].ksop == y.tables[0].ksop)
            return one(sel(id));
    }
    // and: the product of the sums; or: a + b - (a and b)
    std::vector<std::pair<int, SelForm>> product;
    for (const auto& [ca, fa] : a.terms)
        for (const auto& [cb, fb] : b.terms)
            if (auto f = conj(fa, fb)) product.emplace_back(ca * cb, std::move(*f));
    out.parts = a.parts && b.parts;
    if (node.op == SelOp::And) {
        out.terms = std::move(product);
        return check();
    }
    out.terms = a.terms;
    out.terms.insert(out.terms.end(), b.terms.begin(), b.terms.end());
    for (auto& [c, f] : product) out.terms.emplace_back(-c, std::move(f));
    return check();
}

// The width of one conjunction: the two-head construction where BOS is allowed, otherwise a
// difference of such widths (a future mask's keys are all keys minus the past's).
Enc Builder::width_of(const SelForm& f, const SourceLoc& loc) {
    if (f.never) return Enc{Type::Integer, {}, {Lin{}}, 0};
    Enc e{Type::Integer, {}, {Lin{}}, 0};
    for (const auto& [c, g] : bos_terms(f)) {
        const Enc w = width_form(g, loc);
        e.parts[0].add(w.parts[0], Rational(c));
        e.level = std::max(e.level, w.level);
    }
    return e;
}

// Layer l: one head per BOS-including term t gives a_t = 1/(w_t + 1); the layer's feed-forward
// part forms P = prod a_t > 0. With N = P * sum_t c_t w_t = sum_t c_t prod_{s != t} a_s - (sum c_t) P,
// layer l + 1's score 2N j - P j^2 = P (w^2 - (j - w)^2) of key position j, for w = N / P the
// selector's width (0 <= w <= n - 1: a position), is largest at j = w only; the head reads j
// there (proofs/rasp-compile.md, "One read-back for a sum of widths").
std::optional<Enc> Builder::sum_width(const SelSum& s, const SourceLoc& loc) {
    std::vector<std::pair<int, SelForm>> flat;
    for (const auto& [c, f] : s.terms) {
        if (f.never) continue;
        if (!has_terms(f)) return std::nullopt;  // a closed form in i and n: no head to read
        for (auto& [c2, g] : bos_terms(f)) flat.emplace_back(c * c2, std::move(g));
    }
    if (flat.size() < 2 || flat.size() > kMaxReadBack) return std::nullopt;
    std::size_t l = 0;
    for (const auto& [c, f] : flat) l = std::max(l, form_level(f));
    const Lin nb = Lin::coord(not_bos());
    Lin first;  // 1 at BOS, 0 elsewhere
    first.constant = 1;
    first.add(nb, Rational(-1));
    std::vector<GateId> a;
    std::vector<std::uint32_t> at;  // the heads' output coordinates
    for (const auto& [c, f] : flat) {
        HeadBuild h;
        h.name = fmt::format("selector_width {} (1/(w+1) of term {})", loc.str(), a.size() + 1);
        h.loc = loc;
        score_rows(f, Rational(0), h);
        h.values.push_back(first);
        at.push_back(add_head(l, std::move(h)));
        a.push_back(gate(l, Lin::coord(at.back())));
    }
    // The score 2Nj - Pj^2 as two rows: (sum_t c_t Q_t) . 2j and P . (-j^2 - 2 (sum c) j), with
    // Q_t = prod_{s != t} a_s (for two terms the other head's output: no gate) and the sum a Lin
    // of the query map; only P is a gate when T = 2.
    Circuit& C = layer(l).circuit;
    auto product = [&](std::size_t skip) {  // prod_{s != skip} a_s
        std::optional<GateId> p;
        for (std::size_t t = 0; t < a.size(); ++t)
            if (t != skip) p = p ? C.mul(*p, a[t]) : a[t];
        return *p;
    };
    Lin qn;  // N + (sum c) P
    long total = 0;
    for (std::size_t t = 0; t < a.size(); ++t) {
        const Lin q = a.size() == 2 ? Lin::coord(at[1 - t]) : Lin::coord(write(l, product(t)));
        qn.add(q, Rational(flat[t].first));
        total += flat[t].first;
    }
    const std::uint32_t pc = write(l, product(a.size()));
    HeadBuild h;
    h.name = fmt::format("selector_width {} (w, one read-back of {} terms)", loc.str(), a.size());
    h.loc = loc;
    h.rows.push_back(Row{qn, scaled(Lin::coord(feature_i()), Rational(2))});
    Lin k = scaled(Lin::coord(feature_i2()), Rational(-1));
    k.add(Lin::coord(feature_i()), Rational(-2 * total));
    h.rows.push_back(Row{Lin::coord(pc), k});
    h.values.push_back(Lin::coord(feature_i()));
    const std::uint32_t w = add_head(l + 1, std::move(h));
    const GateId g = layer(l + 1).circuit.mul(gate(l + 1, Lin::coord(w)), gate(l + 1, nb));
    return Enc{Type::Integer, {}, {Lin::coord(write(l + 1, g))}, l + 2};
}

Enc Builder::flag_of(const SelForm& f, const SourceLoc& loc) {
    const Enc w = width_of(f, loc);
    const std::size_t l = std::max<std::size_t>(w.level, 1) - 1;
    const GateId g = layer(l).circuit.sign(gate(l, w.parts[0]));  // w >= 0 is an integer: sign is [w > 0]
    return Enc{Type::Integer, {}, {Lin::coord(write(l, g))}, l + 1};
}

Enc Builder::product(const Enc& x, const Enc& flag) {
    const std::size_t l = std::max<std::size_t>(std::max(x.level, flag.level), 1) - 1;
    Enc e = x;
    e.level = l + 1;
    const GateId fg = gate(l, flag.parts[0]);
    for (Lin& p : e.parts) {
        const GateId g = layer(l).circuit.mul(gate(l, p), fg);
        p = Lin::coord(write(l, g));
    }
    return e;
}

// An aggregate over a selector that is not one head: a term that excludes BOS read with its
// flag; a categorical aggregate over several terms as the signed sum of their one-hots.
Enc Builder::aggregate_sum(const SopNode& node, const SelSum& s) {
    const Enc v = sop(node.args[0]);
    const Value& dflt = node.constant;
    bool numbers = v.type != Type::Categorical;
    if (!numbers) {
        numbers = !v.values.empty();
        for (const Value& x : v.values) numbers = numbers && x.is_number();
    }
    if (numbers && !(s.terms.size() == 1 && s.terms[0].first == 1))
        fail(node.loc, "aggregate of numbers over an 'or', '!=' or 'not' of selectors is not compiled: the mean over "
                       "a union of parts is (sum of sums) / (sum of counts), a division by an unbounded count "
                       "(proofs/rasp-compile.md, \"Sums of conjunctions\")");
    if (!s.parts)
        fail(node.loc, "aggregate over the 'not' of a selector of several conditions is not compiled: the "
                       "negation's parts select more than the selector (proofs/rasp-compile.md, \"Sums of conjunctions\")");
    if (numbers) {  // one term whose mask excludes BOS, combined with conditions
        const SelForm& f = s.terms[0].second;
        if (!dflt.is_number())
            fail(node.loc, "aggregate of numbers with a non-numeric default over a future mask and a condition is "
                           "not compiled: the mean is one numeric coordinate");
        const Enc raw = aggregate_form(node, f, true);  // the mean where f selects something, else garbage
        const Enc flag = flag_of(f, node.loc);
        Enc e = product(raw, flag);
        // + default * (1 - flag)
        const Rational d = std::get<Rational>(dflt.v);
        if (d != 0) e.parts[0].add(Lin::coord(not_bos()), d).add(flag.parts[0], -d);
        e.type = integer_valued(v) && is_integer(d) && f.at_most_one ? Type::Integer : Type::Rational;
        return e;
    }
    // categorical: sum over terms of coef * (one-hot of the selected value, or 0)
    for (const Value& x : v.values)
        if (x.is_none())
            fail(node.loc, "aggregate of values that may be None over an 'or', '!=', 'not' or a future mask with a "
                           "condition is not compiled (give the inner aggregate a default)");
    const std::vector<Value>& values = v.values;
    std::vector<Lin> sum(values.size());
    std::size_t level = 0;
    const bool none = dflt.is_none();
    for (const auto& [c, f] : s.terms) {
        Enc part = aggregate_form(node, f, true);  // one-hot over `values` or 0
        if (has_terms(f) && excludes_bos(f)) part = product(part, flag_of(f, node.loc));
        level = std::max(level, part.level);
        for (std::size_t k = 0; k < values.size(); ++k) sum[k].add(part.parts[k], Rational(c));
    }
    Lin total;
    for (const Lin& x : sum) total.add(x, Rational(1));
    Lin empty = Lin::coord(not_bos());  // 1 where nothing is selected
    empty.add(total, Rational(-1));
    Enc e;
    e.level = level;
    e.values = values;
    e.parts = sum;
    if (!dflt.is_none()) {
        auto it = std::find(values.begin(), values.end(), dflt);
        if (it == values.end()) {
            e.values.push_back(dflt);
            e.parts.push_back(empty);
        } else {
            e.parts[static_cast<std::size_t>(it - values.begin())].add(empty, Rational(1));
        }
    }
    if (none) {  // None where nothing is selected
        e.values.push_back(Value{});
        e.parts.push_back(empty);
    }
    return e;
}

}  // namespace ahat::rasp::detail
