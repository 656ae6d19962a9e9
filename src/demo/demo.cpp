#include "demo/demo.hpp"

#include <cstdlib>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "circuit/families.hpp"
#include "compile/compiled_io.hpp"
#include "compile/verify.hpp"
#include "demo/checks.hpp"
#include "encoder/encoder_json.hpp"
#include "encoder/interpreter.hpp"
#include "support/resources.hpp"
#include "support/plural.hpp"

namespace ahat {
namespace {

// All strings over `alphabet` of length 1..max_len.
std::vector<std::string> all_strings(const std::string& alphabet, std::size_t max_len) {
    std::vector<std::string> out, level{""};
    for (std::size_t len = 1; len <= max_len; ++len) {
        std::vector<std::string> next;
        for (const auto& s : level)
            for (char c : alphabet) next.push_back(s + c);
        out.insert(out.end(), next.begin(), next.end());
        level = std::move(next);
    }
    return out;
}

std::vector<std::string> chars(const std::string& s) {
    std::vector<std::string> out;
    for (char c : s) out.emplace_back(1, c);
    return out;
}

using demo::record;

// A bundled file (support/resources.hpp): from root when given, else $AHAT_ROOT or the binary.
Circuit bundled_circuit(const std::string& path, const std::string& root) { return read_circuit(bundled(path, root), bundled_name(path, root)); }
Encoder bundled_encoder(const std::string& path, const std::string& root) { return read_encoder(bundled(path, root), bundled_name(path, root)); }

DemoCheck circuit_check(const std::string& root) {
    DemoCheck c{"circuits/demo.circ: inner product then sign, exact", "ahat eval circuits/demo.circ --input \"1/2, 3, 2, -1/4\"", 0, 0, ""};
    Circuit circ = bundled_circuit("circuits/demo.circ", root);
    // s = x1*y1 + x2*y2 + 1/2, t = [s > 0], on a grid of small rationals.
    const Rational vals[] = {Rational(-2), Rational(-1, 3), Rational(0), Rational(1, 2), Rational(3)};
    for (const auto& x1 : vals)
        for (const auto& x2 : vals)
            for (const auto& y1 : vals)
                for (const auto& y2 : vals) {
                    auto out = evaluate<Rational>(circ, {x1, x2, y1, y2});
                    Rational s = x1 * y1 + x2 * y2 + Rational(1, 2);
                    bool ok = out.size() == 2 && out[0] == s && out[1] == Rational(s > 0 ? 1 : 0);
                    record(c, ok, fmt::format("x = ({}, {}, {}, {})", x1, x2, y1, y2));
                }
    if (c.failures == 0) {
        auto out = evaluate<Rational>(circ, {Rational(1, 2), Rational(3), Rational(2), Rational(-1, 4)});
        c.detail = fmt::format("s = {}, t = {} on (1/2, 3, 2, -1/4)", out[0], out[1]);
    }
    return c;
}

// circuits/demo.circ compiled to an encoder (through the compiled file's text, as `ahat compile`
// writes it and `ahat run` reads it), run exactly on the grid, decoded, and compared with direct
// evaluation.
DemoCheck compiled_check(const std::string& root, Construction cons) {
    const std::string name(construction_name(cons));
    const std::string file = cons == Construction::Wire ? "demo.enc.json" : "demo.gate.enc.json";
    DemoCheck c{fmt::format("circuits/demo.circ compiled ({} construction), run exactly, decoded = direct evaluation", name),
                fmt::format("ahat compile circuits/demo.circ{} -o {} && ahat run {} --input \"1/2, 3, 2, -1/4\"",
                            cons == Construction::Wire ? "" : " --construction gate", file, file),
                0, 0, ""};
    Circuit circ = bundled_circuit("circuits/demo.circ", root);
    const CompiledCircuit cc = read_compiled(write_compiled(compile_circuit(circ, cons, std::nullopt, "circuits/demo.circ")),
                                             file);
    const Program<Rational> prog(cc.encoder);
    const Rational vals[] = {Rational(-2), Rational(-1, 3), Rational(0), Rational(1, 2), Rational(3)};
    for (const auto& x1 : vals)
        for (const auto& x2 : vals)
            for (const auto& y1 : vals)
                for (const auto& y2 : vals) {
                    const std::vector<Rational> x{x1, x2, y1, y2};
                    const auto expected = evaluate<Rational>(circ, x);
                    const auto got = decode(cc.encoding, prog.run(with_inputs(cc.encoding, x)).state);
                    record(c, got == expected,
                           fmt::format("x = ({}, {}, {}, {}): decoded ({}), direct ({})", x1, x2, y1, y2,
                                       fmt::join(got, ", "), fmt::join(expected, ", ")));
                }
    if (c.failures == 0) {
        const Shape s = shape_of(cons, cc.K);
        const auto got = decode(cc.encoding, prog.run(with_inputs(cc.encoding, {Rational(1, 2), Rational(3), Rational(2),
                                                                                 Rational(-1, 4)})).state);
        c.detail = fmt::format("K = {}: {}, {}, d = {}, {}; s = {}, t = {} on (1/2, 3, 2, -1/4)", cc.K,
                               counted(s.layers, "layer"), counted(s.total_heads, "head"), s.width,
                               counted(cc.tokens, "token"), got[0], got[1]);
    }
    return c;
}

// The proofs' invariants, layer by layer, on a larger circuit: sort of 6 values (depth 8).
DemoCheck sort_verify_check(Construction cons) {
    constexpr std::size_t kSize = 6, kSamples = 2;
    const std::string name(construction_name(cons));
    DemoCheck c{fmt::format("sort of {} values compiled ({} construction): outputs, layer invariant, argmax sizes, shuffle",
                            kSize, name),
                fmt::format("ahat verify --family sort --sizes {} --construction {} --samples {}", kSize, name, kSamples), 0,
                0, ""};
    VerifyOptions o;
    o.construction = cons;
    o.samples = kSamples;
    o.seed = 1;
    o.invariants = true;
    const VerifyReport rep = verify_circuit(sort_circuit(kSize), o);
    for (const auto& inst : rep.instances)
        record(c, inst.ok(), fmt::format("sample {}: {}", inst.sample, inst.problem));
    if (c.failures == 0)
        c.detail = fmt::format("depth {}, K = {}: {}, {}, d = {}, {}; all checks hold on {} random inputs",
                               rep.circuit_depth, rep.depth_bound, counted(rep.shape.layers, "layer"),
                               counted(rep.shape.total_heads, "head"), rep.shape.width, counted(rep.tokens, "token"), rep.instances.size());
    return c;
}

DemoCheck squaring_check(const std::string& root) {
    DemoCheck c{"circuits/squaring.circ: (3/2)^65536, exact", "ahat eval circuits/squaring.circ --input 3/2", 0, 0, ""};
    Circuit circ = bundled_circuit("circuits/squaring.circ", root);
    auto out = evaluate<Rational>(circ, {Rational(3, 2)});
    Integer num, den;
    mpz_ui_pow_ui(num.backend().data(), 3, 65536);
    mpz_ui_pow_ui(den.backend().data(), 2, 65536);
    bool ok = out.size() == 1 && out[0] == Rational(num, den);
    record(c, ok, "value differs from 3^65536 / 2^65536");
    if (ok) c.detail = fmt::format("{} bits, equal to 3^65536 / 2^65536", bit_size(out[0]));
    return c;
}

DemoCheck majority_check(const std::string& root) {
    DemoCheck c{"examples/majority.json: one uniform head, accept iff #1 > #0 (all strings up to length 10)",
                "ahat run examples/majority.json --input 1101", 0, 0, ""};
    Encoder enc = bundled_encoder("examples/majority.json", root);
    Program<Rational> prog(enc);
    Program<double> prog_d(enc);
    for (const auto& w : all_strings("01", 10)) {
        auto x = embed(enc, chars(w));
        bool expected = std::count(w.begin(), w.end(), '1') > std::count(w.begin(), w.end(), '0');
        bool exact = *prog.run(x).accepted;
        bool dbl = *prog_d.run(convert<double>(x)).accepted;
        record(c, exact == expected && dbl == expected, fmt::format("'{}': exact {}, double {}, expected {}", w, exact, dbl, expected));
    }
    if (c.failures == 0) c.detail = fmt::format("{} strings, exact and double agree with counting", c.instances);
    return c;
}

DemoCheck tie_check(const std::string& root) {
    DemoCheck c{"examples/tie_rules.json: average-hard / leftmost / rightmost on tied scores",
                "ahat run examples/tie_rules.json --input babba", 0, 0, ""};
    Encoder enc = bundled_encoder("examples/tie_rules.json", root);
    Program<Rational> prog(enc);
    for (const auto& w : all_strings("ab", 8)) {
        auto r = prog.run(embed(enc, chars(w)));
        std::vector<std::size_t> as;
        for (std::size_t i = 0; i < w.size(); ++i)
            if (w[i] == 'a') as.push_back(i);
        if (as.empty())
            for (std::size_t i = 0; i < w.size(); ++i) as.push_back(i);  // all tie
        Rational mean = 0;
        for (auto i : as) mean += Rational(static_cast<long long>(i));
        mean /= Rational(static_cast<long long>(as.size()));
        bool ok = true;
        for (std::size_t i = 0; i < w.size(); ++i)
            ok = ok && r.outputs.at(i, 0) == mean && r.outputs.at(i, 1) == Rational(static_cast<long long>(as.front())) &&
                 r.outputs.at(i, 2) == Rational(static_cast<long long>(as.back()));
        record(c, ok, fmt::format("'{}'", w));
    }
    if (c.failures == 0) {
        auto r = prog.run(embed(enc, chars("babba")));
        c.detail = fmt::format("on 'babba': average {}, leftmost {}, rightmost {}", r.outputs.at(0, 0), r.outputs.at(0, 1),
                               r.outputs.at(0, 2));
    }
    return c;
}

DemoCheck prev_token_check(const std::string& root) {
    DemoCheck c{"examples/prev_token.json: previous token through a strict past mask",
                "ahat run examples/prev_token.json --input abcab --trace", 0, 0, ""};
    Encoder enc = bundled_encoder("examples/prev_token.json", root);
    Program<Rational> prog(enc);
    for (const auto& w : all_strings("abc", 6)) {
        auto r = prog.run(embed(enc, chars(w)));
        bool ok = true;
        for (std::size_t i = 0; i < w.size(); ++i)
            for (std::size_t s = 0; s < 3; ++s) {
                Rational expected = (i > 0 && w[i - 1] == "abc"[s]) ? 1 : 0;
                ok = ok && r.outputs.at(i, s) == expected;
            }
        ok = ok && r.trace.heads[0][0].selected[0] == 0;  // empty allowed set at position 0
        for (std::size_t i = 1; i < w.size(); ++i) ok = ok && r.trace.heads[0][0].selected[i] == 1;
        record(c, ok, fmt::format("'{}'", w));
    }
    if (c.failures == 0) c.detail = fmt::format("{} strings; |M_0| = 0 (zero vector), |M_i| = 1 for i > 0", c.instances);
    return c;
}

}  // namespace

DemoReport run_demo(const std::string& root) {
    DemoReport r;
    r.checks.push_back(compiled_check(root, Construction::Wire));
    r.checks.push_back(compiled_check(root, Construction::Gate));
    r.checks.push_back(sort_verify_check(Construction::Wire));
    r.checks.push_back(sort_verify_check(Construction::Gate));
    r.checks.push_back(circuit_check(root));
    r.checks.push_back(squaring_check(root));
    r.checks.push_back(majority_check(root));
    r.checks.push_back(tie_check(root));
    r.checks.push_back(prev_token_check(root));
    r.checks.push_back(demo::rasp_tasks_check(root));
    r.checks.push_back(demo::capture_check());
    r.checks.push_back(demo::lang_check());
    return r;
}

}  // namespace ahat
