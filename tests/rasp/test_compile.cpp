// The RASP compiler: compiled encoders run exactly agree with the IR's semantics on random
// inputs (classic programs, random programs of the compilable fragment), refusals name the
// construct and its location, weights are independent of n and round-trip through JSON, and
// the encoder declares exactly the features it uses.
#include "compile_fixture.hpp"

#include "encoder/encoder_json.hpp"
#include "rasp/reader.hpp"
#include "../cli/run_ahat.hpp"

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

namespace {

// A random program of the compilable fragment: categorical maps of tokens, integer arithmetic
// of indices/length/widths, comparisons, selects (tables, index masks, integer equality,
// conjunctions), numerical and categorical aggregates, selector widths.
std::uint32_t random_program(Build& b, std::mt19937& rng) {
    auto pick = [&](const std::vector<std::uint32_t>& v) { return v[rng() % v.size()]; };
    auto t = b.tokens(), i = b.indices(), n = b.length();
    std::vector<std::uint32_t> cat{t}, ints{i, n}, nums{};
    std::vector<std::uint32_t> sels;
    const char* letters = "abc";
    const Pred cat_preds[] = {Pred::Eq, Pred::Lt, Pred::Ge, Pred::Ne};
    auto new_select = [&]() -> std::uint32_t {
        std::uint32_t s = 0;
        switch (rng() % 4) {
            case 0: s = b.select(pick(cat), pick(cat), cat_preds[rng() % 4]); break;
            case 1: s = b.select(i, i, rng() % 2 ? Pred::Lt : Pred::Le); break;
            case 2: s = b.select(pick(ints), pick(ints), Pred::Eq); break;
            default: s = b.select(pick(cat), b.cst(str(std::string(1, letters[rng() % 3]))), Pred::Eq); break;
        }
        if (!sels.empty() && rng() % 3 == 0) {
            // an index mask only where the other conjunct has none (one mask per head)
            const SelNode& other = b.p.sels[s];
            if (!(other.op == SelOp::Select && b.p.sops[other.keys].op == SopOp::Indices &&
                  b.p.sops[other.queries].op == SopOp::Indices))
                s = b.sand(s, b.select(i, i, Pred::Lt));
        }
        sels.push_back(s);
        return s;
    };
    std::uint32_t last = t;
    const int steps = 3 + static_cast<int>(rng() % 5);
    for (int k = 0; k < steps; ++k) {
        switch (rng() % 8) {
            case 0: last = b.map(SopOp::Eq, {pick(cat), b.cst(str(std::string(1, letters[rng() % 3])))}); cat.push_back(last); break;
            case 1: last = b.map(rng() % 2 ? SopOp::Add : SopOp::Sub, {pick(ints), pick(ints)}); ints.push_back(last); break;
            case 2: last = b.map(SopOp::Mul, {pick(ints), b.cst(num(static_cast<long>(rng() % 3) - 1))}); ints.push_back(last); break;
            case 3: last = b.map(rng() % 2 ? SopOp::Lt : SopOp::Eq, {pick(ints), pick(ints)}); cat.push_back(last); break;
            case 4: last = b.width(new_select()); ints.push_back(last); break;
            case 5: last = b.agg(new_select(), b.map(SopOp::Indicator, {pick(cat)}), true, num(0)); nums.push_back(last); break;
            case 6: last = b.agg(b.select(i, pick(ints), Pred::Eq), pick(cat), false); cat.push_back(last); break;
            default:
                if (!nums.empty()) {
                    last = b.map(SopOp::Gt, {b.map(SopOp::Add, {pick(nums), pick(ints)}), b.cst(num(1))});
                    cat.push_back(last);
                } else {
                    last = b.map(SopOp::Mul, {pick(ints), pick(ints)});
                    ints.push_back(last);
                }
        }
    }
    return last;
}

}  // namespace

TEST_CASE("rasp compile: random programs agree with the IR's semantics", "[rasp-compile]") {
    std::mt19937 rng(20240607);
    std::size_t compared = 0;
    for (int prog = 0; prog < 60; ++prog) {
        Build b;
        std::uint32_t id = random_program(b, rng);
        b.name("out", id);
        INFO("program " << prog);
        compared += check_program(b.p, id, "out", "abc", 25, 12, 1000 + prog);
    }
    CHECK(compared > 800);
}

TEST_CASE("rasp compile: constructs without an exact compilation are refused at their location", "[rasp-compile]") {
    auto refused = [](Build& b, std::uint32_t id, const std::string& loc, const std::string& what) {
        b.name("x", id);
        try {
            compile(b.p, CompileOptions{"x", {"a", "b"}});
            FAIL("compiled");
        } catch (const ahat::InputError& e) {
            INFO(e.located());
            CHECK(e.loc().str() == loc);
            CHECK(std::string(e.what()).find(what) != std::string::npos);
        }
    };
    {
        Build b;  // node 3 (indices, length at 1, 2)
        auto i = b.indices(), n = b.length();
        refused(b, b.agg(b.select(i, n, Pred::Lt), i, true, num(0)), "t.rasp:3:3", "chain of faces");
    }
    {
        Build b;
        auto i = b.indices(), n = b.length();
        refused(b, b.map(SopOp::Div, {i, b.map(SopOp::Add, {n, i})}), "t.rasp:4:3", "'/' by an unbounded");
    }
    {
        Build b;
        auto i = b.indices();
        refused(b, b.map(SopOp::Mod, {i, b.cst(num(2))}), "t.rasp:3:3", "'%' of an unbounded");
    }
    {
        Build b;
        auto i = b.indices();
        auto half = b.map(SopOp::Div, {i, b.cst(num(2))});
        refused(b, b.width(b.select(half, half, Pred::Eq)), "t.rasp:4:3", "== between rational");
    }
    {
        Build b;
        auto i = b.indices(), n = b.length();
        refused(b, b.width(b.select(n, i, Pred::Ne)), "t.rasp:3:3", "!= between numeric");
    }
    {
        Build b;  // a mean over a union: (sum of sums) / (sum of counts)
        auto i = b.indices(), t = b.tokens();
        auto s = b.sor(b.select(t, t, Pred::Eq), b.select(i, i, Pred::Lt));
        refused(b, b.agg(s, i, true, num(0)), "t.rasp:6:3", "division by an unbounded count");
    }
    {
        Build b;  // not of two conditions: all minus a part, which selects more than the selector
        auto i = b.indices(), t = b.tokens();
        auto s = b.snot(b.sand(b.select(t, t, Pred::Eq), b.select(i, i, Pred::Lt)));
        refused(b, b.agg(s, t, false), "t.rasp:7:3", "'not' of a selector of several conditions");
    }
}

TEST_CASE("rasp compile: n-independent weights, JSON round trip, exactly the features used", "[rasp-compile]") {
    Build b;
    auto id = sort(b);
    b.name("sorted", id);
    Compiled c = compile(b.p, CompileOptions{"sorted", {"a", "b", "c"}});
    const std::string text = ahat::write_encoder(c.encoder);
    ahat::Encoder back = ahat::read_encoder(text, "sorted.json");
    CHECK(ahat::write_encoder(back) == text);
    ahat::Program<Rational> p1(c.encoder), p2(back);
    for (const std::string in : {"", "c", "abcab", "ccbbaacbabcabcabcbbbb"}) {
        std::vector<std::string> toks;
        for (char ch : in) toks.push_back(std::string(1, ch));
        auto r1 = p1.run(embed(c.encoder, toks)), r2 = p2.run(embed(back, toks));
        CHECK(r1.outputs == r2.outputs);
        std::string sorted = in;
        std::sort(sorted.begin(), sorted.end());
        std::vector<Value> want;
        for (char ch : sorted) want.push_back(str(std::string(1, ch)));
        CHECK(decode(c, r2.outputs) == want);
    }
    // features: sort uses 1, first (not_bos), i (indices, the width's value), 1/(i+1); not n
    std::vector<std::string> names;
    for (const auto& pt : c.encoder.input.positional) names.push_back(std::string(ahat::feature_name(pt.feature)));
    CHECK(names == std::vector<std::string>{"1", "i", "1/(i+1)", "first"});
    Build h;
    auto t = h.tokens();
    h.name("eqa", h.map(SopOp::Eq, {t, h.cst(str("a"))}));
    Compiled ch = compile(h.p, CompileOptions{"eqa", {"a", "b"}});
    names.clear();
    for (const auto& pt : ch.encoder.input.positional) names.push_back(std::string(ahat::feature_name(pt.feature)));
    CHECK(names == std::vector<std::string>{"1", "first"});
    // every declared feature is used by some coordinate, no other
    for (const auto& pt : c.encoder.input.positional)
        CHECK(std::any_of(pt.vector.begin(), pt.vector.end(), [](const Rational& v) { return v != 0; }));
}

TEST_CASE("rasp compile: decode in double agrees on small inputs", "[rasp-compile]") {
    Build b;
    auto id = dyck1(b);
    b.name("d", id);
    Compiled c = compile(b.p, CompileOptions{"d", {"(", ")"}});
    ahat::Program<double> pd(c.encoder);
    ahat::Program<Rational> pe(c.encoder);
    for (const std::string in : {"", "()", "(()", "())(", "(()())"}) {
        std::vector<std::string> toks;
        for (char ch : in) toks.push_back(std::string(1, ch));
        auto x = embed(c.encoder, toks);
        CHECK(decode(c, pd.run(ahat::convert<double>(x)).outputs) == decode(c, pe.run(x).outputs));
    }
}

TEST_CASE("rasp compile: the .rasp examples agree with the evaluator", "[rasp-compile]") {
    const std::pair<const char*, const char*> files[] = {
        {"histogram.rasp", "abc"}, {"reverse.rasp", "abcd"}, {"sort.rasp", "abc"}, {"dyck1.rasp", "()"}};
    std::uint32_t seed = 7;
    for (const auto& [file, alphabet] : files) {
        Program p = load_rasp(std::string(AHAT_SOURCE_DIR) + "/rasp/" + file);
        INFO(file);
        std::uint32_t id = 0;
        for (const Named& nm : p.named)
            if (nm.ref.kind == Ref::Kind::Sop) id = nm.ref.id;
        CHECK(check_program(p, id, "", alphabet, 150, 40, seed++) >= 100);
    }
}

TEST_CASE("ahat rasp compile: writes an encoder that ahat run runs: refusals exit 2 with the location", "[rasp-compile]") {
    using namespace ahat_test;
    const std::string src = std::string(AHAT_SOURCE_DIR) + "/rasp/";
    const std::string out = (scratch() / "rev.json").string();
    Result r = run_ahat("rasp compile " + src + "reverse.rasp --alphabet abc -o " + out + " --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"kind\":\"categorical\"") != std::string::npos);
    CHECK(r.out.find("\"features\":[\"1\",\"i\",\"n\",\"first\"]") != std::string::npos);
    Result run = run_ahat("run " + out + " --input abcc --json");
    REQUIRE(run.rc == 0);
    // rows: BOS, then c c b a as one-hots over a, b, c, 0
    CHECK(run.out.find("[[\"0\",\"0\",\"0\",\"0\"],[\"0\",\"0\",\"1\",\"0\"],[\"0\",\"0\",\"1\",\"0\"],[\"0\",\"1\",\"0\",\"0\"],"
                       "[\"1\",\"0\",\"0\",\"0\"]]") != std::string::npos);
    const std::string bad = (scratch() / "bad.rasp").string();
    std::ofstream(bad) << "x = select(indices, length, <);\ny = aggregate(x, indices);\n";
    Result e = run_ahat("rasp compile " + bad + " --alphabet ab -o " + (scratch() / "bad.json").string());
    CHECK(e.rc == 2);
    CHECK(e.err.find(bad + ":1:5") != std::string::npos);
    CHECK(!fs::exists(scratch() / "bad.json"));
}
