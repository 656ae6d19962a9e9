// The local-versus-global comparison: for each language and model, recognized (a formula,
// compiled and verified), not recognizable (an algebraic certificate and a witness pair), or
// undecided (what is missing). docs/languages.md says which theorem stands behind each cell.
//
// Offers:
//   resolve_languages(spec, loc, max_states)   library names, `re:REGEX`, DFA files (*.dfa),
//                  `ltl:FORMULA` (alphabet: its letters, or ab; with counts: no automaton),
//                  separated by commas outside {m,n} and [...], or `all` (the library); an
//                  automaton read or built with more than max_states states is an InputError.
// Fixed-precision columns decide definability in the model's logic; -exact columns say
// "recognized" only with an encoder verified exactly and "not recognizable" only with an
// argument valid in exact arithmetic (locality, the counted window lemma), else undecided.
//   compare_cell(lang, model, opts)  one cell. Cost: the class decisions (monoid: O(|M| n |Σ|)),
//                  the syntheses, and a verification of every word up to max_len plus
//                  3·samples sampled words up to random_len through the exact interpreter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lang/language.hpp"
#include "lang/ltl_compile.hpp"
#include "lang/types.hpp"

namespace ahat::lang {

std::vector<Language> resolve_languages(const std::string& spec, const SourceLoc& loc,
                                        std::size_t max_states = kDefaultMaxStates);

// Recognizable: a theorem says so (star-free, rightmost) but no formula was constructed.
enum class Verdict : std::uint8_t { Recognized, Recognizable, NotRecognizable, Undecided };
std::string_view verdict_name(Verdict v);  // "recognized", "recognizable", "not-recognizable", "undecided"

struct CompareOptions {
    std::size_t max_len = 8;       // verification: every word up to this length
    std::size_t random_len = 64;   // and sampled words up to this length
    std::size_t samples = 4;       // of each kind (random, periodic, near-miss)
    std::size_t witness_len = 8;   // witness search: words up to this length (capped by count)
    std::uint32_t witness_depth = 3;
    std::uint64_t seed = 1;
};

struct Cell {
    std::string language, model, logic;
    std::string precision;    // "fixed" or "exact": what a "no" is about
    Verdict verdict = Verdict::Undecided;
    std::string method;       // which construction or decision
    std::string reason;       // the certificate's claim, or what is missing
    std::optional<std::string> formula;
    std::size_t formula_depth = 0, layers = 0, heads = 0, width = 0;
    std::size_t verified_max_len = 0, verified_words = 0, sampled_words = 0, sampled_max_len = 0;
    std::optional<WitnessPair> witness;  // no formula of depth <= witness->depth separates them
    std::string witness_note;
    bool construction_failed = false;  // a synthesized encoder disagreed with the DFA (a bug)
    std::optional<Encoder> encoder;    // Recognized: the encoder built and verified
};

Cell compare_cell(const Language& lang, const Model& model, const CompareOptions& o);

}  // namespace ahat::lang
