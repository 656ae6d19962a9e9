// The reference evaluator on the classic programs (rasp/*.rasp), on RASP's semantics
// (select's argument order, aggregate's mean/selection/default, selector_width), and its
// errors. Expected outputs are derived by hand from the reference implementation's semantics
// (tech-srl/RASP: e.g. its README gives histogram("hello") = [1, 1, 2, 2, 1]); the property
// test compares with direct C++ computations of the four programs.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "cli/run_ahat.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

const rasp::Program& classic(const std::string& name) {
    static std::map<std::string, rasp::Program> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, load_rasp(std::string(AHAT_SOURCE_DIR) + "/rasp/" + name + ".rasp")).first;
    return it->second;
}

// The values of the named SOp `name` (its last assignment) on `input`.
std::vector<Value> run(const rasp::Program& p, const std::string& input, const std::string& name) {
    Evaluation ev = evaluate(p, parse_tokens(p, input));
    for (auto it = p.named.rbegin(); it != p.named.rend(); ++it)
        if (it->name == name && it->ref.kind == Ref::Kind::Sop) return ev.sops[it->ref.id];
    FAIL("no s-op named " << name);
    return {};
}

std::string show_values(const std::vector<Value>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += ' ';
        s += format_element(v[i]);
    }
    return s;
}

std::string show_program(const std::string& text, const std::string& input, const std::string& name) {
    return show_values(run(read_rasp(text, "t.rasp"), input, name));
}

std::string error_of(const std::string& text, const std::string& input) {
    try {
        rasp::Program p = read_rasp(text, "t.rasp");
        evaluate(p, parse_tokens(p, input));
    } catch (const InputError& e) {
        return e.located();
    }
    return "";
}

// Direct computations of the four classic programs.
std::string hist_direct(const std::string& w) {
    std::string s;
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (i) s += ' ';
        s += std::to_string(std::count(w.begin(), w.end(), w[i]));
    }
    return s;
}
std::string chars(const std::string& w) {
    std::string s;
    for (std::size_t i = 0; i < w.size(); ++i) (s += (i ? " " : "")) += w[i];
    return s;
}
std::string dyck_direct(const std::string& w) {
    std::string s;
    long depth = 0;
    bool broken = false;
    for (std::size_t i = 0; i < w.size(); ++i) {
        depth += w[i] == '(' ? 1 : w[i] == ')' ? -1 : 0;
        broken = broken || depth < 0;
        s += (i ? " " : "");
        s += broken ? "F" : depth == 0 ? "T" : "P";
    }
    return s;
}

}  // namespace

TEST_CASE("classic programs give the reference interpreter's outputs", "[rasp-front]") {
    CHECK(show_values(run(classic("histogram"), "hello", "histogram")) == "1 1 2 2 1");
    CHECK(show_values(run(classic("histogram"), "abcab", "histogram")) == "2 2 1 2 2");
    CHECK(show_values(run(classic("histogram"), "aaa", "histogram")) == "3 3 3");
    CHECK(show_values(run(classic("reverse"), "hello", "reverse")) == "o l l e h");
    CHECK(show_values(run(classic("reverse"), "ab", "reverse")) == "b a");
    CHECK(show_values(run(classic("reverse"), "x", "reverse")) == "x");
    CHECK(show_values(run(classic("sort"), "hello", "sort")) == "e h l l o");
    CHECK(show_values(run(classic("sort"), "banana", "sort")) == "a a a b n n");
    CHECK(show_values(run(classic("sort"), "cba", "sort")) == "a b c");
    CHECK(show_values(run(classic("sort"), "hello", "target")) == "1 0 2 3 4");
    CHECK(show_values(run(classic("dyck1"), "(()))(", "dyck1")) == "P P P T F F");
    CHECK(show_values(run(classic("dyck1"), "()()", "dyck1")) == "P T P T");
    CHECK(show_values(run(classic("dyck1"), ")(", "dyck1")) == "F F");
    CHECK(show_values(run(classic("dyck1"), "((", "dyck1")) == "P P");
    CHECK(show_values(run(classic("dyck1"), "(()))(", "opens")) == "1 1 2/3 1/2 2/5 1/2");
    for (const char* p : {"histogram", "reverse", "sort", "dyck1"}) {
        CHECK(classic(p).tokens == rasp::Program::TokenKind::String);
        CHECK(run(classic(p), "", p).empty());
    }
}

TEST_CASE("classic programs agree with direct computations on random inputs", "[rasp-front]") {
    std::mt19937 rng(20240611);
    const std::string alphabet = "ab()x";
    for (int trial = 0; trial < 300; ++trial) {
        std::string w(rng() % 31, ' ');
        for (char& c : w) c = alphabet[rng() % alphabet.size()];
        INFO("input \"" << w << "\"");
        std::string sorted = w, reversed(w.rbegin(), w.rend());
        std::sort(sorted.begin(), sorted.end());
        REQUIRE(show_values(run(classic("histogram"), w, "histogram")) == hist_direct(w));
        REQUIRE(show_values(run(classic("reverse"), w, "reverse")) == chars(reversed));
        REQUIRE(show_values(run(classic("sort"), w, "sort")) == chars(sorted));
        REQUIRE(show_values(run(classic("dyck1"), w, "dyck1")) == dyck_direct(w));
    }
}

TEST_CASE("sort and histogram at n = 2048", "[rasp-front]") {
    std::mt19937 rng(7);
    std::string w(2048, 'a');
    for (char& c : w) c = static_cast<char>('a' + rng() % 20);
    std::string sorted = w;
    std::sort(sorted.begin(), sorted.end());
    CHECK(show_values(run(classic("sort"), w, "sort")) == chars(sorted));
    CHECK(show_values(run(classic("histogram"), w, "histogram")) == hist_direct(w));
}

TEST_CASE("select(keys, queries, pred) selects key k for query q iff pred(keys[k], queries[q])", "[rasp-front]") {
    rasp::Program p = read_rasp("s = select(indices, indices, <);\nt = select(tokens, \"b\", >=);\nu = not s;\n"
                          "v = s or t;\nw = s and t;\nf = select(0, 0, ==);\n",
                          "t.rasp");
    Evaluation ev = evaluate(p, parse_tokens(p, "abc"));
    auto rows = [&](std::size_t named) {
        std::string out;
        for (const auto& row : ev.sels[p.named[named].ref.id]) {
            for (bool b : row) out += b ? '1' : '0';
            out += '/';
        }
        return out;
    };
    CHECK(rows(0) == "000/100/110/");  // row = query, column = key: key < query
    CHECK(rows(1) == "011/011/011/");  // key token >= "b"
    CHECK(rows(2) == "111/011/001/");
    CHECK(rows(3) == "011/111/111/");
    CHECK(rows(4) == "000/000/010/");
    CHECK(rows(5) == "111/111/111/");
}

TEST_CASE("aggregate: mean of numbers, the one selected value, or the default", "[rasp-front]") {
    const std::string prefix = "p = select(indices, indices, <=);\n";
    CHECK(show_program(prefix + "m = aggregate(p, indices);", "abcd", "m") == "0 1/2 1 3/2");
    CHECK(show_program(prefix + "m = aggregate(p, indicator(tokens == \"a\"));", "abab", "m") == "1 1/2 2/3 1/2");
    CHECK(show_program("m = aggregate(select(indices, indices - 1, ==), tokens, \"-\");", "abc", "m") == "- a b");
    CHECK(show_program("m = aggregate(select(indices, indices, >), indices);", "abc", "m") == "3/2 2 0");
    CHECK(show_program("m = aggregate(select(indices, 1, ==), tokens);", "xyz", "m") == "y y y");
    CHECK(show_program("m = aggregate(select(indices, indices, ==), tokens == \"y\");", "xyz", "m") == "F T F");
    CHECK(show_program("m = aggregate(select(1, 1, ==), 1/2);", "xy", "m") == "1/2 1/2");
    CHECK(show_program("w = selector_width(select(tokens, tokens, <=));", "hello", "w") == "2 1 4 4 5");
    CHECK(show_program("x = 1 if tokens == \"a\" else 2;\ny = round(indices / 2);", "aba", "x") == "1 2 1");
    CHECK(show_program("y = round(indices / 2);", "abcd", "y") == "0 0 1 2");  // ties to even
    CHECK(show_program("y = indices % 2 == 0 or tokens == \"b\";", "abc", "y") == "T T T");
    CHECK(show_program("y = not (tokens == \"b\");", "abc", "y") == "T F T");
    CHECK(show_program("y = -indices + length;", "abc", "y") == "3 2 1");
    CHECK(show_program("y = tokens + \"!\";", "ab", "y") == "a! b!");
}

TEST_CASE("integer tokens", "[rasp-front]") {
    const std::string prog = "tokens = tokens_int;\ny = tokens * 2;\ns = aggregate(select(tokens, tokens, <), tokens);\n";
    CHECK(show_program(prog, "3 1 2", "y") == "6 2 4");
    CHECK(show_program(prog, "3,1, 2", "s") == "3/2 0 1");
    CHECK(show_program(prog, "-4 7", "y") == "-8 14");
    CHECK(error_of(prog, "3 x 2") == "input:1:3: 'x' is not an integer (the program reads integer tokens: tokens_int)");
    CHECK(error_of(prog, "1.5") == "input:1:1: '1.5' is not an integer (the program reads integer tokens: tokens_int)");
}

TEST_CASE("runtime errors the reference raises are located", "[rasp-front]") {
    CHECK(error_of("a = aggregate(select(tokens, tokens, ==), tokens);", "hello") ==
          "t.rasp:1:5: aggregate selects 2 positions for position 2, but its values are strings: RASP averages only "
          "numbers, so a categorical aggregate must select at most one position");
    CHECK(error_of("a = aggregate(select(indices, indices, <=), tokens == \"a\");", "ab").find("values are bools") !=
          std::string::npos);
    CHECK(error_of("x = 1 / indices;", "ab") == "t.rasp:1:7: division by zero (at position 0)");
    CHECK(error_of("x = indices % (indices - 1);", "ab") == "t.rasp:1:13: modulo by zero (at position 1)");
    CHECK(error_of("x = aggregate(select(indices, indices, <), tokens);", "ab") ==
          "t.rasp:1:5: the values mix strings and numbers: a RASP sequence holds one type");
    CHECK(error_of("s = select(tokens, indices, <);\nw = selector_width(s);", "ab") ==
          "t.rasp:1:5: select compares strings with numbers using an order");
    CHECK(error_of("x = tokens - 1;", "ab") == "t.rasp:1:12: cannot apply '-' to a string and a number (at position 0)");
    CHECK(error_of("x = tokens if indices == 0 else 0;", "ab") ==
          "t.rasp:1:12: the values mix strings and numbers: a RASP sequence holds one type");
    // the reference evaluates only what results use: an unused failing expression is no error
    CHECK(error_of("def f(x) { bad = 1 / indices; return x; }\ny = f(tokens);", "ab").empty());
}

TEST_CASE("ahat rasp run prints every named result: --json one document", "[rasp-front]") {
    using ahat_test::run_ahat;
    auto r = run_ahat("rasp run rasp/histogram.rasp --input hello");
    CHECK(r.rc == 0);
    CHECK(r.out.find("s-op histogram = [1, 1, 2, 2, 1] (ints)\n") != std::string::npos);
    CHECK(r.out.find("selector same_token:\n") != std::string::npos);
    CHECK(r.out.find("    l |     1 1\n") != std::string::npos);
    r = run_ahat("rasp run rasp/reverse.rasp --input hello --json");
    CHECK(r.rc == 0);
    CHECK(r.out.find("\"name\":\"reverse\",\"kind\":\"s-op\",\"type\":\"strings\",\"values\":[\"o\",\"l\",\"l\",\"e\",\"h\"]") !=
          std::string::npos);
    CHECK(r.out.find("\"rows\":[\"00001\",\"00010\",\"00100\",\"01000\",\"10000\"]") != std::string::npos);
    r = run_ahat("rasp run rasp/missing.rasp --input x");
    CHECK(r.rc == 2);
    CHECK(r.err.find("ahat: error: rasp/missing.rasp: cannot open file") == 0);
}
