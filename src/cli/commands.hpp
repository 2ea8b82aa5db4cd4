// The table of subcommands. Adding a command: one file with an add_*()
// function, one declaration and one table entry here, one line in CMake.
#pragma once

#include <array>
#include <string>

#include <cli/command.hpp>

namespace ovfkit::cli {

void add_version_command(CLI::App& app, Action& action);
void add_info_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
void add_sign_command(CLI::App& app, Action& action);
void add_disk_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_pack_command(CLI::App& app, Action& action);
void add_unpack_command(CLI::App& app, Action& action);
void add_env_command(CLI::App& app, Action& action);
void add_hyperv_collector_command(CLI::App& app, Action& action);

using AddCommand = void (*)(CLI::App&, Action&);

inline constexpr std::array<AddCommand, 11> k_commands{
    add_info_command,    add_validate_command,
    add_verify_command,  add_sign_command,
    add_convert_command, add_pack_command,
    add_unpack_command,  add_env_command,
    add_disk_command,    add_hyperv_collector_command,
    add_version_command,
};

// The text of `ovfkit --version`: version and compiled-in formats.
std::string version_text();

} // namespace ovfkit::cli
