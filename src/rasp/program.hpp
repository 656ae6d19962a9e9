// The RASP program IR: what the reader produces and what the evaluator and the compiler
// consume. A RASP program (Weiss, Goldberg & Yahav 2021) is elaborated into a DAG: every
// function call is inlined and every constant expression folded, so what remains are
// sequence operators (SOps, one value per position) and selectors (one boolean per pair of
// positions), each a node that refers to earlier nodes only.
//
// Offers:
//   Value             a RASP value: None, bool, number (exact rational) or string.
//   SopOp, SopNode    tokens, indices, length, constants, elementwise maps (lookup tables
//                     included), aggregate, selector_width.
//   Pred, SelOp, SelNode   select with a comparison, and/or/not, constant true/false.
//   Program           the DAG plus the named results in definition order.
//   Ref               a named result: an SOp, a selector or a plain constant.
// Node ids are indices into Program::sops / Program::sels; operands always have smaller ids.
// Across the two arrays, nodes are numbered in creation order: the operand SOps of a
// selector have smaller ids than every SOp that uses the selector, so evaluating SOps in id
// order, each selector just before its first use, respects every dependency.
// The reader keeps only nodes that some named result uses, and identical nodes are shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "exact/rational.hpp"
#include "support/error.hpp"

namespace ahat::rasp {

struct Value {
    std::variant<std::monostate, bool, Rational, std::string> v;  // monostate = None
    bool is_none() const { return v.index() == 0; }
    bool is_bool() const { return v.index() == 1; }
    bool is_number() const { return v.index() == 2; }
    bool is_string() const { return v.index() == 3; }
    friend bool operator==(const Value&, const Value&) = default;
};

// Elementwise operators act position by position on their operand SOps (constants are
// constant SOps). Names follow RASP's surface syntax.
enum class SopOp : std::uint8_t {
    Tokens, Indices, Length, Constant,
    Add, Sub, Mul, Div, Mod, Neg,            // + - * / % unary -
    Eq, Ne, Lt, Le, Gt, Ge,                  // comparisons -> bool
    And, Or, Not,                            // on values (RASP truthiness)
    Indicator,                               // bool -> 1 / 0
    Round,                                   // nearest integer (RASP: Python's round)
    Pow,                                     // x ^ y (integer exponents: exact)
    Lookup,                                  // table[x]: list/dict indexing, `x in list`
    IfElse,                                  // args: {then, cond, else}  (x if c else y)
    Aggregate,                               // selector + args {values}
    SelectorWidth,                           // selector
};

// The static type of an SOp's values (the reference requires one type per sequence; a bool
// mixed with numbers counts as a number, as in Python). Mixed: a conditional whose branches
// have different types; evaluation then fails if both branches are taken.
enum class ValueType : std::uint8_t { Mixed, Bool, Number, String };

struct SopNode {
    SopOp op = SopOp::Constant;
    std::vector<std::uint32_t> args;  // operand SOp ids
    std::uint32_t selector = 0;       // Aggregate, SelectorWidth
    // Aggregate: true when the values are numbers (type Number): a mean over the selected
    // positions. False (categorical): the values are strings or bools, and the aggregate
    // must select at most one position (exactly as the reference, which averages numbers only).
    bool numerical = false;
    ValueType type = ValueType::Mixed;  // the type of this SOp's values
    Value constant;                   // Constant: the value; Aggregate, Lookup: the default
    SourceLoc loc;                    // where the expression was written
    // Lookup: (key, value) pairs; a value x maps to the value of the first key equal to x
    // (RASP's ==), or to the default; a None default means that a missing key is an error.
    std::vector<std::pair<Value, Value>> table{};
};

// select(keys, queries, pred) selects key position k for query position q iff
// pred(keys[k], queries[q]) holds.
enum class Pred : std::uint8_t { Eq, Ne, Lt, Le, Gt, Ge, True, False };

enum class SelOp : std::uint8_t { Select, And, Or, Not };

struct SelNode {
    SelOp op = SelOp::Select;
    std::uint32_t keys = 0, queries = 0;  // Select: SOp ids
    Pred pred = Pred::True;               // Select (True/False: constant; keys/queries unused)
    std::vector<std::uint32_t> args;      // And/Or: two selector ids; Not: one
    SourceLoc loc;
};

struct Ref {
    enum class Kind : std::uint8_t { Sop, Selector, Constant } kind = Kind::Constant;
    std::uint32_t id = 0;  // Sop / Selector
    Value constant;        // Constant
};

struct Named {
    std::string name;
    Ref ref;
    SourceLoc loc;
};

struct Program {
    std::string file;
    std::vector<SopNode> sops;
    std::vector<SelNode> sels;
    std::vector<Named> named;  // top-level assignments in order (a name may repeat)
    // The token kind the program expects: strings ("hello" -> h,e,l,l,o) or integers.
    enum class TokenKind : std::uint8_t { String, Integer } tokens = TokenKind::String;
    // `set example E` (the last one): the input text it names, where it was set.
    std::optional<std::string> example;
    SourceLoc example_loc;
    // Statements accepted without effect on the values (REPL display switches, set
    // selector example, ...): where, and what was done with them.
    std::vector<std::pair<SourceLoc, std::string>> notes;
};

}  // namespace ahat::rasp
