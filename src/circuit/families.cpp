#include "circuit/families.hpp"

#include <algorithm>
#include <map>
#include <random>

#include "support/error.hpp"

namespace ahat {
namespace {

void check_size(std::size_t n, std::string_view family) {
    if (n == 0) fail({}, "the {} family needs a size n of at least 1 (got 0)", family);
}

std::vector<GateId> inputs_named(Circuit& c, std::string_view prefix, std::size_t n) {
    std::vector<GateId> x;
    x.reserve(n);
    for (std::size_t i = 1; i <= n; ++i) x.push_back(c.input(fmt::format("{}{}", prefix, i)));
    return x;
}

// Integer constants, one gate per value, named c3 / cm3 for 3 / -3.
class IntConsts {
public:
    explicit IntConsts(Circuit& c) : c_(c) {}
    GateId get(long long v) {
        auto it = ids_.find(v);
        if (it != ids_.end()) return it->second;
        GateId id = c_.constant(Rational(v), v >= 0 ? fmt::format("c{}", v) : fmt::format("cm{}", -v));
        ids_.emplace(v, id);
        return id;
    }

private:
    Circuit& c_;
    std::map<long long, GateId> ids_;
};

}  // namespace

Circuit inner_product(std::size_t n) {
    check_size(n, "inner-product");
    Circuit c;
    auto x = inputs_named(c, "x", n);
    auto y = inputs_named(c, "y", n);
    std::vector<GateId> p;
    p.reserve(n);
    for (std::size_t i = 0; i < n; ++i) p.push_back(c.mul(x[i], y[i], fmt::format("p{}", i + 1)));
    c.outputs.push_back(c.add(std::move(p), "s"));
    return c;
}

Circuit sum_circuit(std::size_t n) {
    check_size(n, "sum");
    Circuit c;
    auto x = inputs_named(c, "x", n);
    c.outputs.push_back(c.add(std::move(x), "s"));
    return c;
}

Circuit majority(std::size_t n) {
    check_size(n, "majority");
    Circuit c;
    auto x = inputs_named(c, "x", n);
    GateId s = c.add(std::move(x), "s");                                       // depth 1
    GateId half_n = c.constant(Rational(-static_cast<long long>(n), 2), "minus_half_n");
    GateId d = c.add({s, half_n}, "d");                                         // depth 2
    c.outputs.push_back(c.sign(d, "out"));                                      // depth 3
    return c;
}

Circuit threshold(std::size_t n, const Rational& t) {
    check_size(n, "threshold");
    Circuit c;
    auto x = inputs_named(c, "x", n);
    GateId m1 = c.constant(Rational(-1), "minus1");
    GateId one = c.constant(Rational(1), "one");
    GateId tc = c.constant(t, "t");
    std::vector<GateId> terms{tc};
    for (std::size_t i = 0; i < n; ++i) terms.push_back(c.mul(m1, x[i], fmt::format("nx{}", i + 1)));  // 1
    GateId d = c.add(std::move(terms), "d");             // t - sum          depth 2
    GateId below = c.sign(d, "below");                   // [sum < t]        depth 3
    GateId nbelow = c.mul(m1, below, "nbelow");          //                  depth 4
    c.outputs.push_back(c.add({one, nbelow}, "out"));    // [sum >= t]       depth 5
    return c;
}

// Ranks: R_i = 1 + #{j : x_j < x_i} + #{j < i : x_j == x_i}, a permutation of 1..n (ties in
// input order). With g_ij = [x_i > x_j] for i < j (one sign gate per pair),
//   R_i = 1 + i + sum_{j>i} g_ij - sum_{j<i} g_ji          (i 0-based),
// s_ik = [R_i >= k] = sign(R_i - k + 1) for k = 2..n ([R_i >= 1] = 1, [R_i >= n+1] = 0), and
//   out_k = sum_i x_i [R_i == k] = sum_i x_i s_ik + sum_i (-x_i) s_i,k+1.
// Depths: -x 1, x_i - x_j 2, g 3, -g 4, R_i - k + 1 5, s 6, products 7, out 8.
Circuit sort_circuit(std::size_t n) {
    check_size(n, "sort");
    Circuit c;
    auto x = inputs_named(c, "x", n);
    if (n == 1) {
        c.outputs.push_back(c.add({x[0]}, "out1"));
        return c;
    }
    IntConsts k_of(c);
    GateId m1 = k_of.get(-1);
    std::vector<GateId> nx(n);
    for (std::size_t i = 0; i < n; ++i) nx[i] = c.mul(m1, x[i], fmt::format("nx{}", i + 1));
    // g[i][j] and ng[i][j] = -g[i][j] for i < j
    std::vector<std::vector<GateId>> g(n, std::vector<GateId>(n)), ng(n, std::vector<GateId>(n));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            GateId d = c.add({x[i], nx[j]}, fmt::format("d{}_{}", i + 1, j + 1));
            g[i][j] = c.sign(d, fmt::format("gt{}_{}", i + 1, j + 1));
            ng[i][j] = c.mul(m1, g[i][j], fmt::format("ngt{}_{}", i + 1, j + 1));
        }
    // s[i][k] = [R_i >= k] for k = 2..n
    std::vector<std::vector<GateId>> s(n, std::vector<GateId>(n + 1));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 2; k <= n; ++k) {
            long long v = static_cast<long long>(i) + 2 - static_cast<long long>(k);
            std::vector<GateId> terms;
            terms.reserve(n);
            if (v != 0) terms.push_back(k_of.get(v));
            for (std::size_t j = 0; j < i; ++j) terms.push_back(ng[j][i]);
            for (std::size_t j = i + 1; j < n; ++j) terms.push_back(g[i][j]);
            GateId r = c.add(std::move(terms), fmt::format("r{}_{}", i + 1, k));
            s[i][k] = c.sign(r, fmt::format("ge{}_{}", i + 1, k));
        }
    // p[i][k] = x_i s_ik, q[i][k] = -x_i s_ik
    std::vector<std::vector<GateId>> p(n, std::vector<GateId>(n + 1)), q(n, std::vector<GateId>(n + 1));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 2; k <= n; ++k) {
            p[i][k] = c.mul(x[i], s[i][k], fmt::format("p{}_{}", i + 1, k));
            q[i][k] = c.mul(nx[i], s[i][k], fmt::format("q{}_{}", i + 1, k));
        }
    for (std::size_t k = 1; k <= n; ++k) {
        std::vector<GateId> terms;
        terms.reserve(2 * n);
        for (std::size_t i = 0; i < n; ++i) terms.push_back(k == 1 ? x[i] : p[i][k]);
        if (k < n)
            for (std::size_t i = 0; i < n; ++i) terms.push_back(q[i][k + 1]);
        c.outputs.push_back(c.add(std::move(terms), fmt::format("out{}", k)));
    }
    return c;
}

Circuit matvec(std::size_t n) {
    check_size(n, "matvec");
    Circuit c;
    std::vector<std::vector<GateId>> a(n, std::vector<GateId>(n));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) a[i][j] = c.input(fmt::format("a{}_{}", i + 1, j + 1));
    auto x = inputs_named(c, "x", n);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<GateId> p;
        p.reserve(n);
        for (std::size_t j = 0; j < n; ++j) p.push_back(c.mul(a[i][j], x[j], fmt::format("p{}_{}", i + 1, j + 1)));
        c.outputs.push_back(c.add(std::move(p), fmt::format("y{}", i + 1)));
    }
    return c;
}

// Level by level: level L (1..depth) holds size/depth gates (the first size % depth levels one
// more), each with at least one operand drawn from level L-1, so its depth is exactly L. Other
// operands come from any lower level (inputs included) or, now and then, a small constant.
// Ops: add 1/2, sign 1/4, mul 1/4. Random numbers: mt19937_64 with plain modulo, so the circuit
// depends on the seed only, not on the standard library.
Circuit random_circuit(const RandomCircuitParams& p) {
    if (p.inputs == 0) fail({}, "a random circuit needs at least 1 input");
    if (p.depth == 0) fail({}, "a random circuit needs depth at least 1");
    if (p.max_fanin == 0) fail({}, "a random circuit needs max fan-in at least 1");
    if (p.size < p.depth)
        fail({}, "a random circuit of depth {} needs at least {} gates (got size {})", p.depth, p.depth, p.size);
    if (p.size > (std::size_t(1) << 28) || p.inputs > (std::size_t(1) << 28))
        fail({}, "a random circuit of {} gates and {} inputs is too large", p.size, p.inputs);

    std::mt19937_64 rng(p.seed);
    auto below = [&rng](std::size_t m) { return static_cast<std::size_t>(rng() % m); };

    Circuit c;
    std::vector<GateId> pool = inputs_named(c, "x", p.inputs);  // gates of levels < L
    std::vector<GateId> prev = pool;                               // gates of level L-1

    static const std::pair<long, long> kConsts[] = {{-3, 1}, {-5, 2}, {-2, 1}, {-3, 2}, {-1, 1}, {-1, 2},
                                                    {1, 2},  {1, 1},  {3, 2},  {2, 1},  {5, 2},  {3, 1}};
    std::map<std::size_t, GateId> const_ids;
    auto constant = [&]() {
        std::size_t k = below(std::size(kConsts));
        auto it = const_ids.find(k);
        if (it != const_ids.end()) return it->second;
        GateId id = c.constant(Rational(kConsts[k].first, kConsts[k].second),
                               fmt::format("k{}", const_ids.size() + 1));
        const_ids.emplace(k, id);
        return id;
    };
    auto from_prev = [&]() { return prev[below(prev.size())]; };
    auto from_pool = [&]() { return pool[below(pool.size())]; };

    std::vector<GateId> level;
    for (std::size_t L = 1; L <= p.depth; ++L) {
        std::size_t count = p.size / p.depth + (L <= p.size % p.depth ? 1 : 0);
        level.clear();
        level.reserve(count);
        for (std::size_t j = 1; j <= count; ++j) {
            std::string name = fmt::format("l{}_{}", L, j);
            std::size_t kind = below(8);
            GateId id;
            if (kind < 4) {  // add
                std::size_t fanin = 1 + below(p.max_fanin);
                std::vector<GateId> ops;
                ops.reserve(fanin);
                ops.push_back(from_prev());
                for (std::size_t k = 1; k < fanin; ++k) ops.push_back(below(6) == 0 ? constant() : from_pool());
                std::swap(ops[0], ops[below(fanin)]);
                id = c.add(std::move(ops), std::move(name));
            } else if (kind < 6) {  // sign
                id = c.sign(from_prev(), std::move(name));
            } else {  // mul
                GateId a = from_prev();
                GateId b = below(6) == 0 ? constant() : from_pool();
                if (below(2)) std::swap(a, b);
                id = c.mul(a, b, std::move(name));
            }
            level.push_back(id);
        }
        pool.insert(pool.end(), level.begin(), level.end());
        prev = level;
    }

    // Outputs: the whole top level, then up to 3 distinct gates of lower levels.
    c.outputs = level;
    std::vector<GateId> lower;
    for (GateId g : pool)
        if (c.gates[g].op != Op::Input && g < level.front()) lower.push_back(g);
    std::size_t extra = std::min(lower.size(), 1 + below(3));
    for (std::size_t k = 0; k < extra; ++k) {
        std::swap(lower[k], lower[k + below(lower.size() - k)]);
        c.outputs.push_back(lower[k]);
    }
    return c;
}

Circuit make_family(std::string_view name, const FamilyParams& p) {
    if (name == "random") {
        RandomCircuitParams r;
        r.inputs = p.inputs;
        r.depth = p.depth;
        r.size = p.size;
        r.max_fanin = p.max_fanin;
        r.seed = p.seed;
        return random_circuit(r);
    }
    bool known = false;
    for (const auto& n : family_names()) known = known || n == name;
    if (!known) {
        std::string list;
        for (const auto& n : family_names()) list += (list.empty() ? "" : ", ") + n;
        fail({}, "unknown circuit family '{}' (known: {})", name, list);
    }
    check_size(p.size, name);
    if (name == "inner-product") return inner_product(p.size);
    if (name == "sum") return sum_circuit(p.size);
    if (name == "majority") return majority(p.size);
    if (name == "threshold") return threshold(p.size, p.threshold);
    if (name == "sort") return sort_circuit(p.size);
    return matvec(p.size);
}

std::vector<std::string> family_names() {
    return {"inner-product", "sum", "majority", "threshold", "sort", "matvec", "random"};
}

}  // namespace ahat
