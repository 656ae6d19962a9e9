// ahat-mpi [--report FILE] COMMAND ...: a sweep command of ahat (verify --family, capture,
// validate, lang compare, sinks, cascade) with its items handed out to the ranks of an MPI job as they finish
// the previous one (docs/distributed.md). Every rank parses the same command line and
// enumerates the same items (cli/sweep.hpp); rank 0 dispatches from its main thread, computes
// items on a second thread, gathers every result and renders the single run's output, byte
// for byte. It reports each rank's items and busy time and the load balance (max / mean) on
// stderr, and as JSON in FILE with --report. A failing item stops the handing out; the items
// finished so far stay in the --resume file, and the run exits with the item's exit code.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "cli/common.hpp"
#include "cli/sweep.hpp"

namespace ahat::cli {
namespace {

constexpr int kResult = 1, kItem = 2, kReport = 3;
constexpr std::uint64_t kStop = UINT64_MAX;

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One item run, its exception caught: {"item", "result"} or {"item", "error", "code"}.
json run_item(const SweepItems& items, std::size_t i) {
    try {
        return json{{"item", i}, {"result", items.compute(i)}};
    } catch (const InputError& e) {
        return json{{"item", i}, {"error", e.located()}, {"code", 2}};
    } catch (const CheckFailed& e) {
        return json{{"item", i}, {"error", e.what()}, {"code", 1}};
    } catch (const std::exception& e) {
        return json{{"item", i}, {"error", e.what()}, {"code", 3}};
    }
}

void send_text(const std::string& s, int dest, int tag) {
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

std::string recv_text(int source, int tag, int* from = nullptr) {
    MPI_Status st;
    MPI_Probe(source, tag, MPI_COMM_WORLD, &st);
    int len = 0;
    MPI_Get_count(&st, MPI_CHAR, &len);
    std::string s(static_cast<std::size_t>(std::max(len, 0)), '\0');
    MPI_Recv(s.data(), len, MPI_CHAR, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (from) *from = st.MPI_SOURCE;
    return s;
}

// Ranks other than 0: ask for an item, run it, send its result with the next request.
bool worker(const SweepItems& items) {
    double busy = 0;
    std::size_t count = 0;
    json msg{{"item", nullptr}};
    for (;;) {
        send_text(msg.dump(), 0, kResult);
        std::uint64_t i = 0;
        MPI_Recv(&i, 1, MPI_UINT64_T, 0, kItem, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (i == kStop) break;
        const auto t0 = Clock::now();
        msg = run_item(items, i);
        busy += since(t0), ++count;
    }
    send_text(json{{"items", count}, {"seconds", busy}}.dump(), 0, kReport);
    return false;
}

std::string report_path;

bool dispatcher(const SweepItems& items, const std::vector<std::size_t>& todo,
                const std::function<void(std::size_t, json)>& done, int ranks) {
    const auto start = Clock::now();
    std::mutex mu;
    std::size_t next = 0;
    bool failed = false;
    std::deque<json> finished;  // rank 0's own items
    auto take = [&]() -> std::optional<std::size_t> {
        std::lock_guard<std::mutex> lock(mu);
        if (failed || next == todo.size()) return std::nullopt;
        return todo[next++];
    };
    std::vector<double> seconds(static_cast<std::size_t>(ranks));
    std::vector<std::size_t> counts(static_cast<std::size_t>(ranks));
    bool local_done = false;
    std::thread local([&] {
        while (auto i = take()) {
            const auto t0 = Clock::now();
            json r = run_item(items, *i);
            std::lock_guard<std::mutex> lock(mu);
            seconds[0] += since(t0), ++counts[0];
            failed = failed || r.contains("error");  // no further items, here or elsewhere
            finished.push_back(std::move(r));
        }
        std::lock_guard<std::mutex> lock(mu);
        local_done = true;
    });
    json failure;  // the first failed item's message
    auto accept = [&](json msg, int rank) {
        if (msg["item"].is_null()) return;
        const std::size_t i = msg["item"].get<std::size_t>();
        if (msg.contains("error")) {
            std::fprintf(stderr, "ahat-mpi: rank %d failed on item %zu ('%s'): %s\n", rank, i, items.key(i).c_str(),
                         msg["error"].get<std::string>().c_str());
            std::lock_guard<std::mutex> lock(mu);
            if (failure.is_null()) failure = msg;
            failed = true;
            return;
        }
        done(i, std::move(msg["result"]));
    };
    int active = ranks - 1;
    for (;;) {
        std::deque<json> mine;
        bool local_over = false;
        {
            std::lock_guard<std::mutex> lock(mu);
            mine.swap(finished);
            local_over = local_done;
        }
        for (json& m : mine) accept(std::move(m), 0);
        if (active == 0 && local_over) break;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, kResult, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (!flag) {  // sleep rather than spin: rank 0's own items need the core
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            continue;
        }
        int from = 0;
        accept(json::parse(recv_text(MPI_ANY_SOURCE, kResult, &from)), from);
        const std::optional<std::size_t> i = take();
        const std::uint64_t item = i ? static_cast<std::uint64_t>(*i) : kStop;
        MPI_Send(&item, 1, MPI_UINT64_T, from, kItem, MPI_COMM_WORLD);
        if (!i) --active;
    }
    local.join();
    for (int r = 1; r < ranks; ++r) {
        const json rep = json::parse(recv_text(r, kReport));
        seconds[static_cast<std::size_t>(r)] = rep["seconds"].get<double>();
        counts[static_cast<std::size_t>(r)] = rep["items"].get<std::size_t>();
    }
    double total = 0, most = 0;
    for (double s : seconds) total += s, most = std::max(most, s);
    const double mean = total / ranks, balance = mean > 0 ? most / mean : 1.0;
    const double wall = since(start);
    std::fprintf(stderr, "ahat-mpi: %zu items on %d ranks in %.3f s; load balance (max rank time / mean) %.3f\n", todo.size(),
                 ranks, wall, balance);
    for (int r = 0; r < ranks; ++r)
        std::fprintf(stderr, "ahat-mpi:   rank %d: %zu items, %.3f s\n", r, counts[static_cast<std::size_t>(r)],
                     seconds[static_cast<std::size_t>(r)]);
    if (!report_path.empty())
        write_file_atomic(report_path, json{{"ranks", ranks},
                                            {"items", todo.size()},
                                            {"wall_seconds", wall},
                                            {"rank_items", counts},
                                            {"rank_seconds", seconds},
                                            {"balance", balance}}
                                               .dump() +
                                           "\n");
    if (!failure.is_null()) {
        const std::size_t i = failure["item"].get<std::size_t>();
        const std::string what = fmt::format("item {} ('{}') failed: {}", i, items.key(i), failure["error"].get<std::string>());
        if (failure["code"] == 2) throw InputError(SourceLoc{}, what);
        if (failure["code"] == 1) throw CheckFailed(what);
        throw std::runtime_error(what);
    }
    return true;
}

}  // namespace
}  // namespace ahat::cli

int main(int argc, char** argv) {
    using namespace ahat::cli;
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    std::vector<char*> args(argv, argv + argc);
    if (args.size() >= 3 && std::string(args[1]) == "--report") {
        report_path = args[2];
        args.erase(args.begin() + 1, args.begin() + 3);
    }
    set_executor([rank, ranks](const SweepItems& items, const std::vector<std::size_t>& todo,
                               const std::function<void(std::size_t, json)>& done) {
        return rank == 0 ? dispatcher(items, todo, done, ranks) : worker(items);
    }, rank == 0);
    const int code = cli_main(static_cast<int>(args.size()), args.data());
    MPI_Finalize();
    return code;
}
