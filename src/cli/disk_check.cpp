// ovfkit disk check IMAGE [-f FORMAT] [--json]
#include <fmt/format.h>

#include <ovfkit/ops/disk_check.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct CheckOptions {
    CommonOptions common;
    ops::DiskCheckOptions op;
};

int run(const CheckOptions& o) {
    auto report = ops::check_disk(o.op);
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    const ops::DiskCheckReport& r = *report;
    if (o.common.json) {
        print_json(ops::to_json(r));
        return r.exit_code();
    }
    for (const auto& f : r.findings) {
        if (f.severity == Severity::error || !o.common.quiet) {
            fmt::print("{}\n", finding_text(f));
        }
    }
    if (!o.common.quiet) {
        if (r.clean) {
            fmt::print("No errors were found on the image{}.\n",
                       r.findings.empty() ? "" : fmt::format(" ({} warnings)", r.warnings));
        } else {
            fmt::print("{} errors and {} warnings were found on the image.\n", r.errors,
                       r.warnings);
        }
    }
    return r.exit_code();
}

} // namespace

void add_disk_check_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("check", "Check the consistency of a disk image's metadata");
    auto opts = std::make_shared<CheckOptions>();
    add_image_options(*sub, opts->op.image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->op.image.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
