// The RASP reader: parsing with the reference grammar's precedences, elaboration into the
// DAG (inlining, folding, sharing, pruning), and located errors for everything outside the
// subset. Expected constants follow the reference's Python semantics, worked out by hand.
#include <catch2/catch.hpp>

#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

rasp::Program read(const std::string& text) { return read_rasp(text, "t.rasp"); }

// The located error message reading `text` gives ("" when it reads fine).
std::string error_of(const std::string& text) {
    try {
        read(text);
    } catch (const InputError& e) {
        return e.located();
    }
    return "";
}

// The constant a one-assignment program folds to.
Value folded(const std::string& expr) {
    rasp::Program p = read("x = " + expr + ";");
    REQUIRE(p.named.size() == 1);
    REQUIRE(p.named[0].ref.kind == Ref::Kind::Constant);
    return p.named[0].ref.constant;
}

Value rat(long long a, long long b = 1) { return Value{Rational(Integer(a)) / Rational(Integer(b))}; }
Value str(const char* s) { return Value{std::string(s)}; }

}  // namespace

TEST_CASE("histogram elaborates to one select and one selector_width", "[rasp-front]") {
    rasp::Program p = read("same = select(tokens, tokens, ==);\nhist = selector_width(same);\n");
    REQUIRE(p.sops.size() == 2);
    REQUIRE(p.sels.size() == 1);
    CHECK(p.sops[0].op == SopOp::Tokens);
    CHECK(p.sels[0].op == SelOp::Select);
    CHECK(p.sels[0].pred == Pred::Eq);
    CHECK(p.sels[0].keys == 0);
    CHECK(p.sels[0].queries == 0);
    CHECK(p.sops[1].op == SopOp::SelectorWidth);
    CHECK(p.sops[1].selector == 0);
    CHECK(p.sops[1].type == ValueType::Number);
    REQUIRE(p.named.size() == 2);
    CHECK(p.named[0].name == "same");
    CHECK(p.named[0].ref.kind == Ref::Kind::Selector);
    CHECK(p.named[1].name == "hist");
    CHECK(p.named[1].ref.kind == Ref::Kind::Sop);
    CHECK(p.named[1].ref.id == 1);
    CHECK(p.named[1].loc.str() == "t.rasp:2:1");
    CHECK(p.sops[1].loc.str() == "t.rasp:2:8");
    CHECK(p.tokens == rasp::Program::TokenKind::String);
}

TEST_CASE("identical nodes are shared and functions are inlined", "[rasp-front]") {
    rasp::Program p = read(
        "def same(s) {\n  x = 1 / (indices + 1);  # unused: dropped\n  return select(s, s, ==);\n}\n"
        "a = selector_width(same(tokens));\nb = selector_width(select(tokens, tokens, ==));\n"
        "c = tokens == \"a\";\nd = (tokens == \"a\") and (\"a\" == tokens);\n");
    CHECK(p.sels.size() == 1);
    CHECK(p.named[0].ref.id == p.named[1].ref.id);
    // tokens, width, Constant "a", Eq(tokens, "a"), Eq("a", tokens), And
    REQUIRE(p.sops.size() == 6);
    const SopNode& eq = p.sops[p.named[2].ref.id];
    CHECK(eq.op == SopOp::Eq);
    CHECK(p.sops[eq.args[0]].op == SopOp::Tokens);
    CHECK(p.sops[eq.args[1]].op == SopOp::Constant);
    CHECK(p.sops[eq.args[1]].constant == str("a"));
    CHECK(eq.type == ValueType::Bool);
    for (std::size_t i = 0; i < p.sops.size(); ++i)
        for (std::uint32_t a : p.sops[i].args) CHECK(a < i);
}

TEST_CASE("constant selectors fold, and/or/not simplify", "[rasp-front]") {
    rasp::Program p = read("full = select(1, 1, ==);\nnone = select(1, 2, ==);\nlt = select(\"a\", \"b\", <);\n"
                     "s = select(indices, indices, <);\na = s and full;\no = s or none;\nn = not full;\n");
    REQUIRE(p.named.size() == 7);
    CHECK(p.sels[p.named[0].ref.id].pred == Pred::True);
    CHECK(p.sels[p.named[1].ref.id].pred == Pred::False);
    CHECK(p.sels[p.named[2].ref.id].pred == Pred::True);  // key "a" < query "b"
    CHECK(p.named[4].ref.id == p.named[3].ref.id);
    CHECK(p.named[5].ref.id == p.named[3].ref.id);
    CHECK(p.sels[p.named[6].ref.id].pred == Pred::False);
    // select(keys, queries, <) keeps the argument order: pred(key, query)
    const SelNode& s = p.sels[p.named[3].ref.id];
    CHECK(s.pred == Pred::Lt);
}

TEST_CASE("constants fold with the reference grammar's precedences and Python's operators", "[rasp-front]") {
    CHECK(folded("1 + 2 * 3") == rat(7));
    CHECK(folded("2 * 7 % 4") == rat(2));  // (2*7) % 4
    CHECK(folded("7 % 4 * 2") == rat(7));  // % binds looser than *: 7 % (4*2)
    CHECK(folded("-7 % 3") == rat(2));     // Python's modulo takes the divisor's sign
    CHECK(folded("7 % -3") == rat(-2));
    CHECK(folded("1 / 3") == rat(1, 3));
    CHECK(folded("0.25 + 1") == rat(5, 4));
    CHECK(folded("not 2 == 1") == Value{false});  // (not 2) == 1
    CHECK(folded("True or False and False") == Value{false});  // one level: (True or False) and False
    CHECK(folded("0 and 5") == rat(0));  // Python returns an operand
    CHECK(folded("1 if True else 2 if False else 3") == rat(3));  // left-associative
    CHECK(folded("round(2.5)") == rat(2));
    CHECK(folded("round(3.5)") == rat(4));
    CHECK(folded("round(0-0.5)") == rat(0));
    CHECK(folded("round(7/3)") == rat(2));
    CHECK(folded("True + 1") == rat(2));
    CHECK(folded("\"ab\" + \"c\"") == str("abc"));
    CHECK(folded("1 == True") == Value{true});
    CHECK(folded("\"1\" == 1") == Value{false});
    CHECK(folded("1 != 2") == Value{true});
    CHECK(folded("3 if 0 else 1/1") == rat(1));  // the branch not taken is not evaluated
}

TEST_CASE("token kinds: tokens_str by default, tokens_int on request", "[rasp-front]") {
    CHECK(read("x = tokens + \"!\";").tokens == rasp::Program::TokenKind::String);
    rasp::Program p = read("tokens = tokens_int;\ny = tokens * 2;\nm = aggregate(select(indices, indices, <=), y);\n"
                     "c = aggregate(select(indices, indices, ==), tokens == 3);\n");
    CHECK(p.tokens == rasp::Program::TokenKind::Integer);
    CHECK(p.named[0].name == "tokens");
    CHECK(p.sops[p.named[1].ref.id].type == ValueType::Number);
    CHECK(p.sops[p.named[2].ref.id].numerical);
    CHECK_FALSE(p.sops[p.named[3].ref.id].numerical);
    CHECK(p.sops[p.named[3].ref.id].type == ValueType::Bool);
    CHECK(error_of("a = tokens_int + 1;\nb = tokens_str;\n") ==
          "t.rasp:2:5: the program uses both tokens_str and tokens_int (the other at t.rasp:1:5); an input has one kind");
}

TEST_CASE("constructs outside the language are named at their location", "[rasp-front]") {
    CHECK(error_of("f = lambda x: x;").find("t.rasp:1:5: lambda is not RASP") == 0);
    CHECK(error_of("import numpy;").find("t.rasp:1:1: 'import' is not RASP") == 0);
    CHECK(error_of("x = tokens_float;").find("t.rasp:1:5: tokens_float is not supported") == 0);
    CHECK(error_of("x = numerical(indices);").find("t.rasp:1:5: 'numerical' is not supported") == 0);
    CHECK(error_of("x = map(indices);").find("t.rasp:1:5: 'map' is not supported") == 0);
    CHECK(error_of("draw(indices);").find("t.rasp:1:1: draw(...) is not supported: ahat does not draw") == 0);
    CHECK(error_of("x = 1;\nshow example").find("t.rasp:2:1: the REPL command 'show example' is not supported") == 0);
    CHECK(error_of("exit()").find("t.rasp:1:1: the REPL command 'exit' is not supported in a program file: it ends") == 0);
    CHECK(error_of("x = 2 ^ 0.5;") == "t.rasp:1:7: '^' with the exponent 1/2: only integer exponents are exact");
}

TEST_CASE("syntax errors are located", "[rasp-front]") {
    CHECK(error_of("x = 1\ny = 2;") == "t.rasp:2:1: expected ';', found 'y'");
    CHECK(error_of("x = (1 + ;") == "t.rasp:1:10: expected an expression, found ';'");
    CHECK(error_of("x = \"abc;") == "t.rasp:1:5: unterminated string literal");
    CHECK(error_of("x = 1 $ 2;") == "t.rasp:1:7: unexpected character '$'");
    CHECK(error_of("x = select(tokens, tokens, +);") == "t.rasp:1:28: select's third argument must be one of == != < <= > >=");
    CHECK(error_of("def f(a) { x = a; }") == "t.rasp:1:19: function 'f' has no return statement");
    CHECK(error_of("x = aggregate(select(indices, indices, ==));") == "t.rasp:1:14: aggregate takes 2 or 3 arguments, got 1");
    CHECK(error_of("x = indices") == "t.rasp:1:12: expected ';', found the end of the file");
}

TEST_CASE("names, kinds, calls and recursion are checked", "[rasp-front]") {
    CHECK(error_of("x = y + 1;") == "t.rasp:1:5: unknown name 'y'");
    CHECK(error_of("indices = 1;") == "t.rasp:1:1: cannot assign to the reserved name 'indices'");
    CHECK(error_of("x = aggregate(tokens, tokens);") == "t.rasp:1:15: aggregate expects a selector first, got an s-op");
    CHECK(error_of("s = select(indices, indices, ==);\nx = s + 1;") == "t.rasp:2:7: cannot apply '+' to a selector");
    CHECK(error_of("s = select(indices, indices, ==);\nx = s and indices;") ==
          "t.rasp:2:7: cannot apply 'and' to a selector and an s-op");
    CHECK(error_of("s = select(indices, indices, ==);\nx = select(s, indices, ==);") ==
          "t.rasp:2:12: select expects an s-op or a constant, got a selector");
    CHECK(error_of("x = selector_width(indices);") == "t.rasp:1:20: selector_width expects a selector, got an s-op");
    CHECK(error_of("x = aggregate(select(indices, indices, ==), indices, indices);") ==
          "t.rasp:1:54: aggregate's default must be a constant, got an s-op");
    CHECK(error_of("x = indicator(1);") == "t.rasp:1:5: indicator expects an s-op, got a constant");
    CHECK(error_of("def f(a, b) { return a; }\nx = f(1);") == "t.rasp:2:5: function 'f' takes 2 arguments, got 1");
    CHECK(error_of("def f(a) { return f(a) + 1; }\nx = f(indices);") ==
          "t.rasp:1:19: recursive call of 'f' (defined at t.rasp:1:1): recursion is not supported");
    CHECK(error_of("def f(a) { return g(a); }\ndef g(a) { return f(a); }\nx = f(1);").find("recursive call of 'f'") !=
          std::string::npos);
    CHECK(error_of("x = 1 / 0;") == "t.rasp:1:7: division by zero");
    CHECK(error_of("x = \"a\" < 1;") == "t.rasp:1:9: cannot order a string and a number");
    CHECK(error_of("x = 3;\ny = x(1);") == "t.rasp:2:5: a constant is not a function");
    std::string deep = "x = " + std::string(300, '(') + "1" + std::string(300, ')') + ";";
    CHECK(error_of(deep).find(": nesting deeper than 200 levels") != std::string::npos);
    CHECK(error_of("x = " + std::string(100000, '-') + "1;").find("nesting deeper than 200 levels") != std::string::npos);
    std::string chain = "x = 1";
    for (int k = 0; k < 100000; ++k) chain += " + 1";
    CHECK(error_of(chain + ";") == "t.rasp:1:8003: an expression more than 2000 operations deep");
    std::string calls = "def f0(x) { return x + 1; }\n";
    for (int k = 1; k < 90; ++k) {
        std::string body = "f" + std::to_string(k - 1) + "(x)";  // the call under 150 levels of its caller
        for (int j = 0; j < 150; ++j) body = "(" + body + " + 1)";
        calls += "def f" + std::to_string(k) + "(x) { return " + body + "; }\n";
    }
    CHECK(error_of(calls + "y = f89(indices);").find("evaluation nested deeper than 3000") != std::string::npos);
}

TEST_CASE("functions see their defining environment when called, like the reference", "[rasp-front]") {
    rasp::Program p = read("def f(x) { return x + k; }\nk = 1;\na = f(2);\nk = 10;\nb = f(2);\n"
                     "def g() { def h(y) { return y * 2; } return h(3); }\nc = g();\n");
    REQUIRE(p.named.size() == 5);
    CHECK(p.named[1].ref.constant == rat(3));
    CHECK(p.named[3].ref.constant == rat(12));
    CHECK(p.named[4].ref.constant == rat(6));
}
