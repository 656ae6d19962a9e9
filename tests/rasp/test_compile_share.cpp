// Sharing (proofs/rasp-compile.md, "Sharing common subexpressions") and the joint encoder of
// compile_joint: a program that builds the same selector, aggregate or map twice compiles to
// the heads and gates of one, and every SOp read from one joint encoder equals the evaluator.
#include <catch2/catch.hpp>

#include "encoder/interpreter.hpp"
#include "rasp/compile.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

std::size_t heads(const Encoder& e) {
    std::size_t h = 0;
    for (const Layer& l : e.layers) h += l.heads.size();
    return h;
}

// The SOps ids of `p` read from one run of the joint encoder on every word up to length
// `up_to`, against the evaluator; returns the number of (SOp, word) pairs compared.
std::size_t check_joint(const rasp::Program& p, const std::vector<std::string>& alphabet,
                        const std::vector<std::uint32_t>& ids, std::size_t up_to) {
    const Joint j = compile_joint(p, alphabet, ids);
    REQUIRE(j.sops.size() == ids.size());
    ahat::Program<Rational> run(j.encoder);
    std::size_t compared = 0;
    for (const auto& w : survey_words(alphabet, up_to, 0, 0, 1)) {
        std::string text;
        for (const auto& s : w) text += s;
        const Evaluation ev = evaluate(p, parse_tokens(p, text));
        const RunResult<Rational> r = run.run(embed(j.encoder, w));
        for (std::size_t k = 0; k < ids.size(); ++k) {
            Matrix<Rational> out(r.state.rows, j.coordinates[k].size());
            for (std::size_t i = 0; i < out.rows; ++i)
                for (std::size_t c = 0; c < out.cols; ++c) out.at(i, c) = r.state.at(i, j.coordinates[k][c]);
            INFO("s-op " << ids[k] << " on \"" << text << "\"");
            CHECK(decode(j.sops[k], out) == ev.sops[ids[k]]);
            ++compared;
        }
    }
    return compared;
}

}  // namespace

TEST_CASE("sharing: aggregates over one selector share its heads, equal heads of different SOps are one", "[rasp-share]") {
    // The reader makes one node of equal expressions, but different SOps still build equal
    // heads: two aggregates over one selector need the same scores.
    const std::string text =
        "same = select(tokens, tokens, ==);\n"
        "x = aggregate(same, indices);\n"
        "y = aggregate(same, indices * 2);\n"
        "both = x + y;\n"
        "h = selector_width(select(tokens, tokens, ==));\n"
        "e = selector_width(select(tokens, tokens, ==) and select(indices, indices, <));\n"
        "he = h + e;\n";
    const std::vector<std::string> alphabet{"a", "b", "c"};
    const rasp::Program p = read_rasp(text, "t.rasp");
    auto encoder = [&](const char* name) { return compile(p, CompileOptions{name, alphabet, {}}).encoder; };
    const Encoder x = encoder("x"), y = encoder("y"), both = encoder("both");
    CHECK(heads(x) == heads(y));
    CHECK(heads(both) == heads(x));
    CHECK(both.layers.size() == x.layers.size());
    const Encoder h = encoder("h"), e = encoder("e"), he = encoder("he");
    CHECK(heads(he) == heads(h) + heads(e));  // nothing to share between them: different scores
    const Survey s = survey(p, alphabet, survey_words(alphabet, 5, 40, 30, 3));
    for (const std::string& d : s.disagreements) FAIL_CHECK(d);
    CHECK(s.compiled == s.sops);
    CHECK(s.checked == 6 * s.words);  // the six SOps (same is a selector)
}

TEST_CASE("compile_joint: every s-op read from one encoder equals the evaluator, survey --joint equals per-s-op",
          "[rasp-share][threads]") {
    const std::string text =
        "same = select(tokens, tokens, ==);\n"
        "hist = selector_width(same);\n"
        "earlier = selector_width(same and select(indices, indices, <));\n"
        "before = aggregate(select(indices, indices, <), indices * 2);\n"
        "next = aggregate(select(indices + 1, indices, ==), tokens, \"-\");\n"
        "twice = hist + earlier;\n"
        "mean_either = aggregate(same or select(indices, indices, <), indices);\n";
    const rasp::Program p = read_rasp(text, "t.rasp");
    const std::vector<std::string> alphabet{"a", "b", "c"};
    std::vector<std::uint32_t> ids;
    for (const Named& nm : p.named)
        if (nm.ref.kind == Ref::Kind::Sop && nm.name != "mean_either") ids.push_back(nm.ref.id);
    REQUIRE(ids.size() == 5);
    CHECK(check_joint(p, alphabet, ids, 5) == 5 * 364);
    // the joint encoder has no more heads than the SOps' own encoders together, and fewer
    // (they share `same`)
    const Joint j = compile_joint(p, alphabet, ids);
    std::size_t alone = 0;
    for (std::uint32_t id : ids) alone += heads(compile(p, CompileOptions{"", alphabet, id}).encoder);
    CHECK(heads(j.encoder) < alone);
    // a refused SOp stays refused alone and is left out of the joint survey
    auto words = survey_words(alphabet, 4, 100, 30, 9);
    words[17].push_back("z");  // a symbol outside the alphabet: every compiled s-op disagrees
    SurveyOptions per, joint1, joint3;
    per.threads = 2;
    joint1.threads = 1, joint1.joint = true;
    joint3.threads = 3, joint3.joint = true;
    const Survey a = survey(p, alphabet, words, per), b = survey(p, alphabet, words, joint1),
                 c = survey(p, alphabet, words, joint3);
    CHECK(a.sops == 6);
    CHECK(a.compiled == 5);
    REQUIRE(a.refused.size() == 1);
    CHECK(a.disagreements.size() == 5);
    CHECK(a.joint_heads == 0);
    CHECK(b.joint_heads > 0);
    CHECK(b.joint_layers > 0);
    for (const Survey* x : {&b, &c}) {
        CHECK(x->sops == a.sops);
        CHECK(x->compiled == a.compiled);
        CHECK(x->assignments == a.assignments);
        CHECK(x->words == a.words);
        CHECK(x->checked == a.checked);
        CHECK(x->refused == a.refused);
        CHECK(x->disagreements == a.disagreements);
        CHECK(x->joint_width == b.joint_width);
    }
}
