// The built-in languages. Membership functions are written directly; regular languages
// also get the minimal DFA of their regular expression (tests check the two agree).
#include "lang/library.hpp"

#include <algorithm>

#include "lang/regex.hpp"

namespace ahat::lang {
namespace {

using Member = std::function<bool(std::string_view)>;

std::size_t count(std::string_view w, char c) { return static_cast<std::size_t>(std::count(w.begin(), w.end(), c)); }

Language regular(std::string name, std::string alphabet, std::string description, const std::string& regex, Member m) {
    Language l;
    l.name = std::move(name);
    l.alphabet = std::move(alphabet);
    l.description = std::move(description);
    l.source = "builtin regex: " + regex;
    l.member = std::move(m);
    l.dfa = compile_regex(regex, l.alphabet);
    return l;
}

Language nonregular(std::string name, std::string description, Member m,
                    std::function<std::optional<std::string>(std::size_t, std::mt19937_64&)> sample) {
    Language l;
    l.name = std::move(name);
    l.alphabet = "ab";
    l.description = std::move(description);
    l.source = "builtin";
    l.nonregular = true;
    l.member = std::move(m);
    l.sample_member = std::move(sample);
    return l;
}

std::string random_ab(std::size_t n, std::mt19937_64& rng) {
    std::string w(n, 'a');
    for (auto& c : w) c = (rng() & 1) ? 'b' : 'a';
    return w;
}

// n a's and n b's in uniformly random order.
std::string shuffled(std::size_t n, std::mt19937_64& rng) {
    std::string w = std::string(n, 'a') + std::string(n, 'b');
    std::shuffle(w.begin(), w.end(), rng);
    return w;
}

bool dyck(std::string_view w) {
    long depth = 0;
    for (char c : w) {
        depth += c == 'a' ? 1 : -1;
        if (depth < 0) return false;
    }
    return depth == 0;
}

// A uniform Dyck word with n pairs (cycle lemma: one rotation of n a's and n+1 b's is a
// Dyck word followed by b).
std::string random_dyck(std::size_t n, std::mt19937_64& rng) {
    std::string w = std::string(n, 'a') + std::string(n + 1, 'b');
    std::shuffle(w.begin(), w.end(), rng);
    long sum = 0, best = 1;
    std::size_t at = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        sum += w[i] == 'a' ? 1 : -1;
        if (sum < best) {
            best = sum;
            at = i + 1;
        }
    }
    std::rotate(w.begin(), w.begin() + static_cast<long>(at % w.size()), w.end());
    w.pop_back();
    return w;
}

std::vector<Language> build() {
    std::vector<Language> v;
    auto ends = [](std::string_view w, std::string_view s) { return w.size() >= s.size() && w.substr(w.size() - s.size()) == s; };
    auto from_end = [](std::string_view w, std::size_t k) { return w.size() >= k && w[w.size() - k] == 'a'; };
    auto subseq = [](std::string_view w, std::string_view s) {
        std::size_t i = 0;
        for (char c : w)
            if (i < s.size() && c == s[i]) ++i;
        return i == s.size();
    };
    v.push_back(regular("ends-a", "ab", "last letter is a (Σ*a)", "(a|b)*a", [=](auto w) { return from_end(w, 1); }));
    v.push_back(regular("starts-a", "ab", "first letter is a (aΣ*)", "a(a|b)*", [](auto w) { return !w.empty() && w[0] == 'a'; }));
    v.push_back(regular("second-last-a", "ab", "second-to-last letter is a (Σ*aΣ)", "(a|b)*a(a|b)", [=](auto w) { return from_end(w, 2); }));
    v.push_back(regular("third-last-a", "ab", "third-to-last letter is a (Σ*aΣ^2)", "(a|b)*a(a|b)(a|b)", [=](auto w) { return from_end(w, 3); }));
    v.push_back(regular("ends-ab", "ab", "ends with ab", "(a|b)*ab", [=](auto w) { return ends(w, "ab"); }));
    v.push_back(regular("last-two-equal", "ab", "the last two letters are equal", "(a|b)*(aa|bb)",
                        [](auto w) { return w.size() >= 2 && w[w.size() - 1] == w[w.size() - 2]; }));
    v.push_back(regular("contains-a", "ab", "contains an a (Σ*aΣ*)", "(a|b)*a(a|b)*", [](auto w) { return count(w, 'a') > 0; }));
    v.push_back(regular("at-least-two-a", "ab", "at least two a's", "(a|b)*a(a|b)*a(a|b)*", [](auto w) { return count(w, 'a') >= 2; }));
    v.push_back(regular("exactly-one-a", "ab", "exactly one a (b*ab*)", "b*ab*", [](auto w) { return count(w, 'a') == 1; }));
    v.push_back(regular("subseq-ab", "ab", "contains a...b as a subsequence", "(a|b)*a(a|b)*b(a|b)*", [=](auto w) { return subseq(w, "ab"); }));
    v.push_back(regular("subseq-aba", "ab", "contains a...b...a as a subsequence", "(a|b)*a(a|b)*b(a|b)*a(a|b)*",
                        [=](auto w) { return subseq(w, "aba"); }));
    v.push_back(regular("factor-ab", "ab", "contains ab as a factor", "(a|b)*ab(a|b)*",
                        [](auto w) { return w.find("ab") != std::string_view::npos; }));
    v.push_back(regular("factor-aa", "ab", "contains aa as a factor (Σ*aaΣ*)", "(a|b)*aa(a|b)*",
                        [](auto w) { return w.find("aa") != std::string_view::npos; }));
    v.push_back(regular("no-aa", "ab", "no aa factor", "(b|ab)*(a|())", [](auto w) { return w.find("aa") == std::string_view::npos; }));
    v.push_back(regular("a-before-b", "abc", "the first letter among a, b is a (c*aΣ*)", "c*a(a|b|c)*", [](auto w) {
        auto i = w.find_first_of("ab");
        return i != std::string_view::npos && w[i] == 'a';
    }));
    v.push_back(regular("starts-a-ends-b", "ab", "starts with a and ends with b (aΣ*b)", "a(a|b)*b",
                        [](auto w) { return w.size() >= 2 && w.front() == 'a' && w.back() == 'b'; }));
    v.push_back(regular("first-equals-last", "ab", "nonempty, first letter equals last letter", "a|b|a(a|b)*a|b(a|b)*b",
                        [](auto w) { return !w.empty() && w.front() == w.back(); }));
    v.push_back(regular("ab-star", "ab", "(ab)*", "(ab)*", [](auto w) {
        if (w.size() % 2) return false;
        for (std::size_t i = 0; i < w.size(); ++i)
            if (w[i] != (i % 2 ? 'b' : 'a')) return false;
        return true;
    }));
    v.push_back(regular("a-star-b-star", "ab", "a*b*", "a*b*", [](auto w) { return w.find("ba") == std::string_view::npos; }));
    v.push_back(regular("a-star", "ab", "only a's (a*)", "a*", [](auto w) { return count(w, 'b') == 0; }));
    v.push_back(regular("dyck-depth-2", "ab", "Dyck words (a opens, b closes) of depth at most 2", "(a(ab)*b)*", [](auto w) {
        long depth = 0;
        for (char c : w) {
            depth += c == 'a' ? 1 : -1;
            if (depth < 0 || depth > 2) return false;
        }
        return depth == 0;
    }));
    v.push_back(regular("parity", "ab", "an even number of a's", "(b*ab*a)*b*", [](auto w) { return count(w, 'a') % 2 == 0; }));
    v.push_back(regular("a-mod-3", "ab", "the number of a's is divisible by 3", "(b*ab*ab*a)*b*", [](auto w) { return count(w, 'a') % 3 == 0; }));
    v.push_back(regular("even-length-a", "ab", "(aa)*", "(aa)*", [](auto w) { return count(w, 'b') == 0 && w.size() % 2 == 0; }));
    v.push_back(regular("ab-ba-star", "ab", "(ab|ba)*", "(ab|ba)*", [](auto w) {
        for (std::size_t i = 0; i + 1 < w.size(); i += 2)
            if (w[i] == w[i + 1]) return false;
        return w.size() % 2 == 0;
    }));
    v.push_back(regular("length-mod-3", "ab", "length divisible by 3", "((a|b)(a|b)(a|b))*", [](auto w) { return w.size() % 3 == 0; }));

    v.push_back(nonregular("majority", "more a's than b's", [](auto w) { return count(w, 'a') > count(w, 'b'); },
                           [](std::size_t n, std::mt19937_64& rng) -> std::optional<std::string> {
                               if (n == 0) return std::nullopt;
                               for (;;) {
                                   std::string w = random_ab(n, rng);
                                   if (count(w, 'a') > count(w, 'b')) return w;
                               }
                           }));
    v.push_back(nonregular("equal-ab", "as many a's as b's", [](auto w) { return count(w, 'a') == count(w, 'b'); },
                           [](std::size_t n, std::mt19937_64& rng) -> std::optional<std::string> {
                               if (n % 2) return std::nullopt;
                               return shuffled(n / 2, rng);
                           }));
    v.push_back(nonregular("anbn", "a^n b^n", [](auto w) {
        std::size_t h = w.size() / 2;
        return w.size() % 2 == 0 && count(w.substr(0, h), 'a') == h && count(w.substr(h), 'b') == h;
    }, [](std::size_t n, std::mt19937_64&) -> std::optional<std::string> {
        if (n % 2) return std::nullopt;
        return std::string(n / 2, 'a') + std::string(n / 2, 'b');
    }));
    v.push_back(nonregular("dyck-1", "balanced brackets (a opens, b closes)", dyck,
                           [](std::size_t n, std::mt19937_64& rng) -> std::optional<std::string> {
                               if (n % 2) return std::nullopt;
                               return random_dyck(n / 2, rng);
                           }));
    v.push_back(nonregular("palindrome", "palindromes", [](auto w) { return std::equal(w.begin(), w.begin() + static_cast<long>(w.size() / 2), w.rbegin()); },
                           [](std::size_t n, std::mt19937_64& rng) -> std::optional<std::string> {
                               std::string h = random_ab((n + 1) / 2, rng);
                               std::string w = h;
                               w.append(h.rbegin() + static_cast<long>(n % 2), h.rend());
                               return w;
                           }));
    v.push_back(nonregular("square", "ww (a word repeated twice)", [](auto w) {
        return w.size() % 2 == 0 && w.substr(0, w.size() / 2) == w.substr(w.size() / 2);
    }, [](std::size_t n, std::mt19937_64& rng) -> std::optional<std::string> {
        if (n % 2) return std::nullopt;
        std::string h = random_ab(n / 2, rng);
        return h + h;
    }));
    return v;
}

}  // namespace

const std::vector<Language>& library() {
    static const std::vector<Language> languages = build();
    return languages;
}

const Language* find_language(std::string_view name) {
    for (const auto& l : library())
        if (l.name == name) return &l;
    return nullptr;
}

}  // namespace ahat::lang
