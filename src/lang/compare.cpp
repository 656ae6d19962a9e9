#include "lang/compare.hpp"

#include <functional>

#include "lang/classes.hpp"
#include "lang/dfa_io.hpp"
#include "lang/library.hpp"
#include "lang/monoid.hpp"
#include "lang/regex.hpp"
#include "lang/synth.hpp"

namespace ahat::lang {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Recognized: return "recognized";
        case Verdict::Recognizable: return "recognizable";
        case Verdict::NotRecognizable: return "not-recognizable";
        case Verdict::Undecided: return "undecided";
    }
    return "?";
}

std::vector<Language> resolve_languages(const std::string& spec, const SourceLoc& loc) {
    if (spec == "all") return library();
    std::vector<Language> out;
    std::size_t start = 0;
    while (start <= spec.size()) {
        std::size_t end = spec.find(',', start);
        if (end == std::string::npos) end = spec.size();
        std::string item = spec.substr(start, end - start);
        SourceLoc at{loc.file, loc.line, static_cast<std::uint32_t>(loc.col + start)};
        Language l;
        l.name = item;
        if (item.rfind("re:", 0) == 0) {
            l.dfa = compile_regex(item.substr(3), "", item);
            l.source = "regex: " + item.substr(3);
        } else if (item.rfind("ltl:", 0) == 0) {
            Formula f = parse_ltl(item.substr(4), item);
            std::string alphabet = atoms_of(f);
            for (char c : std::string("ab"))
                if (alphabet.size() < 2 && alphabet.find(c) == std::string::npos) alphabet += c;
            std::sort(alphabet.begin(), alphabet.end());
            l.dfa = ltl_dfa(f, alphabet);
            l.source = "ltl: " + item.substr(4);
        } else if (item.size() > 4 && item.substr(item.size() - 4) == ".dfa") {
            l.dfa = minimize(load_dfa(item));
            l.source = "dfa: " + item;
        } else if (const Language* lib = find_language(item)) {
            l = *lib;
        } else {
            fail(at, "unknown language '{}' (a library name, re:REGEX, ltl:FORMULA, FILE.dfa or all)", item);
        }
        if (l.dfa) {
            l.alphabet = l.dfa->alphabet;
            if (!l.member) l.member = [d = *l.dfa](std::string_view w) { return d.accepts(w); };
        }
        out.push_back(std::move(l));
        start = end + 1;
    }
    return out;
}

namespace {

struct Context {
    const Language& lang;
    const Model& model;
    const CompareOptions& o;
    Cell& cell;

    // Compiles and verifies a construction; true when the encoder agrees with the DFA.
    bool recognized(const Formula& f, const std::string& method) {
        check_in_model(f, model, SourceLoc{method, 0, 0});
        CompiledLtl c = compile_ltl(f, lang.alphabet, model.rule);
        LtlVerifyOptions v;
        v.max_len = o.max_len;
        v.random_len = o.random_len;
        v.random_count = o.samples;
        v.seed = o.seed;
        LtlVerifyReport rep = verify_ltl(c, lang.alphabet, lang.member, v);
        cell.formula = to_string(f);
        cell.formula_depth = temporal_depth(f);
        cell.layers = c.layers;
        cell.heads = c.heads;
        cell.width = c.width;
        cell.verified_max_len = o.max_len;
        cell.verified_words = rep.exhaustive;
        cell.sampled_words = rep.sampled;
        cell.sampled_max_len = o.random_len;
        cell.method = method;
        if (!rep.ok()) {  // a bug in a construction: say so, never claim recognition
            cell.verdict = Verdict::Undecided;
            cell.construction_failed = true;
            cell.reason = fmt::format("the {} construction failed verification on '{}'", method, rep.first_failure);
            return false;
        }
        cell.verdict = Verdict::Recognized;
        return true;
    }

    void refuse(const std::string& method, const std::string& reason) {
        cell.verdict = Verdict::NotRecognizable;
        cell.method = method;
        cell.reason = reason;
        std::size_t len = o.witness_len, total = 1;
        for (std::size_t i = 0, p = 1; i < len; ++i) total += (p *= std::max<std::size_t>(lang.alphabet.size(), 1));
        while (len > 1 && total > 4096) total = (total - 1) / lang.alphabet.size(), --len;
        for (std::uint32_t r = o.witness_depth; r >= 1 && !cell.witness; --r)
            cell.witness = find_witness(model, lang.alphabet, lang.member, len, r);
        if (!cell.witness)
            cell.witness_note = fmt::format("no pair among words up to length {} at depth 1", len);
    }
};

}  // namespace

Cell compare_cell(const Language& lang, const Model& model, const CompareOptions& o) {
    Cell cell;
    cell.language = lang.name;
    cell.model = model.name();
    cell.logic = model.logic();
    Context cx{lang, model, o, cell};
    if (!lang.dfa) {
        cx.refuse("not regular", fmt::format("the language is not regular, so no finite automaton recognizes it; "
                                             "every {} formula defines a regular language", model.logic()));
        return cell;
    }
    const Dfa& d = *lang.dfa;
    Decision rt = decide_r_trivial(d), def = decide_definite(d);
    std::size_t degree = def.holds ? definite_degree(d).value_or(0) : 0;
    std::optional<Decision> aperiodic;
    std::string monoid_problem;
    try {
        aperiodic = decide_aperiodic(d, transition_monoid(d));
    } catch (const InputError& e) {
        monoid_problem = e.what();
    }
    auto not_aperiodic = [&] {
        if (!aperiodic || aperiodic->holds) return false;
        cx.refuse("aperiodicity", fmt::format("not aperiodic ({}); {} defines only star-free (aperiodic) languages",
                                              aperiodic->certificate.claim, model.logic()));
        return true;
    };
    auto try_hybrid1 = [&] {
        for (std::size_t s = 1; s <= 3; ++s)
            if (auto f = hybrid1_formula(d, s))
                return cx.recognized(*f, fmt::format("quotients by suffixes of length {} are R-trivial", s));
        return false;
    };
    switch (model.kind) {
        case ModelKind::Global:
            if (rt.holds) cx.recognized(*r_trivial_formula(d), "R-trivial (po-DFA paths)");
            else cx.refuse("R-trivial", fmt::format("not R-trivial ({}); LTL[P] defines exactly the R-trivial languages",
                                                    rt.certificate.claim));
            break;
        case ModelKind::Local:
            if (!def.holds) {
                cx.refuse("definite", fmt::format("not definite ({}); {} defines only definite languages",
                                                  def.certificate.claim, model.logic()));
            } else if (model.k == 1) {
                cx.recognized(definite_formula(d, degree), fmt::format("{}-definite (Y-chains)", degree));
            } else if (auto fam = rotation_family(model.k, d.alphabet, lang.member, degree)) {
                cx.refuse("window lemma",
                          fmt::format("u = {}, v = {}: |u|, |v| <= {} with the same letters, u^m in L and v^m not for "
                                      "large m; u^m and v^m agree to depth r once |u|m, |v|m >= {}r (window lemma)",
                                      fam->u, fam->v, model.k, model.k));
                std::string x, y;
                while (x.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) x += fam->u;
                while (y.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) y += fam->v;
                cell.witness = WitnessPair{x, y, agreement_depth(model, d.alphabet, x, y, 2 * o.witness_depth)};
            } else if (auto wf = window_formula(d, model.k, degree)) {
                cx.recognized(wf->formula, fmt::format("union of depth-{} window types", wf->depth));
            } else {
                cell.reason = fmt::format("definite (degree {}), no window-lemma family and not a union of window types "
                                          "of depth <= 4 (checked completely); no decision beyond",
                                          degree);
            }
            break;
        case ModelKind::Hybrid:
            if (rt.holds && cx.recognized(*r_trivial_formula(d), "R-trivial (po-DFA paths)")) break;
            if (model.k == 1 && def.holds && cx.recognized(definite_formula(d, degree), "definite (Y-chains)")) break;
            if (model.k == 1 && try_hybrid1()) break;
            if (model.k > 1 && def.holds)
                if (auto wf = window_formula(d, model.k, degree))
                    if (cx.recognized(wf->formula, fmt::format("union of depth-{} window types", wf->depth))) break;
            if (not_aperiodic()) break;
            cell.reason = model.k == 1
                              ? "aperiodic, but neither R-trivial, definite, nor R-trivial on suffix quotients (lengths <= 3); "
                                "no decision procedure for LTL[P,Y] here"
                              : fmt::format("aperiodic, not R-trivial, no window formula; no decision procedure for {} here",
                                            model.logic());
            if (!monoid_problem.empty()) cell.reason = "monoid not built: " + monoid_problem;
            break;
        case ModelKind::Rightmost:
            if (not_aperiodic()) break;
            if (rt.holds && cx.recognized(*r_trivial_formula(d), "R-trivial (P = true S x)")) break;
            if (def.holds && cx.recognized(definite_formula(d, degree), "definite (Y-chains)")) break;
            if (try_hybrid1()) break;
            if (aperiodic) {
                cell.verdict = Verdict::Recognizable;
                cell.method = "aperiodic = star-free = LTL[Y,S] (Yang, Chiang & Angluin 2024)";
                cell.reason = "recognizable (" + aperiodic->certificate.claim + "); recognizer not constructed";
            } else {
                cell.reason = "monoid not built: " + monoid_problem;
            }
            break;
    }
    return cell;
}

}  // namespace ahat::lang
