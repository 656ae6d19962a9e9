// The compiler's view of RASP's elementwise operators on single values (rasp/values.hpp, the
// evaluator's own): undefined combinations (type errors, division by zero) become nullopt.
#include "rasp/compile_internal.hpp"
#include "rasp/values.hpp"

namespace ahat::rasp::detail {

bool truthy(const Value& v) { return rasp::truthy(v); }

std::optional<bool> apply_pred(Pred p, const Value& key, const Value& query) {
    try {
        return holds(p, key, query, SourceLoc{});
    } catch (const InputError&) {
        return std::nullopt;
    }
}

std::optional<Value> apply_op(const SopNode& node, const std::vector<Value>& args) {
    const Value* ptrs[3] = {};
    for (std::size_t k = 0; k < args.size() && k < 3; ++k) ptrs[k] = &args[k];
    try {
        return apply(node, ptrs, SourceLoc{});
    } catch (const InputError&) {
        return std::nullopt;
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
        case SopOp::Pow: return "^";
        case SopOp::Lookup: return "indexing";
        case SopOp::IfElse: return "if-else";
        case SopOp::Aggregate: return "aggregate";
        case SopOp::SelectorWidth: return "selector_width";
    }
    return "?";
}

}  // namespace ahat::rasp::detail
