// ahat rasp repl through a pseudo-terminal: prompts, multi-line definitions, results on the
// example (selectors as text matrices), set/show example, errors ignored, exit.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

namespace {

// Runs `ahat rasp repl` on a pseudo-terminal, typing `input`; returns everything it printed.
std::string session(const std::string& input) {
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        execl(AHAT_BINARY, AHAT_BINARY, "rasp", "repl", static_cast<char*>(nullptr));
        _exit(127);
    }
    std::string out;
    std::size_t written = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        if (written < input.size()) {  // type one line at a time, after the prompt
            if (out.size() >= 3 && (out.compare(out.size() - 3, 3, ">> ") == 0 || out.compare(out.size() - 3, 3, ".. ") == 0)) {
                const std::size_t end = input.find('\n', written) + 1;
                REQUIRE(write(master, input.data() + written, end - written) == static_cast<ssize_t>(end - written));
                written = end;
            }
        }
        pollfd p{master, POLLIN, 0};
        if (poll(&p, 1, 200) > 0) {
            char buf[4096];
            const ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break;  // the child closed the terminal
            out.append(buf, static_cast<std::size_t>(n));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            FAIL("the repl did not finish: " << out);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    return out;
}

bool has(const std::string& out, const std::string& s) { return out.find(s) != std::string::npos; }

}  // namespace

TEST_CASE("cli rasp repl: an interactive session on a pseudo-terminal", "[cli-rasp-repl]") {
    const std::string out = session(
        "same = select(tokens, tokens, ==);\ndef twice(x) {\n  return 2 * x;\n}\nw = twice(selector_width(same));\n"
        "oops = unknown + 1;\nset example \"abca\"\nshow example\nc = count(tokens, \"a\");\nexit\n");
    CHECK(has(out, "ahat rasp repl:"));
    // the terminal ends output lines with \r\n
    CHECK(has(out, "selector same:\r\n        h e l l o\r\n    h | 1\r\n    e |   1\r\n    l |     1 1\r\n    l |     1 1\r\n    o |         1\r\n"));
    CHECK(has(out, ".. "));  // the definition continues over lines
    CHECK(has(out, "s-op w = [2, 2, 4, 4, 2] (ints)"));
    CHECK(has(out, "error: <repl>:6:8: unknown name 'unknown' (ignored)"));
    CHECK(has(out, "the example is \"abca\""));
    CHECK(has(out, "s-op c = [2, 2, 2, 2] (ints)"));
}
