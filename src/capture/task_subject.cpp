#include "capture/subjects.hpp"

#include <memory>

#include "rasp/eval.hpp"
#include "rasp/reader.hpp"
#include "tasks/tasks.hpp"

namespace ahat::capture {

std::vector<std::string> task_names() {
    std::vector<std::string> out;
    for (const auto& t : tasks::all_tasks()) out.push_back(t.name);
    return out;
}

Subject task_subject(const std::string& name, std::size_t max_n) {
    const tasks::Task* t = tasks::find_task(name);
    if (!t) {
        std::string known;
        for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
        fail(SourceLoc{name, 0, 0}, "unknown task '{}' (tasks: {}; or give a .rasp file)", name, known);
    }
    auto prog = std::make_shared<const rasp::Program>(tasks::load_program(*t));
    const std::uint32_t id = named_sop(*prog, t->output, prog->file);
    Subject s;
    s.name = t->name;
    s.not_compilable = t->not_compilable;
    s.reference_check = [t, prog, id](std::size_t n, std::mt19937_64& rng) {
        if (n < t->min_size) fail(SourceLoc{"--sizes", 0, 0}, "task '{}' has instances from n = {} on", t->name, t->min_size);
        const tasks::Tokens tokens = t->generate(n, rng);
        return rasp::evaluate(*prog, tokens).sops[id] == t->solve(tokens);
    };
    // Integer tokens: the vocabulary [0, integer_range * max_n) is fixed for the whole sweep.
    const std::vector<std::string> vocabulary = tasks::vocabulary(*t, max_n);
    s.compile = [t, prog, vocabulary] { return compiled_model(prog, rasp::CompileOptions{t->output, vocabulary}); };
    s.sample = [t](std::size_t n, std::mt19937_64& rng) {
        if (n < t->min_size) fail(SourceLoc{"--sizes", 0, 0}, "task '{}' has instances from n = {} on", t->name, t->min_size);
        const tasks::Tokens tokens = t->generate(n, rng);
        return Sample{texts(tokens, true), texts(t->solve(tokens), false)};
    };
    return s;
}

}  // namespace ahat::capture
