// A hand-made capture subject with a known break: "copy the last token to every position".
// One average-hard head with query 1 and key i selects j = n-1 (score n-1, runner-up n-2), so
// the relative margin is 1/(n-1). Tokens are b ... b a, so that a numeric tie between the
// last position and any others averages to at least 1/2, which decodes to the wrong token.
#pragma once

#include <cmath>
#include <string>

#include "capture/sweep.hpp"
#include "encoder/encoder_json.hpp"

namespace ahat_test {

inline const char* kCopyLast = R"({
  "format": "ahat-encoder", "version": 1, "name": "copy-last", "d": 3,
  "input": {"kind": "string", "alphabet": ["a", "b"],
            "embedding": {"a": ["0", "0", "0"], "b": ["1", "0", "0"]},
            "positional": {"i": ["0", "1", "0"]}},
  "layers": [{"heads": [{"name": "last", "rule": "average-hard", "mask": "none",
      "query": {"matrix": [["0", "0", "0"]], "bias": ["1"]},
      "key": {"matrix": [["0", "1", "0"]]},
      "value": {"matrix": [["1", "0", "0"]]},
      "output": [["0"], ["0"], ["1"]]}]}],
  "readout": {"kind": "sequence", "coordinates": [2]}
})";

template <class S>
std::vector<std::string> decode_copy(const ahat::Matrix<S>& m) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < m.rows; ++i) {
        const double v = static_cast<double>(m.at(i, 0));
        out.push_back(v >= 0.5 ? "b" : "a");
    }
    return out;
}

// compile_shift: when non-null, every compile adds *compile_shift to the key bias and bumps it
// (a "compiler" whose weights depend on when it is called: the hash check must notice).
inline ahat::capture::Subject copy_last_subject(int* compile_shift = nullptr) {
    using namespace ahat::capture;
    Subject s;
    s.name = "copy-last";
    s.compile = [compile_shift] {
        Model m;
        m.encoder = ahat::read_encoder(kCopyLast, "copy-last.json");
        if (compile_shift) {
            m.encoder.layers[0].heads[0].key.b[0] += *compile_shift;
            m.encoder.layers[0].heads[0].key.prepare();
            ++*compile_shift;
        }
        auto enc = std::make_shared<ahat::Encoder>(m.encoder);
        m.input = [enc](const std::vector<std::string>& t) { return ahat::embed(*enc, t); };
        m.decode = [](const AnyMatrix& out) {
            return std::visit([](const auto& x) { return decode_copy(x); }, out);
        };
        return m;
    };
    s.sample = [](std::size_t n, std::mt19937_64&) {
        Sample smp;
        for (std::size_t i = 0; i < n; ++i) smp.tokens.push_back(i + 1 < n ? "b" : "a");
        smp.expected.assign(n, smp.tokens.back());
        return smp;
    };
    return s;
}

}  // namespace ahat_test
