// ahat validate against ahat capture: the same instances (same seeds), the numeric engine in
// reference order against the interpreter capture runs exactly, so per size and format the
// accuracy is the same and the first failing size is capture's observed break.
#include <catch2/catch.hpp>

#include "capture/subjects.hpp"
#include "capture/validate.hpp"

using namespace ahat;
using namespace ahat::capture;

TEST_CASE("validate: per-size accuracy and first failure equal capture's on the same instances", "[capture][validate]") {
    for (const char* task : {"histogram", "sort", "search"}) {
        const Subject subject = task_subject(task, 128);
        SweepOptions so;
        so.sizes = {8, 16, 32, 64, 128};
        so.samples = 2;
        so.formats = {Format::Exact, Format::Float, Format::BFloat16};
        const SweepResult cap = sweep(subject, so);
        ValidateOptions vo;
        vo.sizes = so.sizes;
        vo.samples = 2;
        vo.formats = {Format::Float, Format::BFloat16};
        vo.exact_up_to = 128;
        const ValidateResult val = validate(subject, vo);
        REQUIRE(val.exact_ok);
        for (const ValidateRow& row : val.rows) {
            INFO(task << " n = " << row.n << " " << format_name(row.format));
            const auto size = std::find_if(cap.sizes.begin(), cap.sizes.end(), [&](const SizeResult& s) { return s.n == row.n; });
            REQUIRE(size != cap.sizes.end());
            const auto f = std::find_if(size->formats.begin(), size->formats.end(), [&](const FormatResult& x) { return x.format == row.format; });
            REQUIRE(f != size->formats.end());
            CHECK(row.correct == f->correct);
            CHECK(row.wrong_positions == f->wrong_positions);
            CHECK(row.samples - *row.exact_agree == f->differs_from_exact);
            CHECK(row.samples - *row.argmax_agree == f->argmax_differs);
        }
        for (const FormatSummary& s : val.summaries)
            for (const Prediction& p : cap.predictions)
                if (p.format == s.format) CHECK(s.first_failure == p.observed_n);
    }
}
