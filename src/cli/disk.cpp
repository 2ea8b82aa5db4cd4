#include <fmt/format.h>

#include <ovfkit/disk/formats/registry.hpp>

#include <cli/commands.hpp>
#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

std::string format_names(FormatSet set) {
    std::string out;
    for (const auto* d : disk::formats::all()) {
        bool want = set == FormatSet::readable   ? d->open != nullptr
                    : set == FormatSet::writable ? d->create != nullptr
                                                 : d->create != nullptr && d->supports_compression;
        if (want) {
            out += fmt::format("{}{}", out.empty() ? "" : ", ", d->name);
        }
    }
    return out;
}

void add_image_options(CLI::App& sub, ops::ImageRef& image, const std::string& positional,
                       const std::string& format_flag) {
    sub.add_option(positional, image.path, "Disk image file")->required();
    if (!format_flag.empty()) {
        sub.add_option(format_flag, image.format,
                       fmt::format("Format of {} ({}); default: detected from the content, never "
                                   "raw",
                                   positional, format_names(FormatSet::readable)));
    }
}

void add_allow_parent_option(CLI::App& sub, bool& allow_parent) {
    sub.add_flag("--allow-parent", allow_parent,
                 "Follow backing/parent images the image names (single file names in its "
                 "directory only; needs -f)");
}

void add_salvage_option(CLI::App& sub, bool& salvage) {
    sub.add_flag("--salvage", salvage,
                 "Read a truncated image as far as it goes: missing ranges read as zeros and are "
                 "listed; exits 1 all the same");
}

void add_disk_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("disk", "Inspect, convert, compare and check virtual disks");
    sub->require_subcommand(1);
    add_disk_info_command(*sub, action);
    add_disk_convert_command(*sub, action);
    add_disk_compare_command(*sub, action);
    add_disk_check_command(*sub, action);
    add_disk_map_command(*sub, action);
}

} // namespace ovfkit::cli
