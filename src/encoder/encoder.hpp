// The encoder IR: exactly the model of docs/semantics.md.
//
// Offers:
//   Mask, Rule, Feature      the options, with names for the JSON format and messages.
//   Head, FeedForward, Layer, InputSpec, Readout, Encoder
//   validate(enc)            dimension and option checks; InputError at the part's location.
//   feature_value(f, i, n)   the positional feature catalogue.
//   embed(enc, tokens)       string front end: the n x d input matrix for a token sequence;
//                            refuses a token not in the alphabet, and the BOS symbol.
//                            embed_into(enc, tokens, x) fills x, reusing its storage (a
//                            caller embedding many inputs keeps one buffer).
//   coordinate_name(enc, c)  the name of coordinate c, or "x<c>" where the encoder names none.
//   decoded_output(enc, row, nearest)   the value a readout row stands for: the label of
//                            its one-hot coordinate (Readout::values; the row must be one-hot,
//                            else nullopt, unless `nearest`: then the largest coordinate's), or
//                            the single coordinate itself; nullopt for other readouts.
// All weights are exact rationals; numeric runs convert them (see interpreter.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "circuit/circuit.hpp"
#include "exact/linalg.hpp"
#include "support/error.hpp"

namespace ahat {

// Allowed positions j for query position i, before the window.
enum class Mask : std::uint8_t { None, Past, PastOrSelf, Future, FutureOrSelf };
// none | j<i | j<=i | j>i | j>=i
std::string_view mask_name(Mask m);
std::optional<Mask> parse_mask(std::string_view s);

enum class Rule : std::uint8_t { AverageHard, UniqueHardLeft, UniqueHardRight, Uniform, Softmax };
std::string_view rule_name(Rule r);
std::optional<Rule> parse_rule(std::string_view s);

// The positional feature catalogue: phi(i, n) for position i of n (0-based).
enum class Feature : std::uint8_t { One, I, ISquared, N, InvIPlus1, InvN, IOverN, First, Last };
std::string_view feature_name(Feature f);  // "1", "i", "i^2", "n", "1/(i+1)", "1/n", "i/n", "first", "last"
std::optional<Feature> parse_feature(std::string_view s);
const std::vector<Feature>& all_features();
Rational feature_value(Feature f, std::size_t i, std::size_t n);

struct Head {
    std::string name;
    Affine<Rational> query, key;  // dk x d each: q_i = Q x_i + q0, k_j = K x_j + k0
    Affine<Rational> value;       // dv x d:      v_j = V x_j + v0
    Sparse<Rational> output;      // d x dv:      the head adds O a_i to the residual
    Mask mask = Mask::None;
    std::optional<std::uint64_t> window;  // allowed only where |i - j| <= window
    Rule rule = Rule::AverageHard;
    Rational beta = 1;  // softmax inverse temperature
    SourceLoc loc;
};

// x'_i = y_i + F(y_i). F reads the coordinates `reads` of y as the circuit's inputs (in
// order) and adds output k to coordinate writes[k]. An absent feed-forward part is F = 0.
struct FeedForward {
    Circuit circuit;
    std::vector<std::uint32_t> reads;
    std::vector<std::uint32_t> writes;
    SourceLoc loc;
};

struct Layer {
    std::vector<Head> heads;
    std::optional<FeedForward> ffn;
    SourceLoc loc;
};

struct PositionalTerm {
    Feature feature;
    std::vector<Rational> vector;  // P_f, length d
};

struct InputSpec {
    enum class Kind { Vectors, String } kind = Kind::Vectors;
    // String front end: x_i = E(w_i) + sum_f P_f * phi_f(i, n).
    std::vector<std::string> alphabet;
    std::vector<std::vector<Rational>> embedding;  // one row of length d per symbol
    std::vector<PositionalTerm> positional;
    std::optional<std::string> bos;  // a symbol prepended to every input string
    SourceLoc loc;
};

struct Readout {
    enum class Kind { Sequence, Accept } kind = Kind::Sequence;
    std::vector<std::uint32_t> coordinates;  // Sequence: coordinates read at every position
    // Sequence, optional: the value each read coordinate stands for, when they form one
    // one-hot group (a categorical RASP SOp): a position decodes to the value whose
    // coordinate is 1 (decoded_output). Empty: the coordinates are numbers.
    std::vector<std::string> values;
    bool at_last = true;                     // Accept: read at the last (else first) position
    std::vector<Rational> weights;           // Accept: t, length d
    Rational bias = 0;                       // Accept: accept iff <t, x_p> + b > 0
    SourceLoc loc;
};

struct Encoder {
    std::string name;
    std::string description;
    std::uint32_t d = 0;
    // Optional names of the d coordinates ("tokens:a", "indices", ...); empty: unnamed.
    std::vector<std::string> coordinates;
    InputSpec input;
    std::vector<Layer> layers;
    Readout readout;
    SourceLoc loc;
};

// Throws InputError at the offending part's location.
void validate(const Encoder& enc);

// The allowed set U_i of a head at query position i of n: always an interval [lo, hi] of key
// positions (empty when lo > hi): the mask's interval intersected with the window.
std::pair<std::int64_t, std::int64_t> allowed_interval(const Head& h, std::int64_t i, std::int64_t n);

// String front end. Tokens must be in the alphabet (InputError otherwise).
Matrix<Rational> embed(const Encoder& enc, const std::vector<std::string>& tokens);
void embed_into(const Encoder& enc, const std::vector<std::string>& tokens, Matrix<Rational>& x);

// Splits an input string into tokens: one per Unicode code point when every symbol is one
// code point (and the text has no white space, unless a space is a symbol); otherwise the
// words between white space.
std::vector<std::string> tokenize_input(const Encoder& enc, std::string_view text);

std::string coordinate_name(const Encoder& enc, std::size_t c);
// `row` holds the readout coordinates of one position (numeric runs: their values as rationals).
std::optional<std::string> decoded_output(const Encoder& enc, const std::vector<Rational>& row, bool nearest);

}  // namespace ahat
