#include "analysis/encoder_subject.hpp"

#include <memory>

#include <fmt/format.h>

#include "encoder/interpreter.hpp"

namespace ahat::analysis {

namespace {

std::vector<std::string> answer_of(const Encoder& enc, const capture::AnyMatrix& out) {
    const auto* m = std::get_if<Matrix<Rational>>(&out);
    std::vector<std::string> answer;
    auto text = [&](std::size_t i) {
        std::string s;
        for (std::size_t c = 0; c < (m ? m->cols : 0); ++c) s += (c ? " " : "") + to_string(m->at(i, c));
        return s;
    };
    if (!m) {
        // Numeric outputs: print each value rounded to a rational of the same value.
        const Matrix<Rational> r = std::visit([](const auto& x) { return convert<Rational>(x); }, out);
        return answer_of(enc, capture::AnyMatrix(r));
    }
    for (std::size_t i = 0; i < m->rows; ++i) answer.push_back(text(i));
    return answer;
}

}  // namespace

capture::Subject encoder_subject(const Encoder& enc0, const std::string& name) {
    if (enc0.input.kind != InputSpec::Kind::String) throw InputError(enc0.input.loc, "an analysis subject needs an encoder with a string input");
    if (enc0.readout.kind != Readout::Kind::Sequence) throw InputError(enc0.readout.loc, "an analysis subject needs a sequence readout");
    for (const Layer& l : enc0.layers)
        for (const Head& h : l.heads)
            if (h.rule == Rule::Softmax) throw InputError(h.loc, "an analysis subject needs hard heads (its exact run is the reference)");
    auto enc = std::make_shared<const Encoder>(enc0);
    std::vector<std::string> symbols;
    for (const std::string& a : enc->input.alphabet)
        if (!enc->input.bos || a != *enc->input.bos) symbols.push_back(a);
    if (symbols.empty()) throw InputError(enc0.input.loc, "the alphabet has no symbol besides bos");
    capture::Subject s;
    s.name = name;
    s.compile = [enc] {
        capture::Model m;
        m.encoder = *enc;
        m.input = [enc](const std::vector<std::string>& tokens) { return embed(*enc, tokens); };
        m.decode = [enc](const capture::AnyMatrix& out) { return answer_of(*enc, out); };
        return m;
    };
    s.sample = [enc, symbols](std::size_t n, std::mt19937_64& rng) {
        capture::Sample smp;
        for (std::size_t i = 0; i < n; ++i) smp.tokens.push_back(symbols[rng() % symbols.size()]);
        const RunResult<Rational> r = Program<Rational>(*enc).run(embed(*enc, smp.tokens));
        smp.expected = answer_of(*enc, capture::AnyMatrix(r.outputs));
        return smp;
    };
    return s;
}

}  // namespace ahat::analysis
