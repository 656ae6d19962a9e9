#include "lang/synth.hpp"

#include <map>
#include <set>

#include "lang/classes.hpp"
#include "lang/types.hpp"

namespace ahat::lang {
namespace {

std::uint32_t letter_set(Formula& f, const std::string& letters) {
    std::uint32_t x = f.bottom();
    for (char c : letters) x = f.s_or(x, f.atom(c));
    return x;
}

// Y(u_|u| & Y(... Y(u_1 & x))): x holds at the position of u's first letter, u ends just
// before the current position.
std::uint32_t chain(Formula& f, std::string_view u, std::uint32_t x) {
    for (char c : u) {
        x = f.s_and(f.atom(c), x);
        if (f[x].op == LtlOp::False) return x;
        x = f.yesterday(x);
    }
    return x;
}

std::uint32_t definite_rec(Formula& f, const Dfa& d, const std::string& v, std::size_t k,
                           std::map<std::string, std::uint32_t>& memo) {
    std::set<bool> outcomes;
    for (std::uint32_t q = 0; q < d.states(); ++q) outcomes.insert(d.accepting[d.run(q, v)]);
    if (outcomes.size() == 1) return *outcomes.begin() ? f.top() : f.bottom();
    if (v.size() >= k) return f.bottom();  // unreachable for a k-definite automaton
    // the word is exactly v ...
    std::uint32_t x = d.accepts(v) ? f.s_neg(f.yesterday(f.top())) : f.bottom();
    // ... or the letter c precedes v; letters with equal continuations share one Y
    std::map<std::uint32_t, std::string> by_rest;
    for (char c : d.alphabet) by_rest[definite_rec(f, d, std::string(1, c) + v, k, memo)] += c;
    for (const auto& [rest, letters] : by_rest) {
        if (f[rest].op == LtlOp::False) continue;
        std::uint32_t here = letters.size() == d.alphabet.size() ? rest : f.s_and(letter_set(f, letters), rest);
        x = f.s_or(x, f.yesterday(here));
    }
    return x;
}

// The LTL[P] formula of a po-DFA: at EOS, the run ends in an accepting state. stay(q, entered)
// holds at p when the run entered q at some j < p (the position where `entered` holds; from the
// start when q is the start) and stayed in q over j+1..p-1.
std::optional<std::uint32_t> r_trivial_into(Formula& f, const Dfa& d, std::size_t max_paths) {
    auto po = partial_order(d);
    if (!po) return std::nullopt;
    std::size_t paths = 0;
    std::uint32_t result = f.bottom();
    std::function<bool(std::uint32_t, std::optional<std::uint32_t>)> walk = [&](std::uint32_t q,
                                                                                std::optional<std::uint32_t> entered) {
        if (++paths > max_paths) return false;
        const std::string& loops = po->loop_letters[q];
        std::uint32_t stay = entered ? f.s_and(f.past(*entered),
                                               f.s_neg(f.past(f.s_and(f.past(*entered), f.s_neg(letter_set(f, loops))))))
                                     : f.historically(letter_set(f, loops));
        if (d.accepting[q]) result = f.s_or(result, stay);
        std::map<std::uint32_t, std::string> out;
        for (std::size_t a = 0; a < d.alphabet.size(); ++a)
            if (d.delta[q][a] != q) out[d.delta[q][a]] += d.alphabet[a];
        for (const auto& [t, letters] : out)
            if (!walk(t, f.s_and(letter_set(f, letters), stay))) return false;
        return true;
    };
    if (!walk(d.start, std::nullopt)) return std::nullopt;
    return result;
}

}  // namespace

Formula definite_formula(const Dfa& d, std::size_t k) {
    Formula f;
    std::map<std::string, std::uint32_t> memo;
    std::uint32_t root = definite_rec(f, d, "", k, memo);
    f.root = root;
    return f;
}

std::optional<Formula> r_trivial_formula(const Dfa& d, std::size_t max_paths) {
    Formula f;
    auto root = r_trivial_into(f, d, max_paths);
    if (!root) return std::nullopt;
    f.root = *root;
    return f;
}

std::optional<Formula> hybrid1_formula(const Dfa& d, std::size_t suffix_len) {
    Formula f;
    std::uint32_t x = f.bottom();
    std::vector<std::string> words{""};
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w.size() < suffix_len) {
            if (d.accepts(w)) x = f.s_or(x, chain(f, w, f.s_neg(f.yesterday(f.top()))));
            for (char c : d.alphabet) words.push_back(words[i] + c);
            continue;
        }
        auto psi = r_trivial_into(f, quotient_suffix(d, w), 4096);
        if (!psi) return std::nullopt;
        x = f.s_or(x, chain(f, w, *psi));
    }
    f.root = x;
    return f;
}

std::optional<WindowFormula> window_formula(const Dfa& d, std::uint32_t k, std::size_t degree,
                                            std::uint32_t max_depth, std::size_t max_words) {
    Model m;
    m.kind = ModelKind::Local;
    m.k = k;
    TypeRefiner tr(m, d.alphabet);
    for (std::uint32_t r = 0; r <= max_depth; ++r) {
        std::size_t len = std::max<std::size_t>(k * r + k, degree), total = 1, power = 1;
        for (std::size_t i = 0; i < len && total <= max_words; ++i) total += (power *= d.alphabet.size());
        if (total > max_words) return std::nullopt;
        std::map<std::uint32_t, bool> verdict;
        bool consistent = true;
        std::vector<std::string> words{""};
        for (std::size_t i = 0; i < words.size() && consistent; ++i) {
            bool in = d.accepts(words[i]);
            auto [it, fresh] = verdict.emplace(tr.eos_type(words[i], r), in);
            consistent = fresh || it->second == in;
            if (words[i].size() < len)
                for (char c : d.alphabet) words.push_back(words[i] + c);
        }
        if (!consistent) continue;
        Formula f;
        std::map<std::uint32_t, std::uint32_t> chi;
        std::function<std::uint32_t(std::uint32_t)> character = [&](std::uint32_t t) -> std::uint32_t {
            if (auto it = chi.find(t); it != chi.end()) return it->second;
            TypeRefiner::Parts p = tr.describe(t);
            std::uint32_t x = p.letter < 0 ? f.s_neg(letter_set(f, d.alphabet))
                                           : f.atom(d.alphabet[static_cast<std::size_t>(p.letter)]);
            if (p.depth > 0) {
                std::uint32_t any = f.bottom();
                for (std::uint32_t s : p.window) {
                    std::uint32_t c = character(s);
                    x = f.s_and(x, f.within(k, c));
                    any = f.s_or(any, c);
                }
                x = f.s_and(x, f.s_neg(f.within(k, f.s_neg(any))));
            }
            return chi[t] = x;
        };
        std::uint32_t root = f.bottom();
        for (const auto& [t, in] : verdict)
            if (in) root = f.s_or(root, character(t));
        f.root = root;
        return WindowFormula{std::move(f), r};
    }
    return std::nullopt;
}

}  // namespace ahat::lang
