// Temporal formulas -> AHAT encoders (proofs/ltl-compile.md, proofs/counting-compile.md), and
// the models they belong to.
//
// Offers:
//   Model, parse_model        global | local-k | hybrid-k | rightmost, fixed precision, and
//                  global-exact | local-k-exact | hybrid-k-exact, exact arithmetic
//                  (docs/languages.md): the logic (which operators), the attention rule, and
//                  assumptions() naming precision, rule, mask, window and what the input carries.
//   check_in_model(f, m)      InputError naming the first operator outside the model's logic.
//   compile_ltl(f, alphabet, rule)   one coordinate per subformula, one attention layer per
//                  temporal nesting level (all operators of a level share it), booleans in the
//                  feed-forward circuits, a one-hot embedding of alphabet + EOS ("$"), no
//                  positional features; acceptance read at the last (EOS) position.
//                  O(|f|) to build; S needs the unique-hard-right rule (refused otherwise).
//                  Counts and, with y_by_position, Y without a window add a two-layer prelude
//                  (first-position flag, 1/i) and compile exactly (proofs/counting-compile.md):
//                  Y reads position i-1 by an average-hard head whose keys increase with j.
//   compile_in_model(f, alphabet, m)   compile_ltl with the model's rule and, for exact models
//                  without a window of 1, Y by position.
//   compiled_accepts(prog, w) runs the encoder on w.EOS, exactly: O(layers n^2 |f|).
//   verify_ltl(...)           compiled acceptance = a reference on every word up to max_len and
//                  on random, periodic and near-miss words up to random_len (fixed seed).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "encoder/encoder.hpp"
#include "encoder/interpreter.hpp"
#include "lang/ltl.hpp"

namespace ahat::lang {

enum class ModelKind : std::uint8_t { Global, Local, Hybrid, Rightmost };

struct Model {
    ModelKind kind = ModelKind::Global;
    std::uint32_t k = 0;                // window of local-k and hybrid-k
    Rule rule = Rule::AverageHard;      // rightmost: UniqueHardRight
    bool exact = false;                 // exact rational arithmetic (else fixed precision)
    std::string name() const;           // "global", "local-2", "hybrid-1-exact", ...
    // Fixed precision: the logic of the equivalence, "LTL[P]", "LTL[Y<=2]", "LTL[P,Y<=1]",
    // "LTL[Y,S]". Exact: the operators ahat compiles for the model, e.g. "LTL[P,Y,#]".
    std::string logic() const;
    std::string assumptions() const;    // precision; rule; mask; window; input
    bool allows(const LtlNode& n, const Formula& f) const;
};

// Names: global, local-K, hybrid-K, rightmost, and global-exact, local-K-exact, hybrid-K-exact.
// `rule` applies to all but rightmost: global takes average-hard, unique-hard-left or uniform;
// local, hybrid and every exact model take average-hard or uniform (leftmost ties inside a
// window read position i-k, outside LTL[Y<=k]). InputError at loc otherwise.
Model parse_model(std::string_view name, const SourceLoc& loc, Rule rule = Rule::AverageHard);

void check_in_model(const Formula& f, const Model& m, const SourceLoc& loc);

inline constexpr const char* kEos = "$";

struct CompiledLtl {
    Encoder enc;
    std::size_t layers = 0, heads = 0, width = 0;
    std::optional<std::uint32_t> seen, inv;  // the prelude's coordinates, when there is one
};

CompiledLtl compile_ltl(const Formula& f, const std::string& alphabet, Rule rule, bool y_by_position = false);
CompiledLtl compile_in_model(const Formula& f, const std::string& alphabet, const Model& m);

bool compiled_accepts(const Program<Rational>& prog, std::string_view w);

struct LtlVerifyOptions {
    std::size_t max_len = 8;      // every word up to this length
    std::size_t random_len = 40;  // random / periodic / near-miss words up to this length
    std::size_t random_count = 20;  // of each of the three kinds
    std::uint64_t seed = 1;
};

struct LtlVerifyReport {
    std::size_t exhaustive = 0, sampled = 0, failures = 0;
    std::string first_failure;  // a word where they differ ("" if none)
    bool ok() const { return failures == 0; }
};

LtlVerifyReport verify_ltl(const CompiledLtl& c, const std::string& alphabet,
                           const std::function<bool(std::string_view)>& reference, const LtlVerifyOptions& o);

// The random, periodic and near-miss words of verify_ltl (deterministic in the seed).
std::vector<std::string> sample_words(const std::string& alphabet, std::size_t max_len, std::size_t count,
                                      std::uint64_t seed);

}  // namespace ahat::lang
