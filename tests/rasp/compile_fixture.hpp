// Test helpers for the RASP compiler: a small builder of Program DAGs and a check that the
// compiled encoder, run exactly and decoded, agrees with the reference evaluator on random inputs.
#pragma once

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "rasp/eval.hpp"

namespace rasp_test {

using ahat::Rational; using ahat::SourceLoc; using ahat::Matrix; using ahat::RunResult; using ahat::embed;
using namespace ahat::rasp;
using ahat::to_string;

inline Value num(long v) { return Value{Rational(v)}; }
inline Value str(std::string s) { return Value{std::move(s)}; }

struct Build {
    Program p;
    Build() { p.file = "t.rasp"; }
    SourceLoc here() { return SourceLoc{"t.rasp", static_cast<std::uint32_t>(p.sops.size() + p.sels.size() + 1), 3}; }
    std::uint32_t sop(SopNode n) {
        n.loc = here();
        p.sops.push_back(std::move(n));
        return static_cast<std::uint32_t>(p.sops.size() - 1);
    }
    std::uint32_t tokens() { return sop(SopNode{SopOp::Tokens, {}, 0, false, ValueType::Mixed, {}, {}}); }
    std::uint32_t indices() { return sop(SopNode{SopOp::Indices, {}, 0, false, ValueType::Mixed, {}, {}}); }
    std::uint32_t length() { return sop(SopNode{SopOp::Length, {}, 0, false, ValueType::Mixed, {}, {}}); }
    std::uint32_t cst(Value v) { return sop(SopNode{SopOp::Constant, {}, 0, false, ValueType::Mixed, std::move(v), {}}); }
    std::uint32_t map(SopOp op, std::vector<std::uint32_t> args) { return sop(SopNode{op, std::move(args), 0, false, ValueType::Mixed, {}, {}}); }
    std::uint32_t agg(std::uint32_t sel, std::uint32_t v, bool numerical, Value dflt = {}) {
        return sop(SopNode{SopOp::Aggregate, {v}, sel, numerical, numerical ? ValueType::Number : ValueType::Mixed, std::move(dflt), {}});
    }
    std::uint32_t width(std::uint32_t sel) { return sop(SopNode{SopOp::SelectorWidth, {}, sel, false, ValueType::Mixed, {}, {}}); }
    std::uint32_t sel(SelNode n) {
        n.loc = here();
        p.sels.push_back(std::move(n));
        return static_cast<std::uint32_t>(p.sels.size() - 1);
    }
    std::uint32_t select(std::uint32_t k, std::uint32_t q, Pred pr) { return sel(SelNode{SelOp::Select, k, q, pr, {}, {}}); }
    std::uint32_t sand(std::uint32_t a, std::uint32_t b) { return sel(SelNode{SelOp::And, 0, 0, Pred::True, {a, b}, {}}); }
    std::uint32_t sor(std::uint32_t a, std::uint32_t b) { return sel(SelNode{SelOp::Or, 0, 0, Pred::True, {a, b}, {}}); }
    std::uint32_t snot(std::uint32_t a) { return sel(SelNode{SelOp::Not, 0, 0, Pred::True, {a}, {}}); }
    void name(std::string n, std::uint32_t id) { p.named.push_back(Named{std::move(n), Ref{Ref::Kind::Sop, id, {}}, here()}); }
};

inline std::string show(const std::vector<Value>& v) {
    std::string s;
    for (const Value& x : v) {
        if (x.is_none()) s += "None";
        else if (x.is_bool()) s += std::get<bool>(x.v) ? "True" : "False";
        else if (x.is_number()) s += to_string(std::get<Rational>(x.v));
        else s += "'" + std::get<std::string>(x.v) + "'";
        s += ' ';
    }
    return s;
}

// Numbers compare by value (RASP's 1 == True aside, values keep their kind).
inline bool same(const std::vector<Value>& a, const std::vector<Value>& b) { return a == b; }

// Compiles `sop` and compares with the reference on `count` random strings over `alphabet`,
// lengths 0..max_len. Returns the number of inputs compared (inputs where RASP raises skipped).
inline std::size_t check_program(const Program& p, std::uint32_t sop, const std::string& name, const std::string& alphabet,
                                 std::size_t count, std::size_t max_len, std::uint32_t seed) {
    CompileOptions o;
    o.name = name;
    for (char ch : alphabet) o.alphabet.push_back(std::string(1, ch));
    Compiled c = compile(p, o);
    ahat::Program<Rational> run(c.encoder);
    std::mt19937 rng(seed);
    std::size_t compared = 0;
    for (std::size_t t = 0; t < count; ++t) {
        const std::size_t n = t < 3 ? t : rng() % (max_len + 1);
        std::vector<std::string> toks;
        std::vector<Value> vals;
        for (std::size_t i = 0; i < n; ++i) {
            toks.push_back(std::string(1, alphabet[rng() % alphabet.size()]));
            vals.push_back(str(toks.back()));
        }
        std::vector<Value> want;
        try {
            want = evaluate(p, vals).sops[sop];
        } catch (const ahat::InputError&) {
            continue;  // RASP raises on this input (e.g. a categorical aggregate of several values)
        }
        RunResult<Rational> r = run.run(embed(c.encoder, toks));
        std::vector<Value> got = decode(c, r.outputs);
        INFO("input '" << [&] { std::string s; for (auto& x : toks) s += x; return s; }() << "'");
        INFO("want " << show(want));
        INFO("got  " << show(got));
        REQUIRE(same(got, want));
        ++compared;
    }
    return compared;
}

}  // namespace rasp_test
