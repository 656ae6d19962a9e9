#include "support/resources.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "support/error.hpp"

namespace ahat {

namespace embedded {
// Defined in the generated resources_data.cpp (cmake/embed_resources.cmake).
struct File {
    const char* path;
    const unsigned char* data;
    std::size_t size;
};
extern const File kFiles[];
extern const std::size_t kFileCount;
}  // namespace embedded

namespace {

std::string directory(const std::string& root) {
    if (!root.empty()) return root;
    if (const char* env = std::getenv("AHAT_ROOT"); env && *env) return env;
    return {};
}

}  // namespace

std::string bundled_name(const std::string& path, const std::string& root) {
    const std::string dir = directory(root);
    return dir.empty() ? "<bundled>/" + path : dir + "/" + path;
}

std::string bundled(const std::string& path, const std::string& root) {
    const std::string dir = directory(root);
    if (!dir.empty()) return read_file(dir + "/" + path);
    for (std::size_t k = 0; k < embedded::kFileCount; ++k)
        if (path == embedded::kFiles[k].path)
            return std::string(reinterpret_cast<const char*>(embedded::kFiles[k].data), embedded::kFiles[k].size);
    throw InputError(SourceLoc{path, 0, 0}, "no such bundled file (set AHAT_ROOT or --root to a directory that has it)");
}

std::vector<std::string> bundled_paths() {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < embedded::kFileCount; ++k) out.emplace_back(embedded::kFiles[k].path);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace ahat
