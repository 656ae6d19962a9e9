// Runs the built `ahat` binary for the end-to-end tests (AHAT_BINARY, AHAT_SOURCE_DIR come
// from CMake). Each test file gets its own scratch directory, removed at exit.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace ahat_test {

namespace fs = std::filesystem;

struct Result {
    int rc = -1;
    std::string out, err;
};

// A scratch directory for this test process, removed at exit.
struct Scratch {
    fs::path dir;
    Scratch() {
        dir = fs::temp_directory_path() / ("ahat_cli_test_" + std::to_string(getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

inline const fs::path& scratch() {
    static Scratch s;
    return s.dir;
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A path quoted for the shell command line run_ahat builds.
inline std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// TEXT parsed as JSON; the test fails (showing TEXT) when it is not.
inline nlohmann::json parse_or_fail(const std::string& text) {
    INFO("output: " << text);
    nlohmann::json j;
    REQUIRE_NOTHROW(j = nlohmann::json::parse(text));
    return j;
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs `ahat ARGS` in the source tree; stdout through the pipe, stderr through a file.
inline Result run_ahat(const std::string& args) {
    static int counter = 0;
    fs::path errfile = scratch() / ("stderr_" + std::to_string(counter++) + ".txt");
    std::string cmd = std::string("cd '") + AHAT_SOURCE_DIR + "' && '" + AHAT_BINARY + "' " + args + " 2>'" +
                      errfile.string() + "'";
    Result r;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.err = slurp(errfile);
    fs::remove(errfile);
    return r;
}

}  // namespace ahat_test
