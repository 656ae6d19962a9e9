#include "numeric/engine.hpp"

#include <algorithm>
#include <cmath>

#include <omp.h>

#include "circuit/eval.hpp"
#include "encoder/interpreter.hpp"
#include "support/plural.hpp"

namespace ahat::numeric {

namespace {

// A feed-forward circuit as a flat list of operations on slots, each slot a column of row-block
// values; a slot is reused once the gate it held is dead. Gates nothing reads are dropped.
template <class S>
struct FlatCircuit {
    struct Step {
        Op op;
        std::uint32_t out;               // slot
        std::vector<std::uint32_t> in;   // slots (Input: the read index)
        S constant = S(0);
    };
    std::vector<Step> steps;
    std::uint32_t slots = 0;
    std::vector<std::uint32_t> writes;       // coordinate per output
    std::vector<std::uint32_t> out_slots;    // slot per output
    std::vector<std::uint32_t> reads;

    explicit FlatCircuit(const FeedForward& f) : writes(f.writes), reads(f.reads) {
        const Circuit& c = f.circuit;
        const std::size_t G = c.gates.size();
        std::vector<std::int64_t> last_use(G, -1);
        for (std::size_t k = 0; k < G; ++k)
            for (GateId in : c.gates[k].in) last_use[in] = static_cast<std::int64_t>(k);
        for (GateId o : c.outputs) last_use[o] = static_cast<std::int64_t>(G);
        std::vector<std::uint32_t> slot_of(G, UINT32_MAX), free;
        std::uint32_t next_input = 0;
        for (std::size_t k = 0; k < G; ++k) {
            const Gate& g = c.gates[k];
            const std::uint32_t input_index = g.op == Op::Input ? next_input++ : 0;
            if (last_use[k] < 0) continue;  // dead: nothing reads it
            std::uint32_t s;
            if (!free.empty()) s = free.back(), free.pop_back();
            else s = slots++;
            slot_of[k] = s;
            Step step{g.op, s, {}, S(0)};
            if (g.op == Op::Input) step.in.push_back(input_index);
            if (g.op == Op::Const) step.constant = from_rational<S>(g.value);
            for (GateId in : g.in) step.in.push_back(slot_of[in]);
            steps.push_back(std::move(step));
            for (GateId in : g.in)
                if (last_use[in] == static_cast<std::int64_t>(k) && slot_of[in] != UINT32_MAX) {
                    if (std::find(free.begin(), free.end(), slot_of[in]) == free.end()) free.push_back(slot_of[in]);
                }
        }
        for (GateId o : c.outputs) out_slots.push_back(slot_of[o]);
    }

    // Rows [r0, r0 + R) of the (B n) x d state Y: Y[r][writes[k]] += output k.
    void run(S* Y, std::size_t d, std::size_t r0, std::size_t R, std::vector<S>& buf) const {
        buf.resize(static_cast<std::size_t>(slots) * R);
        for (const Step& st : steps) {
            S* out = buf.data() + static_cast<std::size_t>(st.out) * R;
            switch (st.op) {
                case Op::Input:
                    for (std::size_t r = 0; r < R; ++r) out[r] = Y[(r0 + r) * d + reads[st.in[0]]];
                    break;
                case Op::Const: std::fill(out, out + R, st.constant); break;
                case Op::Add:
                    std::fill(out, out + R, S(0));
                    for (std::uint32_t in : st.in) {
                        const S* a = buf.data() + static_cast<std::size_t>(in) * R;
                        for (std::size_t r = 0; r < R; ++r) out[r] += a[r];
                    }
                    break;
                case Op::Mul: {
                    const S* a = buf.data() + static_cast<std::size_t>(st.in[0]) * R;
                    const S* b = buf.data() + static_cast<std::size_t>(st.in[1]) * R;
                    for (std::size_t r = 0; r < R; ++r) out[r] = a[r] * b[r];
                    break;
                }
                case Op::Sign: {
                    const S* a = buf.data() + static_cast<std::size_t>(st.in[0]) * R;
                    for (std::size_t r = 0; r < R; ++r) out[r] = a[r] > S(0) ? S(1) : S(0);
                    break;
                }
            }
        }
        for (std::size_t k = 0; k < writes.size(); ++k) {
            const S* a = buf.data() + static_cast<std::size_t>(out_slots[k]) * R;
            for (std::size_t r = 0; r < R; ++r) Y[(r0 + r) * d + writes[k]] += a[r];
        }
    }
};

template <class S>
struct LoweredHead {
    Affine<S> query, key, value;
    Sparse<S> output;
    S beta;
};

int thread_count(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

}  // namespace

template <class S>
struct Plan<S>::Lowered {
    std::vector<std::vector<LoweredHead<S>>> heads;
    std::vector<std::optional<FlatCircuit<S>>> ffn;
};

template <class S>
Plan<S>::Plan(const Encoder& enc) : enc_(&enc), low_(std::make_unique<Lowered>()) {
    validate(enc);
    for (const Layer& layer : enc.layers) {
        auto& lowered = low_->heads.emplace_back();
        for (const Head& h : layer.heads)
            lowered.push_back(LoweredHead<S>{convert<S>(h.query), convert<S>(h.key), convert<S>(h.value),
                                             convert<S>(h.output), from_rational<S>(h.beta)});
        if (layer.ffn) low_->ffn.emplace_back(FlatCircuit<S>(*layer.ffn));
        else low_->ffn.emplace_back();
    }
}

template <class S>
Plan<S>::~Plan() = default;
template <class S>
Plan<S>::Plan(Plan&&) noexcept = default;

template <class S>
BatchResult<S> Plan<S>::run(const std::vector<Matrix<S>>& inputs, const EngineOptions& opts) const {
    const Encoder& enc = *enc_;
    const std::size_t B = inputs.size(), d = enc.d;
    const std::size_t n = B ? inputs[0].rows : 0;
    for (std::size_t b = 0; b < B; ++b) {
        if (inputs[b].cols != d) fail({}, "input {} has {} columns, the encoder's width is d = {}", b, inputs[b].cols, d);
        if (inputs[b].rows != n) fail({}, "input {} has {} positions, input 0 has {}: a batch has one length", b, inputs[b].rows, n);
    }
    std::size_t L = enc.layers.size();
    if (opts.stop_after) {
        if (*opts.stop_after > L) fail({}, "cannot stop after {}: the encoder has {}", counted(*opts.stop_after, "layer"), counted(L, "layer"));
        L = *opts.stop_after;
    }
    BatchResult<S> res;
    res.batch = B, res.n = n, res.layers_run = L;
    res.tie_tolerance = opts.tie_tolerance.value_or(default_tie_tolerance<S>());
    const Order order = std::is_same_v<S, bfloat16> ? Order::Reference : opts.order;
    if (opts.device == Device::Cuda) require_cuda();
    const std::size_t R = B * n;
    // Small batches run on one thread: a barrier costs more than the work (the result is the
    // same whatever the thread count).
    const int T = R < 1024 && opts.threads == 0 ? 1 : thread_count(opts.threads);
    std::vector<S> X(R * d), Y;
    for (std::size_t b = 0; b < B; ++b) std::copy(inputs[b].data.begin(), inputs[b].data.end(), X.begin() + static_cast<std::ptrdiff_t>(b * n * d));
    constexpr std::size_t kRowBlock = 256;
    const auto blocks = static_cast<std::int64_t>((R + kRowBlock - 1) / kRowBlock);
    for (std::size_t l = 0; l < L; ++l) {
        const Layer& layer = enc.layers[l];
        const auto& heads = low_->heads[l];
        const std::size_t H = heads.size();
        std::vector<std::vector<S>> Q(H), K(H), V(H), A(H);
        std::vector<std::vector<std::uint32_t>> sel(H);
        for (std::size_t h = 0; h < H; ++h) {
            Q[h].assign(R * heads[h].query.rows(), S(0));
            K[h].assign(R * heads[h].key.rows(), S(0));
            V[h].assign(R * heads[h].value.rows(), S(0));
            A[h].assign(R * heads[h].value.rows(), S(0));
            if (opts.record_selected) sel[h].assign(R, 0);
        }
        // The maps, row blocks in parallel.
#pragma omp parallel for num_threads(T) schedule(static)
        for (std::int64_t blk = 0; blk < blocks; ++blk) {
            const std::size_t r1 = std::min(R, static_cast<std::size_t>(blk + 1) * kRowBlock);
            for (std::size_t r = static_cast<std::size_t>(blk) * kRowBlock; r < r1; ++r)
                for (std::size_t h = 0; h < H; ++h) {
                    const LoweredHead<S>& lh = heads[h];
                    apply(lh.query, X.data() + r * d, Q[h].data() + r * lh.query.rows());
                    apply(lh.key, X.data() + r * d, K[h].data() + r * lh.key.rows());
                    apply(lh.value, X.data() + r * d, V[h].data() + r * lh.value.rows());
                }
        }
        // Attention: every (head, instance) pair of the layer, scheduled by attend_all.
        const std::size_t HB = H * B;
        std::vector<HeadJob<S>> jobs(HB);
        for (std::size_t p = 0; p < HB; ++p) {
            const std::size_t h = p / B, b = p % B;
            const Head& head = layer.heads[h];
            const std::size_t dk = heads[h].query.rows(), dv = heads[h].value.rows();
            HeadJob<S>& job = jobs[p];
            job.Q = Q[h].data() + b * n * dk, job.K = K[h].data() + b * n * dk, job.V = V[h].data() + b * n * dv;
            job.A = A[h].data() + b * n * dv;
            job.selected = opts.record_selected ? sel[h].data() + b * n : nullptr;
            job.n = n, job.dk = dk, job.dv = dv;
            job.rule = head.rule, job.mask = head.mask, job.window = head.window;
            job.beta = heads[h].beta, job.tol = res.tie_tolerance;
            job.q_begin = 0, job.q_end = n;
        }
        if (opts.device == Device::Cuda) attend_cuda(jobs, order, opts.gpu_parts);
        else attend_all(jobs, order, T, opts.shortcuts);
        // Residual (heads in order, as the interpreter adds them) and the feed-forward part.
        Y = X;
        const FlatCircuit<S>* ffn = low_->ffn[l] ? &*low_->ffn[l] : nullptr;
#pragma omp parallel for num_threads(T) schedule(static)
        for (std::int64_t blk = 0; blk < blocks; ++blk) {
            const std::size_t r0 = static_cast<std::size_t>(blk) * kRowBlock;
            const std::size_t r1 = std::min(R, r0 + kRowBlock);
            for (std::size_t r = r0; r < r1; ++r)
                for (std::size_t h = 0; h < H; ++h)
                    apply_add(heads[h].output, A[h].data() + r * heads[h].value.rows(), Y.data() + r * d);
            if (ffn) {
                thread_local std::vector<S> buf;
                ffn->run(Y.data(), d, r0, r1 - r0, buf);
            }
        }
        std::swap(X, Y);
        if (opts.record_selected) res.selected.push_back(std::move(sel));
    }
    const Readout& ro = enc.readout;
    if (ro.kind == Readout::Kind::Sequence) {
        res.outputs.assign(B, Matrix<S>(n, ro.coordinates.size()));
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t k = 0; k < ro.coordinates.size(); ++k)
                    res.outputs[b].at(i, k) = X[(b * n + i) * d + ro.coordinates[k]];
    } else {
        if (n == 0 && B > 0) fail({}, "an acceptance readout needs at least one position; the input is empty");
        for (std::size_t b = 0; b < B; ++b) {
            const S* x = X.data() + (b * n + (ro.at_last ? n - 1 : 0)) * d;
            S score = from_rational<S>(ro.bias);
            for (std::size_t c = 0; c < d; ++c)
                if (ro.weights[c] != 0) score += from_rational<S>(ro.weights[c]) * x[c];
            res.score.push_back(score);
            res.accepted.push_back(score > S(0));
        }
    }
    res.state = std::move(X);
    return res;
}

Encoder as_softmax(const Encoder& enc, const Rational& beta) {
    Encoder out = enc;
    for (Layer& layer : out.layers)
        for (Head& h : layer.heads)
            if (h.rule == Rule::AverageHard) h.rule = Rule::Softmax, h.beta = beta;
    return out;
}

double beta_sufficient(double gap, double u, double m, double V, double eps) {
    if (!(m >= 1 && m <= u && V >= 0 && eps > 0)) fail({}, "beta_sufficient needs 1 <= m <= u, V >= 0 and eps > 0");
    if (u == m || 2 * V <= eps) return 0;
    if (!(gap > 0)) fail({}, "beta_sufficient needs a positive gap when some allowed key is not selected");
    return std::max(0.0, std::log((2 * V - eps) * (u - m) / (eps * m)) / gap);
}

template <class S>
std::vector<Matrix<S>> embed_batch(const Encoder& enc, const std::vector<std::vector<std::string>>& tokens) {
    std::vector<Matrix<S>> out;
    out.reserve(tokens.size());
    for (const auto& t : tokens) out.push_back(convert<S>(embed(enc, t)));
    return out;
}

template class Plan<double>;
template class Plan<float>;
template class Plan<bfloat16>;
template std::vector<Matrix<double>> embed_batch<double>(const Encoder&, const std::vector<std::vector<std::string>>&);
template std::vector<Matrix<float>> embed_batch<float>(const Encoder&, const std::vector<std::vector<std::string>>&);
template std::vector<Matrix<bfloat16>> embed_batch<bfloat16>(const Encoder&, const std::vector<std::vector<std::string>>&);

}  // namespace ahat::numeric
