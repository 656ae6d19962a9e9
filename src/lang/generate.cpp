// Word generators: exhaustive, uniform random, periodic/near-miss, DFA-guided members.
#include "lang/generate.hpp"

#include <algorithm>
#include <set>

#include "support/error.hpp"

namespace ahat::lang {
namespace {

std::string random_word(std::string_view alphabet, std::size_t len, std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string w(len, ' ');
    for (auto& c : w) c = alphabet[pick(rng)];
    return w;
}

void need_alphabet(std::string_view alphabet) {
    if (alphabet.empty()) fail(SourceLoc{}, "empty alphabet");
}

// A uniform integer in [0, n) for n > 0, by rejection on 64-bit limbs.
Integer uniform_below(const Integer& n, std::mt19937_64& rng) {
    std::size_t bits = msb(n) + 1;
    for (;;) {
        Integer r = 0;
        for (std::size_t b = 0; b < bits; b += 64) r = (r << 64) + Integer(static_cast<unsigned long long>(rng()));
        std::size_t extra = (bits + 63) / 64 * 64 - bits;
        r >>= extra;
        if (r < n) return r;
    }
}

}  // namespace

std::vector<std::string> all_words(std::string_view alphabet, std::size_t max_len) {
    need_alphabet(alphabet);
    std::vector<std::string> out{""};
    for (std::size_t begin = 0, len = 1; len <= max_len; ++len) {
        std::size_t end = out.size();
        for (std::size_t i = begin; i < end; ++i)
            for (char c : alphabet) out.push_back(out[i] + c);
        begin = end;
    }
    return out;
}

std::vector<std::string> random_words(std::string_view alphabet, const std::vector<std::size_t>& lengths,
                                      std::size_t per_length, std::uint64_t seed) {
    need_alphabet(alphabet);
    std::mt19937_64 rng(seed);
    std::vector<std::string> out;
    for (auto len : lengths)
        for (std::size_t i = 0; i < per_length; ++i) out.push_back(random_word(alphabet, len, rng));
    return out;
}

std::vector<std::string> adversarial_words(std::string_view alphabet, const std::vector<std::size_t>& lengths,
                                           std::size_t max_period, std::uint64_t seed,
                                           const std::vector<std::string>& base) {
    need_alphabet(alphabet);
    std::mt19937_64 rng(seed);
    // Periods: all nonempty words up to max_period, at most 64 of them (shortest first).
    std::vector<std::string> periods;
    for (const auto& u : all_words(alphabet, max_period))
        if (!u.empty() && periods.size() < 64) periods.push_back(u);
    std::vector<std::string> seeds = base;
    std::vector<std::string> out;
    std::set<std::string> seen;
    auto add = [&](std::string w) {
        if (seen.insert(w).second) out.push_back(std::move(w));
    };
    for (auto len : lengths)
        for (const auto& u : periods) {
            std::string w;
            while (w.size() < len) w += u;
            w.resize(len);
            add(w);
            seeds.push_back(w);
        }
    // Near-misses: one letter flipped, inserted or deleted at a random position.
    for (const auto& w : seeds) {
        std::uniform_int_distribution<std::size_t> pos(0, w.size());
        std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
        switch (rng() % 3) {
        case 0:
            if (!w.empty()) {
                std::string f = w;
                std::size_t i = pos(rng) % w.size();
                char c = alphabet[pick(rng)];
                f[i] = c != f[i] ? c : alphabet[(alphabet.find(c) + 1) % alphabet.size()];
                add(f);
                break;
            }
            [[fallthrough]];
        case 1: {
            std::string f = w;
            f.insert(f.begin() + static_cast<long>(pos(rng)), alphabet[pick(rng)]);
            add(f);
            break;
        }
        default:
            if (!w.empty()) {
                std::string f = w;
                f.erase(f.begin() + static_cast<long>(pos(rng) % w.size()));
                add(f);
            }
        }
    }
    return out;
}

MemberSampler::MemberSampler(const Dfa& d, std::size_t max_len) : dfa_(d) {
    check_dfa(d);
    counts_.assign(max_len + 1, std::vector<Integer>(d.states()));
    for (std::size_t q = 0; q < d.states(); ++q) counts_[0][q] = d.accepting[q] ? 1 : 0;
    for (std::size_t l = 1; l <= max_len; ++l)
        for (std::size_t q = 0; q < d.states(); ++q)
            for (auto t : d.delta[q]) counts_[l][q] += counts_[l - 1][t];
}

Integer MemberSampler::count(std::size_t len) const {
    return counts_.at(len)[dfa_.start];
}

std::optional<std::string> MemberSampler::sample(std::size_t len, std::mt19937_64& rng) const {
    if (len >= counts_.size()) fail(SourceLoc{}, "length {} beyond the sampler's maximum {}", len, counts_.size() - 1);
    if (counts_[len][dfa_.start] == 0) return std::nullopt;
    // One uniform rank among the members, then walk: each letter owns a block of ranks.
    Integer r = uniform_below(counts_[len][dfa_.start], rng);
    std::string w;
    std::uint32_t q = dfa_.start;
    for (std::size_t l = len; l > 0; --l)
        for (std::size_t a = 0; a < dfa_.alphabet.size(); ++a) {
            const Integer& c = counts_[l - 1][dfa_.delta[q][a]];
            if (r < c) {
                w += dfa_.alphabet[a];
                q = dfa_.delta[q][a];
                break;
            }
            r -= c;
        }
    return w;
}

std::vector<LabelledWord> balanced_words(const Language& lang, const std::vector<std::size_t>& lengths,
                                         std::size_t per_length, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<LabelledWord> out;
    std::size_t longest = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
    std::optional<MemberSampler> yes, no;
    if (lang.dfa) {
        yes.emplace(*lang.dfa, longest);
        no.emplace(complement(*lang.dfa), longest);
    }
    const std::size_t tries = 200;
    for (auto len : lengths)
        for (std::size_t i = 0; i < per_length; ++i) {
            bool want = i % 2 == 0;
            std::optional<std::string> w;
            if (lang.dfa) w = (want ? yes : no)->sample(len, rng);
            else if (want && lang.sample_member) w = lang.sample_member(len, rng);
            else
                for (std::size_t t = 0; t < tries && !w; ++t) {
                    std::string c = random_word(lang.alphabet, len, rng);
                    if (lang.member(c) == want) w = c;
                }
            if (!w) w = random_word(lang.alphabet, len, rng);  // no word with that label here
            bool m = lang.member(*w);
            out.push_back({std::move(*w), m});
        }
    return out;
}

}  // namespace ahat::lang
