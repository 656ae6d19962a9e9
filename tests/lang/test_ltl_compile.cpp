#include <catch2/catch.hpp>

#include <random>

#include "lang/ltl_compile.hpp"
#include "support/error.hpp"

using namespace ahat;
using namespace ahat::lang;

namespace {

// A random formula over {a, b} with the operators of a model (fixed seed).
std::uint32_t random_formula(Formula& f, std::mt19937_64& rng, const Model& m, int depth) {
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    if (depth == 0 || pick(4) == 0) {
        switch (pick(4)) {
            case 0: return f.atom('a');
            case 1: return f.atom('b');
            case 2: return pick(2) ? f.top() : f.bottom();
            default: return f.atom(pick(2) ? 'a' : 'b');
        }
    }
    // not, and, or, implies; P, H; the window; S, Y<=2; exact models: counts, Y by position
    std::string ops = "0123";
    if (m.kind != ModelKind::Local) ops += "45";
    if (m.kind != ModelKind::Global) ops += "66";
    if (m.kind == ModelKind::Rightmost) ops += "778";
    if (m.exact) ops += "99";
    if (m.exact && m.kind != ModelKind::Local && m.rule == Rule::AverageHard) ops += "Y";
    if (ops[pick(ops.size())] == 'Y') return f.yesterday(random_formula(f, rng, m, depth - 1));
    int op = ops[pick(ops.size())] - '0';
    std::uint32_t x = random_formula(f, rng, m, depth - 1);
    switch (op) {
        case 0: return f.neg(x);
        case 1: return f.conj(x, random_formula(f, rng, m, depth - 1));
        case 2: return f.disj(x, random_formula(f, rng, m, depth - 1));
        case 3: return f.implies(x, random_formula(f, rng, m, depth - 1));
        case 4: return f.past(x);
        case 5: return f.historically(x);
        case 6: return f.within(m.kind == ModelKind::Rightmost ? 1 : m.k, x);
        case 7: return f.since(x, random_formula(f, rng, m, depth - 1));
        case 9: {
            std::uint32_t window = m.kind == ModelKind::Global ? 0 : m.kind == ModelKind::Local ? m.k : (pick(2) ? m.k : 0);
            long long c1 = static_cast<long long>(pick(5)) - 2, c2 = static_cast<long long>(pick(5)) - 2;
            if (c1 == 0) c1 = 1;
            Comparison c{window, {{c1, x}, {c2, random_formula(f, rng, m, depth - 1)}},
                         static_cast<long long>(pick(5)) - 2, static_cast<Rel>(pick(6))};
            return f.count(std::move(c));
        }
        default: return f.within(2, x);
    }
}

}  // namespace

TEST_CASE("ltl compile: shapes and refusals", "[logic]") {
    Formula f = parse_ltl("P (a & !P true) & Y b");
    CompiledLtl c = compile_ltl(f, "ab", Rule::AverageHard);
    CHECK(c.layers == 2);  // nesting depth 2, the two depth-1 operators share a layer
    CHECK(c.heads == 3);
    CHECK(c.width == f.nodes.size());
    CHECK(c.enc.input.positional.empty());
    CHECK_THROWS_AS(compile_ltl(parse_ltl("a S b"), "ab", Rule::AverageHard), InputError);
    CHECK_THROWS_AS(compile_ltl(f, "ab", Rule::Softmax), InputError);
    Model local2 = parse_model("local-2", {});
    CHECK_THROWS_AS(check_in_model(parse_ltl("Y a"), local2, {}), InputError);
    CHECK_NOTHROW(check_in_model(parse_ltl("Y<=2 a"), local2, {}));
    CHECK_THROWS_AS(check_in_model(parse_ltl("P a"), local2, {}), InputError);
    CHECK_THROWS_AS(check_in_model(parse_ltl("Y<=2 a"), parse_model("global", {}), {}), InputError);
    CHECK_NOTHROW(check_in_model(parse_ltl("P a & Y a"), parse_model("hybrid-1", {}), {}));
    CHECK_THROWS_AS(parse_model("local-0", {}), InputError);
    CHECK_THROWS_AS(parse_model("global", {}, Rule::UniqueHardRight), InputError);
    CHECK(parse_model("rightmost", {}).rule == Rule::UniqueHardRight);
    // leftmost ties inside a window read position i-k: outside LTL[Y<=k], so refused there
    CHECK_THROWS_WITH(parse_model("local-2", {}, Rule::UniqueHardLeft), Catch::Contains("position i-k"));
    CHECK_THROWS_AS(parse_model("hybrid-1", {}, Rule::UniqueHardLeft), InputError);
    CHECK(parse_model("global", {}, Rule::UniqueHardLeft).rule == Rule::UniqueHardLeft);
    CHECK_THROWS_AS(parse_model("global-exact", {}, Rule::UniqueHardLeft), InputError);
    CHECK_THROWS_AS(parse_model("rightmost-exact", {}), InputError);
    Model ge = parse_model("global-exact", {});
    CHECK(ge.exact);
    CHECK(ge.name() == "global-exact");
    CHECK(ge.logic() == "LTL[P,Y,#]");
    CHECK(parse_model("global-exact", {}, Rule::Uniform).logic() == "LTL[P,#]");
    CHECK(parse_model("local-3-exact", {}).logic() == "LTL[Y<=3,#<=3]");
    CHECK(parse_model("hybrid-2-exact", {}).logic() == "LTL[P,Y,Y<=2,#,#<=2]");
    CHECK_THAT(ge.assumptions(), Catch::Contains("exact rational arithmetic") && Catch::Contains("strict (j < i)") &&
                                     Catch::Contains("no positional features"));
    CHECK_THAT(parse_model("local-2", {}).assumptions(),
               Catch::Contains("fixed precision") && Catch::Contains("window 2") && Catch::Contains("average-hard"));
    CHECK_NOTHROW(check_in_model(parse_ltl("P a & Y a & [#a > #b]"), ge, {}));
    CHECK_THROWS_AS(check_in_model(parse_ltl("[#a > #b]"), parse_model("global", {}), {}), InputError);
    CHECK_THROWS_AS(check_in_model(parse_ltl("Y a"), parse_model("global-exact", {}, Rule::Uniform), {}), InputError);
    CHECK_THROWS_AS(check_in_model(parse_ltl("[#<=2 a > 0]"), ge, {}), InputError);
    CHECK_NOTHROW(check_in_model(parse_ltl("[#<=2 a > 0] & Y<=2 b"), parse_model("local-2-exact", {}), {}));
}

TEST_CASE("ltl compile: compiled acceptance equals the evaluator (random formulas, every model)", "[logic]") {
    std::mt19937_64 rng(2024);
    std::vector<std::pair<std::string, Rule>> models{{"global", Rule::AverageHard},   {"global", Rule::UniqueHardLeft},
                                                     {"global", Rule::Uniform},       {"local-1", Rule::AverageHard},
                                                     {"local-2", Rule::Uniform},      {"hybrid-1", Rule::AverageHard},
                                                     {"hybrid-3", Rule::Uniform}, {"rightmost", Rule::AverageHard},
                                                     {"global-exact", Rule::AverageHard}, {"global-exact", Rule::Uniform},
                                                     {"local-3-exact", Rule::AverageHard}, {"hybrid-2-exact", Rule::AverageHard}};
    std::size_t checked = 0;
    for (const auto& [name, rule] : models) {
        Model m = parse_model(name, {}, rule);
        for (int t = 0; t < 6; ++t) {
            Formula f;
            f.root = random_formula(f, rng, m, 4);
            CompiledLtl c = compile_in_model(f, "ab", m);
            LtlVerifyOptions o;
            o.max_len = 6;
            o.random_len = 24;
            o.random_count = 4;
            o.seed = static_cast<std::uint64_t>(t);
            auto rep = verify_ltl(c, "ab", [&](std::string_view w) { return accepts(f, w); }, o);
            INFO(name << " " << to_string(f) << " fails on " << rep.first_failure);
            CHECK(rep.ok());
            CHECK(rep.exhaustive == 127);
            checked += rep.exhaustive + rep.sampled;
        }
    }
    CHECK(checked == 12 * 6 * (127 + 12));
}
