// lang/dfa_io: .dfa files round-trip, partial DFAs get their sink, errors are located.
#include <catch2/catch.hpp>

#include <string>
#include "lang/dfa_io.hpp"
#include "lang/regex.hpp"
#include "support/error.hpp"

using namespace ahat::lang;

TEST_CASE(".dfa files round-trip and report located errors", "[automata]") {
    Dfa d = compile_regex("(a|b)*ab");
    Dfa back = parse_dfa(write_dfa(d, "ends with ab"), "t.dfa");
    CHECK(back == d);
    Dfa partial = parse_dfa("alphabet ab\nstart s\naccept t # comment\ns a t\n", "p.dfa");
    CHECK(partial.states() == 3);  // s, t and the implicit sink
    CHECK(partial.accepts("a"));
    CHECK(!partial.accepts("aa"));
    CHECK(!partial.accepts("b"));
    auto where = [](const std::string& text) {
        try {
            parse_dfa(text, "bad.dfa");
        } catch (const ahat::InputError& e) {
            return e.located();
        }
        return std::string();
    };
    CHECK(where("start s\n") == "bad.dfa:1:1: expected 'alphabet LETTERS' first");
    CHECK(where("alphabet ab\nstart s\ns c t\n") == "bad.dfa:3:3: letter 'c' is not in the alphabet 'ab'");
    CHECK(where("alphabet ab\nstart s\ns a t\ns a u\n") == "bad.dfa:4:3: second transition from 's' on 'a'");
    CHECK(where("alphabet ab\ns a t\n") == "bad.dfa:3:1: missing 'start' line");
    CHECK(where("alphabet aa\n") == "bad.dfa:1:11: letter 'a' repeated");
    CHECK(where("alphabet ab\nstart s\ns ab t\n") == "bad.dfa:3:3: a letter is one character, got 'ab'");
}
