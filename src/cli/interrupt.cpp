#include <atomic>
#include <csignal>

#include <cli/interrupt.hpp>

namespace ovfkit::cli {

namespace {

// The flag of the guarded token. A signal handler may only store to a
// lock-free atomic, so it reaches the token's flag through this pointer.
std::atomic<std::atomic<bool>*> g_flag{nullptr};
struct sigaction g_saved[2];

extern "C" void on_interrupt(int) {
    if (auto* flag = g_flag.load()) {
        flag->store(true);
    }
}

} // namespace

InterruptGuard::InterruptGuard(const ops::CancelToken& token) {
    g_flag.store(&token.flag());
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &g_saved[0]);
    ::sigaction(SIGTERM, &sa, &g_saved[1]);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &g_saved[0], nullptr);
    ::sigaction(SIGTERM, &g_saved[1], nullptr);
    g_flag.store(nullptr);
}

} // namespace ovfkit::cli
