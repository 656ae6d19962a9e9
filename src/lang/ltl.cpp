#include "lang/ltl.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "support/error.hpp"

namespace ahat::lang {

bool is_temporal(LtlOp op) {
    return op == LtlOp::P || op == LtlOp::H || op == LtlOp::Y || op == LtlOp::YWithin || op == LtlOp::Since;
}

std::string_view op_symbol(LtlOp op) {
    switch (op) {
        case LtlOp::Atom: return "atom";
        case LtlOp::True: return "true";
        case LtlOp::False: return "false";
        case LtlOp::Not: return "!";
        case LtlOp::And: return "&";
        case LtlOp::Or: return "|";
        case LtlOp::Implies: return "->";
        case LtlOp::P: return "P";
        case LtlOp::H: return "H";
        case LtlOp::Y: return "Y";
        case LtlOp::YWithin: return "Y<=k";
        case LtlOp::Since: return "S";
        case LtlOp::Count: return "#";
    }
    return "?";
}

std::string_view rel_symbol(Rel r) {
    switch (r) {
        case Rel::Lt: return "<";
        case Rel::Le: return "<=";
        case Rel::Eq: return "=";
        case Rel::Ne: return "!=";
        case Rel::Ge: return ">=";
        case Rel::Gt: return ">";
    }
    return "?";
}

bool holds(Rel r, long long x) {
    switch (r) {
        case Rel::Lt: return x < 0;
        case Rel::Le: return x <= 0;
        case Rel::Eq: return x == 0;
        case Rel::Ne: return x != 0;
        case Rel::Ge: return x >= 0;
        case Rel::Gt: return x > 0;
    }
    return false;
}

std::vector<std::uint32_t> operands(const Formula& f, std::uint32_t id) {
    const LtlNode& n = f[id];
    switch (n.op) {
        case LtlOp::Atom: case LtlOp::True: case LtlOp::False: return {};
        case LtlOp::And: case LtlOp::Or: case LtlOp::Implies: case LtlOp::Since: return {n.a, n.b};
        case LtlOp::Count: {
            std::vector<std::uint32_t> out;
            for (const auto& [c, x] : f.comparison(id).terms) out.push_back(x);
            return out;
        }
        default: return {n.a};
    }
}

bool has_counts(const Formula& f) {
    for (const auto& n : f.nodes)
        if (n.op == LtlOp::Count) return true;
    return false;
}

std::uint32_t Formula::intern(const LtlNode& n) {
    auto key = std::make_tuple(static_cast<int>(n.op), n.letter, n.k, n.a, n.b);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    nodes.push_back(n);
    auto id = static_cast<std::uint32_t>(nodes.size() - 1);
    index_.emplace(key, id);
    root = id;
    return id;
}

std::uint32_t Formula::atom(char c) { return intern({LtlOp::Atom, c, 0, 0, 0}); }
std::uint32_t Formula::top() { return intern({LtlOp::True, 0, 0, 0, 0}); }
std::uint32_t Formula::bottom() { return intern({LtlOp::False, 0, 0, 0, 0}); }
std::uint32_t Formula::neg(std::uint32_t x) { return intern({LtlOp::Not, 0, 0, x, 0}); }
std::uint32_t Formula::conj(std::uint32_t x, std::uint32_t y) { return intern({LtlOp::And, 0, 0, x, y}); }
std::uint32_t Formula::disj(std::uint32_t x, std::uint32_t y) { return intern({LtlOp::Or, 0, 0, x, y}); }
std::uint32_t Formula::implies(std::uint32_t x, std::uint32_t y) { return intern({LtlOp::Implies, 0, 0, x, y}); }
std::uint32_t Formula::past(std::uint32_t x) { return intern({LtlOp::P, 0, 0, x, 0}); }
std::uint32_t Formula::historically(std::uint32_t x) { return intern({LtlOp::H, 0, 0, x, 0}); }
std::uint32_t Formula::yesterday(std::uint32_t x) { return intern({LtlOp::Y, 0, 1, x, 0}); }
std::uint32_t Formula::within(std::uint32_t k, std::uint32_t x) {
    return k == 1 ? yesterday(x) : intern({LtlOp::YWithin, 0, k, x, 0});
}
std::uint32_t Formula::since(std::uint32_t x, std::uint32_t y) { return intern({LtlOp::Since, 0, 0, x, y}); }

std::uint32_t Formula::count(Comparison c) {
    // merge equal nodes, drop zero coefficients, order the terms: equal comparisons, one id
    std::map<std::uint32_t, long long> sum;
    for (const auto& [coef, x] : c.terms) sum[x] += coef;
    c.terms.clear();
    for (const auto& [x, coef] : sum)
        if (coef != 0) c.terms.emplace_back(coef, x);
    auto [it, fresh] = comparison_index_.emplace(c, static_cast<std::uint32_t>(comparisons.size()));
    if (fresh) comparisons.push_back(std::move(c));
    return intern({LtlOp::Count, 0, it->second, 0, 0});
}

std::uint32_t Formula::s_neg(std::uint32_t x) {
    switch (nodes[x].op) {
        case LtlOp::True: return bottom();
        case LtlOp::False: return top();
        case LtlOp::Not: return nodes[x].a;
        default: return neg(x);
    }
}
std::uint32_t Formula::s_and(std::uint32_t x, std::uint32_t y) {
    if (nodes[x].op == LtlOp::False || nodes[y].op == LtlOp::False) return bottom();
    if (nodes[x].op == LtlOp::True) return y;
    if (nodes[y].op == LtlOp::True || x == y) return x;
    return conj(x, y);
}
std::uint32_t Formula::s_or(std::uint32_t x, std::uint32_t y) {
    if (nodes[x].op == LtlOp::True || nodes[y].op == LtlOp::True) return top();
    if (nodes[x].op == LtlOp::False) return y;
    if (nodes[y].op == LtlOp::False || x == y) return x;
    return disj(x, y);
}

namespace {

struct Parser {
    std::string_view s;
    std::string source;
    std::size_t pos = 0;
    Formula f;
    std::size_t nesting = 0;  // parentheses, brackets and unary operators: bounded (kMaxNesting)
    static constexpr std::size_t kMaxNesting = 500;

    SourceLoc loc(std::size_t at) const { return SourceLoc{source, 1, static_cast<std::uint32_t>(at + 1)}; }
    void skip() {
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    }
    bool eat(std::string_view t) {
        skip();
        if (s.substr(pos, t.size()) == t) {
            pos += t.size();
            return true;
        }
        return false;
    }
    std::uint32_t implication() {
        std::uint32_t x = disjunction();
        if (eat("->")) {
            if (++nesting > kMaxNesting) fail(loc(pos), "the formula nests deeper than {} levels", kMaxNesting);
            std::uint32_t y = implication();
            --nesting;
            return f.implies(x, y);
        }
        return x;
    }
    std::uint32_t disjunction() {
        std::uint32_t x = conjunction();
        while (eat("|")) x = f.disj(x, conjunction());
        return x;
    }
    std::uint32_t conjunction() {
        std::uint32_t x = since();
        while (eat("&")) x = f.conj(x, since());
        return x;
    }
    std::uint32_t since() {
        std::uint32_t x = unary();
        for (;;) {
            skip();
            if (pos < s.size() && s[pos] == 'S') {
                ++pos;
                x = f.since(x, unary());
            } else {
                return x;
            }
        }
    }
    std::uint32_t unary() {
        skip();
        if (pos >= s.size()) fail(loc(pos), "expected a formula, found the end of the text");
        if (++nesting > kMaxNesting) fail(loc(pos), "the formula nests deeper than {} levels", kMaxNesting);
        std::uint32_t x = unary_inner();
        --nesting;
        return x;
    }
    std::optional<long long> number() {
        skip();
        std::size_t start = pos;
        long long v = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
            if (v > 100000000000LL) fail(loc(start), "the number is too large (at most 10^12)");
            v = v * 10 + (s[pos++] - '0');
        }
        if (pos == start) return std::nullopt;
        return v;
    }
    // After '[': terms compared by a relation, then ']'. `open` is the column of '['.
    std::uint32_t comparison(std::size_t open) {
        Comparison c;
        std::optional<std::uint32_t> window;
        std::size_t window_at = 0;
        auto side = [&](long long sign) {
            bool first = true;
            for (;;) {
                skip();
                long long term_sign = sign;
                if (!first || (pos < s.size() && (s[pos] == '-' || s[pos] == '+'))) {
                    if (eat("+")) {
                    } else if (eat("-")) {
                        term_sign = -sign;
                    } else if (!first) {
                        return;
                    }
                }
                first = false;
                skip();
                std::size_t at = pos;
                std::optional<long long> coef = number();
                if (coef) eat("*");
                skip();
                if (pos < s.size() && s[pos] == '#') {
                    ++pos;
                    std::uint32_t k = 0;
                    if (s.substr(pos, 2) == "<=") {
                        pos += 2;
                        std::size_t start = pos;
                        auto kk = number();
                        if (!kk || *kk == 0 || *kk > 64) fail(loc(start), "expected a window from 1 to 64 after #<=");
                        k = static_cast<std::uint32_t>(*kk);
                    }
                    if (window && *window != k)
                        fail(loc(at), "one comparison counts over one range (this term: {}, the column {} term: {})",
                             k ? fmt::format("#<={}", k) : std::string("#"), window_at + 1,
                             *window ? fmt::format("#<={}", *window) : std::string("#"));
                    if (!window) window = k, window_at = at;
                    std::uint32_t x = unary();
                    c.terms.emplace_back(term_sign * coef.value_or(1), x);
                } else if (coef) {
                    c.constant += term_sign * *coef;
                } else {
                    fail(loc(at), "expected a number or a count #A in the comparison opened at column {}", open + 1);
                }
            }
        };
        side(1);
        skip();
        static constexpr std::pair<std::string_view, Rel> kRels[] = {
            {"<=", Rel::Le}, {">=", Rel::Ge}, {"!=", Rel::Ne}, {"<", Rel::Lt}, {">", Rel::Gt}, {"=", Rel::Eq}};
        std::optional<Rel> rel;
        for (const auto& [sym, r] : kRels)
            if (!rel && eat(sym)) rel = r;
        if (!rel) fail(loc(pos), "expected a relation (< <= = != >= >) in the comparison opened at column {}", open + 1);
        side(-1);
        if (!eat("]")) fail(loc(pos), "expected ']' to close the '[' at column {}", open + 1);
        if (!window) fail(loc(open), "a comparison needs at least one count #A");
        c.rel = *rel;
        c.window = *window;
        return f.count(std::move(c));
    }
    std::uint32_t unary_inner() {
        std::size_t at = pos;
        char c = s[pos];
        if (c == '!' || c == '~') return ++pos, f.neg(unary());
        if (c == 'P') return ++pos, f.past(unary());
        if (c == 'H') return ++pos, f.historically(unary());
        if (c == 'Y') {
            ++pos;
            if (s.substr(pos, 2) == "<=") {
                pos += 2;
                std::size_t start = pos;
                std::uint64_t k = 0;
                while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) && k < 1000000)
                    k = k * 10 + static_cast<std::uint64_t>(s[pos++] - '0');
                if (pos == start || k == 0 || k >= 1000000) fail(loc(start), "expected a window k >= 1 after Y<=");
                return f.within(static_cast<std::uint32_t>(k), unary());
            }
            return f.yesterday(unary());
        }
        if (c == '[') return ++pos, comparison(at);
        if (c == '(') {
            ++pos;
            std::uint32_t x = implication();
            if (!eat(")")) fail(loc(pos), "expected ')' to close the '(' at column {}", at + 1);
            return x;
        }
        if (c == '\'') {
            if (pos + 2 >= s.size() || s[pos + 2] != '\'' || std::isspace(static_cast<unsigned char>(s[pos + 1])))
                fail(loc(at), "a quoted atom is one non-space character between single quotes, like 'x'");
            pos += 3;
            return f.atom(s[at + 1]);
        }
        if (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t end = pos;
            while (end < s.size() && (std::islower(static_cast<unsigned char>(s[end])) ||
                                      std::isdigit(static_cast<unsigned char>(s[end]))))
                ++end;
            std::string_view word = s.substr(pos, end - pos);
            pos = end;
            if (word == "true") return f.top();
            if (word == "false") return f.bottom();
            if (word.size() == 1) return f.atom(c);
            fail(loc(at), "'{}': an atom is a single letter (write a conjunction with &)", word);
        }
        fail(loc(at), "unexpected '{}' (expected a letter, true, false, !, P, H, Y, Y<=k or '(')", c);
    }
};

int precedence(LtlOp op) {
    switch (op) {
        case LtlOp::Implies: return 1;
        case LtlOp::Or: return 2;
        case LtlOp::And: return 3;
        case LtlOp::Since: return 4;
        default: return 5;
    }
}

void print(const Formula& f, std::uint32_t id, std::string& out) {
    const LtlNode& n = f[id];
    auto sub = [&](std::uint32_t c, int min_prec) {
        bool paren = precedence(f[c].op) < min_prec;
        if (paren) out += '(';
        print(f, c, out);
        if (paren) out += ')';
    };
    int p = precedence(n.op);
    switch (n.op) {
        case LtlOp::Atom:
            if (std::islower(static_cast<unsigned char>(n.letter)) || std::isdigit(static_cast<unsigned char>(n.letter)))
                out += n.letter;
            else
                out += fmt::format("'{}'", n.letter);
            return;
        case LtlOp::True: out += "true"; return;
        case LtlOp::False: out += "false"; return;
        case LtlOp::Not: out += '!'; sub(n.a, 5); return;
        case LtlOp::P: out += "P "; sub(n.a, 5); return;
        case LtlOp::H: out += "H "; sub(n.a, 5); return;
        case LtlOp::Y: out += "Y "; sub(n.a, 5); return;
        case LtlOp::YWithin: out += fmt::format("Y<={} ", n.k); sub(n.a, 5); return;
        case LtlOp::Implies: sub(n.a, p + 1); out += " -> "; sub(n.b, p); return;
        case LtlOp::Or: sub(n.a, p); out += " | "; sub(n.b, p + 1); return;
        case LtlOp::And: sub(n.a, p); out += " & "; sub(n.b, p + 1); return;
        case LtlOp::Since: sub(n.a, p); out += " S "; sub(n.b, p + 1); return;
        case LtlOp::Count: {
            const Comparison& c = f.comparison(id);
            // Terms in the order of their printed operands, not of their node ids (which depend
            // on the order the formula was built in): printing a parsed print gives it back.
            std::vector<std::pair<std::string, long long>> terms;
            for (const auto& [coef, x] : c.terms) {
                std::string operand;
                std::swap(operand, out);
                sub(x, 5);
                std::swap(operand, out);
                terms.emplace_back(std::move(operand), coef);
            }
            std::sort(terms.begin(), terms.end());
            out += '[';
            bool first = true;
            for (const auto& [operand, coef] : terms) {
                long long mag = coef < 0 ? -coef : coef;
                out += first ? (coef < 0 ? "-" : "") : (coef < 0 ? " - " : " + ");
                if (mag != 1) out += fmt::format("{} ", mag);
                out += c.window ? fmt::format("#<={} ", c.window) : std::string("#");
                out += operand;
                first = false;
            }
            out += fmt::format(" {} {}]", rel_symbol(c.rel), -c.constant);
            return;
        }
    }
}

}  // namespace

Formula parse_ltl(std::string_view text, const std::string& source) {
    Parser p{text, source, 0, {}};
    p.f.root = p.implication();
    p.skip();
    if (p.pos != text.size()) fail(p.loc(p.pos), "unexpected '{}' after the formula", text[p.pos]);
    return std::move(p.f);
}

std::string to_string(const Formula& f, std::uint32_t id) {
    std::string out;
    print(f, id, out);
    return out;
}

std::uint32_t temporal_depth(const Formula& f, std::uint32_t id) {
    std::vector<std::uint32_t> d(id + 1, 0);
    for (std::uint32_t i = 0; i <= id; ++i) {
        const LtlNode& n = f[i];
        switch (n.op) {
            case LtlOp::Atom: case LtlOp::True: case LtlOp::False: d[i] = 0; break;
            case LtlOp::Not: d[i] = d[n.a]; break;
            case LtlOp::And: case LtlOp::Or: case LtlOp::Implies: d[i] = std::max(d[n.a], d[n.b]); break;
            case LtlOp::Since: d[i] = 1 + std::max(d[n.a], d[n.b]); break;
            case LtlOp::Count:
                for (std::uint32_t x : operands(f, i)) d[i] = std::max(d[i], 1 + d[x]);
                break;
            default: d[i] = 1 + d[n.a]; break;
        }
    }
    return d[id];
}

std::string atoms_of(const Formula& f) {
    std::set<char> s;
    for (const auto& n : f.nodes)
        if (n.op == LtlOp::Atom) s.insert(n.letter);
    return std::string(s.begin(), s.end());
}

std::vector<std::vector<bool>> evaluate(const Formula& f, std::string_view w) {
    std::size_t n = w.size();
    std::vector<std::vector<bool>> v(f.size(), std::vector<bool>(n + 1, false));
    std::vector<std::vector<long long>> prefix;  // for the count node being evaluated
    for (std::uint32_t id = 0; id < f.size(); ++id) {
        const LtlNode& x = f[id];
        auto& out = v[id];
        for (std::size_t i = 0; i <= n; ++i) {
            switch (x.op) {
                case LtlOp::Atom: out[i] = i < n && w[i] == x.letter; break;
                case LtlOp::True: out[i] = true; break;
                case LtlOp::False: out[i] = false; break;
                case LtlOp::Not: out[i] = !v[x.a][i]; break;
                case LtlOp::And: out[i] = v[x.a][i] && v[x.b][i]; break;
                case LtlOp::Or: out[i] = v[x.a][i] || v[x.b][i]; break;
                case LtlOp::Implies: out[i] = !v[x.a][i] || v[x.b][i]; break;
                case LtlOp::P: out[i] = i > 0 && (out[i - 1] || v[x.a][i - 1]); break;
                case LtlOp::H: out[i] = i == 0 || (out[i - 1] && v[x.a][i - 1]); break;
                case LtlOp::Y: out[i] = i > 0 && v[x.a][i - 1]; break;
                case LtlOp::YWithin: {
                    bool any = false;
                    for (std::size_t j = i; j > 0 && i - j < x.k && !any; --j) any = v[x.a][j - 1];
                    out[i] = any;
                    break;
                }
                case LtlOp::Since: out[i] = i > 0 && (v[x.b][i - 1] || (v[x.a][i - 1] && out[i - 1])); break;
                case LtlOp::Count: {
                    const Comparison& c = f.comparison(id);
                    if (i == 0) {  // prefix[t][j]: positions before j where term t holds
                        prefix.assign(c.terms.size(), std::vector<long long>(n + 2, 0));
                        for (std::size_t t = 0; t < c.terms.size(); ++t)
                            for (std::size_t j = 0; j <= n; ++j)
                                prefix[t][j + 1] = prefix[t][j] + (v[c.terms[t].second][j] ? 1 : 0);
                    }
                    std::size_t lo = c.window == 0 ? 0 : (i > c.window ? i - c.window : 0);
                    std::size_t hi = c.window == 0 ? i + 1 : i;  // positions lo..hi-1
                    long long sum = c.constant;
                    for (std::size_t t = 0; t < c.terms.size(); ++t)
                        sum += c.terms[t].first * (prefix[t][hi] - prefix[t][lo]);
                    out[i] = holds(c.rel, sum);
                    break;
                }
            }
        }
    }
    return v;
}

bool accepts(const Formula& f, std::string_view w) { return evaluate(f, w)[f.root].back(); }

namespace {

// The part of the state at position i that the values at i need: for each temporal node its
// value at i, and for Y<=k the values of its operand at i-1..i-k+1 (to shift in).
struct Stepper {
    const Formula& f;
    std::vector<std::uint32_t> offset;  // per node: start of its history in the state
    std::size_t width = 0;

    explicit Stepper(const Formula& fm) : f(fm), offset(fm.size(), 0) {
        for (std::uint32_t id = 0; id < f.size(); ++id) {
            offset[id] = static_cast<std::uint32_t>(width);
            if (f[id].op == LtlOp::YWithin) width += f[id].k;
            else if (is_temporal(f[id].op)) width += 1;
        }
    }
    std::vector<bool> initial() const {
        std::vector<bool> s(width, false);
        for (std::uint32_t id = 0; id < f.size(); ++id)
            if (f[id].op == LtlOp::H) s[offset[id]] = true;
        return s;
    }
    // Node values at the current position (letter, or EOS when c == 0) from the state.
    std::vector<bool> values(const std::vector<bool>& s, char c) const {
        std::vector<bool> v(f.size(), false);
        for (std::uint32_t id = 0; id < f.size(); ++id) {
            const LtlNode& x = f[id];
            switch (x.op) {
                case LtlOp::Atom: v[id] = c != 0 && c == x.letter; break;
                case LtlOp::True: v[id] = true; break;
                case LtlOp::False: v[id] = false; break;
                case LtlOp::Not: v[id] = !v[x.a]; break;
                case LtlOp::And: v[id] = v[x.a] && v[x.b]; break;
                case LtlOp::Or: v[id] = v[x.a] || v[x.b]; break;
                case LtlOp::Implies: v[id] = !v[x.a] || v[x.b]; break;
                default: v[id] = s[offset[id]]; break;
            }
        }
        return v;
    }
    std::vector<bool> next(const std::vector<bool>& s, const std::vector<bool>& v) const {
        std::vector<bool> t(width, false);
        for (std::uint32_t id = 0; id < f.size(); ++id) {
            const LtlNode& x = f[id];
            std::uint32_t o = offset[id];
            switch (x.op) {
                case LtlOp::P: t[o] = v[id] || v[x.a]; break;
                case LtlOp::H: t[o] = v[id] && v[x.a]; break;
                case LtlOp::Y: t[o] = v[x.a]; break;
                case LtlOp::Since: t[o] = v[x.b] || (v[x.a] && v[id]); break;
                case LtlOp::YWithin: {
                    // history slots o+1..o+k-1 hold the operand at i-1..i-k+1; slot o the value.
                    std::vector<bool> h{v[x.a]};
                    for (std::uint32_t j = 1; j < x.k; ++j) h.push_back(s[o + j]);
                    bool any = false;
                    for (std::uint32_t j = 0; j < x.k; ++j) any = any || h[j];
                    t[o] = any;
                    for (std::uint32_t j = 1; j < x.k; ++j) t[o + j] = h[j - 1];
                    break;
                }
                default: break;
            }
        }
        return t;
    }
};

}  // namespace

Dfa ltl_dfa(const Formula& f, const std::string& alphabet, std::size_t max_states) {
    if (has_counts(f)) fail(SourceLoc{}, "a formula with counts can define a non-regular language: no automaton is built");
    Stepper st(f);
    std::map<std::vector<bool>, std::uint32_t> ids;
    std::vector<std::vector<bool>> states;
    Dfa d;
    d.alphabet = alphabet;
    auto id_of = [&](const std::vector<bool>& s) {
        auto [it, fresh] = ids.emplace(s, static_cast<std::uint32_t>(states.size()));
        if (fresh) {
            if (states.size() >= max_states)
                fail(SourceLoc{}, "the formula's automaton has more than {} states (--max-states raises the limit)", max_states);
            states.push_back(s);
        }
        return it->second;
    };
    id_of(st.initial());
    for (std::size_t q = 0; q < states.size(); ++q) {
        std::vector<std::uint32_t> row;
        for (char c : alphabet) {
            std::vector<bool> s = states[q];
            row.push_back(id_of(st.next(s, st.values(s, c))));
        }
        d.delta.push_back(std::move(row));
        d.accepting.push_back(st.values(states[q], 0)[f.root]);
    }
    return minimize(d);
}

}  // namespace ahat::lang
