// Test helpers for the RASP compiler: a small builder of Program DAGs, a direct reference
// evaluation of the IR (select / aggregate / selector_width by their definitions), and a
// check that the compiled encoder, run exactly and decoded, agrees on random inputs.
#pragma once

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "rasp/compile_internal.hpp"

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
        return sop(SopNode{SopOp::Aggregate, {v}, sel, numerical, ValueType::Mixed, std::move(dflt), {}});
    }
    std::uint32_t width(std::uint32_t sel) { return sop(SopNode{SopOp::SelectorWidth, {}, sel, false, {}, {}}); }
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

struct Raises {};

// The IR's semantics, directly (RASP's: select(keys, queries, pred)[q][k] = pred(keys[k], queries[q])).
inline std::vector<std::vector<Value>> reference(const Program& p, const std::vector<Value>& toks) {
    const std::size_t n = toks.size();
    std::vector<std::vector<std::vector<bool>>> sel(p.sels.size());
    std::vector<std::vector<Value>> s(p.sops.size());
    auto selector = [&](std::uint32_t id) -> std::vector<std::vector<bool>>& { return sel[id]; };
    std::size_t next_sel = 0;
    auto eval_sels_upto = [&](std::uint32_t id) {
        for (; next_sel <= id && next_sel < p.sels.size(); ++next_sel) {
            const SelNode& nd = p.sels[next_sel];
            auto& m = sel[next_sel];
            m.assign(n, std::vector<bool>(n, false));
            for (std::size_t q = 0; q < n; ++q)
                for (std::size_t k = 0; k < n; ++k) {
                    switch (nd.op) {
                        case SelOp::Select: {
                            auto r = detail::apply_pred(nd.pred, s[nd.keys][k], s[nd.queries][q]);
                            if (!r) throw Raises{};
                            m[q][k] = *r;
                            break;
                        }
                        case SelOp::And: m[q][k] = sel[nd.args[0]][q][k] && sel[nd.args[1]][q][k]; break;
                        case SelOp::Or: m[q][k] = sel[nd.args[0]][q][k] || sel[nd.args[1]][q][k]; break;
                        case SelOp::Not: m[q][k] = !sel[nd.args[0]][q][k]; break;
                    }
                }
        }
    };
    for (std::uint32_t id = 0; id < p.sops.size(); ++id) {
        const SopNode& nd = p.sops[id];
        auto& out = s[id];
        for (std::size_t i = 0; i < n; ++i) {
            switch (nd.op) {
                case SopOp::Tokens: out.push_back(toks[i]); break;
                case SopOp::Indices: out.push_back(num(static_cast<long>(i))); break;
                case SopOp::Length: out.push_back(num(static_cast<long>(n))); break;
                case SopOp::Constant: out.push_back(nd.constant); break;
                case SopOp::Aggregate:
                case SopOp::SelectorWidth: {
                    // selectors only refer to SOps defined before this node
                    std::uint32_t last = nd.selector;
                    eval_sels_upto(last);
                    const auto& m = selector(nd.selector)[i];
                    std::vector<std::size_t> ks;
                    for (std::size_t k = 0; k < n; ++k)
                        if (m[k]) ks.push_back(k);
                    if (nd.op == SopOp::SelectorWidth) {
                        out.push_back(num(static_cast<long>(ks.size())));
                        break;
                    }
                    const auto& v = s[nd.args[0]];
                    if (ks.empty()) {
                        out.push_back(nd.numerical && nd.constant.is_none() ? num(0) : nd.constant);
                    } else if (nd.numerical) {
                        Rational sum = 0;
                        for (std::size_t k : ks) {
                            if (v[k].is_bool()) sum += std::get<bool>(v[k].v) ? 1 : 0;
                            else if (v[k].is_number()) sum += std::get<Rational>(v[k].v);
                            else throw Raises{};
                        }
                        out.push_back(Value{Rational(sum / static_cast<long>(ks.size()))});
                    } else {
                        for (std::size_t k : ks)
                            if (!(v[k] == v[ks[0]])) throw Raises{};
                        out.push_back(v[ks[0]]);
                    }
                    break;
                }
                default: {
                    std::vector<Value> a;
                    for (std::uint32_t x : nd.args) a.push_back(s[x][i]);
                    auto r = detail::apply_op(nd.op, a);
                    if (!r) throw Raises{};
                    out.push_back(*r);
                }
            }
        }
    }
    return s;
}

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
            want = reference(p, vals)[sop];
        } catch (const Raises&) {
            continue;
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
