// Tasks whose answer aggregates over positions: histogram, double-histogram, majority,
// count, dyck1, parity. Every generator and solver is O(n log n) at most.
#include <algorithm>
#include <map>

#include "tasks/builders.hpp"

namespace ahat::tasks::detail {
namespace {

const std::vector<std::string> kLetters4 = letters(4);
const std::vector<std::string> kLetters6 = letters(6);
const std::vector<std::string> kLetters8 = letters(8);

std::map<std::string, long long> counts(const Tokens& in) {
    std::map<std::string, long long> c;
    for (const auto& v : in) ++c[text(v)];
    return c;
}

// The value of each position's token under `of`.
Tokens per_token(const Tokens& in, const std::map<std::string, long long>& of) {
    Tokens out;
    for (const auto& v : in) out.push_back(num(of.at(text(v))));
    return out;
}

Task histogram_task() {
    Task t = task("histogram", "histogram", kLetters6,
                  "how many times the current token occurs in the whole input");
    t.generate = uniform(kLetters6);
    t.solve = [](const Tokens& in) { return per_token(in, counts(in)); };
    return t;
}

// Letter counts drawn from two levels b and 2b so that equal counts are common at every n;
// the last letter takes the rest.
Task double_histogram_task() {
    Task t = task("double-histogram", "double_histogram", kLetters8,
                  "how many distinct tokens occur exactly as often as the current token");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        std::size_t b = 1 + draw(rng, std::max<std::size_t>(1, n / 8));
        Tokens out;
        for (std::size_t l = 0; l + 1 < kLetters8.size(); ++l) {
            std::size_t c = std::min(n - out.size(), b * (1 + draw(rng, 2)));
            out.insert(out.end(), c, str(kLetters8[l]));
        }
        out.insert(out.end(), n - out.size(), str(kLetters8.back()));
        std::shuffle(out.begin(), out.end(), rng);
        return out;
    };
    t.solve = [](const Tokens& in) {
        auto c = counts(in);
        std::map<long long, long long> same;  // count -> distinct tokens with that count
        for (const auto& [tok, k] : c) ++same[k];
        for (auto& [tok, k] : c) k = same[k];
        return per_token(in, c);
    };
    return t;
}

// The winner gets weight 2 against 1 for each other letter (an expected margin of n/5);
// a tie for the maximum is broken by turning one tied token into the winner.
Task majority_task() {
    Task t = task("majority", "majority", kLetters4,
                  "the most frequent token, at every position (ties: the earliest letter)");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        std::vector<double> w(kLetters4.size(), 1.0);
        w[draw(rng, w.size())] = 2.0;
        Tokens out = symbols(kLetters4, w, n, rng);
        auto c = counts(out);
        long long top = 0;
        for (const auto& [tok, k] : c) top = std::max(top, k);
        std::vector<std::string> tied;
        for (const auto& [tok, k] : c)
            if (k == top) tied.push_back(tok);
        if (tied.size() > 1) {
            std::string winner = tied[draw(rng, tied.size())];
            std::string loser = tied[0] == winner ? tied[1] : tied[0];
            *std::find(out.begin(), out.end(), str(loser)) = str(winner);
        }
        return out;
    };
    t.solve = [](const Tokens& in) {
        auto c = counts(in);
        std::string best;
        for (const auto& [tok, k] : c)  // in letter order: the first maximum wins ties
            if (best.empty() || k > c[best]) best = tok;
        return Tokens(in.size(), str(best));
    };
    return t;
}

// The density of "a" is drawn per instance (1/13 .. 1/2).
Task count_task() {
    Task t = task("count", "count", kLetters4,
                  "how many times the symbol \"a\" occurs, at every position");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        double wa = 0.25 + static_cast<double>(draw(rng, 12)) * 0.25;
        return symbols(kLetters4, {wa, 1.0, 1.0, 1.0}, n, rng);
    };
    t.solve = [](const Tokens& in) { return Tokens(in.size(), num(counts(in)["a"])); };
    return t;
}

// Half the instances are prefix-balanced walks (balanced at the end when n is even), the
// other half such a walk with one bracket flipped.
Task dyck1_task() {
    Task t = task("dyck1", "dyck1", {"(", ")"},
                  "per prefix: T balanced, P open brackets pending, F a close without an open");
    t.generate = [](std::size_t n, std::mt19937_64& rng) {
        Tokens out;
        std::size_t depth = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t left = n - i;
            bool open = depth == 0 || (depth + 1 < left && draw(rng, 2) == 0);
            depth = open ? depth + 1 : depth - 1;
            out.push_back(str(open ? "(" : ")"));
        }
        if (draw(rng, 2) == 0) {
            auto& v = out[draw(rng, n)];
            v = str(text(v) == "(" ? ")" : "(");
        }
        return out;
    };
    t.solve = [](const Tokens& in) {
        long long depth = 0;
        bool failed = false;
        Tokens out;
        for (const auto& v : in) {
            depth += text(v) == "(" ? 1 : -1;
            failed = failed || depth < 0;
            out.push_back(str(failed ? "F" : depth == 0 ? "T" : "P"));
        }
        return out;
    };
    return t;
}

Task parity_task() {
    Task t = task("parity", "parity", {"0", "1"},
                  "the number of 1s modulo 2, at every position");
    t.generate = uniform({"0", "1"});
    t.solve = [](const Tokens& in) { return Tokens(in.size(), num(counts(in)["1"] % 2)); };
    t.not_compilable =
        "the count of 1s modulo 2 is not a finite piecewise-polynomial function of the "
        "(unbounded) count, so no feed-forward circuit computes it for every n, and no "
        "catalogue feature (such as (-1)^i) supplies it";
    return t;
}

}  // namespace

std::vector<Task> counting_tasks() {
    return {histogram_task(), double_histogram_task(), majority_task(),
            count_task(),     dyck1_task(),            parity_task()};
}

}  // namespace ahat::tasks::detail
