// Budgeted head gating (src/analysis/budget.hpp): gates monotone in the budget, nested head
// sets with a head per layer on random gate sets, removed heads adding exactly nothing, the
// gates file's located errors, the frontier of compiled tasks, and the CLI's records and exit
// codes (a gates file whose order flips with the budget fails the nested check).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/budget.hpp"
#include "capture/subjects.hpp"
#include "cli/run_ahat.hpp"
#include "encoder/interpreter.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::analysis;
namespace fs = std::filesystem;

namespace {

std::vector<HeadGate> random_gates(std::mt19937_64& rng, double s) {
    std::vector<HeadGate> gates;
    const std::uint32_t layers = 1 + static_cast<std::uint32_t>(rng() % 5);
    std::uniform_real_distribution<double> a(-6, 6);
    for (std::uint32_t l = 0; l < layers; ++l) {
        const std::uint32_t heads = static_cast<std::uint32_t>(rng() % 4);  // layers without heads too
        for (std::uint32_t h = 0; h < heads; ++h) gates.push_back(HeadGate{l, h, std::round(a(rng) * 4) / 4, s, std::nullopt});
    }
    return gates;
}

bool contains(const std::vector<HeadGate>& set, const HeadGate& g) {
    for (const HeadGate& x : set)
        if (x.layer == g.layer && x.head == g.head) return true;
    return false;
}

}  // namespace

TEST_CASE("budget: gates rise with the budget from 0 to 1", "[analysis]") {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(-5, 5);
    for (int t = 0; t < ahat_test::iterations(200); ++t) {
        const HeadGate g{0, 0, u(rng), u(rng), std::nullopt};
        double prev = 0;
        for (int k = 1; k < 200; ++k) {
            const double v = gate_value(g, k / 200.0);
            REQUIRE(v >= prev);
            REQUIRE(v > 0);
            REQUIRE(v < 1);
            prev = v;
        }
        CHECK(gate_value(g, 0.5) == Approx(1 / (1 + std::exp(-g.a))).epsilon(1e-12));
        CHECK(gate_value(g, 1.0) == 1.0);
    }
}

TEST_CASE("budget: operating points are nested, sized, and keep a head per layer", "[analysis]") {
    std::mt19937_64 rng(2);
    for (int t = 0; t < ahat_test::iterations(300); ++t) {
        const double s = std::uniform_real_distribution<double>(-3, 3)(rng);
        const std::vector<HeadGate> gates = random_gates(rng, s);
        if (gates.empty()) continue;
        std::set<std::uint32_t> layers;
        for (const HeadGate& g : gates) layers.insert(g.layer);
        std::vector<HeadGate> prev;
        for (int k = 1; k <= 20; ++k) {
            const double b = k / 20.0;
            const std::vector<HeadGate> act = active_heads(gates, b);
            const auto want = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(b * double(gates.size()))), layers.size(), gates.size());
            REQUIRE(act.size() == want);
            for (std::uint32_t l : layers) REQUIRE(std::any_of(act.begin(), act.end(), [&](const HeadGate& g) { return g.layer == l; }));
            for (const HeadGate& g : prev) REQUIRE(contains(act, g));  // one s for all: the order never changes
            prev = act;
        }
    }
}

TEST_CASE("budget: a removed head adds exactly nothing", "[analysis]") {
    const capture::Subject subject = capture::task_subject("sort", 16);
    const capture::Model model = subject.compile();
    std::mt19937_64 rng(3);
    const Matrix<Rational> x = model.input(subject.sample(12, rng).tokens);
    std::vector<HeadGate> all;
    for (std::uint32_t l = 0; l < model.encoder.layers.size(); ++l)
        for (std::uint32_t h = 0; h < model.encoder.layers[l].heads.size(); ++h) all.push_back(HeadGate{l, h, 0, 0, std::nullopt});
    for (std::size_t k = 0; k < all.size(); ++k) {
        std::vector<HeadGate> rest = all;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(k));
        Encoder zeroed = model.encoder;
        Head& h = zeroed.layers[all[k].layer].heads[all[k].head];
        h.output = Sparse<Rational>::from_dense(Matrix<Rational>(h.output.rows, h.output.cols));
        const RunResult<Rational> a = Program<Rational>(without_heads(model.encoder, rest)).run(x);
        const RunResult<Rational> b = Program<Rational>(zeroed).run(x);
        CHECK(a.state.data == b.state.data);
    }
    CHECK(without_heads(model.encoder, all).layers[0].heads.size() == model.encoder.layers[0].heads.size());
}

TEST_CASE("budget: gates files are checked with locations", "[analysis]") {
    const Encoder enc = capture::task_subject("histogram", 16).compile().encoder;  // 2 layers, one head each
    const fs::path dir = ahat_test::scratch();
    auto write = [&](const std::string& name, const std::string& text) {
        const fs::path p = dir / name;
        std::ofstream(p) << text;
        return p.string();
    };
    const std::string ok = write("gates_ok.json", "{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 1, \"s\": 0},\n"
                                                  " {\"layer\": 1, \"head\": 0, \"a\": \"-1/2\", \"s\": 0.5}]}");
    const auto g = read_gates(ok, enc);
    REQUIRE(g.size() == 2);
    CHECK(g[1].a == -0.5);
    const std::pair<const char*, const char*> bad[] = {
        {"{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 1, \"s\": 0}]}", "head 0 of layer 1 has no gate"},
        {"{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 1, \"s\": 0},\n {\"layer\": 0, \"head\": 0, \"a\": 1, \"s\": 0}]}", ":2:2: "},
        {"{\"gates\": [\n{\"layer\": 0, \"head\": 3, \"a\": 1, \"s\": 0}]}", "no head 3 in layer 0"},
        {"{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 1, \"s\": 0, \"b\": 2}]}", "\"b\""},
        {"{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 1e9, \"s\": 0}]}", "at most 10^6"},
    };
    int k = 0;
    for (const auto& [text, message] : bad) {
        const std::string p = write("gates_bad" + std::to_string(k++) + ".json", text);
        try {
            read_gates(p, enc);
            FAIL("accepted: " << text);
        } catch (const InputError& e) {
            CHECK_THAT(e.located(), Catch::Contains(message) && Catch::Contains(p));
        }
    }
}

TEST_CASE("budget: compiled tasks reach their exact answers at budget 1 and every check holds", "[analysis][tasks]") {
    for (const char* task : {"sort", "histogram", "copy", "induction"}) {
        INFO(task);
        BudgetOptions o;
        o.samples = 8, o.timing = false;
        const BudgetResult r = budget(capture::task_subject(task, 16), o);
        REQUIRE(r.points.size() == 10);
        const BudgetPoint& full = r.points.back();
        CHECK(full.budget == 1.0);
        CHECK(full.active.size() == r.heads);
        CHECK(full.correct == full.samples);
        CHECK(full.flops == full.dense_flops);
        for (std::size_t k = 1; k < r.points.size(); ++k) CHECK(r.points[k - 1].flops <= r.points[k].flops);
        for (const HeadGate& g : r.gates) {
            REQUIRE(g.loss);
            CHECK(*g.loss >= 0);  // removing a head never helps a compiled program here
        }
        CHECK(r.ok());
    }
}

TEST_CASE("cli budget: records load as flat rows, checks set the exit code", "[cli][analysis]") {
    using namespace ahat_test;
    // A loose timing tolerance: this test checks the records, not the machine's load.
    Result r = run_ahat("budget sort --samples 8 --time-n 256 --time-batch 2 --repeats 2 --time-tolerance 10 --json --quiet");
    REQUIRE(r.rc == 0);
    std::istringstream in(r.out);
    std::string line;
    std::size_t heads = 0, budgets = 0, checks = 0;
    while (std::getline(in, line)) {
        const nlohmann::json j = nlohmann::json::parse(line);
        for (const auto& [key, v] : j.items()) CHECK_FALSE((v.is_object() || v.is_array()));
        heads += j["type"] == "head", budgets += j["type"] == "budget", checks += j["type"] == "check";
        if (j["type"] == "check") CHECK(j["ok"] == true);
    }
    CHECK(heads == 4);
    CHECK(budgets == 10);
    CHECK(checks == 4);
    // Gates whose order flips between budgets (different slopes s): the nested check fails.
    const fs::path p = scratch() / "gates_flip.json";
    // Sort's layers hold 2, 1 and 1 heads. Layer 0: head 0 rises steeply through 0.5 at
    // b = 1/2, head 1 stays at sigmoid(1); with three heads at both budgets (one per layer)
    // layer 0 keeps its best, which is head 1 at b = 0.5 and head 0 at b = 0.6.
    std::ofstream(p) << "{\"gates\": [{\"layer\": 0, \"head\": 0, \"a\": 0, \"s\": 3}, {\"layer\": 0, \"head\": 1, \"a\": 1, \"s\": -20},\n"
                        " {\"layer\": 1, \"head\": 0, \"a\": 5, \"s\": 0}, {\"layer\": 2, \"head\": 0, \"a\": 5, \"s\": 0}]}";
    r = run_ahat("budget sort --samples 4 --no-time --budgets 0.5,0.6 --gates '" + p.string() + "'");
    CHECK(r.rc == 1);
    CHECK_THAT(r.out, Catch::Contains("check nested: FAILED"));
    r = run_ahat("budget sort --budgets 0,0.5");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--budgets"));
}
