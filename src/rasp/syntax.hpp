// RASP surface syntax (internal to src/rasp): the abstract syntax tree and the parser that
// builds it. The grammar and its operator precedences follow the reference implementation's
// ANTLR grammar (tech-srl/RASP, RASP.g4); docs/rasp.md lists them.
//
// Offers:
//   Expr, Stmt     the syntax tree; every node keeps its SourceLoc.
//   parse_rasp(text, file)   text -> statements, O(length of text). Syntax errors and
//                  constructs outside the subset (for loops, lists, dicts, load, draw, REPL
//                  commands, ...) are InputError at file:line:col naming the construct.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rasp/program.hpp"

namespace ahat::rasp::syntax {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind : std::uint8_t {
        Atom,       // value: an integer, decimal or string literal
        Name,       // name
        Unary,      // op ("not", "-", "+", "round", "indicator"), args[0]
        Binary,     // op ("+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or")
        IfElse,     // args {then, cond, else}
        Select,     // args {keys, queries}, op the comparison
        Aggregate,  // args {selector, values[, default]}
        Call,       // args[0] the callee, args[1..] the arguments
    } kind = Kind::Atom;
    std::string op;    // Unary/Binary/Select operator; Name: the name
    Value value;       // Atom
    std::vector<ExprPtr> args;
    SourceLoc loc;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    enum class Kind : std::uint8_t { Expr, Assign, Def } kind = Kind::Expr;
    std::string name;                 // Assign: target; Def: function name
    std::vector<std::string> params;  // Def
    std::vector<StmtPtr> body;        // Def: statements before `return`
    ExprPtr expr;                     // Expr / Assign: the value; Def: the returned expression
    SourceLoc loc;
};

std::vector<StmtPtr> parse_rasp(std::string_view text, const std::string& file);

}  // namespace ahat::rasp::syntax
