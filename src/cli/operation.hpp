// What every long command sets up around its one library call: the
// operation's JobControl, a progress bar fed by it (on a terminal, not with
// -q or --json) and SIGINT/SIGTERM cancelling its token.
#pragma once

#include <string>

#include <cli/command.hpp>
#include <cli/interrupt.hpp>
#include <cli/progress.hpp>

namespace ovfkit::cli {

struct RunningOperation {
    RunningOperation(std::string label, const CommonOptions& common)
        : bar(std::move(label), !common.quiet && !common.json), guard(control.cancel) {
        attach(bar, control);
    }
    RunningOperation(const RunningOperation&) = delete;
    RunningOperation& operator=(const RunningOperation&) = delete;

    ops::JobControl control; // first: the guard holds its token
    ProgressBar bar;
    InterruptGuard guard;
};

} // namespace ovfkit::cli
