// The bundled files (src/support/resources.hpp): every embedded copy equals its file in the
// source tree, a directory given as root (or $AHAT_ROOT) replaces them, names say where a text
// came from, and a path that is not bundled is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "support/error.hpp"
#include "support/resources.hpp"

using namespace ahat;
namespace fs = std::filesystem;

TEST_CASE("bundled files: the embedded copies are the source tree's files", "[support]") {
    ::unsetenv("AHAT_ROOT");  // the embedded copies, whatever the caller's environment
    const auto paths = bundled_paths();
    std::size_t rasp = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(fs::path(AHAT_SOURCE_DIR) / "rasp")) rasp += e.path().extension() == ".rasp";
    REQUIRE(rasp > 0);
    std::size_t seen_rasp = 0;
    for (const std::string& p : paths) {
        INFO(p);
        CHECK(bundled(p) == read_file(std::string(AHAT_SOURCE_DIR) + "/" + p));
        CHECK(bundled_name(p) == "<bundled>/" + p);
        seen_rasp += p.rfind("rasp/", 0) == 0;
    }
    CHECK(seen_rasp == rasp);  // every program of the task library
    for (const char* p : {"circuits/demo.circ", "circuits/squaring.circ", "examples/majority.json"})
        CHECK(std::find(paths.begin(), paths.end(), p) != paths.end());
}

TEST_CASE("bundled files: a root directory or AHAT_ROOT replaces the embedded copies", "[support]") {
    const fs::path dir = fs::temp_directory_path() / ("ahat_resources_" + std::to_string(::getpid()));
    fs::create_directories(dir / "rasp");
    std::ofstream(dir / "rasp" / "sort.rasp") << "x = tokens;\n";
    CHECK(bundled("rasp/sort.rasp", dir.string()) == "x = tokens;\n");
    CHECK(bundled_name("rasp/sort.rasp", dir.string()) == dir.string() + "/rasp/sort.rasp");
    // A root without the file: an error naming the file there, not a silent fall back.
    CHECK_THROWS_AS(bundled("rasp/histogram.rasp", dir.string()), InputError);
    ::setenv("AHAT_ROOT", dir.string().c_str(), 1);
    CHECK(bundled("rasp/sort.rasp") == "x = tokens;\n");
    ::unsetenv("AHAT_ROOT");
    CHECK(bundled("rasp/sort.rasp") != "x = tokens;\n");
    fs::remove_all(dir);
}

TEST_CASE("bundled files: a path that is not bundled is refused", "[support]") {
    ::unsetenv("AHAT_ROOT");
    try {
        bundled("rasp/none.rasp");
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.loc().file == "rasp/none.rasp");
        CHECK_THAT(e.what(), Catch::Contains("AHAT_ROOT"));
    }
}
