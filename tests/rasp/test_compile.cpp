// The RASP compiler: compiled encoders run exactly agree with the IR's semantics on random
// inputs (classic programs, random programs of the compilable fragment), refusals name the
// construct and its location, weights are independent of n and round-trip through JSON, and
// the encoder declares exactly the features it uses.
#include "compile_fixture.hpp"

#include "encoder/encoder_json.hpp"

using namespace rasp_test;

namespace {

// histogram: for each token, how many tokens equal it
std::uint32_t histogram(Build& b) {
    auto t = b.tokens();
    return b.width(b.select(t, t, Pred::Eq));
}

std::uint32_t reverse(Build& b) {
    auto t = b.tokens(), i = b.indices(), n = b.length();
    auto opp = b.map(SopOp::Sub, {b.map(SopOp::Sub, {n, i}), b.cst(num(1))});
    return b.agg(b.select(i, opp, Pred::Eq), t, false);
}

// sort with repeats: target = #smaller + #equal-before
std::uint32_t sort(Build& b) {
    auto t = b.tokens(), i = b.indices();
    auto smaller = b.width(b.select(t, t, Pred::Lt));
    auto before = b.width(b.sand(b.select(t, t, Pred::Eq), b.select(i, i, Pred::Lt)));
    auto target = b.map(SopOp::Add, {smaller, before});
    return b.agg(b.select(target, i, Pred::Eq), t, false);
}

// dyck1 on prefixes: True where the prefix so far is balanced and never went negative
std::uint32_t dyck1(Build& b) {
    auto t = b.tokens(), i = b.indices();
    auto prevs = b.select(i, i, Pred::Le);
    auto open = b.agg(prevs, b.map(SopOp::Indicator, {b.map(SopOp::Eq, {t, b.cst(str("("))})}), true, num(0));
    auto close = b.agg(prevs, b.map(SopOp::Indicator, {b.map(SopOp::Eq, {t, b.cst(str(")"))})}), true, num(0));
    auto balance = b.map(SopOp::Sub, {open, close});
    auto neg = b.map(SopOp::Indicator, {b.map(SopOp::Lt, {balance, b.cst(num(0))})});
    auto bad = b.agg(prevs, neg, true, num(0));
    return b.map(SopOp::And, {b.map(SopOp::Eq, {bad, b.cst(num(0))}), b.map(SopOp::Eq, {balance, b.cst(num(0))})});
}

std::uint32_t double_histogram(Build& b) {
    auto t = b.tokens(), i = b.indices();
    auto hist = b.width(b.select(t, t, Pred::Eq));
    auto prev_copy = b.sand(b.select(t, t, Pred::Eq), b.select(i, i, Pred::Lt));
    auto has_prev = b.map(SopOp::Gt, {b.agg(prev_copy, b.cst(num(1)), true, num(0)), b.cst(num(0))});
    auto is_repr = b.map(SopOp::Not, {has_prev});
    auto same = b.sand(b.select(hist, hist, Pred::Eq), b.select(is_repr, b.cst(Value{true}), Pred::Eq));
    return b.width(same);
}

std::uint32_t or_not(Build& b) {
    auto t = b.tokens();
    auto s = b.sor(b.select(t, t, Pred::Lt), b.snot(b.select(t, t, Pred::Ge)));
    auto s2 = b.sor(s, b.snot(b.select(t, t, Pred::Ne)));
    auto frac = b.agg(s2, b.map(SopOp::Indicator, {b.map(SopOp::Eq, {t, b.cst(str("a"))})}), true, num(0));
    return b.map(SopOp::Add, {frac, b.width(s2)});
}

}  // namespace

TEST_CASE("rasp compile: classic programs agree with the IR's semantics", "[rasp-compile]") {
    struct Case {
        const char* name;
        std::uint32_t (*make)(Build&);
        const char* alphabet;
    };
    const Case cases[] = {{"histogram", histogram, "abc"}, {"reverse", reverse, "abcd"}, {"sort", sort, "abc"},
                          {"dyck1", dyck1, "()"},          {"double_histogram", double_histogram, "abcd"},
                          {"or_not", or_not, "abc"}};
    std::uint32_t seed = 1;
    for (const Case& c : cases) {
        Build b;
        std::uint32_t id = c.make(b);
        b.name(c.name, id);
        SECTION(c.name) { CHECK(check_program(b.p, id, c.name, c.alphabet, 200, 40, seed) >= 150); }
        ++seed;
    }
}

TEST_CASE("rasp compile: shapes of the classic programs", "[rasp-compile]") {
    Build b;
    auto h = histogram(b);
    b.name("hist", h);
    Compiled c = compile(b.p, CompileOptions{"hist", {"a", "b"}});
    CHECK(c.kind == Compiled::Kind::Integer);
    CHECK(c.encoder.layers.size() == 2);  // 1/(w+1), then w
    CHECK(c.bos);
    CHECK(c.encoder.input.bos == std::optional<std::string>("$"));
    Build r;
    auto rv = reverse(r);
    r.name("rev", rv);
    Compiled cr = compile(r.p, CompileOptions{"", {"a", "b"}});
    CHECK(cr.name == "rev");
    CHECK(cr.kind == Compiled::Kind::Categorical);
    CHECK(cr.encoder.layers.size() == 2);  // length and squares, then the flip head
    REQUIRE(cr.values.size() == 3);        // a, b, None
    CHECK(cr.values[2].is_none());
}
