#include "lang/synth.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "lang/classes.hpp"
#include "lang/generate.hpp"
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

// Characteristic formulas of local window types: chi(t) holds exactly at the positions of type t.
// Sets: letter & (Y<=k chi(s) for each s) & !Y<=k !(chi(s1) | ...). Multisets (counted): letter &
// [#<=k chi(s) = mult(s)] for each s & [#<=k true = |window|].
struct Characters {
    Formula& f;
    TypeRefiner& tr;
    const std::string& alphabet;
    std::uint32_t k;
    bool counted;
    std::map<std::uint32_t, std::uint32_t> memo;

    std::uint32_t operator()(std::uint32_t t) {
        if (auto it = memo.find(t); it != memo.end()) return it->second;
        TypeRefiner::Parts p = tr.describe(t);
        std::uint32_t x = p.letter < 0 ? f.s_neg(letter_set(f, alphabet)) : f.atom(alphabet[static_cast<std::size_t>(p.letter)]);
        if (p.depth > 0 && counted) {
            std::map<std::uint32_t, long long> mult;
            for (std::uint32_t s : p.window) ++mult[s];
            for (const auto& [s, m] : mult) x = f.s_and(x, f.count(Comparison{k, {{1, (*this)(s)}}, -m, Rel::Eq}));
            x = f.s_and(x, f.count(Comparison{k, {{1, f.top()}}, -static_cast<long long>(p.window.size()), Rel::Eq}));
        } else if (p.depth > 0) {
            std::uint32_t any = f.bottom();
            for (std::uint32_t s : p.window) {
                std::uint32_t c = (*this)(s);
                x = f.s_and(x, f.within(k, c));
                any = f.s_or(any, c);
            }
            x = f.s_and(x, f.s_neg(f.within(k, f.s_neg(any))));
        }
        return memo[t] = x;
    }
};

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
                                            std::uint32_t max_depth, std::size_t max_words, bool counted) {
    Model m;
    m.kind = ModelKind::Local;
    m.k = k;
    m.exact = counted;
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
        Characters chi{f, tr, d.alphabet, k, counted, {}};
        // the union of the accepted types, or the complement of the rejected ones, whichever
        // has fewer types (every $-type of a long enough word is among those seen)
        std::size_t accepted = 0;
        for (const auto& [t, in] : verdict) accepted += in ? 1 : 0;
        bool positive = 2 * accepted <= verdict.size();
        std::uint32_t root = f.bottom();
        for (const auto& [t, in] : verdict)
            if (in == positive) root = f.s_or(root, chi(t));
        f.root = positive ? root : f.s_neg(root);
        return WindowFormula{std::move(f), r};
    }
    return std::nullopt;
}

std::optional<WindowFormula> profile_formula(const Dfa& d, std::uint32_t k, std::uint32_t max_depth,
                                             std::size_t max_states) {
    Model m;
    m.kind = ModelKind::Local;
    m.k = k;
    using Profiles = std::map<std::pair<std::uint32_t, std::vector<std::uint32_t>>, bool>;  // (EOS type, seen) -> in L
    for (std::uint32_t r = 0; r <= max_depth; ++r) {
        TypeRefiner tr(m, d.alphabet);
        std::size_t keep = std::size_t{k} * r + 1;
        bool over_budget = false;
        // The profiles with only the position types in `tracked`, over every reachable triple
        // (state, last kr+1 letters, tracked types seen); on a conflict (one profile, different
        // membership) returns the two words.
        auto explore = [&](const std::set<std::uint32_t>& tracked,
                           Profiles& profile) -> std::optional<std::pair<std::string, std::string>> {
            using Key = std::tuple<std::uint32_t, std::string, std::vector<std::uint32_t>>;
            std::map<Key, bool> states;
            std::vector<Key> queue{Key{d.start, "", {}}};
            std::vector<std::string> word{""};  // a word reaching each queued triple
            states[queue[0]] = true;
            profile.clear();
            std::map<std::pair<std::uint32_t, std::vector<std::uint32_t>>, std::size_t> first;
            for (std::size_t i = 0; i < queue.size(); ++i) {
                auto [q, suffix, seen] = queue[i];
                auto key = std::make_pair(tr.eos_type(suffix, r), seen);
                auto [it, fresh] = profile.emplace(key, d.accepting[q]);
                if (fresh) first[key] = i;
                if (!fresh && it->second != d.accepting[q]) return std::make_pair(word[first[key]], word[i]);
                for (std::size_t a = 0; a < d.alphabet.size(); ++a) {
                    std::string w = suffix + d.alphabet[a];
                    std::uint32_t t = tr.types(w, r)[w.size() - 1];
                    std::vector<std::uint32_t> s2 = seen;
                    if (tracked.count(t) && !std::binary_search(s2.begin(), s2.end(), t))
                        s2.insert(std::lower_bound(s2.begin(), s2.end(), t), t);
                    if (w.size() > keep) w.erase(0, w.size() - keep);
                    Key next{d.delta[q][a], w, s2};
                    if (states.emplace(next, true).second) {
                        if (states.size() > max_states) {
                            over_budget = true;
                            return std::make_pair(std::string(), std::string());
                        }
                        queue.push_back(std::move(next));
                        word.push_back(word[i] + d.alphabet[a]);
                    }
                }
            }
            return std::nullopt;
        };
        auto all_seen = [&](const std::string& w) {
            std::vector<std::uint32_t> t = tr.types(w, r);
            return std::set<std::uint32_t>(t.begin(), t.end() - 1);
        };
        // Start with no tracked type; each conflict adds one type that tells its words apart,
        // until the profiles are consistent or the full profiles conflict (not at this depth).
        std::set<std::uint32_t> tracked;
        Profiles profile;
        bool consistent = false;
        while (auto conflict = explore(tracked, profile)) {
            if (over_budget) return std::nullopt;  // deeper profiles only have more triples
            std::set<std::uint32_t> x = all_seen(conflict->first), y = all_seen(conflict->second);
            std::optional<std::uint32_t> pick;
            for (std::uint32_t t : x)
                if (!pick && !y.count(t) && !tracked.count(t)) pick = t;
            for (std::uint32_t t : y)
                if (!pick && !x.count(t) && !tracked.count(t)) pick = t;
            if (!pick) break;
            tracked.insert(*pick);
        }
        consistent = !over_budget && !explore(tracked, profile);
        if (!consistent) continue;
        // then drop every tracked type that the profiles do not need (fewer, shorter literals)
        for (std::uint32_t t : std::vector<std::uint32_t>(tracked.begin(), tracked.end())) {
            std::set<std::uint32_t> fewer = tracked;
            fewer.erase(t);
            Profiles trial;
            if (!explore(fewer, trial) && !over_budget) tracked = std::move(fewer);
            over_budget = false;
        }
        explore(tracked, profile);
        // features: bit 0..: [EOS type = t] for the EOS types, then [t seen] for the position types
        std::map<std::uint32_t, std::size_t> eos_bit, seen_bit;
        for (const auto& [key, in] : profile) eos_bit.emplace(key.first, 0);
        for (const auto& [key, in] : profile)
            for (std::uint32_t t : key.second) seen_bit.emplace(t, 0);
        std::size_t bits = 0;
        for (auto& [t, b] : eos_bit) b = bits++;
        for (auto& [t, b] : seen_bit) b = bits++;
        using Bits = std::vector<bool>;
        std::vector<Bits> accept, reject;
        for (const auto& [key, in] : profile) {
            Bits v(bits, false);
            v[eos_bit[key.first]] = true;
            for (std::uint32_t t : key.second) v[seen_bit[t]] = true;
            (in ? accept : reject).push_back(std::move(v));
        }
        // a conjunct: bit -> required value; greedily drop literals while no rejecting profile fits
        using Conjunct = std::map<std::size_t, bool>;
        auto fits = [](const Conjunct& c, const Bits& v) {
            for (const auto& [b, val] : c)
                if (v[b] != val) return false;
            return true;
        };
        std::vector<Conjunct> cover;
        for (const Bits& a : accept) {
            bool covered = false;
            for (const auto& c : cover) covered = covered || fits(c, a);
            if (covered) continue;
            Conjunct c;
            for (std::size_t b = 0; b < bits; ++b) c[b] = a[b];
            for (bool positive : {false, true})  // negative literals go first: short positive cores remain
                for (std::size_t b = 0; b < bits; ++b) {
                    if (!c.count(b) || c.at(b) != positive) continue;
                    Conjunct trial = c;
                    trial.erase(b);
                    bool clean = true;
                    for (const Bits& x : reject) clean = clean && !fits(trial, x);
                    if (clean) c = std::move(trial);
                }
            cover.push_back(std::move(c));
        }
        Formula f;
        Characters chi{f, tr, d.alphabet, k, false, {}};
        std::vector<std::uint32_t> feature(bits);
        for (const auto& [t, b] : eos_bit) feature[b] = chi(t);
        for (const auto& [t, b] : seen_bit) feature[b] = f.past(chi(t));
        std::uint32_t root = f.bottom();
        for (const auto& c : cover) {
            std::uint32_t x = f.top();
            for (const auto& [b, val] : c) x = f.s_and(x, val ? feature[b] : f.s_neg(feature[b]));
            root = f.s_or(root, x);
        }
        f.root = root;
        std::uint32_t depth = temporal_depth(f);
        return WindowFormula{std::move(f), depth};
    }
    return std::nullopt;
}

std::optional<Formula> smallest_formula(const Dfa& d, bool past, std::uint32_t window, std::size_t max_size) {
    constexpr std::size_t kMaxPositions = 12000, kMaxFormulas = 40000, kMaxPairs = 400000;
    const std::string& alphabet = d.alphabet;
    // the words whose positions give each formula its meaning: every word up to N
    std::size_t n_check = std::max<std::size_t>({3 * std::size_t{window}, d.states() + 1, 4}), total = 0;
    for (std::size_t n = 0, count = 1; n <= n_check; ++n, count *= alphabet.size()) {
        total += count * (n + 1);
        if (total > kMaxPositions) n_check = n - 1;
    }
    std::vector<std::string> words = all_words(alphabet, n_check);
    std::vector<std::size_t> start;  // first bit of each word's positions 0..|w|
    std::size_t bits = 0;
    for (const auto& w : words) start.push_back(bits), bits += w.size() + 1;
    using Sig = std::vector<std::uint64_t>;
    std::size_t blocks = (bits + 63) / 64;
    auto get = [](const Sig& s, std::size_t b) { return (s[b / 64] >> (b % 64)) & 1u; };
    auto set = [](Sig& s, std::size_t b) { s[b / 64] |= std::uint64_t{1} << (b % 64); };
    Sig valid(blocks, 0), target(blocks, 0), at_end(blocks, 0);
    for (std::size_t b = 0; b < bits; ++b) set(valid, b);
    for (std::size_t w = 0; w < words.size(); ++w) {
        std::size_t end = start[w] + words[w].size();
        set(at_end, end);
        if (d.accepts(words[w])) set(target, end);
    }
    struct Node {
        char op;  // 'a' atom (letter), 't' true, '!', '&', '|', 'Y' (the window), 'P'
        char letter = 0;
        std::uint32_t x = 0, y = 0;
    };
    std::vector<Node> nodes;
    std::vector<Sig> sigs;
    std::vector<std::vector<std::uint32_t>> by_size(max_size + 1);
    std::map<Sig, std::uint32_t> seen;
    std::optional<Formula> found;
    auto to_formula = [&](std::uint32_t id) {
        Formula f;
        std::function<std::uint32_t(std::uint32_t)> build = [&](std::uint32_t i) -> std::uint32_t {
            const Node& n = nodes[i];
            switch (n.op) {
                case 'a': return f.atom(n.letter);
                case 't': return f.top();
                case '!': return f.neg(build(n.x));
                case '&': return f.conj(build(n.x), build(n.y));
                case '|': return f.disj(build(n.x), build(n.y));
                case 'P': return f.past(build(n.x));
                default: return f.within(window, build(n.x));
            }
        };
        f.root = build(id);
        return f;
    };
    auto offer = [&](Node n, Sig s, std::size_t size) {
        for (std::size_t b = 0; b < blocks; ++b) s[b] &= valid[b];
        if (!seen.emplace(s, static_cast<std::uint32_t>(nodes.size())).second) return;
        bool match = true;
        for (std::size_t b = 0; b < blocks && match; ++b) match = ((s[b] ^ target[b]) & at_end[b]) == 0;
        nodes.push_back(n);
        sigs.push_back(std::move(s));
        auto id = static_cast<std::uint32_t>(nodes.size() - 1);
        by_size[size].push_back(id);
        if (!match || found) return;
        Formula f = to_formula(id);  // complete check: the formula's automaton is L's
        try {
            if (!distinguishing_word(ltl_dfa(f, alphabet, 5000), d)) found = std::move(f);
        } catch (const InputError&) {
        }
    };
    for (char c : alphabet) {
        Sig s(blocks, 0);
        for (std::size_t w = 0; w < words.size(); ++w)
            for (std::size_t i = 0; i < words[w].size(); ++i)
                if (words[w][i] == c) set(s, start[w] + i);
        offer(Node{'a', c}, std::move(s), 1);
    }
    offer(Node{'t'}, valid, 1);
    std::size_t pairs = 0;
    for (std::size_t size = 2; size <= max_size && !found; ++size) {
        for (std::uint32_t x : std::vector<std::uint32_t>(by_size[size - 1])) {
            if (found || nodes.size() > kMaxFormulas) break;
            Sig neg(blocks);
            for (std::size_t b = 0; b < blocks; ++b) neg[b] = ~sigs[x][b];
            offer(Node{'!', 0, x}, std::move(neg), size);
            for (char op : {'Y', 'P'}) {
                if ((op == 'Y' && window == 0) || (op == 'P' && !past)) continue;
                Sig reach(blocks, 0);
                for (std::size_t w = 0; w < words.size(); ++w)
                    for (std::size_t i = 1; i <= words[w].size(); ++i)
                        for (std::size_t j = i; j > 0 && (op == 'P' || i - j < window); --j)
                            if (get(sigs[x], start[w] + j - 1)) {
                                set(reach, start[w] + i);
                                break;
                            }
                offer(Node{op, 0, x}, std::move(reach), size);
            }
        }
        for (std::size_t left = 1; left + 1 + left <= size && !found; ++left) {
            std::size_t right = size - 1 - left;
            std::vector<std::uint32_t> xs = by_size[left], ys = by_size[right];
            for (std::size_t i = 0; i < xs.size() && !found; ++i)
                for (std::size_t j = left == right ? i + 1 : 0; j < ys.size() && !found; ++j) {
                    if (++pairs > kMaxPairs || nodes.size() > kMaxFormulas) return std::nullopt;
                    Sig a(blocks), o(blocks);
                    for (std::size_t b = 0; b < blocks; ++b) {
                        a[b] = sigs[xs[i]][b] & sigs[ys[j]][b];
                        o[b] = sigs[xs[i]][b] | sigs[ys[j]][b];
                    }
                    offer(Node{'&', 0, xs[i], ys[j]}, std::move(a), size);
                    offer(Node{'|', 0, xs[i], ys[j]}, std::move(o), size);
                }
        }
        if (nodes.size() > kMaxFormulas) break;
    }
    return found;
}

std::optional<Formula> exceptions_formula(const Dfa& d, std::uint32_t step) {
    // the words of a finite language: none of length >= states (a longer accepted word would
    // pump), so every word up to states - 1, or nullopt when some longer word is accepted
    auto finite_words = [](const Dfa& x) -> std::optional<std::vector<std::string>> {
        std::vector<bool> at(x.states(), false), live(x.states(), false);
        at[x.start] = true;
        for (std::size_t step = 0; step < x.states(); ++step) {  // states after exactly `states` letters
            std::vector<bool> next(x.states(), false);
            for (std::uint32_t q = 0; q < x.states(); ++q)
                if (at[q])
                    for (std::uint32_t t : x.delta[q]) next[t] = true;
            at = std::move(next);
        }
        for (std::uint32_t q = 0; q < x.states(); ++q) live[q] = x.accepting[q];
        for (bool changed = true; changed;) {  // states that reach an accepting one
            changed = false;
            for (std::uint32_t q = 0; q < x.states(); ++q)
                for (std::uint32_t t : x.delta[q])
                    if (live[t] && !live[q]) live[q] = changed = true;
        }
        for (std::uint32_t q = 0; q < x.states(); ++q)
            if (at[q] && live[q]) return std::nullopt;
        std::vector<std::string> out;
        for (const auto& w : all_words(x.alphabet, x.states() - 1))
            if (x.accepts(w)) out.push_back(w);
        if (out.size() > 64) return std::nullopt;
        return out;
    };
    bool negate = false;
    auto words = finite_words(d);
    if (!words) {
        words = finite_words(complement(d));
        negate = true;
    }
    if (!words) return std::nullopt;
    Formula f;
    std::uint32_t any = f.bottom();
    if (step == 1) {  // Y: the Y-chain of each word, ending at the first position
        for (const auto& w : *words) any = f.s_or(any, chain(f, w, f.s_neg(f.yesterday(f.top()))));
    } else {
        // O = P (step 0) or Y<=k (step k >= 2); both reach i-1 and never reach forward.
        auto op = [&](std::uint32_t x) { return step == 0 ? f.past(x) : f.within(step, x); };
        auto at_least = [&](std::size_t n) {  // O^n true: at least n earlier positions
            std::uint32_t x = f.top();
            for (std::size_t i = 0; i < n; ++i) x = op(x);
            return x;
        };
        // Words of one length n, as a trie from their last letter back: O(c & rest) for each
        // last letter c. At a position with exactly n earlier positions, a chain of n strictly
        // decreasing positions below it must be n-1, ..., 0, so the trie holds exactly when the
        // word before the position is one of them.
        std::function<std::uint32_t(const std::vector<std::string>&)> trie = [&](const std::vector<std::string>& ws) {
            if (ws.empty() || ws[0].empty()) return f.top();
            std::map<char, std::vector<std::string>> by_last;
            for (const auto& w : ws) by_last[w.back()].push_back(w.substr(0, w.size() - 1));
            std::uint32_t x = f.bottom();
            for (const auto& [c, rest] : by_last) x = f.s_or(x, op(f.s_and(f.atom(c), trie(rest))));
            return x;
        };
        std::map<std::size_t, std::vector<std::string>> by_length;
        for (const auto& w : *words) by_length[w.size()].push_back(w);
        for (const auto& [n, ws] : by_length)
            any = f.s_or(any, f.s_and(f.s_and(at_least(n), f.s_neg(at_least(n + 1))), trie(ws)));
    }
    f.root = negate ? f.s_neg(any) : any;
    return f;
}

std::optional<Formula> counting_formula(const std::string& alphabet, const std::function<bool(std::string_view)>& member,
                                        std::size_t max_len) {
    std::vector<std::string> words = all_words(alphabet, max_len);
    std::vector<bool> in;
    for (const auto& w : words) in.push_back(member(w));
    // literals, each a formula of its own; candidates are conjunctions of at most two
    std::vector<std::string> literals;
    std::size_t n = alphabet.size();
    std::size_t combos = 1;
    for (std::size_t i = 0; i < n; ++i) combos *= 3;
    for (std::size_t code = 0; code < combos; ++code) {
        std::string sum;
        bool any = false;
        for (std::size_t i = 0, c = code; i < n; ++i, c /= 3) {
            long coef = static_cast<long>(c % 3) - 1;
            if (coef == 0) continue;
            sum += fmt::format("{}{}#'{}'", any ? " " : "", coef < 0 ? "-" : (any ? "+" : ""), alphabet[i]);
            any = true;
        }
        if (!any) continue;
        for (const char* rel : {">", ">=", "="}) {
            literals.push_back(fmt::format("[{} {} 0]", sum, rel));
            literals.push_back(fmt::format("H[{} {} 0]", sum, rel));
        }
    }
    for (char x : alphabet)
        for (char y : alphabet)
            if (x != y) literals.push_back(fmt::format("!P('{}' & P '{}')", x, y));
    std::vector<std::string> candidates = literals;
    for (std::size_t i = 0; i < literals.size(); ++i)
        for (std::size_t j = i + 1; j < literals.size(); ++j) candidates.push_back(literals[i] + " & " + literals[j]);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    for (const auto& text : candidates) {
        Formula f = parse_ltl(text, "counting");
        bool ok = true;
        for (std::size_t i = 0; i < words.size() && ok; ++i) ok = accepts(f, words[i]) == in[i];
        if (ok) return f;
    }
    return std::nullopt;
}

}  // namespace ahat::lang
