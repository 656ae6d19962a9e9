// RASP's elementwise operators on single values, with Python's semantics, for the compiler's
// lookup tables (categorical maps and categorical selector predicates).
#include "rasp/compile_internal.hpp"

namespace ahat::rasp::detail {

namespace {

std::optional<Rational> number(const Value& v) {
    if (v.is_number()) return std::get<Rational>(v.v);
    if (v.is_bool()) return Rational(std::get<bool>(v.v) ? 1 : 0);
    return std::nullopt;
}

Value num(Rational r) { return Value{std::move(r)}; }

Integer floor_of(const Rational& r) {
    Integer q = numerator(r) / denominator(r);  // truncates toward zero
    if (r < 0 && Rational(q) != r) q -= 1;
    return q;
}

// Python's round(): to the nearest integer, halves to even.
Integer round_half_even(const Rational& r) {
    Integer f = floor_of(r);
    Rational frac = r - Rational(f);
    if (frac > Rational(1, 2)) return f + 1;
    if (frac < Rational(1, 2)) return f;
    return (f % 2 == 0) ? f : Integer(f + 1);
}

// -1, 0, 1; nullopt where Python refuses to order the two values.
std::optional<int> compare(const Value& a, const Value& b) {
    auto x = number(a), y = number(b);
    if (x && y) return *x < *y ? -1 : (*x == *y ? 0 : 1);
    if (a.is_string() && b.is_string()) {
        int c = std::get<std::string>(a.v).compare(std::get<std::string>(b.v));
        return c < 0 ? -1 : (c == 0 ? 0 : 1);
    }
    return std::nullopt;
}

bool equal(const Value& a, const Value& b) {
    auto x = number(a), y = number(b);
    if (x && y) return *x == *y;
    return a == b;
}

}  // namespace

bool truthy(const Value& v) {
    if (v.is_none()) return false;
    if (v.is_bool()) return std::get<bool>(v.v);
    if (v.is_number()) return std::get<Rational>(v.v) != 0;
    return !std::get<std::string>(v.v).empty();
}

std::optional<bool> apply_pred(Pred p, const Value& key, const Value& query) {
    switch (p) {
        case Pred::True: return true;
        case Pred::False: return false;
        case Pred::Eq: return equal(key, query);
        case Pred::Ne: return !equal(key, query);
        default: break;
    }
    auto c = compare(key, query);
    if (!c) return std::nullopt;
    switch (p) {
        case Pred::Lt: return *c < 0;
        case Pred::Le: return *c <= 0;
        case Pred::Gt: return *c > 0;
        case Pred::Ge: return *c >= 0;
        default: return std::nullopt;
    }
}

std::optional<Value> apply_op(SopOp op, const std::vector<Value>& a) {
    auto x = a.empty() ? std::nullopt : number(a[0]);
    auto y = a.size() < 2 ? std::nullopt : number(a[1]);
    switch (op) {
        case SopOp::Add:
            if (x && y) return num(*x + *y);
            if (a[0].is_string() && a[1].is_string())
                return Value{std::get<std::string>(a[0].v) + std::get<std::string>(a[1].v)};
            return std::nullopt;
        case SopOp::Sub: if (x && y) return num(*x - *y); return std::nullopt;
        case SopOp::Mul: if (x && y) return num(*x * *y); return std::nullopt;
        case SopOp::Div: if (x && y && *y != 0) return num(*x / *y); return std::nullopt;
        case SopOp::Mod:
            if (x && y && *y != 0) {
                Rational q = *x / *y;
                return num(*x - *y * Rational(floor_of(q)));
            }
            return std::nullopt;
        case SopOp::Neg: if (x) return num(-*x); return std::nullopt;
        case SopOp::Round: if (x) return num(Rational(round_half_even(*x))); return std::nullopt;
        case SopOp::Eq: return Value{equal(a[0], a[1])};
        case SopOp::Ne: return Value{!equal(a[0], a[1])};
        case SopOp::Lt: case SopOp::Le: case SopOp::Gt: case SopOp::Ge: {
            static const Pred preds[] = {Pred::Lt, Pred::Le, Pred::Gt, Pred::Ge};
            auto r = apply_pred(preds[static_cast<int>(op) - static_cast<int>(SopOp::Lt)], a[0], a[1]);
            if (!r) return std::nullopt;
            return Value{*r};
        }
        case SopOp::And: return truthy(a[0]) ? a[1] : a[0];
        case SopOp::Or: return truthy(a[0]) ? a[0] : a[1];
        case SopOp::Not: return Value{!truthy(a[0])};
        case SopOp::Indicator: return num(Rational(truthy(a[0]) ? 1 : 0));
        case SopOp::IfElse: return truthy(a[1]) ? a[0] : a[2];
        default: return std::nullopt;
    }
}

std::string_view sop_op_name(SopOp op) {
    switch (op) {
        case SopOp::Tokens: return "tokens";
        case SopOp::Indices: return "indices";
        case SopOp::Length: return "length";
        case SopOp::Constant: return "constant";
        case SopOp::Add: return "+";
        case SopOp::Sub: return "-";
        case SopOp::Mul: return "*";
        case SopOp::Div: return "/";
        case SopOp::Mod: return "%";
        case SopOp::Neg: return "unary -";
        case SopOp::Eq: return "==";
        case SopOp::Ne: return "!=";
        case SopOp::Lt: return "<";
        case SopOp::Le: return "<=";
        case SopOp::Gt: return ">";
        case SopOp::Ge: return ">=";
        case SopOp::And: return "and";
        case SopOp::Or: return "or";
        case SopOp::Not: return "not";
        case SopOp::Indicator: return "indicator";
        case SopOp::Round: return "round";
        case SopOp::IfElse: return "if-else";
        case SopOp::Aggregate: return "aggregate";
        case SopOp::SelectorWidth: return "selector_width";
    }
    return "?";
}

}  // namespace ahat::rasp::detail
