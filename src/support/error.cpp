#include "support/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ahat {

std::string SourceLoc::str() const {
    if (file.empty() && line == 0) return "";
    if (line == 0) return file;
    return fmt::format("{}:{}:{}", file, line, col);
}

std::string InputError::located() const {
    std::string where = loc_.str();
    return where.empty() ? std::string(what()) : where + ": " + what();
}

namespace {

std::uint64_t g_input_limit = std::uint64_t{256} << 20;

[[noreturn]] void too_large(const std::string& name) {
    fail(SourceLoc{name, 0, 0}, "larger than the input limit of {} bytes (--max-input-mb raises it)", g_input_limit);
}

// What a path that is not a regular file is, for the message refusing it.
const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

// Everything fd holds up to its end, at most the input limit.
std::string read_all(int fd, const std::string& name) {
    std::string out;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(SourceLoc{name, 0, 0}, "error while reading: {}", std::strerror(errno));
        if (n == 0) return out;
        if (out.size() + static_cast<std::size_t>(n) > g_input_limit) too_large(name);
        out.append(buf, static_cast<std::size_t>(n));
    }
}

struct Fd {  // closes on every path out
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

void set_input_limit(std::uint64_t bytes) { g_input_limit = bytes; }
std::uint64_t input_limit() { return g_input_limit; }

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string read_file(const std::string& path) {
    if (path == "-") return read_all(STDIN_FILENO, input_name(path));
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (f.fd < 0) fail(SourceLoc{path, 0, 0}, "cannot open file for reading: {}", std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) fail(SourceLoc{path, 0, 0}, "cannot read the file's status: {}", std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        fail(SourceLoc{path, 0, 0}, "{}, not a regular file: give a file (or - for standard input)", kind_of(st.st_mode));
    if (static_cast<std::uint64_t>(st.st_size) > g_input_limit) too_large(path);
    return read_all(f.fd, path);
}

void write_file_atomic(const std::string& path, const std::string& contents) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISREG(st.st_mode))
            fail(SourceLoc{path, 0, 0}, "{}, not a regular file: not replaced (write to a new path or a regular file)",
                 kind_of(st.st_mode));
    } else if (errno != ENOENT) {
        fail(SourceLoc{path, 0, 0}, "cannot write here: {}", std::strerror(errno));
    }
    const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
    {
        // O_EXCL: a fresh file, never one (or a link) that is already there.
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)};
        if (f.fd < 0) fail(SourceLoc{path, 0, 0}, "cannot open file for writing: {}", std::strerror(errno));
        for (std::size_t done = 0; done < contents.size();) {
            const ssize_t n = ::write(f.fd, contents.data() + done, contents.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                std::remove(tmp.c_str());
                fail(SourceLoc{path, 0, 0}, "error while writing file: {}", std::strerror(err));
            }
            done += static_cast<std::size_t>(n);
        }
        if (::close(f.fd) != 0) {
            f.fd = -1;
            std::remove(tmp.c_str());
            fail(SourceLoc{path, 0, 0}, "error while writing file");
        }
        f.fd = -1;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        fail(SourceLoc{path, 0, 0}, "cannot move the finished file into place");
    }
}

}  // namespace ahat
