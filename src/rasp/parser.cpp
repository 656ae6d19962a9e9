// RASP lexer and recursive-descent parser (syntax.hpp). Precedences, lowest first, as the
// reference grammar orders its alternatives: `x in y`, `x if c else y` (left-associative),
// `and`/`or` (one level, left-associative), comparisons, `+ -`, `%`, `* /`, `^`, prefix
// `not - +`, then calls and indexing.
#include <cctype>

#include "rasp/syntax.hpp"
#include "support/utf8.hpp"

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
    auto advance = [&](std::size_t k) {  // columns count code points
        for (std::size_t j = 0; j < k && i < s.size(); ++j, ++i) {
            if (s[i] == '\n') ++line, col = 1;
            else if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++col;
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
                fail(t.loc, "unexpected character '{}'",
                     std::string(s.substr(i, std::min(utf8_length(static_cast<unsigned char>(c)), s.size() - i))));
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

class Parser {
public:
    Parser(std::vector<Tok> toks) : t_(std::move(toks)) {}

    std::vector<StmtPtr> program() {
        std::vector<StmtPtr> out;
        while (!at_end()) {
            if (StmtPtr s = repl_statement()) out.push_back(std::move(s));
            else out.push_back(statement());
        }
        return out;
    }

private:
    std::vector<Tok> t_;
    std::size_t p_ = 0;
    int depth_ = 0;

    struct Nest {  // bounds the recursion: parentheses, brackets, blocks
        Parser& p;
        Nest(Parser& parser, const SourceLoc& loc) : p(parser) {
            if (++p.depth_ > kMaxNesting) fail(loc, "nesting deeper than {} levels", kMaxNesting);
        }
        ~Nest() { --p.depth_; }
    };

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
        for (const char* k : {"def", "return", "if", "else", "not", "and", "or", "for", "in", "load"})
            if (s == k) return true;
        return false;
    }
    std::vector<std::string> ids(const char* what) {  // a, b, c
        std::vector<std::string> out{expect_id(what)};
        while (is(",")) {
            take();
            out.push_back(expect_id(what));
        }
        return out;
    }
    std::vector<ExprPtr> exprs() {  // e1, e2, ...
        std::vector<ExprPtr> out;
        out.push_back(expr());
        while (is(",")) {
            take();
            out.push_back(expr());
        }
        return out;
    }

    // The reference REPL's commands (top level only; they take no ';'). `set example` and the
    // display switches are accepted; the rest are refused with the reason.
    StmtPtr repl_statement() {
        const Tok& t = peek();
        if (t.type != Tok::Type::Id || is("=", 1) || is(",", 1)) return nullptr;
        auto st = std::make_unique<Stmt>();
        st->loc = t.loc;
        std::size_t k = 0;
        std::string subset;
        auto subset_at = [&](std::size_t at) -> std::size_t {  // tokens of "s-op" / "selector" at `at`
            if (is("s", at) && is("-", at + 1) && is("op", at + 2)) return 3;
            if (is("selector", at)) return 1;
            return 0;
        };
        auto finish = [&](std::size_t count) {
            for (std::size_t j = 0; j < count; ++j) take();
            if (is(";")) take();
        };
        if (t.text == "set") {
            k = 1 + subset_at(1);
            if (!is("example", k)) return nullptr;
            st->kind = Stmt::Kind::SetExample;
            st->name = subset_at(1) == 3 ? "s-op" : subset_at(1) == 1 ? "selector" : "";
            for (std::size_t j = 0; j <= k; ++j) take();
            st->exprs.push_back(expr());
            if (is(";")) take();
            return st;
        }
        if (t.text == "full" && is("seq", 1) && is("display", 2) && (is("on", 3) || is("off", 3))) {
            st->kind = Stmt::Kind::Note;
            st->name = "full seq display " + peek(3).text;
            finish(4);
            return st;
        }
        k = subset_at(0);
        if (is("examples", k) && (is("on", k + 1) || is("off", k + 1))) {
            st->kind = Stmt::Kind::Note;
            st->name = (k == 3 ? "s-op " : k == 1 ? "selector " : "") + std::string("examples ") + peek(k + 1).text;
            finish(k + 2);
            return st;
        }
        if (is("show", 0) && is("example", subset_at(1) + 1))
            fail(t.loc, "the REPL command 'show example' is not supported in a program file: it prints the REPL's "
                        "current example (`ahat rasp run` prints every result on its --input)");
        if (t.text == "exit" || t.text == "quit")  // keywords of the reference grammar, never names
            fail(t.loc, "the REPL command '{}' is not supported in a program file: it ends an interactive session",
                 t.text);
        return nullptr;
    }

    StmtPtr statement() {
        const Tok& t = peek();
        Nest nest(*this, t.loc);
        auto st = std::make_unique<Stmt>();
        st->loc = t.loc;
        if (t.type == Tok::Type::Id) {
            if (t.text == "def") return def();
            if (t.text == "for") return for_loop();
            if (t.text == "load") {
                take();
                if (peek().type != Tok::Type::Str) unexpected("a file name in double quotes");
                st->kind = Stmt::Kind::Load;
                const std::string& s = take().text;
                st->name = s.substr(1, s.size() - 2);
                expect(";");
                return st;
            }
            if (t.text == "return") fail(t.loc, "{}", "'return' outside a function (or not at the end of its body)");
            if (t.text == "draw" && is("(", 1))
                fail(t.loc, "draw(...) is not supported: ahat does not draw computation flows (`ahat rasp run` "
                            "prints the values, `ahat rasp compile` the layers and heads)");
            if (t.text == "import" || t.text == "from")
                fail(t.loc, "'{}' is not RASP: use load \"file\"", t.text);
            if (is("=", 1) || is(",", 1)) {
                st->kind = Stmt::Kind::Assign;
                st->names = ids("a name");
                expect("=");
                st->exprs = exprs();
                expect(";");
                return st;
            }
        }
        st->kind = Stmt::Kind::Expr;
        st->exprs.push_back(expr());
        expect(";");
        return st;
    }

    void block(Stmt& st, bool until_return) {
        expect("{");
        while (until_return ? !is("return") : !is("}")) {
            if (!until_return && at_end()) unexpected("'}'");
            if (until_return && is("}")) fail(peek().loc, "function '{}' has no return statement", st.name);
            if (until_return && at_end()) unexpected("'return'");
            st.body.push_back(statement());
        }
        if (!until_return) {
            if (st.body.empty()) fail(peek().loc, "a for loop's body needs a statement");
            take();
        }
    }

    StmtPtr def() {
        auto st = std::make_unique<Stmt>();
        st->loc = take().loc;
        st->kind = Stmt::Kind::Def;
        st->name = expect_id("a function name");
        expect("(");
        if (!is(")")) st->names = ids("a parameter name");
        expect(")");
        block(*st, true);
        take();
        st->exprs = exprs();
        expect(";");
        if (!is("}")) unexpected("'}' (a function ends with its return statement)");
        take();
        return st;
    }

    StmtPtr for_loop() {
        auto st = std::make_unique<Stmt>();
        st->loc = take().loc;
        st->kind = Stmt::Kind::For;
        st->names = ids("a loop variable");
        expect("in");
        st->exprs.push_back(expr());
        block(*st, false);
        return st;
    }

    // A node with its children: its height checked, so that evaluating and destroying the
    // tree (both recursive) stay shallow even for long operator chains.
    static ExprPtr grown(ExprPtr e) {
        for (const ExprPtr& a : e->args) e->height = std::max(e->height, a->height + 1);
        if (e->height > kMaxHeight) fail(e->loc, "an expression more than {} operations deep", kMaxHeight);
        return e;
    }

    static ExprPtr node(Expr::Kind k, SourceLoc loc, std::string op = {}) {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->loc = std::move(loc);
        e->op = std::move(op);
        return e;
    }

    ExprPtr expr() {  // `in`: the lowest precedence, left-associative
        Nest nest(*this, peek().loc);
        ExprPtr e = ternary();
        while (is("in")) {
            auto n = node(Expr::Kind::Binary, take().loc, "in");
            n->args.push_back(std::move(e));
            n->args.push_back(ternary());
            e = grown(std::move(n));
        }
        return e;
    }

    ExprPtr ternary() {  // left-associative
        ExprPtr e = logic();
        while (is("if")) {
            auto n = node(Expr::Kind::IfElse, take().loc);
            ExprPtr cond = expr();
            expect("else");
            n->args.push_back(std::move(e));
            n->args.push_back(std::move(cond));
            n->args.push_back(logic());
            e = grown(std::move(n));
        }
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
            e = grown(std::move(n));
        }
    }
    ExprPtr logic() { return binary_level({"and", "or"}, &Parser::comparison); }
    ExprPtr comparison() { return binary_level({"==", "!=", "<", "<=", ">", ">="}, &Parser::additive); }
    ExprPtr additive() { return binary_level({"+", "-"}, &Parser::modulo); }
    ExprPtr modulo() { return binary_level({"%"}, &Parser::multiplicative); }
    ExprPtr multiplicative() { return binary_level({"*", "/"}, &Parser::power); }
    ExprPtr power() { return binary_level({"^"}, &Parser::unary); }

    ExprPtr unary() {
        if (is("not") || is("-") || is("+")) {
            Nest nest(*this, peek().loc);
            auto n = node(Expr::Kind::Unary, peek().loc, take().text);
            n->args.push_back(unary());
            return grown(std::move(n));
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
                if (!is(")"))
                    for (ExprPtr& a : exprs()) n->args.push_back(std::move(a));
                expect(")");
                e = grown(std::move(n));
            } else if (is("[")) {
                auto n = node(Expr::Kind::Index, take().loc);
                n->args.push_back(std::move(e));
                n->args.push_back(expr());
                expect("]");
                e = grown(std::move(n));
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

    // [a, b], [v for x in xs], {k: v, ...}, {k: v for x in xs}; the opening bracket is next.
    ExprPtr collection() {
        const bool list = is("[");
        auto e = node(list ? Expr::Kind::List : Expr::Kind::Dict, take().loc);
        const char* close = list ? "]" : "}";
        if (is(close)) {
            take();
            return grown(std::move(e));
        }
        auto item = [&] {
            e->args.push_back(expr());
            if (!list) {
                expect(":");
                e->args.push_back(expr());
            }
        };
        item();
        if (is("for")) {
            take();
            e->kind = list ? Expr::Kind::ListComp : Expr::Kind::DictComp;
            e->names = ids("a loop variable");
            expect("in");
            e->args.push_back(expr());
            expect(close);
            return grown(std::move(e));
        }
        while (is(",")) {
            take();
            item();
        }
        expect(close);
        return e;
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
                if (t.text == "[" || t.text == "{") return collection();
                unexpected("an expression");
            case Tok::Type::Id: break;
        }
        if (is_keyword(t.text)) unexpected("an expression");
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
            return grown(std::move(e));
        }
        if (t.text == "aggregate" && is("(", 1)) {
            auto e = node(Expr::Kind::Aggregate, take().loc);
            e->args = call_args(2, 3, "aggregate");
            return grown(std::move(e));
        }
        if ((t.text == "round" || t.text == "indicator") && is("(", 1)) {
            auto e = node(Expr::Kind::Unary, t.loc, take().text);
            e->args = call_args(1, 1, e->op);
            return grown(std::move(e));
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
