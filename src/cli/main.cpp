// ovfkit command line: a table of subcommands over libovfkit.
#include <csignal>
#include <exception>

#include <fmt/format.h>

#include <cli/commands.hpp>
#include <cli/output.hpp>

int main(int argc, char** argv) {
    using namespace ovfkit::cli;
    CLI::App app{"ovfkit: make virtual appliances hypervisor-neutral (OVF/OVA, virtual disks)"};
    app.require_subcommand(1);
    app.set_version_flag("-V,--version", version_text());
    // A file-size limit (ulimit -f) then fails the write with EFBIG, which
    // the library reports and cleans up after, instead of killing us.
    std::signal(SIGXFSZ, SIG_IGN);
    Action action;
    for (const auto& add : k_commands) {
        add(app, action);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(ovfkit::Errc::usage);
    }
    try {
        return action ? action() : static_cast<int>(ovfkit::Errc::usage);
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "ovfkit: error: out of memory\n");
        return static_cast<int>(ovfkit::Errc::io);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ovfkit: internal error: {}\n", terminal_safe(e.what()));
        return static_cast<int>(ovfkit::Errc::io);
    }
}
