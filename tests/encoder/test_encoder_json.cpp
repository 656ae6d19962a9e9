// The encoder JSON format: round trips (examples and random encoders), sparse and dense
// forms, ReLU lowering, located errors, softmax (refused exactly, run numerically), and the
// string front end (positional feature catalogue, bos, unknown tokens).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "support/error.hpp"

using namespace ahat;
using ojson = nlohmann::ordered_json;

namespace {

struct Rng {
    std::mt19937_64 rng;
    explicit Rng(std::uint64_t seed) : rng(seed) {}
    long long below(long long k) { return static_cast<long long>(rng() % static_cast<std::uint64_t>(k)); }
    bool coin() { return below(2) == 0; }
    // a/b with |a| <= 4, 1 <= b <= 3 (not reduced: the spelling may be "2/2" or "0/3").
    std::pair<long long, long long> parts(bool sparse_zeros) {
        if (sparse_zeros && coin()) return {0, 1};
        return {below(9) - 4, 1 + below(3)};
    }
    Rational value(bool sparse_zeros) {
        auto [a, b] = parts(sparse_zeros);
        return Rational(a, b);
    }
    // One of the accepted spellings: JSON integer, "a/b" string, decimal string "a.0".
    ojson spell(long long a, long long b) {
        switch (b == 1 ? below(3) : 1) {
            case 0: return a;
            case 1: return fmt::format("{}/{}", a, b);
            default: return fmt::format("{}.0", a);
        }
    }
    ojson rat(bool sparse_zeros = false) {
        auto [a, b] = parts(sparse_zeros);
        return spell(a, b);
    }
    ojson vec(std::size_t n) {
        if (below(4) == 0) {  // sparse vector form
            ojson e = ojson::array();
            for (std::size_t i = 0; i < n; ++i)
                if (coin()) e.push_back(ojson::array({i, rat()}));
            return ojson{{"size", n}, {"entries", e}};
        }
        ojson a = ojson::array();
        for (std::size_t i = 0; i < n; ++i) a.push_back(rat());
        return a;
    }
    ojson matrix(std::size_t r, std::size_t c) {
        bool zeros = coin();
        if (r > 0 && coin()) {  // sparse form
            ojson e = ojson::array();
            for (std::size_t i = 0; i < r; ++i)
                for (std::size_t j = 0; j < c; ++j) {
                    auto [a, b] = parts(zeros);
                    if (a != 0) e.push_back(ojson::array({i, j, spell(a, b)}));
                }
            return ojson{{"rows", r}, {"cols", c}, {"entries", e}};
        }
        ojson m = ojson::array();
        for (std::size_t i = 0; i < r; ++i) {
            ojson row = ojson::array();
            for (std::size_t j = 0; j < c; ++j) row.push_back(rat(zeros));
            m.push_back(row);
        }
        return m;
    }
    std::uint32_t coord(std::size_t d) { return static_cast<std::uint32_t>(below(static_cast<long long>(d))); }
};

const char* kRuleNames[] = {"average-hard", "unique-hard-left", "unique-hard-right", "uniform"};
const char* kMaskNames[] = {"none", "j<i", "j<=i", "j>i", "j>=i"};
const char* kFeatureNames[] = {"1", "i", "i^2", "n", "1/(i+1)", "1/n", "i/n", "first", "last"};

ojson random_head(Rng& g, std::size_t d) {
    ojson h = ojson::object();
    if (g.coin()) h["name"] = "h" + std::to_string(g.below(100));
    const char* rule = kRuleNames[g.below(4)];
    h["rule"] = rule;
    if (g.coin()) h["mask"] = kMaskNames[g.below(5)];
    if (g.coin()) h["window"] = g.below(6);
    std::size_t dk = 1 + static_cast<std::size_t>(g.below(2)), dv = 1 + static_cast<std::size_t>(g.below(2));
    if (std::string(rule) != "uniform" || g.coin()) {
        h["query"] = ojson{{"matrix", g.matrix(dk, d)}};
        if (g.coin()) h["query"]["bias"] = g.vec(dk);
        h["key"] = ojson{{"matrix", g.matrix(dk, d)}};
        if (g.coin()) h["key"]["bias"] = g.vec(dk);
    }
    h["value"] = ojson{{"matrix", g.matrix(dv, d)}};
    if (g.coin()) h["value"]["bias"] = g.vec(dv);
    h["output"] = g.matrix(d, dv);
    return h;
}

ojson random_ffn(Rng& g, std::size_t d) {
    switch (g.below(4)) {
        case 0: {  // a string circuit, two coordinates read, two written
            std::uint32_t w0 = g.coord(d), w1 = (w0 + 1 + g.coord(d - 1)) % static_cast<std::uint32_t>(d);
            return ojson{{"circuit", "input a b\ns = add a b 1/2\np = mul a b\nt = sign s\noutput p t\n"},
                         {"reads", {g.coord(d), g.coord(d)}},
                         {"writes", {w0, w1}}};
        }
        case 1:  // lines, sugar, a comment
            return ojson{{"circuit", {"# relu and max", "input a", "r = relu a", "m = max a 1/3", "output r", "output m"}},
                         {"reads", {g.coord(d)}},
                         {"writes", {0, 1}}};
        case 2: {  // default reads and writes: all of d
            std::string text = "input";
            for (std::size_t k = 0; k < d; ++k) text += " x" + std::to_string(k);
            text += "\n";
            for (std::size_t k = 0; k < d; ++k)
                text += fmt::format("y{} = sub x{} x{}\n", k, (k + 1) % d, k);
            text += "output";
            for (std::size_t k = 0; k < d; ++k) text += " y" + std::to_string(k);
            return ojson{{"circuit", text}};
        }
        default: {
            std::size_t hidden = 1 + static_cast<std::size_t>(g.below(3));
            ojson relu{{"w1", g.matrix(hidden, d)}, {"w2", g.matrix(d, hidden)}};
            if (g.coin()) relu["b1"] = g.vec(hidden);
            // b2[0] = 1 keeps at least one output (see the zero-W2 test below for the other case)
            ojson b2 = ojson::array({"1"});
            for (std::size_t k = 1; k < d; ++k) b2.push_back(g.rat());
            relu["b2"] = b2;
            return ojson{{"relu", relu}};
        }
    }
}

ojson random_encoder(Rng& g) {
    const std::size_t d = 2 + static_cast<std::size_t>(g.below(3));
    ojson e{{"format", "ahat-encoder"}, {"version", 1}, {"name", "random"}, {"d", d}};
    if (g.coin()) {
        e["input"] = ojson{{"kind", "vectors"}};
    } else {
        std::vector<std::string> alphabet = {"a", "b"};
        if (g.coin()) alphabet.push_back("xy");
        ojson emb = ojson::object();
        for (const auto& s : alphabet) emb[s] = g.vec(d);
        ojson in{{"kind", "string"}, {"alphabet", alphabet}, {"embedding", emb}};
        ojson pos = ojson::object();
        for (const char* f : kFeatureNames)
            if (g.below(3) == 0) pos[f] = g.vec(d);
        if (!pos.empty() || g.coin()) in["positional"] = pos;
        if (g.coin()) in["bos"] = alphabet[static_cast<std::size_t>(g.below(static_cast<long long>(alphabet.size())))];
        e["input"] = in;
    }
    ojson layers = ojson::array();
    for (long long l = 0, L = g.below(4); l < L; ++l) {
        ojson layer = ojson::object();
        ojson heads = ojson::array();
        for (long long h = 0, H = g.below(3); h < H; ++h) heads.push_back(random_head(g, d));
        if (!heads.empty() || g.coin()) layer["heads"] = heads;
        if (g.coin()) layer["ffn"] = random_ffn(g, d);
        layers.push_back(layer);
    }
    e["layers"] = layers;
    if (g.coin()) {
        ojson coords = ojson::array();
        for (long long k = 0, K = 1 + g.below(3); k < K; ++k) coords.push_back(g.coord(d));
        e["readout"] = ojson{{"kind", "sequence"}, {"coordinates", coords}};
    } else {
        e["readout"] = ojson{{"kind", "accept"}, {"weights", g.vec(d)}};
        if (g.coin()) e["readout"]["position"] = g.coin() ? "first" : "last";
        if (g.coin()) e["readout"]["bias"] = g.rat();
    }
    return e;
}

// The symbols an input may hold: the alphabet without the BOS symbol (embed refuses it).
std::vector<std::string> input_symbols(const Encoder& enc) {
    std::vector<std::string> out;
    for (const auto& s : enc.input.alphabet)
        if (!enc.input.bos || s != *enc.input.bos) out.push_back(s);
    return out;
}

// n random tokens (none when the alphabet is only the BOS symbol).
std::vector<std::string> random_tokens(Rng& g, const Encoder& enc, std::size_t n) {
    const std::vector<std::string> symbols = input_symbols(enc);
    std::vector<std::string> toks;
    for (std::size_t i = 0; i < n && !symbols.empty(); ++i)
        toks.push_back(symbols[static_cast<std::size_t>(g.below(static_cast<long long>(symbols.size())))]);
    return toks;
}

Matrix<Rational> random_input(Rng& g, const Encoder& enc) {
    std::size_t n = 1 + static_cast<std::size_t>(g.below(7));
    if (enc.input.kind == InputSpec::Kind::String) return embed(enc, random_tokens(g, enc, n));
    Matrix<Rational> x(n, enc.d);
    for (auto& v : x.data) v = g.value(false);
    return x;
}

void same_results(const Encoder& a, const Encoder& b, const Matrix<Rational>& x) {
    RunResult<Rational> ra = run<Rational>(a, x), rb = run<Rational>(b, x);
    REQUIRE(ra.state == rb.state);
    REQUIRE(ra.outputs == rb.outputs);
    REQUIRE(ra.accepted == rb.accepted);
    REQUIRE(ra.score == rb.score);
    REQUIRE(ra.trace.heads.size() == rb.trace.heads.size());
    for (std::size_t l = 0; l < ra.trace.heads.size(); ++l)
        for (std::size_t h = 0; h < ra.trace.heads[l].size(); ++h)
            REQUIRE(ra.trace.heads[l][h].selected == rb.trace.heads[l][h].selected);
}

// 1-based line and column of text[offset].
std::pair<std::uint32_t, std::uint32_t> line_col(const std::string& text, std::size_t offset) {
    std::uint32_t line = 1, col = 1;
    for (std::size_t k = 0; k < offset; ++k) {
        if (text[k] == '\n') ++line, col = 1;
        else ++col;
    }
    return {line, col};
}

// Replaces `from` (which must occur exactly once) by `to` less its '@', which marks where the
// error is expected; returns the text and that offset.
std::pair<std::string, std::size_t> edit(const std::string& base, const std::string& from, std::string to) {
    std::size_t p = base.find(from);
    REQUIRE(p != std::string::npos);
    REQUIRE(base.find(from, p + 1) == std::string::npos);
    std::size_t at = to.find('@');
    if (at == std::string::npos) at = 0;
    else to.erase(at, 1);
    std::string t = base;
    t.replace(p, from.size(), to);
    return {t, p + at};
}

void expect_error(const std::string& text, std::size_t offset, const std::string& what) {
    INFO("expected error containing: " << what);
    auto [line, col] = line_col(text, offset);
    try {
        read_encoder(text, "bad.json");
        FAIL("no InputError");
    } catch (const InputError& e) {
        INFO("got: " << e.located());
        CHECK(e.loc().file == "bad.json");
        CHECK(e.loc().line == line);
        CHECK(e.loc().col == col);
        CHECK_THAT(e.what(), Catch::Contains(what));
    }
}

const std::string kBase = R"({
  "format": "ahat-encoder",
  "version": 1,
  "d": 2,
  "input": {"kind": "string", "alphabet": ["a", "b"],
            "embedding": {"a": ["1", "0"], "b": ["0", "1"]},
            "positional": {"i": [0, 1]}},
  "layers": [
    {
      "heads": [
        {
          "rule": "average-hard",
          "mask": "j<i",
          "query": {"matrix": [["0", "1"]], "bias": ["1"]},
          "key": {"matrix": [["1", "0"]]},
          "value": {"matrix": [["1", "1"]]},
          "output": [["0"], ["1"]]
        }
      ],
      "ffn": {"circuit": [
        "input a",
        "t = sign a",
        "output t"
      ], "reads": [0], "writes": [1]}
    }
  ],
  "readout": {"kind": "sequence", "coordinates": [0, 1]}
}
)";

std::string example(const std::string& name) { return read_file(std::string(AHAT_SOURCE_DIR) + "/examples/" + name); }

}  // namespace

TEST_CASE("string front end: the positional feature catalogue, bos, unknown tokens", "[encoder]") {
    const std::vector<Feature>& feats = all_features();
    REQUIRE(feats.size() == 9);
    const std::uint32_t d = 10;  // coordinate k < 9: feature k (scaled by 2); coordinate 9: the token
    Encoder enc;
    enc.d = d;
    enc.input.kind = InputSpec::Kind::String;
    enc.input.alphabet = {"a", "bb", "<s>"};
    for (long long s = 0; s < 3; ++s) {
        std::vector<Rational> e(d, Rational(0));
        e[9] = Rational(s + 1, 7);
        e[0] = Rational(s);  // also added to feature 0's coordinate
        enc.input.embedding.push_back(e);
    }
    for (std::size_t k = 0; k < feats.size(); ++k) {
        std::vector<Rational> p(d, Rational(0));
        p[k] = 2;
        enc.input.positional.push_back({feats[k], p});
    }
    enc.readout.coordinates = {0};
    auto expected = [](std::size_t k, long long i, long long n) -> Rational {
        switch (k) {
            case 0: return 1;
            case 1: return i;
            case 2: return i * i;
            case 3: return n;
            case 4: return Rational(1, i + 1);
            case 5: return Rational(1, n);
            case 6: return Rational(i, n);
            case 7: return i == 0 ? 1 : 0;
            default: return i == n - 1 ? 1 : 0;
        }
    };
    CHECK(feature_name(Feature::InvIPlus1) == "1/(i+1)");
    for (std::size_t k = 0; k < feats.size(); ++k)
        for (long long n = 1; n <= 6; ++n)
            for (long long i = 0; i < n; ++i)
                CHECK(feature_value(feats[k], static_cast<std::size_t>(i), static_cast<std::size_t>(n)) == expected(k, i, n));
    for (bool bos : {false, true}) {
        enc.input.bos.reset();
        if (bos) enc.input.bos = "<s>";
        validate(enc);
        const std::vector<std::string> toks = {"bb", "a", "a", "bb", "a"};
        Matrix<Rational> x = embed(enc, toks);
        const long long n = static_cast<long long>(toks.size()) + (bos ? 1 : 0);
        REQUIRE(x.rows == static_cast<std::size_t>(n));
        REQUIRE(x.cols == d);
        for (long long i = 0; i < n; ++i) {
            std::string t = bos && i == 0 ? "<s>" : toks[static_cast<std::size_t>(i - (bos ? 1 : 0))];
            long long s = t == "a" ? 0 : t == "bb" ? 1 : 2;
            for (std::size_t k = 0; k < 9; ++k)
                CHECK(x.at(static_cast<std::size_t>(i), k) == 2 * expected(k, i, n) + (k == 0 ? Rational(s) : Rational(0)));
            CHECK(x.at(static_cast<std::size_t>(i), 9) == Rational(s + 1, 7));
        }
        try {
            embed(enc, {"a", "bb", "c", "a"});
            FAIL("expected an InputError");
        } catch (const InputError& e) {
            CHECK_THAT(e.what(), Catch::Contains("'c'"));
            CHECK(e.loc().col == 3);  // the third token of the input
        }
        CHECK(tokenize_input(enc, "a bb  a") == std::vector<std::string>{"a", "bb", "a"});
    }
    Encoder vecs;
    vecs.d = 1;
    CHECK_THROWS_AS(embed(vecs, {"a"}), InputError);
}

TEST_CASE("examples: exact outputs and write/read round trips", "[encoder]") {
    Encoder ties = read_encoder(example("tie_rules.json"), "tie_rules.json");
    RunResult<Rational> r = run<Rational>(ties, embed(ties, tokenize_input(ties, "abaab")));
    // 'a' at 0, 2, 3: mean position 5/3, leftmost 0, rightmost 3, at every position.
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(r.outputs.at(i, 0) == Rational(5, 3));
        CHECK(r.outputs.at(i, 1) == 0);
        CHECK(r.outputs.at(i, 2) == 3);
        CHECK(r.trace.heads[0][0].selected[i] == 3);
    }
    r = run<Rational>(ties, embed(ties, tokenize_input(ties, "bbb")));  // every position ties
    CHECK(r.outputs.at(1, 0) == 1);
    CHECK(r.outputs.at(1, 1) == 0);
    CHECK(r.outputs.at(1, 2) == 2);

    Encoder maj = read_encoder(example("majority.json"), "majority.json");
    RunResult<Rational> m = run<Rational>(maj, embed(maj, tokenize_input(maj, "1101")));
    CHECK(m.score == Rational(1, 2));
    CHECK(*m.accepted);
    m = run<Rational>(maj, embed(maj, tokenize_input(maj, "1100")));  // score exactly 0: reject
    CHECK(m.score == 0);
    CHECK_FALSE(*m.accepted);

    Encoder prev = read_encoder(example("prev_token.json"), "prev_token.json");
    RunResult<Rational> p = run<Rational>(prev, embed(prev, tokenize_input(prev, "cab")));
    CHECK(p.outputs == Sparse<Rational>::from_triples(3, 3, {{1, 2, Rational(1)}, {2, 0, Rational(1)}}).to_dense());
    CHECK(p.trace.heads[0][0].selected == std::vector<std::uint32_t>{0, 1, 1});

    Rng g(7);
    for (const char* name : {"majority.json", "prev_token.json", "tie_rules.json"}) {
        INFO(name);
        Encoder e0 = read_encoder(example(name), name);
        std::string t1 = write_encoder(e0);
        Encoder e1 = read_encoder(t1, "t1.json");
        std::string t2 = write_encoder(e1);
        CHECK(t1 == t2);
        CHECK(e1.name == e0.name);
        CHECK(e1.description == e0.description);
        for (int k = 0; k < 20; ++k) same_results(e0, e1, random_input(g, e0));
    }
}

TEST_CASE("random encoders: write(read(text)) is a fixed point and runs identically", "[encoder]") {
    std::size_t relu = 0, strings = 0;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        Rng g(seed * 0x9E3779B97F4A7C15ULL);
        ojson j = random_encoder(g);
        std::string text = g.coin() ? j.dump(2) : j.dump();
        INFO("seed " << seed << "\n" << text);
        Encoder e0 = read_encoder(text, "random.json");
        std::string t1 = write_encoder(e0);
        Encoder e1 = read_encoder(t1, "t1.json");
        std::string t2 = write_encoder(e1);
        REQUIRE(t1 == t2);
        REQUIRE(write_encoder(read_encoder(t2, "t2.json")) == t2);
        relu += text.find("\"relu\"") != std::string::npos;
        strings += e0.input.kind == InputSpec::Kind::String;
        for (int k = 0; k < 5; ++k) {
            if (e0.input.kind == InputSpec::Kind::String) {  // both front ends embed the same tokens alike
                const std::vector<std::string> toks = random_tokens(g, e0, 1 + static_cast<std::size_t>(g.below(6)));
                REQUIRE(embed(e0, toks) == embed(e1, toks));
            }
            same_results(e0, e1, random_input(g, e0));
        }
    }
    CHECK(relu > 10);
    CHECK(strings > 50);
}

TEST_CASE("sparse and dense matrix and vector forms read the same", "[encoder]") {
    const std::string dense = R"({"d": 3, "input": {"kind": "vectors"}, "layers": [{"heads": [{
        "query": {"matrix": [["1", "0", "2"], ["0", "0", "-1/2"]], "bias": ["0", "3"]},
        "key": {"matrix": [[1, 1, 1], [0, 2, 0]]},
        "value": {"matrix": [["0", "0", "5/3"]]},
        "output": [["1"], ["0"], ["0"]]}]}],
      "readout": {"kind": "sequence", "coordinates": [0, 1, 2]}})";
    const std::string sparse = R"({"d": 3, "input": {"kind": "vectors"}, "layers": [{"heads": [{
        "query": {"matrix": {"rows": 2, "cols": 3, "entries": [[1, 2, "-1/4"], [0, 0, 1], [0, 2, "4/2"], [1, 2, "-2.5e-1"], [1, 1, 0]]},
                  "bias": {"size": 2, "entries": [[1, "3"]]}},
        "key": {"matrix": {"rows": 2, "cols": 3, "entries": [[0, 0, 1], [0, 1, 1], [0, 2, 1], [1, 1, 2]]}},
        "value": {"matrix": {"rows": 1, "cols": 3, "entries": [[0, 2, "5/3"]]}},
        "output": {"rows": 3, "cols": 1, "entries": [[0, 0, "1"]]}}]}],
      "readout": {"kind": "sequence", "coordinates": [0, 1, 2]}})";
    Encoder a = read_encoder(dense, "dense.json"), b = read_encoder(sparse, "sparse.json");
    const Head &ha = a.layers[0].heads[0], &hb = b.layers[0].heads[0];
    CHECK(ha.query == hb.query);
    CHECK(ha.key == hb.key);
    CHECK(ha.value == hb.value);
    CHECK(ha.output == hb.output);
    CHECK(hb.query.A.to_dense().at(1, 2) == Rational(-1, 2));
    CHECK(hb.query.b == std::vector<Rational>{Rational(0), Rational(3)});
    CHECK(write_encoder(a) == write_encoder(b));
    Rng g(3);
    for (int k = 0; k < 20; ++k) same_results(a, b, random_input(g, a));
}

TEST_CASE("ReLU feed-forward parts compute W2 relu(W1 y + b1) + b2", "[encoder]") {
    const std::string text = R"({"d": 3, "input": {"kind": "vectors"}, "layers": [{"ffn": {"relu": {
        "w1": [["1", "-1", "0"], ["0", "2", "1/2"]], "b1": ["1/3", "-1"],
        "w2": [["1", "0"], ["0", "0"], ["-2", "3"]], "b2": ["0", "0", "1/5"]}}}],
      "readout": {"kind": "sequence", "coordinates": [0, 1, 2]}})";
    Encoder enc = read_encoder(text, "relu.json");
    CHECK(enc.layers[0].ffn->writes == std::vector<std::uint32_t>{0, 2});  // row 1 of W2 is zero
    Encoder again = read_encoder(write_encoder(enc), "again.json");
    Rng g(11);
    auto relu = [](const Rational& x) { return x > 0 ? x : Rational(0); };
    for (int k = 0; k < 50; ++k) {
        Matrix<Rational> x = random_input(g, enc);
        RunResult<Rational> r = run<Rational>(enc, x);
        for (std::size_t i = 0; i < x.rows; ++i) {
            const Rational* y = x.row(i);
            Rational h0 = relu(y[0] - y[1] + Rational(1, 3)), h1 = relu(2 * y[1] + y[2] / 2 - 1);
            CHECK(r.state.at(i, 0) == y[0] + h0);
            CHECK(r.state.at(i, 1) == y[1]);
            CHECK(r.state.at(i, 2) == y[2] - 2 * h0 + 3 * h1 + Rational(1, 5));
        }
        same_results(enc, again, x);
    }
}

// BUG (src/encoder/encoder_json.cpp, lower_relu / write_encoder): a ReLU part whose W2 and b2
// are all zero is read as a circuit with no outputs; write_encoder writes it without an
// "output" line, and reading that text back fails ("the circuit has no output statement").
TEST_CASE("a ReLU part with zero W2 and b2 survives a round trip", "[encoder][regression]") {
    const std::string text = R"({"d": 2, "input": {"kind": "vectors"}, "layers": [{"ffn": {"relu": {
        "w1": [["1", "0"]], "w2": [["0"], ["0"]]}}}],
      "readout": {"kind": "sequence", "coordinates": [0, 1]}})";
    Encoder enc = read_encoder(text, "zero_relu.json");
    std::string t1 = write_encoder(enc);
    INFO(t1);
    REQUIRE_NOTHROW(read_encoder(t1, "t1.json"));
    Encoder e1 = read_encoder(t1, "t1.json");
    CHECK(write_encoder(e1) == t1);
    Rng g(1);
    same_results(enc, e1, random_input(g, enc));
}

// BUG (src/exact/rational.cpp, parse_rational: `Integer num(whole + frac)` and `Integer d(den)`):
// Boost's gmp_int string constructor reads a leading '0' as an octal prefix, so an encoder
// weight "0.25" (digits "025") is read as 21/100, "0.125" as 85/1000, "1/010" as 1/8, and
// "0.09" (digits "009", not octal) escapes read_encoder as std::runtime_error instead of an
// InputError. (The same root cause is tested in tests/exact/test_rational.cpp.)
TEST_CASE("decimal weights in encoder JSON are read exactly", "[encoder][regression]") {
    const std::string text = R"({"d": 2, "input": {"kind": "vectors"}, "layers": [{"heads": [{"rule": "uniform",
        "value": {"matrix": [["0.25", 0.125]], "bias": ["1/010"]}, "output": [["1"], ["0"]]}]}],
      "readout": {"kind": "accept", "weights": ["1", "0"], "bias": "-0.5"}})";
    Encoder enc = read_encoder(text, "decimals.json");
    const Head& h = enc.layers[0].heads[0];
    CHECK(h.value.A.to_dense().at(0, 0) == Rational(1, 4));
    CHECK(h.value.A.to_dense().at(0, 1) == Rational(1, 8));
    CHECK(h.value.b[0] == Rational(1, 10));
    CHECK(enc.readout.bias == Rational(-1, 2));
    Matrix<Rational> x(1, 2);
    x.at(0, 0) = 4;  // score = 4 + (1 + 1/10) - 1/2 with the exact weights
    CHECK(run<Rational>(enc, x).score == Rational(23, 5));
    std::string nine = text;
    nine.replace(nine.find("\"0.25\""), 6, "\"0.09\"");
    CHECK_NOTHROW(read_encoder(nine, "nine.json"));  // must not throw std::runtime_error
}

TEST_CASE("read errors name file:line:col of the bad part", "[encoder]") {
    REQUIRE_NOTHROW(read_encoder(kBase, "base.json"));
    struct Case {
        const char* from;
        const char* to;  // '@' marks the expected error position
        const char* what;
    };
    const Case cases[] = {
        {R"("query": {"matrix": [["0", "1"]])", R"("query": {"matrix": @[["0", "1", "2"]])", "query has 3 columns, expected 2"},
        {R"("key": {"matrix": [["1", "0"]])", R"("key": {"matrix": @[["1", "0"], ["0", "1"]])", "key has 2 rows, expected 1"},
        {R"("output": [["0"], ["1"]])", R"("output": @[["0"], ["1"], ["2"]])", "output has 3 rows, expected 2"},
        {R"("value": {"matrix": [["1", "1"]])", R"("value": {"matrix": [["1", "1"], @["1"]])", "row 1 has 1 entries, row 0 has 2"},
        {R"("b": ["0", "1"])", R"("b": @["0", "1", "2"])", "embedding of \"b\" has length 3, expected 2"},
        {R"({"i": [0, 1]})", R"({"j": @[0, 1]})", "unknown positional feature \"j\""},
        {R"("rule": "average-hard")", R"("rule": @"hardmax")", "unknown attention rule \"hardmax\""},
        {R"("mask": "j<i")", R"("mask": @"j<=k")", "unknown mask \"j<=k\""},
        {R"("mask": "j<i",)", R"("mask": "j<i", "temperature": @2,)", "unknown key \"temperature\""},
        {R"("bias": ["1"])", R"("bias": ["1/@0"])", "division by zero"},
        {R"("version": 1,)", R"("version": 1)", "expected '}' to close object"},  // position set below
        // Circuit line 2 "t = sign b": its column 10 is 'b', 10 characters past the opening quote.
        {R"("t = sign a",)", R"("t = sign @b",)", "unknown name 'b'"},
        {R"("t = sign a",)", R"("t = @sgn a",)", "unknown operation 'sgn'"},
        {R"("output t")", R"("output @u")", "unknown name 'u'"},
        {R"("reads": [0])", R"("reads": [@2])", "reads: coordinate 2 out of range"},
        {R"("key": {"matrix": [["1", "0"]]})", R"("key": {"matrix": {"rows": 1, "cols": 2, "entries": [[0, @5, "1"]]}})",
         "column 5 out of range"},
        {R"({"kind": "sequence", "coordinates": [0, 1]})", R"({"kind": "accept", "weights": @["1"]})",
         "readout weights has length 1, expected 2"},
        {R"("coordinates": [0, 1])", R"("coordinates": [0, @7])", "coordinate 7 out of range"},
        {R"("kind": "string")", R"("kind": @"strings")", "unknown input kind"},
    };
    for (const Case& c : cases) {
        auto [t, at] = edit(kBase, c.from, c.to);
        if (std::string(c.from) == R"("version": 1,)") at = t.find("\"d\"");
        expect_error(t, at, c.what);
    }
    // The ffn object's own location for the writes/reads count: at its '{'.
    {
        auto [t, at] = edit(kBase, R"("ffn": {"circuit")", R"("ffn": @{"circuit")");
        std::string bad = t;
        bad.replace(bad.find(R"("writes": [1])"), 13, R"("writes": [1, 0])");
        expect_error(bad, at, "circuit has 1 outputs but writes 2 coordinates");
    }
    // Truncated document: end of file where a value should be.
    std::string cut = kBase.substr(0, kBase.find("\"readout\"") + 11);
    expect_error(cut, cut.size(), "unexpected end of file");
}

TEST_CASE("softmax: refused exactly at the head, run in double, tends to average-hard", "[encoder]") {
    // Keys (coordinate 0) 1 0 1 0 0, values (coordinate 1) 1 2 3 4 5: average-hard gives 2,
    // softmax (2 e^b * 2 + 2 + 4 + 5) / (2 e^b + 3), uniform (beta = 0) gives 3.
    const std::string text = R"({"d": 3, "input": {"kind": "vectors"}, "layers": [{"heads": [
      {"rule": "softmax", "beta": "BETA",
       "query": {"matrix": [["0", "0", "0"]], "bias": ["1"]},
       "key": {"matrix": [["1", "0", "0"]]},
       "value": {"matrix": [["0", "1", "0"]]},
       "output": [["0"], ["0"], ["1"]]}]}],
      "readout": {"kind": "sequence", "coordinates": [2]}})";
    Matrix<Rational> x(5, 3);
    const long long keys[] = {1, 0, 1, 0, 0};
    for (std::size_t i = 0; i < 5; ++i) x.at(i, 0) = keys[i], x.at(i, 1) = static_cast<long long>(i + 1);
    double prev_err = 1e300;
    for (const char* beta : {"0", "1/2", "1", "2", "5", "10", "20", "40"}) {
        std::string t = edit(text, "BETA", beta).first;
        Encoder enc = read_encoder(t, "softmax.json");
        auto [hl, hc] = line_col(t, t.find("{\"rule\""));
        try {
            Program<Rational> p(enc);
            FAIL("Program<Rational> accepted a softmax head");
        } catch (const InputError& e) {
            CHECK(e.loc().line == hl);
            CHECK(e.loc().col == hc);
            CHECK_THAT(e.what(), Catch::Contains("softmax"));
        }
        CHECK_THROWS_AS(run<Rational>(enc, x), InputError);
        RunResult<double> r = run<double>(enc, convert<double>(x));
        const double b = parse_rational(beta)->convert_to<double>(), w = std::exp(b);
        const double want = (4 * w + 11) / (2 * w + 3);
        double err = 0;
        for (std::size_t i = 0; i < 5; ++i) {
            CHECK(std::abs(r.state.at(i, 2) - want) <= 1e-12 * want);
            err = std::max(err, std::abs(r.state.at(i, 2) - 2.0));
            CHECK(r.trace.heads[0][0].selected[i] == 5);
        }
        if (std::string(beta) == "0") CHECK(std::abs(r.state.at(0, 2) - 3.0) <= 1e-12);
        CHECK(err <= prev_err);
        prev_err = err;
        // The average-hard version of the same head, exactly.
        std::string ah = edit(text, R"("rule": "softmax", "beta": "BETA",)", R"("rule": "average-hard",)").first;
        Encoder hard = read_encoder(ah, "hard.json");
        CHECK(run<Rational>(hard, x).state.at(3, 2) == 2);
    }
    CHECK(prev_err <= 1e-12);  // beta = 40: within 1e-12 of the average-hard output
    // A softmax head written and read again keeps its rule and beta.
    std::string t = edit(text, "BETA", "5/2").first;
    Encoder enc = read_encoder(t, "softmax.json");
    Encoder back = read_encoder(write_encoder(enc), "back.json");
    CHECK(back.layers[0].heads[0].rule == Rule::Softmax);
    CHECK(back.layers[0].heads[0].beta == Rational(5, 2));
    auto [u, at] = edit(text, R"("rule": "softmax", "beta": )", R"("rule": "uniform", "beta": @)");
    expect_error(u, at, "\"beta\" applies to softmax heads only");
}
