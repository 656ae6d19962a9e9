// ahat merge FILE... [-o OUT]
// The records of a sweep's shards (--shard K/N, --resume FILE) combined into the output of the
// single run: the command line the shards recorded runs again with every item's result read
// from the files (docs/distributed.md).
#include <cstdio>

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
    std::map<std::size_t, json> results;
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
        for (const auto& [i, rec] : f.records) {
            if (i % of != shard) fail(SourceLoc{path, 0, 0}, "item {} does not belong to shard {}/{}", i, shard, of);
            if (holder.count(i)) fail(SourceLoc{path, 0, 0}, "item {} is also in {}: a shard given twice?", i, holder[i]);
            holder[i] = path;
            results[i] = rec;
        }
    }
    if (!a.output.empty() && !std::freopen(a.output.c_str(), "w", stdout))
        fail(SourceLoc{a.output, 0, 0}, "cannot write the output file");
    std::vector<std::string> words{"ahat"};
    for (const json& w : header["sweep"]) words.push_back(w.get<std::string>());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    preload_sweep_results(header, std::move(results));
    return cli_main(static_cast<int>(argv.size()), argv.data());
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
