// SIGINT and SIGTERM cancel the running operation through its token, so the
// library stops between chunks and removes what it had written.
#pragma once

#include <ovfkit/ops/job.hpp>

namespace ovfkit::cli {

// While alive, SIGINT and SIGTERM cancel `token`; the previous handlers
// come back after. One guard at a time (the CLI runs one operation).
class InterruptGuard {
public:
    explicit InterruptGuard(const ops::CancelToken& token);
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

} // namespace ovfkit::cli
