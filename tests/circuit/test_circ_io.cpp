// The .circ reader and writer, sugar lowering, and exact / numeric evaluation: every reader
// error at its exact line and column, accepted syntax variants, sugar semantics on a grid
// with ties, write/read round trips, the max_bits guard and input-count checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "support/error.hpp"
#include "exact/make_rational.hpp"

using namespace ahat;
using ahat_test::R;

namespace {

// Reading `text` must fail at line:col with a message containing `what`.
void expect_error(const std::string& text, std::uint32_t line, std::uint32_t col, const std::string& what) {
    INFO("circuit text:\n" << text);
    try {
        read_circuit(text, "t.circ");
    } catch (const InputError& e) {
        INFO("error: " << e.located());
        CHECK(e.loc().file == "t.circ");
        CHECK(e.loc().line == line);
        CHECK(e.loc().col == col);
        CHECK_THAT(std::string(e.what()), Catch::Contains(what));
        return;
    } catch (const std::exception& e) {
        FAIL("not an InputError: " << e.what());
    }
    FAIL("no error");
}

std::vector<Rational> eval1(const Circuit& c, std::vector<Rational> in) { return evaluate<Rational>(c, in); }

Rational sgn(const Rational& x) { return x > 0 ? R(1) : R(0); }

const std::vector<Rational>& grid() {
    static const std::vector<Rational> g{R(-3), R(-1), R(-1, 2), R(0), R(1, 3), R(1, 2), R(1), R(2), R(7, 2)};
    return g;
}

Integer ipow(long base, unsigned long e) {
    Integer z;
    mpz_ui_pow_ui(z.backend().data(), static_cast<unsigned long>(base), e);
    return z;
}

}  // namespace

TEST_CASE("circ reader: the example of docs/formats.md", "[circuit]") {
    Circuit c = read_circuit(
        "# inner product of two 2-vectors, then its sign\n"
        "input x1 x2 y1 y2\n"
        "const half = 1/2\n"
        "p1 = mul x1 y1\n"
        "p2 = mul x2 y2\n"
        "s  = add p1 p2 half\n"
        "t  = sign s\n"
        "output s t\n",
        "demo.circ");
    CHECK(c.inputs == std::vector<GateId>{0, 1, 2, 3});
    CHECK(c.outputs == std::vector<GateId>{7, 8});
    CHECK(c.gates[4].op == Op::Const);
    CHECK(c.gates[4].value == R(1, 2));
    CHECK(c.gates[7].in == std::vector<GateId>{5, 6, 4});
    CHECK(eval1(c, {R(1, 2), R(3), R(2), R(-1, 4)}) == std::vector<Rational>{R(3, 4), R(1)});
    CHECK(eval1(c, {R(0), R(0), R(0), R(-1, 2)}) == std::vector<Rational>{R(1, 2), R(1)});
    CHECK(eval1(c, {R(1), R(1), R(-1, 4), R(-1, 4)}) == std::vector<Rational>{R(0), R(0)});  // sign(0) = 0
    CHECK(stats(c).depth == 3);
}

TEST_CASE("circ reader: errors at exact line and column", "[circuit]") {
    // unknown name / used before definition
    expect_error("input x y\nz = add x w\noutput z\n", 2, 11, "unknown name 'w'");
    expect_error("input x y\nz = add x w\nw = add x y\noutput z\n", 2, 11, "unknown name 'w'");
    expect_error("input x\noutput q\n", 2, 8, "unknown name 'q'");
    // wrong arity: the column is the operation's
    expect_error("input x y\nz = mul x y x\noutput z\n", 2, 5, "mul takes exactly 2 operands, got 3");
    expect_error("input x y\nz = sign x y\noutput z\n", 2, 5, "sign takes exactly 1 operand, got 2");
    expect_error("input x y\nz = sub x\noutput z\n", 2, 5, "sub takes exactly 2 operands, got 1");
    expect_error("input x y\n  zz   =   mul x\noutput zz\n", 2, 12, "mul takes exactly 2 operands, got 1");
    // bad literals: the column is the offending character
    expect_error("input x y\nz = add x 3/x\noutput z\n", 2, 13, "bad literal '3/x'");
    expect_error("input x y\nz = add x 1.2.3\noutput z\n", 2, 14, "bad literal '1.2.3'");
    expect_error("input x y\nz = add x -\noutput z\n", 2, 12, "bad literal '-'");
    expect_error("input x\nconst h = 1e999999\noutput x\n", 2, 13, "exponent too large");
    // division by zero, as an operand and in a const
    expect_error("input x y\nz = add x 1/0\noutput z\n", 2, 13, "division by zero");
    expect_error("input x y\nconst h = 1/0\noutput x\n", 2, 13, "division by zero");
    // duplicate names, redefining an input included
    expect_error("input x y\nz = add x y\nz = add x y\noutput z\n", 3, 1, "duplicate name 'z'");
    expect_error("input x y\nx = add x y\noutput x\n", 2, 1, "duplicate name 'x'");
    expect_error("input x y x\noutput x\n", 1, 11, "duplicate name 'x'");
    expect_error("input x y\ninput y\noutput x\n", 2, 7, "duplicate name 'y'");
    expect_error("input x\nconst x = 2\noutput x\n", 2, 7, "duplicate name 'x'");
    // empty output list, no output statement
    expect_error("input x y\noutput\n", 2, 1, "empty output list");
    expect_error("input x y\n   output   # nothing\n", 2, 4, "empty output list");
    expect_error("input x y\nz = add x y", 2, 1, "no output statement");
    expect_error("input x y\nz = add x y\n", 3, 1, "no output statement");
    expect_error("", 1, 1, "no output statement");
    // unknown operation
    expect_error("input x y\nz = foo x y\noutput z\n", 2, 5, "unknown operation 'foo'");
    expect_error("input x y\nz = ADD x y\noutput z\n", 2, 5, "unknown operation 'ADD'");
    // keywords as names
    expect_error("input x const\noutput x\n", 1, 9, "'const' is a keyword");
    expect_error("input x\nconst output = 3\noutput x\n", 2, 7, "'output' is a keyword");
    expect_error("input input\noutput input\n", 1, 7, "'input' is a keyword");
    // malformed statements and names
    expect_error("input x y\nz add x y\noutput z\n", 2, 1, "expected");
    expect_error("input x y\n3z = add x y\noutput z\n", 2, 1, "bad name '3z'");
    expect_error("input x\nconst h 5\noutput x\n", 2, 1, "expected 'const NAME = VALUE'");
    expect_error("input x y\nz = add x y\noutput z 3\n", 3, 10, "outputs must be names");
}

TEST_CASE("circ reader: error columns after a semicolon, CRLF, comments and blank lines", "[circuit]") {
    expect_error("input x y; z = add x q\noutput z\n", 1, 22, "unknown name 'q'");
    expect_error("input x y;z = mul x y y;output z\n", 1, 15, "mul takes exactly 2");
    expect_error("input x y\r\nz = add x y\r\noutput z q\r\n", 3, 10, "unknown name 'q'");
    expect_error("# a comment\n\n   \n\t\ninput x\ny = add x 1/0 # no\noutput y\n", 6, 13, "division by zero");
    expect_error("input x ; input x\noutput x\n", 1, 17, "duplicate name 'x'");
}

// Regression: a statement starting with a keyword was always dispatched as that keyword's
// statement, so "output = add x y" reported "bad operand '='" at column 8.
TEST_CASE("circ reader: a keyword on the left of '=' is reported as a keyword", "[circuit]") {
    expect_error("input x y\noutput = add x y\noutput x\n", 2, 1, "'output' is a keyword");
    expect_error("input x y\ninput = add x y\noutput x\n", 2, 1, "'input' is a keyword");
    expect_error("input x y\n  const = add x y\noutput x\n", 2, 3, "'const' is a keyword");
    expect_error("input x y; output=mul x y\noutput x\n", 1, 12, "'output' is a keyword");
}

TEST_CASE("circ reader: comments, blank lines, CRLF and semicolons are accepted", "[circuit]") {
    Circuit plain = read_circuit("input a b\nconst h = 1/2\ns = add a b h\nt = mul s a\noutput s t\n", "p.circ");
    const char* variants[] = {
        "# header\n\ninput a b   # two inputs\n\n   \nconst h = 1/2\ns = add a b h\n# between\nt = mul s a\noutput s t",
        "input a b\r\nconst h = 1/2\r\ns = add a b h\r\nt = mul s a\r\noutput s t\r\n",
        "input a b; const h = 1/2; s = add a b h; t = mul s a; output s t\n",
        "input a;input b;;const h=1/2\ns=add a b h ; t=mul s a # ; output nothing here\noutput s\noutput t\n",
        "\tinput\ta\tb\nconst  h  =  5e-1\ns = add a b h\nt = mul s a\noutput s t\n",
    };
    for (const char* v : variants) {
        INFO(v);
        Circuit c = read_circuit(v, "v.circ");
        CHECK(c == plain);
        for (const Rational& x : grid())
            CHECK(eval1(c, {x, R(3)}) == std::vector<Rational>{x + R(7, 2), (x + R(7, 2)) * x});
    }
    // literal operands become constants; add with no operands is 0; outputs may repeat
    Circuit c = read_circuit("input x\ny = add x -3 7/2 50e-1\nz = add\noutput y z y\n", "l.circ");
    CHECK(eval1(c, {R(1, 3)}) == std::vector<Rational>{R(1, 3) + R(11, 2), R(0), R(1, 3) + R(11, 2)});
    CHECK(c.outputs.size() == 3);
}

TEST_CASE("circ reader: sugar gates and literals get the documented names", "[circuit]") {
    Circuit c = read_circuit("input a b\nr = sub a 3\noutput r\n", "n.circ");
    REQUIRE(c.gates.size() == 6);
    CHECK(c.gates[2].name == "k.2");
    CHECK(c.gates[3].name == "r.1");
    CHECK(c.gates[3].value == -1);
    CHECK(c.gates[4].name == "r.2");
    CHECK(c.gates[4].op == Op::Mul);
    CHECK(c.gates[5].name == "r");
    // a user name that takes a generated one pushes the generated one aside
    Circuit d = read_circuit("input a b\nr = neg a\nr.1 = add a b\noutput r r.1\n", "n.circ");
    std::vector<std::string> names;
    for (const auto& g : d.gates) names.push_back(g.name);
    CHECK(std::count(names.begin(), names.end(), "r.1") == 1);
    CHECK(d.gates[d.outputs[1]].name == "r.1");
    CHECK(d.gates[d.outputs[1]].op == Op::Add);
    CHECK(eval1(d, {R(2), R(5)}) == std::vector<Rational>{R(-2), R(7)});
}

TEST_CASE("circ sugar: every operation equals its definition on a grid with ties", "[circuit]") {
    using F2 = std::function<Rational(const Rational&, const Rational&)>;
    using F1 = std::function<Rational(const Rational&)>;
    const std::vector<std::pair<const char*, F2>> binary = {
        {"add", [](auto& a, auto& b) { return a + b; }},
        {"mul", [](auto& a, auto& b) { return a * b; }},
        {"sub", [](auto& a, auto& b) { return a - b; }},
        {"lt", [](auto& a, auto& b) { return a < b ? R(1) : R(0); }},
        {"gt", [](auto& a, auto& b) { return a > b ? R(1) : R(0); }},
        {"le", [](auto& a, auto& b) { return a <= b ? R(1) : R(0); }},
        {"ge", [](auto& a, auto& b) { return a >= b ? R(1) : R(0); }},
        {"eq", [](auto& a, auto& b) { return a == b ? R(1) : R(0); }},
        {"ne", [](auto& a, auto& b) { return a != b ? R(1) : R(0); }},
        {"and", [](auto& a, auto& b) { return a * b; }},
        {"or", [](auto& a, auto& b) { return a + b - a * b; }},
        {"max", [](auto& a, auto& b) { return a > b ? a : b; }},
        {"min", [](auto& a, auto& b) { return a < b ? a : b; }},
    };
    const std::vector<std::pair<const char*, F1>> unary = {
        {"sign", [](auto& a) { return sgn(a); }},
        {"neg", [](auto& a) { return Rational(-a); }},
        {"relu", [](auto& a) { return a > 0 ? a : R(0); }},
        {"not", [](auto& a) { return Rational(1 - a); }},
        {"abs", [](auto& a) { return a < 0 ? Rational(-a) : a; }},
    };
    for (const auto& [op, f] : binary) {
        Circuit c = read_circuit(fmt::format("input a b\nr = {} a b\noutput r\n", op), "s.circ");
        for (const Gate& g : c.gates) CHECK(g.op <= Op::Sign);
        for (const Rational& a : grid())
            for (const Rational& b : grid()) {
                INFO(op << " " << a << " " << b);
                CHECK(eval1(c, {a, b}).at(0) == f(a, b));
            }
    }
    for (const auto& [op, f] : unary) {
        Circuit c = read_circuit(fmt::format("input a\nr = {} a\noutput r\n", op), "s.circ");
        for (const Rational& a : grid()) {
            INFO(op << " " << a);
            CHECK(eval1(c, {a}).at(0) == f(a));
        }
    }
    // Boolean truth tables of not / and / or on {0, 1}.
    Circuit b = read_circuit("input p q\nn = not p\na = and p q\no = or p q\noutput n a o\n", "b.circ");
    for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 2; ++q)
            CHECK(eval1(b, {R(p), R(q)}) == std::vector<Rational>{R(!p), R(p && q), R(p || q)});
}

namespace {

// Random circuit built in code, with awkward names: empty, duplicated, keywords, invalid,
// and names that collide with the writer's invented g<N>.
Circuit random_coded_circuit(std::mt19937_64& rng, std::size_t gates) {
    static const char* odd[] = {"", "", "input", "output", "const", "3x", "a b", "a=b", "x#y", "x;y", "g0",
                                "g1", "g2_", "dup", "dup", "_", "k.1", "r.1", "add", "-1"};
    Circuit c;
    std::size_t n_inputs = 1 + rng() % 20;  // > 16 sometimes: input lines wrap
    for (std::size_t k = 0; k < n_inputs; ++k) c.input(rng() % 3 ? fmt::format("x{}", k) : odd[rng() % 20]);
    while (c.gates.size() < gates) {
        auto pick = [&] { return static_cast<GateId>(rng() % c.gates.size()); };
        std::string name = rng() % 2 ? fmt::format("v{}", c.gates.size()) : odd[rng() % 20];
        switch (rng() % 6) {
            case 0: {
                Rational v(static_cast<long long>(rng() % 41) - 20, 1 + static_cast<long long>(rng() % 9));
                if (rng() % 5 == 0) v = Rational(Integer(1) << (rng() % 200), Integer(3));
                c.constant(v, name);
                break;
            }
            case 1:
            case 2: {
                std::vector<GateId> ops;
                std::size_t k = rng() % 5;
                for (std::size_t j = 0; j < k; ++j) ops.push_back(pick());
                c.add(ops, name);
                break;
            }
            case 3: c.mul(pick(), pick(), name); break;
            case 4: c.sign(pick(), name); break;
            case 5: c.input(name); break;  // inputs interleaved with other gates
        }
    }
    std::size_t n_out = 1 + rng() % 20;  // > 16 sometimes: output lines wrap
    for (std::size_t k = 0; k < n_out; ++k) c.outputs.push_back(static_cast<GateId>(rng() % c.gates.size()));
    return c;
}

void check_round_trip(const Circuit& c, const std::string& comment) {
    std::string w1 = write_circuit(c, comment);
    INFO("written:\n" << w1);
    Circuit back = read_circuit(w1, "w.circ");
    CHECK(back == c);
    CHECK(write_circuit(back, comment) == w1);
}

}  // namespace

TEST_CASE("circ writer: round trip of sugar circuits", "[circuit]") {
    const char* ops2[] = {"sub", "lt", "gt", "le", "ge", "eq", "ne", "and", "or", "max", "min"};
    const char* ops1[] = {"neg", "relu", "not", "abs"};
    std::string all = "input a b\n";
    for (const char* op : ops2) {
        std::string text = fmt::format("input a b\nr = {} a b\noutput r\n", op);
        check_round_trip(read_circuit(text, "s.circ"), op);
        all += fmt::format("{}_r = {} a b\n", op, op);
    }
    for (const char* op : ops1) {
        std::string text = fmt::format("input a\nr = {} a\noutput r\n", op);
        check_round_trip(read_circuit(text, "s.circ"), "");
        all += fmt::format("{}_r = {} a\n", op, op);
    }
    all += "lit = add a 1/3 -2 5e-1\noutput";
    for (const char* op : ops2) all += fmt::format(" {}_r", op);
    for (const char* op : ops1) all += fmt::format(" {}_r", op);
    all += " lit a\n";
    Circuit c = read_circuit(all, "all.circ");
    check_round_trip(c, "every sugar op\nin one circuit");
    Circuit back = read_circuit(write_circuit(c), "w.circ");
    for (const Rational& a : grid())
        for (const Rational& b : grid()) CHECK(eval1(back, {a, b}) == eval1(c, {a, b}));
    std::string w = write_circuit(c, "line one\nline two");
    CHECK(w.rfind("# line one\n# line two\n# 2 inputs, ", 0) == 0);
}

TEST_CASE("circ writer: round trip of circuits built in code, awkward names included", "[circuit]") {
    std::mt19937_64 rng(31337);
    for (int it = 0; it < 150; ++it) {
        Circuit c = random_coded_circuit(rng, 1 + rng() % 60);
        INFO("iteration " << it);
        check_round_trip(c, it % 2 ? "" : "generated in a test");
        // structural equality really compares: change one thing and it differs
        Circuit d = c;
        d.outputs.push_back(0);
        CHECK_FALSE(d == c);
    }
    // an empty circuit with one constant output
    Circuit k;
    k.outputs.push_back(k.constant(R(-7, 2)));
    check_round_trip(k, "");
    CHECK(eval1(read_circuit(write_circuit(k), "k.circ"), {}) == std::vector<Rational>{R(-7, 2)});
}

TEST_CASE("circ eval: sixteen squarings of 3/2 are exact", "[circuit]") {
    const Rational expect(ipow(3, 65536), ipow(2, 65536));
    Circuit c = load_circuit(std::string(AHAT_SOURCE_DIR) + "/circuits/squaring.circ");
    CHECK(stats(c).depth == 16);
    std::vector<Rational> out = eval1(c, {R(3, 2)});
    REQUIRE(out.size() == 1);
    CHECK(out[0] == expect);
    CHECK(bit_size(out[0]) == 103873 + 65537);

    Circuit d;
    GateId x = d.input("x");
    for (int k = 0; k < 16; ++k) x = d.mul(x, x);
    d.outputs.push_back(x);
    CHECK(d == c);
    CHECK(eval1(d, {R(3, 2)}).at(0) == expect);
    CHECK(eval1(d, {R(-1)}).at(0) == 1);
}

TEST_CASE("circ eval: the max_bits guard names the gate", "[circuit]") {
    Circuit c = load_circuit(std::string(AHAT_SOURCE_DIR) + "/circuits/squaring.circ");
    const std::size_t bits8 = bit_size(Rational(ipow(3, 256), ipow(2, 256)));
    const std::size_t bits16 = bit_size(Rational(ipow(3, 65536), ipow(2, 65536)));
    try {
        evaluate<Rational>(c, {R(3, 2)}, EvalOptions{1000});
        FAIL("no error");
    } catch (const InputError& e) {
        std::string w = e.what();
        CHECK_THAT(w, Catch::Contains("'x9'"));
        CHECK_THAT(w, Catch::Contains("mul"));
        CHECK_THAT(w, Catch::Contains("1000"));
        CHECK_THAT(w, Catch::Contains("--max-bits"));
        CHECK(e.loc().str() == "");
    }
    // the limit is inclusive
    CHECK_THROWS_WITH(evaluate<Rational>(c, {R(3, 2)}, EvalOptions{bits8}), Catch::Contains("'x9'"));
    CHECK_THROWS_WITH(evaluate<Rational>(c, {R(3, 2)}, EvalOptions{bits8 - 1}), Catch::Contains("'x8'"));
    CHECK_THROWS_WITH(evaluate<Rational>(c, {R(3, 2)}, EvalOptions{bits16 - 1}), Catch::Contains("'x16'"));
    CHECK_NOTHROW(evaluate<Rational>(c, {R(3, 2)}, EvalOptions{bits16}));
    CHECK_NOTHROW(evaluate<Rational>(c, {R(3, 2)}, EvalOptions{0}));
    // unnamed gates are named by number
    Circuit d;
    GateId x = d.input();
    d.outputs.push_back(d.mul(x, x));
    CHECK_THROWS_WITH(evaluate<Rational>(d, {Rational(Integer(1) << 100)}, EvalOptions{64}), Catch::Contains("#1"));
    // numeric evaluation has no guard
    CHECK_NOTHROW(evaluate<double>(c, {1.5}, EvalOptions{10}));
}

TEST_CASE("circ eval: wrong number of inputs throws", "[circuit]") {
    Circuit c = read_circuit("input a b\ns = add a b\noutput s\n", "w.circ");
    CHECK_THROWS_AS(evaluate<Rational>(c, {R(1)}), InputError);
    CHECK_THROWS_AS(evaluate<Rational>(c, {R(1), R(2), R(3)}), InputError);
    CHECK_THROWS_AS(evaluate<Rational>(c, {}), InputError);
    CHECK_THROWS_AS(evaluate<double>(c, {1.0}), InputError);
    CHECK_THROWS_AS(evaluate_all<float>(c, {1.0f, 2.0f, 3.0f}), InputError);
    CHECK_THROWS_WITH(evaluate<Rational>(c, {R(1)}), Catch::Contains("2 inputs, 1 values"));
    CHECK(evaluate<Rational>(c, {R(1), R(2)}) == std::vector<Rational>{R(3)});
}

TEST_CASE("circ eval: double and float agree with exact on integer-valued circuits", "[circuit]") {
    std::mt19937_64 rng(2718);
    int checked = 0;
    for (int it = 0; it < 300; ++it) {
        Circuit c;
        std::size_t n_in = 1 + rng() % 5;
        for (std::size_t k = 0; k < n_in; ++k) c.input();
        std::size_t n_gates = 1 + rng() % 30;
        for (std::size_t k = 0; k < n_gates; ++k) {
            auto pick = [&] { return static_cast<GateId>(rng() % c.gates.size()); };
            switch (rng() % 5) {
                case 0: c.constant(R(static_cast<long long>(rng() % 7) - 3)); break;
                case 1:
                case 2: {
                    std::vector<GateId> ops;
                    for (std::size_t j = 0, m = rng() % 4; j < m; ++j) ops.push_back(pick());
                    c.add(ops);
                    break;
                }
                case 3: c.mul(pick(), pick()); break;
                case 4: c.sign(pick()); break;
            }
        }
        c.outputs.push_back(static_cast<GateId>(c.gates.size() - 1));
        std::vector<Rational> in;
        std::vector<double> ind;
        std::vector<float> inf;
        for (std::size_t k = 0; k < n_in; ++k) {
            long long v = static_cast<long long>(rng() % 7) - 3;
            in.push_back(R(v));
            ind.push_back(static_cast<double>(v));
            inf.push_back(static_cast<float>(v));
        }
        std::vector<Rational> ex = evaluate_all<Rational>(c, in, EvalOptions{0});
        // only instances whose values are exactly representable in float, partial sums included (|v| <= 2^20)
        bool small = std::all_of(ex.begin(), ex.end(), [](const Rational& v) { return abs(v) <= (1 << 20); });
        if (!small) continue;
        ++checked;
        std::vector<double> d = evaluate_all<double>(c, ind);
        std::vector<float> f = evaluate_all<float>(c, inf);
        REQUIRE(d.size() == ex.size());
        for (std::size_t k = 0; k < ex.size(); ++k) {
            INFO("iteration " << it << " gate " << k);
            CHECK(Rational(d[k]) == ex[k]);
            CHECK(Rational(static_cast<double>(f[k])) == ex[k]);
        }
    }
    INFO("instances checked: " << checked);
    CHECK(checked >= 200);
}

// Regression: .circ literals "0.25" (once read as 21/100) and "0.9" (once an uncaught
// std::runtime_error out of read_circuit).
TEST_CASE("circ reader: literals with a leading zero", "[circuit]") {
    std::string what;
    try {
        Circuit c = read_circuit("input x\nconst q = 0.25\ny = add x q 0.9 0.08\noutput y\n", "z.circ");
        CHECK(eval1(c, {R(0)}).at(0) == R(1, 4) + R(9, 10) + R(2, 25));
    } catch (const std::exception& e) {
        what = e.what();
    }
    CHECK(what == "");
}
