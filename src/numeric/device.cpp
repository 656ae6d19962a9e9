// device.hpp: the engine's side of the GPU backend; the kernels are in device_cuda.cu
// (compiled where AHAT_HAVE_CUDA is defined, cuda_impl.hpp).
#include "numeric/device.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "support/error.hpp"

#ifdef AHAT_HAVE_CUDA
#include "numeric/cuda_impl.hpp"
#endif

namespace ahat::numeric {

Device parse_device(std::string_view s, const char* option) {
    if (s == "cpu") return Device::Cpu;
    if (s == "cuda") return Device::Cuda;
    fail(SourceLoc{option, 0, 0}, "unknown device '{}' (cpu, cuda)", s);
}

#ifdef AHAT_HAVE_CUDA

namespace {
// Runs f, turning a CUDA failure into an InputError (exit 2).
template <class F>
auto guarded(F f) {
    try {
        return f();
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const InputError*>(&e)) throw;
        fail(SourceLoc{"--device", 0, 0}, "{}", e.what());
    }
}
// The Shape of a job: the fields the kernels read; instances laid out one after the other.
template <class S>
cuda::Shape shape_of(const HeadJob<S>& j) {
    cuda::Shape sh;
    sh.n = static_cast<long long>(j.n), sh.dk = static_cast<int>(j.dk), sh.dv = static_cast<int>(j.dv);
    sh.rule = static_cast<int>(j.rule), sh.mask = static_cast<int>(j.mask);
    sh.window = j.window ? static_cast<long long>(std::min<std::uint64_t>(*j.window, std::uint64_t(1) << 62)) : -1;
    sh.tol = j.tol, sh.beta = static_cast<double>(j.beta);
    sh.q_stride = static_cast<long long>(j.n * j.dk), sh.v_stride = static_cast<long long>(j.n * j.dv);
    return sh;
}
}  // namespace

bool cuda_built() { return true; }

std::optional<std::string> cuda_device() {
    std::string name;
    if (cuda::device_count(&name) == 0) return std::nullopt;
    return name;
}

std::string require_cuda() {
    auto d = cuda_device();
    if (!d) fail(SourceLoc{"--device", 0, 0}, "no CUDA device found (this binary has the CUDA backend, but no GPU is usable)");
    return *d;
}

template <class S>
void attend_cuda(std::vector<HeadJob<S>>& jobs, Order order, std::size_t parts) {
    require_cuda();
    const int gpus = std::max(cuda::device_count(nullptr), 1);
    const cuda::Elem elem = std::is_same_v<S, double> ? cuda::Elem::Double : std::is_same_v<S, float> ? cuda::Elem::Float : cuda::Elem::BFloat16;
    std::size_t p = 0;
    while (p < jobs.size()) {
        // A group: the jobs of one head over consecutive instances (the engine's layout).
        const HeadJob<S>& j0 = jobs[p];
        if (j0.q_begin != 0 || j0.q_end != j0.n) fail({}, "attend_cuda: a job must cover all its queries");
        const std::size_t qs = j0.n * j0.dk, vs = j0.n * j0.dv;
        std::size_t e = p + 1;
        for (; e < jobs.size(); ++e) {
            const HeadJob<S>& je = jobs[e];
            const std::size_t k = e - p;
            const bool same = je.n == j0.n && je.dk == j0.dk && je.dv == j0.dv && je.rule == j0.rule && je.mask == j0.mask &&
                              je.window == j0.window && static_cast<double>(je.beta) == static_cast<double>(j0.beta) && je.tol == j0.tol &&
                              je.q_begin == 0 && je.q_end == je.n && je.Q == j0.Q + k * qs && je.K == j0.K + k * qs && je.V == j0.V + k * vs &&
                              je.A == j0.A + k * vs && (je.selected == nullptr) == (j0.selected == nullptr) &&
                              (!je.selected || je.selected == j0.selected + k * j0.n);
            if (!same) break;
        }
        const cuda::Shape sh = shape_of(j0);
        // The group's instances in `chunks` consecutive runs, run c on GPU c mod gpus, each
        // from a host thread of its own (one run: this thread). Every instance runs the same
        // kernel whatever its run, so the results do not depend on the split.
        const std::size_t count = e - p, chunks = std::min(count, parts ? parts : static_cast<std::size_t>(gpus));
        std::vector<std::exception_ptr> errors(chunks);
        auto run = [&](std::size_t c) {
            const std::size_t a = count * c / chunks, b = count * (c + 1) / chunks;
            try {
                guarded([&] {
                    cuda::attend_group(sh, static_cast<int>(b - a), elem, order == Order::Fast, j0.Q + a * qs, j0.K + a * qs, j0.V + a * vs,
                                       j0.A + a * vs, j0.selected ? j0.selected + a * j0.n : nullptr, static_cast<int>(c % static_cast<std::size_t>(gpus)));
                    return 0;
                });
            } catch (...) {
                errors[c] = std::current_exception();
            }
        };
        if (chunks == 1) {
            run(0);
        } else {
            std::vector<std::thread> threads;
            for (std::size_t c = 0; c < chunks; ++c) threads.emplace_back(run, c);
            for (std::thread& t : threads) t.join();
        }
        for (const std::exception_ptr& x : errors)
            if (x) std::rethrow_exception(x);
        p = e;
    }
}

void softmax_backward_cuda(const HeadJob<double>& job, const double* dA, double* dQ, double* dK, double* dV) {
    require_cuda();
    if (job.rule != Rule::Softmax) fail({}, "softmax_backward_cuda: the head's rule is not softmax");
    guarded([&] {
        cuda::softmax_backward(shape_of(job), job.Q, job.K, job.V, dA, dQ, dK, dV);
        return 0;
    });
}

CudaKernelPoint cuda_bench_kernel(const CudaKernelShape& s, std::size_t repeats) {
    require_cuda();
    cuda::BenchShape b;
    b.n = s.n, b.dk = s.dk, b.heads = s.heads, b.batch = s.batch, b.softmax = s.softmax, b.causal = s.causal, b.fast = s.order == Order::Fast;
    b.coarse = s.coarse, b.tol = s.tol.value_or(-1);
    if (s.precision == "bfloat16") b.kind = 0;
    else if (s.precision == "float") b.kind = 1;
    else if (s.precision == "double") b.kind = 2;
    else fail(SourceLoc{"--precision", 0, 0}, "unknown precision '{}' (bfloat16, float, double)", s.precision);
    if (b.kind == 0 && s.dk != 64 && s.dk != 128) fail(SourceLoc{"--dk", 0, 0}, "the bfloat16 tensor-core kernels take key widths 64 and 128, not {}", s.dk);
    const cuda::BenchPoint r = guarded([&] { return cuda::bench_kernel(b, repeats); });
    return CudaKernelPoint{r.ms, r.pairs, r.rescans, r.max_abs_error, r.off, r.checked};
}

CudaCeilings cuda_ceilings() {
    require_cuda();
    const cuda::Ceilings c = guarded([] { return cuda::ceilings(); });
    return CudaCeilings{c.gemm_bf16_tflops, c.gemm_float_tflops, c.gemm_double_tflops, c.copy_gbs};
}

#else

namespace {
[[noreturn]] void not_built() {
    fail(SourceLoc{"--device", 0, 0}, "this ahat was built without CUDA (configure with -DAHAT_CUDA=ON where the CUDA toolkit is installed)");
}
}  // namespace

bool cuda_built() { return false; }
std::optional<std::string> cuda_device() { return std::nullopt; }
std::string require_cuda() { not_built(); }
template <class S>
void attend_cuda(std::vector<HeadJob<S>>&, Order, std::size_t) {
    not_built();
}
void softmax_backward_cuda(const HeadJob<double>&, const double*, double*, double*, double*) { not_built(); }
CudaKernelPoint cuda_bench_kernel(const CudaKernelShape&, std::size_t) { not_built(); }
CudaCeilings cuda_ceilings() { not_built(); }

#endif

template void attend_cuda<double>(std::vector<HeadJob<double>>&, Order, std::size_t);
template void attend_cuda<float>(std::vector<HeadJob<float>>&, Order, std::size_t);
template void attend_cuda<bfloat16>(std::vector<HeadJob<bfloat16>>&, Order, std::size_t);

}  // namespace ahat::numeric
