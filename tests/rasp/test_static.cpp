// The static part of RASP, evaluated when a program is read as the reference does: lists,
// dicts, comprehensions, `in`, indexing, for loops, several assignments and return values,
// `load`, the REPL commands a file may hold, and the preloaded library. Expected values are
// worked out by hand from the reference's Python semantics.
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

using namespace ahat;
using namespace ahat::rasp;

namespace {

// Every named result on `input`, "name=v v v" (s-ops) or "name=value" (constants), one per line.
std::string results(const rasp::Program& p, const std::string& input) {
    Evaluation ev = evaluate(p, parse_tokens(p, input));
    std::string out;
    for (const Named& n : p.named) {
        out += n.name + "=";
        if (n.ref.kind == Ref::Kind::Constant) {
            out += format_value(n.ref.constant);
        } else if (n.ref.kind == Ref::Kind::Sop) {
            for (std::size_t i = 0; i < ev.sops[n.ref.id].size(); ++i) out += (i ? " " : "") + format_element(ev.sops[n.ref.id][i]);
        } else {
            out += "selector";
        }
        out += "\n";
    }
    return out;
}

std::string run(const std::string& text, const std::string& input, ReadOptions opts = {}) {
    return results(read_rasp(text, "t.rasp", opts), input);
}

std::string run_error_of(const std::string& text, ReadOptions opts = {}) {
    try {
        rasp::Program p = read_rasp(text, "t.rasp", opts);
        evaluate(p, parse_tokens(p, p.example.value_or("ab")));
    } catch (const InputError& e) {
        return e.located();
    }
    return "";
}

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& name) : path(std::filesystem::temp_directory_path() / name) {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

}  // namespace

TEST_CASE("lists, dicts and comprehensions are values of the reading", "[rasp-static]") {
    CHECK(run("xs = [1, 2, 3];\nn = len(xs);\nys = [x * 10 for x in xs];\nlast = ys[-1];\n", "a") ==
          "xs[0]=1\nxs[1]=2\nxs[2]=3\nn=3\nys[0]=10\nys[1]=20\nys[2]=30\nlast=30\n");
    CHECK(run("d = {\"a\": 1, \"b\": 2, \"a\": 3};\nk = [key for key in d];\nv = d[\"a\"];\n", "a") ==
          "d[\"a\"]=3\nd[\"b\"]=2\nk[0]=\"a\"\nk[1]=\"b\"\nv=3\n");
    CHECK(run("sq = {i: i * i for i in range(1, 7, 2)};\np = [a + b for a, b in zip([1, 2], [10, 20])];\n", "a") ==
          "sq[1]=1\nsq[3]=9\nsq[5]=25\np[0]=11\np[1]=22\n");
    CHECK(run("r = range(5, 0, -2);\ns = \"abc\"[1];\nt = [c for c in [\"xy\", \"zw\"]][1][0];\n", "a") ==
          "r[0]=5\nr[1]=3\nr[2]=1\ns=\"b\"\nt=\"z\"\n");
    CHECK(run("a = 2 in [1, 2];\nb = \"q\" in [\"a\"];\nc = [1] + [2, 3];\ne = 2 ^ 10;\nf = 2 ^ -2;\n", "a") ==
          "a=True\nb=False\nc[0]=1\nc[1]=2\nc[2]=3\ne=1024\nf=1/4\n");
    CHECK(run_error_of("x = [1, 2][2];") == "t.rasp:1:12: index 2 out of range for a list of length 2");
    CHECK(run_error_of("x = {\"a\": 1}[\"b\"];") == "t.rasp:1:14: the key \"b\" is not in the dict");
    CHECK(run_error_of("x = [a for a, b in [[1, 2, 3]]];") == "t.rasp:1:5: unpacking 3 values into 2 names");
    CHECK(run_error_of("x = zip([1], [1, 2]);") == "t.rasp:1:14: zip of lists of lengths 1 and 2");
    CHECK(run_error_of("x = len(3);") == "t.rasp:1:9: len expects a list, got a constant");
    CHECK(run_error_of("x = range(0, 2000000);") == "t.rasp:1:5: range longer than 1000000 elements");
    CHECK(run_error_of("x = [1] + 2;") == "t.rasp:1:9: cannot apply '+' to a list");
    CHECK(run_error_of("x = {[1]: 2};") == "t.rasp:1:6: dict keys must be constants, got a list");
}

TEST_CASE("s-ops indexed, looked up and tested for membership", "[rasp-static]") {
    // a list or dict indexed by an s-op is an elementwise lookup; s[i] is the value at i
    CHECK(run("digits = {\"0\": 0, \"1\": 1, \"2\": 2};\nv = digits[tokens];\nfirst = v[0];\nlast = v[-1];\n"
              "names = [\"zero\", \"one\", \"two\"];\nw = names[v];\nback = names[0 - v - 1];\n", "210") ==
          "digits[\"0\"]=0\ndigits[\"1\"]=1\ndigits[\"2\"]=2\nv=2 1 0\nfirst=2 2 2\nlast=0 0 0\nnames[0]=\"zero\"\n"
          "names[1]=\"one\"\nnames[2]=\"two\"\nw=two one zero\nback=zero one two\n");
    CHECK(run("vowel = tokens in [\"a\", \"e\"];\nhas_b = \"b\" in tokens;\nhas_z = \"z\" in tokens;\n", "abe") ==
          "vowel=T F T\nhas_b=T T T\nhas_z=F F F\n");
    // `in` binds loosest: not x in L is (not x) in L, as in the reference grammar
    CHECK(run("odd = not tokens in [\"a\"];\n", "ab") == "odd=F F\n");
    CHECK(run_error_of("v = {\"a\": 1}[tokens];").find("t.rasp:1:13: the index \"b\" is not in the list or dict indexed here") == 0);
    CHECK(run_error_of("x = tokens[indices];") == "t.rasp:1:12: an index into an s-op must be an integer, got an s-op");
    CHECK(run_error_of("x = tokens in tokens;") == "t.rasp:1:15: 's-op in X' expects X to be a list of constants, got an s-op");
    CHECK(run_error_of("x = [indices][tokens];") ==
          "t.rasp:1:14: indexing with an s-op needs a list or dict of constants, but it holds an s-op");
}

TEST_CASE("for loops, several assignments and several return values", "[rasp-static]") {
    CHECK(run("acc = 0;\nfor i in range(4) { acc = acc + i; }\ntotal = acc;\n", "a") == "acc=0\nacc=0\nacc=1\nacc=3\nacc=6\ntotal=6\n");
    CHECK(run("def two(x) { return x + 1, x * 2; }\na, b = two(indices);\nc, d = 5, \"e\";\npair = 1, 2;\n", "abc") ==
          "a=1 2 3\nb=0 2 4\nc=5\nd=\"e\"\npair[0]=1\npair[1]=2\n");
    CHECK(run("res = False;\nfor c in [\"a\", \"c\"] { res = res or tokens == c; }\n", "abc") ==
          "res=False\nres=T F F\nres=T F T\n");
    CHECK(run("for k, v in zip([\"x\", \"y\"], [1, 2]) { last = v; }\nfinal = last + len([k]);\n", "a") ==
          "last=1\nlast=2\nfinal=3\n");
    CHECK(run_error_of("a, b = 1, 2, 3;") == "t.rasp:1:1: unpacking 3 values into 2 names");
    CHECK(run_error_of("a, b = indices;") == "t.rasp:1:1: unpacking into 2 names needs a list, got an s-op");
    CHECK(run_error_of("for i in 3 { x = i; }") == "t.rasp:1:10: a for loop runs over a list or a dict, not a constant");
    // the statement budget (5,000,000 by default; a smaller one here, the same check)
    ReadOptions small;
    small.max_steps = 50'000;
    CHECK(run_error_of("for i in range(300) { for j in range(300) { x = i; } }", small).find(
              "reading the program runs more than 50000 statements") != std::string::npos);
    CHECK(run_error_of("for i in range(200) { for j in range(200) { x = i; } }", small).empty());
    CHECK(run_error_of("for i in [1] { }") == "t.rasp:1:16: a for loop's body needs a statement");
}

TEST_CASE("runaway constants are errors, not exhausted memory", "[rasp-static]") {
    CHECK(run_error_of("x = 3;\nfor i in range(40) { x = x * x; }") == "t.rasp:2:28: the operation gives a number of more than 65536 bits");
    CHECK(run_error_of("s = \"ab\";\nfor i in range(40) { s = s + s; }") == "t.rasp:2:28: '+' gives a string longer than 1048576 bytes");
    CHECK(run_error_of("x = indices + 3;\nfor i in range(40) { x = x * x; }").find(
              "the operation gives a number of more than 65536 bits (at position 1)") != std::string::npos);
}

TEST_CASE("REPL commands in a file: set example and display switches accepted, others refused", "[rasp-static]") {
    rasp::Program p = read_rasp("ex = \"a<b\";\nset example ex\nfull seq display on\nexamples off\ny = tokens == \"<\";\n", "t.rasp");
    REQUIRE(p.example);
    CHECK(*p.example == "a<b");
    CHECK(p.example_loc.str() == "t.rasp:2:1");
    REQUIRE(p.notes.size() == 3);
    CHECK(p.notes[1].first.str() == "t.rasp:3:1");
    CHECK(p.notes[1].second.find("'full seq display on' accepted without effect") == 0);
    CHECK(results(p, *p.example) == "ex=\"a<b\"\ny=F T F\n");
    rasp::Program q = read_rasp("tokens = tokens_int;\nset example [3, 1, 2];\nset s-op example [1]\nx = tokens + 1;\n", "t.rasp");
    CHECK(*q.example == "1");
    CHECK(results(q, "3 1 2") == "tokens=3 1 2\nx=4 2 3\n");
    CHECK(run_error_of("set example indices").find("t.rasp:1:13: an example is a string or a list of constants") == 0);
}

TEST_CASE("load reads NAME.rasp next to the loading file: its names join, cycles are refused", "[rasp-static]") {
    TempDir dir("ahat_rasp_load_test");
    std::filesystem::create_directories(dir.path / "lib");
    dir.write("lib/helpers.rasp", "def twice(x) { return 2 * x; }\n_private = 7;\nseven = _private;\nload \"more\";\n");
    dir.write("lib/more.rasp", "def inc(x) { return x + 1; }\n");
    std::string main = dir.write("main.rasp", "load \"lib/helpers\";\ny = twice(inc(indices)) + seven;\n");
    CHECK(results(load_rasp(main), "ab") == "y=9 11\n");
    std::string hidden = dir.write("hidden.rasp", "load \"lib/helpers\";\ny = _private;\n");
    CHECK_THROWS_WITH(load_rasp(hidden), "unknown name '_private'");
    dir.write("a.rasp", "load \"b\";\n");
    dir.write("b.rasp", "x = 1;\nload \"a\";\n");
    try {
        load_rasp((dir.path / "a.rasp").string());
        FAIL("a load cycle was accepted");
    } catch (const InputError& e) {
        CHECK(e.loc().str() == (dir.path / "b.rasp").string() + ":2:1");
        CHECK(std::string(e.what()).find("load cycle: ") == 0);
    }
    std::string missing = dir.write("missing.rasp", "x = 1;\nload \"nowhere\";\n");
    CHECK_THROWS_WITH(load_rasp(missing), Catch::Contains("load \"nowhere\": cannot read"));
}

TEST_CASE("the prelude: the reference library's names and values", "[rasp-static]") {
    const std::string lib =
        "c = count(tokens, \"l\");\nhas = contains(tokens, \"o\");\nhi = max(indices, 2);\nlo = min(indices, 2);\n"
        "avg = average(indicator(tokens == \"l\"));\nat = load_from_location(tokens, length - 1);\n"
        "sh = shift(tokens, 1, \"_\");\nlast = mark_last_instance(tokens, \"l\");\nfirst = mark_first_instance(tokens, \"l\");\n"
        "from_last = aggregate(select_from_last(tokens, \"l\"), indices);\nsorted = sort(tokens, tokens);\n"
        "nxt = aggregate(select_next_identical(tokens), indices, 9);\nfocus = has_focus(select(tokens, \"e\", ==));\n"
        "all = selector_width(full_s);\n";
    CHECK(run(lib, "hello") ==
          "c=2 2 2 2 2\nhas=T T T T T\nhi=2 2 2 3 4\nlo=0 1 2 2 2\navg=2/5 2/5 2/5 2/5 2/5\nat=o o o o o\n"
          "sh=_ h e l l\nlast=F F F T F\nfirst=F F T F F\nfrom_last=3 3 3 3 3\nsorted=e h l l o\nnxt=9 9 3 9 9\n"
          "focus=T T T T T\nall=5 5 5 5 5\n");
    // an s-op as the value: the reference compares seq[k] with val[q] (select(seq, val, ==))
    CHECK(run("m = mark_last_instance(tokens, aggregate(select(indices, 0, ==), tokens));\n", "abab") == "m=F F T F\n");
    CHECK(run_error_of("x = count(tokens, \"a\");", ReadOptions{false}) ==
          "t.rasp:1:5: unknown name 'count' (a library function: the prelude is off, --no-prelude)");
    CHECK(run("def count(a, b) { return 7; }\nx = count(1, 2);\n", "a") == "x=7\n");  // a program's own wins
    CHECK(run("w = selector_width(select(indices, indices, <));\nn = length;\n", "abc", ReadOptions{false}) == "w=0 1 2\nn=3 3 3\n");
}

TEST_CASE("random token soup: an error at a location or a program, never a crash", "[rasp-static]") {
    const char* vocab[] = {"x", "y", "f", "tokens", "indices", "length", "1", "2.5", "\"a\"", "(", ")", "[", "]", "{",
                           "}", ",", ";", ":", "=", "+", "-", "*", "/", "%", "^", "==", "<", "and", "or", "not", "in",
                           "if", "else", "for", "def", "return", "load", "set", "example", "select", "aggregate",
                           "range", "zip", "len", "selector_width", "count", "\n", "True", "exit", "s", "op"};
    std::mt19937 rng(1130);
    std::size_t read = 0, refused = 0;
    for (int t = 0; t < 3000; ++t) {
        std::string text;
        const std::size_t len = 1 + rng() % 30;
        for (std::size_t k = 0; k < len; ++k) text += std::string(vocab[rng() % std::size(vocab)]) + " ";
        try {
            rasp::Program p = read_rasp(text, "t.rasp");
            evaluate(p, parse_tokens(p, "ab"));
            ++read;
        } catch (const InputError& e) {
            CHECK(e.loc().file == "t.rasp");
            ++refused;
        }
    }
    CHECK(read + refused == 3000);
    CHECK(refused > 2000);
}
