// The RASP reader: text -> Program (program.hpp). Parses the language documented in
// docs/rasp.md, runs what the reference runs when a program is read (lists, dicts,
// comprehensions, for loops, `in` and indexing on constants, `load`), inlines `def`
// functions, folds constants and checks kinds (an SOp where an SOp is expected, ...).
//
// Offers:
//   ReadOptions             prelude: preload the library (prelude_text) before the program.
//   read_rasp(text, file)   InputError at file:line:col for syntax errors, unknown names,
//                           wrong argument counts/kinds, load cycles, runaway loops, and any
//                           construct outside the language (the error names the construct).
//   load_rasp(path)         read_file + read_rasp; `load "x"` reads x.rasp next to path.
//   prelude_text()          the preloaded library, in RASP (src/rasp/prelude.cpp): the
//                           reference library's names and semantics, written to compile.
//   prelude_names()         the names it defines.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "rasp/program.hpp"

namespace ahat::rasp {

struct ReadOptions {
    bool prelude = true;
    // Statements and comprehension elements that reading may run (loops run when the program
    // is read); more is a located error.
    std::size_t max_steps = 5'000'000;
};

Program read_rasp(std::string_view text, const std::string& file, const ReadOptions& opts = {});
Program load_rasp(const std::string& path, const ReadOptions& opts = {});

std::string_view prelude_text();
const std::set<std::string>& prelude_names();

}  // namespace ahat::rasp
