// Sweeps as numbered work items (docs/distributed.md): the one implementation of --shard,
// --resume, `ahat merge` and the ahat-mpi driver. A sweep command (verify --family, capture,
// validate, lang compare, sinks, cascade) enumerates its items deterministically, computes
// each one into a JSON result that depends only on the item (its seed comes from the item's
// key, never from the order items run in), and renders its usual output from the results of
// all items.
// Only src/cli includes this header.
//
// Offers:
//   add_sweep_flags(sub)       declares --shard K/N and --resume FILE on a sweep command.
//   SweepItems                 count, key(i) (text naming the item), compute(i) (its result),
//                              and optionally read(result): the command's reader of a result,
//                              run on every result taken from a records file so that one in the
//                              wrong shape is refused at its file:line (exit 2) before rendering.
//   run_sweep(items)           runs the items this process owns and returns every item's
//                              result in item order, or none when this process renders nothing
//                              (a shard, an MPI rank other than 0): the command then returns 0.
//                              Item records ({"item", "key", "result"}) after a header line
//                              ({"sweep": argv, "items", "shard", "of"}) go to stdout for
//                              --shard, to FILE (appended, flushed per item) for --resume.
//   owned_items(count)         the items this process computes when it reads no records: every
//                              item, shard K's (i mod N = K) under --shard, none under merge;
//                              a command sizes its progress bar with them.
//   sweep_from_records()       true when results may come from records rather than this run
//                              (--shard, --resume, merge, MPI): a command whose output needs
//                              more than the records (lang compare --emit) refuses it.
//   parse_shard(text)          "K/N" with 0 <= K < N; InputError (exit 2) otherwise.
//   read_sweep_file(path)      a records file: its header and item records (each with its
//                              file:line); a last line without its newline (a write cut short)
//                              is dropped.
//   Executor / set_executor    how the owned items run: sequentially by default; ahat-mpi
//                              hands them out to ranks. done(i, result) is called on the
//                              rendering process as items finish; the executor returns
//                              false on processes that render nothing.
//   set_sweep_argv / preload_sweep_results   main and `ahat merge`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/common.hpp"

namespace ahat::cli {

void add_sweep_flags(CLI::App* sub);

struct SweepItems {
    std::size_t count = 0;
    std::function<std::string(std::size_t)> key;
    std::function<json(std::size_t)> compute;
    std::function<void(const json&)> read;  // throws (json::exception, InputError) on a result it cannot read
};

std::optional<std::vector<json>> run_sweep(const SweepItems& items);
bool sweep_from_records();
std::vector<std::size_t> owned_items(std::size_t count);

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

struct SweepRecord {
    std::size_t item = 0;
    json record;                                  // {"item", "key", "result"}
    SourceLoc loc;                                // its file and line
};

struct SweepFile {
    json header;                                  // {"sweep": [...], "items": C, "shard": K, "of": N}
    std::vector<SweepRecord> records;
    std::uintmax_t valid_bytes = 0;               // length of the complete lines
};
SweepFile read_sweep_file(const std::string& path);

using Executor = std::function<bool(const SweepItems& items, const std::vector<std::size_t>& todo,
                                    const std::function<void(std::size_t, json)>& done)>;
void set_executor(Executor e, bool writes_records = true);  // false: another process writes --resume's file

// The command line (after the program name) as the sweep header records it: main sets it
// before parsing; --shard and --resume are dropped from it.
void set_sweep_argv(std::vector<std::string> argv);
// `ahat merge`: the results of every item, read from shard files; run_sweep then computes
// nothing and refuses a missing item.
void preload_sweep_results(json header, std::map<std::size_t, SweepRecord> results);

}  // namespace ahat::cli
