// Elaboration of the syntax tree (syntax.hpp) into the Program DAG: names are resolved in
// nested environments like the reference (a function sees its defining environment, looked
// up when called), calls are inlined, constants are folded with Python's semantics
// (values.hpp), atoms used as SOps become Constant nodes, identical nodes are shared, and
// nodes no named result uses are dropped.
#include <deque>
#include <unordered_map>

#include "rasp/reader.hpp"
#include "rasp/syntax.hpp"
#include "rasp/values.hpp"

namespace ahat::rasp {
namespace {

using syntax::Expr;
using syntax::Stmt;

struct Env;
struct Function {
    const Stmt* def = nullptr;
    Env* closure = nullptr;
};

// An elaboration-time value: an atom, an SOp, a selector, a function or a builtin.
struct Val {
    enum class Kind : std::uint8_t { Atom, Sop, Sel, Func, SelectorWidth } kind = Kind::Atom;
    Value atom;
    std::uint32_t id = 0;
    Program::TokenKind tokens{};  // Sop: which tokens_* this is, when is_tokens
    bool is_tokens = false;
    const Function* func = nullptr;
};

const char* kind_word(const Val& v) {
    switch (v.kind) {
        case Val::Kind::Atom: return "a constant";
        case Val::Kind::Sop: return "an s-op";
        case Val::Kind::Sel: return "a selector";
        default: return "a function";
    }
}

struct Env {
    Env* parent = nullptr;
    std::unordered_map<std::string, Val> vars;
    const Val* find(const std::string& name) const {
        for (const Env* e = this; e; e = e->parent)
            if (auto it = e->vars.find(name); it != e->vars.end()) return &it->second;
        return nullptr;
    }
};

Pred pred_of(const std::string& op) {
    if (op == "==") return Pred::Eq;
    if (op == "!=") return Pred::Ne;
    if (op == "<") return Pred::Lt;
    if (op == "<=") return Pred::Le;
    if (op == ">") return Pred::Gt;
    return Pred::Ge;
}

SopOp binary_op(const std::string& op) {
    static const std::pair<const char*, SopOp> table[] = {
        {"+", SopOp::Add}, {"-", SopOp::Sub}, {"*", SopOp::Mul}, {"/", SopOp::Div}, {"%", SopOp::Mod},
        {"==", SopOp::Eq}, {"!=", SopOp::Ne}, {"<", SopOp::Lt}, {"<=", SopOp::Le}, {">", SopOp::Gt},
        {">=", SopOp::Ge}, {"and", SopOp::And}, {"or", SopOp::Or}};
    for (const auto& [name, o] : table)
        if (op == name) return o;
    return SopOp::Add;
}

std::string value_key(const Value& v) {
    switch (v.v.index()) {
        case 0: return "N";
        case 1: return std::get<bool>(v.v) ? "T" : "F";
        case 2: return "R" + to_string(std::get<Rational>(v.v));
        default: return "S" + std::get<std::string>(v.v);
    }
}

class Elaborator {
public:
    explicit Elaborator(const std::string& file) {
        prog_.file = file;
        Env& g = new_env(nullptr);
        global_ = &g;
        Val tok = sop(SopNode{SopOp::Tokens, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        tok.is_tokens = true;
        g.vars["tokens"] = g.vars["tokens_str"] = tok;
        tok.tokens = Program::TokenKind::Integer;
        g.vars["tokens_int"] = tok;
        g.vars["indices"] = sop(SopNode{SopOp::Indices, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        g.vars["length"] = sop(SopNode{SopOp::Length, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        g.vars["True"] = Val{Val::Kind::Atom, Value{true}};
        g.vars["False"] = Val{Val::Kind::Atom, Value{false}};
        g.vars["selector_width"].kind = Val::Kind::SelectorWidth;
    }

    void run(const std::vector<syntax::StmtPtr>& stmts) {
        for (const auto& s : stmts) statement(*s, *global_, true);
    }

    Program finish();

private:
    Program prog_;
    std::deque<Env> envs_;
    std::deque<Function> funcs_;
    Env* global_ = nullptr;
    std::unordered_map<std::string, std::uint32_t> sop_ids_, sel_ids_;
    std::vector<const Stmt*> calls_;
    bool tokens_seen_ = false;
    SourceLoc tokens_loc_;

    Env& new_env(Env* parent) {
        envs_.emplace_back();
        envs_.back().parent = parent;
        return envs_.back();
    }

    Val sop(SopNode n) {
        std::string key = fmt::format("{}|{}|{}|{}", static_cast<int>(n.op), fmt::join(n.args, ","), n.selector,
                                      value_key(n.constant));
        auto [it, fresh] = sop_ids_.try_emplace(key, static_cast<std::uint32_t>(prog_.sops.size()));
        if (fresh) prog_.sops.push_back(std::move(n));
        return Val{Val::Kind::Sop, {}, it->second};
    }
    Val sel(SelNode n) {
        std::string key = fmt::format("{}|{}|{}|{}|{}", static_cast<int>(n.op), n.keys, n.queries,
                                      static_cast<int>(n.pred), fmt::join(n.args, ","));
        auto [it, fresh] = sel_ids_.try_emplace(key, static_cast<std::uint32_t>(prog_.sels.size()));
        if (fresh) prog_.sels.push_back(std::move(n));
        return Val{Val::Kind::Sel, {}, it->second};
    }
    Val constant_sel(bool value, const SourceLoc& loc) {
        return sel(SelNode{SelOp::Select, 0, 0, value ? Pred::True : Pred::False, {}, loc});
    }
    bool is_constant_sel(const Val& v, Pred p) const {
        return v.kind == Val::Kind::Sel && prog_.sels[v.id].op == SelOp::Select && prog_.sels[v.id].pred == p;
    }

    void note_tokens(const Val& v, const SourceLoc& loc) {
        if (!v.is_tokens) return;
        if (!tokens_seen_) {
            tokens_seen_ = true;
            prog_.tokens = v.tokens;
            tokens_loc_ = loc;
        } else if (prog_.tokens != v.tokens) {
            fail(loc, "the program uses both tokens_str and tokens_int (the other at {}); an input has one kind",
                 tokens_loc_.str());
        }
    }

    // The SOp id of v: atoms become Constant nodes.
    std::uint32_t as_sop(const Val& v, const SourceLoc& loc, const char* where) {
        if (v.kind == Val::Kind::Atom) return sop(SopNode{SopOp::Constant, {}, 0, false, ValueType::Mixed, v.atom, loc}).id;
        if (v.kind != Val::Kind::Sop) fail(loc, "{} expects an s-op or a constant, got {}", where, kind_word(v));
        return v.id;
    }

    Val elementwise(SopOp op, std::vector<const Val*> operands, const SourceLoc& loc, const char* name) {
        bool any_sop = false;
        for (const Val* v : operands) {
            if (v->kind == Val::Kind::Sel) fail(loc, "cannot apply '{}' to a selector", name);
            if (v->kind != Val::Kind::Atom && v->kind != Val::Kind::Sop) fail(loc, "cannot apply '{}' to a function", name);
            any_sop = any_sop || v->kind == Val::Kind::Sop;
        }
        if (!any_sop) {  // fold
            const Value* args[3] = {};
            for (std::size_t i = 0; i < operands.size(); ++i) args[i] = &operands[i]->atom;
            return Val{Val::Kind::Atom, apply(op, args, loc)};
        }
        SopNode n{op, {}, 0, false, ValueType::Mixed, {}, loc};
        for (const Val* v : operands) n.args.push_back(as_sop(*v, loc, name));
        return sop(std::move(n));
    }

    Val logic(const std::string& op, const Val& a, const Val& b, const SourceLoc& loc) {
        bool is_and = op == "and";
        if (a.kind == Val::Kind::Sel || b.kind == Val::Kind::Sel) {
            if (a.kind != b.kind) fail(loc, "cannot apply '{}' to a selector and {}", op, kind_word(a.kind == Val::Kind::Sel ? b : a));
            Pred absorbing = is_and ? Pred::False : Pred::True, neutral = is_and ? Pred::True : Pred::False;
            if (is_constant_sel(a, absorbing) || is_constant_sel(b, neutral)) return a;
            if (is_constant_sel(b, absorbing) || is_constant_sel(a, neutral)) return b;
            std::uint32_t x = std::min(a.id, b.id), y = std::max(a.id, b.id);  // and/or commute
            if (x == y) return a;
            return sel(SelNode{is_and ? SelOp::And : SelOp::Or, 0, 0, Pred::True, {x, y}, loc});
        }
        if (a.kind == Val::Kind::Atom && b.kind == Val::Kind::Atom)  // Python: returns an operand
            return truthy(a.atom) == is_and ? b : a;
        return elementwise(is_and ? SopOp::And : SopOp::Or, {&a, &b}, loc, op.c_str());
    }

    Val unary(const Expr& e, Env& env) {
        Val a = eval(*e.args[0], env);
        const std::string& op = e.op;
        if (op == "not" && a.kind == Val::Kind::Sel) {
            if (is_constant_sel(a, Pred::True)) return constant_sel(false, e.loc);
            if (is_constant_sel(a, Pred::False)) return constant_sel(true, e.loc);
            return sel(SelNode{SelOp::Not, 0, 0, Pred::True, {a.id}, e.loc});
        }
        if (op == "+") {  // the identity on numbers
            if (a.kind == Val::Kind::Sop || (a.kind == Val::Kind::Atom && (a.atom.is_number() || a.atom.is_bool())))
                return a;
            fail(e.loc, "cannot apply unary '+' to {}", a.kind == Val::Kind::Atom ? "a string" : kind_word(a));
        }
        if (op == "indicator" && a.kind != Val::Kind::Sop) fail(e.loc, "indicator expects an s-op, got {}", kind_word(a));
        SopOp o = op == "not" ? SopOp::Not : op == "-" ? SopOp::Neg : op == "round" ? SopOp::Round : SopOp::Indicator;
        return elementwise(o, {&a}, e.loc, op.c_str());
    }

    Val if_else(const Expr& e, Env& env) {
        Val cond = eval(*e.args[1], env);
        if (cond.kind == Val::Kind::Atom) return eval(*e.args[truthy(cond.atom) ? 0 : 2], env);  // lazy, as the reference
        if (cond.kind != Val::Kind::Sop) fail(e.args[1]->loc, "the condition of 'if' must be an s-op or a constant, got {}", kind_word(cond));
        Val a = eval(*e.args[0], env), b = eval(*e.args[2], env);
        return elementwise(SopOp::IfElse, {&a, &cond, &b}, e.loc, "if/else");
    }

    Val select(const Expr& e, Env& env) {
        Val k = eval(*e.args[0], env), q = eval(*e.args[1], env);
        Pred p = pred_of(e.op);
        if (k.kind == Val::Kind::Atom && q.kind == Val::Kind::Atom) return constant_sel(holds(p, k.atom, q.atom, e.loc), e.loc);
        std::uint32_t kid = as_sop(k, e.args[0]->loc, "select"), qid = as_sop(q, e.args[1]->loc, "select");
        return sel(SelNode{SelOp::Select, kid, qid, p, {}, e.loc});
    }

    Val aggregate(const Expr& e, Env& env) {
        Val s = eval(*e.args[0], env);
        if (s.kind != Val::Kind::Sel) fail(e.args[0]->loc, "aggregate expects a selector first, got {}", kind_word(s));
        Val values = eval(*e.args[1], env);
        std::uint32_t vid = as_sop(values, e.args[1]->loc, "aggregate");
        Value dflt{Rational(0)};
        if (e.args.size() == 3) {
            Val d = eval(*e.args[2], env);
            if (d.kind != Val::Kind::Atom) fail(e.args[2]->loc, "aggregate's default must be a constant, got {}", kind_word(d));
            dflt = d.atom;
        }
        return sop(SopNode{SopOp::Aggregate, {vid}, s.id, false, ValueType::Mixed, std::move(dflt), e.loc});
    }

    Val call(const Expr& e, Env& env) {
        Val f = eval(*e.args[0], env);
        std::size_t nargs = e.args.size() - 1;
        if (f.kind == Val::Kind::SelectorWidth) {
            if (nargs != 1) fail(e.loc, "selector_width takes 1 argument, got {}", nargs);
            Val s = eval(*e.args[1], env);
            if (s.kind != Val::Kind::Sel) fail(e.args[1]->loc, "selector_width expects a selector, got {}", kind_word(s));
            return sop(SopNode{SopOp::SelectorWidth, {}, s.id, false, ValueType::Mixed, {}, e.loc});
        }
        if (f.kind == Val::Kind::Sop || f.kind == Val::Kind::Sel)
            fail(e.loc, "applying {} to an input is not supported inside a program", kind_word(f));
        if (f.kind != Val::Kind::Func) fail(e.loc, "a constant is not a function");
        const Stmt& def = *f.func->def;
        if (nargs != def.params.size())
            fail(e.loc, "function '{}' takes {} argument{}, got {}", def.name, def.params.size(),
                 def.params.size() == 1 ? "" : "s", nargs);
        for (const Stmt* active : calls_)
            if (active == &def)
                fail(e.loc, "recursive call of '{}' (defined at {}): recursion is not supported", def.name, def.loc.str());
        Env& local = new_env(f.func->closure);
        for (std::size_t i = 0; i < nargs; ++i) local.vars[def.params[i]] = eval(*e.args[i + 1], env);
        calls_.push_back(&def);
        for (const auto& s : def.body) statement(*s, local, false);
        Val result = eval(*def.expr, local);
        calls_.pop_back();
        return result;
    }

    Val name(const Expr& e, Env& env) {
        if (const Val* v = env.find(e.op)) {
            note_tokens(*v, e.loc);
            return *v;
        }
        const std::string& n = e.op;
        if (n == "tokens_float" || n == "tokens_bool" || n == "tokens_asis")
            fail(e.loc, "{} is not supported: tokens are strings (tokens_str) or integers (tokens_int)", n);
        if (n == "numerical" || n == "categorical" || n == "map" || n == "zipmap" || n == "Map" || n == "SequenceMap")
            fail(e.loc, "'{}' is not supported: it is not part of the reference RASP language (lambdas and maps are "
                        "not RASP; numerical/categorical is decided by the values' type)", n);
        fail(e.loc, "unknown name '{}'", n);
    }

    Val eval(const Expr& e, Env& env) {
        switch (e.kind) {
            case Expr::Kind::Atom: return Val{Val::Kind::Atom, e.value};
            case Expr::Kind::Name: return name(e, env);
            case Expr::Kind::Unary: return unary(e, env);
            case Expr::Kind::Binary: {
                Val a = eval(*e.args[0], env), b = eval(*e.args[1], env);
                if (e.op == "and" || e.op == "or") return logic(e.op, a, b, e.loc);
                return elementwise(binary_op(e.op), {&a, &b}, e.loc, e.op.c_str());
            }
            case Expr::Kind::IfElse: return if_else(e, env);
            case Expr::Kind::Select: return select(e, env);
            case Expr::Kind::Aggregate: return aggregate(e, env);
            case Expr::Kind::Call: return call(e, env);
        }
        fail(e.loc, "internal: unknown expression");
    }

    void record(const std::string& n, const Val& v, const SourceLoc& loc) {
        Ref r;
        if (v.kind == Val::Kind::Sop) {
            r = Ref{Ref::Kind::Sop, v.id, {}};
        } else if (v.kind == Val::Kind::Sel) {
            r = Ref{Ref::Kind::Selector, v.id, {}};
        } else if (v.kind == Val::Kind::Atom) {
            r = Ref{Ref::Kind::Constant, 0, v.atom};
        } else {
            return;  // functions are not results
        }
        prog_.named.push_back(Named{n, std::move(r), loc});
    }

    void statement(const Stmt& s, Env& env, bool top) {
        switch (s.kind) {
            case Stmt::Kind::Def:
                funcs_.push_back(Function{&s, &env});
                assign(s.name, Val{Val::Kind::Func, {}, 0, {}, false, &funcs_.back()}, env, s.loc);
                return;
            case Stmt::Kind::Assign: {
                Val v = eval(*s.expr, env);
                assign(s.name, v, env, s.loc);
                if (top) record(s.name, v, s.loc);
                return;
            }
            case Stmt::Kind::Expr: {
                Val v = eval(*s.expr, env);
                if (top) record("out", v, s.loc);
                return;
            }
        }
    }

    void assign(const std::string& n, Val v, Env& env, const SourceLoc& loc) {
        for (const char* r : {"indices", "tokens_str", "tokens_int", "tokens_float", "tokens_bool", "tokens_asis",
                              "True", "False", "out", "selector_width"})
            if (n == r) fail(loc, "cannot assign to the reserved name '{}'", n);
        env.vars[n] = std::move(v);
    }
};

ValueType type_of(const Program& p, const SopNode& n) {
    auto arg = [&](std::size_t i) { return p.sops[n.args[i]].type; };
    auto num = [](ValueType t) { return t == ValueType::Number || t == ValueType::Bool; };
    switch (n.op) {
        case SopOp::Tokens: return p.tokens == Program::TokenKind::String ? ValueType::String : ValueType::Number;
        case SopOp::Constant:
            return n.constant.is_string() ? ValueType::String : n.constant.is_bool() ? ValueType::Bool : ValueType::Number;
        case SopOp::Add:
            if (arg(0) == ValueType::String && arg(1) == ValueType::String) return ValueType::String;
            return num(arg(0)) && num(arg(1)) ? ValueType::Number : ValueType::Mixed;
        case SopOp::Eq: case SopOp::Ne: case SopOp::Lt: case SopOp::Le: case SopOp::Gt: case SopOp::Ge:
        case SopOp::And: case SopOp::Or: case SopOp::Not:
            return ValueType::Bool;
        case SopOp::IfElse:
            if (arg(0) == arg(2)) return arg(0);
            return num(arg(0)) && num(arg(2)) ? ValueType::Number : ValueType::Mixed;
        case SopOp::Aggregate: return arg(0);
        default: return ValueType::Number;  // indices, length, arithmetic, indicator, round, width
    }
}

Program Elaborator::finish() {
    // Keep the nodes some named result uses, renumbered in their order.
    std::vector<char> live_sop(prog_.sops.size()), live_sel(prog_.sels.size());
    std::vector<std::pair<bool, std::uint32_t>> work;  // (is selector, id)
    for (const Named& n : prog_.named)
        if (n.ref.kind != Ref::Kind::Constant) work.emplace_back(n.ref.kind == Ref::Kind::Selector, n.ref.id);
    while (!work.empty()) {
        auto [is_sel, id] = work.back();
        work.pop_back();
        char& mark = is_sel ? live_sel[id] : live_sop[id];
        if (mark) continue;
        mark = 1;
        if (is_sel) {
            const SelNode& s = prog_.sels[id];
            for (std::uint32_t a : s.args) work.emplace_back(true, a);
            if (s.op == SelOp::Select && s.pred != Pred::True && s.pred != Pred::False) {
                work.emplace_back(false, s.keys);
                work.emplace_back(false, s.queries);
            }
        } else {
            const SopNode& s = prog_.sops[id];
            for (std::uint32_t a : s.args) work.emplace_back(false, a);
            if (s.op == SopOp::Aggregate || s.op == SopOp::SelectorWidth) work.emplace_back(true, s.selector);
        }
    }
    std::vector<std::uint32_t> sop_new(prog_.sops.size()), sel_new(prog_.sels.size());
    Program out;
    out.file = prog_.file;
    out.tokens = prog_.tokens;
    for (std::size_t i = 0; i < prog_.sels.size(); ++i)
        if (live_sel[i]) sel_new[i] = static_cast<std::uint32_t>(out.sels.size()), out.sels.push_back(prog_.sels[i]);
    for (std::size_t i = 0; i < prog_.sops.size(); ++i)
        if (live_sop[i]) sop_new[i] = static_cast<std::uint32_t>(out.sops.size()), out.sops.push_back(prog_.sops[i]);
    for (SelNode& s : out.sels) {
        for (std::uint32_t& a : s.args) a = sel_new[a];
        if (s.op == SelOp::Select && s.pred != Pred::True && s.pred != Pred::False) {
            s.keys = sop_new[s.keys];
            s.queries = sop_new[s.queries];
        } else {
            s.keys = s.queries = 0;
        }
    }
    for (SopNode& s : out.sops) {
        for (std::uint32_t& a : s.args) a = sop_new[a];
        if (s.op == SopOp::Aggregate || s.op == SopOp::SelectorWidth) s.selector = sel_new[s.selector];
        s.type = type_of(out, s);
        s.numerical = s.op == SopOp::Aggregate && s.type == ValueType::Number;
    }
    out.named = std::move(prog_.named);
    for (Named& n : out.named)
        if (n.ref.kind == Ref::Kind::Sop) n.ref.id = sop_new[n.ref.id];
        else if (n.ref.kind == Ref::Kind::Selector) n.ref.id = sel_new[n.ref.id];
    return out;
}

}  // namespace

Program read_rasp(std::string_view text, const std::string& file) {
    auto stmts = syntax::parse_rasp(text, file);
    Elaborator el(file);
    el.run(stmts);
    return el.finish();
}

Program load_rasp(const std::string& path) { return read_rasp(read_file(path), path); }

}  // namespace ahat::rasp
