#include "exact/rational.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace ahat {
namespace {

// GMP's memory through a pool for the one- and two-limb blocks that small values need (a
// Rational holding 0 or a small integer owns one or two of them). malloc gives each such block
// a 32-byte chunk; the pool gives it 8 or 16 bytes, which halves the size of an exact state.
// Free blocks go to a per-thread list by size class; pages (64 KiB) are never returned, and are
// kept in a global list so that leak checkers see them reachable. A block from malloc (one
// allocated before the pool was installed) may end up on a list: it is at least as large.
namespace limb_pool {

constexpr std::size_t kPage = std::size_t{1} << 16;

struct FreeBlock {
    FreeBlock* next;
};

struct Class {
    FreeBlock* free = nullptr;
    char* fresh = nullptr;  // the unused tail of this thread's current page
    std::size_t left = 0;   // bytes in it
};

thread_local Class classes[2];  // blocks of 8 and of 16 bytes

std::mutex pages_mutex;
std::vector<void*>& pages() {
    static auto* p = new std::vector<void*>();  // never destroyed: blocks outlive static destruction
    return *p;
}

int class_of(std::size_t bytes) { return bytes <= 8 ? 0 : bytes <= 16 ? 1 : -1; }

void* must(void* p) {
    if (!p) std::abort();  // as GMP's own allocator does
    return p;
}

void* allocate(std::size_t bytes) {
    const int k = class_of(bytes);
    if (k < 0) return must(std::malloc(bytes));
    Class& c = classes[k];
    if (c.free) {
        FreeBlock* b = c.free;
        c.free = b->next;
        return b;
    }
    const std::size_t size = std::size_t{8} << k;
    if (c.left < size) {
        c.fresh = static_cast<char*>(must(std::malloc(kPage)));
        c.left = kPage;
        const std::lock_guard<std::mutex> lock(pages_mutex);
        pages().push_back(c.fresh);
    }
    void* b = c.fresh;
    c.fresh += size;
    c.left -= size;
    return b;
}

void release(void* p, std::size_t bytes) {
    const int k = class_of(bytes);
    if (k < 0) return std::free(p);
    auto* b = static_cast<FreeBlock*>(p);
    b->next = classes[k].free;
    classes[k].free = b;
}

void* reallocate(void* p, std::size_t old_bytes, std::size_t new_bytes) {
    const int from = class_of(old_bytes), to = class_of(new_bytes);
    if (from < 0 && to < 0) return must(std::realloc(p, new_bytes));
    if (from == to) return p;
    void* q = allocate(new_bytes);
    std::memcpy(q, p, std::min(old_bytes, new_bytes));
    release(p, old_bytes);
    return q;
}

}  // namespace limb_pool

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

bool use_limb_pool() {
#if defined(__SANITIZE_ADDRESS__)
    return false;  // AddressSanitizer checks GMP's blocks only when they come from malloc
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return false;
#endif
#endif
    static const bool installed =
        (mp_set_memory_functions(limb_pool::allocate, limb_pool::reallocate, limb_pool::release), true);
    return installed;
}

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

}  // namespace ahat
