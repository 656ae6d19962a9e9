// RASP lexer and recursive-descent parser (syntax.hpp). Precedences, lowest first, as the
// reference grammar orders its alternatives: `x if c else y` (left-associative), `and`/`or`
// (one level, left-associative), comparisons, `+ -`, `%`, `* /`, prefix `not - +`, then calls.
#include <cctype>

#include "rasp/syntax.hpp"

namespace ahat::rasp::syntax {
namespace {

struct Tok {
    enum class Type : std::uint8_t { Id, Int, Float, Str, Punct, End } type = Type::End;
    std::string text;
    SourceLoc loc;
};

std::vector<Tok> lex(std::string_view s, const std::string& file) {
    std::vector<Tok> out;
    std::uint32_t line = 1, col = 1;
    std::size_t i = 0;
    auto advance = [&](std::size_t k) {
        for (std::size_t j = 0; j < k; ++j, ++i) {
            if (s[i] == '\n') ++line, col = 1;
            else ++col;
        }
    };
    while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            advance(1);
            continue;
        }
        if (c == '#') {
            while (i < s.size() && s[i] != '\n') advance(1);
            continue;
        }
        Tok t;
        t.loc = SourceLoc{file, line, col};
        std::size_t j = i;
        auto is_digit = [&](std::size_t k) { return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])); };
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
            t.type = Tok::Type::Id;
        } else if (is_digit(i)) {
            while (is_digit(j)) ++j;
            t.type = Tok::Type::Int;
            if (j < s.size() && s[j] == '.' && is_digit(j + 1)) {
                ++j;
                while (is_digit(j)) ++j;
                t.type = Tok::Type::Float;
            }
        } else if (c == '"') {
            ++j;
            while (j < s.size() && s[j] != '"' && s[j] != '\n' && s[j] != '\r') ++j;
            if (j >= s.size() || s[j] != '"') fail(t.loc, "unterminated string literal");
            ++j;
            t.type = Tok::Type::Str;
        } else {
            static const char* two[] = {"==", "!=", "<=", ">="};
            t.type = Tok::Type::Punct;
            j = i + 1;
            for (const char* op : two)
                if (s.substr(i, 2) == op) j = i + 2;
            if (j == i + 1 && std::string_view("()[]{},;:=<>+-*/%^.").find(c) == std::string_view::npos)
                fail(t.loc, "unexpected character '{}'", std::string(1, c));
        }
        t.text = std::string(s.substr(i, j - i));
        advance(j - i);
        out.push_back(std::move(t));
    }
    Tok end;
    end.loc = SourceLoc{file, line, col};
    out.push_back(std::move(end));
    return out;
}

// Names of reference-RASP constructs outside the supported subset, with what they are.
const char* unsupported_call(const std::string& name) {
    if (name == "range") return "range(...) (lists are not supported)";
    if (name == "zip") return "zip(...) (lists are not supported)";
    if (name == "len") return "len(...) (lists are not supported)";
    if (name == "draw") return "draw(...)";
    return nullptr;
}

class Parser {
public:
    Parser(std::vector<Tok> toks) : t_(std::move(toks)) {}

    std::vector<StmtPtr> program() {
        std::vector<StmtPtr> out;
        while (!at_end()) out.push_back(statement(false));
        return out;
    }

private:
    std::vector<Tok> t_;
    std::size_t p_ = 0;

    const Tok& peek(std::size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
    bool at_end() const { return peek().type == Tok::Type::End; }
    bool is(const char* text, std::size_t k = 0) const {
        const Tok& t = peek(k);
        return (t.type == Tok::Type::Punct || t.type == Tok::Type::Id) && t.text == text;
    }
    const Tok& take() { return t_[std::min(p_++, t_.size() - 1)]; }
    [[noreturn]] void unexpected(const std::string& wanted) const {
        const Tok& t = peek();
        if (t.type == Tok::Type::End) fail(t.loc, "expected {}, found the end of the file", wanted);
        fail(t.loc, "expected {}, found '{}'", wanted, t.text);
    }
    const Tok& expect(const char* text) {
        if (!is(text)) unexpected(fmt::format("'{}'", text));
        return take();
    }
    std::string expect_id(const char* what) {
        if (peek().type != Tok::Type::Id || is_keyword(peek().text)) unexpected(what);
        return take().text;
    }
    static bool is_keyword(const std::string& s) {
        for (const char* k : {"def", "return", "if", "else", "not", "and", "or", "for", "in"})
            if (s == k) return true;
        return false;
    }

    StmtPtr statement(bool in_def) {
        const Tok& t = peek();
        auto st = std::make_unique<Stmt>();
        st->loc = t.loc;
        if (t.type == Tok::Type::Id) {
            if (t.text == "def") return def();
            if (t.text == "for") fail(t.loc, "for loops are not supported (RASP programs here are straight-line)");
            if (t.text == "load") fail(t.loc, "load statements are not supported: put the whole program in one file");
            if (t.text == "return") fail(t.loc, "{}", in_def ? "unexpected 'return'" : "'return' outside a function");
            if ((t.text == "set" || t.text == "show" || t.text == "exit" || t.text == "quit" || t.text == "examples" ||
                 t.text == "full") && !is("=", 1))
                fail(t.loc, "REPL command '{}' is not supported in a program file", t.text);
            if (t.text == "import" || t.text == "from")
                fail(t.loc, "'{}' is not RASP: imports are not supported", t.text);
            if (is("=", 1) || is(",", 1)) {
                st->kind = Stmt::Kind::Assign;
                st->name = expect_id("a name");
                if (is(",")) fail(peek().loc, "multiple assignment (a, b = ...) is not supported");
                expect("=");
                st->expr = expr();
                if (is(",")) fail(peek().loc, "multiple assignment (a = x, y) is not supported");
                expect(";");
                return st;
            }
        }
        st->kind = Stmt::Kind::Expr;
        st->expr = expr();
        expect(";");
        return st;
    }

    StmtPtr def() {
        auto st = std::make_unique<Stmt>();
        st->loc = take().loc;
        st->kind = Stmt::Kind::Def;
        st->name = expect_id("a function name");
        expect("(");
        if (!is(")")) {
            st->params.push_back(expect_id("a parameter name"));
            while (is(",")) {
                take();
                st->params.push_back(expect_id("a parameter name"));
            }
        }
        expect(")");
        expect("{");
        while (!is("return")) {
            if (is("}")) fail(peek().loc, "function '{}' has no return statement", st->name);
            if (at_end()) unexpected("'return'");
            st->body.push_back(statement(true));
        }
        take();
        st->expr = expr();
        if (is(",")) fail(peek().loc, "returning several values is not supported");
        expect(";");
        if (!is("}")) unexpected("'}' (a function ends with its return statement)");
        take();
        return st;
    }

    static ExprPtr node(Expr::Kind k, SourceLoc loc, std::string op = {}) {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->loc = std::move(loc);
        e->op = std::move(op);
        return e;
    }

    ExprPtr expr() {  // ternary: left-associative, lowest precedence
        ExprPtr e = logic();
        while (is("if")) {
            auto n = node(Expr::Kind::IfElse, take().loc);
            ExprPtr cond = expr();
            expect("else");
            n->args.push_back(std::move(e));
            n->args.push_back(std::move(cond));
            n->args.push_back(logic());
            e = std::move(n);
        }
        if (is("in")) fail(peek().loc, "'in' is not supported (lists are not supported)");
        return e;
    }

    template <class Next>
    ExprPtr binary_level(std::initializer_list<const char*> ops, Next next) {
        ExprPtr e = (this->*next)();
        for (;;) {
            const char* found = nullptr;
            for (const char* op : ops)
                if (is(op)) found = op;
            if (!found) return e;
            auto n = node(Expr::Kind::Binary, take().loc, found);
            n->args.push_back(std::move(e));
            n->args.push_back((this->*next)());
            e = std::move(n);
        }
    }
    ExprPtr logic() { return binary_level({"and", "or"}, &Parser::comparison); }
    ExprPtr comparison() { return binary_level({"==", "!=", "<", "<=", ">", ">="}, &Parser::additive); }
    ExprPtr additive() { return binary_level({"+", "-"}, &Parser::modulo); }
    ExprPtr modulo() { return binary_level({"%"}, &Parser::multiplicative); }
    ExprPtr multiplicative() { return binary_level({"*", "/"}, &Parser::power); }
    ExprPtr power() {
        ExprPtr e = unary();
        if (is("^")) fail(peek().loc, "the power operator '^' is not supported");
        return e;
    }

    ExprPtr unary() {
        if (is("not") || is("-") || is("+")) {
            auto n = node(Expr::Kind::Unary, peek().loc, take().text);
            n->args.push_back(unary());
            return n;
        }
        return postfix();
    }

    ExprPtr postfix() {
        ExprPtr e = primary();
        for (;;) {
            if (is("(")) {
                auto n = node(Expr::Kind::Call, e->loc);
                take();
                n->args.push_back(std::move(e));
                if (!is(")")) {
                    n->args.push_back(expr());
                    while (is(",")) {
                        take();
                        n->args.push_back(expr());
                    }
                }
                expect(")");
                e = std::move(n);
            } else if (is("[")) {
                fail(peek().loc, "indexing (x[i]) is not supported");
            } else if (is(".")) {
                fail(peek().loc, "attribute access ('.') is not RASP");
            } else {
                return e;
            }
        }
    }

    std::vector<ExprPtr> call_args(std::size_t min, std::size_t max, const std::string& what) {
        const Tok& open = expect("(");
        std::vector<ExprPtr> args;
        if (!is(")")) {
            args.push_back(expr());
            while (is(",")) {
                take();
                if (args.size() == 2 && what == "select") break;  // the comparison follows
                args.push_back(expr());
            }
        }
        if (what != "select") expect(")");
        if (args.size() < min || args.size() > max)
            fail(open.loc, "{} takes {} arguments, got {}", what,
                 min == max ? std::to_string(min) : fmt::format("{} or {}", min, max), args.size());
        return args;
    }

    ExprPtr primary() {
        const Tok& t = peek();
        switch (t.type) {
            case Tok::Type::Int:
            case Tok::Type::Float: {
                auto e = node(Expr::Kind::Atom, t.loc);
                e->value.v = *parse_rational(take().text);
                return e;
            }
            case Tok::Type::Str: {
                auto e = node(Expr::Kind::Atom, t.loc);
                const std::string& s = take().text;
                e->value.v = s.substr(1, s.size() - 2);
                return e;
            }
            case Tok::Type::End: unexpected("an expression");
            case Tok::Type::Punct:
                if (t.text == "(") {
                    take();
                    ExprPtr e = expr();
                    expect(")");
                    return e;
                }
                if (t.text == "[") fail(t.loc, "lists ([...]) and list comprehensions are not supported");
                if (t.text == "{") fail(t.loc, "dicts ({{...}}) and dict comprehensions are not supported");
                unexpected("an expression");
            case Tok::Type::Id: break;
        }
        if (is_keyword(t.text)) unexpected("an expression");
        if (const char* what = unsupported_call(t.text); what && is("(", 1)) fail(t.loc, "{} is not supported", what);
        if (t.text == "lambda") fail(t.loc, "lambda is not RASP (RASP has no lambdas; use def)");
        if (t.text == "select" && is("(", 1)) {
            auto e = node(Expr::Kind::Select, take().loc);
            e->args = call_args(2, 2, "select");
            const Tok& op = peek();
            for (const char* c : {"==", "!=", "<", "<=", ">", ">="})
                if (is(c)) e->op = c;
            if (e->op.empty()) fail(op.loc, "select's third argument must be one of == != < <= > >=");
            take();
            expect(")");
            return e;
        }
        if (t.text == "aggregate" && is("(", 1)) {
            auto e = node(Expr::Kind::Aggregate, take().loc);
            e->args = call_args(2, 3, "aggregate");
            return e;
        }
        if ((t.text == "round" || t.text == "indicator") && is("(", 1)) {
            auto e = node(Expr::Kind::Unary, t.loc, take().text);
            e->args = call_args(1, 1, e->op);
            return e;
        }
        auto e = node(Expr::Kind::Name, t.loc, take().text);
        return e;
    }
};

}  // namespace

std::vector<StmtPtr> parse_rasp(std::string_view text, const std::string& file) {
    return Parser(lex(text, file)).program();
}

}  // namespace ahat::rasp::syntax
