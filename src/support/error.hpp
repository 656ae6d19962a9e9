// Errors the library reports to its caller, with a source location where one is known.
//
// Offers:
//   SourceLoc      file, line, column (1-based; 0 means unknown).
//   InputError     bad input or bad usage: the CLI prints
//                  "ahat: error: <file>:<line>:<col>: <what>" and exits 2.
//   fail(loc, fmt, args...)   throws InputError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace ahat {

struct SourceLoc {
    std::string file;
    std::uint32_t line = 0, col = 0;
    std::string str() const;  // "file:line:col", "file", or "" when unknown
};

class InputError : public std::runtime_error {
public:
    InputError(SourceLoc loc, const std::string& what)
        : std::runtime_error(what), loc_(std::move(loc)) {}
    const SourceLoc& loc() const { return loc_; }
    // "<file>:<line>:<col>: <what>" (the location part left out where unknown)
    std::string located() const;

private:
    SourceLoc loc_;
};

template <class... Args>
[[noreturn]] void fail(const SourceLoc& loc, fmt::format_string<Args...> f, Args&&... args) {
    throw InputError(loc, fmt::format(f, std::forward<Args>(args)...));
}

// Reads a whole file; an unreadable file is an InputError naming it.
std::string read_file(const std::string& path);

// Writes through a temporary in the same directory and renames it into place, so that a
// failure never leaves a partial file behind. Throws InputError on failure.
void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace ahat
