#include "circuit/circ_io.hpp"

#include <cctype>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "support/error.hpp"

namespace ahat {
namespace {

struct Token {
    std::string_view text;
    std::uint32_t col;  // 1-based
};

std::vector<Token> tokenize(std::string_view line) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < line.size()) {
        if (line[i] == '#') break;
        if (std::isspace(static_cast<unsigned char>(line[i]))) {
            ++i;
            continue;
        }
        if (line[i] == '=') {
            out.push_back({line.substr(i, 1), static_cast<std::uint32_t>(i + 1)});
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j])) && line[j] != '=' &&
               line[j] != '#')
            ++j;
        out.push_back({line.substr(i, j - i), static_cast<std::uint32_t>(i + 1)});
        i = j;
    }
    return out;
}

bool is_identifier(std::string_view s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
    return true;
}

bool looks_numeric(std::string_view s) {
    return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' || s[0] == '.');
}

const std::unordered_set<std::string_view> kKeywords = {"input", "const", "output"};

struct Sugar {
    int arity;  // -1: any number (add)
    std::function<GateId(Circuit&, const std::vector<GateId>&, std::string)> build;
};

const std::unordered_map<std::string_view, Sugar>& operations() {
    using V = std::vector<GateId>;
    static const std::unordered_map<std::string_view, Sugar> ops = {
        {"add", {-1, [](Circuit& c, const V& a, std::string n) { return c.add(a, std::move(n)); }}},
        {"mul", {2, [](Circuit& c, const V& a, std::string n) { return c.mul(a[0], a[1], std::move(n)); }}},
        {"sign", {1, [](Circuit& c, const V& a, std::string n) { return c.sign(a[0], std::move(n)); }}},
        {"sub", {2, [](Circuit& c, const V& a, std::string n) { return c.sub(a[0], a[1], std::move(n)); }}},
        {"neg", {1, [](Circuit& c, const V& a, std::string n) { return c.neg(a[0], std::move(n)); }}},
        {"relu", {1, [](Circuit& c, const V& a, std::string n) { return c.relu(a[0], std::move(n)); }}},
        {"gt", {2, [](Circuit& c, const V& a, std::string n) { return c.greater(a[0], a[1], std::move(n)); }}},
        {"lt", {2, [](Circuit& c, const V& a, std::string n) { return c.greater(a[1], a[0], std::move(n)); }}},
        {"ge", {2, [](Circuit& c, const V& a, std::string n) { return c.greater_equal(a[0], a[1], std::move(n)); }}},
        {"le", {2, [](Circuit& c, const V& a, std::string n) { return c.greater_equal(a[1], a[0], std::move(n)); }}},
        {"eq", {2, [](Circuit& c, const V& a, std::string n) { return c.equal(a[0], a[1], std::move(n)); }}},
        {"ne", {2, [](Circuit& c, const V& a, std::string n) {
                    return c.add({c.greater(a[0], a[1]), c.greater(a[1], a[0])}, std::move(n));
                }}},
        {"not", {1, [](Circuit& c, const V& a, std::string n) {
                     return c.add({c.constant(Rational(1)), c.neg(a[0])}, std::move(n));
                 }}},
        {"and", {2, [](Circuit& c, const V& a, std::string n) { return c.mul(a[0], a[1], std::move(n)); }}},
        {"or", {2, [](Circuit& c, const V& a, std::string n) {
                    return c.add({a[0], a[1], c.neg(c.mul(a[0], a[1]))}, std::move(n));
                }}},
        {"max", {2, [](Circuit& c, const V& a, std::string n) {
                     return c.add({a[1], c.relu(c.sub(a[0], a[1]))}, std::move(n));
                 }}},
        {"min", {2, [](Circuit& c, const V& a, std::string n) {
                     return c.sub(a[0], c.relu(c.sub(a[0], a[1])), std::move(n));
                 }}},
        {"abs", {1, [](Circuit& c, const V& a, std::string n) {
                     return c.add({c.relu(a[0]), c.relu(c.neg(a[0]))}, std::move(n));
                 }}},
    };
    return ops;
}

class Reader {
public:
    Reader(const std::string& file) : file_(file) {}

    Circuit read(std::string_view text) {
        std::uint32_t line_no = 0;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            std::size_t end = text.find('\n', pos);
            if (end == std::string_view::npos) end = text.size();
            std::string_view line = text.substr(pos, end - pos);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            ++line_no;
            // ';' separates statements on one line
            std::size_t s = 0;
            std::string_view code = line.substr(0, std::min(line.find('#'), line.size()));
            while (s <= code.size()) {
                std::size_t e = code.find(';', s);
                if (e == std::string_view::npos) e = code.size();
                statement(line_no, code, s, e);
                s = e + 1;
            }
            if (end == text.size()) break;
            pos = end + 1;
        }
        if (!saw_output_) fail(SourceLoc{file_, line_no, 1}, "the circuit has no output statement");
        name_generated();
        return std::move(c_);
    }

private:
    const std::string& file_;
    Circuit c_;
    std::unordered_map<std::string, GateId> names_;
    bool saw_output_ = false;

    SourceLoc at(std::uint32_t line, std::uint32_t col) const { return SourceLoc{file_, line, col}; }

    void statement(std::uint32_t line, std::string_view code, std::size_t from, std::size_t to) {
        std::vector<Token> toks = tokenize(code.substr(from, to - from));
        for (auto& t : toks) t.col += static_cast<std::uint32_t>(from);
        if (toks.empty()) return;
        std::string_view head = toks[0].text;
        if (toks.size() >= 2 && toks[1].text == "=" && kKeywords.count(head))
            fail(at(line, toks[0].col), "'{}' is a keyword and cannot name a gate", head);
        if (head == "input") {
            for (std::size_t k = 1; k < toks.size(); ++k) define(line, toks[k], [&](std::string n) { return c_.input(std::move(n)); });
            return;
        }
        if (head == "output") {
            if (toks.size() == 1) fail(at(line, toks[0].col), "empty output list");
            for (std::size_t k = 1; k < toks.size(); ++k) c_.outputs.push_back(operand(line, toks[k], false));
            saw_output_ = true;
            return;
        }
        if (head == "const") {
            if (toks.size() != 4 || toks[2].text != "=")
                fail(at(line, toks[0].col), "expected 'const NAME = VALUE'");
            Rational v = literal(line, toks[3]);
            define(line, toks[1], [&](std::string n) { return c_.constant(v, std::move(n)); });
            return;
        }
        if (toks.size() < 3 || toks[1].text != "=")
            fail(at(line, toks[0].col), "expected 'input ...', 'const NAME = VALUE', 'NAME = OP OPERANDS' or 'output ...'");
        auto it = operations().find(toks[2].text);
        if (it == operations().end())
            fail(at(line, toks[2].col), "unknown operation '{}' (basis: add mul sign; sugar: sub neg relu "
                                        "lt gt le ge eq ne not and or max min abs)",
                 toks[2].text);
        const Sugar& op = it->second;
        std::size_t argc = toks.size() - 3;
        if (op.arity >= 0 && argc != static_cast<std::size_t>(op.arity))
            fail(at(line, toks[2].col), "{} takes exactly {} operand{}, got {}", toks[2].text, op.arity,
                 op.arity == 1 ? "" : "s", argc);
        check_new_name(line, toks[0]);
        std::vector<GateId> args;
        for (std::size_t k = 3; k < toks.size(); ++k) args.push_back(operand(line, toks[k], true));
        define(line, toks[0], [&](std::string n) { return op.build(c_, args, std::move(n)); });
    }

    void check_new_name(std::uint32_t line, const Token& t) {
        if (kKeywords.count(t.text)) fail(at(line, t.col), "'{}' is a keyword and cannot name a gate", t.text);
        if (!is_identifier(t.text))
            fail(at(line, t.col), "bad name '{}' (names are letters, digits, '_' and '.', not starting with a digit)", t.text);
        if (names_.count(std::string(t.text))) fail(at(line, t.col), "duplicate name '{}'", t.text);
    }

    template <class Build>
    void define(std::uint32_t line, const Token& t, Build build) {
        check_new_name(line, t);
        std::size_t before = c_.gates.size();
        GateId id = build(std::string(t.text));
        names_.emplace(std::string(t.text), id);
        // Gates invented by lowering sugar are named NAME.1, NAME.2, ... when written.
        std::size_t k = 1;
        for (std::size_t g = before; g < c_.gates.size(); ++g)
            if (c_.gates[g].name.empty()) pending_.push_back({static_cast<GateId>(g), std::string(t.text), k++});
    }

    Rational literal(std::uint32_t line, const Token& t) {
        ParseFailure why;
        auto v = parse_rational(t.text, &why);
        if (!v) fail(at(line, t.col + static_cast<std::uint32_t>(why.offset)), "bad literal '{}': {}", t.text, why.why);
        return *v;
    }

    GateId operand(std::uint32_t line, const Token& t, bool allow_literal) {
        if (looks_numeric(t.text)) {
            if (!allow_literal) fail(at(line, t.col), "outputs must be names, not literals ('{}')", t.text);
            return c_.constant(literal(line, t));
        }
        auto it = names_.find(std::string(t.text));
        if (it == names_.end()) {
            if (!is_identifier(t.text)) fail(at(line, t.col), "bad operand '{}'", t.text);
            fail(at(line, t.col), "unknown name '{}' (names must be defined before use)", t.text);
        }
        return it->second;
    }

    struct Pending {
        GateId gate;
        std::string base;
        std::size_t k;
    };
    std::vector<Pending> pending_;

    // Give every unnamed gate a name that is not taken.
    void name_generated() {
        for (const Pending& p : pending_) {
            std::string n = fmt::format("{}.{}", p.base, p.k);
            while (names_.count(n)) n += "_";
            names_.emplace(n, p.gate);
            c_.gates[p.gate].name = n;
        }
        for (std::size_t g = 0; g < c_.gates.size(); ++g) {
            if (!c_.gates[g].name.empty()) continue;
            std::string n = fmt::format("k.{}", g);
            while (names_.count(n)) n += "_";
            names_.emplace(n, static_cast<GateId>(g));
            c_.gates[g].name = n;
        }
    }
};

}  // namespace

Circuit read_circuit(std::string_view text, const std::string& file) {
    return Reader(file).read(text);
}

Circuit load_circuit(const std::string& path) {
    return read_circuit(read_file(path), input_name(path));
}

std::string write_circuit(const Circuit& c, std::string_view comment) {
    // Names: keep the circuit's own where they are valid and unique, invent the rest.
    std::vector<std::string> names(c.gates.size());
    std::unordered_set<std::string> used;
    for (std::size_t g = 0; g < c.gates.size(); ++g) {
        const std::string& n = c.gates[g].name;
        if (is_identifier(n) && !kKeywords.count(n) && used.insert(n).second) names[g] = n;
    }
    for (std::size_t g = 0; g < c.gates.size(); ++g) {
        if (!names[g].empty()) continue;
        std::string n = fmt::format("g{}", g);
        while (used.count(n)) n += "_";
        used.insert(n);
        names[g] = n;
    }
    std::string out;
    if (!comment.empty()) {
        std::size_t pos = 0;
        while (pos < comment.size()) {
            std::size_t e = comment.find('\n', pos);
            if (e == std::string_view::npos) e = comment.size();
            out += "# ";
            out += comment.substr(pos, e - pos);
            out += '\n';
            pos = e + 1;
        }
    }
    auto s = stats(c);
    out += fmt::format("# {} inputs, {} gates, depth {}, max fan-in {}\n", s.inputs, s.size, s.depth, s.max_fanin);
    // Statements in gate order, so that reading gives back the same gate numbering; runs of
    // consecutive inputs share an input line (at most 16 names a line).
    std::size_t run = 0;
    for (std::size_t g = 0; g < c.gates.size(); ++g) {
        const Gate& gate = c.gates[g];
        if (gate.op == Op::Input) {
            out += run == 0 ? "input" : "";
            out += " " + names[g];
            if (++run == 16 || g + 1 == c.gates.size() || c.gates[g + 1].op != Op::Input) {
                out += '\n';
                run = 0;
            }
            continue;
        }
        if (gate.op == Op::Const) {
            out += fmt::format("const {} = {}\n", names[g], to_string(gate.value));
            continue;
        }
        out += fmt::format("{} = {}", names[g], op_name(gate.op));
        for (GateId in : gate.in) {
            out += ' ';
            out += names[in];
        }
        out += '\n';
    }
    for (std::size_t k = 0; k < c.outputs.size(); k += 16) {
        out += "output";
        for (std::size_t j = k; j < std::min(k + 16, c.outputs.size()); ++j) out += " " + names[c.outputs[j]];
        out += '\n';
    }
    return out;
}

}  // namespace ahat
