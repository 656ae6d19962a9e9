// Progress of long commands on stderr, with an ETA: a bar redrawn in place on a terminal,
// plain lines otherwise (logs, notebooks), nothing with --quiet.
//
// Offers:
//   Progress(label, work, quiet)   one step per entry of `work` (its relative cost, e.g.
//                                  n log n for a size); the ETA is the elapsed time scaled by
//                                  the work left over the work done.
//   step(what)                     the next step begins (what: "n = 64").
//   note(what)                     a message that is not a step.
//   finish()                       ends the bar's line on a terminal.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ahat::cli {

class Progress {
public:
    Progress(std::string label, std::vector<double> work, bool quiet);
    ~Progress();
    void step(const std::string& what);
    void note(const std::string& what);
    void finish();

private:
    std::string label_;
    std::vector<double> work_;
    bool quiet_, tty_, open_line_ = false;
    std::size_t next_ = 0;
    std::chrono::steady_clock::time_point start_;
};

// The relative cost of one size n for Progress: n log2 n (at least 1).
std::vector<double> size_work(const std::vector<std::size_t>& sizes);

}  // namespace ahat::cli
