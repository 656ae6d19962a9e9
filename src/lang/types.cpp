#include "lang/types.hpp"

#include <algorithm>
#include <set>

namespace ahat::lang {
namespace {

constexpr std::uint32_t kSetTag = 0xffffffffu;   // keys of hash-consed sets (for S pairs)
constexpr std::uint32_t kSep = 0xfffffffeu;      // separates the parts of a key
constexpr std::uint32_t kEosLetter = 0xfffffffdu;

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

// Every word up to max_len in shortlex order.
std::vector<std::string> shortlex(const std::string& alphabet, std::size_t max_len) {
    std::vector<std::string> out{""};
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i].size() < max_len)
            for (char c : alphabet) out.push_back(out[i] + c);
    return out;
}

}  // namespace

TypeRefiner::TypeRefiner(const Model& m, std::string alphabet) : model_(m), alphabet_(std::move(alphabet)) {}

std::size_t TypeRefiner::KeyHash::operator()(const std::vector<std::uint32_t>& key) const noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ key.size();
    for (std::uint32_t x : key) h = (h ^ x) * 0x100000001b3ull, h ^= h >> 29;
    return static_cast<std::size_t>(h);
}

// The id of KEY: the next free one when KEY is new (ids follow first appearance).
std::uint32_t TypeRefiner::intern(const std::vector<std::uint32_t>& key) {
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(keys_.size());
    ids_.emplace(key, id);
    keys_.push_back(key);
    return id;
}

std::vector<std::uint32_t> TypeRefiner::types(std::string_view w, std::uint32_t depth) {
    std::size_t n = w.size();
    std::vector<std::uint32_t> letter(n + 1, kEosLetter);
    for (std::size_t i = 0; i < n; ++i) {
        auto at = alphabet_.find(w[i]);
        letter[i] = at == std::string::npos ? static_cast<std::uint32_t>(alphabet_.size()) : static_cast<std::uint32_t>(at);
    }
    std::vector<std::uint32_t> t(n + 1);
    for (std::size_t i = 0; i <= n; ++i) t[i] = intern({0, letter[i]});
    bool past = model_.kind == ModelKind::Global || model_.kind == ModelKind::Hybrid;
    bool window = model_.kind == ModelKind::Local || model_.kind == ModelKind::Hybrid;
    std::vector<std::uint32_t> key, win, seen;
    for (std::uint32_t r = 1; r <= depth; ++r) {
        std::vector<std::uint32_t> next(n + 1);
        // type_{r-1} over j < i, sorted: with multiplicities when exact (averages see them),
        // each type once otherwise. Kept sorted as i advances (no copy of a multiset per i).
        seen.clear();
        for (std::size_t i = 0; i <= n; ++i) {
            key.assign({r, letter[i], kSep});
            if (past) key.insert(key.end(), seen.begin(), seen.end());
            key.push_back(kSep);
            if (window) {
                win.clear();
                for (std::size_t j = i; j > 0 && i - j < model_.k; --j) win.push_back(t[j - 1]);
                std::sort(win.begin(), win.end());
                if (!model_.exact) win.erase(std::unique(win.begin(), win.end()), win.end());
                key.insert(key.end(), win.begin(), win.end());
            }
            if (model_.kind == ModelKind::Rightmost) {
                std::vector<std::uint32_t> pairs, between;
                for (std::size_t j = i; j-- > 0;) {
                    std::vector<std::uint32_t> set_key{kSetTag};
                    set_key.insert(set_key.end(), between.begin(), between.end());
                    pairs.push_back(t[j]);
                    pairs.push_back(intern(set_key));
                    between = sorted_unique([&] { auto b = between; b.push_back(t[j]); return b; }());
                }
                std::vector<std::pair<std::uint32_t, std::uint32_t>> ps;
                for (std::size_t x = 0; x < pairs.size(); x += 2) ps.emplace_back(pairs[x], pairs[x + 1]);
                std::sort(ps.begin(), ps.end());
                ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
                for (auto [a, b] : ps) key.insert(key.end(), {a, b});
            }
            next[i] = intern(key);
            if (past) {
                const auto at = std::upper_bound(seen.begin(), seen.end(), t[i]);
                if (model_.exact || at == seen.begin() || *(at - 1) != t[i]) seen.insert(at, t[i]);
            }
        }
        t = std::move(next);
    }
    return t;
}

std::uint32_t TypeRefiner::eos_type(std::string_view w, std::uint32_t depth) { return types(w, depth).back(); }

TypeRefiner::Parts TypeRefiner::describe(std::uint32_t t) const {
    const auto& key = keys_.at(t);
    Parts p;
    p.depth = key[0];
    p.letter = key[1] == kEosLetter ? -1 : static_cast<std::int32_t>(key[1]);
    if (p.depth == 0) return p;
    std::size_t i = 3;
    for (; key[i] != kSep; ++i) p.past.push_back(key[i]);
    for (++i; i < key.size(); ++i) p.window.push_back(key[i]);
    return p;
}

std::optional<WitnessPair> find_witness(const Model& m, const std::string& alphabet, const Membership& member,
                                        std::size_t max_len, std::uint32_t depth) {
    TypeRefiner tr(m, alphabet);
    std::map<std::uint32_t, std::pair<std::optional<std::string>, std::optional<std::string>>> groups;
    for (const auto& w : shortlex(alphabet, max_len)) {
        auto& g = groups[tr.eos_type(w, depth)];
        bool in = member(w);
        (in ? g.first : g.second) = (in ? g.first : g.second).value_or(w);
        if (g.first && g.second) return WitnessPair{*g.first, *g.second, depth};
    }
    return std::nullopt;
}

std::uint32_t agreement_depth(const Model& m, const std::string& alphabet, std::string_view x, std::string_view y,
                              std::uint32_t max_depth) {
    TypeRefiner tr(m, alphabet);
    std::uint32_t r = 0;
    while (r < max_depth && tr.eos_type(x, r + 1) == tr.eos_type(y, r + 1)) ++r;
    if (r == 0 && tr.eos_type(x, 0) != tr.eos_type(y, 0)) return 0;
    return r;
}

std::optional<RotationFamily> rotation_family(std::uint32_t k, const std::string& alphabet, const Membership& member,
                                              std::size_t degree, bool counted) {
    if (k < 2) return std::nullopt;
    auto letters = [&](const std::string& s) {
        std::string l;
        if (counted) {  // the letters of a window of k: u repeated k/|u| times, sorted
            for (std::size_t i = 0; i < k / s.size(); ++i) l += s;
            std::sort(l.begin(), l.end());
            return l;
        }
        l = s;
        std::sort(l.begin(), l.end());
        l.erase(std::unique(l.begin(), l.end()), l.end());
        return l;
    };
    auto power = [&](const std::string& u) {  // u^m with |u| m >= degree (membership is then fixed)
        std::string w;
        while (w.size() < std::max<std::size_t>(degree, 1)) w += u;
        return w;
    };
    std::vector<std::string> words = shortlex(alphabet, std::min<std::size_t>(k, 4));
    for (const auto& u : words)
        for (const auto& v : words)
            if (!u.empty() && !v.empty() && (!counted || (k % u.size() == 0 && k % v.size() == 0)) &&
                letters(u) == letters(v) && member(power(u)) && !member(power(v)))
                return RotationFamily{u, v};
    return std::nullopt;
}

}  // namespace ahat::lang
