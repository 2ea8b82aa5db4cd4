// A progress bar on stderr for long operations.
//
// It draws only when asked to (not -q, not --json) and stderr is a terminal:
// piped or redirected output gets nothing. Redraws are rate-limited, so
// calling update() for every chunk costs next to nothing.
//
//   converting  42.0% [############                ] 1.2 GiB / 3.0 GiB  310 MiB/s  ETA 0:06
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <ovfkit/ops/job.hpp>

namespace ovfkit::cli {

class ProgressBar {
public:
    ProgressBar(std::string label, bool wanted);
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar();

    bool active() const { return m_active; }

    // Called from one thread at a time (any thread).
    void update(uint64_t done, uint64_t total);

    // Draws the final state and ends the line (success), or erases the bar
    // so that an error message starts on a clean line.
    void finish(bool success);

    // The line for `done` of `total` after `elapsed` (for tests and drawing).
    static std::string render(const std::string& label, uint64_t done, uint64_t total,
                              double elapsed_seconds, size_t width);

private:
    void draw(uint64_t done, uint64_t total);

    std::string m_label;
    bool m_active;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last;
    uint64_t m_done = 0;
    uint64_t m_total = 0;
};

// Feeds the operation's progress reports to `bar` when it is drawn.
void attach(ProgressBar& bar, ops::JobControl& control);

} // namespace ovfkit::cli
