// `ahat capture` end to end: a task, a .rasp file, the output formats and the errors.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli/run_ahat.hpp"

using ahat_test::run_ahat;
using ahat_test::scratch;

TEST_CASE("cli capture: a task in JSON Lines, with the SVG written", "[capture][cli]") {
    const auto svg = scratch() / "capture.svg";
    auto r = run_ahat("capture histogram --sizes 8,16 --samples 2 --json --svg '" + svg.string() + "'");
    REQUIRE(r.rc == 0);
    std::vector<nlohmann::json> lines;
    std::size_t pos = 0;
    for (std::size_t e; (e = r.out.find('\n', pos)) != std::string::npos; pos = e + 1)
        lines.push_back(nlohmann::json::parse(r.out.substr(pos, e - pos)));
    // 2 sizes x 4 formats, 3 predictions (numeric formats), the summary
    REQUIRE(lines.size() == 12);
    CHECK(lines[0]["n"] == 8);
    CHECK(lines[0]["format"] == "exact");
    CHECK(lines[0]["accuracy"] == 1.0);
    CHECK(lines[4]["n"] == 16);
    CHECK(lines[0]["weights_hash"] == lines[4]["weights_hash"]);
    CHECK(lines[8]["type"] == "prediction");
    CHECK(lines[11]["type"] == "summary");
    CHECK(lines[11]["exact_ok"] == true);
    CHECK(lines[11]["seed"] == 1);
    CHECK(ahat_test::slurp(svg).rfind("<svg ", 0) == 0);
}

TEST_CASE("cli capture: a .rasp file as CSV, and a task that does not compile", "[capture][cli]") {
    auto r = run_ahat("capture rasp/sort.rasp --alphabet abc --sizes 8 --samples 2 --precision exact,double --csv");
    REQUIRE(r.rc == 0);
    CHECK(r.out.rfind("subject,n,format,", 0) == 0);
    CHECK(r.out.find("\nsort,8,exact,2,2,1,") != std::string::npos);
    CHECK(r.out.find("\nsort,8,double,") != std::string::npos);
    auto p = run_ahat("capture parity --sizes 8 --samples 2");
    CHECK(p.rc == 0);
    CHECK(p.out.find("not compilable") != std::string::npos);
}

TEST_CASE("cli capture: bad input exits 2 with a located message", "[capture][cli]") {
    auto r = run_ahat("capture no-such-task --sizes 8");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown task 'no-such-task'") != std::string::npos);
    r = run_ahat("capture sort --sizes 8..4");
    CHECK(r.rc == 2);
    r = run_ahat("capture sort --sizes 8 --precision quad");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown precision 'quad'") != std::string::npos);
    r = run_ahat("capture rasp/sort.rasp --sizes 8");
    CHECK(r.rc == 2);
    CHECK(r.err.find("--alphabet") != std::string::npos);
}
