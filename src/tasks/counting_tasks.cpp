// Tasks whose answer aggregates over positions: histogram, double-histogram, majority,
// count, dyck1, parity. Every generator and solver is O(n log n) at most.
#include <algorithm>
#include <map>

#include "tasks/builders.hpp"

namespace ahat::tasks::detail {
namespace {

const std::vector<std::string> kLetters4 = {"a", "b", "c", "d"};
const std::vector<std::string> kLetters6 = {"a", "b", "c", "d", "e", "f"};
const std::vector<std::string> kLetters8 = {"a", "b", "c", "d", "e", "f", "g", "h"};

std::map<std::string, long long> counts(const Tokens& in) {
    std::map<std::string, long long> c;
    for (const auto& v : in) ++c[text(v)];
    return c;
}

Task histogram_task() {
    Task t;
    t.name = "histogram";
    t.description = "how many times the current token occurs in the whole input";
    t.program = "histogram.rasp";
    t.output = "histogram";
    t.alphabet = kLetters6;
    t.generate = [](std::size_t n, std::mt19937_64& rng) { return symbols(kLetters6, {}, n, rng); };
    t.solve = [](const Tokens& in) {
        auto c = counts(in);
        Tokens out;
        for (const auto& v : in) out.push_back(num(c[text(v)]));
        return out;
    };
    return t;
}

// Letter counts drawn from two levels b and 2b so that equal counts are common at every n;
// the last letter takes the rest.
Task double_histogram_task() {
    Task t;
    t.name = "double-histogram";
    t.description = "how many distinct tokens occur exactly as often as the current token";
    t.program = "double_histogram.rasp";
    t.output = "double_histogram";
    t.alphabet = kLetters8;
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
        Tokens out;
        for (const auto& v : in) out.push_back(num(same[c[text(v)]]));
        return out;
    };
    return t;
}

// The winner gets weight 2 against 1 for each other letter (an expected margin of n/5);
// a tie for the maximum is broken by turning one tied token into the winner.
Task majority_task() {
    Task t;
    t.name = "majority";
    t.description = "the most frequent token, at every position (ties: the earliest letter)";
    t.program = "majority.rasp";
    t.output = "majority";
    t.alphabet = kLetters4;
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
    Task t;
    t.name = "count";
    t.description = "how many times the symbol \"a\" occurs, at every position";
    t.program = "count.rasp";
    t.output = "count";
    t.alphabet = kLetters4;
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
    Task t;
    t.name = "dyck1";
    t.description = "per prefix: T balanced, P open brackets pending, F a close without an open";
    t.program = "dyck1.rasp";
    t.output = "dyck1";
    t.alphabet = {"(", ")"};
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
    Task t;
    t.name = "parity";
    t.description = "the number of 1s modulo 2, at every position";
    t.program = "parity.rasp";
    t.output = "parity";
    t.alphabet = {"0", "1"};
    t.generate = [](std::size_t n, std::mt19937_64& rng) { return symbols({"0", "1"}, {}, n, rng); };
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
