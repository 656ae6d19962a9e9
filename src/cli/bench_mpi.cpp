// ahat bench mpi [--ranks 2] [--sizes 1..200] [--samples 4] [--depth 8] [--repeats 1]
//                [--mpirun mpirun] [--json]
// The speed-up of `mpirun -n RANKS ahat-mpi` over one ahat process (the named peer) on the
// same sweep, `verify --family random --sizes S --samples K --random-depth D --construction
// wire --json` (one item per size, of growing cost), both run in this call as child processes,
// best of --repeats each, with the MPI run's load balance (largest rank time / mean) from its
// --report. Exit 1 when the two outputs differ by a byte (docs/distributed.md). ahat-mpi is
// looked for beside this binary.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/common.hpp"
#include "cli/records.hpp"

extern char** environ;

namespace ahat::cli {
namespace {

namespace fs = std::filesystem;

struct BenchMpiArgs {
    std::size_t ranks = 2, samples = 4, depth = 8, repeats = 1;
    std::string sizes = "1..200", mpirun = "mpirun";
    OutputFlags out;
};

// Runs argv with stdout to `out` and stderr to `err`; the exit status (127: not started).
int spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return 127;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int run_bench_mpi(const BenchMpiArgs& a) {
    using Clock = std::chrono::steady_clock;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) fail(SourceLoc{"bench mpi", 0, 0}, "cannot find this program's own path: {}", ec.message());
    const fs::path driver = self.parent_path() / "ahat-mpi";
    if (!fs::exists(driver))
        fail(SourceLoc{"bench mpi", 0, 0}, "{} is not built (CMake did not find MPI: AHAT_MPI, docs/distributed.md)", driver.string());
    (void)sizes_from({a.sizes}, "--sizes", std::size_t{1} << 20);  // the sweep's own errors, before anything runs
    const std::vector<std::string> sweep = {"verify",         "--family",       "random",
                                            "--sizes",        a.sizes,          "--samples",
                                            std::to_string(a.samples), "--random-depth", std::to_string(a.depth),
                                            "--construction", "wire",           "--json"};
    char dir_template[] = "/tmp/ahat-bench-mpi.XXXXXX";
    if (!mkdtemp(dir_template)) fail(SourceLoc{"bench mpi", 0, 0}, "cannot make a temporary folder in /tmp");
    const fs::path dir = dir_template;
    struct Cleanup {
        fs::path d;
        ~Cleanup() {
            std::error_code e;
            fs::remove_all(d, e);
        }
    } cleanup{dir};
    // mpirun refuses root unless told; the child inherits this process's environment.
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0), setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    std::vector<std::string> single{self.string()}, mpi{a.mpirun, "-n", std::to_string(a.ranks), "--oversubscribe",
                                                        driver.string(), "--report", (dir / "report.json").string()};
    single.insert(single.end(), sweep.begin(), sweep.end());
    mpi.insert(mpi.end(), sweep.begin(), sweep.end());
    std::string load = slurp_text("/proc/loadavg");
    load = load.substr(0, load.find(' '));
    double best_single = 0, best_mpi = 0;
    for (std::size_t r = 0; r < a.repeats; ++r) {  // interleaved, so both see the same load
        auto t0 = Clock::now();
        if (int rc = spawn(single, dir / "single.jsonl", dir / "single.err"); rc != 0)
            fail(SourceLoc{"bench mpi", 0, 0}, "the single run exited {}: {}", rc, slurp_text(dir / "single.err"));
        auto t1 = Clock::now();
        if (int rc = spawn(mpi, dir / "mpi.jsonl", dir / "mpi.err"); rc != 0)
            fail(SourceLoc{"--mpirun", 0, 0}, "{} exited {}{}: {}", a.mpirun, rc, rc == 127 ? " (not found?)" : "",
                 slurp_text(dir / "mpi.err"));
        auto t2 = Clock::now();
        const double s = std::chrono::duration<double>(t1 - t0).count(), m = std::chrono::duration<double>(t2 - t1).count();
        best_single = r ? std::min(best_single, s) : s, best_mpi = r ? std::min(best_mpi, m) : m;
    }
    const json report = json::parse(slurp_text(dir / "report.json"), nullptr, false);
    if (report.is_discarded() || !report.contains("balance"))
        internal_error("ahat-mpi wrote no readable --report");
    const bool same = slurp_text(dir / "single.jsonl") == slurp_text(dir / "mpi.jsonl");
    std::string sweep_text;
    for (const std::string& s : sweep) sweep_text += (sweep_text.empty() ? "" : " ") + s;
    const json rec{{"bench", "mpi"},
                   {"peer", "one ahat process"},
                   {"sweep", sweep_text},
                   {"items", report.value("items", json(nullptr))},
                   {"ranks", a.ranks},
                   {"repeats", a.repeats},
                   {"single_seconds", best_single},
                   {"mpi_seconds", best_mpi},
                   {"speedup", best_single / std::max(best_mpi, 1e-9)},
                   {"balance", report["balance"]},
                   {"same_output", same},
                   {"load_before", std::atof(load.c_str())}};
    if (a.out.text()) {
        fmt::print("{} on {} items: one process {:.2f} s, mpirun -n {} {:.2f} s: speed-up {:.2f}, load balance (max/mean) {:.3f}; "
                   "outputs {} (load average before: {})\n",
                   sweep_text, rec["items"].dump(), best_single, a.ranks, best_mpi, rec["speedup"].get<double>(),
                   rec["balance"].get<double>(), same ? "equal" : "DIFFER", load);
    } else {
        RecordWriter w(a.out, {"bench", "peer", "sweep", "items", "ranks", "repeats", "single_seconds", "mpi_seconds", "speedup",
                               "balance", "same_output", "load_before"});
        w.write(rec);
    }
    if (!same) throw CheckFailed("the MPI run's output differs from the single run's");
    return 0;
}

}  // namespace

void register_bench_mpi(CLI::App& app, Action& action) {
    CLI::App* bench = &command_group(app, "bench", "Speed measurements that print JSON");
    auto a = std::make_shared<BenchMpiArgs>();
    CLI::App* sub = bench->add_subcommand("mpi", "Speed-up of mpirun -n R ahat-mpi over one ahat process on a random-circuit sweep");
    add_number(sub, "--ranks", a->ranks, "MPI ranks (default 2)", 1, 4096);
    sub->add_option("--sizes", a->sizes, "circuit sizes, one item each (default 1..200)");
    add_number(sub, "--samples", a->samples, "inputs per circuit (default 4)", 1, 1 << 20);
    add_number(sub, "--depth", a->depth, "circuit depth (default 8)", 1, 64);
    add_number(sub, "--repeats", a->repeats, "runs of each, interleaved; the best counts (default 1)", 1, 100);
    sub->add_option("--mpirun", a->mpirun, "the MPI launcher (default mpirun)");
    add_output_flags(sub, a->out, "one JSON record", "CSV: a header and one row");
    sub->callback([a, &action] { action = [a] { return run_bench_mpi(*a); }; });
}

}  // namespace ahat::cli
