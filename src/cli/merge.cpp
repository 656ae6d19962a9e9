// ahat merge FILE... [-o OUT]
// The records of a sweep's shards (--shard K/N, --resume FILE) combined into the output of the
// single run: the command line the shards recorded runs again with every item's result read
// from the files (docs/distributed.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/common.hpp"
#include "cli/sweep.hpp"

namespace ahat::cli {
namespace {

struct MergeArgs {
    std::vector<std::string> files;
    std::string output;
};

int run_merge(const MergeArgs& a) {
    json header;
    std::string first;
    std::map<std::size_t, SweepRecord> results;
    std::map<std::size_t, std::string> holder;
    for (const std::string& path : a.files) {
        const SweepFile f = read_sweep_file(path);
        if (f.header.is_null()) fail(SourceLoc{path, 1, 1}, "no sweep header: the file is empty or was cut short in its first line");
        json h = f.header;
        h.erase("shard");
        if (header.is_null()) header = h, first = path;
        else if (h != header)
            fail(SourceLoc{path, 1, 1}, "the records are of another sweep than those of {}: {} against {}", first,
                 h.dump(), header.dump());
        const std::size_t of = h["of"].get<std::size_t>(), shard = f.header["shard"].get<std::size_t>();
        for (const SweepRecord& rec : f.records) {
            const std::size_t i = rec.item;
            if (i % of != shard) fail(rec.loc, "item {} does not belong to shard {}/{}", i, shard, of);
            if (holder.count(i)) fail(rec.loc, "item {} is also in {}: a shard given twice?", i, holder[i]);
            holder[i] = rec.loc.str();
            results[i] = rec;
        }
    }
    std::vector<std::string> words{"ahat"};
    for (const json& w : header["sweep"]) words.push_back(w.get<std::string>());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    preload_sweep_results(header, std::move(results));
    if (a.output.empty()) return cli_main(static_cast<int>(argv.size()), argv.data());
    // -o OUT: rendered into a temporary renamed into place, and only when the command rendered
    // its output (exit 0, or 1 for a failed check): an error leaves no output, never half of
    // one. As write_file_atomic, a path that exists and is not a regular file is not replaced.
    struct stat st {};
    if (::lstat(a.output.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        fail(SourceLoc{a.output, 0, 0}, "not a regular file: not replaced (write to a new path or a regular file)");
    const std::string tmp = fmt::format("{}.tmp.{}", a.output, static_cast<long>(::getpid()));
    // O_EXCL: a fresh file, never one (or a link) that is already there; stdout goes to it.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) fail(SourceLoc{a.output, 0, 0}, "cannot write next to the output file: {}", std::strerror(errno));
    std::fflush(stdout);
    const bool redirected = ::dup2(fd, STDOUT_FILENO) >= 0;
    ::close(fd);
    if (!redirected) {
        std::remove(tmp.c_str());
        fail(SourceLoc{a.output, 0, 0}, "cannot write next to the output file: {}", std::strerror(errno));
    }
    const int rc = cli_main(static_cast<int>(argv.size()), argv.data());
    const bool written = std::fflush(stdout) == 0 && !std::ferror(stdout);
    if ((rc == 0 || rc == 1) && written && std::rename(tmp.c_str(), a.output.c_str()) == 0) return rc;
    std::remove(tmp.c_str());
    if (rc == 0 || rc == 1) fail(SourceLoc{a.output, 0, 0}, "cannot write the output file");
    return rc;
}

}  // namespace

void register_merge(CLI::App& app, Action& action) {
    auto a = std::make_shared<MergeArgs>();
    CLI::App* sub = app.add_subcommand("merge", "Combine the records of a sweep's shards into the output of the single run");
    sub->add_option("files", a->files, "records files of --shard K/N or --resume FILE, one per shard, in any order")->required();
    sub->add_option("-o,--output", a->output, "write the output to this file (default: stdout)");
    sub->callback([a, &action] { action = [a] { return run_merge(*a); }; });
}

}  // namespace ahat::cli
