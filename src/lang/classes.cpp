// Class decisions with certificates. Graph conditions (definite, reverse definite,
// R-trivial) are read off the minimal DFA; the others off its transition monoid:
//   L-trivial            all L-classes are singletons;
//   aperiodic            every element has period 1 (Schützenberger: star-free);
//   locally testable     for every idempotent e of the semigroup S, eSe is idempotent and
//                        commutative (Brzozowski–Simon, McNaughton);
//   piecewise testable   all J-classes are singletons (Simon).
#include "lang/classes.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "support/error.hpp"

namespace ahat::lang {

const std::string& Certificate::word(std::string_view name) const {
    for (const auto& [n, w] : words)
        if (n == name) return w;
    internal_error("a certificate has no word named {}", name);
}
std::uint32_t Certificate::state(std::string_view name) const {
    for (const auto& [n, s] : states)
        if (n == name) return s;
    internal_error("a certificate has no state named {}", name);
}
bool Certificate::has_word(std::string_view name) const {
    return std::any_of(words.begin(), words.end(), [&](const auto& p) { return p.first == name; });
}

namespace {

// The first two distinct elements with the same class id, if a class has two.
std::optional<std::pair<std::uint32_t, std::uint32_t>> two_in_one_class(const std::vector<std::uint32_t>& cls) {
    std::vector<std::uint32_t> first(cls.size(), UINT32_MAX);
    for (std::uint32_t x = 0; x < cls.size(); ++x) {
        if (first[cls[x]] != UINT32_MAX) return std::make_pair(first[cls[x]], x);
        first[cls[x]] = x;
    }
    return std::nullopt;
}

std::string show(const std::string& w) { return w.empty() ? "ε" : w; }

using Edges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // (letter, target)
using Succ = std::function<void(std::uint32_t, Edges&)>;

// Depth-first search over nodes 0..n-1 (roots in order): either the longest path (in edges)
// from each node, or a cycle as (node, letter to the next node) pairs.
struct DagResult {
    bool acyclic = true;
    std::vector<std::size_t> longest;
    std::vector<std::uint32_t> post;  // postorder
    std::vector<std::pair<std::uint32_t, std::uint32_t>> cycle;
};

DagResult analyse(std::size_t n, const Succ& succ, const std::vector<std::uint32_t>& roots) {
    DagResult r;
    r.longest.assign(n, 0);
    std::vector<int> color(n, 0);  // 0 new, 1 on the stack, 2 done
    struct Frame {
        std::uint32_t v;
        Edges next;
        std::size_t i = 0;
    };
    for (auto root : roots) {
        if (color[root]) continue;
        std::vector<Frame> st;
        auto enter = [&](std::uint32_t v) {
            color[v] = 1;
            Frame f{v, {}, 0};
            succ(v, f.next);
            st.push_back(std::move(f));
        };
        enter(root);
        while (!st.empty()) {
            Frame& f = st.back();
            if (f.i < f.next.size()) {
                auto [a, w] = f.next[f.i++];
                if (color[w] == 1) {  // back edge: the cycle is the stack from w to f.v
                    r.acyclic = false;
                    std::size_t from = 0;
                    while (st[from].v != w) ++from;
                    for (std::size_t j = from; j < st.size(); ++j) r.cycle.emplace_back(st[j].v, st[j].next[st[j].i - 1].first);
                    return r;
                }
                if (color[w] == 0) enter(w);
                continue;
            }
            for (auto [a, w] : f.next) r.longest[f.v] = std::max(r.longest[f.v], r.longest[w] + 1);
            color[f.v] = 2;
            r.post.push_back(f.v);
            st.pop_back();
        }
    }
    return r;
}

std::string cycle_word(const Dfa& d, const DagResult& r) {
    std::string u;
    for (auto [v, a] : r.cycle) u += d.alphabet[a];
    return u;
}

std::vector<std::uint32_t> all_nodes(std::size_t n) {
    std::vector<std::uint32_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i);
    return v;
}

// Shortest z with p·z and q·z differing in acceptance (p, q distinct states of a minimal DFA).
std::string distinguisher(const Dfa& d, std::uint32_t p, std::uint32_t q) {
    Dfa a = d, b = d;
    a.start = p;
    b.start = q;
    return distinguishing_word(a, b).value_or("");
}

// Words x, z with x w1 z ∈ L != x w2 z ∈ L, for words acting differently on the DFA.
std::pair<std::string, std::string> context(const Dfa& d, const std::string& w1, const std::string& w2) {
    auto acc = access_words(d);
    for (std::uint32_t p = 0; p < d.states(); ++p) {
        std::uint32_t a = d.run(p, w1), b = d.run(p, w2);
        if (a != b) return {acc[p], distinguisher(d, a, b)};
    }
    return {"", ""};
}

void add_context(const Dfa& d, Certificate& c, const std::string& w1, const std::string& w2) {
    auto [x, z] = context(d, w1, w2);
    c.words.emplace_back("x", x);
    c.words.emplace_back("z", z);
}

// The local monoid eSe of an idempotent e: its elements, and for each an s with e s e = it.
std::pair<std::vector<std::uint32_t>, std::vector<std::uint32_t>> local_monoid(const Monoid& m, std::uint32_t e) {
    std::vector<std::uint32_t> ese, from;
    std::vector<bool> seen(m.size(), false);
    for (std::uint32_t s = 0; s < m.size(); ++s) {
        if (!m.in_semigroup(s)) continue;
        std::uint32_t y = m.multiply(m.multiply(e, s), e);
        if (!seen[y]) {
            seen[y] = true;
            ese.push_back(y);
            from.push_back(s);
        }
    }
    return {ese, from};
}

}  // namespace

std::optional<std::size_t> definite_degree(const Dfa& d) {
    auto dec = decide_definite(d);
    return dec.holds ? dec.certificate.index : std::nullopt;
}

std::optional<std::size_t> reverse_definite_degree(const Dfa& d) {
    auto dec = decide_reverse_definite(d);
    return dec.holds ? dec.certificate.index : std::nullopt;
}

Decision decide_definite(const Dfa& d) {
    Decision dec{"definite", false, {}};
    const std::size_t n = d.states();
    if (n == 1) {
        dec.holds = true;
        dec.certificate.index = 0;
        dec.certificate.claim = "one state: membership depends on no letter (k = 0)";
        return dec;
    }
    // Pair graph on ordered pairs p != q, node p*n+q: an edge on a when p·a != q·a.
    Succ succ = [&](std::uint32_t v, Edges& out) {
        out.clear();
        std::uint32_t p = v / static_cast<std::uint32_t>(n), q = v % static_cast<std::uint32_t>(n);
        if (p == q) return;
        for (std::uint32_t a = 0; a < d.alphabet.size(); ++a)
            if (d.delta[p][a] != d.delta[q][a]) out.emplace_back(a, static_cast<std::uint32_t>(d.delta[p][a] * n + d.delta[q][a]));
    };
    auto r = analyse(n * n, succ, all_nodes(n * n));
    if (r.acyclic) {
        std::size_t longest = 0;
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = 0; q < n; ++q)
                if (p != q) longest = std::max(longest, r.longest[p * n + q]);
        dec.holds = true;
        dec.certificate.index = longest + 1;
        dec.certificate.claim = fmt::format(
            "every word of length {} sends all states to one state; some word of length {} does not", longest + 1, longest);
        return dec;
    }
    std::string u = cycle_word(d, r);
    std::uint32_t p = r.cycle[0].first / static_cast<std::uint32_t>(n), q = r.cycle[0].first % static_cast<std::uint32_t>(n);
    auto acc = access_words(d);
    Certificate& c = dec.certificate;
    c.words = {{"x", acc[p]}, {"y", acc[q]}, {"u", u}, {"z", distinguisher(d, p, q)}};
    c.states = {{"p", p}, {"q", q}};
    c.claim = fmt::format("p·u = p and q·u = q with p != q, so for every k the words x u^k z and y u^k z "
                          "(x = {}, y = {}, u = {}, z = {}) share the suffix u^k z but differ in membership",
                          show(acc[p]), show(acc[q]), u, show(c.words[3].second));
    return dec;
}

Decision decide_reverse_definite(const Dfa& d) {
    Decision dec{"reverse-definite", false, {}};
    const std::size_t n = d.states();
    std::vector<bool> absorbing(n, true);
    for (std::size_t q = 0; q < n; ++q)
        for (auto t : d.delta[q]) absorbing[q] = absorbing[q] && t == q;
    if (absorbing[d.start]) {
        dec.holds = true;
        dec.certificate.index = 0;
        dec.certificate.claim = "the start state is absorbing: membership depends on no letter (k = 0)";
        return dec;
    }
    Succ succ = [&](std::uint32_t v, Edges& out) {
        out.clear();
        for (std::uint32_t a = 0; a < d.alphabet.size(); ++a)
            if (!absorbing[d.delta[v][a]]) out.emplace_back(a, d.delta[v][a]);
    };
    auto r = analyse(n, succ, {d.start});
    Certificate& c = dec.certificate;
    if (r.acyclic) {
        dec.holds = true;
        c.index = r.longest[d.start] + 1;
        c.claim = fmt::format("every word of length {} leads from the start to an absorbing state; "
                              "some word of length {} does not",
                              *c.index, *c.index - 1);
        return dec;
    }
    std::uint32_t p = r.cycle[0].first;
    std::string u = cycle_word(d, r);
    // z: a shortest word from p to a state of the other acceptance.
    Dfa a = d, b = d;
    a.start = p;
    b.start = p;
    for (std::size_t q = 0; q < n; ++q) b.accepting[q] = d.accepting[p];
    std::string z = distinguishing_word(a, b).value_or("");
    c.words = {{"x", access_words(d)[p]}, {"u", u}, {"z", z}};
    c.states = {{"p", p}};
    c.claim = fmt::format("start·x = p and p·u = p, so for every k the words x u^k and x u^k z "
                          "(x = {}, u = {}, z = {}) share the prefix x u^k but differ in membership",
                          show(c.words[0].second), u, show(z));
    return dec;
}

std::optional<PoDfa> partial_order(const Dfa& d) {
    Succ succ = [&](std::uint32_t v, Edges& out) {
        out.clear();
        for (std::uint32_t a = 0; a < d.alphabet.size(); ++a)
            if (d.delta[v][a] != v) out.emplace_back(a, d.delta[v][a]);
    };
    auto roots = all_nodes(d.states());
    std::rotate(roots.begin(), roots.begin() + d.start, roots.begin() + d.start + 1);
    auto r = analyse(d.states(), succ, roots);
    if (!r.acyclic) return std::nullopt;
    PoDfa po;
    po.order.assign(r.post.rbegin(), r.post.rend());
    po.loop_letters.resize(d.states());
    for (std::size_t q = 0; q < d.states(); ++q)
        for (std::size_t a = 0; a < d.alphabet.size(); ++a)
            if (d.delta[q][a] == q) po.loop_letters[q] += d.alphabet[a];
    return po;
}

Decision decide_r_trivial(const Dfa& d) {
    Decision dec{"R-trivial", false, {}};
    Certificate& c = dec.certificate;
    if (auto po = partial_order(d)) {
        dec.holds = true;
        std::string order;
        for (auto q : po->order) order += fmt::format("{}{}", order.empty() ? "" : " < ", q);
        c.claim = "the minimal DFA is partially ordered (no cycle but self-loops); states in order: " + order;
        for (auto q : po->order) c.states.emplace_back(fmt::format("order{}", c.states.size()), q);
        return dec;
    }
    Succ succ = [&](std::uint32_t v, Edges& out) {
        out.clear();
        for (std::uint32_t a = 0; a < d.alphabet.size(); ++a)
            if (d.delta[v][a] != v) out.emplace_back(a, d.delta[v][a]);
    };
    auto r = analyse(d.states(), succ, all_nodes(d.states()));
    std::uint32_t p = r.cycle[0].first, q = r.cycle[1 % r.cycle.size()].first;
    std::string u(1, d.alphabet[r.cycle[0].second]), v;
    for (std::size_t i = 1; i < r.cycle.size(); ++i) v += d.alphabet[r.cycle[i].second];
    c.words = {{"x", access_words(d)[p]}, {"u", u}, {"v", v}, {"z", distinguisher(d, p, q)}};
    c.states = {{"p", p}, {"q", q}};
    c.claim = fmt::format("states p = {} != q = {} with p·u = q, q·v = p (u = {}, v = {}): a cycle that is not a self-loop",
                          p, q, u, v);
    return dec;
}

Decision decide_l_trivial(const Dfa& d, const Monoid& m) {
    Decision dec{"L-trivial", false, {}};
    Certificate& c = dec.certificate;
    if (auto st = two_in_one_class(m.l_classes())) {
        auto [s, t] = *st;
        std::string u = *m.path_left(s, t), v = *m.path_left(t, s);
        c.words = {{"s", m.word[s]}, {"t", m.word[t]}, {"u", u}, {"v", v}};
        add_context(d, c, m.word[s], m.word[t]);
        c.claim = fmt::format("s = {} and t = {} are distinct but L-equivalent: u s = t, v t = s (u = {}, v = {}); "
                              "x s z and x t z differ in membership",
                              show(m.word[s]), show(m.word[t]), show(u), show(v));
        return dec;
    }
    dec.holds = true;
    c.claim = fmt::format("all {} L-classes of the syntactic monoid are singletons", m.size());
    return dec;
}

Decision decide_aperiodic(const Dfa& d, const Monoid& m) {
    Decision dec{"aperiodic", false, {}};
    Certificate& c = dec.certificate;
    std::size_t index = 1;
    for (std::uint32_t x = 0; x < m.size(); ++x) {
        auto [mi, period] = m.power_index(x);
        index = std::max(index, mi);
        if (period == 1) continue;
        const Transformation& t = m.elements[x];
        for (std::uint32_t s = 0; s < m.n; ++s) {
            std::uint32_t p = s;
            for (std::size_t i = 0; i < m.n; ++i) p = t[p];  // now on a cycle of t
            std::size_t len = 1;
            for (std::uint32_t r = t[p]; r != p; r = t[r]) ++len;
            if (len == 1) continue;
            c.words = {{"u", m.word[x]}, {"x", access_words(d)[p]}, {"z", distinguisher(d, p, t[p])}};
            c.states = {{"p", p}};
            c.index = len;
            c.claim = fmt::format("p·u^k cycles with period {} from p = {} (u = {}): u^n and u^(n+1) are never "
                                  "equivalent, so the language is not star-free",
                                  len, p, m.word[x]);
            return dec;
        }
    }
    dec.holds = true;
    c.index = index;
    c.claim = fmt::format("x^{0} = x^{1} for all {2} elements of the syntactic monoid (star-free)", index, index + 1, m.size());
    return dec;
}

Decision decide_locally_testable(const Dfa& d, const Monoid& m) {
    Decision dec{"locally-testable", false, {}};
    Certificate& c = dec.certificate;
    std::size_t idempotents = 0;
    for (std::uint32_t e = 0; e < m.size(); ++e) {
        if (!m.in_semigroup(e) || !m.idempotent(e)) continue;
        ++idempotents;
        const auto [ese, from] = local_monoid(m, e);
        const std::string& E = m.semigroup_word(e);
        auto fail_with = [&](const std::string& w1, const std::string& w2, const std::string& what) {
            c.words.emplace_back("w1", w1);
            c.words.emplace_back("w2", w2);
            add_context(d, c, w1, w2);
            c.claim = fmt::format("e = {} is idempotent but {} (w1 = {}, w2 = {}); x w1 z and x w2 z differ in membership",
                                  E, what, w1, w2);
            return dec;
        };
        for (std::size_t i = 0; i < ese.size(); ++i) {
            std::string S = E + m.semigroup_word(from[i]) + E;
            if (!m.idempotent(ese[i])) {
                c.words = {{"e", E}, {"s", m.semigroup_word(from[i])}};
                return fail_with(S + S, S, "(e s e)^2 != e s e");
            }
            for (std::size_t j = 0; j < i; ++j)
                if (m.multiply(ese[i], ese[j]) != m.multiply(ese[j], ese[i])) {
                    std::string T = E + m.semigroup_word(from[j]) + E;
                    c.words = {{"e", E}, {"s", m.semigroup_word(from[i])}, {"t", m.semigroup_word(from[j])}};
                    return fail_with(S + T, T + S, "e s e and e t e do not commute");
                }
        }
    }
    dec.holds = true;
    c.claim = fmt::format("for each of the {} idempotents e of the syntactic semigroup, eSe is idempotent and commutative",
                          idempotents);
    return dec;
}

Decision decide_locally_r_trivial(const Dfa& d, const Monoid& m) {
    // For each idempotent e of the semigroup, the local monoid eSe (identity e) must be
    // R-trivial: (p q)^w p = (p q)^w for all p, q in eSe, w the idempotent power.
    Decision dec{"locally-R-trivial", false, {}};
    Certificate& c = dec.certificate;
    std::size_t idempotents = 0;
    for (std::uint32_t e = 0; e < m.size(); ++e) {
        if (!m.in_semigroup(e) || !m.idempotent(e)) continue;
        ++idempotents;
        const auto [ese, from] = local_monoid(m, e);
        const std::string& E = m.semigroup_word(e);
        for (std::size_t i = 0; i < ese.size(); ++i)
            for (std::size_t j = 0; j < ese.size(); ++j) {
                std::uint32_t xy = m.multiply(ese[i], ese[j]), w = xy;
                std::size_t k = 1;
                while (!m.idempotent(w)) {
                    w = m.multiply(w, xy);
                    ++k;
                }
                if (m.multiply(w, ese[i]) == w) continue;
                const std::string X = E + m.semigroup_word(from[i]) + E, Y = E + m.semigroup_word(from[j]) + E;
                std::string w2;
                for (std::size_t r = 0; r < k; ++r) w2 += X + Y;
                const std::string w1 = w2 + X;
                c.words = {{"e", E}, {"s", m.semigroup_word(from[i])}, {"t", m.semigroup_word(from[j])}};
                c.words.emplace_back("w1", w1);
                c.words.emplace_back("w2", w2);
                add_context(d, c, w1, w2);
                c.index = k;
                c.claim = fmt::format("e = {} is idempotent, p = e s e and q = e t e (s = {}, t = {}), and (p q)^{} p != "
                                      "(p q)^{} with (p q)^{} idempotent: eSe is not R-trivial (w1 = (p q)^{} p, "
                                      "w2 = (p q)^{}; x w1 z and x w2 z differ in membership)",
                                      show(E), show(m.semigroup_word(from[i])), show(m.semigroup_word(from[j])), k, k, k,
                                      k, k);
                return dec;
            }
    }
    dec.holds = true;
    c.claim = fmt::format("for each of the {} idempotents e of the syntactic semigroup, the local monoid eSe is R-trivial",
                          idempotents);
    return dec;
}

Decision decide_piecewise_testable(const Dfa& d, const Monoid& m) {
    Decision dec{"piecewise-testable", false, {}};
    Certificate& c = dec.certificate;
    if (auto st = two_in_one_class(m.j_classes())) {
        auto [s, t] = *st;
        auto [u1, v1] = *m.path_two_sided(s, t);
        auto [u2, v2] = *m.path_two_sided(t, s);
        c.words = {{"s", m.word[s]}, {"t", m.word[t]}, {"u1", u1}, {"v1", v1}, {"u2", u2}, {"v2", v2}};
        add_context(d, c, m.word[s], m.word[t]);
        c.claim = fmt::format("s = {} and t = {} are distinct but J-equivalent: u1 s v1 = t and u2 t v2 = s "
                              "(u1 = {}, v1 = {}, u2 = {}, v2 = {}), so the monoid is not J-trivial",
                              show(m.word[s]), show(m.word[t]), show(u1), show(v1), show(u2), show(v2));
        return dec;
    }
    dec.holds = true;
    c.claim = fmt::format("all {} J-classes of the syntactic monoid are singletons (Simon)", m.size());
    return dec;
}

std::vector<Decision> decide_all(const Dfa& d) {
    Monoid m = transition_monoid(d);
    return {decide_definite(d),         decide_reverse_definite(d),     decide_r_trivial(d),
            decide_l_trivial(d, m),     decide_aperiodic(d, m),         decide_locally_testable(d, m),
            decide_piecewise_testable(d, m), decide_locally_r_trivial(d, m)};
}

}  // namespace ahat::lang
