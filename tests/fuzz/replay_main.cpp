// The fuzz targets' main when not built with libFuzzer: feeds the target every regular file
// under the directories (or the files) named on the command line, one input per file, and
// prints how many it ran. A crash or an escaping exception ends it like under libFuzzer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz.hpp"

namespace fs = std::filesystem;

namespace {

void run_file(const fs::path& p, std::size_t& count) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++count;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path root = argv[i];
        if (fs::is_regular_file(root)) {
            run_file(root, count);
            continue;
        }
        if (!fs::is_directory(root)) {
            std::fprintf(stderr, "%s: not a file or directory\n", argv[i]);
            return 2;
        }
        std::vector<fs::path> files;  // sorted: the same order on every run
        for (const auto& e : fs::recursive_directory_iterator(root))
            if (e.is_regular_file()) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) run_file(f, count);
    }
    std::printf("%zu inputs ran\n", count);
    return count > 0 ? 0 : 1;
}
