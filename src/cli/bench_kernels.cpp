// ahat bench kernels [--n 1024,4096,16384,65536] [--dk 16,64] [--rule hard,softmax]
//                    [--mask none,causal] [--precision float,double] [--heads 4] [--batch 1]
//                    [--order fast|reference] [--repeats 3] [--device cpu|cuda] [--json]
// ahat bench programs [--tasks sort,histogram,copy] [--n 1024,...,65536] [--batch 16]
//                     [--interpreter-up-to 2048] [--json]
// The numeric engine's speed (src/bench/kernels_bench.hpp, docs/numeric.md). With --json, one
// JSON Lines record per shape, in the keys bench/compare_kernels.py reads.
#include <unistd.h>

#include "bench/kernels_bench.hpp"
#include "numeric/device.hpp"
#include "capture/sweep.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"

namespace ahat::cli {
namespace {

struct KernelArgs {
    std::string n = "1024,4096,16384,65536", dk = "16,64", rule = "hard,softmax", mask = "none,causal", precision = "float,double",
                order = "fast", device = "cpu";
    std::size_t heads = 4, batch = 1, repeats = 3;
    bool n_given = false, dk_given = false, precision_given = false, heads_given = false;
    OutputFlags out;
};

struct ProgramArgs {
    std::string tasks = "sort,histogram,copy", n = "1024,2048,4096,8192,16384,32768,65536";
    std::size_t batch = 16, interpreter_up_to = 2048;
    OutputFlags out;
};

// Sizes in the one --sizes grammar (A..B, A..B*K, lists).
std::vector<std::size_t> sizes_of(const std::string& text, const char* option) {
    return capture::parse_sizes(text, option);
}

// One flat record (every key always present) as JSON Lines or CSV, keys from the first.
void write_record(std::optional<RecordWriter>& w, const OutputFlags& out, const json& j) {
    if (!w) {
        std::vector<std::string> keys;
        for (const auto& [k, v] : j.items()) keys.push_back(k), (void)v;
        w.emplace(out, std::move(keys));
    }
    w->write(j);
}

std::vector<bool> choice(const std::string& text, const char* option, const char* no, const char* yes) {
    std::vector<bool> out;
    for (const std::string& s : split_list(text)) {
        if (s == no) out.push_back(false);
        else if (s == yes) out.push_back(true);
        else fail(SourceLoc{option, 0, 0}, "unknown value '{}' ({} or {})", s, no, yes);
    }
    if (out.empty()) fail(SourceLoc{option, 0, 0}, "no values given");
    return out;
}

// --device cuda: the GPU kernels (numeric/device.hpp) on the same shapes, defaults n =
// 16384, 65536, dk = 64, 128, 8 heads, bfloat16 (tensor cores), float and double, and the
// GPU's own ceilings (cuBLAS GEMM per precision, a device copy) measured once in the run.
// flops_per_s counts 2 dk per allowed pair for hard heads and 4 dk for softmax (as the CPU
// records do); sdpa_flops_per_s counts 4 dk for both (PyTorch's convention for attention).
int run_kernels_cuda(const KernelArgs& a, numeric::Order order) {
    const std::string device = numeric::require_cuda();
    const numeric::CudaCeilings c = numeric::cuda_ceilings();
    const bool tty = isatty(STDERR_FILENO);
    std::optional<RecordWriter> records;
    const std::string precisions = a.precision_given ? a.precision : "bfloat16,float,double";
    for (std::size_t n : sizes_of(a.n_given ? a.n : "16384,65536", "--n"))
        for (std::size_t dk : sizes_of(a.dk_given ? a.dk : "64,128", "--dk"))
            for (bool softmax : choice(a.rule, "--rule", "hard", "softmax"))
                for (bool causal : choice(a.mask, "--mask", "none", "causal"))
                    for (const std::string& prec : split_list(precisions)) {
                        numeric::CudaKernelShape s;
                        s.n = n, s.dk = dk, s.heads = a.heads_given ? a.heads : 8, s.batch = a.batch;
                        s.softmax = softmax, s.causal = causal, s.precision = prec, s.order = order;
                        if (tty) fmt::print(stderr, "  n = {}, dk = {}, {}, {}, {}...\n", n, dk, softmax ? "softmax" : "hard", causal ? "causal" : "none", prec);
                        const numeric::CudaKernelPoint p = numeric::cuda_bench_kernel(s, a.repeats);
                        const double secs = p.ms * 1e-3;
                        const double flops = p.pairs * static_cast<double>(dk) * (softmax ? 4.0 : 2.0) / secs;
                        const double sdpa_flops = p.pairs * static_cast<double>(dk) * 4.0 / secs;
                        const double gemm = 1e12 * (prec == "bfloat16" ? c.gemm_bf16_tflops : prec == "float" ? c.gemm_float_tflops : c.gemm_double_tflops);
                        const json j{{"impl", "ahat-cuda"},
                                     {"device", device},
                                     {"n", n},
                                     {"dk", dk},
                                     {"heads", s.heads},
                                     {"batch", a.batch},
                                     {"rule", softmax ? "softmax" : "hard"},
                                     {"mask", causal ? "causal" : "none"},
                                     {"precision", prec},
                                     {"order", prec == "bfloat16" ? "fast" : a.order},
                                     {"ms", p.ms},
                                     {"scores_per_s", p.pairs / secs},
                                     {"flops_per_s", flops},
                                     {"sdpa_flops_per_s", sdpa_flops},
                                     {"rescans", p.rescans},
                                     {"max_abs_error", p.max_abs_error},
                                     {"elements_off", p.off},
                                     {"elements_checked", p.checked},
                                     {"gemm_flops_per_s", gemm},
                                     {"copy_bytes_per_s", c.copy_gbs * 1e9},
                                     {"fraction_of_gemm", gemm > 0 ? flops / gemm : 0.0},
                                     {"status", "ok"}};
                        if (!a.out.text()) write_record(records, a.out, j);
                        else
                            fmt::print("n {:>7} dk {:>3} {:<7} {:<6} {:<8} {:>10.3f} ms {:>10.3e} scores/s {:>7.1f} TFLOP/s (4dk) {:.1f}% of GEMM\n", n, dk,
                                       softmax ? "softmax" : "hard", causal ? "causal" : "none", prec, p.ms, p.pairs / secs, sdpa_flops / 1e12,
                                       gemm > 0 ? 100 * flops / gemm : 0.0);
                        std::fflush(stdout);
                    }
    return 0;
}

int run_kernels(const KernelArgs& a) {
    numeric::Order order;
    if (a.order == "fast") order = numeric::Order::Fast;
    else if (a.order == "reference") order = numeric::Order::Reference;
    else fail(SourceLoc{"--order", 0, 0}, "unknown order '{}' (fast, reference)", a.order);
    if (numeric::parse_device(a.device) == numeric::Device::Cuda) return run_kernels_cuda(a, order);
    const bool tty = isatty(STDERR_FILENO);
    std::optional<RecordWriter> records;
    for (std::size_t n : sizes_of(a.n, "--n"))
        for (std::size_t dk : sizes_of(a.dk, "--dk"))
            for (bool softmax : choice(a.rule, "--rule", "hard", "softmax"))
                for (bool causal : choice(a.mask, "--mask", "none", "causal"))
                    for (bool dbl : choice(a.precision, "--precision", "float", "double")) {
                        KernelShape s{n, dk, a.heads, a.batch, softmax, causal, dbl};
                        if (tty) fmt::print(stderr, "  n = {}, dk = {}, {}, {}, {}...\n", n, dk, softmax ? "softmax" : "hard", causal ? "causal" : "none", dbl ? "double" : "float");
                        const KernelPoint p = bench_kernel(s, order, a.repeats);
                        const json j{{"impl", "ahat-numeric"},
                                     {"n", n},
                                     {"dk", dk},
                                     {"heads", a.heads},
                                     {"batch", a.batch},
                                     {"rule", softmax ? "softmax" : "hard"},
                                     {"mask", causal ? "causal" : "none"},
                                     {"precision", dbl ? "double" : "float"},
                                     {"ms", p.ms},
                                     {"scores_per_s", p.pairs_per_second},
                                     {"flops_per_s", p.flops_per_second},
                                     {"peak_bytes", p.peak_bytes},
                                     {"status", "ok"},
                                     {"gemm_flops_per_s", p.gemm_flops_per_second},
                                     {"copy_bytes_per_s", p.copy_bytes_per_second},
                                     {"fraction_of_gemm", p.fraction_of_gemm},
                                     {"isa", p.isa},
                                     {"order", p.order}};
                        if (!a.out.text()) write_record(records, a.out, j);
                        else
                            fmt::print("n {:>6} dk {:>3} {:<7} {:<6} {:<6} {:>10.2f} ms {:>10.3e} scores/s  {:.1f}% of GEMM  peak +{} MiB\n", n, dk,
                                       softmax ? "softmax" : "hard", causal ? "causal" : "none", dbl ? "double" : "float", p.ms,
                                       p.pairs_per_second, 100 * p.fraction_of_gemm, p.peak_bytes >> 20);
                        std::fflush(stdout);
                    }
    return 0;
}

int run_programs(const ProgramArgs& a) {
    const bool tty = isatty(STDERR_FILENO);
    bool ok = true;
    std::optional<RecordWriter> records;
    for (const std::string& task : split_list(a.tasks))
        for (std::size_t n : sizes_of(a.n, "--n")) {
            if (tty) fmt::print(stderr, "  {} n = {}...\n", task, n);
            const ProgramPoint p = bench_program(task, n, a.batch, a.interpreter_up_to);
            ok = ok && p.reference_equals_interpreter;
            auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
            const json j{{"task", p.task},
                         {"n", p.n},
                         {"batch", p.batch},
                         {"layers", p.layers},
                         {"heads", p.heads},
                         {"width", p.width},
                         {"precision", "float"},
                         {"engine_seconds", p.engine_seconds},
                         {"engine_tokens_per_s", p.engine_tokens_per_second},
                         {"reference_seconds", p.reference_seconds},
                         {"reference_tokens_per_s", p.reference_tokens_per_second},
                         {"interpreter_seconds", opt(p.interpreter_seconds)},
                         {"interpreter_tokens_per_s", opt(p.interpreter_tokens_per_second)},
                         {"speedup", opt(p.speedup)},
                         {"reference_equals_interpreter", p.reference_equals_interpreter}};
            if (!a.out.text()) write_record(records, a.out, j);
            else
                fmt::print("{:<10} n {:>6} x {:>3}: engine {:.3e} tokens/s (reference order {:.3e}), interpreter {}, speed-up {}\n", task, n,
                           a.batch, p.engine_tokens_per_second, p.reference_tokens_per_second,
                           p.interpreter_tokens_per_second ? fmt::format("{:.3e} tokens/s", *p.interpreter_tokens_per_second) : "not run",
                           p.speedup ? fmt::format("{:.1f}x", *p.speedup) : "-");
            std::fflush(stdout);
        }
    if (!ok) throw CheckFailed("the engine's reference order differs from the interpreter");
    return 0;
}

}  // namespace

void register_bench_kernels(CLI::App& app, Action& action) {
    CLI::App& bench = command_group(app, "bench", "Measurements");
    auto k = std::make_shared<KernelArgs>();
    CLI::App* sub = bench.add_subcommand("kernels", "Attention kernels of the numeric engine, with this machine's GEMM and copy ceilings");
    sub->add_option("--n", k->n, "sequence lengths: A..B, A..B*K or a list (cuda: 16384,65536)")->capture_default_str()
        ->each([k](const std::string&) { k->n_given = true; });
    sub->add_option("--dk", k->dk, "key widths (= value widths; cuda: 64,128)")->capture_default_str()
        ->each([k](const std::string&) { k->dk_given = true; });
    sub->add_option("--rule", k->rule, "hard (average-hard), softmax")->capture_default_str();
    sub->add_option("--mask", k->mask, "none, causal (j <= i)")->capture_default_str();
    sub->add_option("--precision", k->precision, "float, double (cuda also bfloat16; default bfloat16,float,double)")->capture_default_str()
        ->each([k](const std::string&) { k->precision_given = true; });
    add_number(sub, "--heads", k->heads, "heads (cuda: default 8)", 1, 1024)->each([k](const std::string&) { k->heads_given = true; });
    sub->add_option("--device", k->device, "cpu, or cuda (the GPU kernels, with the GPU's cuBLAS and copy ceilings)")->capture_default_str();
    add_number(sub, "--batch", k->batch, "instances", 1, 1 << 20);
    sub->add_option("--order", k->order, "fast or reference")->capture_default_str();
    add_number(sub, "--repeats", k->repeats, "timed runs after one warm-up (median)", 1, 1000);
    add_output_flags(sub, k->out, "JSON Lines, one record per shape", "CSV: one row per shape");
    sub->callback([k, &action] { action = [k] { return run_kernels(*k); }; });
    auto p = std::make_shared<ProgramArgs>();
    CLI::App* prog = bench.add_subcommand("programs", "Compiled tasks in float: the engine against the scalar interpreter");
    prog->add_option("--tasks", p->tasks, "compilable tasks")->capture_default_str();
    prog->add_option("--n", p->n, "sequence lengths: A..B, A..B*K or a list")->capture_default_str();
    add_number(prog, "--batch", p->batch, "instances per run", 1, 1 << 20);
    add_number(prog, "--interpreter-up-to", p->interpreter_up_to, "run the scalar interpreter for n up to this", 0, 1 << 30);
    add_output_flags(prog, p->out, "JSON Lines, one record per task and size", "CSV: one row per task and size");
    prog->callback([p, &action] { action = [p] { return run_programs(*p); }; });
}

}  // namespace ahat::cli
