// The capture sweep on a hand-made subject with a known break, the weights hash, size parsing
// and the report writers.
#include <cmath>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "capture/fake_subject.hpp"
#include "capture/report.hpp"

using namespace ahat;
using namespace ahat::capture;

namespace {
SweepResult copy_last_sweep(int* shift = nullptr) {
    SweepOptions o;
    o.sizes = {8, 16, 32, 64, 128, 256};
    o.samples = 2;
    o.seed = 5;
    return sweep(ahat_test::copy_last_subject(shift), o);
}
}  // namespace

TEST_CASE("sizes parse in the one grammar: A..B every integer, A..B*K steps, lists", "[capture]") {
    CHECK(parse_sizes("8..64*2") == std::vector<std::size_t>{8, 16, 32, 64});
    CHECK(parse_sizes("8..100*2") == std::vector<std::size_t>{8, 16, 32, 64});
    CHECK(parse_sizes("1..100*10") == std::vector<std::size_t>{1, 10, 100});
    CHECK(parse_sizes("3..6") == std::vector<std::size_t>{3, 4, 5, 6});
    CHECK(parse_sizes("3,10,1000") == std::vector<std::size_t>{3, 10, 1000});
    CHECK(parse_sizes("2,8..32*4,5..6") == std::vector<std::size_t>{2, 8, 32, 5, 6});
    CHECK(parse_sizes("7..7") == std::vector<std::size_t>{7});
    CHECK_THROWS_AS(parse_sizes("8..4"), InputError);
    CHECK_THROWS_AS(parse_sizes("0,4"), InputError);
    CHECK_THROWS_AS(parse_sizes("4,x"), InputError);
    CHECK_THROWS_AS(parse_sizes(""), InputError);
    CHECK_THROWS_AS(parse_sizes("8..64*1"), InputError);
    CHECK_THROWS_AS(parse_sizes("8..64*"), InputError);
    CHECK_THROWS_AS(parse_sizes("1..999999999"), InputError);  // more than 2^20 sizes
    CHECK_THROWS_AS(parse_sizes("10", "--n", 8), InputError);
    try {
        parse_sizes("4,8..x", "--n");
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(e.located().find("--n: expected an integer from 1 to") == 0);
        CHECK(e.located().find("got 'x' at column 6") != std::string::npos);
    }
}

TEST_CASE("the weights hash is stable and sees any change", "[capture]") {
    Encoder a = read_encoder(ahat_test::kCopyLast, "a.json");
    Encoder b = read_encoder(ahat_test::kCopyLast, "b.json");
    CHECK(weights_hash(a) == weights_hash(b));
    CHECK(weights_hash(a).size() == 16);
    b.layers[0].heads[0].key.b[0] += Rational(Integer(1), Integer(1000));
    CHECK(weights_hash(a) != weights_hash(b));
}

TEST_CASE("copy-last: exact is right everywhere, bfloat16 breaks where its tolerance meets the margin", "[capture]") {
    SweepResult r = copy_last_sweep();
    REQUIRE(r.sizes.size() == 6);
    CHECK(r.exact_ok);
    CHECK(r.hashes_ok);
    for (const SizeResult& z : r.sizes) {
        CHECK(z.hash_matches);
        REQUIRE(z.formats.size() == 4);
        CHECK(z.formats[0].format == Format::Exact);
        CHECK(z.formats[0].correct == 2);
        REQUIRE(z.margin.has_value());
        CHECK(*z.margin == 1);                                        // scores n-1 and n-2
        CHECK(*z.relative_margin == Rational(Integer(1), Integer(z.n - 1)));
        CHECK(z.implied_bits.has_value());
        const bool bf_ok = z.n < 128;  // tie tolerance 1e-2 * (n-1) >= 1 from n = 102 on
        CHECK((z.formats[3].correct == 2) == bf_ok);
        CHECK((z.formats[3].argmax_differs == 0) == bf_ok);
        CHECK(z.formats[1].correct == 2);
        CHECK(z.formats[2].correct == 2);
    }
    REQUIRE(r.slope.has_value());
    CHECK(*r.slope < -0.9);
    CHECK(*r.slope > -1.1);
    REQUIRE(r.predictions.size() == 3);
    const Prediction& bf = r.predictions[2];
    CHECK(bf.format == Format::BFloat16);
    CHECK(bf.threshold == std::ldexp(1.0, -8));
    CHECK(bf.tie_tolerance == 1e-2);
    REQUIRE(bf.predicted_n.has_value());
    CHECK(bf.predicted_n == bf.tolerance_n);  // the tolerance, not rounding, decides here
    CHECK(*bf.predicted_n > 64);
    CHECK(*bf.predicted_n < 128);
    CHECK(bf.observed_n == std::optional<std::size_t>(128));
    CHECK_FALSE(r.predictions[0].observed_n.has_value());
    CHECK(*r.predictions[1].predicted_n > 5000);  // float: tolerance 1e-4
}

TEST_CASE("a compiler whose weights move between sizes is caught", "[capture]") {
    int shift = 0;
    SweepResult r = copy_last_sweep(&shift);
    CHECK_FALSE(r.hashes_ok);
    CHECK(r.sizes[0].hash_matches);
    CHECK_FALSE(r.sizes[1].hash_matches);
}

TEST_CASE("capture reports: JSON Lines, CSV and SVG are well formed with the right rows", "[capture]") {
    SweepResult r = copy_last_sweep();
    // JSON Lines: one object per size, then the summary.
    std::string jl = json_lines(r);
    std::vector<nlohmann::json> lines;
    std::size_t pos = 0;
    while (pos < jl.size()) {
        std::size_t e = jl.find('\n', pos);
        REQUIRE(e != std::string::npos);
        lines.push_back(nlohmann::json::parse(jl.substr(pos, e - pos)));
        pos = e + 1;
    }
    // flat records, one key set: per size and format, per prediction, then the summary
    REQUIRE(!lines.empty());
    for (const auto& l : lines) CHECK(l.size() == lines[0].size());
    std::vector<nlohmann::json> sizes, preds;
    for (const auto& l : lines) (l["type"] == "size" ? sizes : preds).push_back(l);
    REQUIRE(preds.back()["type"] == "summary");
    preds.pop_back();
    REQUIRE(sizes.size() == r.sizes.size() * r.sizes[0].formats.size());
    CHECK(sizes[0]["n"] == 8);
    CHECK(sizes[0]["format"] == "exact");
    CHECK(sizes[0]["margin"] == "1");
    CHECK(sizes[0]["margin_float"] == 1.0);
    CHECK(sizes[0]["relative_margin"] == "1/7");
    CHECK(sizes[0]["relative_margin_float"] == Approx(1.0 / 7));
    const std::size_t F = r.sizes[0].formats.size();
    CHECK(sizes[4 * F + 3]["format"] == "bfloat16");
    CHECK(sizes[4 * F + 3]["correct"] == 0);
    CHECK(sizes[4 * F + 3]["n"] == sizes[4 * F]["n"]);
    REQUIRE(preds.size() >= 3);
    for (const auto& p : preds) CHECK(p["type"] == "prediction");
    CHECK(preds[2]["observed_n"] == 128);
    CHECK(preds[0]["observed_n"].is_null());
    CHECK(lines.back()["hashes_identical"] == true);
    CHECK(lines.back()["n"].is_null());
    // CSV: a header and one row per (size, format), every row with the header's column count.
    std::string csv = csv_report(r);
    std::vector<std::string> rows;
    for (std::size_t p = 0, e; (e = csv.find('\n', p)) != std::string::npos; p = e + 1) rows.push_back(csv.substr(p, e - p));
    REQUIRE(rows.size() == 1 + 6 * 4);
    auto commas = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
    for (const auto& row : rows) CHECK(commas(row) == commas(rows[0]));
    CHECK(rows[1].rfind("copy-last,8,exact,2,2,1,", 0) == 0);
    CHECK(rows[1 + 4 * 4 + 3].rfind("copy-last,128,bfloat16,2,0,0,", 0) == 0);
    // SVG: balanced, one polyline per format, a point per size.
    std::string svg = svg_plot(r);
    CHECK(svg.rfind("<svg ", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    auto count = [&](const std::string& what) {
        std::size_t c = 0;
        for (std::size_t p = svg.find(what); p != std::string::npos; p = svg.find(what, p + 1)) ++c;
        return c;
    };
    CHECK(count("<polyline") == 4);
    CHECK(count("<circle") == 4 * 6);
    CHECK(count("<g ") == count("</g>"));
    // The table names every size and the break.
    std::string t = table_report(r);
    CHECK(t.find("none up to 256") != std::string::npos);
    CHECK(t.find("weights identical at every size: yes") != std::string::npos);
}
