#include "rasp/values.hpp"

namespace ahat::rasp {
namespace {

bool numberish(const Value& v) { return v.is_number() || v.is_bool(); }

Rational as_number(const Value& v) {
    if (v.is_bool()) return Rational(std::get<bool>(v.v) ? 1 : 0);
    return std::get<Rational>(v.v);
}

Integer floor_of(const Rational& r) {
    Integer q;
    mpz_fdiv_q(q.backend().data(), mpq_numref(r.backend().data()), mpq_denref(r.backend().data()));
    return q;
}

Value number(Rational r) { return Value{std::move(r)}; }

// x ^ y for an integer y (Python's pow; a negative exponent gives the exact reciprocal power).
Rational power(const Rational& x, const Rational& y, const SourceLoc& loc) {
    constexpr long kMaxExponent = 4096;
    if (!is_integer(y)) fail(loc, "'^' with the exponent {}: only integer exponents are exact", to_string(y));
    std::int64_t k = 0;
    if (!small_int(y, &k) || k > kMaxExponent || k < -kMaxExponent)
        fail(loc, "'^' with the exponent {}: exponents beyond {} are refused", to_string(y), kMaxExponent);
    if (x == 0 && k < 0) fail(loc, "0 raised to a negative power");
    Rational r = 1, b = k < 0 ? Rational(1) / x : x;
    for (std::int64_t e = k < 0 ? -k : k; e > 0; e >>= 1, b *= b)
        if (e & 1) r *= b;
    return r;
}

[[noreturn]] void type_error(const char* op, const Value& a, const Value* b, const SourceLoc& loc) {
    if (b) fail(loc, "cannot apply '{}' to a {} and a {}", op, kind_name(a), kind_name(*b));
    fail(loc, "cannot apply '{}' to a {}", op, kind_name(a));
}

}  // namespace

const char* kind_name(const Value& v) {
    switch (v.v.index()) {
        case 0: return "None";
        case 1: return "bool";
        case 2: return "number";
        default: return "string";
    }
}

bool truthy(const Value& v) {
    switch (v.v.index()) {
        case 0: return false;
        case 1: return std::get<bool>(v.v);
        case 2: return std::get<Rational>(v.v) != 0;
        default: return !std::get<std::string>(v.v).empty();
    }
}

bool equal(const Value& a, const Value& b) {
    if (numberish(a) && numberish(b)) {
        if (a.is_number() && b.is_number()) return std::get<Rational>(a.v) == std::get<Rational>(b.v);
        return as_number(a) == as_number(b);
    }
    return a == b;  // strings with strings, None with None; mixed kinds are unequal
}

bool less(const Value& a, const Value& b, const SourceLoc& loc) {
    if (a.is_number() && b.is_number()) return std::get<Rational>(a.v) < std::get<Rational>(b.v);
    if (numberish(a) && numberish(b)) return as_number(a) < as_number(b);
    if (a.is_string() && b.is_string()) return std::get<std::string>(a.v) < std::get<std::string>(b.v);
    fail(loc, "cannot order a {} and a {}", kind_name(a), kind_name(b));
}

Rational round_half_even(const Rational& r) {
    Integer f = floor_of(r);
    Rational frac = r - Rational(f);
    const Rational half = Rational(1) / 2;
    if (frac > half || (frac == half && mpz_odd_p(f.backend().data()))) f += 1;
    return Rational(f);
}

bool holds(Pred pred, const Value& key, const Value& query, const SourceLoc& loc) {
    switch (pred) {
        case Pred::True: return true;
        case Pred::False: return false;
        case Pred::Eq: return equal(key, query);
        case Pred::Ne: return !equal(key, query);
        case Pred::Lt: return less(key, query, loc);
        case Pred::Le: return !less(query, key, loc);
        case Pred::Gt: return less(query, key, loc);
        case Pred::Ge: return !less(key, query, loc);
    }
    return false;
}

namespace {

Value apply_unchecked(SopOp op, const Value* const* args, const SourceLoc& loc) {
    const Value& a = *args[0];
    switch (op) {
        case SopOp::Neg:
            if (!numberish(a)) type_error("-", a, nullptr, loc);
            return number(-as_number(a));
        case SopOp::Not: return Value{!truthy(a)};
        case SopOp::Indicator: return number(Rational(truthy(a) ? 1 : 0));
        case SopOp::Round:
            if (!numberish(a)) type_error("round", a, nullptr, loc);
            return number(round_half_even(as_number(a)));
        case SopOp::IfElse: return truthy(*args[1]) ? a : *args[2];
        default: break;
    }
    const Value& b = *args[1];
    switch (op) {
        case SopOp::Eq: return Value{equal(a, b)};
        case SopOp::Ne: return Value{!equal(a, b)};
        case SopOp::Lt: return Value{less(a, b, loc)};
        case SopOp::Le: return Value{!less(b, a, loc)};
        case SopOp::Gt: return Value{less(b, a, loc)};
        case SopOp::Ge: return Value{!less(a, b, loc)};
        case SopOp::And: return Value{truthy(a) && truthy(b)};
        case SopOp::Or: return Value{truthy(a) || truthy(b)};
        default: break;
    }
    if (op == SopOp::Add && a.is_string() && b.is_string())
        return Value{std::get<std::string>(a.v) + std::get<std::string>(b.v)};
    static const char* names[] = {"+", "-", "*", "/", "%"};
    const char* name = op == SopOp::Pow ? "^" : names[static_cast<int>(op) - static_cast<int>(SopOp::Add)];
    if (!numberish(a) || !numberish(b)) type_error(name, a, &b, loc);
    Rational x = as_number(a), y = as_number(b);
    switch (op) {
        case SopOp::Add: return number(x + y);
        case SopOp::Sub: return number(x - y);
        case SopOp::Mul: return number(x * y);
        case SopOp::Div:
            if (y == 0) fail(loc, "division by zero");
            return number(x / y);
        case SopOp::Pow: return number(power(x, y, loc));
        case SopOp::Mod: {
            if (y == 0) fail(loc, "modulo by zero");
            Rational q = x / y;
            Rational r = x - y * Rational(floor_of(q));
            return number(std::move(r));
        }
        default: fail(loc, "internal: operator {} is not elementwise", static_cast<int>(op));
    }
}

}  // namespace

// Results are bounded so that no program (a loop squaring a number, doubling a string) can
// exhaust memory or time: an error instead.
constexpr std::size_t kMaxBits = 1 << 16, kMaxStringBytes = 1 << 20;

Value apply(SopOp op, const Value* const* args, const SourceLoc& loc) {
    Value r = apply_unchecked(op, args, loc);
    if (r.is_number() && bit_size(std::get<Rational>(r.v)) > kMaxBits)
        fail(loc, "the operation gives a number of more than {} bits", kMaxBits);
    if (r.is_string() && std::get<std::string>(r.v).size() > kMaxStringBytes)
        fail(loc, "'+' gives a string longer than {} bytes", kMaxStringBytes);
    return r;
}

Value apply(const SopNode& node, const Value* const* args, const SourceLoc& loc) {
    if (node.op != SopOp::Lookup) return apply(node.op, args, loc);
    for (const auto& [key, value] : node.table)
        if (equal(key, *args[0])) return value;
    if (!node.constant.is_none()) return node.constant;
    fail(loc, "the index {} is not in the {}", args[0]->is_string() ? "\"" + std::get<std::string>(args[0]->v) + "\""
         : args[0]->is_number() ? to_string(std::get<Rational>(args[0]->v)) : kind_name(*args[0]),
         "list or dict indexed here");
}

}  // namespace ahat::rasp
