// SIGINT and SIGTERM cancel the running operation through its token, so the
// library stops between chunks and removes what it had written.
#pragma once

#include <csignal>

#include <ovfkit/ops/job.hpp>

namespace ovfkit::cli {

// While alive, SIGINT and SIGTERM cancel `token`. One at a time.
class InterruptGuard {
public:
    explicit InterruptGuard(const ops::CancelToken& token);
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    struct sigaction* m_saved;
};

} // namespace ovfkit::cli
