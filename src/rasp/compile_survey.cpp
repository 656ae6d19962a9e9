// The compiler's survey of a program (compile.hpp): compile every named SOp, then run each
// encoder exactly beside the reference evaluator on a set of words.
#include <algorithm>
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

Survey survey(const Program& prog, const std::vector<std::string>& alphabet,
              const std::vector<std::vector<std::string>>& words) {
    Survey s;
    struct Entry {
        std::string name;
        std::uint32_t id;
        Compiled c;
        std::optional<ahat::Program<Rational>> run;  // points into c.encoder
    };
    std::vector<std::unique_ptr<Entry>> compiled;
    std::map<std::uint32_t, std::string> refusals;  // SOp node -> why it does not compile
    std::map<std::uint32_t, bool> compiles;  // SOp node -> whether it compiled
    for (const Named& nm : prog.named) {     // every assignment, in order; each SOp compiled once
        if (nm.ref.kind != Ref::Kind::Sop) continue;
        ++s.assignments;
        auto [at, fresh] = compiles.emplace(nm.ref.id, false);
        if (fresh) {
            try {
                compiled.push_back(std::make_unique<Entry>(
                    Entry{nm.name, nm.ref.id, compile(prog, CompileOptions{nm.name, alphabet, nm.ref.id}), {}}));
                compiled.back()->run.emplace(compiled.back()->c.encoder);
                at->second = true;
            } catch (const InputError& e) {
                refusals.emplace(nm.ref.id, e.located());
            }
        }
        s.assignments_compiled += at->second;
    }
    std::vector<std::string> seen;
    for (std::size_t k = prog.named.size(); k-- > 0;) {  // by name: each name's last assignment
        const Named& nm = prog.named[k];
        if (nm.ref.kind != Ref::Kind::Sop || std::find(seen.begin(), seen.end(), nm.name) != seen.end()) continue;
        seen.push_back(nm.name);
        ++s.sops;
        if (compiles.at(nm.ref.id)) ++s.compiled;
        else s.refused.emplace_back(nm.name, refusals.at(nm.ref.id));
    }
    for (const auto& w : words) {
        std::string text;
        for (const std::string& t : w) text += (prog.tokens == Program::TokenKind::Integer && !text.empty() ? " " : "") + t;
        Evaluation ev;
        try {
            ev = evaluate(prog, parse_tokens(prog, text));
        } catch (const InputError&) {
            continue;  // the reference raises on this word: nothing to compare
        }
        ++s.words;
        for (auto& e : compiled) {
            std::vector<Value> got;
            try {
                got = decode(e->c, e->run->run(embed(e->c.encoder, w)).outputs);
            } catch (const InputError& err) {
                s.disagreements.push_back(fmt::format("{} on \"{}\": {}", e->name, text, err.what()));
                continue;
            }
            ++s.checked;
            if (got != ev.sops[e->id])
                s.disagreements.push_back(fmt::format("{} on \"{}\": the encoder gives [{}], the evaluator [{}]", e->name,
                                                      text, format_sequence(got), format_sequence(ev.sops[e->id])));
        }
    }
    return s;
}

}  // namespace ahat::rasp
