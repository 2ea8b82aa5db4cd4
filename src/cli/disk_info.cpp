// ovfkit disk info IMAGE [-f FORMAT] [--json]
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

// The bytes of guest data stored, when they could be counted.
struct Allocated {
    uint64_t bytes = 0;
    bool known = false;
};

struct InfoOptions {
    CommonOptions common;
    ImageOptions image;
};

nlohmann::json info_json(const disk::Image& image, const disk::DiskInfo& info,
                         const Allocated& allocated) {
    nlohmann::json j = {
        {"filename", info.files.empty() ? "" : info.files.front()},
        {"format", info.format},
        {"detected", image.detected},
        {"virtual_size", info.virtual_size},
        {"allocated_size",
         allocated.known ? nlohmann::json(allocated.bytes) : nlohmann::json(nullptr)},
        {"cluster_size", info.cluster_size},
        {"dirty", info.dirty},
        {"parent", info.parent ? nlohmann::json(*info.parent) : nlohmann::json(nullptr)},
        {"files", info.files},
        {"warnings", warning_messages(image.findings)},
    };
    return j;
}

std::string size_text(uint64_t bytes) {
    return bytes < KiB ? fmt::format("{} B", bytes)
                       : fmt::format("{} ({} bytes)", format_size(bytes), bytes);
}

void print_text(const disk::Image& image, const disk::DiskInfo& info, const Allocated& allocated) {
    auto line = [](std::string_view key, const std::string& value) {
        fmt::print("{:<15} {}\n", fmt::format("{}:", key), terminal_safe(value));
    };
    line("image", info.files.empty() ? std::string() : info.files.front());
    line("format", image.detected ? info.format + " (detected)" : info.format);
    line("virtual size", size_text(info.virtual_size));
    line("allocated size", allocated.known ? size_text(allocated.bytes) : "unknown");
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
            disk::DiskInfo info = image->reader->info();
            Allocated allocated{info.allocated_size, true};
            if (info.allocated_size == 0) {
                // Not counted when opening (qcow2): sum the map. A damaged
                // map leaves the size unknown; the rest is still worth showing.
                auto sum = disk::data_bytes(*image->reader);
                if (sum) {
                    allocated.bytes = *sum;
                } else {
                    allocated.known = false;
                    image->findings.push_back({Severity::warning, "DISK-ALLOCATED-UNKNOWN",
                                               "allocated size unknown: " + sum.error().message,
                                               opts->image.path, 0});
                }
            }
            print_warnings(image->findings, opts->common);
            if (opts->common.json) {
                print_json(info_json(*image, info, allocated));
            } else {
                print_text(*image, info, allocated);
            }
            return 0;
        };
    });
}

} // namespace ovfkit::cli
