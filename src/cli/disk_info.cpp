// ovfkit disk info IMAGE [-f FORMAT] [--json]
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct InfoOptions {
    CommonOptions common;
    ImageOptions image;
};

nlohmann::json info_json(const disk::Image& image, const disk::DiskInfo& info) {
    nlohmann::json j = {
        {"filename", info.files.empty() ? "" : info.files.front()},
        {"format", info.format},
        {"detected", image.detected},
        {"virtual_size", info.virtual_size},
        {"allocated_size", info.allocated_size},
        {"cluster_size", info.cluster_size},
        {"dirty", info.dirty},
        {"parent", info.parent ? nlohmann::json(*info.parent) : nlohmann::json(nullptr)},
        {"files", info.files},
        {"warnings", image.warnings},
    };
    return j;
}

std::string size_text(uint64_t bytes) {
    return bytes < KiB ? fmt::format("{} B", bytes)
                       : fmt::format("{} ({} bytes)", format_size(bytes), bytes);
}

void print_text(const disk::Image& image, const disk::DiskInfo& info) {
    auto line = [](std::string_view key, const std::string& value) {
        fmt::print("{:<15} {}\n", fmt::format("{}:", key), terminal_safe(value));
    };
    line("image", info.files.empty() ? std::string() : info.files.front());
    line("format", image.detected ? info.format + " (detected)" : info.format);
    line("virtual size", size_text(info.virtual_size));
    line("allocated size", size_text(info.allocated_size));
    line("cluster size", info.cluster_size == 0 ? "-" : size_text(info.cluster_size));
    line("dirty", info.dirty ? "yes" : "no");
    line("parent", info.parent ? *info.parent : "-");
    for (size_t i = 0; i < info.files.size(); ++i) {
        line(i == 0 ? "files" : "", info.files[i]);
    }
}

} // namespace

void add_disk_info_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("info", "Show the format, sizes and files of a disk image");
    auto opts = std::make_shared<InfoOptions>();
    add_image_options(*sub, opts->image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->image.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] {
        action = [opts] {
            auto image = open_image(opts->image);
            if (!image) {
                return report_error(image.error(), opts->common.json);
            }
            print_warnings(image->warnings, opts->common);
            disk::DiskInfo info = image->reader->info();
            if (info.allocated_size == 0) {
                // Not counted when opening (qcow2): sum the map.
                auto allocated = disk::data_bytes(*image->reader);
                if (!allocated) {
                    return report_error(allocated.error(), opts->common.json);
                }
                info.allocated_size = *allocated;
            }
            if (opts->common.json) {
                print_json(info_json(*image, info));
            } else {
                print_text(*image, info);
            }
            return 0;
        };
    });
}

} // namespace ovfkit::cli
