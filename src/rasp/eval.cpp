// The reference evaluator (eval.hpp). Selects compare dense ranks instead of values (one sort
// of the 2n keys and queries per select), aggregates of integers sum in 128 bits, so the
// O(n^2) parts touch no Rational.
#include <algorithm>
#include <numeric>

#include "exact/fast_path.hpp"
#include "rasp/eval.hpp"
#include "rasp/values.hpp"
#include "support/utf8.hpp"

namespace ahat::rasp {
namespace {

using Row = std::vector<bool>;
using Matrix2 = std::vector<Row>;

// The runtime type of a whole sequence, as the reference checks it.
enum class SeqKind : std::uint8_t { Empty, String, Bool, Number };

class Evaluator {
public:
    Evaluator(const Program& p, const std::vector<Value>& tokens) : p_(p), tokens_(tokens), n_(tokens.size()) {
        ev_.sops.resize(p.sops.size());
        ev_.sels.resize(p.sels.size());
        kinds_.resize(p.sops.size());
    }

    Evaluation run() {
        for (std::uint32_t i = 0; i < p_.sops.size(); ++i) {
            const SopNode& s = p_.sops[i];
            if (s.op == SopOp::Aggregate || s.op == SopOp::SelectorWidth) sels_upto(s.selector);
            sop(i);
            kinds_[i] = check(ev_.sops[i], s.loc);
        }
        if (!p_.sels.empty()) sels_upto(static_cast<std::uint32_t>(p_.sels.size() - 1));
        return std::move(ev_);
    }

private:
    const Program& p_;
    const std::vector<Value>& tokens_;
    std::size_t n_;
    Evaluation ev_;
    std::vector<SeqKind> kinds_;
    std::uint32_t next_sel_ = 0;

    void sels_upto(std::uint32_t id) {
        while (next_sel_ <= id) sel(next_sel_++);
    }

    SeqKind check(const std::vector<Value>& vals, const SourceLoc& loc) const {
        bool str = false, boolean = false, num = false;
        for (const Value& v : vals) {
            str = str || v.is_string();
            boolean = boolean || v.is_bool();
            num = num || v.is_number();
            if (v.is_none()) fail(loc, "internal: None in a sequence");
        }
        if (str && (boolean || num))
            fail(loc, "the values mix strings and {}s: a RASP sequence holds one type", num ? "number" : "bool");
        if (str) return SeqKind::String;
        if (num) return SeqKind::Number;
        return boolean ? SeqKind::Bool : SeqKind::Empty;
    }

    void sop(std::uint32_t id) {
        const SopNode& s = p_.sops[id];
        std::vector<Value>& out = ev_.sops[id];
        out.reserve(n_);
        switch (s.op) {
            case SopOp::Tokens: out = tokens_; return;
            case SopOp::Indices:
                for (std::size_t i = 0; i < n_; ++i) out.push_back(Value{Rational(static_cast<long long>(i))});
                return;
            case SopOp::Length: out.assign(n_, Value{Rational(static_cast<long long>(n_))}); return;
            case SopOp::Constant: out.assign(n_, s.constant); return;
            case SopOp::Aggregate: aggregate(s, out); return;
            case SopOp::SelectorWidth:
                for (const Row& row : ev_.sels[s.selector])
                    out.push_back(Value{Rational(static_cast<long long>(std::count(row.begin(), row.end(), true)))});
                return;
            default: break;
        }
        const Value* args[3] = {};
        for (std::size_t i = 0; i < n_; ++i) {
            for (std::size_t a = 0; a < s.args.size() && a < 3; ++a) args[a] = &ev_.sops[s.args[a]][i];
            try {
                out.push_back(apply(s, args, s.loc));
            } catch (const InputError& e) {
                throw InputError(e.loc(), fmt::format("{} (at position {})", e.what(), i));
            }
        }
    }

    void aggregate(const SopNode& s, std::vector<Value>& out) {
        const std::vector<Value>& vals = ev_.sops[s.args[0]];
        const Matrix2& m = ev_.sels[s.selector];
        SeqKind kind = kinds_[s.args[0]];
        // Integer fast path: every value a small integer (or bool).
        std::vector<std::int64_t> ints;
        if (kind == SeqKind::Number) {
            ints.reserve(n_);
            for (const Value& v : vals) {
                std::int64_t x = 0;
                if (v.is_bool()) x = std::get<bool>(v.v);
                else if (!small_int(std::get<Rational>(v.v), &x)) break;
                ints.push_back(x);
            }
            if (ints.size() != n_) ints.clear();
        }
        for (std::size_t q = 0; q < n_; ++q) {
            const Row& row = m[q];
            std::size_t count = 0, first = 0;
            SmallSum isum;  // at most n terms below 2^62: never overflows
            for (std::size_t k = 0; k < n_; ++k) {
                if (!row[k]) continue;
                if (count++ == 0) first = k;
                if (!ints.empty()) isum.add(ints[k]);
            }
            if (count == 0) {
                out.push_back(s.constant);
            } else if (count == 1) {
                out.push_back(vals[first]);
            } else if (kind != SeqKind::Number) {
                fail(s.loc,
                     "aggregate selects {} positions for position {}, but its values are {}s: RASP averages only "
                     "numbers, so a categorical aggregate must select at most one position",
                     count, q, kind == SeqKind::String ? "string" : "bool");
            } else if (!ints.empty()) {
                Rational mean;
                isum.store_mean(mean, count);
                out.push_back(Value{std::move(mean)});
            } else {
                Rational sum = 0;
                for (std::size_t k = 0; k < n_; ++k)
                    if (row[k]) sum += vals[k].is_bool() ? Rational(std::get<bool>(vals[k].v) ? 1 : 0) : std::get<Rational>(vals[k].v);
                sum /= static_cast<unsigned long long>(count);
                out.push_back(Value{std::move(sum)});
            }
        }
    }

    // Dense ranks of the keys and queries under the value order (equal values, equal ranks).
    void ranks(const std::vector<Value>& keys, const std::vector<Value>& queries, std::vector<std::int64_t>& rk,
               std::vector<std::int64_t>& rq, const SourceLoc& loc) const {
        rk.assign(n_, 0);
        rq.assign(n_, 0);
        bool direct = true;
        for (int side = 0; side < 2 && direct; ++side)
            for (std::size_t i = 0; i < n_ && direct; ++i) {
                const Value& v = (side ? queries : keys)[i];
                std::int64_t x = 0;
                if (v.is_bool()) x = std::get<bool>(v.v);
                else if (!v.is_number() || !small_int(std::get<Rational>(v.v), &x)) direct = false;
                (side ? rq : rk)[i] = x;
            }
        if (direct) return;
        std::vector<std::uint32_t> order(2 * n_);
        std::iota(order.begin(), order.end(), 0u);
        auto at = [&](std::uint32_t j) -> const Value& { return j < n_ ? keys[j] : queries[j - n_]; };
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return less(at(a), at(b), loc); });
        std::int64_t r = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (i > 0 && !equal(at(order[i - 1]), at(order[i]))) ++r;
            (order[i] < n_ ? rk[order[i]] : rq[order[i] - n_]) = r;
        }
    }

    template <class F>
    void fill(Matrix2& m, F f) const {
        m.assign(n_, Row(n_));
        for (std::size_t q = 0; q < n_; ++q) {
            Row& row = m[q];
            for (std::size_t k = 0; k < n_; ++k) row[k] = f(q, k);
        }
    }

    void select(const SelNode& s, Matrix2& m) const {
        if (s.pred == Pred::True || s.pred == Pred::False) {
            m.assign(n_, Row(n_, s.pred == Pred::True));
            return;
        }
        SeqKind kk = kinds_[s.keys], qk = kinds_[s.queries];
        bool kstr = kk == SeqKind::String, qstr = qk == SeqKind::String;
        if (n_ > 0 && kstr != qstr) {  // strings against numbers: never equal, not ordered
            if (s.pred != Pred::Eq && s.pred != Pred::Ne)
                fail(s.loc, "select compares strings with {}s using an order", kstr ? (qk == SeqKind::Bool ? "bool" : "number") : (kk == SeqKind::Bool ? "bool" : "number"));
            m.assign(n_, Row(n_, s.pred == Pred::Ne));
            return;
        }
        std::vector<std::int64_t> rk, rq;
        ranks(ev_.sops[s.keys], ev_.sops[s.queries], rk, rq, s.loc);
        switch (s.pred) {  // pred(key, query)
            case Pred::Eq: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] == rq[q]; }); break;
            case Pred::Ne: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] != rq[q]; }); break;
            case Pred::Lt: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] < rq[q]; }); break;
            case Pred::Le: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] <= rq[q]; }); break;
            case Pred::Gt: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] > rq[q]; }); break;
            case Pred::Ge: fill(m, [&](std::size_t q, std::size_t k) { return rk[k] >= rq[q]; }); break;
            default: break;
        }
    }

    void sel(std::uint32_t id) {
        const SelNode& s = p_.sels[id];
        Matrix2& m = ev_.sels[id];
        switch (s.op) {
            case SelOp::Select: select(s, m); return;
            case SelOp::Not: {
                const Matrix2& a = ev_.sels[s.args[0]];
                fill(m, [&](std::size_t q, std::size_t k) { return !a[q][k]; });
                return;
            }
            case SelOp::And:
            case SelOp::Or: {
                const Matrix2& a = ev_.sels[s.args[0]];
                const Matrix2& b = ev_.sels[s.args[1]];
                if (s.op == SelOp::And) fill(m, [&](std::size_t q, std::size_t k) { return a[q][k] && b[q][k]; });
                else fill(m, [&](std::size_t q, std::size_t k) { return a[q][k] || b[q][k]; });
                return;
            }
        }
    }
};

}  // namespace

std::vector<Value> parse_tokens(const Program& prog, std::string_view text) {
    std::vector<Value> out;
    if (prog.tokens == Program::TokenKind::String) {
        for (std::string& c : code_points(text)) out.push_back(Value{std::move(c)});
        return out;
    }
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == ',' || text[i] == '\t' || text[i] == '\n') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != ',' && text[j] != '\t' && text[j] != '\n') ++j;
        std::string_view word = text.substr(i, j - i);
        auto r = parse_rational(word);
        if (!r || !is_integer(*r))
            fail(SourceLoc{"input", 1, static_cast<std::uint32_t>(i + 1)},
                 "'{}' is not an integer (the program reads integer tokens: tokens_int)", std::string(word));
        out.push_back(Value{std::move(*r)});
        i = j;
    }
    return out;
}

Evaluation evaluate(const Program& prog, const std::vector<Value>& tokens) {
    return Evaluator(prog, tokens).run();
}

std::string format_value(const Value& v) {
    switch (v.v.index()) {
        case 0: return "None";
        case 1: return std::get<bool>(v.v) ? "True" : "False";
        case 2: return to_string(std::get<Rational>(v.v));
        default: return "\"" + std::get<std::string>(v.v) + "\"";
    }
}

std::string sequence_type(const std::vector<Value>& vals) {
    bool str = false, boolean = false, integer = true;
    for (const Value& v : vals) {
        str = str || v.is_string();
        boolean = boolean || v.is_bool();
        if (v.is_number() && !is_integer(std::get<Rational>(v.v))) integer = false;
    }
    if (vals.empty()) return "empty";
    if (str) return "strings";
    if (boolean && std::all_of(vals.begin(), vals.end(), [](const Value& v) { return v.is_bool(); })) return "bools";
    return integer && !boolean ? "ints" : "rationals";
}

std::string format_element(const Value& v) {
    if (v.is_bool()) return std::get<bool>(v.v) ? "T" : "F";
    if (v.is_string()) return std::get<std::string>(v.v);
    return format_value(v);
}

std::string format_sequence(const std::vector<Value>& vals) {
    std::string s = "[";
    for (std::size_t i = 0; i < vals.size(); ++i) {
        if (i) s += ", ";
        s += format_element(vals[i]);
    }
    return s + "] (" + sequence_type(vals) + ")";
}

}  // namespace ahat::rasp
