// `ovfkit disk ...`: the disk subcommands and what they share.
//
// disk.cpp registers the group; each subcommand lives in disk_<name>.cpp
// with an add_disk_<name>_command() that declares its options on the group.
#pragma once

#include <string>

#include <ovfkit/ops/disk_image.hpp>

#include <cli/command.hpp>

namespace ovfkit::cli {

void add_disk_info_command(CLI::App& disk, Action& action);
void add_disk_convert_command(CLI::App& disk, Action& action);
void add_disk_compare_command(CLI::App& disk, Action& action);
void add_disk_check_command(CLI::App& disk, Action& action);
void add_disk_map_command(CLI::App& disk, Action& action);

// Declares the IMAGE positional (required) and, when `format_flag` is set,
// the format option (-f or -F).
void add_image_options(CLI::App& sub, ops::ImageRef& image, const std::string& positional,
                       const std::string& format_flag);
void add_allow_parent_option(CLI::App& sub, bool& allow_parent);
void add_salvage_option(CLI::App& sub, bool& salvage);

// Format names for --help: readable, writable, or writable with compression.
enum class FormatSet { readable, writable, compressible };
std::string format_names(FormatSet set);

} // namespace ovfkit::cli
