// Class decisions: known answers on the library, and every certificate re-checked by
// running the DFA on its words (independently of how the decision found them).
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "cli/run_ahat.hpp"
#include "lang/classes.hpp"
#include "lang/generate.hpp"
#include "lang/library.hpp"
#include "lang/regex.hpp"
#include "lang/words.hpp"

using namespace ahat::lang;

namespace {

using ahat_test::power;

Transformation act(const Dfa& d, const std::string& w) {
    Transformation t;
    for (std::uint32_t q = 0; q < d.states(); ++q) t.push_back(d.run(q, w));
    return t;
}

void check_certificate(const Dfa& d, const Monoid& m, const Decision& dec) {
    INFO(dec.property << " holds=" << dec.holds << ": " << dec.certificate.claim);
    const Certificate& c = dec.certificate;
    auto w = [&](const char* n) { return c.word(n); };
    auto differ = [&](const std::string& a, const std::string& b) { return d.accepts(a) != d.accepts(b); };
    if (dec.property == "definite") {
        if (dec.holds) {
            std::size_t k = *c.index;
            REQUIRE(definite_degree(d) == k);
            for (const auto& u : all_words(d.alphabet, k))
                if (u.size() == k) REQUIRE(act(d, u) == Transformation(d.states(), d.run(0, u)));
            bool some = k == 0;
            for (const auto& u : all_words(d.alphabet, k - (k > 0)))
                if (k > 0 && u.size() == k - 1) some = some || act(d, u) != Transformation(d.states(), d.run(0, u));
            REQUIRE(some);
        } else {
            REQUIRE(!w("u").empty());
            for (std::size_t k = 0; k < 6; ++k) REQUIRE(differ(w("x") + power(w("u"), k) + w("z"), w("y") + power(w("u"), k) + w("z")));
        }
    } else if (dec.property == "reverse-definite") {
        if (dec.holds) {
            std::size_t k = *c.index;
            REQUIRE(reverse_definite_degree(d) == k);
            auto tails = all_words(d.alphabet, 3);
            for (const auto& u : all_words(d.alphabet, k))
                if (u.size() == k)
                    for (const auto& v : tails) REQUIRE(!differ(u, u + v));
        } else {
            REQUIRE(!w("u").empty());
            for (std::size_t k = 0; k < 6; ++k) REQUIRE(differ(w("x") + power(w("u"), k), w("x") + power(w("u"), k) + w("z")));
        }
    } else if (dec.property == "R-trivial") {
        auto r = m.r_classes();
        bool trivial = std::set<std::uint32_t>(r.begin(), r.end()).size() == m.size();
        REQUIRE(trivial == dec.holds);
        if (dec.holds) {
            std::map<std::uint32_t, std::size_t> pos;
            for (const auto& [n, q] : c.states) pos[q] = pos.size();
            REQUIRE(pos.size() == d.states());
            REQUIRE(c.states[0].second == d.start);
            for (std::uint32_t q = 0; q < d.states(); ++q)
                for (auto t : d.delta[q]) REQUIRE((t == q || pos[t] > pos[q]));
        } else {
            std::uint32_t p = c.state("p"), q = c.state("q");
            REQUIRE(p != q);
            REQUIRE(d.run(p, w("u")) == q);
            REQUIRE(d.run(q, w("v")) == p);
        }
    } else if (dec.property == "L-trivial") {
        if (!dec.holds) {
            REQUIRE(act(d, w("u") + w("s")) == act(d, w("t")));
            REQUIRE(act(d, w("v") + w("t")) == act(d, w("s")));
            REQUIRE(differ(w("x") + w("s") + w("z"), w("x") + w("t") + w("z")));
        }
    } else if (dec.property == "aperiodic") {
        std::size_t k = *c.index;
        if (dec.holds) {
            for (const auto& x : m.word) REQUIRE(act(d, power(x, k)) == act(d, power(x, k + 1)));
        } else {
            REQUIRE(k >= 2);
            std::uint32_t p = c.state("p");
            REQUIRE(d.run(p, power(w("u"), k)) == p);
            REQUIRE(d.run(p, w("u")) != p);
            for (std::size_t j = 1; j < 4; ++j)
                REQUIRE(differ(w("x") + power(w("u"), k * j) + w("z"), w("x") + power(w("u"), k * j + 1) + w("z")));
        }
    } else if (dec.property == "locally-testable") {
        if (!dec.holds) {
            std::string e = w("e"), s = w("s"), ese = e + s + e;
            REQUIRE(!e.empty());
            REQUIRE(act(d, e + e) == act(d, e));
            if (c.has_word("t")) {
                std::string ete = e + w("t") + e;
                REQUIRE(w("w1") == ese + ete);
                REQUIRE(w("w2") == ete + ese);
            } else {
                REQUIRE(w("w1") == ese + ese);
                REQUIRE(w("w2") == ese);
            }
            REQUIRE(differ(w("x") + w("w1") + w("z"), w("x") + w("w2") + w("z")));
        }
    } else if (dec.property == "piecewise-testable") {
        if (!dec.holds) {
            REQUIRE(act(d, w("u1") + w("s") + w("v1")) == act(d, w("t")));
            REQUIRE(act(d, w("u2") + w("t") + w("v2")) == act(d, w("s")));
            REQUIRE(differ(w("x") + w("s") + w("z"), w("x") + w("t") + w("z")));
        }
    } else if (dec.property == "locally-R-trivial") {
        // Independently of the identity the decision tests: R-classes of each local monoid eSe
        // by brute force (p R q iff p in q eSe and q in p eSe).
        bool trivial = true;
        for (std::uint32_t e = 0; e < m.size(); ++e) {
            if (!m.in_semigroup(e) || !m.idempotent(e)) continue;
            std::set<std::uint32_t> ese;
            for (std::uint32_t s = 0; s < m.size(); ++s)
                if (m.in_semigroup(s)) ese.insert(m.multiply(m.multiply(e, s), e));
            auto below = [&](std::uint32_t p, std::uint32_t q) {  // p in q eSe
                for (std::uint32_t r : ese)
                    if (m.multiply(q, r) == p) return true;
                return false;
            };
            for (std::uint32_t p : ese)
                for (std::uint32_t q : ese)
                    if (p != q && below(p, q) && below(q, p)) trivial = false;
        }
        REQUIRE(trivial == dec.holds);
        if (!dec.holds) {
            std::string e = w("e"), p = e + w("s") + e, q = e + w("t") + e;
            std::size_t k = *c.index;
            REQUIRE(act(d, e + e) == act(d, e));
            REQUIRE(w("w2") == power(p + q, k));
            REQUIRE(w("w1") == power(p + q, k) + p);
            REQUIRE(act(d, w("w2") + w("w2")) == act(d, w("w2")));
            REQUIRE(differ(w("x") + w("w1") + w("z"), w("x") + w("w2") + w("z")));
        }
    } else {
        FAIL("unknown property " << dec.property);
    }
}

}  // namespace

TEST_CASE("class decisions on library languages match known answers", "[automata]") {
    // definite k, reverse definite k, R-trivial, L-trivial, aperiodic, locally testable,
    // piecewise testable, locally R-trivial ("-" for no, "Y" for yes, digits for the index).
    const std::map<std::string, std::string> known = {
        {"ends-a", "1 - - Y Y Y - Y"},          {"starts-a", "- 1 Y - Y Y - Y"},
        {"second-last-a", "2 - - Y Y Y - Y"},   {"third-last-a", "3 - - Y Y Y - Y"},
        {"ends-ab", "2 - - Y Y Y - Y"},         {"last-two-equal", "2 - - Y Y Y - Y"},
        {"contains-a", "- - Y Y Y Y Y Y"},      {"at-least-two-a", "- - Y Y Y - Y Y"},
        {"exactly-one-a", "- - Y Y Y - Y Y"},   {"subseq-ab", "- - Y Y Y Y Y Y"},
        {"subseq-aba", "- - Y Y Y - Y Y"},      {"factor-ab", "- - Y Y Y Y Y Y"},
        {"factor-aa", "- - - - Y Y - Y"},       {"no-aa", "- - - - Y Y - Y"},
        {"a-before-b", "- - Y - Y - - Y"},      {"starts-a-ends-b", "- - - - Y Y - Y"},
        {"first-equals-last", "- - - - Y Y - Y"}, {"ab-star", "- - - - Y Y - Y"},
        {"a-star-b-star", "- - Y Y Y Y Y Y"},   {"a-star", "- - Y Y Y Y Y Y"},
        {"dyck-depth-2", "- - - - Y - - -"},    {"parity", "- - - - - - - -"},
        {"a-mod-3", "- - - - - - - -"},         {"even-length-a", "- - - - - - - -"},
        {"ab-ba-star", "- - - - Y - - -"},      {"length-mod-3", "- - - - - - - -"},
    };
    std::size_t regular = 0;
    for (const auto& lang : library()) {
        if (!lang.dfa) continue;
        ++regular;
        INFO(lang.name);
        REQUIRE(known.count(lang.name) == 1);
        std::string got;
        for (const auto& dec : decide_all(*lang.dfa)) {
            std::string cell = dec.holds ? "Y" : "-";
            if (dec.holds && dec.property.find("definite") != std::string::npos) cell = std::to_string(*dec.certificate.index);
            got += (got.empty() ? "" : " ") + cell;
        }
        CHECK(got == known.at(lang.name));
    }
    CHECK(regular == known.size());
    CHECK(decide_aperiodic(find_language("ab-star")->dfa.value(), transition_monoid(*find_language("ab-star")->dfa)).certificate.index == 2);
}

TEST_CASE("certificates re-check on library languages and random regexes", "[automata]") {
    std::vector<Dfa> dfas;
    for (const auto& lang : library())
        if (lang.dfa) dfas.push_back(*lang.dfa);
    std::mt19937_64 rng(77);
    const char* atoms[] = {"a", "b", "(a|b)", "a*", "b*", "(ab)*", "(a|b)*", "ε"};
    for (int i = 0; i < 120; ++i) {
        std::string r;
        for (int j = 0, n = 1 + static_cast<int>(rng() % 5); j < n; ++j) r += atoms[rng() % 8];
        if (rng() % 3 == 0) r = "(" + r + ")*";
        dfas.push_back(compile_regex(r, "ab"));
    }
    for (const auto& d : dfas) {
        Monoid m = transition_monoid(d);
        for (const auto& dec : decide_all(d)) check_certificate(d, m, dec);
    }
}

TEST_CASE("ahat lang classify prints decisions and rejects bad regexes with a column", "[automata]") {
    auto r = ahat_test::run_ahat("lang classify ends-a --json");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"property\":\"definite\",\"holds\":true") != std::string::npos);
    r = ahat_test::run_ahat("lang classify '(ab' ");
    CHECK(r.rc == 2);
    CHECK(r.err.find("regex:1:4:") != std::string::npos);
    r = ahat_test::run_ahat("lang classify majority");
    CHECK(r.rc == 2);
}
