#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

#include <ovfkit/base/units.hpp>

#include <cli/progress.hpp>

namespace ovfkit::cli {

namespace {

constexpr auto k_redraw = std::chrono::milliseconds(200);
constexpr size_t k_bar_width = 28;

std::string clock_text(double seconds) {
    auto s = static_cast<uint64_t>(std::max(0.0, seconds));
    if (s >= 3600) {
        return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

} // namespace

ProgressBar::ProgressBar(std::string label, bool wanted)
    : m_label(std::move(label)), m_active(wanted && ::isatty(STDERR_FILENO) == 1),
      m_start(std::chrono::steady_clock::now()), m_last(m_start - k_redraw) {}

ProgressBar::~ProgressBar() {
    if (m_drawn) {
        finish(false);
    }
}

std::string ProgressBar::render(const std::string& label, uint64_t done, uint64_t total,
                                double elapsed, size_t width) {
    double fraction =
        total == 0 ? 1.0 : static_cast<double>(std::min(done, total)) / static_cast<double>(total);
    auto filled = static_cast<size_t>(fraction * static_cast<double>(width));
    std::string bar(filled, '#');
    bar.resize(width, ' ');
    std::string line = fmt::format("{} {:5.1f}% [{}] {} / {}", label, fraction * 100.0, bar,
                                   format_size(done), format_size(total));
    if (elapsed >= 0.5 && done > 0) {
        double speed = static_cast<double>(done) / elapsed;
        line += fmt::format("  {}/s", format_size(static_cast<uint64_t>(speed)));
        if (done < total) {
            line += fmt::format("  ETA {}", clock_text(static_cast<double>(total - done) / speed));
        } else {
            line += fmt::format("  {}", clock_text(elapsed));
        }
    }
    return line;
}

void ProgressBar::update(uint64_t done, uint64_t total) {
    if (!m_active) {
        return;
    }
    m_done = done;
    m_total = total;
    auto now = std::chrono::steady_clock::now();
    if (now - m_last < k_redraw) {
        return;
    }
    m_last = now;
    draw(done, total);
}

void ProgressBar::draw(uint64_t done, uint64_t total) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    // \r and "erase to end of line": the bar rewrites itself in place.
    fmt::print(stderr, "\r{}\x1b[K", render(m_label, done, total, elapsed, k_bar_width));
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressBar::finish(bool success) {
    if (!m_active) {
        return;
    }
    if (success) {
        draw(m_total, m_total);
        fmt::print(stderr, "\n");
    } else if (m_drawn) {
        fmt::print(stderr, "\r\x1b[K");
    }
    std::fflush(stderr);
    m_drawn = false;
    m_active = false;
}

void attach(ProgressBar& bar, ops::JobControl& control) {
    if (bar.active()) {
        control.progress = [&bar](const ops::Progress& p) { bar.update(p.done, p.total); };
    }
}

} // namespace ovfkit::cli
