// DFA basics: running, minimization (Moore refinement), Boolean operations, quotients,
// shortest distinguishing words.
#include "lang/language.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "support/error.hpp"

namespace ahat::lang {

std::optional<std::uint32_t> Dfa::letter(char c) const {
    auto i = alphabet.find(c);
    if (i == std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(i);
}

std::uint32_t Dfa::run(std::uint32_t from, std::string_view w) const {
    std::uint32_t q = from;
    for (char c : w) {
        auto a = letter(c);
        if (!a) fail(SourceLoc{}, "letter '{}' is not in the alphabet '{}'", c, alphabet);
        q = delta[q][*a];
    }
    return q;
}

void check_dfa(const Dfa& d) {
    if (d.delta.empty()) internal_error("a DFA needs at least one state");
    if (d.accepting.size() != d.states()) internal_error("accepting has {} entries for {} states", d.accepting.size(), d.states());
    if (d.start >= d.states()) internal_error("start state {} out of range", d.start);
    for (std::size_t i = 0; i < d.alphabet.size(); ++i)
        if (d.alphabet.find(d.alphabet[i]) != i) internal_error("letter '{}' repeated in the alphabet", d.alphabet[i]);
    for (std::size_t q = 0; q < d.states(); ++q) {
        if (d.delta[q].size() != d.alphabet.size()) internal_error("state {} has {} transitions for {} letters", q, d.delta[q].size(), d.alphabet.size());
        for (auto t : d.delta[q])
            if (t >= d.states()) internal_error("state {} has a transition to {} (out of range)", q, t);
    }
}

namespace {

// States reachable from the start, in BFS order (letters in alphabet order).
std::vector<std::uint32_t> bfs_order(const Dfa& d, std::vector<std::uint32_t>& parent, std::vector<std::uint32_t>& via) {
    std::vector<std::uint32_t> order{d.start};
    std::vector<bool> seen(d.states(), false);
    parent.assign(d.states(), UINT32_MAX);
    via.assign(d.states(), UINT32_MAX);
    seen[d.start] = true;
    for (std::size_t i = 0; i < order.size(); ++i)
        for (std::uint32_t a = 0; a < d.alphabet.size(); ++a) {
            std::uint32_t t = d.delta[order[i]][a];
            if (!seen[t]) {
                seen[t] = true;
                parent[t] = order[i];
                via[t] = a;
                order.push_back(t);
            }
        }
    return order;
}

}  // namespace

std::vector<std::string> access_words(const Dfa& d) {
    std::vector<std::uint32_t> parent, via;
    auto order = bfs_order(d, parent, via);
    std::vector<std::string> w(d.states());
    for (auto q : order)
        if (q != d.start) w[q] = w[parent[q]] + d.alphabet[via[q]];
    return w;
}

Dfa minimize(const Dfa& d) {
    check_dfa(d);
    std::vector<std::uint32_t> parent, via;
    auto reach = bfs_order(d, parent, via);
    const std::size_t k = d.alphabet.size();
    // Moore: refine the accepting/rejecting partition by successor classes until stable.
    std::vector<std::uint32_t> cls(d.states(), 0);
    for (auto q : reach) cls[q] = d.accepting[q] ? 1 : 0;
    std::size_t classes = 0;
    for (;;) {
        std::map<std::vector<std::uint32_t>, std::uint32_t> sig;
        std::vector<std::uint32_t> next(d.states(), 0);
        for (auto q : reach) {
            std::vector<std::uint32_t> s{cls[q]};
            for (std::size_t a = 0; a < k; ++a) s.push_back(cls[d.delta[q][a]]);
            auto [it, fresh] = sig.emplace(std::move(s), static_cast<std::uint32_t>(sig.size()));
            next[q] = it->second;
        }
        bool stable = sig.size() == classes;
        classes = sig.size();
        cls = std::move(next);
        if (stable) break;
    }
    // Renumber classes in BFS order from the start.
    std::vector<std::uint32_t> id(classes, UINT32_MAX), rep;
    Dfa m;
    m.alphabet = d.alphabet;
    m.start = 0;
    id[cls[d.start]] = 0;
    rep.push_back(d.start);
    for (std::size_t i = 0; i < rep.size(); ++i) {
        std::vector<std::uint32_t> row(k);
        for (std::size_t a = 0; a < k; ++a) {
            std::uint32_t c = cls[d.delta[rep[i]][a]];
            if (id[c] == UINT32_MAX) {
                id[c] = static_cast<std::uint32_t>(rep.size());
                rep.push_back(d.delta[rep[i]][a]);
            }
            row[a] = id[c];
        }
        m.delta.push_back(std::move(row));
        m.accepting.push_back(d.accepting[rep[i]]);
    }
    return m;
}

Dfa complement(const Dfa& d) {
    Dfa c = d;
    c.accepting.flip();
    return minimize(c);
}

namespace {

Dfa product(const Dfa& a, const Dfa& b, bool (*op)(bool, bool)) {
    if (a.alphabet != b.alphabet) fail(SourceLoc{}, "alphabets differ: '{}' and '{}'", a.alphabet, b.alphabet);
    check_dfa(a);
    check_dfa(b);
    Dfa p;
    p.alphabet = a.alphabet;
    const std::size_t nb = b.states();
    p.delta.resize(a.states() * nb);
    p.accepting.resize(a.states() * nb);
    for (std::size_t x = 0; x < a.states(); ++x)
        for (std::size_t y = 0; y < nb; ++y) {
            auto& row = p.delta[x * nb + y];
            for (std::size_t c = 0; c < a.alphabet.size(); ++c)
                row.push_back(static_cast<std::uint32_t>(a.delta[x][c] * nb + b.delta[y][c]));
            p.accepting[x * nb + y] = op(a.accepting[x], b.accepting[y]);
        }
    p.start = static_cast<std::uint32_t>(a.start * nb + b.start);
    return minimize(p);
}

}  // namespace

Dfa intersect(const Dfa& a, const Dfa& b) {
    return product(a, b, [](bool x, bool y) { return x && y; });
}
Dfa unite(const Dfa& a, const Dfa& b) {
    return product(a, b, [](bool x, bool y) { return x || y; });
}

Dfa quotient_suffix(const Dfa& d, std::string_view u) {
    Dfa q = d;
    for (std::size_t s = 0; s < d.states(); ++s) q.accepting[s] = d.accepting[d.run(static_cast<std::uint32_t>(s), u)];
    return minimize(q);
}

Dfa quotient_prefix(const Dfa& d, std::string_view u) {
    Dfa q = d;
    q.start = d.run(d.start, u);
    return minimize(q);
}

std::optional<std::string> distinguishing_word(const Dfa& a, const Dfa& b) {
    if (a.alphabet != b.alphabet) fail(SourceLoc{}, "alphabets differ: '{}' and '{}'", a.alphabet, b.alphabet);
    const std::size_t nb = b.states();
    std::vector<std::uint32_t> parent(a.states() * nb, UINT32_MAX), via(a.states() * nb, 0);
    std::deque<std::uint32_t> queue{static_cast<std::uint32_t>(a.start * nb + b.start)};
    parent[queue.front()] = queue.front();
    while (!queue.empty()) {
        std::uint32_t p = queue.front();
        queue.pop_front();
        std::uint32_t x = static_cast<std::uint32_t>(p / nb), y = static_cast<std::uint32_t>(p % nb);
        if (a.accepting[x] != b.accepting[y]) {
            std::string w;
            for (std::uint32_t r = p; parent[r] != r; r = parent[r]) w += a.alphabet[via[r]];
            std::reverse(w.begin(), w.end());
            return w;
        }
        for (std::uint32_t c = 0; c < a.alphabet.size(); ++c) {
            auto t = static_cast<std::uint32_t>(a.delta[x][c] * nb + b.delta[y][c]);
            if (parent[t] == UINT32_MAX) {
                parent[t] = p;
                via[t] = c;
                queue.push_back(t);
            }
        }
    }
    return std::nullopt;
}

}  // namespace ahat::lang
