// The main job's checks beyond circuits and hand-written encoders (src/demo internal).
//
// Offers:
//   record(check, ok, what)    counts one instance; keeps the first failure's description.
//   rasp_tasks_check(root)     every library task: compiled encoder = C++ solver on small
//                              sizes, or refused by the compiler exactly when the library says
//                              it cannot compile.
//   capture_check()            a short capture sweep of histogram in exact, float, bfloat16.
//   lang_check()               the headline cells of the local-versus-global comparison.
#pragma once

#include <string>

#include "demo/demo.hpp"

namespace ahat::demo {

void record(DemoCheck& check, bool ok, const std::string& what);
DemoCheck rasp_tasks_check(const std::string& root);
DemoCheck capture_check();
DemoCheck lang_check();

}  // namespace ahat::demo
