// The numeric engine: an encoder lowered once to a plan for double, float or bfloat16, then run
// on a batch of B inputs of one length n, on all cores, with SIMD kernels.
//
// Offers:
//   Order               Reference (bit-for-bit the scalar interpreter, Program<S>) or Fast
//                       (fused multiply-adds, online softmax, grouped keys; error measured).
//   EngineOptions       order, tie tolerance, stop after a layer, |M_i| recording, threads,
//                       shortcuts (off: every head on dense tiles, for timing by shape), device
//                       (cuda: each layer's attention on the GPU, device.hpp; the same bits
//                       as the CPU in the reference order for hard and uniform heads).
//   BatchResult<S>      per instance: readout outputs (sequence) or acceptance and score; per
//                       layer and head the argmax-set sizes |M_i| (on request).
//   Plan<S>             Plan(enc) lowers once (enc must outlive the plan): projections as sparse maps (compiled encoders
//                       are sparse), each feed-forward circuit as a flat list of vector
//                       operations over row blocks with its storage reused once a value is
//                       dead, attention through kernels.hpp. run(inputs) checks shapes
//                       (InputError) and runs; the result does not depend on the number of
//                       threads (every output is computed by one thread in a fixed order).
//   as_softmax(enc, beta)  the encoder with every average-hard head made softmax at beta.
//   beta_sufficient(gap, u, m, V, eps)   proofs/softmax-hard.md, Corollary 2: the smallest
//                       beta at which every query with exact gap >= gap, (u_i - m_i)/m_i <=
//                       (u - m)/m and values bounded by V has ||softmax - hard||_inf <= eps.
//   embed_batch<S>(enc, token lists)  the string front end, rounded to S.
// Cost of a layer for B instances of length n: O(B n nnz(Q,K,V,O)) for the maps,
// O(B n gates) for the feed-forward part, and per head the kernels' cost (kernels.hpp):
// O(B |allowed pairs| dk) on dense tiles, less for uniform heads and grouped keys. Memory
// O(B n (d + sum over heads of 2 dk + 2 dv)): never an n x n matrix.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "encoder/encoder.hpp"
#include "numeric/device.hpp"
#include "numeric/kernels.hpp"

namespace ahat::numeric {

struct EngineOptions {
    Order order = Order::Reference;
    std::optional<double> tie_tolerance;     // default_tie_tolerance<S>() if unset
    std::optional<std::size_t> stop_after;   // run layers 0..stop_after-1 only
    bool record_selected = false;
    int threads = 0;                         // 0: every core (OpenMP's default)
    Device device = Device::Cpu;
    std::size_t gpu_parts = 0;               // Cuda: runs per group of instances (0: one per GPU)
    bool shortcuts = true;                   // false: dense tiles for every hard and softmax
                                             // head (attend_all), a shape-only cost; same bits
};

template <class S>
struct BatchResult {
    std::size_t batch = 0, n = 0, layers_run = 0;
    double tie_tolerance = 0;
    std::vector<Matrix<S>> outputs;               // sequence readout: n x |coordinates| each
    std::vector<std::optional<bool>> accepted;    // accept readout, per instance
    std::vector<S> score;                         // accept readout: <t, x_p> + b
    std::vector<std::vector<std::vector<std::uint32_t>>> selected;  // [layer][head][b * n + i]
    std::vector<S> state;                         // final state, (B n) x d row-major
};

template <class S>
class Plan {
public:
    explicit Plan(const Encoder& enc);
    ~Plan();
    Plan(Plan&&) noexcept;
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;

    BatchResult<S> run(const std::vector<Matrix<S>>& inputs, const EngineOptions& opts = {}) const;
    const Encoder& encoder() const { return *enc_; }

private:
    struct Lowered;
    const Encoder* enc_;
    std::unique_ptr<Lowered> low_;
};

Encoder as_softmax(const Encoder& enc, const Rational& beta);

// 0 when u == m or 2V <= eps; else max(0, ln((2V - eps)(u - m) / (eps m)) / gap). Requires
// 1 <= m <= u, V >= 0, eps > 0 and gap > 0 when u > m (InputError otherwise). Evaluated in
// double: a certificate multiplies it by (1 + 2^-40).
double beta_sufficient(double gap, double u, double m, double V, double eps);

template <class S>
std::vector<Matrix<S>> embed_batch(const Encoder& enc, const std::vector<std::vector<std::string>>& tokens);

}  // namespace ahat::numeric
