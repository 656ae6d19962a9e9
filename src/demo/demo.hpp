// The main job on bundled files (`ahat demo`): evaluate the bundled circuits, run the
// bundled example encoders, compile the task library's RASP programs, a short capture sweep
// and the headline cells of the language comparison, each against an answer computed
// independently in C++ (checks beyond circuits: demo/checks.hpp).
//
// Offers:
//   DemoCheck / DemoReport    what was run, on how many instances, and whether all agreed.
//   run_demo(root)            the bundled files (support/resources.hpp: circuits/, examples/,
//                             rasp/) from root when it is not empty, else from $AHAT_ROOT or
//                             the copies embedded in the binary.
#pragma once

#include <string>
#include <vector>

namespace ahat {

struct DemoCheck {
    std::string name;         // what was checked
    std::string command;      // the ahat command that shows it
    std::size_t instances = 0;
    std::size_t failures = 0;
    std::string detail;       // a sample result, or the first failure
};

struct DemoReport {
    std::vector<DemoCheck> checks;
    bool ok() const {
        for (const auto& c : checks)
            if (c.failures != 0) return false;
        return !checks.empty();
    }
};

DemoReport run_demo(const std::string& root);

}  // namespace ahat
