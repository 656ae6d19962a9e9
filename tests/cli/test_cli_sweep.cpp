// Sweeps beyond one process (docs/distributed.md): --shard K/N, ahat merge and --resume give
// exactly the single run's output.
#include <algorithm>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/run_ahat.hpp"

using namespace ahat_test;

namespace {

// JSON Lines with the timing fields (which differ between any two runs) removed.
std::string without_times(const std::string& lines) {
    std::string out;
    std::istringstream in(lines);
    for (std::string line; std::getline(in, line);) {
        nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
        for (const char* k : {"seconds", "tokens_per_second", "forward_seconds", "backward_seconds", "ratio"}) j.erase(k);
        out += j.dump() + "\n";
    }
    return out;
}

struct SweepCase {
    std::string args;
    bool timed;  // JSON Lines with seconds: compared without them
};

// Every sweep command, on a small sweep; text, JSON Lines, CSV and JSON outputs among them.
const std::vector<SweepCase>& cases() {
    static const std::vector<SweepCase> c{
        {"verify --family random --sizes 3..9 --samples 2 --json", false},
        {"verify --family random --sizes 3..6 --samples 1 --construction gate", false},
        {"verify circuits/demo.circ --samples 3 --csv", false},
        {"capture histogram --sizes 4..16*2 --samples 2 --precision exact,double --json --quiet", true},
        {"validate histogram --sizes 8..32*2 --samples 2 --precision double,float --json --quiet", true},
        {"lang compare ends-a,majority,parity --models global,global-exact,local-1 --max-len 4 --random-len 8 --samples 1 --json", false},
        {"lang compare ends-a,majority --models global,rightmost --max-len 3 --random-len 6 --samples 1", false},
        {"sinks histogram --sizes 8,4,16 --samples 2 --per-query --json --quiet", false},
        {"sinks histogram --sizes 4,8 --samples 2 --csv --quiet", false},
        {"sinks histogram --sizes 6,4 --samples 1 --as-softmax 4 --time-n 16 --json --quiet", true},
        {"cascade histogram --sizes 8,16 --samples 2 --json --quiet", false},
        {"cascade sort --sizes 8,12 --samples 2 --taus 1/2,9/10 --quiet", false},
    };
    return c;
}

}  // namespace

TEST_CASE("merging 1, 2, 3 and 7 shards gives the single run's output", "[cli][sweep]") {
    for (const SweepCase& c : cases()) {
        INFO(c.args);
        const Result single = run_ahat(c.args);
        REQUIRE(single.rc == 0);
        REQUIRE(!single.out.empty());
        for (int n : {1, 2, 3, 7}) {
            INFO(n << " shards");
            std::string files;
            for (int k = n - 1; k >= 0; --k) {  // merge takes the files in any order
                const fs::path f = scratch() / ("shard_" + std::to_string(k) + "_of_" + std::to_string(n) + ".jsonl");
                const Result s = run_ahat(c.args + " --shard " + std::to_string(k) + "/" + std::to_string(n) + " > " + q(f));
                REQUIRE(s.rc == 0);
                files += " " + q(f);
            }
            const Result merged = run_ahat("merge" + files);
            CHECK(merged.rc == 0);
            if (c.timed) CHECK(without_times(merged.out) == without_times(single.out));
            else CHECK(merged.out == single.out);
        }
    }
}

TEST_CASE("a resumed run equals the single run, byte for byte", "[cli][sweep]") {
    const std::string args = "verify --family random --sizes 3..8 --samples 2 --json";
    const fs::path rec = scratch() / "resume.jsonl";
    fs::remove(rec);
    const Result full = run_ahat(args + " --resume " + q(rec));
    REQUIRE(full.rc == 0);
    CHECK(full.out == run_ahat(args).out);  // --resume does not change the output
    const std::string records = slurp(rec);
    // header + 12 items (6 sizes x 2 constructions)
    REQUIRE(std::count(records.begin(), records.end(), '\n') == 13);
    // ahat merge of the records file alone is the run's output too (same times included)
    CHECK(run_ahat("merge " + q(rec)).out == full.out);
    for (std::size_t kept : {0, 1, 5, 12}) {
        INFO(kept << " records kept");
        std::size_t pos = 0;
        for (std::size_t l = 0; l <= kept; ++l) pos = records.find('\n', pos) + 1;
        // cut short: the kept records and half of the next line, as a killed run leaves it
        const std::size_t half = kept < 12 ? (records.find('\n', pos) - pos) / 2 : 0;
        {
            std::ofstream out(rec, std::ios::binary | std::ios::trunc);
            out << records.substr(0, pos + half);
        }
        const Result resumed = run_ahat(args + " --resume " + q(rec));
        CHECK(resumed.rc == 0);
        CHECK(resumed.out == full.out);
        CHECK(slurp(rec).size() == records.size());
    }
    // a shard's records continue the same way, and merge takes them
    const fs::path s0 = scratch() / "resume_s0.jsonl", s1 = scratch() / "resume_s1.jsonl";
    fs::remove(s0), fs::remove(s1);
    REQUIRE(run_ahat(args + " --shard 0/2 --resume " + q(s0)).rc == 0);
    const std::string s0_text = slurp(s0);
    {
        std::ofstream out(s0, std::ios::binary | std::ios::trunc);
        out << s0_text.substr(0, s0_text.size() - 10);
    }
    REQUIRE(run_ahat(args + " --shard 0/2 --resume " + q(s0)).rc == 0);
    CHECK(slurp(s0) == s0_text);
    REQUIRE(run_ahat(args + " --shard 1/2 --resume " + q(s1)).rc == 0);
    CHECK(run_ahat("merge " + q(s0) + " " + q(s1)).out == run_ahat(args).out);
    // records of another sweep are refused
    const Result other = run_ahat("verify --family random --sizes 3..8 --samples 3 --json --resume " + q(rec));
    CHECK(other.rc == 2);
    CHECK(other.err.find("another sweep") != std::string::npos);
}

TEST_CASE("bad shards and incomplete merges are refused with exit 2", "[cli][sweep]") {
    const std::string args = "verify --family random --sizes 3..5 --samples 1 --json";
    for (const char* bad : {"2/2", "0/0", "1", "-1/2", "a/b", "3/2"}) {
        INFO(bad);
        const Result r = run_ahat(args + " --shard " + bad);
        CHECK(r.rc == 2);
        CHECK(r.err.find("--shard") != std::string::npos);
    }
    const fs::path a = scratch() / "bad_a.jsonl", b = scratch() / "bad_b.jsonl", c = scratch() / "bad_c.jsonl";
    REQUIRE(run_ahat(args + " --shard 0/2 > " + q(a)).rc == 0);
    REQUIRE(run_ahat(args + " --shard 1/2 > " + q(b)).rc == 0);
    REQUIRE(run_ahat("verify --family random --sizes 3..5 --samples 2 --json --shard 1/2 > " + q(c)).rc == 0);
    Result r = run_ahat("merge " + q(a));
    CHECK(r.rc == 2);
    CHECK(r.err.find("item 1 ") != std::string::npos);
    CHECK(r.err.find("shard 1/2 is missing") != std::string::npos);
    r = run_ahat("merge " + q(a) + " " + q(b) + " " + q(b));
    CHECK(r.rc == 2);
    CHECK(r.err.find("also in") != std::string::npos);
    r = run_ahat("merge " + q(a) + " " + q(c));
    CHECK(r.rc == 2);
    CHECK(r.err.find("another sweep") != std::string::npos);
    // -o writes the output to a file
    const fs::path merged = scratch() / "merged.jsonl";
    r = run_ahat("merge " + q(b) + " " + q(a) + " -o " + q(merged));
    CHECK(r.rc == 0);
    CHECK(r.out.empty());
    CHECK(slurp(merged) == run_ahat(args).out);
    // ... and after an error writes none, not even an empty one
    const fs::path none = scratch() / "merged_none.jsonl";
    fs::remove(none);
    r = run_ahat("merge " + q(a) + " -o " + q(none));
    CHECK(r.rc == 2);
    CHECK(!fs::exists(none));
    for (const auto& e : fs::directory_iterator(scratch())) CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
    // a shard cut short in its last line lacks that item
    const std::string a_text = slurp(a), b_text = slurp(b);
    {
        std::ofstream out(b, std::ios::binary | std::ios::trunc);
        out << b_text.substr(0, b_text.size() - 5);
    }
    r = run_ahat("merge " + q(a) + " " + q(b));
    CHECK(r.rc == 2);
    CHECK(r.err.find("item 5 ") != std::string::npos);
    r = run_ahat("merge circuits/demo.circ");
    CHECK(r.rc == 2);
    // a record nested thousands deep is refused where it gets too deep, without recursing into it
    const std::string header = a_text.substr(0, a_text.find('\n') + 1);
    {
        std::ofstream out(c, std::ios::binary | std::ios::trunc);
        out << header << "{\"item\":1,\"key\":\"k\",\"result\":" << std::string(100000, '[') << std::string(100000, ']') << "}\n";
    }
    r = run_ahat("merge " + q(a) + " " + q(c));
    CHECK(r.rc == 2);
    CHECK(r.err.find(c.filename().string() + ":2:") != std::string::npos);
    CHECK(r.err.find("nested too deeply") != std::string::npos);
    // headers that would divide by zero, run merge itself, or hold the wrong types: exit 2 at line 1
    for (const char* bad : {R"({"sweep":["verify","--family","random","--sizes","1..2"],"items":4,"shard":0,"of":0})",
                            R"({"sweep":["merge","x.jsonl"],"items":4,"shard":0,"of":1})",
                            R"({"sweep":[1,2],"items":4,"shard":0,"of":1})",
                            R"({"sweep":["verify"],"items":4,"shard":"x","of":1})"}) {
        INFO(bad);
        { std::ofstream(c, std::ios::binary | std::ios::trunc) << bad << "\n"; }
        r = run_ahat("merge " + q(c));
        CHECK(r.rc == 2);
        CHECK(r.err.find(c.filename().string() + ":1:1") != std::string::npos);
    }
    r = run_ahat("eval circuits/demo.circ --shard 0/2");
    CHECK(r.rc == 2);  // not a sweep command
    r = run_ahat("lang compare ends-a --models global --max-len 3 --shard 0/2 --emit " + q(scratch() / "emit"));
    CHECK(r.rc == 2);
    CHECK(r.err.find("--emit") != std::string::npos);
}

TEST_CASE("a record whose result is not in the command's shape is refused at its file:line", "[cli][sweep]") {
    // Each command's records, with leaves of item 0's result replaced by a value of another
    // type (an object): the merge either renders (a field only copied to the output) or exits
    // 2 naming the record's line; never an internal error or a crash. The whole result
    // replaced by {} is always refused.
    std::mt19937 rng(7);
    for (const std::string args : {"verify --family random --sizes 3..4 --samples 1 --json",
                                   "capture histogram --sizes 4,8 --samples 1 --precision exact,double --json --quiet",
                                   "validate histogram --sizes 8 --samples 1 --precision double --json --quiet",
                                   "lang compare ends-a --models global,local-1 --max-len 3 --random-len 4 --samples 1 --json",
                                   "sinks histogram --sizes 4 --samples 1 --as-softmax 4 --time-n 8 --json --quiet",
                                   "cascade histogram --sizes 4 --samples 1 --json --quiet"}) {
        INFO(args);
        const fs::path good = scratch() / "shape_good.jsonl", bad = scratch() / "shape_bad.jsonl";
        REQUIRE(run_ahat(args + " --shard 0/1 > " + q(good)).rc == 0);
        const std::string text = slurp(good);
        const std::size_t l1 = text.find('\n') + 1, l2 = text.find('\n', l1) + 1;
        const nlohmann::ordered_json rec = nlohmann::ordered_json::parse(text.substr(l1, l2 - l1 - 1));
        auto merge_with = [&](const nlohmann::ordered_json& result) {
            nlohmann::ordered_json r = rec;
            r["result"] = result;
            { std::ofstream(bad, std::ios::binary | std::ios::trunc) << text.substr(0, l1) << r.dump() << "\n" << text.substr(l2); }
            return run_ahat("merge " + q(bad));
        };
        Result r = merge_with(nlohmann::ordered_json::object());
        CHECK(r.rc == 2);
        CHECK(r.err.find(bad.filename().string() + ":2:") != std::string::npos);
        const nlohmann::ordered_json flat = rec["result"].flatten();
        std::vector<std::string> leaves;
        for (const auto& [ptr, v] : flat.items()) leaves.push_back(ptr);
        std::shuffle(leaves.begin(), leaves.end(), rng);
        std::size_t refused = 0;
        for (std::size_t t = 0; t < std::min<std::size_t>(leaves.size(), 10); ++t) {
            INFO(leaves[t]);
            nlohmann::ordered_json result = rec["result"];
            result[nlohmann::ordered_json::json_pointer(leaves[t])] = nlohmann::ordered_json{{"x", 1}};
            r = merge_with(result);
            CHECK((r.rc == 0 || r.rc == 2));
            if (r.rc == 2) {
                ++refused;
                CHECK(r.err.find(bad.filename().string() + ":2:") != std::string::npos);
            }
        }
        CHECK(refused > 0);
    }
}
