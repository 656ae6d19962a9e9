// The registry of tasks and the helpers shared by their definitions.
#include "tasks/tasks.hpp"

#include <algorithm>
#include <numeric>

#include "rasp/reader.hpp"
#include "support/resources.hpp"
#include "tasks/builders.hpp"

namespace ahat::tasks {
namespace detail {

Tokens symbols(const std::vector<std::string>& alphabet, const std::vector<double>& weights,
               std::size_t n, std::mt19937_64& rng) {
    std::vector<double> w = weights;
    if (w.empty()) w.assign(alphabet.size(), 1.0);
    std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
    Tokens out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(str(alphabet[pick(rng)]));
    return out;
}

Task task(std::string name, const std::string& stem, std::vector<std::string> alphabet,
          std::string description) {
    Task t;
    t.name = std::move(name);
    t.description = std::move(description);
    t.program = stem + ".rasp";
    t.output = stem;
    t.alphabet = std::move(alphabet);
    return t;
}

std::vector<std::string> letters(std::size_t k) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < k; ++i) out.push_back(std::string(1, static_cast<char>('a' + i)));
    return out;
}

std::function<Tokens(std::size_t, std::mt19937_64&)> uniform(std::vector<std::string> alphabet) {
    return [alphabet = std::move(alphabet)](std::size_t n, std::mt19937_64& rng) {
        return symbols(alphabet, {}, n, rng);
    };
}

std::vector<long long> distinct_ints(std::size_t n, std::size_t range, std::mt19937_64& rng) {
    std::vector<long long> pool(range);
    std::iota(pool.begin(), pool.end(), 0LL);
    // Partial Fisher-Yates: the first n entries become a uniform random n-subset, in order.
    for (std::size_t i = 0; i < n; ++i) std::swap(pool[i], pool[i + draw(rng, range - i)]);
    pool.resize(n);
    return pool;
}

const std::string& text(const rasp::Value& v) {
    if (!v.is_string()) fail({}, "task: expected a string token");
    return std::get<std::string>(v.v);
}

long long integer(const rasp::Value& v) {
    std::int64_t k = 0;
    if (!v.is_number() || !small_int(std::get<Rational>(v.v), &k))
        fail({}, "task: expected an integer token");
    return k;
}

}  // namespace detail

const std::vector<Task>& all_tasks() {
    static const std::vector<Task> tasks = [] {
        std::vector<Task> all = detail::sequence_tasks();
        for (Task& t : detail::counting_tasks()) all.push_back(std::move(t));
        return all;
    }();
    return tasks;
}

const Task* find_task(std::string_view name) {
    for (const Task& t : all_tasks())
        if (t.name == name) return &t;
    return nullptr;
}

rasp::Program load_program(const Task& t, const std::string& root) {
    const std::string path = "rasp/" + t.program;
    return rasp::read_rasp(bundled(path, root), bundled_name(path, root));
}

}  // namespace ahat::tasks

namespace ahat::tasks {

std::vector<std::string> vocabulary(const Task& t, std::size_t max_n) {
    if (!t.alphabet.empty()) return t.alphabet;
    std::vector<std::string> out;
    for (std::size_t k = 0; k < t.integer_range * max_n; ++k) out.push_back(std::to_string(k));
    return out;
}

}  // namespace ahat::tasks
