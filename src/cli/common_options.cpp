#include <cli/command.hpp>

namespace ovfkit::cli {

void add_common_options(CLI::App& sub, CommonOptions& options) {
    sub.add_flag("--json", options.json, "Print machine-readable JSON on stdout");
    sub.add_flag("-q,--quiet", options.quiet, "No progress or warnings on stderr");
}

void add_remote_options(CLI::App& sub, package::RemoteOptions& options) {
    sub.add_flag_callback(
        "--no-verify-tls", [&options] { options.verify_tls = false; },
        "Do not verify the TLS certificate and host name of an https:// source (insecure)");
    sub.add_option_function<uint32_t>(
           "--timeout",
           [&options](uint32_t seconds) {
               options.connect_timeout_s = seconds;
               options.low_speed_time_s = seconds;
           },
           "Seconds to wait for a server to connect, or for a stalled transfer to move (default "
           "30)")
        ->check(CLI::Range(1u, 3600u));
}

void add_import_options(CLI::App& sub, platform::ImportOptions& options) {
    sub.add_flag("--allow-absolute-paths", options.allow_absolute_paths,
                 "Importing a VM: read disks its config names by an absolute path or out of its "
                 "directory (refused by default)");
    sub.add_option("--volume", options.volumes,
                   "Importing a Proxmox qm config: the file holding a volume it names, "
                   "STORAGE:NAME=PATH (PATH relative to the config's directory); repeatable")
        ->allow_extra_args(false);
}

} // namespace ovfkit::cli
