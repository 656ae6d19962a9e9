// Elaboration of the syntax tree (syntax.hpp) into the Program DAG: names are resolved in
// nested environments like the reference (a function sees its defining environment, looked
// up when called), calls are inlined, constants are folded with Python's semantics
// (values.hpp), atoms used as SOps become Constant nodes, identical nodes are shared, and
// nodes no named result uses are dropped. Lists, dicts, comprehensions, loops, `in` and
// indexing by constants are evaluated here, when the program is read, as the reference does;
// an s-op indexing a list or dict becomes a Lookup node.
#include <deque>
#include <filesystem>
#include <memory>
#include <unordered_map>

#include "rasp/eval.hpp"
#include "rasp/reader.hpp"
#include "rasp/syntax.hpp"
#include "rasp/values.hpp"
#include "support/utf8.hpp"

namespace ahat::rasp {
namespace {

using syntax::Expr;
using syntax::Stmt;

struct Env;
struct Function {
    const Stmt* def = nullptr;
    Env* closure = nullptr;
};

// An elaboration-time value: an atom, an SOp, a selector, a function, a builtin, or a list
// or dict of values (lists and dicts exist only while the program is read, as in the
// reference, which evaluates them when a statement runs).
struct Val {
    enum class Kind : std::uint8_t { Atom, Sop, Sel, Func, Builtin, List, Dict } kind = Kind::Atom;
    Value atom{};                 // Atom; Builtin: its name
    std::uint32_t id = 0;
    Program::TokenKind tokens{};  // Sop: which tokens_* this is, when is_tokens
    bool is_tokens = false;
    const Function* func = nullptr;
    std::shared_ptr<const std::vector<Val>> items{};   // List: the elements; Dict: the values
    std::shared_ptr<const std::vector<Value>> keys{};  // Dict: the keys, in insertion order
};

Val list_val(std::vector<Val> items) {
    Val v{Val::Kind::List};
    v.items = std::make_shared<const std::vector<Val>>(std::move(items));
    return v;
}

const char* kind_word(const Val& v) {
    switch (v.kind) {
        case Val::Kind::Atom: return "a constant";
        case Val::Kind::Sop: return "an s-op";
        case Val::Kind::Sel: return "a selector";
        case Val::Kind::List: return "a list";
        case Val::Kind::Dict: return "a dict";
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
        {"^", SopOp::Pow}, {"==", SopOp::Eq}, {"!=", SopOp::Ne}, {"<", SopOp::Lt}, {"<=", SopOp::Le},
        {">", SopOp::Gt}, {">=", SopOp::Ge}, {"and", SopOp::And}, {"or", SopOp::Or}};
    for (const auto& [name, o] : table)
        if (op == name) return o;
    return SopOp::Add;
}

std::string value_key(const Value& v) {
    switch (v.v.index()) {
        case 0: return "N";
        case 1: return std::get<bool>(v.v) ? "T" : "F";
        case 2: {
            std::string key(1, 'R');  // appended, not "R" + ...: GCC 12 warns (-Wrestrict) falsely
            key += to_string(std::get<Rational>(v.v));
            return key;
        }
        default: {
            std::string key(1, 'S');
            key += std::to_string(std::get<std::string>(v.v).size());
            key += ':';
            key += std::get<std::string>(v.v);
            return key;
        }
    }
}

// A Python int (a bool counts) as an index, or nullopt.
std::optional<std::int64_t> as_index(const Value& v) {
    if (v.is_bool()) return std::get<bool>(v.v) ? 1 : 0;
    std::int64_t k = 0;
    if (v.is_number() && small_int(std::get<Rational>(v.v), &k)) return k;
    return std::nullopt;
}

// How a dict key is shown in a named result: d["a"], d[3].
std::string key_text(const Value& v) {
    if (v.is_string()) return "\"" + std::get<std::string>(v.v) + "\"";
    if (v.is_bool()) return std::get<bool>(v.v) ? "True" : "False";
    if (v.is_number()) return to_string(std::get<Rational>(v.v));
    return "None";
}

// Limits that keep reading a program finite and small (loops run when the program is read).
constexpr std::size_t kMaxListSize = 1'000'000;
constexpr std::size_t kMaxCallDepth = 100;
constexpr std::size_t kMaxLoadDepth = 32;
constexpr std::size_t kMaxEvalDepth = 3000;

class Elaborator {
public:
    Elaborator(const std::string& file, const ReadOptions& opts) : opts_(opts) {
        prog_.file = file;
        Env& g = new_env(nullptr);
        base_ = &g;
        Val tok = sop(SopNode{SopOp::Tokens, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        tok.is_tokens = true;
        g.vars["tokens"] = g.vars["tokens_str"] = tok;
        tok.tokens = Program::TokenKind::Integer;
        g.vars["tokens_int"] = tok;
        g.vars["indices"] = sop(SopNode{SopOp::Indices, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        g.vars["length"] = sop(SopNode{SopOp::Length, {}, 0, false, ValueType::Mixed, {}, SourceLoc{file, 0, 0}});
        g.vars["True"] = Val{Val::Kind::Atom, Value{true}};
        g.vars["False"] = Val{Val::Kind::Atom, Value{false}};
        for (const char* b : {"selector_width", "range", "zip", "len"}) g.vars[b] = Val{Val::Kind::Builtin, Value{std::string(b)}};
        if (opts_.prelude) {
            prelude_ = syntax::parse_rasp(prelude_text(), "<prelude>");
            for (const auto& s : prelude_) statement(*s, g, false);
        }
        user_ = &new_env(base_);
    }

    void run(const std::vector<syntax::StmtPtr>& stmts) {
        files_.push_back(prog_.file);
        for (const auto& s : stmts) statement(*s, *user_, true);
    }

    Program finish();

private:
    ReadOptions opts_;
    Program prog_;
    std::deque<Env> envs_;
    std::deque<Function> funcs_;
    std::vector<syntax::StmtPtr> prelude_;
    std::deque<std::vector<syntax::StmtPtr>> loaded_;  // loaded files' statements (functions point into them)
    std::vector<std::string> files_;                  // the files being read, outermost first
    Env* base_ = nullptr;                             // builtins and the prelude
    Env* user_ = nullptr;
    std::unordered_map<std::string, std::uint32_t> sop_ids_, sel_ids_;
    std::vector<const Stmt*> calls_;
    std::size_t steps_ = 0, eval_depth_ = 0;
    bool tokens_seen_ = false;
    SourceLoc tokens_loc_;

    Env& new_env(Env* parent) {
        envs_.emplace_back();
        envs_.back().parent = parent;
        return envs_.back();
    }

    void step(const SourceLoc& loc) {
        if (++steps_ > opts_.max_steps)
            fail(loc, "reading the program runs more than {} statements and comprehension elements (loops run "
                      "when the program is read)", opts_.max_steps);
    }

    Val sop(SopNode n) {
        std::string key = fmt::format("{}|{}|{}|{}", static_cast<int>(n.op), fmt::join(n.args, ","), n.selector,
                                      value_key(n.constant));
        for (const auto& [k, v] : n.table) key += "|" + value_key(k) + "=" + value_key(v);
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
    Val constant_sop(const Value& v, const SourceLoc& loc) {
        return sop(SopNode{SopOp::Constant, {}, 0, false, ValueType::Mixed, v, loc});
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
        if (v.kind == Val::Kind::Atom) return constant_sop(v.atom, loc).id;
        if (v.kind != Val::Kind::Sop) fail(loc, "{} expects an s-op or a constant, got {}", where, kind_word(v));
        return v.id;
    }

    Val elementwise(SopOp op, std::vector<const Val*> operands, const SourceLoc& loc, const char* name) {
        bool any_sop = false;
        for (const Val* v : operands) {
            if (v->kind != Val::Kind::Atom && v->kind != Val::Kind::Sop) fail(loc, "cannot apply '{}' to {}", name, kind_word(*v));
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

    // Python truthiness of a value known when the program is read (atoms, lists, dicts).
    static std::optional<bool> static_truth(const Val& v) {
        if (v.kind == Val::Kind::Atom) return truthy(v.atom);
        if (v.kind == Val::Kind::List || v.kind == Val::Kind::Dict) return !v.items->empty();
        return std::nullopt;
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
        auto ta = static_truth(a), tb = static_truth(b);
        if (ta && tb) return *ta == is_and ? b : a;  // Python: returns an operand
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
        if (op == "not" && (a.kind == Val::Kind::List || a.kind == Val::Kind::Dict))
            return Val{Val::Kind::Atom, Value{!*static_truth(a)}};
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
        if (auto t = static_truth(cond)) return eval(*e.args[*t ? 0 : 2], env);  // lazy, as the reference
        if (cond.kind != Val::Kind::Sop) fail(e.args[1]->loc, "the condition of 'if' must be an s-op or a constant, got {}", kind_word(cond));
        Val a = eval(*e.args[0], env), b = eval(*e.args[2], env);
        return elementwise(SopOp::IfElse, {&a, &cond, &b}, e.loc, "if/else");
    }

    Val select_of(const Val& k, const Val& q, Pred p, const SourceLoc& loc, const SourceLoc& kloc, const SourceLoc& qloc) {
        if (k.kind == Val::Kind::Atom && q.kind == Val::Kind::Atom) return constant_sel(holds(p, k.atom, q.atom, loc), loc);
        std::uint32_t kid = as_sop(k, kloc, "select"), qid = as_sop(q, qloc, "select");
        return sel(SelNode{SelOp::Select, kid, qid, p, {}, loc});
    }

    Val select(const Expr& e, Env& env) {
        Val k = eval(*e.args[0], env), q = eval(*e.args[1], env);
        return select_of(k, q, pred_of(e.op), e.loc, e.args[0]->loc, e.args[1]->loc);
    }

    Val aggregate_of(const Val& s, const Val& values, Value dflt, const SourceLoc& loc, const SourceLoc& vloc) {
        std::uint32_t vid = as_sop(values, vloc, "aggregate");
        return sop(SopNode{SopOp::Aggregate, {vid}, s.id, false, ValueType::Mixed, std::move(dflt), loc});
    }

    Val aggregate(const Expr& e, Env& env) {
        Val s = eval(*e.args[0], env);
        if (s.kind != Val::Kind::Sel) fail(e.args[0]->loc, "aggregate expects a selector first, got {}", kind_word(s));
        Val values = eval(*e.args[1], env);
        Value dflt{Rational(0)};
        if (e.args.size() == 3) {
            Val d = eval(*e.args[2], env);
            if (d.kind != Val::Kind::Atom) fail(e.args[2]->loc, "aggregate's default must be a constant, got {}", kind_word(d));
            dflt = d.atom;
        }
        return aggregate_of(s, values, std::move(dflt), e.loc, e.args[1]->loc);
    }

    // An s-op looked up in a table of atoms (indexing a list/dict by an s-op, `s in list`).
    Val lookup(const Val& x, const std::vector<Value>& keys, const std::vector<Val>& values, Value dflt,
               const SourceLoc& loc) {
        SopNode n{SopOp::Lookup, {x.id}, 0, false, ValueType::Mixed, std::move(dflt), loc};
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (values[i].kind != Val::Kind::Atom)
                fail(loc, "indexing with an s-op needs a list or dict of constants, but it holds {}", kind_word(values[i]));
            n.table.emplace_back(keys[i], values[i].atom);
        }
        return sop(std::move(n));
    }

    Val index(const Expr& e, Env& env) {
        Val x = eval(*e.args[0], env), i = eval(*e.args[1], env);
        const SourceLoc& loc = e.loc;
        if (i.kind != Val::Kind::Atom && i.kind != Val::Kind::Sop)
            fail(e.args[1]->loc, "an index must be a constant or an s-op, got {}", kind_word(i));
        if (x.kind == Val::Kind::List || (x.kind == Val::Kind::Atom && x.atom.is_string())) {
            std::vector<Val> items;
            if (x.kind == Val::Kind::List) items = *x.items;
            else for (std::string& c : code_points(std::get<std::string>(x.atom.v))) items.push_back(Val{Val::Kind::Atom, Value{std::move(c)}});
            const char* what = x.kind == Val::Kind::List ? "list" : "string";
            const auto len = static_cast<std::int64_t>(items.size());
            if (i.kind == Val::Kind::Sop) {  // every valid index, negative ones included
                std::vector<Value> keys;
                std::vector<Val> vals;
                for (std::int64_t k = -len; k < len; ++k) {
                    keys.push_back(Value{Rational(static_cast<long long>(k))});
                    vals.push_back(items[static_cast<std::size_t>(k < 0 ? k + len : k)]);
                }
                return lookup(i, keys, vals, Value{}, loc);
            }
            auto k = as_index(i.atom);
            if (!k) fail(e.args[1]->loc, "an index into a {} must be an integer or an s-op, got {}", what, format_value(i.atom));
            if (*k >= len || *k < -len) fail(e.args[1]->loc, "index {} out of range for a {} of length {}", *k, what, len);
            return items[static_cast<std::size_t>(*k < 0 ? *k + len : *k)];
        }
        if (x.kind == Val::Kind::Dict) {
            if (i.kind == Val::Kind::Sop) return lookup(i, *x.keys, *x.items, Value{}, loc);
            for (std::size_t k = 0; k < x.keys->size(); ++k)
                if (equal((*x.keys)[k], i.atom)) return (*x.items)[k];
            fail(e.args[1]->loc, "the key {} is not in the dict", format_value(i.atom));
        }
        if (x.kind == Val::Kind::Sop) {  // s[k]: the value at position k (k < 0: from the end)
            auto k = i.kind == Val::Kind::Atom ? as_index(i.atom) : std::nullopt;
            if (!k) fail(e.args[1]->loc, "an index into an s-op must be an integer, got {}", i.kind == Val::Kind::Atom ? format_value(i.atom) : kind_word(i));
            Val pos{Val::Kind::Atom, Value{Rational(static_cast<long long>(*k))}};
            if (*k < 0) pos = elementwise(SopOp::Add, {base_->find("length"), &pos}, loc, "+");
            Val at = select_of(*base_->find("indices"), pos, Pred::Eq, loc, loc, loc);
            return aggregate_of(at, x, Value{Rational(0)}, loc, loc);
        }
        fail(e.args[0]->loc, "can only index into a list, dict, string or s-op, not {}", kind_word(x));
    }

    Val contains(const Expr& e, Env& env) {
        Val a = eval(*e.args[0], env), b = eval(*e.args[1], env);
        const SourceLoc& loc = e.loc;
        if (a.kind == Val::Kind::Sop) {  // elementwise membership in a list of constants
            if (b.kind != Val::Kind::List) fail(e.args[1]->loc, "'s-op in X' expects X to be a list of constants, got {}", kind_word(b));
            std::vector<Value> keys;
            std::vector<Val> vals;
            for (const Val& item : *b.items) {
                if (item.kind != Val::Kind::Atom) fail(e.args[1]->loc, "'s-op in X' expects X to be a list of constants, but it holds {}", kind_word(item));
                keys.push_back(item.atom);
                vals.push_back(Val{Val::Kind::Atom, Value{true}});
            }
            return lookup(a, keys, vals, Value{false}, loc);
        }
        if (a.kind != Val::Kind::Atom) fail(e.args[0]->loc, "'A in X' expects A to be an s-op or a constant, got {}", kind_word(a));
        if (b.kind == Val::Kind::List) {
            for (const Val& item : *b.items)
                if (item.kind == Val::Kind::Atom && equal(item.atom, a.atom)) return Val{Val::Kind::Atom, Value{true}};
            return Val{Val::Kind::Atom, Value{false}};
        }
        if (b.kind == Val::Kind::Sop) {  // does the constant occur anywhere: a mean over all positions > 0
            Val eq = elementwise(SopOp::Eq, {&b, &a}, loc, "==");
            Val ind = elementwise(SopOp::Indicator, {&eq}, loc, "indicator");
            Val mean = aggregate_of(constant_sel(true, loc), ind, Value{Rational(0)}, loc, loc);
            Val zero{Val::Kind::Atom, Value{Rational(0)}};
            return elementwise(SopOp::Gt, {&mean, &zero}, loc, ">");
        }
        fail(e.args[1]->loc, "'constant in X' expects X to be a list or an s-op, got {}", kind_word(b));
    }

    Val binary(const Expr& e, Env& env) {
        if (e.op == "in") return contains(e, env);
        Val a = eval(*e.args[0], env), b = eval(*e.args[1], env);
        if (e.op == "and" || e.op == "or") return logic(e.op, a, b, e.loc);
        if (e.op == "+" && a.kind == Val::Kind::List && b.kind == Val::Kind::List) {
            std::vector<Val> items = *a.items;
            items.insert(items.end(), b.items->begin(), b.items->end());
            if (items.size() > kMaxListSize) fail(e.loc, "a list longer than {} elements", kMaxListSize);
            return list_val(std::move(items));
        }
        return elementwise(binary_op(e.op), {&a, &b}, e.loc, e.op.c_str());
    }

    // The values a loop or comprehension runs over: a list's elements, a dict's keys.
    std::vector<Val> iteration(const Val& v, const SourceLoc& loc, const char* what) {
        if (v.kind == Val::Kind::List) return *v.items;
        if (v.kind == Val::Kind::Dict) {
            std::vector<Val> keys;
            for (const Value& k : *v.keys) keys.push_back(Val{Val::Kind::Atom, k});
            return keys;
        }
        fail(loc, "{} runs over a list or a dict, not {}", what, kind_word(v));
    }

    // Binds one iteration's value to the loop's names (several names unpack a list or string).
    void bind(const std::vector<std::string>& names, const Val& v, Env& env, const SourceLoc& loc) {
        if (names.size() == 1) return assign(names[0], v, env, loc);
        std::vector<Val> parts;
        if (v.kind == Val::Kind::List) parts = *v.items;
        else if (v.kind == Val::Kind::Atom && v.atom.is_string())
            for (std::string& c : code_points(std::get<std::string>(v.atom.v))) parts.push_back(Val{Val::Kind::Atom, Value{std::move(c)}});
        else fail(loc, "unpacking into {} names needs a list, got {}", names.size(), kind_word(v));
        if (parts.size() != names.size()) fail(loc, "unpacking {} values into {} names", parts.size(), names.size());
        for (std::size_t i = 0; i < names.size(); ++i) assign(names[i], parts[i], env, loc);
    }

    Val comprehension(const Expr& e, Env& env) {
        const bool is_dict = e.kind == Expr::Kind::DictComp;
        std::vector<Val> over = iteration(eval(*e.args.back(), env), e.args.back()->loc, "a comprehension");
        std::vector<Val> items;
        std::vector<Value> keys;
        for (const Val& v : over) {
            step(e.loc);
            Env& local = new_env(&env);  // the loop names stay inside
            bind(e.names, v, local, e.loc);
            if (!is_dict) {
                items.push_back(eval(*e.args[0], local));
                continue;
            }
            dict_insert(keys, items, eval(*e.args[0], local), eval(*e.args[1], local), e.args[0]->loc);
        }
        if (!is_dict) return list_val(std::move(items));
        return dict_val(std::move(keys), std::move(items));
    }

    static void dict_insert(std::vector<Value>& keys, std::vector<Val>& items, const Val& k, Val v, const SourceLoc& loc) {
        if (k.kind != Val::Kind::Atom) fail(loc, "dict keys must be constants, got {}", kind_word(k));
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (equal(keys[i], k.atom)) {
                items[i] = std::move(v);
                return;
            }
        keys.push_back(k.atom);
        items.push_back(std::move(v));
    }
    static Val dict_val(std::vector<Value> keys, std::vector<Val> items) {
        Val d{Val::Kind::Dict};
        d.keys = std::make_shared<const std::vector<Value>>(std::move(keys));
        d.items = std::make_shared<const std::vector<Val>>(std::move(items));
        return d;
    }

    Val builtin(const std::string& name, const Expr& e, Env& env) {
        std::vector<Val> args;
        for (std::size_t i = 1; i < e.args.size(); ++i) args.push_back(eval(*e.args[i], env));
        auto argloc = [&](std::size_t i) { return e.args[i + 1]->loc; };
        if (name == "selector_width") {
            if (args.size() != 1) fail(e.loc, "selector_width takes 1 argument, got {}", args.size());
            if (args[0].kind != Val::Kind::Sel) fail(argloc(0), "selector_width expects a selector, got {}", kind_word(args[0]));
            return sop(SopNode{SopOp::SelectorWidth, {}, args[0].id, false, ValueType::Mixed, {}, e.loc});
        }
        if (name == "range") {
            if (args.empty() || args.size() > 3) fail(e.loc, "range takes 1, 2 or 3 arguments, got {}", args.size());
            std::int64_t v[3] = {0, 0, 1};
            for (std::size_t i = 0; i < args.size(); ++i) {
                auto k = args[i].kind == Val::Kind::Atom ? as_index(args[i].atom) : std::nullopt;
                if (!k) fail(argloc(i), "range expects integers, got {}", args[i].kind == Val::Kind::Atom ? format_value(args[i].atom) : kind_word(args[i]));
                v[args.size() == 1 ? 1 : i] = *k;
            }
            if (v[2] == 0) fail(e.loc, "range's step must not be zero");
            std::vector<Val> items;
            for (std::int64_t x = v[0]; v[2] > 0 ? x < v[1] : x > v[1]; x += v[2]) {
                if (items.size() >= kMaxListSize) fail(e.loc, "range longer than {} elements", kMaxListSize);
                items.push_back(Val{Val::Kind::Atom, Value{Rational(static_cast<long long>(x))}});
            }
            return list_val(std::move(items));
        }
        if (name == "zip") {
            if (args.empty()) fail(e.loc, "zip needs at least one list");
            for (std::size_t i = 0; i < args.size(); ++i) {
                if (args[i].kind != Val::Kind::List) fail(argloc(i), "zip expects lists, got {}", kind_word(args[i]));
                if (args[i].items->size() != args[0].items->size())
                    fail(argloc(i), "zip of lists of lengths {} and {}", args[0].items->size(), args[i].items->size());
            }
            std::vector<Val> rows;
            for (std::size_t r = 0; r < args[0].items->size(); ++r) {
                std::vector<Val> row;
                for (const Val& l : args) row.push_back((*l.items)[r]);
                rows.push_back(list_val(std::move(row)));
            }
            return list_val(std::move(rows));
        }
        // len
        if (args.size() != 1) fail(e.loc, "len takes 1 argument, got {}", args.size());
        if (args[0].kind != Val::Kind::List) fail(argloc(0), "len expects a list, got {}", kind_word(args[0]));
        return Val{Val::Kind::Atom, Value{Rational(static_cast<long long>(args[0].items->size()))}};
    }

    Val call(const Expr& e, Env& env) {
        Val f = eval(*e.args[0], env);
        std::size_t nargs = e.args.size() - 1;
        if (f.kind == Val::Kind::Builtin) return builtin(std::get<std::string>(f.atom.v), e, env);
        if (f.kind == Val::Kind::Sop || f.kind == Val::Kind::Sel)
            fail(e.loc, "applying {} to an input is not supported inside a program", kind_word(f));
        if (f.kind != Val::Kind::Func) fail(e.loc, "{} is not a function", kind_word(f));
        const Stmt& def = *f.func->def;
        if (nargs != def.names.size())
            fail(e.loc, "function '{}' takes {} argument{}, got {}", def.name, def.names.size(),
                 def.names.size() == 1 ? "" : "s", nargs);
        for (const Stmt* active : calls_)
            if (active == &def)
                fail(e.loc, "recursive call of '{}' (defined at {}): recursion is not supported", def.name, def.loc.str());
        if (calls_.size() >= kMaxCallDepth) fail(e.loc, "calls nested deeper than {}", kMaxCallDepth);
        Env& local = new_env(f.func->closure);
        for (std::size_t i = 0; i < nargs; ++i) local.vars[def.names[i]] = eval(*e.args[i + 1], env);
        calls_.push_back(&def);
        for (const auto& s : def.body) statement(*s, local, false);
        Val result = values(def.exprs, local);
        calls_.pop_back();
        return result;
    }

    // e1, e2, ...: one value, or a list of several (a return or assignment of several values).
    Val values(const std::vector<syntax::ExprPtr>& exprs, Env& env) {
        if (exprs.size() == 1) return eval(*exprs[0], env);
        std::vector<Val> items;
        for (const auto& x : exprs) items.push_back(eval(*x, env));
        return list_val(std::move(items));
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
        if (!opts_.prelude && prelude_names().count(n))
            fail(e.loc, "unknown name '{}' (a library function: the prelude is off, --no-prelude)", n);
        fail(e.loc, "unknown name '{}'", n);
    }

    Val eval(const Expr& e, Env& env) {
        struct Depth {  // inlined calls nest evaluations: bound them all together
            std::size_t& d;
            explicit Depth(std::size_t& depth, const SourceLoc& loc) : d(depth) {
                if (++d > kMaxEvalDepth) fail(loc, "evaluation nested deeper than {} (expressions and inlined calls)", kMaxEvalDepth);
            }
            ~Depth() { --d; }
        } depth(eval_depth_, e.loc);
        switch (e.kind) {
            case Expr::Kind::Atom: return Val{Val::Kind::Atom, e.value};
            case Expr::Kind::Name: return name(e, env);
            case Expr::Kind::Unary: return unary(e, env);
            case Expr::Kind::Binary: return binary(e, env);
            case Expr::Kind::IfElse: return if_else(e, env);
            case Expr::Kind::Select: return select(e, env);
            case Expr::Kind::Aggregate: return aggregate(e, env);
            case Expr::Kind::Call: return call(e, env);
            case Expr::Kind::Index: return index(e, env);
            case Expr::Kind::List: {
                std::vector<Val> items;
                for (const auto& x : e.args) items.push_back(eval(*x, env));
                return list_val(std::move(items));
            }
            case Expr::Kind::Dict: {
                std::vector<Value> keys;
                std::vector<Val> items;
                for (std::size_t i = 0; i < e.args.size(); i += 2)
                    dict_insert(keys, items, eval(*e.args[i], env), eval(*e.args[i + 1], env), e.args[i]->loc);
                return dict_val(std::move(keys), std::move(items));
            }
            case Expr::Kind::ListComp:
            case Expr::Kind::DictComp: return comprehension(e, env);
        }
        fail(e.loc, "internal: unknown expression");
    }

    // A named result; lists and dicts name each element: xs[0], d["a"], d["a"][1].
    void record(const std::string& n, const Val& v, const SourceLoc& loc) {
        Ref r;
        switch (v.kind) {
            case Val::Kind::Sop: r = Ref{Ref::Kind::Sop, v.id, {}}; break;
            case Val::Kind::Sel: r = Ref{Ref::Kind::Selector, v.id, {}}; break;
            case Val::Kind::Atom: r = Ref{Ref::Kind::Constant, 0, v.atom}; break;
            case Val::Kind::List:
                for (std::size_t i = 0; i < v.items->size(); ++i) record(fmt::format("{}[{}]", n, i), (*v.items)[i], loc);
                return;
            case Val::Kind::Dict:
                for (std::size_t i = 0; i < v.items->size(); ++i)
                    record(fmt::format("{}[{}]", n, key_text((*v.keys)[i])), (*v.items)[i], loc);
                return;
            default: return;  // functions are not results
        }
        prog_.named.push_back(Named{n, std::move(r), loc});
    }

    void statement(const Stmt& s, Env& env, bool top) {
        step(s.loc);
        switch (s.kind) {
            case Stmt::Kind::Def:
                funcs_.push_back(Function{&s, &env});
                assign(s.name, Val{Val::Kind::Func, {}, 0, {}, false, &funcs_.back()}, env, s.loc);
                return;
            case Stmt::Kind::Assign: {
                Val v = values(s.exprs, env);
                if (s.names.size() > 1) {
                    bind(s.names, v, env, s.loc);
                    if (top)
                        for (std::size_t i = 0; i < s.names.size(); ++i) record(s.names[i], *env.find(s.names[i]), s.loc);
                    return;
                }
                assign(s.names[0], v, env, s.loc);
                if (top) record(s.names[0], v, s.loc);
                return;
            }
            case Stmt::Kind::Expr: {
                Val v = eval(*s.exprs[0], env);
                if (top) record("out", v, s.loc);
                return;
            }
            case Stmt::Kind::For:
                for (const Val& v : iteration(eval(*s.exprs[0], env), s.exprs[0]->loc, "a for loop")) {
                    bind(s.names, v, env, s.loc);
                    for (const auto& b : s.body) statement(*b, env, top);
                }
                return;
            case Stmt::Kind::Load: return load(s, env);
            case Stmt::Kind::SetExample: return set_example(s, env);
            case Stmt::Kind::Note:
                prog_.notes.emplace_back(s.loc, fmt::format("'{}' accepted without effect (a REPL display switch; "
                                                            "ahat prints every sequence in full)", s.name));
                return;
        }
    }

    void set_example(const Stmt& s, Env& env) {
        Val v = eval(*s.exprs[0], env);
        std::string text;
        if (v.kind == Val::Kind::Atom && v.atom.is_string()) {
            text = std::get<std::string>(v.atom.v);
        } else if (v.kind == Val::Kind::List) {
            std::vector<std::string> parts;
            for (const Val& x : *v.items) {
                if (x.kind != Val::Kind::Atom || x.atom.is_none()) fail(s.exprs[0]->loc, "an example holds constants, not {}", kind_word(x));
                parts.push_back(format_element(x.atom));
            }
            text = fmt::format("{}", fmt::join(parts, " "));
        } else {
            fail(s.exprs[0]->loc, "an example is a string or a list of constants, got {}", kind_word(v));
        }
        if (s.name == "selector") {
            prog_.notes.emplace_back(s.loc, "'set selector example' accepted without effect (it sets the input the "
                                            "REPL draws selectors on)");
            return;
        }
        prog_.example = text;
        prog_.example_loc = s.loc;
        prog_.notes.emplace_back(s.loc, fmt::format("'set example' accepted: the input is \"{}\" unless --input "
                                                    "gives another", text));
    }

    // load "name": name.rasp next to the file being read; its names (but those starting with
    // '_') join the loading environment. Its statements are not named results.
    void load(const Stmt& s, Env& env) {
        namespace fs = std::filesystem;
        fs::path path = fs::path(files_.back()).parent_path() / (s.name + ".rasp");
        std::error_code ec;
        fs::path canon = fs::weakly_canonical(path, ec);
        if (ec) canon = path;
        for (const std::string& f : files_) {
            fs::path other = fs::weakly_canonical(f, ec);
            if (!ec && other == canon) fail(s.loc, "load cycle: {} is already being read", path.string());
        }
        if (files_.size() > kMaxLoadDepth) fail(s.loc, "loads nested deeper than {}", kMaxLoadDepth);
        std::string text;
        try {
            text = read_file(path.string());
        } catch (const InputError& err) {
            fail(s.loc, "load \"{}\": cannot read {}", s.name, path.string());
        }
        loaded_.push_back(syntax::parse_rasp(text, path.string()));
        Env& scope = new_env(base_);
        files_.push_back(path.string());
        for (const auto& st : loaded_.back()) statement(*st, scope, false);
        files_.pop_back();
        for (const auto& [n, v] : scope.vars)
            if (n.empty() || n[0] != '_') env.vars[n] = v;
    }

    void assign(const std::string& n, Val v, Env& env, const SourceLoc& loc) {
        for (const char* r : {"indices", "tokens_str", "tokens_int", "tokens_float", "tokens_bool", "tokens_asis",
                              "True", "False", "out"})
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
        case SopOp::Lookup: {
            std::optional<ValueType> t;
            auto join = [&](const Value& v) {
                ValueType u = v.is_string() ? ValueType::String : v.is_bool() ? ValueType::Bool : ValueType::Number;
                if (!t || *t == u) t = u;
                else t = num(*t) && num(u) ? ValueType::Number : ValueType::Mixed;
            };
            for (const auto& kv : n.table) join(kv.second);
            if (!n.constant.is_none()) join(n.constant);
            return t.value_or(ValueType::Mixed);
        }
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
    out.example = prog_.example;
    out.example_loc = prog_.example_loc;
    out.notes = prog_.notes;
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

Program read_rasp(std::string_view text, const std::string& file, const ReadOptions& opts) {
    auto stmts = syntax::parse_rasp(text, file);
    Elaborator el(file, opts);
    el.run(stmts);
    return el.finish();
}

Program load_rasp(const std::string& path, const ReadOptions& opts) { return read_rasp(read_file(path), input_name(path), opts); }

}  // namespace ahat::rasp
