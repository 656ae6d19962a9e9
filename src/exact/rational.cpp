#include "exact/rational.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <sys/mman.h>
#include <vector>

namespace ahat {
namespace {

// GMP's memory through a pool for the one- and two-limb blocks that small values need (a
// Rational holding 0 or a small integer owns one or two of them). malloc gives each such block
// a 32-byte chunk; the pool gives it 8 or 16 bytes, which halves the size of an exact state.
//
// Blocks are carved from pages of 64 KiB, each owned by the thread that made it and aligned,
// so that a block's page is its address rounded down. A thread allocates from one page at a
// time: the page's free blocks, else its never-used tail; when the page is used up, it moves
// to another of its pages with free blocks (a stack of them), then to the blocks of its pages
// that other threads freed (`remote`, below), then to a new page. A block freed by its page's
// owner goes back to its page, so that values made one after the other stay near each other
// in memory however the earlier ones were freed. (One free list per thread handed blocks out
// in the scattered order of earlier frees, and every later run in the process paid for it in
// cache misses: a task ran up to 3x slower after other tasks than alone.) Pages come from
// 4 MiB chunks, mapped aligned and marked in a bitmap of the address space, so that a block
// from malloc (allocated before the pool was installed, or when mapping fails) is told apart
// and given to free().
// Nothing is unmapped: a block freed on any thread stays valid memory.

namespace limb_pool {

constexpr std::size_t kPage = std::size_t{1} << 16, kChunk = std::size_t{1} << 22, kHeader = 64;
constexpr unsigned kAddressBits = 48;  // user space with 4-level page tables; a chunk mapped above it is not used

struct FreeBlock {
    FreeBlock* next;
};

struct Page {
    FreeBlock* free;     // blocks its owner freed
    char* fresh;         // its never-used tail, up to end
    char* end;
    Page* next;          // in its owner's stack of pages with free blocks
    std::uint64_t owner; // the owning thread's id
    std::uint32_t size;  // 8 or 16
    bool listed;         // in that stack
};
static_assert(sizeof(Page) <= kHeader);

// One bit per chunk of the address space: 2^26 bits, 8 MiB of zero pages until used.
std::atomic<std::uint64_t> chunks[(std::size_t{1} << (kAddressBits - 22)) / 64];

bool in_pool(const void* ptr) {
    const auto a = reinterpret_cast<std::uintptr_t>(ptr);
    if (a >> kAddressBits) return false;
    const std::size_t c = a >> 22;
    return (chunks[c / 64].load(std::memory_order_relaxed) >> (c % 64)) & 1u;
}

Page* page_of(void* ptr) { return reinterpret_cast<Page*>(reinterpret_cast<std::uintptr_t>(ptr) & ~(kPage - 1)); }

std::atomic<std::uint64_t> next_thread_id{1};

struct Thread {  // constant-initialised: no guard on each access
    std::uint64_t id;
    Page* current[2];  // by size class: 8, 16 bytes
    Page* partial[2];
    FreeBlock* foreign[2];
    char* chunk_next;
    char* chunk_end;
    bool no_chunks;  // mapping failed (or gave memory beyond kAddressBits): malloc from now on
};
thread_local Thread self{};

// Blocks freed by other threads, per owning thread and size class: a thread that frees a
// block of another thread's page pushes it here, and the owner takes the whole list back
// into its pages when it runs out of free blocks, before it makes a new page. (Kept by the
// freeing thread instead, such blocks piled up unused there while their owner replaced them
// with new pages: two threads took 1.5x the memory of one.) Threads past kRemoteThreads
// keep foreign blocks in a list of their own, as before.
constexpr std::uint64_t kRemoteThreads = 1024;
std::atomic<FreeBlock*> remote[kRemoteThreads][2];

void push_remote(std::uint64_t owner, int k, FreeBlock* b) {
    std::atomic<FreeBlock*>& head = remote[owner][k];
    FreeBlock* top = head.load(std::memory_order_relaxed);
    do b->next = top;
    while (!head.compare_exchange_weak(top, b, std::memory_order_release, std::memory_order_relaxed));
}

char* map_chunk() {
    void* m = mmap(nullptr, 2 * kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    const auto a = reinterpret_cast<std::uintptr_t>(m);
    const std::uintptr_t start = (a + kChunk - 1) & ~(kChunk - 1), end = start + kChunk;
    if (start > a) munmap(m, start - a);
    if (a + 2 * kChunk > end) munmap(reinterpret_cast<void*>(end), a + 2 * kChunk - end);
    if (start >> kAddressBits) {
        munmap(reinterpret_cast<void*>(start), kChunk);
        return nullptr;
    }
#ifdef MADV_HUGEPAGE
    // Transparent huge pages where the system grants them on request: a large exact state
    // spans gigabytes of blocks, and 2 MiB pages take most of its TLB misses away.
    madvise(reinterpret_cast<void*>(start), kChunk, MADV_HUGEPAGE);
#endif
    const std::size_t c = start >> 22;
    chunks[c / 64].fetch_or(std::uint64_t{1} << (c % 64), std::memory_order_relaxed);
    return reinterpret_cast<char*>(start);
}

Page* new_page(Thread& t, std::uint32_t size) {
    if (t.chunk_next == t.chunk_end) {
        char* c = t.no_chunks ? nullptr : map_chunk();
        if (!c) {
            t.no_chunks = true;
            return nullptr;
        }
        t.chunk_next = c;
        t.chunk_end = c + kChunk;
    }
    if (t.id == 0) t.id = next_thread_id.fetch_add(1, std::memory_order_relaxed);
    auto* p = reinterpret_cast<Page*>(t.chunk_next);
    t.chunk_next += kPage;
    *p = Page{nullptr, t.chunk_next - kPage + kHeader, t.chunk_next, nullptr, t.id, size, false};
    return p;
}

int class_of(std::size_t bytes) { return bytes <= 8 ? 0 : bytes <= 16 ? 1 : -1; }

void* must(void* p) {
    if (!p) std::abort();  // as GMP's own allocator does
    return p;
}

// A block of t's own page p back to that page.
void give_back(Thread& t, Page* p, int k, FreeBlock* b) {
    b->next = p->free;
    p->free = b;
    if (!p->listed && p != t.current[k]) {
        p->listed = true;
        p->next = t.partial[k];
        t.partial[k] = p;
    }
}

// The blocks other threads freed from t's pages of class k, back to their pages; false when
// there were none.
bool take_back(Thread& t, int k) {
    if (t.id == 0 || t.id >= kRemoteThreads) return false;
    FreeBlock* b = remote[t.id][k].exchange(nullptr, std::memory_order_acquire);
    if (!b) return false;
    while (b) {
        FreeBlock* next = b->next;
        give_back(t, page_of(b), k, b);
        b = next;
    }
    return true;
}

void* allocate(std::size_t bytes) {
    const int k = class_of(bytes);
    if (k < 0) return must(std::malloc(bytes));
    Thread& t = self;
    const std::uint32_t size = 8u << k;
    for (;;) {
        if (Page* p = t.current[k]) {
            if (FreeBlock* b = p->free) {
                p->free = b->next;
                return b;
            }
            if (p->fresh != p->end) {
                void* b = p->fresh;
                p->fresh += size;
                return b;
            }
        }
        if (Page* p = t.partial[k]) {
            t.partial[k] = p->next;
            p->listed = false;
            t.current[k] = p;
            continue;
        }
        if (FreeBlock* b = t.foreign[k]) {
            t.foreign[k] = b->next;
            return b;
        }
        if (take_back(t, k)) continue;
        Page* p = new_page(t, size);
        if (!p) return must(std::malloc(bytes));
        t.current[k] = p;
    }
}

void release(void* ptr, std::size_t) {
    if (!in_pool(ptr)) return std::free(ptr);
    Page* p = page_of(ptr);
    const int k = p->size == 8 ? 0 : 1;
    Thread& t = self;
    auto* b = static_cast<FreeBlock*>(ptr);
    if (p->owner != t.id) {  // another thread's page (t.id is 0 on a thread that never made one)
        if (p->owner < kRemoteThreads) return push_remote(p->owner, k, b);
        b->next = t.foreign[k];
        t.foreign[k] = b;
        return;
    }
    give_back(t, p, k, b);
}

void* reallocate(void* ptr, std::size_t old_bytes, std::size_t new_bytes) {
    const bool pooled = in_pool(ptr);
    const int to = class_of(new_bytes);
    if (!pooled && to < 0) return must(std::realloc(ptr, new_bytes));
    if (pooled && to == (page_of(ptr)->size == 8 ? 0 : 1)) return ptr;
    void* q = allocate(new_bytes);
    std::memcpy(q, ptr, std::min(old_bytes, new_bytes));
    release(ptr, old_bytes);
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
