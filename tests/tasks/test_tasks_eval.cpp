// Every task's RASP program, run by the reference evaluator, against its C++ solver on
// generated instances (n = min_size..64 three times each, and a few of 100..300).
#include <catch2/catch.hpp>

#include "tasks/task_check.hpp"

using namespace ahat;
using namespace ahat::tasks;

TEST_CASE("task programs read the tokens the generators make", "[tasks]") {
    for (const Task& t : all_tasks()) {
        INFO(t.name);
        rasp::Program prog = load_program(t);
        CHECK((prog.tokens == rasp::Program::TokenKind::Integer) == t.alphabet.empty());
        std::mt19937_64 rng(7);
        Tokens x = t.generate(std::max<std::size_t>(t.min_size, 9), rng);
        std::string text;
        const char* sep = t.alphabet.empty() ? " " : "";
        for (const auto& s : testing::spelled(x)) text += (text.empty() ? "" : sep) + s;
        CHECK(rasp::parse_tokens(prog, text) == x);
    }
}

TEST_CASE("task programs agree with the reference solvers", "[tasks]") {
    for (const Task& t : all_tasks()) {
        INFO(t.name);
        rasp::Program prog = load_program(t);
        std::uint32_t out = testing::output_sop(prog, t.output);
        std::size_t instances = 0;
        for (std::size_t n : testing::sizes(t, 64, {100, 173, 300})) {
            for (std::uint64_t k = 0; k < (n <= 64 ? 3u : 1u); ++k) {
                std::mt19937_64 rng(n * 10 + k);
                Tokens x = t.generate(n, rng);
                INFO("input: " << testing::show(x));
                rasp::Evaluation ev = rasp::evaluate(prog, x);
                REQUIRE(testing::show(ev.sops[out]) == testing::show(t.solve(x)));
                REQUIRE(ev.sops[out] == t.solve(x));
                ++instances;
            }
        }
        CHECK(instances >= 190);
    }
}
