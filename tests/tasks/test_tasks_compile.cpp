// Every compilable task: the compiled encoder, run by the exact interpreter and decoded,
// against the C++ solver (n = min_size..48 twice each and a few of 128). The tasks that
// declare a reason not to compile are refused by the compiler.
#include <catch2/catch.hpp>

#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "tasks/task_check.hpp"

using namespace ahat;
using namespace ahat::tasks;

namespace {
const std::size_t kMaxSize = 129;  // the largest size below

// fn(task, its compiled program, an exact runner of its encoder) for every compilable task.
template <class F>
void for_each_compiled(F fn) {
    for (const Task& t : all_tasks()) {
        if (!t.not_compilable.empty()) continue;
        INFO(t.name);
        rasp::Program prog = load_program(t);
        rasp::Compiled c = rasp::compile(prog, {t.output, vocabulary(t, kMaxSize)});
        Program<Rational> run(c.encoder);
        fn(t, c, run);
    }
}
}  // namespace

TEST_CASE("the compiler refuses exactly the tasks that say why they cannot compile", "[tasks]") {
    for (const Task& t : all_tasks()) {
        INFO(t.name);
        rasp::Program prog = load_program(t);
        rasp::CompileOptions opts{t.output, vocabulary(t, kMaxSize)};
        if (t.not_compilable.empty())
            CHECK_NOTHROW(rasp::compile(prog, opts));
        else
            CHECK_THROWS_AS(rasp::compile(prog, opts), InputError);
    }
}

TEST_CASE("compiled task encoders agree with the reference solvers", "[tasks]") {
    for_each_compiled([](const Task& t, const rasp::Compiled& c, const Program<Rational>& run) {
        for (std::size_t n : testing::sizes(t, 48, {128, 129})) {
            for (std::uint64_t k = 0; k < (n <= 48 ? 2u : 1u); ++k) {
                std::mt19937_64 rng(n * 10 + k + 5);
                Tokens x = t.generate(n, rng);
                INFO("input: " << testing::show(x));
                RunResult<Rational> r = run.run(embed(c.encoder, testing::spelled(x)));
                REQUIRE(testing::show(rasp::decode(c, r.outputs)) == testing::show(t.solve(x)));
            }
        }
    });
}

TEST_CASE("compiled task encoders: the structured attention path leaves the dense scan's final state", "[tasks][fast]") {
    // Every compilable task's encoder, on generated instances: the run with the structured
    // (key-index) path and the run with the dense O(n^2) scan end in equal states, entry for
    // entry, and select equal argmax-set sizes at every head and position.
    for_each_compiled([](const Task& t, const rasp::Compiled& c, const Program<Rational>& run) {
        RunOptions structured, dense;
        structured.structured_from = 0;  // small n too
        dense.dense = true;
        for (std::size_t n : testing::sizes(t, 24, {64, 129})) {
            std::mt19937_64 rng(n * 31 + 7);
            Tokens x = t.generate(n, rng);
            INFO("input: " << testing::show(x));
            const Matrix<Rational> in = embed(c.encoder, testing::spelled(x));
            const RunResult<Rational> a = run.run(in, structured), b = run.run(in, dense);
            REQUIRE(a.state == b.state);
            for (std::size_t l = 0; l < a.trace.heads.size(); ++l)
                for (std::size_t h = 0; h < a.trace.heads[l].size(); ++h) CHECK(a.trace.heads[l][h].selected == b.trace.heads[l][h].selected);
        }
    });
}
