// Word generators for testing recognizers: exhaustive, random, adversarial, balanced.
// All random generators take a seed and use std::mt19937_64: same seed, same words.
//
// Offers:
//   all_words(alphabet, max_len)        every word of length 0..max_len, shortlex order
//                                       (|Σ|^(max_len+1) words: keep max_len small).
//   random_words(alphabet, lengths, per_length, seed)   uniform words of each length.
//   adversarial_words(alphabet, lengths, max_period, seed, base)
//                                       periodic words u^k cut to each length (every u
//                                       with |u| <= max_period, up to 64 of them), and
//                                       near-misses: a base word or a periodic word with
//                                       one letter flipped, inserted or deleted.
//   MemberSampler(dfa, max_len)         exact counts of accepted words of each length from
//                                       each state (big integers); sample(len, rng) draws
//                                       uniformly among members of that length.
//                                       O(max_len n |Σ|) big-integer additions to build.
//   balanced_words(lang, lengths, per_length, seed)
//                                       per length, about half members and half non-members
//                                       (DFA sampling when regular, else sample_member or
//                                       rejection sampling); each with its label.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exact/rational.hpp"
#include "lang/language.hpp"

namespace ahat::lang {

std::vector<std::string> all_words(std::string_view alphabet, std::size_t max_len);
std::vector<std::string> random_words(std::string_view alphabet, const std::vector<std::size_t>& lengths,
                                      std::size_t per_length, std::uint64_t seed);
std::vector<std::string> adversarial_words(std::string_view alphabet, const std::vector<std::size_t>& lengths,
                                           std::size_t max_period, std::uint64_t seed,
                                           const std::vector<std::string>& base = {});

class MemberSampler {
public:
    MemberSampler(const Dfa& d, std::size_t max_len);
    Integer count(std::size_t len) const;  // accepted words of length len (len <= max_len)
    std::optional<std::string> sample(std::size_t len, std::mt19937_64& rng) const;

private:
    Dfa dfa_;
    std::vector<std::vector<Integer>> counts_;  // [len][state]: accepted words from state
};

struct LabelledWord {
    std::string word;
    bool member = false;
};
std::vector<LabelledWord> balanced_words(const Language& lang, const std::vector<std::size_t>& lengths,
                                         std::size_t per_length, std::uint64_t seed);

}  // namespace ahat::lang
