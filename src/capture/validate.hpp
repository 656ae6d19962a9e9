// Validation at scale: a compiled subject (a task, a .rasp program, an encoder file) run by the
// numeric engine on batches of generated inputs per size and precision, against the exact
// interpreter where it is affordable and against the subject's own reference (the task's
// solver, the RASP evaluator) everywhere.
//
// Offers:
//   ValidateOptions    sizes, samples, seed, formats, order, tie tolerance, the largest size
//                      run exactly, threads, progress; as_softmax: search beta*(n).
//   ValidateRow        one size x format: samples whose decoded answer equals the reference,
//                      samples that agree with the exact run (answer; every |M_i|), the largest
//                      output error against exact, tokens per second, and (as_softmax) the
//                      smallest beta found at which every sample decodes exactly.
//   FormatSummary      per format: the first failing size beside capture's predicted break
//                      (from the exact margins, fit_and_predict), the beta*(n) fit.
//   validate(subject, opts)   runs everything; deterministic for a seed.
//   Validator(subject, opts)  the same in parts (--shard, ahat merge: docs/distributed.md):
//                      size(n) runs one size (its seed from the seed and n alone) into a
//                      ValidateSize (its rows, capture's exact margins at n when n <=
//                      min(exact_up_to, 1024), exact_ok); result(sizes) the summaries.
// Cost per size: samples x (one engine run per format, and one exact run while n <=
// exact_up_to); with as_softmax, about 2 log2(beta range) engine runs per size and format.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/sweep.hpp"
#include "numeric/device.hpp"
#include "numeric/kernels.hpp"

namespace ahat::capture {

struct ValidateOptions {
    std::vector<std::size_t> sizes;
    std::size_t samples = 16;
    std::uint64_t seed = 1;
    std::vector<Format> formats{Format::Double, Format::Float, Format::BFloat16};
    numeric::Order order = numeric::Order::Reference;
    numeric::Device device = numeric::Device::Cpu;  // cuda: attention on the GPU
    std::optional<double> tie_tolerance;  // each format's default if unset
    std::size_t exact_up_to = 512;        // exact interpreter runs for n <= this
    std::size_t bfloat16_up_to = 4096;    // emulated bfloat16 (scalar, O(n^2) per head) for n <= this
    int threads = 0;
    bool as_softmax = false;              // average-hard heads as softmax: search beta*(n)
    double beta_max = 0x1p40;
    std::function<void(const std::string&)> progress;
};

struct ValidateRow {
    std::size_t n = 0;
    Format format = Format::Float;
    double tie_tolerance = 0;
    std::size_t samples = 0, correct = 0;            // decoded answer == the reference's
    std::size_t wrong_positions = 0;
    std::optional<std::size_t> exact_agree;          // decoded answer == exact run's (n <= exact_up_to)
    std::optional<std::size_t> argmax_agree;         // every |M_i| == exact run's
    std::optional<double> max_error;                 // max |numeric - exact| over all outputs
    double seconds = 0, tokens_per_second = 0;       // the engine's run of the batch
    std::optional<double> beta;                      // as_softmax: smallest beta found
    std::optional<Rational> margin;                  // smallest exact gap at this n (sizes run exactly)
    bool beta_found = true;                          // as_softmax: false if none up to beta_max
};

struct FormatSummary {
    Format format = Format::Float;
    std::optional<std::size_t> first_failure;        // smallest size with a wrong answer
    std::optional<double> predicted_break;           // capture's prediction from exact margins
    std::optional<double> beta_slope;                // as_softmax: log2 beta* = a + slope log2 n
    std::optional<double> margin_slope;              // log2 gap = b + slope log2 n (proofs/softmax-hard.md:
                                                     // beta* = O(n^-slope log n))
};

struct ValidateResult {
    std::string subject;
    std::vector<ValidateRow> rows;
    std::vector<FormatSummary> summaries;
    std::vector<std::size_t> margin_sizes;           // sizes whose exact margins fed the prediction
    std::vector<std::optional<Rational>> margins;    // smallest exact gap at each of them
    bool exact_ok = true;                            // the exact run matched the reference
};

struct ValidateSize {
    std::vector<ValidateRow> rows;
    std::optional<SizeResult> margins;
    bool exact_ok = true;
};

class Validator {
public:
    Validator(const Subject& subject, const ValidateOptions& opts);  // compiles once; the subject must outlive it
    ValidateSize size(std::size_t n) const;
    ValidateResult result(const std::vector<ValidateSize>& sizes) const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

ValidateResult validate(const Subject& subject, const ValidateOptions& opts);

}  // namespace ahat::capture
