// What every long operation takes from its caller: a progress callback and a
// cancellation token.
//
// A front end (the CLI, a service's job queue, a C API) creates one
// JobControl per operation. Nothing here is global, so any number of
// operations can run at once in one process, each with its own progress and
// its own token.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include <ovfkit/base/error.hpp>

namespace ovfkit::ops {

// Shared by copies: the caller keeps one copy and hands another to the
// operation; cancel() on either is seen by both. Thread-safe, and safe to
// call from a signal handler through flag() (a lock-free atomic store).
class CancelToken {
public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}

    void cancel() const noexcept { m_flag->store(true, std::memory_order_relaxed); }
    bool cancelled() const noexcept { return m_flag->load(std::memory_order_relaxed); }
    // The flag itself, for loops that poll an atomic (the disk pipeline).
    std::atomic<bool>& flag() const noexcept { return *m_flag; }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

// Where a long operation stands. `phase` names the step ("converting",
// "comparing", "mapping"); `done` and `total` count bytes of that step.
struct Progress {
    std::string_view phase;
    uint64_t done = 0;
    uint64_t total = 0;
};

struct JobControl {
    // Called on one thread at a time, not necessarily the caller's; must not
    // throw. Empty: no progress reports.
    std::function<void(const Progress&)> progress;
    CancelToken cancel;

    void report(std::string_view phase, uint64_t done, uint64_t total) const {
        if (progress) {
            progress(Progress{phase, done, total});
        }
    }
};

// The error an operation returns when its token was cancelled. Errc::io:
// the operation did not complete, and nothing it would have written exists.
inline Error cancelled_error(std::string_view what) {
    return Error{Errc::io, fmt::format("{}: cancelled", what)};
}

} // namespace ovfkit::ops
