// Compiled-circuit files (docs/formats.md, "Compiled circuits"): write/read round trips for both
// constructions (same text again; the read encoding runs to the same outputs as direct
// evaluation) and located errors for bad files.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "circuit/families.hpp"
#include "compile/compiled_io.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "compile/random_inputs.hpp"

using namespace ahat;

namespace {

using ahat_test::random_inputs;

Circuit demo_circuit() { return load_circuit(std::string(AHAT_SOURCE_DIR) + "/circuits/demo.circ"); }

// The 1-based line and column of byte offset `pos` in `text`.
std::pair<std::uint32_t, std::uint32_t> line_col(const std::string& text, std::size_t pos) {
    std::uint32_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos; ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

// Replaces `from` (searched from `start`, or backwards when `last`) by `to`, and returns the
// new text with the offset where `to` begins.
std::pair<std::string, std::size_t> replace_once(const std::string& text, const std::string& from, const std::string& to,
                                                 bool last = false) {
    std::size_t at = last ? text.rfind(from) : text.find(from);
    REQUIRE(at != std::string::npos);
    std::string out = text;
    out.replace(at, from.size(), to);
    return {out, at};
}

// Reading `text` fails at the line and column of byte `pos` with a message containing `what`.
void expect_error_at(const std::string& text, std::size_t pos, const std::string& what) {
    auto [line, col] = line_col(text, pos);
    try {
        read_compiled(text, "bad.json");
        FAIL("no error; expected: " << what);
    } catch (const InputError& e) {
        INFO(e.located());
        CHECK(e.loc().file == "bad.json");
        CHECK(e.loc().line == line);
        CHECK(e.loc().col == col);
        CHECK_THAT(std::string(e.what()), Catch::Contains(what));
    }
}

// Two compiled circuits hold the same encoding, entry for entry, and the same input names.
void check_same_encoding(const CompiledCircuit& a, const CompiledCircuit& b) {
    CHECK(a.input_names == b.input_names);
    CHECK(a.encoding.tokens == b.encoding.tokens);
    CHECK(a.encoding.input_tokens == b.encoding.input_tokens);
    CHECK(a.encoding.output_tokens == b.encoding.output_tokens);
    CHECK(a.encoding.output_names == b.encoding.output_names);
    CHECK(a.encoding.token_gate == b.encoding.token_gate);
    CHECK(a.encoding.token_is_gate == b.encoding.token_is_gate);
    CHECK(a.encoding.value_coordinate == b.encoding.value_coordinate);
}

void check_round_trip(const Circuit& circ, Construction cons, std::optional<std::size_t> K, Layout layout) {
    const CompiledCircuit cc = compile_circuit(circ, cons, K, "some/circuit.circ");
    const std::string text = write_compiled(cc, layout);
    const CompiledCircuit back = read_compiled(text, "x.json");
    CHECK(write_compiled(back, layout) == text);
    CHECK(text.find(layout == Layout::Compact ? "\"version\": 2" : "\"version\": 1") != std::string::npos);
    CHECK(back.construction == cons);
    CHECK(back.K == cc.K);
    CHECK(back.source == "some/circuit.circ");
    CHECK(back.circuit_depth == stats(circ).depth);
    CHECK(write_encoder(back.encoder) == write_encoder(cc.encoder));
    check_same_encoding(back, cc);
    const Program<Rational> prog(back.encoder);
    std::mt19937_64 rng(7);
    for (int it = 0; it < 5; ++it) {
        std::vector<Rational> x = random_inputs(rng, circ.inputs.size());
        CHECK(decode(back.encoding, prog.run(with_inputs(back.encoding, x)).state) == evaluate<Rational>(circ, x));
    }
}

}  // namespace

TEST_CASE("compiled circuits: write/read round trip, both constructions", "[compile]") {
    for (Construction cons : {Construction::Wire, Construction::Gate}) {
        INFO("construction " << construction_name(cons));
        for (Layout layout : {Layout::Full, Layout::Compact}) {
            INFO((layout == Layout::Full ? "full" : "compact"));
            check_round_trip(demo_circuit(), cons, std::nullopt, layout);
            check_round_trip(demo_circuit(), cons, 5, layout);  // a larger K than needed
            check_round_trip(sort_circuit(3), cons, std::nullopt, layout);
            check_round_trip(inner_product(2), cons, std::nullopt, layout);
        }
    }
}

TEST_CASE("compiled circuits: the compact layout reads back to the full layout's encoding", "[compile]") {
    // Random circuits of every family parameter the generator takes: the tokens built from the
    // compact file's circuit text equal those the full file holds, entry for entry.
    std::mt19937_64 rng(11);
    for (int it = 0; it < 24; ++it) {
        FamilyParams p;
        p.size = 8 + rng() % 60, p.seed = rng(), p.depth = 1 + rng() % 6, p.inputs = 1 + rng() % 5;
        const Circuit c = make_family("random", p);
        for (Construction cons : {Construction::Wire, Construction::Gate}) {
            INFO("size " << p.size << " depth " << p.depth << " " << construction_name(cons));
            const CompiledCircuit cc = compile_circuit(c, cons, std::nullopt, "r.circ");
            const CompiledCircuit full = read_compiled(write_compiled(cc, Layout::Full), "f.json");
            const CompiledCircuit compact = read_compiled(write_compiled(cc, Layout::Compact), "c.json");
            check_same_encoding(compact, full);
            CHECK(write_compiled(compact, Layout::Full) == write_compiled(full, Layout::Full));
            // compiled for the compact layout: no token matrix built, the same file and count
            const CompiledCircuit lean = compile_circuit(c, cons, std::nullopt, "r.circ", Layout::Compact);
            CHECK(lean.encoding.tokens.rows == 0);
            CHECK(lean.tokens == cc.encoding.tokens.rows);
            CHECK(token_count(cons, c) == cc.encoding.tokens.rows);
            CHECK(write_compiled(lean, Layout::Compact) == write_compiled(cc, Layout::Compact));
            CHECK_THROWS(write_compiled(lean, Layout::Full));  // it has no token matrix to write
        }
    }
    // auto: compact only above kCompactAbove tokens
    const CompiledCircuit small = compile_circuit(demo_circuit(), Construction::Wire, std::nullopt, "d");
    CHECK(choose_layout(small.tokens) == Layout::Full);
    CHECK(choose_layout(kCompactAbove) == Layout::Full);
    CHECK(choose_layout(kCompactAbove + 1) == Layout::Compact);
    CHECK(parse_layout("compact") == Layout::Compact);
    CHECK(parse_layout("full") == Layout::Full);
    CHECK(!parse_layout("auto"));
}

TEST_CASE("compiled circuits: compact files' errors name the circuit text's line and column", "[compile]") {
    const std::string good = write_compiled(compile_circuit(demo_circuit(), Construction::Wire, std::nullopt, "circuits/demo.circ"),
                                            Layout::Compact);
    REQUIRE_NOTHROW(read_compiled(good, "good.json"));
    // an operation the .circ reader does not know, as the circuit's second line: the error
    // stands at that string's line in the JSON file
    const std::size_t open = good.find("\"circuit_text\": [");
    REQUIRE(open != std::string::npos);
    const std::size_t second = good.find("\", \"", open) + 3;  // where the second line's string begins
    std::string t = good;
    t.insert(second, "\"zz = frob(x1)\", ");
    try {
        read_compiled(t, "bad.json");
        FAIL("no error");
    } catch (const InputError& e) {
        INFO(e.located());
        CHECK(e.loc().file == "bad.json");
        CHECK(e.loc().line == line_col(t, second).first);
        CHECK(e.loc().col > line_col(t, second).second);  // inside that string
        CHECK_THAT(std::string(e.what()), Catch::Contains("in circuit_text (its line 2)"));
    }
    // a depth other than circuit_depth, the token matrix in a compact file, an old reader's version
    auto [t1, at1] = replace_once(good, "\"circuit_depth\": 3", "\"circuit_depth\": 2");
    expect_error_at(t1, at1 + 17, "circuit_depth is 2, but the circuit in circuit_text has depth 3");
    auto [t2, at2] = replace_once(good, "\"circuit_text\"", "\"encoding\"");
    expect_error_at(t2, at2 + 12, "unknown key \"encoding\"");
    auto [t3, at3] = replace_once(good, "\"version\": 2", "\"version\": 3");
    expect_error_at(t3, at3 + 11, "unsupported compiled-circuit format version 3");
}

TEST_CASE("compiled circuits: the file's shape", "[compile]") {
    const CompiledCircuit w = compile_circuit(demo_circuit(), Construction::Wire, std::nullopt, "circuits/demo.circ");
    CHECK(w.K == 3);
    CHECK(w.circuit_depth == 3);
    CHECK(w.encoder.layers.size() == 3);
    CHECK(w.encoder.d == 13);
    CHECK(w.encoding.tokens.rows == 10);  // 8 edges + 2 outputs
    CHECK(w.input_names == std::vector<std::string>{"x1", "x2", "y1", "y2"});
    const std::string text = write_compiled(w);
    CHECK(text.rfind("{\n  \"format\": \"ahat-compiled-circuit\",\n  \"version\": 1,\n  \"construction\": \"wire\",\n"
                     "  \"K\": 3,\n  \"circuit\": \"circuits/demo.circ\",\n  \"circuit_depth\": 3,\n",
                     0) == 0);
    CHECK_THAT(text, Catch::Contains("\"outputs\": [\n      {\n        \"name\": \"s\",\n        \"token\": 8\n      },\n"));
    const CompiledCircuit g = compile_circuit(demo_circuit(), Construction::Gate, std::nullopt, "circuits/demo.circ");
    CHECK(g.encoder.layers.size() == 6);
    CHECK(g.encoder.d == 17);
    CHECK(g.encoding.tokens.rows == 17);  // 9 gates + 8 wires
    // the nested encoder is the encoder file's JSON, read the same way
    const std::string enc_text = write_encoder(g.encoder);
    CHECK(write_encoder(read_encoder(enc_text, "e.json")) == enc_text);
    // K below the depth is refused
    CHECK_THROWS_AS(compile_circuit(demo_circuit(), Construction::Wire, 2, "d"), InputError);
}

TEST_CASE("compiled circuits: located errors", "[compile]") {
    const std::string good =
        write_compiled(compile_circuit(demo_circuit(), Construction::Wire, std::nullopt, "circuits/demo.circ"));
    REQUIRE_NOTHROW(read_compiled(good, "good.json"));

    SECTION("tokens of the wrong width") {
        auto [t, at] = replace_once(good, "\"cols\": 13", "\"cols\": 12", true);
        expect_error_at(t, at + 8, "the tokens have width 12, but the encoder's width is d = 13");
    }
    SECTION("a token entry out of range") {
        std::size_t entries = good.rfind("\"entries\": [");
        REQUIRE(entries != std::string::npos);
        std::size_t first = good.find('[', entries + 12);
        std::string t = good;
        std::size_t comma = t.find(',', first);
        t.replace(first + 1, comma - first - 1, "10");
        expect_error_at(t, first + 1, "token 10 out of range (10 tokens)");
        t = good;
        std::size_t second = t.find(", ", first) + 2;
        std::size_t comma2 = t.find(',', second);
        t.replace(second, comma2 - second, "13");
        expect_error_at(t, second, "coordinate 13 out of range (d = 13)");
    }
    SECTION("an output token out of range") {
        auto [t, at] = replace_once(good, "\"token\": 8", "\"token\": 99");
        expect_error_at(t, at + 9, "output token: token 99 out of range (10 tokens)");
    }
    SECTION("an input token out of range") {
        auto [t, at] = replace_once(good, "\"tokens\": [0]", "\"tokens\": [0, 10]");
        expect_error_at(t, at + 14, "input tokens: token 10 out of range");
    }
    SECTION("per-token lists of the wrong length") {
        auto [t, at] = replace_once(good, "\"token_gate\": [", "\"token_gate\": [0, ");
        expect_error_at(t, t.find("\"token_is_gate\": [") + 17, "token_is_gate has 10 entries, token_gate 11");
        auto [t1, at1] = replace_once(good, "\"rows\": 10", "\"rows\": 11", true);
        expect_error_at(t1, at1 + 8, "11 tokens, but token_gate lists 10");
        auto [t2, at2] = replace_once(good, "\"token_is_gate\": [0", "\"token_is_gate\": [2");
        expect_error_at(t2, at2 + 18, "token_is_gate: expected 0 or 1, got 2");
    }
    SECTION("value coordinate out of range") {
        auto [t, at] = replace_once(good, "\"value_coordinate\": 9", "\"value_coordinate\": 13");
        expect_error_at(t, at + 20, "value_coordinate 13 out of range (d = 13)");
    }
    SECTION("K below the circuit depth") {
        auto [t, at] = replace_once(good, "\"circuit_depth\": 3", "\"circuit_depth\": 4");
        expect_error_at(t, at + 17, "the circuit has depth 4, above the depth bound K = 3");
    }
    SECTION("an encoder of another shape") {
        auto [t, at] = replace_once(good, "\"construction\": \"wire\"", "\"construction\": \"gate\"");
        std::size_t d = t.find("\"d\": 13");
        expect_error_at(t, d + 5, "the gate construction has width d = 17, the encoder has d = 13");
        auto [t2, at2] = replace_once(good, "\"K\": 3", "\"K\": 4");
        std::size_t layers = t2.find("\"layers\": [");
        expect_error_at(t2, layers + 10, "has 4 layers, the encoder has 3");
    }
    SECTION("format, version, construction, unknown keys") {
        auto [t, at] = replace_once(good, "\"ahat-compiled-circuit\"", "\"ahat-encoder\"");
        expect_error_at(t, at, "this is not an ahat compiled circuit");
        auto [t2, at2] = replace_once(good, "\"version\": 1", "\"version\": 3");
        expect_error_at(t2, at2 + 11, "unsupported compiled-circuit format version 3");
        auto [t3, at3] = replace_once(good, "\"construction\": \"wire\"", "\"construction\": \"tree\"");
        expect_error_at(t3, at3 + 16, "unknown construction \"tree\"");
        auto [t4, at4] = replace_once(good, "\"value_coordinate\"", "\"value_coord\"");
        expect_error_at(t4, at4 + 15, "unknown key \"value_coord\"");  // at its value
    }
    SECTION("tokens in the dense form are refused") {
        std::size_t tokens = good.rfind("\"tokens\": {");
        std::size_t end = good.find("\n    }", tokens);
        std::string t = good.substr(0, tokens) + "\"tokens\": [[\"1\"]]" + good.substr(end + 6);
        expect_error_at(t, tokens + 10, "tokens: expected the sparse form");
    }
}
