// The task library without RASP: registry, generators (determinism, validity) and the
// reference solvers on hand-checked instances.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "support/error.hpp"
#include "support/resources.hpp"
#include "tasks/tasks.hpp"
#include "tasks/task_check.hpp"

using namespace ahat;
using namespace ahat::tasks;
using rasp::Value;

namespace {

Value S(const char* s) { return Value{std::string(s)}; }
Value N(long long k) { return Value{Rational(k)}; }

Tokens letters(const std::string& s) {
    Tokens t;
    for (char c : s) t.push_back(Value{std::string(1, c)});
    return t;
}

Tokens solve(const char* task, const Tokens& in) { return find_task(task)->solve(in); }

}  // namespace

TEST_CASE("the library holds every task once, with its program and reason", "[tasks]") {
    std::vector<std::string> want = {"sort", "sort-unique", "reverse", "copy", "induction",
                                     "match", "search", "histogram", "double-histogram",
                                     "majority", "count", "dyck1", "parity"};
    std::vector<std::string> got;
    for (const Task& t : all_tasks()) got.push_back(t.name);
    CHECK(got == want);
    for (const Task& t : all_tasks()) {
        CHECK(find_task(t.name) == &t);
        CHECK(!t.program.empty());
        CHECK(!t.output.empty());
        // The copy embedded in the binary is the file in the source tree.
        CHECK(ahat::bundled("rasp/" + t.program) == ahat::read_file(std::string(AHAT_SOURCE_DIR) + "/rasp/" + t.program));
    }
    CHECK(find_task("nope") == nullptr);
    std::set<std::string> refused;
    for (const Task& t : all_tasks())
        if (!t.not_compilable.empty()) refused.insert(t.name);
    CHECK(refused == std::set<std::string>{"sort-unique", "parity"});
}

TEST_CASE("generators are deterministic, sized and within the alphabet", "[tasks]") {
    for (const Task& t : all_tasks()) {
        INFO(t.name);
        std::vector<std::string> vocab = vocabulary(t, 4096);
        std::set<std::string> alphabet(vocab.begin(), vocab.end());
        CHECK(alphabet.size() == vocab.size());
        CHECK((t.alphabet.empty() ? t.integer_range * 4096 : t.alphabet.size()) == vocab.size());
        std::size_t differing = 0;
        for (std::size_t n : testing::sizes(t, 40, {100, 4096})) {
            INFO("n = " << n);
            std::mt19937_64 a(1000 + n), b(1000 + n), c(2000 + n);
            Tokens x = t.generate(n, a);
            REQUIRE(x.size() == n);
            CHECK(x == t.generate(n, b));
            if (x != t.generate(n, c)) ++differing;
            for (const std::string& v : testing::spelled(x)) REQUIRE(alphabet.count(v) == 1);
            if (t.alphabet.empty())
                for (const Value& v : x) REQUIRE((v.is_number() && is_integer(std::get<Rational>(v.v))));
            CHECK(t.solve(x).size() == n);
        }
        CHECK(differing >= 30);  // seeds matter (tiny sizes may coincide)
    }
}

TEST_CASE("generators keep their promises", "[tasks]") {
    for (std::size_t n = 1; n <= 300; n += (n < 40 ? 1 : 37)) {
        INFO("n = " << n);
        std::mt19937_64 rng(n);
        Tokens u = find_task("sort-unique")->generate(n, rng);
        CHECK(std::set<Value, bool (*)(const Value&, const Value&)>(
                  u.begin(), u.end(),
                  [](const Value& a, const Value& b) {
                      return std::get<Rational>(a.v) < std::get<Rational>(b.v);
                  }).size() == n);
        if (n >= 2) {
            Tokens s = find_task("search")->generate(n, rng);
            CHECK(std::count(s.begin(), s.end() - 1, s.back()) == 1);
            std::vector<Value> others(s.begin(), s.end() - 1);
            for (std::size_t i = 0; i < others.size(); ++i)
                CHECK(std::count(others.begin(), others.end(), others[i]) == 1);
        }
        Tokens c = find_task("copy")->generate(n, rng);
        CHECK(std::count(c.begin(), c.end(), S("|")) == 1);
        CHECK(c[(n - 1) / 2] == S("|"));
        // Majority: a unique most frequent token.
        Tokens m = find_task("majority")->generate(n, rng);
        std::vector<long long> cnt;
        for (const char* l : {"a", "b", "c", "d"}) cnt.push_back(std::count(m.begin(), m.end(), S(l)));
        CHECK(std::count(cnt.begin(), cnt.end(), *std::max_element(cnt.begin(), cnt.end())) == 1);
    }
}

TEST_CASE("generators make interesting instances", "[tasks]") {
    std::size_t matches = 0, repeats = 0, balanced = 0, failed = 0, tied_counts = 0;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        std::mt19937_64 rng(seed);
        for (const Value& v : find_task("match")->solve(find_task("match")->generate(64, rng)))
            matches += v == Value{true};
        for (const Value& v : find_task("induction")->solve(find_task("induction")->generate(64, rng)))
            repeats += v != S("_");
        Tokens dv = find_task("dyck1")->solve(find_task("dyck1")->generate(64, rng));
        balanced += dv.back() == S("T");
        failed += dv.back() == S("F");
        for (const Value& v : find_task("double-histogram")->solve(find_task("double-histogram")->generate(256, rng)))
            tied_counts += v != N(1);
    }
    CHECK(matches >= 50 * 3);
    CHECK(repeats >= 50 * 55);
    CHECK(balanced >= 10);
    CHECK(failed >= 10);
    CHECK(tied_counts >= 50 * 64);
}

TEST_CASE("reference solvers on hand-checked instances", "[tasks]") {
    CHECK(solve("sort", letters("cabca")) == letters("aabcc"));
    CHECK(solve("sort-unique", {N(7), N(2), N(9), N(0)}) == Tokens{N(0), N(2), N(7), N(9)});
    CHECK(solve("reverse", letters("abc")) == letters("cba"));
    CHECK(solve("copy", letters("ab|___")) == letters("ab|ab|"));
    CHECK(solve("copy", letters("|")) == letters("|"));
    CHECK(solve("induction", letters("abacab")) ==
          Tokens{S("_"), S("_"), S("b"), S("_"), S("c"), S("a")});
    CHECK(solve("match", letters("ababac")) ==
          Tokens{Value{true}, Value{false}, Value{true}, Value{false}, Value{false}, Value{false}});
    CHECK(solve("search", {N(5), N(3), N(9), N(3)}) == Tokens(4, N(1)));
    CHECK(solve("histogram", letters("abaca")) == Tokens{N(3), N(1), N(3), N(1), N(3)});
    CHECK(solve("double-histogram", letters("aabbc")) == Tokens{N(2), N(2), N(2), N(2), N(1)});
    CHECK(solve("majority", letters("bcbda")) == Tokens(5, S("b")));
    CHECK(solve("majority", letters("dcdc")) == Tokens(4, S("c")));  // tie: earliest letter
    CHECK(solve("count", letters("abaca")) == Tokens(5, N(3)));
    CHECK(solve("dyck1", letters("()(()))(")) == Tokens{S("P"), S("T"), S("P"), S("P"), S("P"),
                                                          S("T"), S("F"), S("F")});
    CHECK(solve("parity", letters("1101")) == Tokens(4, N(1)));
    CHECK(solve("parity", letters("1001")) == Tokens(4, N(0)));
}
