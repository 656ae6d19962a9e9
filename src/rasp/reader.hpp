// The RASP reader: text -> Program (program.hpp). Parses the subset documented in
// docs/rasp.md, inlines `def` functions, folds constants and checks kinds (an SOp where an
// SOp is expected, a selector where a selector is expected, ...).
//
// Offers:
//   read_rasp(text, file)   InputError at file:line:col for syntax errors, unknown names,
//                           wrong argument counts/kinds, and any construct outside the
//                           subset (the error names the construct).
//   load_rasp(path)         read_file + read_rasp.
#pragma once

#include <string>
#include <string_view>

#include "rasp/program.hpp"

namespace ahat::rasp {

Program read_rasp(std::string_view text, const std::string& file);
Program load_rasp(const std::string& path);

}  // namespace ahat::rasp
