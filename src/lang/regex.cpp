// Regex parsing (recursive descent with columns), a brute-force AST matcher, and
// Thompson NFA + subset construction.
#include "lang/regex.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "support/error.hpp"

namespace ahat::lang {
namespace {

struct Token {
    std::string text;  // one code point (UTF-8)
    std::uint32_t col = 0;
    bool escaped = false;
};

bool special(const Token& t) {
    static const std::string s = "|*+?().[]{}!\\";
    return !t.escaped && (t.text == "ε" || t.text == "∅" || (t.text.size() == 1 && s.find(t.text[0]) != std::string::npos));
}

struct Pending {
    std::string chars;
    bool negated = false, any = false;
};

class Parser {
public:
    Parser(std::string_view text, std::string src) : source_(std::move(src)) { lex(text); }

    Regex parse(std::string_view alphabet) {
        Regex r;
        r.root = parse_union(r);
        if (pos_ < toks_.size()) error(toks_[pos_].col, "unexpected '{}'", toks_[pos_].text);
        if (alphabet.empty()) {
            std::set<char> seen;
            for (const auto& p : pending_) seen.insert(p.second.chars.begin(), p.second.chars.end());
            r.alphabet.assign(seen.begin(), seen.end());
            if (r.alphabet.empty()) error(1, "no letters in the regex: give the alphabet");
        } else {
            r.alphabet = alphabet;
            for (std::size_t i = 0; i < alphabet.size(); ++i)
                if (alphabet.find(alphabet[i]) != i || alphabet[i] <= ' ' || static_cast<unsigned char>(alphabet[i]) >= 127)
                    fail(SourceLoc{"--alphabet", 1, static_cast<std::uint32_t>(i + 1)}, "letters must be distinct printable ASCII characters");
        }
        for (auto& [node, p] : pending_) {
            auto& n = r.nodes[node];
            n.letters.assign(r.alphabet.size(), p.any);
            for (char c : p.chars) {
                auto i = r.alphabet.find(c);
                if (i == std::string::npos) error(letter_col_[node], "letter '{}' is not in the alphabet '{}'", c, r.alphabet);
                n.letters[i] = true;
            }
            if (p.negated) n.letters.flip();
        }
        return r;
    }

private:
    template <class... Args>
    [[noreturn]] void error(std::uint32_t col, fmt::format_string<Args...> f, Args&&... args) {
        fail(SourceLoc{source_, 1, col}, f, std::forward<Args>(args)...);
    }

    void lex(std::string_view text) {
        std::uint32_t col = 0;
        bool escape = false;
        for (std::size_t i = 0; i < text.size();) {
            auto c = static_cast<unsigned char>(text[i]);
            std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            ++col;
            std::string cp(text.substr(i, len));
            i += len;
            if (len > 1 && cp != "ε" && cp != "∅") error(col, "letters must be printable ASCII characters, got '{}'", cp);
            if (len == 1 && (c < ' ' || c == 127)) error(col, "control character in the regex");
            if (escape) {
                if (len > 1 || c == ' ') error(col, "'\\' must be followed by an ASCII letter");
                toks_.push_back({cp, col - 1, true});
                escape = false;
                continue;
            }
            if (cp == "\\") {
                escape = true;
                continue;
            }
            if (cp == " ") continue;
            toks_.push_back({cp, col, false});
        }
        if (escape) error(col, "'\\' at the end of the regex");
        end_col_ = col + 1;
    }

    bool at(const char* s) const { return pos_ < toks_.size() && !toks_[pos_].escaped && toks_[pos_].text == s; }
    std::uint32_t col() const { return pos_ < toks_.size() ? toks_[pos_].col : end_col_; }

    std::uint32_t add(Regex& r, RegexNode n) {
        // the size of the node once repetitions are expanded (the automaton builds that many)
        std::size_t size = 1, height = 1;
        for (auto c : n.children) size += weight_[c], height = std::max(height, height_[c] + 1);
        // the automaton's construction and the matcher recurse once per level
        if (height > kMaxHeight)
            error(pos_ > 0 ? toks_[pos_ - 1].col : 1, "operators nest deeper than {} levels", kMaxHeight);
        weight_.push_back(size);
        height_.push_back(height);
        r.nodes.push_back(std::move(n));
        return static_cast<std::uint32_t>(r.nodes.size() - 1);
    }
    std::uint32_t add_letters(Regex& r, Pending p, std::uint32_t c) {
        auto id = add(r, RegexNode{RegexNode::Kind::Letters, {}, {}});
        pending_.emplace_back(id, std::move(p));
        letter_col_[id] = c;
        return id;
    }

    std::uint32_t parse_union(Regex& r) {
        std::vector<std::uint32_t> alts{parse_concat(r)};
        while (at("|")) {
            ++pos_;
            alts.push_back(parse_concat(r));
        }
        return alts.size() == 1 ? alts[0] : add(r, RegexNode{RegexNode::Kind::Union, {}, alts});
    }

    std::uint32_t parse_concat(Regex& r) {
        std::vector<std::uint32_t> parts;
        while (pos_ < toks_.size() && !at("|") && !at(")")) parts.push_back(parse_postfix(r));
        if (parts.empty()) return add(r, RegexNode{RegexNode::Kind::Epsilon, {}, {}});
        return parts.size() == 1 ? parts[0] : add(r, RegexNode{RegexNode::Kind::Concat, {}, parts});
    }

    // After '{': m}, m,} or m,n} (0 <= m <= n <= kMaxRepeat).
    std::uint32_t parse_repeat(Regex& r, std::uint32_t n, std::uint32_t open) {
        auto number = [&]() -> std::optional<std::size_t> {
            std::string digits;
            while (pos_ < toks_.size() && !toks_[pos_].escaped && toks_[pos_].text.size() == 1 &&
                   std::isdigit(static_cast<unsigned char>(toks_[pos_].text[0])) && digits.size() < 6)
                digits += toks_[pos_++].text;
            if (digits.empty()) return std::nullopt;
            return std::stoul(digits);
        };
        auto lo = number();
        if (!lo) error(col(), "expected a count after the '{{' at column {} (x{{m}}, x{{m,}} or x{{m,n}})", open);
        std::optional<std::size_t> hi = lo;
        if (at(",")) {
            ++pos_;
            hi = number();
        }
        if (!at("}")) error(col(), "expected '}}' to close the '{{' at column {} (x{{m}}, x{{m,}} or x{{m,n}})", open);
        ++pos_;
        if ((hi && *hi < *lo) || *lo > kMaxRepeat || (hi && *hi > kMaxRepeat))
            error(open, "a repetition needs m <= n <= {} (x{{m,n}})", kMaxRepeat);
        if (weight_[n] * std::max<std::size_t>(hi.value_or(*lo + 1), 1) > kMaxExpanded)
            error(open, "the repetition expands to more than {} regex nodes", kMaxExpanded);
        std::vector<std::uint32_t> parts(*lo, n);
        if (!hi) parts.push_back(add(r, RegexNode{RegexNode::Kind::Star, {}, {n}}));
        else if (*hi > *lo) parts.insert(parts.end(), *hi - *lo, add(r, RegexNode{RegexNode::Kind::Optional, {}, {n}}));
        if (parts.empty()) return add(r, RegexNode{RegexNode::Kind::Epsilon, {}, {}});
        return parts.size() == 1 ? parts[0] : add(r, RegexNode{RegexNode::Kind::Concat, {}, parts});
    }

    std::uint32_t parse_postfix(Regex& r) {
        std::uint32_t n = parse_atom(r);
        for (;;) {
            RegexNode::Kind k;
            if (at("{")) {
                std::uint32_t open = col();
                ++pos_;
                n = parse_repeat(r, n, open);
                continue;
            }
            if (at("*")) k = RegexNode::Kind::Star;
            else if (at("+")) k = RegexNode::Kind::Plus;
            else if (at("?")) k = RegexNode::Kind::Optional;
            else return n;
            ++pos_;
            n = add(r, RegexNode{k, {}, {n}});
        }
    }

    std::uint32_t parse_atom(Regex& r) {
        std::uint32_t c = col();
        const Token& t = toks_[pos_];
        if (!t.escaped && (t.text == "^" || t.text == "$"))
            error(c, "'{}': a regex matches whole words, there are no anchors (write \\{} for the letter)", t.text, t.text);
        if (!special(t)) {
            ++pos_;
            return add_letters(r, Pending{t.text, false, false}, c);
        }
        ++pos_;
        if (t.text == "(") {
            if (++depth_ > kMaxDepth) error(c, "parentheses nest deeper than {} levels", kMaxDepth);
            std::uint32_t inner = parse_union(r);
            if (!at(")")) error(col(), "expected ')' to close the '(' at column {}", c);
            ++pos_;
            --depth_;
            return inner;
        }
        if (t.text == ".") return add_letters(r, Pending{"", false, true}, c);
        if (t.text == "ε") return add(r, RegexNode{RegexNode::Kind::Epsilon, {}, {}});
        if (t.text == "∅" || t.text == "!") return add(r, RegexNode{RegexNode::Kind::Empty, {}, {}});
        if (t.text == "[") {
            Pending p;
            if (at("^")) {
                p.negated = true;
                ++pos_;
            }
            while (pos_ < toks_.size() && !at("]")) {
                const Token& l = toks_[pos_];
                if (special(l) || l.text.size() != 1) error(l.col, "'{}' inside a class: escape it with '\\'", l.text);
                ++pos_;
                bool range = !l.escaped && !p.chars.empty() && l.text == "-" && pos_ < toks_.size() && !at("]");
                if (!range) {
                    p.chars += l.text;
                    continue;
                }
                const Token& hi = toks_[pos_++];  // a-z: every character from the previous one to hi
                char from = p.chars.back();
                if (special(hi) || hi.text.size() != 1 || hi.text[0] < from)
                    error(l.col, "a range x-y inside a class needs printable letters with x <= y");
                for (char x = static_cast<char>(from + 1); x <= hi.text[0] && x > from; ++x) p.chars += x;
            }
            if (!at("]")) error(col(), "expected ']' to close the '[' at column {}", c);
            ++pos_;
            return add_letters(r, std::move(p), c);
        }
        if (t.text == ")") error(c, "unmatched ')'");
        error(c, "'{}' needs an operand before it", t.text);
    }

    static constexpr std::size_t kMaxRepeat = 1000, kMaxDepth = 500, kMaxExpanded = 10000, kMaxHeight = 1000;
    std::vector<std::size_t> weight_;  // per node: its size with repetitions expanded
    std::vector<std::size_t> height_;  // per node: 1 + its children's greatest
    std::string source_;
    std::vector<Token> toks_;
    std::size_t pos_ = 0, depth_ = 0;
    std::uint32_t end_col_ = 1;
    std::vector<std::pair<std::uint32_t, Pending>> pending_;
    std::map<std::uint32_t, std::uint32_t> letter_col_;
};

// End positions of matches of node n starting at i, memoized per (node, i).
class Matcher {
public:
    Matcher(const Regex& r, std::string_view w) : r_(r), w_(w), memo_(r.nodes.size() * (w.size() + 1)), done_(memo_.size()) {}

    const std::vector<bool>& ends(std::uint32_t n, std::size_t i) {
        std::size_t key = n * (w_.size() + 1) + i;
        if (done_[key]) return memo_[key];
        std::vector<bool> out(w_.size() + 1, false);
        const RegexNode& node = r_.nodes[n];
        switch (node.kind) {
        case RegexNode::Kind::Empty: break;
        case RegexNode::Kind::Epsilon: out[i] = true; break;
        case RegexNode::Kind::Letters:
            if (i < w_.size()) {
                auto a = r_.alphabet.find(w_[i]);
                if (a != std::string::npos && node.letters[a]) out[i + 1] = true;
            }
            break;
        case RegexNode::Kind::Concat: {
            std::vector<bool> cur(w_.size() + 1, false);
            cur[i] = true;
            for (auto c : node.children) {
                std::vector<bool> next(w_.size() + 1, false);
                for (std::size_t p = i; p <= w_.size(); ++p)
                    if (cur[p]) {
                        const auto& e = ends(c, p);
                        for (std::size_t q = p; q <= w_.size(); ++q)
                            if (e[q]) next[q] = true;
                    }
                cur = std::move(next);
            }
            out = std::move(cur);
            break;
        }
        case RegexNode::Kind::Union:
            for (auto c : node.children) {
                const auto& e = ends(c, i);
                for (std::size_t q = i; q <= w_.size(); ++q)
                    if (e[q]) out[q] = true;
            }
            break;
        case RegexNode::Kind::Optional:
            out = ends(node.children[0], i);
            out[i] = true;
            break;
        case RegexNode::Kind::Star:
        case RegexNode::Kind::Plus: {
            // Repeat the child from every position reached so far, until nothing new.
            std::vector<bool> reached(w_.size() + 1, false);
            std::vector<std::size_t> work{i};
            if (node.kind == RegexNode::Kind::Star) reached[i] = true;
            while (!work.empty()) {
                std::size_t p = work.back();
                work.pop_back();
                const auto& e = ends(node.children[0], p);
                for (std::size_t q = p; q <= w_.size(); ++q)
                    if (e[q] && !reached[q]) {
                        reached[q] = true;
                        work.push_back(q);
                    }
            }
            out = std::move(reached);
            break;
        }
        }
        memo_[key] = std::move(out);
        done_[key] = true;
        return memo_[key];
    }

private:
    const Regex& r_;
    std::string_view w_;
    std::vector<std::vector<bool>> memo_;
    std::vector<bool> done_;
};

// Thompson NFA: epsilon edges and letter-set edges.
struct Nfa {
    std::vector<std::vector<std::uint32_t>> eps;
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> edges;  // (letter node, target)
    std::uint32_t fresh() {
        eps.emplace_back();
        edges.emplace_back();
        return static_cast<std::uint32_t>(eps.size() - 1);
    }
};

std::pair<std::uint32_t, std::uint32_t> build(const Regex& r, std::uint32_t n, Nfa& a) {
    const RegexNode& node = r.nodes[n];
    std::uint32_t s = a.fresh(), e = a.fresh();
    switch (node.kind) {
    case RegexNode::Kind::Empty: break;
    case RegexNode::Kind::Epsilon: a.eps[s].push_back(e); break;
    case RegexNode::Kind::Letters: a.edges[s].emplace_back(n, e); break;
    case RegexNode::Kind::Concat: {
        std::uint32_t cur = s;
        for (auto c : node.children) {
            auto [cs, ce] = build(r, c, a);
            a.eps[cur].push_back(cs);
            cur = ce;
        }
        a.eps[cur].push_back(e);
        break;
    }
    case RegexNode::Kind::Union:
        for (auto c : node.children) {
            auto [cs, ce] = build(r, c, a);
            a.eps[s].push_back(cs);
            a.eps[ce].push_back(e);
        }
        break;
    case RegexNode::Kind::Star:
    case RegexNode::Kind::Plus:
    case RegexNode::Kind::Optional: {
        auto [cs, ce] = build(r, node.children[0], a);
        a.eps[s].push_back(cs);
        a.eps[ce].push_back(e);
        if (node.kind != RegexNode::Kind::Plus) a.eps[s].push_back(e);
        if (node.kind != RegexNode::Kind::Optional) a.eps[ce].push_back(cs);
        break;
    }
    }
    return {s, e};
}

void closure(const Nfa& a, std::vector<std::uint32_t>& set) {
    std::vector<bool> in(a.eps.size(), false);
    for (auto q : set) in[q] = true;
    for (std::size_t i = 0; i < set.size(); ++i)
        for (auto t : a.eps[set[i]])
            if (!in[t]) {
                in[t] = true;
                set.push_back(t);
            }
    std::sort(set.begin(), set.end());
}

}  // namespace

Regex parse_regex(std::string_view text, std::string_view alphabet, const std::string& source) {
    Regex r = Parser(text, source).parse(alphabet);
    r.text = text;
    r.source = source;
    return r;
}

bool regex_matches(const Regex& r, std::string_view w) {
    Matcher m(r, w);
    return m.ends(r.root, 0)[w.size()];
}

Dfa regex_to_dfa(const Regex& r, std::size_t max_states) {
    Nfa a;
    auto [s, e] = build(r, r.root, a);
    Dfa d;
    d.alphabet = r.alphabet;
    std::map<std::vector<std::uint32_t>, std::uint32_t> id;
    std::vector<std::vector<std::uint32_t>> sets{{s}};
    closure(a, sets[0]);
    id[sets[0]] = 0;
    for (std::size_t i = 0; i < sets.size(); ++i) {
        std::vector<std::uint32_t> row;
        for (std::size_t c = 0; c < r.alphabet.size(); ++c) {
            std::vector<std::uint32_t> next;
            std::vector<bool> in(a.eps.size(), false);
            for (auto q : sets[i])
                for (auto [node, t] : a.edges[q])
                    if (r.nodes[node].letters[c] && !in[t]) {
                        in[t] = true;
                        next.push_back(t);
                    }
            closure(a, next);
            auto [it, fresh] = id.emplace(next, static_cast<std::uint32_t>(sets.size()));
            if (fresh && sets.size() >= max_states)
                fail(SourceLoc{r.source, 1, 1}, "the regex's automaton has more than {} states (--max-states raises the limit)",
                     max_states);
            if (fresh) sets.push_back(next);
            row.push_back(it->second);
        }
        d.delta.push_back(std::move(row));
        d.accepting.push_back(std::binary_search(sets[i].begin(), sets[i].end(), e));
    }
    return d;
}

Dfa compile_regex(std::string_view text, std::string_view alphabet, const std::string& source, std::size_t max_states) {
    return minimize(regex_to_dfa(parse_regex(text, alphabet, source), max_states));
}

}  // namespace ahat::lang
