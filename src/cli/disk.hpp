// `ovfkit disk ...`: the disk subcommands and what they share.
//
// disk.cpp registers the group; each subcommand lives in disk_<name>.cpp
// with an add_disk_<name>_command() that declares its options on the group.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/disk/image.hpp>

#include <cli/command.hpp>

namespace ovfkit::cli {

void add_disk_info_command(CLI::App& disk, Action& action);
void add_disk_convert_command(CLI::App& disk, Action& action);
void add_disk_compare_command(CLI::App& disk, Action& action);
void add_disk_check_command(CLI::App& disk, Action& action);
void add_disk_map_command(CLI::App& disk, Action& action);

// How one input image is named on the command line.
struct ImageOptions {
    std::string path;
    std::string format;        // -f; empty: detect from the content
    bool allow_parent = false; // --allow-parent
};

// Declares the IMAGE positional (required) and, when `format_flag` is set,
// the format option (-f or -F).
void add_image_options(CLI::App& sub, ImageOptions& image, const std::string& positional,
                       const std::string& format_flag);
void add_allow_parent_option(CLI::App& sub, bool& allow_parent);

// Opens an image as the command line names it.
Result<disk::Image> open_image(const ImageOptions& image);

// Prints library warnings on stderr unless -q or --json, one line each:
// "ovfkit: warning: <message> [<code>]".
void print_warnings(const std::vector<Finding>& warnings, const CommonOptions& common);

// The messages of `warnings`, for the "warnings" array of --json output.
nlohmann::json warning_messages(const std::vector<Finding>& warnings);

// Format names for --help: readable, writable, or writable with compression.
enum class FormatSet { readable, writable, compressible };
std::string format_names(FormatSet set);

} // namespace ovfkit::cli
