// Tasks whose answer moves tokens between positions: sort, sort-unique, reverse, copy,
// induction, match, search. Every generator and solver is O(n) or O(n log n).
#include <algorithm>
#include <map>

#include "tasks/builders.hpp"

namespace ahat::tasks::detail {
namespace {

const std::vector<std::string> kLetters5 = letters(5);
const std::vector<std::string> kLetters8 = letters(8);
const std::vector<std::string> kLetters4 = letters(4);
const std::size_t kRange = 4;  // integer tokens lie in [0, kRange * n)

Task sort_task() {
    Task t = task("sort", "sort", kLetters5,
                  "sort the tokens (repeats allowed) in ascending order");
    t.generate = uniform(kLetters5);
    t.solve = [](const Tokens& in) {
        std::vector<std::string> s;
        for (const auto& v : in) s.push_back(text(v));
        std::sort(s.begin(), s.end());
        Tokens out;
        for (auto& x : s) out.push_back(str(std::move(x)));
        return out;
    };
    return t;
}

Task sort_unique_task() {
    Task t = task("sort-unique", "sort_unique", {},
                  "sort distinct integer tokens in ascending order");
    t.integer_range = kRange;
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        Tokens out;
        for (long long k : distinct_ints(n, kRange * n, rng)) out.push_back(num(k));
        return out;
    };
    t.solve = [](const Tokens& in) {
        std::vector<long long> s;
        for (const auto& v : in) s.push_back(integer(v));
        std::sort(s.begin(), s.end());
        Tokens out;
        for (long long k : s) out.push_back(num(k));
        return out;
    };
    t.not_compilable =
        "the target position counts the keys smaller than the query, select(tokens, tokens, <) "
        "on unbounded integers: {k : x_k < x_q} is the argmax set of no bilinear score whose "
        "weights are independent of n (a finite alphabet would make it a table)";
    return t;
}

Task reverse_task() {
    Task t = task("reverse", "reverse", kLetters8,
                  "the tokens in reverse order");
    t.generate = uniform(kLetters8);
    t.solve = [](const Tokens& in) { return Tokens(in.rbegin(), in.rend()); };
    return t;
}

// w | _ _ ...: |w| = (n-1)/2, the rest blanks.
Task copy_task() {
    Task t = task("copy", "copy", {"a", "b", "c", "d", "|", "_"},
                  "input w|__..; a position k places after the separator shows the token at k-1");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        std::size_t m = (n - 1) / 2;
        Tokens out = symbols(kLetters4, {}, m, rng);
        out.push_back(str("|"));
        while (out.size() < n) out.push_back(str("_"));
        return out;
    };
    t.solve = [](const Tokens& in) {
        std::size_t p = 0;
        while (p < in.size() && text(in[p]) != "|") ++p;
        Tokens out;
        for (std::size_t i = 0; i < in.size(); ++i) out.push_back(i <= p ? in[i] : in[i - p - 1]);
        return out;
    };
    return t;
}

Task induction_task() {
    Task t = task("induction", "induction", kLetters4,
                  "the token after the previous occurrence of the current token (\"_\" if none)");
    t.generate = uniform(kLetters4);
    t.solve = [](const Tokens& in) {
        std::map<std::string, std::size_t> last;  // token -> its latest position so far
        Tokens out;
        for (std::size_t i = 0; i < in.size(); ++i) {
            auto it = last.find(text(in[i]));
            out.push_back(it == last.end() ? str("_") : in[it->second + 1]);
            last[text(in[i])] = i;
        }
        return out;
    };
    return t;
}

// The pattern is fixed in rasp/match.rasp.
const std::string kPattern = "aba";

Task match_task() {
    Task t = task("match", "match", {"a", "b", "c"},
                  "whether the pattern \"aba\" occurs starting at each position");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        Tokens out = symbols({"a", "b", "c"}, {}, n, rng);
        // Plant occurrences (overlapping ones too) at about one position in eight.
        for (std::size_t i = 0; i + kPattern.size() <= n; ++i)
            if (draw(rng, 8) == 0)
                for (std::size_t k = 0; k < kPattern.size(); ++k) out[i + k] = str(kPattern.substr(k, 1));
        return out;
    };
    t.solve = [](const Tokens& in) {
        Tokens out;
        for (std::size_t i = 0; i < in.size(); ++i) {
            bool hit = i + kPattern.size() <= in.size();
            for (std::size_t k = 0; hit && k < kPattern.size(); ++k)
                hit = text(in[i + k]) == kPattern.substr(k, 1);
            out.push_back(boolean(hit));
        }
        return out;
    };
    return t;
}

// n-1 distinct integers, then a query equal to one of them.
Task search_task() {
    Task t = task("search", "search", {},
                  "the index of the last token (the query) among the others (distinct integers)");
    t.min_size = 2;
    t.integer_range = kRange;
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        Tokens out;
        for (long long k : distinct_ints(n - 1, kRange * n, rng)) out.push_back(num(k));
        out.push_back(out[draw(rng, n - 1)]);
        return out;
    };
    t.solve = [](const Tokens& in) {
        std::size_t j = 0;
        while (j + 1 < in.size() && in[j] != in.back()) ++j;
        return Tokens(in.size(), num(static_cast<long long>(j)));
    };
    return t;
}

}  // namespace

std::vector<Task> sequence_tasks() {
    return {sort_task(), sort_unique_task(), reverse_task(), copy_task(),
            induction_task(), match_task(), search_task()};
}

}  // namespace ahat::tasks::detail
