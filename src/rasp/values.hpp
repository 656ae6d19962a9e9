// Operations on single RASP values, as the reference implementation performs them (it
// applies Python's operators elementwise): shared by constant folding in the reader and by
// the evaluator. Numbers are exact rationals; a bool counts as 0/1 in arithmetic and
// numeric comparisons, as in Python.
//
// Offers:
//   truthy(v)                  Python truthiness (0, "", False and None are false).
//   equal(a, b)                Python == (a string never equals a number).
//   less(a, b, loc)            Python < on two numbers or two strings; InputError otherwise.
//   apply(op, args, loc)       one elementwise SopOp (not Constant/Tokens/Indices/Length/
//                              Aggregate/SelectorWidth) on values; InputError at loc for
//                              type errors and division by zero. O(size of the numbers).
//   apply(node, args, loc)     the same for an elementwise node; a Lookup reads its table.
//   holds(pred, key, query, loc)   the select predicate pred(key, query).
//   round_half_even(r)         Python's round(): nearest integer, ties to even.
#pragma once

#include "rasp/program.hpp"

namespace ahat::rasp {

bool truthy(const Value& v);
bool equal(const Value& a, const Value& b);
bool less(const Value& a, const Value& b, const SourceLoc& loc);
Value apply(SopOp op, const Value* const* args, const SourceLoc& loc);
Value apply(const SopNode& node, const Value* const* args, const SourceLoc& loc);
bool holds(Pred pred, const Value& key, const Value& query, const SourceLoc& loc);
Rational round_half_even(const Rational& r);

// "string", "bool", "number", "None": for error messages.
const char* kind_name(const Value& v);

}  // namespace ahat::rasp
