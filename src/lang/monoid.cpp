// Transition monoid by breadth-first search over words; Green's classes by strongly
// connected components of the Cayley graphs.
#include "lang/monoid.hpp"

#include <algorithm>
#include <deque>
#include <functional>

#include "support/error.hpp"

namespace ahat::lang {

std::size_t Monoid::Hash::operator()(const Transformation& t) const {
    std::size_t h = 1469598103934665603ULL;
    for (auto q : t) h = (h ^ q) * 1099511628211ULL;
    return h;
}

const std::string& Monoid::semigroup_word(std::uint32_t x) const {
    static const std::string none;
    if (x == 0) return nonempty_identity ? *nonempty_identity : none;
    return word[x];
}

std::optional<std::uint32_t> Monoid::find(const Transformation& t) const {
    auto it = index.find(t);
    if (it == index.end()) return std::nullopt;
    return it->second;
}

std::uint32_t Monoid::multiply(std::uint32_t x, std::uint32_t y) const {
    Transformation t(n);
    for (std::size_t q = 0; q < n; ++q) t[q] = elements[y][elements[x][q]];
    return index.at(t);
}

std::pair<std::size_t, std::size_t> Monoid::power_index(std::uint32_t x) const {
    std::vector<std::uint32_t> powers{x};  // powers[i] = x^(i+1)
    for (;;) {
        std::uint32_t next = multiply(powers.back(), x);
        auto it = std::find(powers.begin(), powers.end(), next);
        if (it != powers.end()) {
            std::size_t m = static_cast<std::size_t>(it - powers.begin()) + 1;
            return {m, powers.size() + 1 - m};
        }
        powers.push_back(next);
    }
}

namespace {

// Tarjan's SCCs (iterative) over a graph given by successor lists.
std::vector<std::uint32_t> scc(std::size_t n, const std::function<void(std::uint32_t, std::vector<std::uint32_t>&)>& succ) {
    std::vector<std::uint32_t> comp(n, UINT32_MAX), low(n), num(n, UINT32_MAX), stack;
    std::vector<bool> on(n, false);
    std::uint32_t counter = 0, comps = 0;
    struct Frame {
        std::uint32_t v;
        std::vector<std::uint32_t> next;
        std::size_t i = 0;
    };
    for (std::uint32_t root = 0; root < n; ++root) {
        if (num[root] != UINT32_MAX) continue;
        std::vector<Frame> call;
        auto enter = [&](std::uint32_t v) {
            num[v] = low[v] = counter++;
            stack.push_back(v);
            on[v] = true;
            Frame f{v, {}, 0};
            succ(v, f.next);
            call.push_back(std::move(f));
        };
        enter(root);
        while (!call.empty()) {
            Frame& f = call.back();
            if (f.i < f.next.size()) {
                std::uint32_t w = f.next[f.i++];
                if (num[w] == UINT32_MAX) enter(w);
                else if (on[w]) low[f.v] = std::min(low[f.v], num[w]);
                continue;
            }
            std::uint32_t v = f.v;
            if (low[v] == num[v]) {
                for (;;) {
                    std::uint32_t w = stack.back();
                    stack.pop_back();
                    on[w] = false;
                    comp[w] = comps;
                    if (w == v) break;
                }
                ++comps;
            }
            call.pop_back();
            if (!call.empty()) low[call.back().v] = std::min(low[call.back().v], low[v]);
        }
    }
    return comp;
}

}  // namespace

std::vector<std::uint32_t> Monoid::r_classes() const {
    return scc(size(), [&](std::uint32_t x, std::vector<std::uint32_t>& out) { out = right[x]; });
}
std::vector<std::uint32_t> Monoid::l_classes() const {
    return scc(size(), [&](std::uint32_t x, std::vector<std::uint32_t>& out) { out = left[x]; });
}
std::vector<std::uint32_t> Monoid::j_classes() const {
    return scc(size(), [&](std::uint32_t x, std::vector<std::uint32_t>& out) {
        out = right[x];
        out.insert(out.end(), left[x].begin(), left[x].end());
    });
}

namespace {

// The labels of a shortest path x -> y in a graph on `nodes` nodes with `labels` edges out of
// each node (step(v, a) = the end of edge a), in the order the path takes them; nullopt when
// y is unreachable. O(nodes · labels).
template <class Step>
std::optional<std::vector<std::uint32_t>> shortest_path(std::size_t nodes, std::uint32_t labels, Step step,
                                                        std::uint32_t x, std::uint32_t y) {
    std::vector<std::uint32_t> parent(nodes, UINT32_MAX), via(nodes, 0);
    std::deque<std::uint32_t> q{x};
    parent[x] = x;
    while (!q.empty()) {
        std::uint32_t v = q.front();
        q.pop_front();
        if (v == y) {
            std::vector<std::uint32_t> path;
            for (std::uint32_t r = v; r != x; r = parent[r]) path.push_back(via[r]);
            std::reverse(path.begin(), path.end());
            return path;
        }
        for (std::uint32_t a = 0; a < labels; ++a) {
            const std::uint32_t t = step(v, a);
            if (parent[t] == UINT32_MAX) {
                parent[t] = v;
                via[t] = a;
                q.push_back(t);
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> Monoid::path_right(std::uint32_t x, std::uint32_t y) const {
    const auto k = static_cast<std::uint32_t>(alphabet.size());
    auto path = shortest_path(size(), k, [&](std::uint32_t v, std::uint32_t a) { return right[v][a]; }, x, y);
    if (!path) return std::nullopt;
    std::string w;
    for (std::uint32_t a : *path) w += alphabet[a];
    return w;
}

std::optional<std::string> Monoid::path_left(std::uint32_t x, std::uint32_t y) const {
    const auto k = static_cast<std::uint32_t>(alphabet.size());
    auto path = shortest_path(size(), k, [&](std::uint32_t v, std::uint32_t a) { return left[v][a]; }, x, y);
    if (!path) return std::nullopt;
    std::string u;  // each step prepends its letter: the last step is the leftmost letter
    for (auto it = path->rbegin(); it != path->rend(); ++it) u += alphabet[*it];
    return u;
}

std::optional<std::pair<std::string, std::string>> Monoid::path_two_sided(std::uint32_t x, std::uint32_t y) const {
    // Labels 0..k-1 are right steps, k..2k-1 left steps.
    const auto k = static_cast<std::uint32_t>(alphabet.size());
    auto path = shortest_path(
        size(), 2 * k, [&](std::uint32_t v, std::uint32_t a) { return a < k ? right[v][a] : left[v][a - k]; }, x, y);
    if (!path) return std::nullopt;
    std::string u, w;
    for (auto it = path->rbegin(); it != path->rend(); ++it)
        if (*it >= k) u += alphabet[*it - k];
    for (std::uint32_t a : *path)
        if (a < k) w += alphabet[a];
    return std::make_pair(u, w);
}

Monoid transition_monoid(const Dfa& d, std::size_t limit) {
    check_dfa(d);
    Monoid m;
    m.alphabet = d.alphabet;
    m.n = d.states();
    const std::size_t k = d.alphabet.size();
    Transformation id(m.n);
    for (std::size_t q = 0; q < m.n; ++q) id[q] = static_cast<std::uint32_t>(q);
    m.elements.push_back(id);
    m.word.emplace_back();
    m.index.emplace(id, 0);
    for (std::size_t i = 0; i < m.elements.size(); ++i) {
        m.right.emplace_back(k);
        for (std::size_t a = 0; a < k; ++a) {
            Transformation t(m.n);
            for (std::size_t q = 0; q < m.n; ++q) t[q] = d.delta[m.elements[i][q]][a];
            auto [it, fresh] = m.index.emplace(t, static_cast<std::uint32_t>(m.elements.size()));
            if (fresh) {
                if (m.elements.size() >= limit)
                    fail(SourceLoc{}, "the transition monoid has more than {} elements", limit);
                m.elements.push_back(std::move(t));
                m.word.push_back(m.word[i] + d.alphabet[a]);
            } else if (it->second == 0 && !m.nonempty_identity) {
                m.nonempty_identity = m.word[i] + d.alphabet[a];
            }
            m.right[i][a] = it->second;
        }
    }
    m.left.assign(m.size(), std::vector<std::uint32_t>(k));
    for (std::size_t a = 0; a < k; ++a) {
        std::uint32_t letter = m.right[0][a];
        for (std::uint32_t x = 0; x < m.size(); ++x) m.left[x][a] = m.multiply(letter, x);
    }
    return m;
}

}  // namespace ahat::lang
