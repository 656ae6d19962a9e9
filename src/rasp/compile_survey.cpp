// The compiler's survey of a program (compile.hpp): compile every named SOp, then run each
// encoder exactly beside the reference evaluator on a set of words.
#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "rasp/eval.hpp"

namespace ahat::rasp {

std::vector<std::vector<std::string>> survey_words(const std::vector<std::string>& alphabet, std::size_t all_up_to,
                                                   std::size_t random_count, std::size_t random_max_len,
                                                   std::uint32_t seed) {
    std::vector<std::vector<std::string>> out{{}};
    for (std::size_t start = 0, len = 1; len <= all_up_to && !alphabet.empty(); ++len) {
        const std::size_t end = out.size();
        for (std::size_t w = start; w < end; ++w)
            for (const std::string& s : alphabet) {
                out.push_back(out[w]);
                out.back().push_back(s);
            }
        start = end;
    }
    std::mt19937 rng(seed);
    for (std::size_t t = 0; t < random_count && !alphabet.empty(); ++t) {
        std::vector<std::string> w(rng() % (random_max_len + 1));
        for (std::string& s : w) s = alphabet[rng() % alphabet.size()];
        out.push_back(std::move(w));
    }
    return out;
}

namespace {

// One word's part of a survey: whether the evaluator accepted it, the runs made, and the
// disagreements found (in the order of the compiled SOps).
struct WordOutcome {
    bool accepted = false;
    std::size_t checked = 0;
    std::vector<std::string> disagreements;
};

// f(k) for k in [0, count) on `threads` OpenMP threads (dynamically scheduled); an exception
// escaping f(k) is kept and the lowest k's is rethrown once all have finished.
template <class F>
void parallel_each(std::size_t count, int threads, const F& f) {
    std::vector<std::exception_ptr> errors(count);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
    for (std::size_t k = 0; k < count; ++k) {
        try {
            f(k);
        } catch (...) {
            errors[k] = std::current_exception();
        }
    }
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace

Survey survey(const Program& prog, const std::vector<std::string>& alphabet,
              const std::vector<std::vector<std::string>>& words, const SurveyOptions& opts) {
    Survey s;
    const int threads = exact_threads(opts.threads);
    struct Entry {
        std::string name;
        std::uint32_t id;
        std::optional<Compiled> c;                   // empty: refused
        std::string refusal;                         // why, located
        std::optional<ahat::Program<Rational>> run;  // points into c->encoder
    };
    std::vector<std::unique_ptr<Entry>> entries;  // every distinct SOp, in assignment order
    std::map<std::uint32_t, Entry*> by_id;
    for (const Named& nm : prog.named) {  // every assignment, in order; each SOp compiled once
        if (nm.ref.kind != Ref::Kind::Sop || by_id.count(nm.ref.id)) continue;
        entries.push_back(std::make_unique<Entry>(Entry{nm.name, nm.ref.id, {}, {}, {}}));
        by_id.emplace(nm.ref.id, entries.back().get());
    }
    parallel_each(entries.size(), threads, [&](std::size_t k) {
        Entry& e = *entries[k];
        try {
            e.c.emplace(compile(prog, CompileOptions{e.name, alphabet, e.id}));
            e.run.emplace(e.c->encoder);
        } catch (const InputError& err) {
            e.c.reset();
            e.refusal = err.located();
        }
    });
    std::vector<const Entry*> compiled;
    for (const auto& e : entries)
        if (e->c) compiled.push_back(e.get());
    for (const Named& nm : prog.named) {
        if (nm.ref.kind != Ref::Kind::Sop) continue;
        ++s.assignments;
        s.assignments_compiled += by_id.at(nm.ref.id)->c.has_value();
    }
    // opts.joint: every compiled SOp in one encoder (proofs/rasp-compile.md, "The joint encoder")
    struct JointRun {
        Joint j;
        std::optional<ahat::Program<Rational>> run;  // points into j.encoder
    };
    std::unique_ptr<JointRun> joint;
    if (opts.joint && !compiled.empty()) {
        std::vector<std::uint32_t> ids;
        for (const Entry* e : compiled) ids.push_back(e->id);
        joint = std::make_unique<JointRun>(JointRun{compile_joint(prog, alphabet, ids), {}});
        joint->run.emplace(joint->j.encoder);
        s.joint_layers = joint->j.encoder.layers.size();
        for (const Layer& l : joint->j.encoder.layers) s.joint_heads += l.heads.size();
        s.joint_width = joint->j.encoder.d;
    }
    std::vector<std::string> seen;
    for (std::size_t k = prog.named.size(); k-- > 0;) {  // by name: each name's last assignment
        const Named& nm = prog.named[k];
        if (nm.ref.kind != Ref::Kind::Sop || std::find(seen.begin(), seen.end(), nm.name) != seen.end()) continue;
        seen.push_back(nm.name);
        ++s.sops;
        const Entry& e = *by_id.at(nm.ref.id);
        if (e.c) ++s.compiled;
        else s.refused.emplace_back(nm.name, e.refusal);
    }
    auto check_word = [&](const std::vector<std::string>& w, WordOutcome& out) {
        std::string text;
        for (const std::string& t : w) text += (prog.tokens == Program::TokenKind::Integer && !text.empty() ? " " : "") + t;
        Evaluation ev;
        try {
            ev = evaluate(prog, parse_tokens(prog, text));
        } catch (const InputError&) {
            return;  // the reference raises on this word: nothing to compare
        }
        out.accepted = true;
        thread_local Matrix<Rational> state;  // one input buffer a thread, reused by every run
        std::optional<RunResult<Rational>> joint_run;  // joint: the one run of the word
        std::string joint_error;
        if (joint) {
            try {
                embed_into(joint->j.encoder, w, state);
                joint_run.emplace(joint->run->run(std::move(state)));
            } catch (const InputError& err) {
                joint_error = err.what();
            }
        }
        for (std::size_t k = 0; k < compiled.size(); ++k) {
            const Entry* e = compiled[k];
            std::vector<Value> got;
            try {
                if (!joint) {
                    embed_into(e->c->encoder, w, state);
                    RunResult<Rational> r = e->run->run(std::move(state));
                    state = std::move(r.state);
                    got = decode(*e->c, r.outputs);
                } else {
                    if (!joint_run) throw InputError({}, joint_error);
                    const std::vector<std::uint32_t>& cols = joint->j.coordinates[k];
                    const Matrix<Rational>& x = joint_run->state;
                    Matrix<Rational> outputs(x.rows, cols.size());
                    for (std::size_t i = 0; i < x.rows; ++i)
                        for (std::size_t c = 0; c < cols.size(); ++c) outputs.at(i, c) = x.at(i, cols[c]);
                    got = decode(joint->j.sops[k], outputs);
                }
            } catch (const InputError& err) {
                out.disagreements.push_back(fmt::format("{} on \"{}\": {}", e->name, text, err.what()));
                continue;
            }
            ++out.checked;
            if (got != ev.sops[e->id])
                out.disagreements.push_back(fmt::format("{} on \"{}\": the encoder gives [{}], the evaluator [{}]", e->name,
                                                        text, format_sequence(got), format_sequence(ev.sops[e->id])));
        }
        if (joint_run) state = std::move(joint_run->state);
    };
    // Words in chunks (at most kChunks of them, for progress reports), each chunk's words shared
    // out among the threads; outcomes are merged in word order, so the survey does not depend
    // on the number of threads.
    constexpr std::size_t kChunks = 50;
    const std::size_t chunk = std::max<std::size_t>(64, (words.size() + kChunks - 1) / kChunks);
    std::vector<WordOutcome> outcomes;
    const std::size_t chunks = (words.size() + chunk - 1) / chunk;
    for (std::size_t w0 = 0; w0 < words.size(); w0 += chunk) {
        const std::size_t w1 = std::min(words.size(), w0 + chunk);
        if (opts.on_chunk) opts.on_chunk(w0 / chunk, chunks, w0, w1);
        outcomes.assign(w1 - w0, WordOutcome{});
        parallel_each(w1 - w0, threads, [&](std::size_t k) { check_word(words[w0 + k], outcomes[k]); });
        for (WordOutcome& o : outcomes) {
            s.words += o.accepted;
            s.checked += o.checked;
            for (std::string& d : o.disagreements) s.disagreements.push_back(std::move(d));
        }
    }
    return s;
}

}  // namespace ahat::rasp
