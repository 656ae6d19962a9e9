// The capture check: one compiled encoder run across input sizes in exact arithmetic and in
// double / float / bfloat16, with exact attention margins and a prediction of where each
// format breaks (model and assumptions: docs/capture.md).
//
// Offers:
//   Format, parse_format, format_name   exact | double | float | bfloat16.
//   AnyMatrix        outputs of a run in any of the four scalar types.
//   Model            an encoder plus how to build its input and read its outputs.
//   Subject          what is swept: a compile function (called again at every size, so that
//                    "the weights do not depend on n" is checked), an instance generator with
//                    its reference answer, or (subjects that do not compile) a reference check.
//   SweepOptions / SweepResult / SizeResult / FormatResult / Prediction
//   sweep(subject, opts)     runs everything; deterministic for a seed.
//   sweep_size(subject, opts, n)   one size of it (its seed from the seed and n alone);
//   sweep_result(subject, opts, sizes)   the whole result from every size's: hash checks,
//                            accuracy flags, fit and predictions (sweep = both; --shard and
//                            ahat merge run them apart, docs/distributed.md).
//   size_rng(seed, n)        the generator of size n's instances in a sweep of this seed: a
//                            function of the two alone, so a size draws the same instances
//                            whatever other sizes run, in one process or in shards (sweep_size,
//                            the analyses).
//   weights_hash(enc)        FNV-1a 64 of the canonical encoder JSON (write_encoder), hex.
//   safe_decode, wrong_positions   a run's decoded answer against a reference answer.
//   parse_sizes(text, option, max)   the one --sizes grammar (docs/cli.md): comma-separated
//                            items, each A, A..B (every integer) or A..B*K (A, AK, AK^2, ... <= B);
//                            values from 1 to max; InputError naming `option` otherwise.
//   fit_and_predict(result)  the log-log fit of the relative margin and the break sizes.
// Cost per size: samples x one exact run with margins, plus one batch per numeric format
// through the numeric engine in reference order (bit for bit the scalar interpreter; O(n^2 dk)
// per hard head on all cores, docs/numeric.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "encoder/encoder.hpp"
#include "exact/bfloat16.hpp"

namespace ahat::capture {

enum class Format : std::uint8_t { Exact, Double, Float, BFloat16 };
std::string_view format_name(Format f);
std::optional<Format> parse_format(std::string_view s);
double unit_roundoff(Format f);            // 0, 2^-53, 2^-24, 2^-8
double default_tolerance(Format f);        // the interpreter's default tie tolerance

using AnyMatrix = std::variant<Matrix<Rational>, Matrix<double>, Matrix<float>, Matrix<bfloat16>>;

// One instance: its tokens and the reference answer at every position (values printed in a
// canonical form, compared as strings).
struct Sample {
    std::vector<std::string> tokens;
    std::vector<std::string> expected;
};

struct Model {
    Encoder encoder;
    std::function<Matrix<Rational>(const std::vector<std::string>& tokens)> input;
    // The answer read from a run's outputs; may throw InputError (counted as wrong).
    std::function<std::vector<std::string>(const AnyMatrix& outputs)> decode;
};

struct Subject {
    std::string name;
    std::string not_compilable;                     // non-empty: only reference_check runs
    std::function<Model()> compile;
    std::function<Sample(std::size_t n, std::mt19937_64& rng)> sample;
    // Subjects that do not compile: true when the reference evaluator agrees with the solver.
    std::function<bool(std::size_t n, std::mt19937_64& rng)> reference_check;
};

std::mt19937_64 size_rng(std::uint64_t seed, std::size_t n);

struct SweepOptions {
    std::vector<std::size_t> sizes;
    std::size_t samples = 10;
    std::uint64_t seed = 1;
    std::vector<Format> formats{Format::Exact, Format::Double, Format::Float, Format::BFloat16};
    std::optional<double> tie_tolerance;            // numeric formats; their default if unset
    std::size_t max_bits = 0;                       // exact runs' guard (0: none)
    std::function<void(const std::string&)> progress;  // called before each size (may be empty)
};

struct FormatResult {
    Format format = Format::Exact;
    double tie_tolerance = 0;
    std::size_t samples = 0, correct = 0;           // samples whose whole answer is right
    std::size_t wrong_positions = 0;                // positions whose value is wrong
    std::size_t differs_from_exact = 0;             // samples whose answer differs from exact's
    std::size_t argmax_differs = 0;                 // samples where some |M_i| differs from exact's
    double accuracy() const { return samples ? double(correct) / double(samples) : 1.0; }
};

struct SizeResult {
    std::size_t n = 0;
    std::string weights_hash;
    bool hash_matches = true;                       // same as at the first size
    std::vector<FormatResult> formats;
    // Exact margins over all samples, layers, hard heads and queries (none: no head ever
    // left an allowed key unselected).
    std::optional<Rational> margin;                 // smallest gap
    std::optional<Rational> relative_margin;        // smallest gap / scale of its head
    Rational scale = 0;                             // the scale of the head attaining it
    std::size_t layer = 0, head = 0, position = 0;  // where the relative margin is attained
    std::optional<double> implied_bits;             // log2(1 / relative_margin) + 1
    std::optional<Rational> tolerance_margin;       // smallest gap / max(1, |score|) of its head
    std::size_t reference_samples = 0, reference_agree = 0;  // not-compilable subjects
    double seconds = 0;
};

struct Prediction {
    Format format = Format::Double;
    double threshold = 0;                           // the unit roundoff u
    double tie_tolerance = 0;
    std::optional<double> rounding_n;               // relative margin (terms) reaches u
    std::optional<double> tolerance_n;              // tolerance margin (scores) reaches the tolerance
    std::optional<double> predicted_n;              // the smaller; none: neither margin shrinks
    std::optional<std::size_t> observed_n;          // first size with accuracy < 100%
};

struct SweepResult {
    std::string subject;
    std::string not_compilable;
    SweepOptions options;
    std::vector<SizeResult> sizes;
    std::optional<double> slope, intercept;         // log2(rel margin) = intercept + slope log2(n)
    std::optional<double> tol_slope, tol_intercept; // the same for the tolerance margin
    std::vector<Prediction> predictions;
    bool exact_ok = true;                           // exact accuracy 100% at every size
    bool hashes_ok = true;
    bool reference_ok = true;
};

SweepResult sweep(const Subject& subject, const SweepOptions& opts);
SizeResult sweep_size(const Subject& subject, const SweepOptions& opts, std::size_t n);
SweepResult sweep_result(const Subject& subject, const SweepOptions& opts, std::vector<SizeResult> sizes);

// A decoded answer (one value per position); none when decoding failed (InputError).
using Answer = std::vector<std::string>;
std::optional<Answer> safe_decode(const Model& m, const AnyMatrix& out);
// Positions where `got` differs from `expected` (all of them when got is none or too short).
std::size_t wrong_positions(const std::optional<Answer>& got, const Answer& expected);
void fit_and_predict(SweepResult& r);

std::string weights_hash(const Encoder& enc);
std::vector<std::size_t> parse_sizes(std::string_view text, const std::string& option = "--sizes",
                                     std::size_t max = 999999999);

// log2 of a positive rational, accurate for any size of numerator and denominator.
double log2_rational(const Rational& r);

}  // namespace ahat::capture
