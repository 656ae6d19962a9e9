#include "demo/checks.hpp"

#include <random>

#include <fmt/format.h>

#include "capture/subjects.hpp"
#include "capture/sweep.hpp"
#include "encoder/interpreter.hpp"
#include "lang/compare.hpp"
#include "lang/library.hpp"
#include "rasp/compile.hpp"
#include "rasp/reader.hpp"
#include "tasks/tasks.hpp"

namespace ahat::demo {

void record(DemoCheck& check, bool ok, const std::string& what) {
    ++check.instances;
    if (!ok && check.failures++ == 0) check.detail = "first failure: " + what;
}

DemoCheck rasp_tasks_check(const std::string& root) {
    DemoCheck c{"task library: each RASP program compiled, run exactly, decoded = the C++ solver (n = 1..16, 32)",
                "ahat capture TASK --sizes 8..2048*2", 0, 0, ""};
    std::size_t compiled = 0, refused = 0;
    for (const auto& t : tasks::all_tasks()) {
        const rasp::Program prog = tasks::load_program(t, root);
        rasp::CompileOptions co{t.output, tasks::vocabulary(t, 32)};
        bool refused_here = false;
        rasp::Compiled comp;
        try {
            comp = rasp::compile(prog, co);
        } catch (const InputError&) {
            refused_here = true;
        }
        record(c, refused_here == !t.not_compilable.empty(),
               fmt::format("{}: the compiler {} but the library says it {}", t.name, refused_here ? "refused" : "compiled",
                           t.not_compilable.empty() ? "compiles" : "does not"));
        if (refused_here) {
            ++refused;
            continue;
        }
        ++compiled;
        const Program<Rational> run(comp.encoder);
        std::mt19937_64 rng(1);
        std::vector<std::size_t> sizes{32};
        for (std::size_t n = std::max<std::size_t>(t.min_size, 1); n <= 16; ++n) sizes.push_back(n);
        for (std::size_t n : sizes) {
            const tasks::Tokens tokens = t.generate(n, rng);
            std::vector<std::string> text;
            for (const auto& v : tokens) text.push_back(capture::token_text(v));
            std::vector<rasp::Value> got;
            try {
                got = rasp::decode(comp, run.run(embed(comp.encoder, text)).outputs);
            } catch (const InputError& e) {
                record(c, false, fmt::format("{} at n = {}: {}", t.name, n, e.what()));
                continue;
            }
            record(c, got == t.solve(tokens), fmt::format("{} at n = {}", t.name, n));
        }
    }
    if (c.failures == 0)
        c.detail = fmt::format("{} tasks compiled and exact on every instance; {} refused with a reason "
                               "(sort-unique, parity: docs/tasks.md)", compiled, refused);
    return c;
}

DemoCheck capture_check() {
    DemoCheck c{"capture of histogram, n = 8..128: exact 100%, identical weights, float/bfloat16 breaks reported",
                "ahat capture histogram --sizes 8..128*2 --samples 2 --precision exact,float,bfloat16", 0, 0, ""};
    capture::SweepOptions o;
    o.sizes = capture::parse_sizes("8..128*2");
    o.samples = 2;
    o.formats = {capture::Format::Exact, capture::Format::Float, capture::Format::BFloat16};
    capture::SweepResult r = capture::sweep(capture::task_subject("histogram", 128), o);
    capture::fit_and_predict(r);
    for (const auto& s : r.sizes) {
        const auto& exact = s.formats.front();
        record(c, exact.correct == exact.samples && s.hash_matches,
               fmt::format("n = {}: exact {}/{}, weights hash {}", s.n, exact.correct, exact.samples, s.weights_hash));
    }
    if (c.failures == 0) {
        std::string breaks;
        for (const auto& p : r.predictions)
            breaks += fmt::format("; {}: observed {}", capture::format_name(p.format),
                                  p.observed_n ? fmt::format("n = {}", *p.observed_n) : std::string("none up to 128"));
        c.detail = fmt::format("weights hash {} at every size{}", r.sizes.front().weights_hash, breaks);
    }
    return c;
}

DemoCheck lang_check() {
    DemoCheck c{"local vs global attention at fixed precision: Σ*a needs a 1-token window, aΣ* needs global, aΣ*b "
                "needs both; with exact averaging one global encoder reads position n-1 and counts",
                "ahat lang compare ends-a,starts-a,starts-a-ends-b,majority --models global,global-exact,local-1,local-2,hybrid-1",
                0, 0, ""};
    struct Expect {
        const char* language;
        const char* model;
        lang::Verdict verdict;
    };
    const Expect expects[] = {
        {"ends-a", "local-1", lang::Verdict::Recognized},          {"ends-a", "local-2", lang::Verdict::NotRecognizable},
        {"ends-a", "global", lang::Verdict::NotRecognizable},      {"starts-a", "global", lang::Verdict::Recognized},
        {"starts-a", "local-1", lang::Verdict::NotRecognizable},   {"starts-a-ends-b", "hybrid-1", lang::Verdict::Recognized},
        {"starts-a-ends-b", "global", lang::Verdict::NotRecognizable},
        {"starts-a-ends-b", "local-1", lang::Verdict::NotRecognizable},
        {"ends-a", "global-exact", lang::Verdict::Recognized},      {"majority", "global-exact", lang::Verdict::Recognized},
    };
    lang::CompareOptions o;
    for (const auto& e : expects) {
        const lang::Model m = lang::parse_model(e.model, SourceLoc{"demo", 0, 0});
        const lang::Cell cell = lang::compare_cell(*lang::find_language(e.language), m, o);
        record(c, cell.verdict == e.verdict && !cell.construction_failed,
               fmt::format("{} / {}: {} ({}), expected {}", e.language, e.model, lang::verdict_name(cell.verdict), cell.reason,
                           lang::verdict_name(e.verdict)));
    }
    if (c.failures == 0)
        c.detail = fmt::format("{} cells as the theory says, recognizers verified on every word up to length {}",
                               c.instances, o.max_len);
    return c;
}

}  // namespace ahat::demo
