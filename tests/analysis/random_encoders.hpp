// Random encoders for the analyses' property tests (tests/analysis): every rule, masks,
// windows, softmax at several betas, feed-forward circuits with mul and sign gates, sequence
// and accept readouts; weights are small rationals p/q (q <= 4).
#pragma once

#include <random>

#include "encoder/encoder.hpp"

namespace ahat_test {

using namespace ahat;

inline Rational rat(std::mt19937_64& rng, int range, int den) {
    const long p = static_cast<long>(rng() % (2 * range + 1)) - range;
    const long q = 1 + static_cast<long>(rng() % den);
    return Rational(Integer(p), Integer(q));
}

inline Affine<Rational> dense_affine(std::mt19937_64& rng, std::size_t rows, std::size_t d, const std::vector<std::size_t>& cols, bool bias) {
    Matrix<Rational> m(rows, d);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c : cols) m.at(r, c) = rat(rng, 3, 4);
    std::vector<Rational> b(rows, Rational(0));
    if (bias)
        for (auto& x : b) x = rat(rng, 2, 3);
    return Affine<Rational>(Sparse<Rational>::from_dense(m), b);
}

inline std::vector<std::size_t> range_of(std::size_t lo, std::size_t hi) {
    std::vector<std::size_t> v;
    for (std::size_t c = lo; c < hi; ++c) v.push_back(c);
    return v;
}

// out = relu(w . x + c) plus x0 * x1: mul and sign gates.
inline FeedForward random_ffn(std::mt19937_64& rng, std::size_t d) {
    FeedForward f;
    Circuit& c = f.circuit;
    const std::size_t k = 2 + rng() % 2;
    std::vector<GateId> in;
    for (std::size_t t = 0; t < k; ++t) in.push_back(c.input()), f.reads.push_back(static_cast<std::uint32_t>(rng() % d));
    std::vector<GateId> terms{c.constant(rat(rng, 2, 3))};
    for (GateId g : in) terms.push_back(c.mul(c.constant(rat(rng, 3, 4)), g));
    const GateId relu = c.relu(c.add(terms));
    const GateId prod = c.mul(in[0], in[1]);
    c.outputs = {relu, c.mul(c.constant(Rational(1, 4)), prod)};
    const auto w0 = static_cast<std::uint32_t>(rng() % d);
    f.writes = {w0, static_cast<std::uint32_t>((w0 + 1 + rng() % (d - 1)) % d)};  // distinct
    return f;
}

inline Encoder random_encoder(std::mt19937_64& rng, bool allow_soft, bool allow_hard) {
    Encoder e;
    e.name = "random";
    e.d = static_cast<std::uint32_t>(3 + rng() % 4);
    const std::size_t L = 1 + rng() % 3;
    std::vector<Rule> rules;
    if (allow_soft) rules.push_back(Rule::Softmax), rules.push_back(Rule::Softmax), rules.push_back(Rule::Uniform);
    if (allow_hard) rules.push_back(Rule::AverageHard), rules.push_back(Rule::UniqueHardLeft), rules.push_back(Rule::UniqueHardRight);
    for (std::size_t l = 0; l < L; ++l) {
        Layer layer;
        const std::size_t H = 1 + rng() % 2;
        for (std::size_t h = 0; h < H; ++h) {
            Head hd;
            hd.rule = rules[rng() % rules.size()];
            const std::size_t dk = 1 + rng() % 3, dv = 1 + rng() % 3;
            hd.query = dense_affine(rng, dk, e.d, range_of(0, e.d), true);
            hd.key = dense_affine(rng, dk, e.d, range_of(0, e.d), rng() % 2);
            hd.value = dense_affine(rng, dv, e.d, range_of(0, e.d), true);
            Matrix<Rational> o(e.d, dv);
            for (std::size_t r = 0; r < e.d; ++r)
                for (std::size_t c = 0; c < dv; ++c) o.at(r, c) = rng() % 2 ? rat(rng, 2, 2) : Rational(0);
            hd.output = Sparse<Rational>::from_dense(o);
            hd.mask = static_cast<Mask>(rng() % 5);
            if (rng() % 4 == 0) hd.window = 1 + rng() % 3;
            hd.beta = Rational(1 + static_cast<long>(rng() % 3), 2);
            layer.heads.push_back(std::move(hd));
        }
        if (rng() % 2) layer.ffn = random_ffn(rng, e.d);
        e.layers.push_back(std::move(layer));
    }
    if (rng() % 3 == 0) {
        e.readout.kind = Readout::Kind::Accept;
        e.readout.at_last = rng() % 2;
        for (std::size_t c = 0; c < e.d; ++c) e.readout.weights.push_back(rat(rng, 2, 3));
        e.readout.bias = rat(rng, 2, 3);
    } else {
        e.readout.coordinates = {static_cast<std::uint32_t>(rng() % e.d), static_cast<std::uint32_t>(rng() % e.d)};
    }
    validate(e);
    return e;
}

}  // namespace ahat_test
