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
    // not, and, or, implies; P, H; the window; S, Y<=2
    std::string ops = "0123";
    if (m.kind != ModelKind::Local) ops += "45";
    if (m.kind != ModelKind::Global) ops += "66";
    if (m.kind == ModelKind::Rightmost) ops += "778";
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
}

TEST_CASE("ltl compile: compiled acceptance equals the evaluator (random formulas, every model)", "[logic]") {
    std::mt19937_64 rng(2024);
    std::vector<std::pair<std::string, Rule>> models{{"global", Rule::AverageHard},   {"global", Rule::UniqueHardLeft},
                                                     {"global", Rule::Uniform},       {"local-1", Rule::AverageHard},
                                                     {"local-2", Rule::Uniform},      {"hybrid-1", Rule::AverageHard},
                                                     {"hybrid-3", Rule::UniqueHardLeft}, {"rightmost", Rule::AverageHard}};
    std::size_t checked = 0;
    for (const auto& [name, rule] : models) {
        Model m = parse_model(name, {}, rule);
        for (int t = 0; t < 6; ++t) {
            Formula f;
            f.root = random_formula(f, rng, m, 4);
            CompiledLtl c = compile_ltl(f, "ab", m.rule);
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
    CHECK(checked == 8 * 6 * (127 + 12));
}
