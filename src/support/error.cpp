#include "support/error.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

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

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(SourceLoc{path, 0, 0}, "cannot open file for reading");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw InputError(SourceLoc{path, 0, 0}, "error while reading file");
    return ss.str();
}

void write_file_atomic(const std::string& path, const std::string& contents) {
    std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw InputError(SourceLoc{path, 0, 0}, "cannot open file for writing");
        out << contents;
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw InputError(SourceLoc{path, 0, 0}, "error while writing file");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw InputError(SourceLoc{path, 0, 0}, "cannot move the finished file into place");
    }
}

}  // namespace ahat
