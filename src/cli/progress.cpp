#include "cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include <fmt/format.h>

namespace ahat::cli {

namespace {

std::string seconds_text(double s) {
    if (s < 60) return fmt::format("{:.0f} s", s);
    if (s < 3600) return fmt::format("{:.0f} min {:02.0f} s", std::floor(s / 60), std::fmod(s, 60));
    return fmt::format("{:.0f} h {:02.0f} min", std::floor(s / 3600), std::floor(std::fmod(s, 3600) / 60));
}

}  // namespace

Progress::Progress(std::string label, std::vector<double> work, bool quiet)
    : label_(std::move(label)), work_(std::move(work)), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::step(const std::string& what) {
    const std::size_t k = next_++;
    if (quiet_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t total = work_.size();
    const double done = std::accumulate(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(std::min(k, total)), 0.0);
    const double all = std::accumulate(work_.begin(), work_.end(), 0.0);
    const std::string eta = done > 0 && all > done ? "ETA " + seconds_text(elapsed * (all - done) / done) : "ETA -";
    if (tty_) {
        constexpr std::size_t kWidth = 24;
        const auto filled = static_cast<std::size_t>(all > 0 ? std::lround(kWidth * done / all) : 0);
        std::fprintf(stderr, "\r\033[K%s [%s%s] %zu/%zu %s, %s elapsed, %s", label_.c_str(), std::string(filled, '#').c_str(),
                     std::string(kWidth - std::min(filled, kWidth), '.').c_str(), k + 1, total, what.c_str(),
                     seconds_text(elapsed).c_str(), eta.c_str());
        open_line_ = true;
    } else {
        std::fprintf(stderr, "%s: %zu/%zu %s (%s elapsed, %s)\n", label_.c_str(), k + 1, total, what.c_str(),
                     seconds_text(elapsed).c_str(), eta.c_str());
    }
    std::fflush(stderr);
}

void Progress::note(const std::string& what) {
    if (quiet_) return;
    if (open_line_) std::fputs("\r\033[K", stderr), open_line_ = false;
    std::fprintf(stderr, "%s: %s\n", label_.c_str(), what.c_str());
}

void Progress::finish() {
    if (open_line_) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        std::fprintf(stderr, "\r\033[K%s: done in %s\n", label_.c_str(), seconds_text(elapsed).c_str());
        open_line_ = false;
    }
}

std::vector<double> size_work(const std::vector<std::size_t>& sizes) {
    std::vector<double> w;
    for (std::size_t n : sizes) w.push_back(std::max(1.0, static_cast<double>(n) * std::log2(std::max<double>(2.0, static_cast<double>(n)))));
    return w;
}

}  // namespace ahat::cli
