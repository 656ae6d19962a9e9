// Exact runs split each layer's rows over threads (RunOptions::threads): every split must give
// the run of one thread, value for value, and a failure must read as in one thread.
#include <catch2/catch.hpp>

#include <random>

#include "circuit/circ_io.hpp"
#include "encoder/interpreter.hpp"
#include "random_heads.hpp"
#include "support/error.hpp"

using namespace ahat;

namespace {

// Two layers of two hard heads each (every rule, mask and window; keys on a line or a plane, or
// one-hot, so that the structured path runs) and a feed-forward circuit per layer.
Encoder threads_encoder(std::mt19937_64& rng, std::size_t d, bool integer) {
    const std::vector<std::optional<std::uint64_t>> windows{std::nullopt, 0, 3, 100};
    Encoder enc;
    enc.d = static_cast<std::uint32_t>(d);
    for (int l = 0; l < 2; ++l) {
        Layer layer;
        for (int hi = 0; hi < 2; ++hi) {
            Matrix<Rational> Qm, Km;
            if (l == 0 && rng() % 3 == 0) {  // one-hot keys of the 0/1 input: few distinct keys
                Km = Matrix<Rational>(d, d);
                Qm = Matrix<Rational>(d, d);
                for (std::size_t r = 0; r < d; ++r) Km.at(r, r) = Rational(1);
                for (auto& x : Qm.data) x = ahat_test::small_rational(rng, 2, integer);
            } else {
                ahat_test::planar_maps(rng, 1 + rng() % 3, d, integer, false, Qm, Km);
            }
            Head h = ahat_test::random_head(rng, Qm, Km, d, integer);
            h.rule = static_cast<Rule>(rng() % 3);  // average-hard, leftmost, rightmost
            h.mask = static_cast<Mask>(rng() % 5);
            h.window = windows[rng() % windows.size()];
            layer.heads.push_back(std::move(h));
        }
        FeedForward f;
        f.circuit = read_circuit("input a\ninput b\np = mul a b\ns = sign p\noutput s\noutput p\n", "ffn.circ");
        f.reads = {static_cast<std::uint32_t>(rng() % d), static_cast<std::uint32_t>(rng() % d)};
        const auto w = static_cast<std::uint32_t>(rng() % d);
        f.writes = {w, static_cast<std::uint32_t>((w + 1 + rng() % (d - 1)) % d)};  // two different coordinates
        layer.ffn = f;
        enc.layers.push_back(std::move(layer));
    }
    enc.readout.coordinates = {0};
    return enc;
}

}  // namespace

TEST_CASE("exact runs: every split of the rows over threads gives the run of one thread", "[encoder][threads]") {
    std::mt19937_64 rng(2718);
    for (int trial = 0; trial < 24; ++trial) {
        // At least 2 blocks of 128 rows, so that 2 or more threads really take part.
        const std::size_t n = 256 + rng() % 500, d = 3 + rng() % 3;
        const bool integer = trial % 2;
        const Encoder enc = threads_encoder(rng, d, integer);
        Matrix<Rational> x(n, d);
        for (auto& v : x.data) v = Rational(static_cast<long long>(rng() % 2));
        Program<Rational> prog(enc);
        RunOptions one;
        one.record_states = true;
        one.threads = 1;
        const RunResult<Rational> want = prog.run(x, one);
        for (int threads : {2, 3, 5}) {
            RunOptions split = one;
            split.threads = threads;
            const RunResult<Rational> got = prog.run(x, split);
            REQUIRE(got.trace.states == want.trace.states);
            REQUIRE(got.trace.mul_adds == want.trace.mul_adds);
            for (std::size_t l = 0; l < 2; ++l)
                for (std::size_t h = 0; h < 2; ++h) REQUIRE(got.trace.heads[l][h].selected == want.trace.heads[l][h].selected);
        }
    }
}

TEST_CASE("exact runs over threads: runaway growth fails at the row one thread names", "[encoder][threads]") {
    // x' = x^2 every layer: rows holding 3 or 5 pass 400 bits at the same layer (3^256 and 5^256:
    // 407 and 595 bits with the denominator), rows holding 1 never. One thread names the first
    // row's gate value; so must every split.
    Encoder enc;
    enc.d = 1;
    FeedForward f;
    f.circuit = read_circuit("input x\ns = mul x x\nt = sub s x\noutput t\n", "square.circ");
    f.reads = {0};
    f.writes = {0};
    enc.layers.assign(12, Layer{});
    for (auto& l : enc.layers) l.ffn = f;
    enc.readout.coordinates = {0};
    Program<Rational> prog(enc);
    const std::size_t n = 1000;
    for (std::size_t first : {0, 130, 499, 990}) {
        Matrix<Rational> x(n, 1);
        for (auto& v : x.data) v = Rational(1);
        x.at(first, 0) = 3;
        x.at(n - 1 - (n - 1 - first) / 2, 0) = 5;  // a later row that fails with another size
        auto message = [&](int threads) {
            RunOptions o;
            o.max_bits = 400;
            o.threads = threads;
            try {
                prog.run(x, o);
            } catch (const InputError& e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        const std::string want = message(1);
        CHECK_THAT(want, Catch::Contains("needs 407 bits"));
        CHECK_THAT(want, Catch::Contains("position " + std::to_string(first) + ":"));
        for (int threads : {2, 4, 7}) CHECK(message(threads) == want);
    }
}
