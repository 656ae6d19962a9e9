// Errors the library reports to its caller, with a source location where one is known, and
// the checked reading and writing of files.
//
// Offers:
//   SourceLoc      file, line, column (1-based; 0 means unknown).
//   InputError     bad input or bad usage: the CLI prints
//                  "ahat: error: <file>:<line>:<col>: <what>" and exits 2.
//   InternalError  a broken invariant of ahat itself (a bug, whatever the input): the CLI
//                  prints "ahat: error: internal error: <what>", asks for a report, exits 3.
//   fail(loc, fmt, args...)       throws InputError.
//   internal_error(fmt, args...)  throws InternalError.
//   read_file(path)        the whole file; "-" is standard input. Directories, FIFOs,
//                          devices and sockets are refused (never read or waited on), and so
//                          is anything larger than input_limit() bytes.
//   input_name(path)       the name errors give the file: "<stdin>" for "-", else the path.
//   set_input_limit(n) / input_limit()   the size limit of read_file (default 256 MiB;
//                          the CLI's --max-input-mb sets it).
//   write_file_atomic(path, text)   through a new temporary renamed into place; refuses a
//                          path that exists and is not a regular file (a symbolic link, FIFO,
//                          device, directory), so that none is ever replaced.
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

class InternalError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

template <class... Args>
[[noreturn]] void fail(const SourceLoc& loc, fmt::format_string<Args...> f, Args&&... args) {
    throw InputError(loc, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void internal_error(fmt::format_string<Args...> f, Args&&... args) {
    throw InternalError(fmt::format(f, std::forward<Args>(args)...));
}

std::string read_file(const std::string& path);
std::string input_name(const std::string& path);
void set_input_limit(std::uint64_t bytes);
std::uint64_t input_limit();

void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace ahat
