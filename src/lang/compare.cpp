#include "lang/compare.hpp"

#include <functional>

#include "lang/classes.hpp"
#include "lang/dfa_io.hpp"
#include "lang/generate.hpp"
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

std::vector<Language> resolve_languages(const std::string& spec, const SourceLoc& loc, std::size_t max_states) {
    if (spec == "all") return library();
    std::vector<Language> out;
    std::size_t start = 0;
    while (start <= spec.size()) {
        std::size_t end = start;  // the next comma outside {m,n}, [...] and escapes
        for (int depth = 0; end < spec.size() && (spec[end] != ',' || depth > 0); ++end) {
            if (spec[end] == '\\' && end + 1 < spec.size()) ++end;
            else if (spec[end] == '{' || spec[end] == '[') ++depth;
            else if ((spec[end] == '}' || spec[end] == ']') && depth > 0) --depth;
        }
        std::string item = spec.substr(start, end - start);
        SourceLoc at{loc.file, loc.line, static_cast<std::uint32_t>(loc.col + start)};
        Language l;
        l.name = item;
        if (item.rfind("re:", 0) == 0) {
            // errors name the item, shortened: the regex itself may be long
            const std::string label = item.size() <= 40 ? item : item.substr(0, 37) + "...";
            l.dfa = compile_regex(item.substr(3), "", label, max_states);
            l.source = "regex: " + item.substr(3);
        } else if (item.rfind("ltl:", 0) == 0) {
            Formula f = parse_ltl(item.substr(4), item.size() <= 40 ? item : item.substr(0, 37) + "...");
            std::string alphabet = atoms_of(f);
            for (char c : std::string("ab"))
                if (alphabet.size() < 2 && alphabet.find(c) == std::string::npos) alphabet += c;
            std::sort(alphabet.begin(), alphabet.end());
            if (has_counts(f)) {
                l.alphabet = alphabet;
                l.member = [f](std::string_view w) { return accepts(f, w); };
            } else {
                l.dfa = ltl_dfa(f, alphabet, max_states);
            }
            l.source = "ltl: " + item.substr(4);
        } else if (item.size() > 4 && item.substr(item.size() - 4) == ".dfa") {
            l.dfa = minimize(load_dfa(item, max_states));
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

constexpr std::size_t kShort = 80;  // longer formulas are replaced by a search by size when one is found
constexpr std::size_t kMaxNodes = 3000;  // larger formulas are not compiled (the cell stays undecided)

struct Context {
    const Language& lang;
    const Model& model;
    const CompareOptions& o;
    Cell& cell;

    // Compiles and verifies a construction; true when the encoder agrees with the DFA.
    bool recognized(const Formula& given, const std::string& given_method) {
        Formula f = given;
        std::string method = given_method;
        if (lang.dfa && to_string(f).size() > kShort) {  // near-minimal formulas: search by size
            bool past = model.kind != ModelKind::Local;
            std::uint32_t window = model.kind == ModelKind::Local || model.kind == ModelKind::Hybrid ? model.k
                                   : model.kind == ModelKind::Rightmost || (model.exact && model.rule == Rule::AverageHard)
                                       ? 1
                                       : 0;
            if (auto small = smallest_formula(*lang.dfa, past, window, 9)) {
                f = std::move(*small);
                method += ", then the smallest equivalent formula by size";
            }
        }
        check_in_model(f, model, SourceLoc{method, 0, 0});
        if (f.size() > kMaxNodes) {  // compiling and running it exactly would take minutes
            cell.reason = fmt::format("the {} construction gives a formula of {} nodes; not compiled (limit {})", method,
                                      f.size(), kMaxNodes);
            return false;
        }
        CompiledLtl c = compile_in_model(f, lang.alphabet, model);
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
        cell.encoder = std::move(c.enc);
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

// The hybrid-k family (k >= 2): u with |u| <= k, proper prefixes p != q of u, u^R p in L and
// u^R q not, checked at R = states + 1 and states + 2 (L aperiodic: membership of u^R p is
// fixed from R = states on). docs/languages.md proves that u^R p and u^R q agree on every
// LTL[P,Y<=k] formula of depth d when R|u| >= kd, so no formula of any depth defines L.
struct PrefixFamily {
    std::string u, p, q;  // u^R p in L, u^R q not
};

std::optional<PrefixFamily> prefix_family(const Dfa& d, std::uint32_t k) {
    if (k < 2) return std::nullopt;
    std::size_t big = d.states() + 1;
    auto power = [](const std::string& u, std::size_t r, const std::string& tail) {
        std::string w;
        for (std::size_t i = 0; i < r; ++i) w += u;
        return w + tail;
    };
    for (const auto& u : all_words(d.alphabet, std::min<std::uint32_t>(k, 4))) {
        if (u.empty()) continue;
        for (std::size_t i = 0; i < u.size(); ++i)
            for (std::size_t j = 0; j < u.size(); ++j) {
                std::string p = u.substr(0, i), q = u.substr(0, j);
                bool stable = true;
                for (std::size_t r = big; r <= big + 1; ++r)
                    stable = stable && d.accepts(power(u, r, p)) && !d.accepts(power(u, r, q));
                if (stable) return PrefixFamily{u, p, q};
            }
    }
    return std::nullopt;
}

}  // namespace

Cell compare_cell(const Language& lang, const Model& model, const CompareOptions& o) {
    Cell cell;
    cell.language = lang.name;
    cell.model = model.name();
    cell.logic = model.logic();
    cell.precision = model.exact ? "exact" : "fixed";
    Context cx{lang, model, o, cell};
    auto counting = [&] {
        auto f = counting_formula(lang.alphabet, lang.member, 8);
        if (!f) return false;
        // found on the words up to length 8: a candidate, not a claim, until longer words agree
        for (const auto& w : sample_words(lang.alphabet, o.random_len, 4 * o.samples, o.seed + 1))
            if (accepts(*f, w) != lang.member(w)) {
                cell.reason = fmt::format("the counting formula {} (agreeing up to length 8) differs on '{}'", to_string(*f), w);
                return false;
            }
        return cx.recognized(*f, "counting formula (search over [sum c #x REL 0], H[...], !P(x & P y))");
    };
    if (lang.source.rfind("ltl: ", 0) == 0) {  // a formula of the model's logic decides its own cell
        Formula f = parse_ltl(lang.source.substr(5), lang.name);
        bool inside = true;
        for (const auto& n : f.nodes) inside = inside && model.allows(n, f);
        if (inside && cx.recognized(f, "the formula itself")) return cell;
    }
    if (!lang.dfa && !lang.nonregular) {
        cell.reason = "no automaton (a formula with counts) and no construction in this model; regularity not decided";
        return cell;
    }
    if (!lang.dfa) {
        if (!model.exact) {
            cx.refuse("not regular", fmt::format("not definable in {} (= not recognizable at fixed precision): the language "
                                                 "is not regular and every {} formula defines a regular language",
                                                 model.logic(), model.logic()));
        } else if (model.kind == ModelKind::Local) {
            cx.refuse("locality", fmt::format("not recognizable by {}: with window-{} heads only, the value at $ after "
                                              "L layers depends on the last {}L letters (and on |w| when shorter), so only "
                                              "definite languages, which are regular",
                                              model.name(), model.k, model.k));
        } else if (!counting()) {
            cell.reason = "no counting formula found among those searched; no argument for exact arithmetic";
        }
        return cell;
    }
    const Dfa& d = *lang.dfa;
    {  // finitely many members or non-members: the exact words, with Y or with P
        Formula none;
        bool has_y = model.allows(LtlNode{LtlOp::Y, 0, 1, 0, 0}, none);
        bool has_p = model.allows(LtlNode{LtlOp::P, 0, 0, 0, 0}, none);
        bool has_window = model.k >= 2 && model.allows(LtlNode{LtlOp::YWithin, 0, model.k, 0, 0}, none);
        if (has_y || has_p || has_window)
            if (auto f = exceptions_formula(d, has_y ? 1 : has_p ? 0 : model.k))
                if (cx.recognized(*f, "finitely many members or non-members (their exact words)")) return cell;
    }
    Decision rt = decide_r_trivial(d), def = decide_definite(d);
    std::size_t degree = def.holds ? definite_degree(d).value_or(0) : 0;
    std::optional<Decision> aperiodic, locally_rt;
    std::string monoid_problem;
    try {
        Monoid monoid = transition_monoid(d);
        aperiodic = decide_aperiodic(d, monoid);
        locally_rt = decide_locally_r_trivial(d, monoid);
    } catch (const InputError& e) {
        monoid_problem = e.what();
    }
    std::string fixed = fmt::format("not definable in {} (= not recognizable at fixed precision)", model.logic());
    // LTL[P,Y] (read at $) defines exactly the languages whose syntactic semigroup is locally
    // R-trivial: the mirror image of Cohen, Perrin & Pin's characterization of TL[X,F]
    // (docs/languages.md). Decides hybrid-1 when no construction applied.
    auto hybrid1_by_theorem = [&](bool fixed_precision) {
        if (!locally_rt) return false;
        if (!locally_rt->holds) {
            if (!fixed_precision) return false;  // exact columns have more than LTL[P,Y]
            cx.refuse("locally R-trivial", fmt::format("{}: not locally R-trivial ({}); LTL[P,Y] defines exactly the "
                                                       "locally R-trivial languages (Cohen, Perrin & Pin 1993, mirrored)",
                                                       fixed, locally_rt->certificate.claim));
            return true;
        }
        cell.verdict = Verdict::Recognizable;
        cell.method = "locally R-trivial = LTL[P,Y] (Cohen, Perrin & Pin 1993, mirrored)";
        cell.reason = "recognizable (" + locally_rt->certificate.claim + "); recognizer not constructed";
        return true;
    };
    auto not_aperiodic = [&] {
        if (!aperiodic || aperiodic->holds) return false;
        cx.refuse("aperiodicity", fmt::format("{}: not aperiodic ({}); {} defines only star-free (aperiodic) languages", fixed,
                                              aperiodic->certificate.claim, model.logic()));
        return true;
    };
    auto try_r_trivial = [&](const char* method) {
        if (!rt.holds) return false;
        if (auto f = r_trivial_formula(d)) return cx.recognized(*f, method);
        cell.reason = "R-trivial, but the po-DFA has more than 4096 accepting paths: formula not built";
        return false;
    };
    auto try_hybrid1 = [&] {
        for (std::size_t s = 1; s <= 3; ++s)
            if (auto f = hybrid1_formula(d, s))
                return cx.recognized(*f, fmt::format("quotients by suffixes of length {} are R-trivial", s));
        return false;
    };
    auto try_profile = [&](std::uint32_t k) {
        if (auto pf = profile_formula(d, k))
            return cx.recognized(pf->formula, fmt::format("a function of window-{} type profiles of depth {}", k, pf->depth - 1));
        return false;
    };
    auto try_window = [&](bool counted) {
        if (!counted)
            if (auto f = smallest_formula(d, false, model.k))
                return cx.recognized(*f, fmt::format("smallest LTL[Y<={}] formula by size", model.k));
        if (auto wf = window_formula(d, model.k, degree, 4, 20000, counted))
            return cx.recognized(wf->formula, fmt::format("union of depth-{} {}window types", wf->depth, counted ? "counted " : ""));
        return false;
    };
    auto try_family = [&] {
        auto fam = prefix_family(d, model.k);
        if (!fam) return false;
        std::size_t r = d.states() + 1;
        std::string x, y;
        for (std::size_t i = 0; i < r; ++i) x += fam->u, y += fam->u;
        x += fam->p;
        y += fam->q;
        cx.refuse("prefix family", fmt::format("{}: u = {}, u^R{} in L and u^R{} not for every R >= {}; since |u| <= {}, they "
                                               "agree on every {} formula of depth d with R|u| >= {}d (docs/languages.md)",
                                               fixed, fam->u, fam->p.empty() ? "" : " " + fam->p,
                                               fam->q.empty() ? "" : " " + fam->q, r, model.k, model.logic(), model.k));
        cell.witness = WitnessPair{x, y, agreement_depth(model, d.alphabet, x, y, 2 * o.witness_depth)};
        return true;
    };
    if (model.exact) {
        bool reach = model.rule == Rule::AverageHard;  // Y by position
        bool past = model.kind != ModelKind::Local;
        if (model.kind == ModelKind::Local) {
            if (!def.holds) {
                cx.refuse("locality", fmt::format("not recognizable by {}: the value at $ after L layers of window-{} "
                                                  "heads depends only on the last {}L letters (and on |w| when shorter), so "
                                                  "only definite languages; not definite ({})",
                                                  model.name(), model.k, model.k, def.certificate.claim));
                return cell;
            }
            if (model.k == 1) {
                cx.recognized(definite_formula(d, degree), fmt::format("{}-definite (Y-chains)", degree));
                return cell;
            }
            if (auto fam = rotation_family(model.k, d.alphabet, lang.member, degree, true)) {
                cx.refuse("counted window lemma",
                          fmt::format("not recognizable by {} under {}: u = {}, v = {}, |u| and |v| divide {} and every "
                                      "window of {} letters of u^m and of v^m holds the same multiset of letters; u^m in L, "
                                      "v^m not for large m, and their $ positions have equal values after r layers once "
                                      "|u|m, |v|m >= {}r (docs/languages.md)",
                                      model.name(), rule_name(model.rule), fam->u, fam->v, model.k, model.k, model.k));
                std::string x, y;
                while (x.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) x += fam->u;
                while (y.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) y += fam->v;
                cell.witness = WitnessPair{x, y, agreement_depth(model, d.alphabet, x, y, 2 * o.witness_depth)};
                return cell;
            }
            if (try_window(false) || try_window(true)) return cell;
            cell.reason = fmt::format("definite (degree {}), no counted window family and not a union of (counted) window "
                                      "types of depth <= 4; no decision for exact {}",
                                      degree, model.name());
            return cell;
        }
        if (try_r_trivial("R-trivial (po-DFA paths)")) return cell;
        bool window_one = model.kind == ModelKind::Hybrid && model.k == 1;
        if (reach || window_one) {
            if (def.holds && cx.recognized(definite_formula(d, degree), "definite (Y-chains)")) return cell;
            if (try_hybrid1() || try_profile(1)) return cell;
        }
        if ((reach || window_one) && hybrid1_by_theorem(false)) return cell;
        if (model.kind == ModelKind::Hybrid && model.k > 1 && def.holds && try_window(false)) return cell;
        if (model.kind == ModelKind::Hybrid && model.k > 1 && try_profile(model.k)) return cell;
        if (past && counting()) return cell;
        cell.reason = fmt::format("no construction applies (R-trivial, definite, suffix quotients, type profiles, counting "
                                  "formulas); no argument for exact arithmetic, so undecided{}",
                                  reach ? "" : " (Y by position needs average-hard)");
        return cell;
    }
    switch (model.kind) {
        case ModelKind::Global:
            if (rt.holds) try_r_trivial("R-trivial (po-DFA paths)");
            else cx.refuse("R-trivial", fmt::format("{}: not R-trivial ({}); LTL[P] defines exactly the R-trivial languages",
                                                    fixed, rt.certificate.claim));
            break;
        case ModelKind::Local:
            if (!def.holds) {
                cx.refuse("definite", fmt::format("{}: not definite ({}); {} defines only definite languages", fixed,
                                                  def.certificate.claim, model.logic()));
            } else if (model.k == 1) {
                cx.recognized(definite_formula(d, degree), fmt::format("{}-definite (Y-chains)", degree));
            } else if (auto fam = rotation_family(model.k, d.alphabet, lang.member, degree)) {
                cx.refuse("window lemma",
                          fmt::format("{}: u = {}, v = {}: |u|, |v| <= {} with the same letters, u^m in L and v^m not for "
                                      "large m; u^m and v^m agree to depth r once |u|m, |v|m >= {}r (window lemma)",
                                      fixed, fam->u, fam->v, model.k, model.k));
                std::string x, y;
                while (x.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) x += fam->u;
                while (y.size() < std::max<std::size_t>(degree, model.k * o.witness_depth)) y += fam->v;
                cell.witness = WitnessPair{x, y, agreement_depth(model, d.alphabet, x, y, 2 * o.witness_depth)};
            } else if (!try_window(false)) {
                cell.reason = fmt::format("definite (degree {}), no window-lemma family and not a union of window types "
                                          "of depth <= 4 (checked completely); no decision beyond",
                                          degree);
            }
            break;
        case ModelKind::Hybrid:
            if (try_r_trivial("R-trivial (po-DFA paths)")) break;
            if (model.k == 1 && def.holds && cx.recognized(definite_formula(d, degree), "definite (Y-chains)")) break;
            if (model.k == 1 && try_hybrid1()) break;
            if (model.k > 1 && def.holds && try_window(false)) break;
            if (not_aperiodic() || (aperiodic && try_family()) || try_profile(model.k)) break;
            if (model.k == 1 && hybrid1_by_theorem(true)) break;
            cell.reason = model.k == 1
                              ? "aperiodic, but neither R-trivial, definite, R-trivial on suffix quotients (lengths <= 3) "
                                "nor a function of window-type profiles (depth <= 3); no decision procedure for LTL[P,Y] here"
                              : fmt::format("aperiodic, no construction and no prefix family; no decision procedure for {} here",
                                            model.logic());
            if (!monoid_problem.empty()) cell.reason = "monoid not built: " + monoid_problem;
            break;
        case ModelKind::Rightmost:
            if (not_aperiodic()) break;
            if (try_r_trivial("R-trivial (P = true S x)")) break;
            if (def.holds && cx.recognized(definite_formula(d, degree), "definite (Y-chains)")) break;
            if (try_hybrid1() || try_profile(1)) break;
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
