#include "exact/rational.hpp"

#include <cctype>

namespace ahat {
namespace {

bool fail(ParseFailure* f, std::string why, std::size_t at) {
    if (f) {
        f->why = std::move(why);
        f->offset = at;
    }
    return false;
}

// Reads [0-9]+ starting at pos; returns false if there is none.
bool digits(std::string_view s, std::size_t& pos, std::string& out) {
    std::size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    out.assign(s.substr(start, pos - start));
    return pos > start;
}

// Decimal digits to an integer (Boost's string constructor would read a leading 0 as octal).
Integer decimal(const std::string& digits) {
    Integer z;
    mpz_set_str(z.backend().data(), digits.c_str(), 10);
    return z;
}

}  // namespace

std::optional<Rational> parse_rational(std::string_view s, ParseFailure* f) {
    if (s.empty()) {
        fail(f, "empty number", 0);
        return std::nullopt;
    }
    std::size_t pos = 0;
    bool negative = false;
    if (s[pos] == '+' || s[pos] == '-') {
        negative = s[pos] == '-';
        ++pos;
    }
    std::string whole, frac, den, exp;
    bool has_whole = digits(s, pos, whole);
    Rational value;
    if (pos < s.size() && s[pos] == '/') {
        if (!has_whole) return fail(f, "expected digits before '/'", pos), std::nullopt;
        ++pos;
        std::size_t den_at = pos;
        if (!digits(s, pos, den)) return fail(f, "expected digits after '/'", pos), std::nullopt;
        if (pos != s.size()) return fail(f, "unexpected character in number", pos), std::nullopt;
        Integer d = decimal(den);
        if (d == 0) return fail(f, "division by zero in literal", den_at), std::nullopt;
        value = Rational(decimal(whole), d);
    } else {
        bool has_frac = false;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            has_frac = digits(s, pos, frac);
        }
        if (!has_whole && !has_frac) return fail(f, "expected a number", pos), std::nullopt;
        long exponent = 0;
        if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
            ++pos;
            bool eneg = false;
            if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) eneg = s[pos++] == '-';
            std::size_t exp_at = pos;
            if (!digits(s, pos, exp)) return fail(f, "expected digits in exponent", pos), std::nullopt;
            exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));  // leading zeros
            if (exp.size() > 6 || std::stol(exp) > 100000)
                return fail(f, "exponent too large (limit 100000)", exp_at), std::nullopt;
            exponent = eneg ? -std::stol(exp) : std::stol(exp);
        }
        if (pos != s.size()) return fail(f, "unexpected character in number", pos), std::nullopt;
        Integer num = decimal((whole.empty() ? std::string("0") : whole) + frac);
        exponent -= static_cast<long>(frac.size());
        Integer ten_pow = 1;
        if (exponent != 0) {
            mpz_ui_pow_ui(ten_pow.backend().data(), 10, static_cast<unsigned long>(exponent < 0 ? -exponent : exponent));
        }
        value = exponent >= 0 ? Rational(num * ten_pow) : Rational(num, ten_pow);
    }
    if (negative) value = -value;
    return value;
}

std::string to_string(const Rational& r) {
    return r.str();
}

std::size_t bit_size(const Rational& r) {
    const mpq_t& q = r.backend().data();
    return mpz_sizeinbase(mpq_numref(q), 2) + mpz_sizeinbase(mpq_denref(q), 2);
}

bool small_int(const Rational& r, std::int64_t* out) {
    const mpq_t& q = r.backend().data();
    if (mpz_cmp_ui(mpq_denref(q), 1) != 0) return false;
    mpz_srcptr z = mpq_numref(q);
    if (mpz_sizeinbase(z, 2) > 62) return false;
    *out = mpz_get_si(z);
    return true;
}

}  // namespace ahat
