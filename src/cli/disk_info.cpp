// ovfkit disk info IMAGE [-f FORMAT] [--salvage] [--json]
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/ops/disk_info.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct InfoOptions {
    CommonOptions common;
    ops::DiskInfoOptions op;
};

std::string size_text(uint64_t bytes) {
    return bytes < KiB ? fmt::format("{} B", bytes)
                       : fmt::format("{} ({} bytes)", format_size(bytes), bytes);
}

void print_text(const ops::DiskInfoReport& r) {
    const disk::DiskInfo& info = r.info;
    auto line = [](std::string_view key, const std::string& value) {
        fmt::print("{:<15} {}\n", fmt::format("{}:", key), terminal_safe(value));
    };
    line("image", info.files.empty() ? std::string() : info.files.front());
    line("format", r.detected ? info.format + " (detected)" : info.format);
    line("virtual size", size_text(info.virtual_size));
    line("allocated size", r.allocated_size ? size_text(*r.allocated_size) : "unknown");
    line("cluster size", info.cluster_size == 0 ? "-" : size_text(info.cluster_size));
    line("dirty", info.dirty ? "yes" : "no");
    line("parent", info.parent ? *info.parent : "-");
    for (size_t i = 0; i < info.files.size(); ++i) {
        line(i == 0 ? "files" : "", info.files[i]);
    }
    if (!r.missing.empty()) {
        uint64_t bytes = 0;
        for (const auto& m : r.missing) {
            bytes += m.length;
        }
        line("missing", fmt::format("{} range(s), {} bytes read as zeros (truncated image)",
                                    r.missing.size(), bytes));
    }
}

int run(const InfoOptions& o) {
    auto report = ops::disk_info(o.op);
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    print_warnings(report->findings, o.common.quiet, o.common.json);
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else {
        print_text(*report);
    }
    return report->exit_code();
}

} // namespace

void add_disk_info_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("info", "Show the format, sizes and files of a disk image");
    auto opts = std::make_shared<InfoOptions>();
    add_image_options(*sub, opts->op.image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->op.image.allow_parent);
    add_salvage_option(*sub, opts->op.image.salvage);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
