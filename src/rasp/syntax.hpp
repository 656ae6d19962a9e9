// RASP surface syntax (internal to src/rasp): the abstract syntax tree and the parser that
// builds it. The grammar and its operator precedences follow the reference implementation's
// ANTLR grammar (tech-srl/RASP, RASP.g4); docs/rasp.md lists them.
//
// Offers:
//   Expr, Stmt     the syntax tree; every node keeps its SourceLoc.
//   parse_rasp(text, file)   text -> statements, O(length of text). Syntax errors and
//                  constructs outside the language (draw, show, exit, lambdas, ...) are
//                  InputError at file:line:col naming the construct. Nesting deeper than
//                  kMaxNesting (parentheses, brackets, blocks) or expressions higher than
//                  kMaxHeight are errors, not a stack overflow.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rasp/program.hpp"

namespace ahat::rasp::syntax {

constexpr int kMaxNesting = 200;
constexpr std::uint32_t kMaxHeight = 2000;  // operations on a path from an expression to a leaf

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind : std::uint8_t {
        Atom,       // value: an integer, decimal or string literal
        Name,       // name
        Unary,      // op ("not", "-", "+", "round", "indicator"), args[0]
        Binary,     // op ("+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in")
        IfElse,     // args {then, cond, else}
        Select,     // args {keys, queries}, op the comparison
        Aggregate,  // args {selector, values[, default]}
        Call,       // args[0] the callee, args[1..] the arguments
        Index,      // args {indexed, index}
        List,       // args: the elements
        Dict,       // args: key0, value0, key1, value1, ...
        ListComp,   // args {value, iterable}, names the iterator names
        DictComp,   // args {key, value, iterable}, names the iterator names
    } kind = Kind::Atom;
    std::string op;    // Unary/Binary/Select operator; Name: the name
    Value value;       // Atom
    std::vector<ExprPtr> args;
    std::vector<std::string> names;  // ListComp/DictComp: the iterator names
    SourceLoc loc;
    std::uint32_t height = 1;        // 1 + the children's greatest (at most kMaxHeight)
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    enum class Kind : std::uint8_t {
        Expr,        // exprs[0]
        Assign,      // names = exprs (one value, or a list unpacked over several names)
        Def,         // name(names) { body; return exprs }
        For,         // for names in exprs[0] { body }
        Load,        // load "name": name
        SetExample,  // set [s-op|selector] example exprs[0]; name "s-op" or "selector"
        Note,        // a REPL display command accepted without effect; name: its text
    } kind = Kind::Expr;
    std::string name;
    std::vector<std::string> names;
    std::vector<StmtPtr> body;
    std::vector<ExprPtr> exprs;
    SourceLoc loc;
};

std::vector<StmtPtr> parse_rasp(std::string_view text, const std::string& file);

}  // namespace ahat::rasp::syntax
