// How subcommands plug into the command line.
//
// Each subcommand lives in its own file and exposes one add_*() function that
// declares its options on a CLI11 subcommand and, when that subcommand is
// chosen, stores the action to run. main.cpp lists them in one table.
#pragma once

#include <functional>

#include <ovfkit/package/remote.hpp>
#include <ovfkit/platform/import_source.hpp>

#include <CLI/CLI.hpp>

namespace ovfkit::cli {

// The action of the chosen subcommand; returns the process exit code.
using Action = std::function<int()>;

// Options every command takes.
struct CommonOptions {
    bool json = false;  // machine-readable output on stdout
    bool quiet = false; // no progress, no warnings on stderr
};

void add_common_options(CLI::App& sub, CommonOptions& options);

// --no-verify-tls and --timeout, for commands that read a package from a URL.
void add_remote_options(CLI::App& sub, package::RemoteOptions& options);

// --allow-absolute-paths and --volume, for commands that may read a
// hypervisor's VM (convert, info, validate): the same import either way.
void add_import_options(CLI::App& sub, platform::ImportOptions& options);

} // namespace ovfkit::cli
