#include "cli/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace ahat::cli {
namespace {

struct SweepState {
    std::vector<std::string> argv;
    std::string shard, resume;
    Executor executor;
    bool writes_records = true;
    std::optional<json> preload_header;
    std::map<std::size_t, SweepRecord> preload;
};

SweepState& state() {
    static SweepState s;
    return s;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The command line without --shard and --resume: what every shard of one sweep shares.
json header_argv() {
    json out = json::array();
    const auto& argv = state().argv;
    for (std::size_t k = 0; k < argv.size(); ++k) {
        const std::string& a = argv[k];
        if (a == "--shard" || a == "--resume") {
            ++k;
            continue;
        }
        if (a.rfind("--shard=", 0) == 0 || a.rfind("--resume=", 0) == 0) continue;
        out.push_back(a);
    }
    return out;
}

// A record's result, checked against the item the command enumerates at its index and read
// by the command's reader: a record in the wrong shape is refused where it stands.
json checked_result(const SweepRecord& rec, const SweepItems& items) {
    const std::string key = items.key(rec.item);
    const json& r = rec.record;
    if (!r.contains("key") || r["key"] != key)
        fail(rec.loc, "item {} is '{}' in the records but '{}' in this command's sweep", rec.item,
             r.contains("key") ? dump(r["key"]) : "?", key);
    if (items.read) try {
            items.read(r["result"]);
        } catch (const json::exception& e) {
            fail(rec.loc, "item {} ('{}'): the result is not one this command writes: {}", rec.item, key, e.what());
        } catch (const InputError& e) {
            fail(rec.loc, "item {} ('{}'): the result is not one this command writes: {}", rec.item, key, e.what());
        }
    return r["result"];
}

}  // namespace

void add_sweep_flags(CLI::App* sub) {
    sub->add_option("--shard", state().shard, "run only shard K of N (K from 0 to N-1): items i with i mod N = K, "
                                              "written as records for `ahat merge`")
        ->type_name("K/N");
    sub->add_option("--resume", state().resume, "write each item's record to FILE as it finishes, skipping the items "
                                                "FILE already holds (a run cut short continues)")
        ->type_name("FILE");
}

void set_sweep_argv(std::vector<std::string> argv) {
    state().argv = std::move(argv);
    state().shard.clear();
    state().resume.clear();
}

void set_executor(Executor e, bool writes_records) {
    state().executor = std::move(e);
    state().writes_records = writes_records;
}

void preload_sweep_results(json header, std::map<std::size_t, SweepRecord> results) {
    state().preload_header = std::move(header);
    state().preload = std::move(results);
}

bool sweep_from_records() {
    const SweepState& s = state();
    return !s.shard.empty() || !s.resume.empty() || s.executor || s.preload_header;
}

std::vector<std::size_t> owned_items(std::size_t count) {
    const SweepState& s = state();
    std::vector<std::size_t> items;
    if (s.preload_header) return items;
    const auto [k, n] = s.shard.empty() ? std::pair<std::size_t, std::size_t>{0, 1} : parse_shard(s.shard);
    for (std::size_t i = k; i < count; i += n) items.push_back(i);
    return items;
}

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string::npos) fail(SourceLoc{"--shard", 0, 0}, "expected K/N (shard K of N, K from 0 to N-1), got '{}'", text);
    const std::size_t n = parse_number<std::size_t>(text.substr(slash + 1), "--shard", 1, std::size_t{1} << 30);
    const std::size_t k = parse_number<std::size_t>(text.substr(0, slash), "--shard", 0, std::size_t{1} << 30);
    if (k >= n)
        fail(SourceLoc{"--shard", 0, 0}, "shard {} of {} does not exist: shards count from 0, so K runs from 0 to {}", k, n, n - 1);
    return {k, n};
}

// The column (from 1) where a JSON text first nests deeper than `limit` arrays and objects, or
// 0: nlohmann's values recurse, so a record nested thousands deep would overflow the stack.
static std::size_t too_deep(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t c = 0; c < text.size(); ++c) {
        const char ch = text[c];
        if (in_string) {
            if (escaped) escaped = false;
            else if (ch == '\\') escaped = true;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > limit) return c + 1;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            --depth;
        }
    }
    return 0;
}

SweepFile read_sweep_file(const std::string& path) {
    const std::string text = read_file(path);
    SweepFile f;
    std::size_t pos = 0;
    std::uint32_t line = 0;
    while (pos < text.size()) {
        const std::size_t e = text.find('\n', pos);
        if (e == std::string::npos) break;  // cut short while being written: not a record
        ++line;
        json j;
        if (const std::size_t col = too_deep(std::string_view(text).substr(pos, e - pos), 200))
            fail(SourceLoc{path, line, static_cast<std::uint32_t>(col)}, "JSON nested too deeply (limit 200)");
        try {
            j = json::parse(text.substr(pos, e - pos));
        } catch (const json::exception& ex) {
            fail(SourceLoc{path, line, 1}, "not a JSON record: {}", ex.what());
        }
        if (line == 1) {
            if (!j.is_object() || !j.contains("sweep") || !j.contains("items") || !j.contains("of"))
                fail(SourceLoc{path, 1, 1}, "not an ahat sweep records file (the first line is not a sweep header)");
            // The header is run again by `ahat merge`: only a sweep command's words, and a shard K/N
            // with 0 <= K < N (N = 0 would divide by zero, "merge" would run itself).
            const json& w = j["sweep"];
            const bool words = w.is_array() && !w.empty() &&
                               std::all_of(w.begin(), w.end(), [](const json& x) { return x.is_string(); });
            static const char* const kSweeps[] = {"verify", "capture", "validate", "lang", "sinks", "cascade"};
            if (!words || std::find(std::begin(kSweeps), std::end(kSweeps), w[0].get<std::string>()) == std::end(kSweeps))
                fail(SourceLoc{path, 1, 1}, "the sweep header's \"sweep\" is not a sweep command's words (verify, capture, "
                                            "validate, lang compare, sinks or cascade)");
            for (const char* key : {"items", "shard", "of"})
                if (!j.contains(key) || !j[key].is_number_unsigned())
                    fail(SourceLoc{path, 1, 1}, "the sweep header's \"{}\" is not a count", key);
            if (j["of"].get<std::size_t>() == 0 || j["shard"].get<std::size_t>() >= j["of"].get<std::size_t>())
                fail(SourceLoc{path, 1, 1}, "the sweep header names shard {} of {} (0 <= K < N)", j["shard"].dump(), j["of"].dump());
            f.header = j;
        } else {
            if (!j.is_object() || !j.contains("item") || !j["item"].is_number_unsigned() || !j.contains("result"))
                fail(SourceLoc{path, line, 1}, "not an item record (item, key, result)");
            f.records.push_back(SweepRecord{j["item"].get<std::size_t>(), std::move(j), SourceLoc{path, line, 1}});
        }
        pos = e + 1;
        f.valid_bytes = pos;
    }
    return f;
}

std::optional<std::vector<json>> run_sweep(const SweepItems& items) {
    SweepState& s = state();
    const auto [k, n] = s.shard.empty() ? std::pair<std::size_t, std::size_t>{0, 1} : parse_shard(s.shard);
    const bool sharded = !s.shard.empty();  // --shard 0/1 too: records, not the output
    const json header{{"sweep", header_argv()}, {"items", items.count}, {"shard", k}, {"of", n}};
    std::vector<std::optional<json>> results(items.count);
    if (s.preload_header) {  // ahat merge
        if ((*s.preload_header)["items"] != items.count)
            fail(SourceLoc{"merge", 0, 0}, "the records hold a sweep of {} items; its command line now gives {}",
                 dump((*s.preload_header)["items"]), items.count);
        for (const auto& [i, rec] : s.preload) {
            if (i >= items.count) fail(rec.loc, "item {} is beyond the sweep's {} items", i, items.count);
            results[i] = checked_result(rec, items);
        }
    }
    if (s.executor && sharded) fail(SourceLoc{"--shard", 0, 0}, "ahat-mpi runs the whole sweep: --shard is for separate processes");
    std::FILE* out = nullptr;
    if (!s.resume.empty() && s.writes_records) {
        SweepFile f;
        std::error_code ec;
        if (std::filesystem::exists(s.resume, ec)) f = read_sweep_file(s.resume);
        if (!f.header.is_null()) {
            if (f.header != header)
                fail(SourceLoc{s.resume, 1, 1}, "the records are of another sweep ({}); this command is {}", dump(f.header),
                     dump(header));
            for (const SweepRecord& rec : f.records) {
                if (rec.item >= items.count || rec.item % n != k)
                    fail(rec.loc, "item {} does not belong to shard {} of {}", rec.item, k, n);
                results[rec.item] = checked_result(rec, items);
            }
            std::filesystem::resize_file(s.resume, f.valid_bytes, ec);  // drop a line cut short
            if (ec) fail(SourceLoc{s.resume, 0, 0}, "cannot truncate the records file: {}", ec.message());
        }
        out = std::fopen(s.resume.c_str(), f.header.is_null() ? "w" : "a");
        if (!out) fail(SourceLoc{s.resume, 0, 0}, "cannot write the records file");
        if (f.header.is_null()) std::fprintf(out, "%s\n", dump(header).c_str());
    } else if (sharded) {
        out = stdout;
        std::fprintf(out, "%s\n", dump(header).c_str());
    }
    if (out) std::fflush(out);
    std::vector<std::size_t> todo;
    for (std::size_t i = k; i < items.count; i += n)
        if (!results[i]) todo.push_back(i);
    if (s.preload_header && !todo.empty()) {
        const std::size_t of = (*s.preload_header)["of"].get<std::size_t>();
        fail(SourceLoc{"merge", 0, 0}, "item {} ('{}') is in none of the files: shard {}/{} is missing or cut short",
             todo.front(), items.key(todo.front()), todo.front() % of, of);
    }
    auto done = [&](std::size_t i, json r) {
        const std::string line = dump(json{{"item", i}, {"key", items.key(i)}, {"result", r}});
        if (out) {
            std::fprintf(out, "%s\n", line.c_str());
            std::fflush(out);
        }
        results[i] = json::parse(line)["result"];  // as a merge would read it back
    };
    bool renders = true;
    try {
        if (s.executor) renders = s.executor(items, todo, done);
        else
            for (std::size_t i : todo) done(i, items.compute(i));
    } catch (...) {
        if (out && out != stdout) std::fclose(out);
        throw;
    }
    if (out && out != stdout) std::fclose(out);
    if (!renders || sharded) return std::nullopt;
    std::vector<json> all;
    for (auto& r : results) all.push_back(std::move(*r));
    return all;
}

}  // namespace ahat::cli
