#include "encoder/encoder.hpp"
#include "support/utf8.hpp"

#include <algorithm>
#include <cctype>

namespace ahat {

namespace {
template <class E>
struct Named {
    E value;
    std::string_view name;
};
constexpr Named<Mask> kMasks[] = {{Mask::None, "none"},
                                  {Mask::Past, "j<i"},
                                  {Mask::PastOrSelf, "j<=i"},
                                  {Mask::Future, "j>i"},
                                  {Mask::FutureOrSelf, "j>=i"}};
constexpr Named<Rule> kRules[] = {{Rule::AverageHard, "average-hard"},
                                  {Rule::UniqueHardLeft, "unique-hard-left"},
                                  {Rule::UniqueHardRight, "unique-hard-right"},
                                  {Rule::Uniform, "uniform"},
                                  {Rule::Softmax, "softmax"}};
constexpr Named<Feature> kFeatures[] = {{Feature::One, "1"},        {Feature::I, "i"},
                                        {Feature::ISquared, "i^2"}, {Feature::N, "n"},
                                        {Feature::InvIPlus1, "1/(i+1)"}, {Feature::InvN, "1/n"},
                                        {Feature::IOverN, "i/n"},   {Feature::First, "first"},
                                        {Feature::Last, "last"}};

template <class E, std::size_t K>
std::string_view name_of(const Named<E> (&table)[K], E v) {
    for (const auto& e : table)
        if (e.value == v) return e.name;
    return "?";
}
template <class E, std::size_t K>
std::optional<E> parse_of(const Named<E> (&table)[K], std::string_view s) {
    for (const auto& e : table)
        if (e.name == s) return e.value;
    return std::nullopt;
}
}  // namespace

std::string_view mask_name(Mask m) { return name_of(kMasks, m); }
std::optional<Mask> parse_mask(std::string_view s) { return parse_of(kMasks, s); }
std::string_view rule_name(Rule r) { return name_of(kRules, r); }
std::optional<Rule> parse_rule(std::string_view s) { return parse_of(kRules, s); }
std::string_view feature_name(Feature f) { return name_of(kFeatures, f); }
std::optional<Feature> parse_feature(std::string_view s) { return parse_of(kFeatures, s); }

const std::vector<Feature>& all_features() {
    static const std::vector<Feature> all = [] {
        std::vector<Feature> v;
        for (const auto& e : kFeatures) v.push_back(e.value);
        return v;
    }();
    return all;
}

Rational feature_value(Feature f, std::size_t i, std::size_t n) {
    const auto I = static_cast<unsigned long long>(i), N = static_cast<unsigned long long>(n);
    switch (f) {
        case Feature::One: return Rational(1);
        case Feature::I: return Rational(I);
        case Feature::ISquared: return Rational(Integer(I) * Integer(I));
        case Feature::N: return Rational(N);
        case Feature::InvIPlus1: return Rational(Integer(1), Integer(I + 1));
        case Feature::InvN: return Rational(Integer(1), Integer(N));
        case Feature::IOverN: return Rational(Integer(I), Integer(N));
        case Feature::First: return Rational(i == 0 ? 1 : 0);
        case Feature::Last: return Rational(i + 1 == n ? 1 : 0);
    }
    return Rational(0);
}

namespace {

void check_affine(const Affine<Rational>& f, std::size_t rows, std::size_t cols, const SourceLoc& loc,
                  std::string_view what) {
    if (f.cols() != cols) fail(loc, "{} has {} columns, expected d = {}", what, f.cols(), cols);
    if (rows != 0 && f.rows() != rows) fail(loc, "{} has {} rows, expected {}", what, f.rows(), rows);
    if (f.b.size() != f.rows()) fail(loc, "{} bias has length {}, expected {}", what, f.b.size(), f.rows());
}

}  // namespace

void validate(const Encoder& enc) {
    const std::size_t d = enc.d;
    if (d == 0) fail(enc.loc, "the encoder's width d must be at least 1");
    const InputSpec& in = enc.input;
    if (in.kind == InputSpec::Kind::String) {
        if (in.alphabet.empty()) fail(in.loc, "the string front end needs a non-empty alphabet");
        if (in.embedding.size() != in.alphabet.size())
            fail(in.loc, "{} embedding rows for {} alphabet symbols", in.embedding.size(), in.alphabet.size());
        for (std::size_t s = 0; s < in.alphabet.size(); ++s) {
            if (in.alphabet[s].empty()) fail(in.loc, "alphabet symbol {} is empty", s);
            for (std::size_t t = 0; t < s; ++t)
                if (in.alphabet[t] == in.alphabet[s]) fail(in.loc, "alphabet symbol '{}' appears twice", in.alphabet[s]);
            if (in.embedding[s].size() != d)
                fail(in.loc, "embedding of '{}' has length {}, expected d = {}", in.alphabet[s], in.embedding[s].size(), d);
        }
        for (std::size_t k = 0; k < in.positional.size(); ++k) {
            if (in.positional[k].vector.size() != d)
                fail(in.loc, "positional feature '{}' has a vector of length {}, expected d = {}",
                     feature_name(in.positional[k].feature), in.positional[k].vector.size(), d);
            for (std::size_t j = 0; j < k; ++j)
                if (in.positional[j].feature == in.positional[k].feature)
                    fail(in.loc, "positional feature '{}' is listed twice", feature_name(in.positional[k].feature));
        }
        if (in.bos) {
            bool found = false;
            for (const auto& s : in.alphabet) found = found || s == *in.bos;
            if (!found) fail(in.loc, "the beginning-of-sequence symbol '{}' is not in the alphabet", *in.bos);
        }
    }
    if (!enc.coordinates.empty() && enc.coordinates.size() != d)
        fail(enc.loc, "{} coordinate names for d = {}", enc.coordinates.size(), d);
    if (!enc.readout.values.empty() &&
        (enc.readout.kind != Readout::Kind::Sequence || enc.readout.values.size() != enc.readout.coordinates.size()))
        fail(enc.readout.loc, "{} readout values for {} readout coordinates (values label a sequence readout's coordinates)",
             enc.readout.values.size(), enc.readout.coordinates.size());
    for (std::size_t l = 0; l < enc.layers.size(); ++l) {
        const Layer& layer = enc.layers[l];
        for (std::size_t h = 0; h < layer.heads.size(); ++h) {
            const Head& head = layer.heads[h];
            std::string where = fmt::format("layer {} head {}", l, h);
            check_affine(head.query, 0, d, head.loc, where + " query");
            check_affine(head.key, head.query.rows(), d, head.loc, where + " key");
            check_affine(head.value, 0, d, head.loc, where + " value");
            if (head.output.rows != d || head.output.cols != head.value.rows())
                fail(head.loc, "{} output is {} x {}, expected d x dv = {} x {}", where, head.output.rows,
                     head.output.cols, d, head.value.rows());
            if (head.rule == Rule::Softmax && head.beta < 0)
                fail(head.loc, "{}: softmax inverse temperature must be >= 0", where);
        }
        if (layer.ffn) {
            const FeedForward& f = *layer.ffn;
            std::string where = fmt::format("layer {} feed-forward", l);
            if (f.reads.size() != f.circuit.inputs.size())
                fail(f.loc, "{}: the circuit has {} inputs but reads {} coordinates", where, f.circuit.inputs.size(),
                     f.reads.size());
            if (f.writes.size() != f.circuit.outputs.size())
                fail(f.loc, "{}: the circuit has {} outputs but writes {} coordinates", where,
                     f.circuit.outputs.size(), f.writes.size());
            for (auto c : f.reads)
                if (c >= d) fail(f.loc, "{}: reads coordinate {}, but d = {}", where, c, d);
            std::vector<bool> seen(d, false);
            for (auto c : f.writes) {
                if (c >= d) fail(f.loc, "{}: writes coordinate {}, but d = {}", where, c, d);
                if (seen[c]) fail(f.loc, "{}: writes coordinate {} twice", where, c);
                seen[c] = true;
            }
        }
    }
    const Readout& r = enc.readout;
    if (r.kind == Readout::Kind::Sequence) {
        if (r.coordinates.empty()) fail(r.loc, "the sequence readout lists no coordinates");
        for (auto c : r.coordinates)
            if (c >= d) fail(r.loc, "the readout reads coordinate {}, but d = {}", c, d);
    } else if (r.weights.size() != d) {
        fail(r.loc, "the acceptance readout's weights have length {}, expected d = {}", r.weights.size(), d);
    }
}

std::pair<std::int64_t, std::int64_t> allowed_interval(const Head& h, std::int64_t i, std::int64_t n) {
    std::int64_t lo = 0, hi = n - 1;
    switch (h.mask) {
        case Mask::None: break;
        case Mask::Past: hi = i - 1; break;
        case Mask::PastOrSelf: hi = i; break;
        case Mask::Future: lo = i + 1; break;
        case Mask::FutureOrSelf: lo = i; break;
    }
    if (h.window) {
        auto w = static_cast<std::int64_t>(std::min<std::uint64_t>(*h.window, static_cast<std::uint64_t>(n)));
        lo = std::max(lo, i - w);
        hi = std::min(hi, i + w);
    }
    return {lo, hi};
}

std::vector<std::string> tokenize_input(const Encoder& enc, std::string_view text) {
    // One token per code point when every symbol is one code point (a space too, where it is
    // a symbol); otherwise, or for spaced text over symbols without a space, the words.
    bool single = true, space_symbol = false;
    for (const auto& s : enc.input.alphabet) {
        single = single && code_points(s).size() == 1;
        space_symbol = space_symbol || s == " ";
    }
    const bool by_space = !single || (!space_symbol && text.find_first_of(" \t\n") != std::string_view::npos);
    if (!by_space) return code_points(text);
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        if (j > i) out.emplace_back(text.substr(i, j - i));
        i = j;
    }
    return out;
}

Matrix<Rational> embed(const Encoder& enc, const std::vector<std::string>& raw) {
    Matrix<Rational> x;
    embed_into(enc, raw, x);
    return x;
}

void embed_into(const Encoder& enc, const std::vector<std::string>& raw, Matrix<Rational>& x) {
    const InputSpec& in = enc.input;
    if (in.kind != InputSpec::Kind::String) fail({}, "this encoder takes vectors as input, not a string");
    std::vector<std::string> tokens;
    if (in.bos) tokens.push_back(*in.bos);
    tokens.insert(tokens.end(), raw.begin(), raw.end());
    const std::size_t n = tokens.size(), d = enc.d;
    x.rows = n, x.cols = d;
    x.data.resize(n * d);
    for (Rational& v : x.data)  // zero, keeping the storage (most entries are zero already)
        if (!v.is_zero()) v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (in.bos && i > 0 && tokens[i] == *in.bos)
            fail(SourceLoc{"<input>", 1, static_cast<std::uint32_t>(i)},
                 "token '{}' (position {}) is the beginning-of-sequence symbol, which the encoder puts before the "
                 "input itself: it may not appear in the input",
                 tokens[i], i);
        std::size_t s = 0;
        while (s < in.alphabet.size() && in.alphabet[s] != tokens[i]) ++s;
        if (s == in.alphabet.size()) {
            std::string alphabet;
            for (const auto& a : in.alphabet) alphabet += (alphabet.empty() ? "" : " ") + a;
            fail(SourceLoc{"<input>", 1, static_cast<std::uint32_t>(i + 1 - (in.bos ? 1 : 0))},
                 "token '{}' (position {}) is not in the alphabet {{{}}}", tokens[i], i, alphabet);
        }
        for (std::size_t c = 0; c < d; ++c)
            if (!in.embedding[s][c].is_zero()) x.at(i, c) = in.embedding[s][c];
        for (const auto& p : in.positional) {
            Rational phi = feature_value(p.feature, i, n);
            for (std::size_t c = 0; c < d; ++c)
                if (!p.vector[c].is_zero()) x.at(i, c) += p.vector[c] * phi;
        }
    }
}

std::string coordinate_name(const Encoder& enc, std::size_t c) {
    return c < enc.coordinates.size() ? enc.coordinates[c] : fmt::format("x{}", c);
}

std::optional<std::string> decoded_output(const Encoder& enc, const std::vector<Rational>& row, bool nearest) {
    const Readout& r = enc.readout;
    if (r.kind != Readout::Kind::Sequence || row.size() != r.coordinates.size()) return std::nullopt;
    if (r.values.empty()) {
        if (row.size() != 1) return std::nullopt;
        return nearest ? fmt::format("{}", row[0].convert_to<double>()) : to_string(row[0]);
    }
    std::size_t ones = 0, best = 0;
    bool one_hot = true;
    for (std::size_t k = 0; k < row.size(); ++k) {
        if (row[k] == 1) ++ones;
        else if (row[k] != 0) one_hot = false;
        if (row[k] > row[best]) best = k;
    }
    if (nearest || (one_hot && ones == 1)) return r.values[best];
    return std::nullopt;
}

}  // namespace ahat
