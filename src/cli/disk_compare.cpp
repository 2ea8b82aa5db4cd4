// ovfkit disk compare A B [-f FMT] [-F FMT] [--strict] [--salvage] [--json]
#include <fmt/format.h>

#include <ovfkit/ops/disk_compare.hpp>

#include <cli/disk.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct CompareOptions {
    CommonOptions common;
    ops::DiskCompareOptions op;
    bool allow_parent = false;
    bool salvage = false;
};

int run(CompareOptions& o) {
    o.op.a.allow_parent = o.op.b.allow_parent = o.allow_parent;
    o.op.a.salvage = o.op.b.salvage = o.salvage;
    RunningOperation job("comparing", o.common);
    auto report = ops::compare_disks(o.op, job.control);
    job.bar.finish(false);
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    const disk::CompareResult& r = report->result;
    print_warnings(report->findings, o.common.quiet, o.common.json);
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else if (!o.common.quiet) {
        if (r.sizes_differ) {
            fmt::print("Warning: image sizes differ: {} bytes and {} bytes{}\n", r.size_a, r.size_b,
                       o.op.strict ? "" : "; the rest of the larger one must read as zeros");
        }
        if (r.identical) {
            fmt::print("Images are identical.\n");
        } else if (r.difference_beyond_common && o.op.strict) {
            fmt::print("Images differ in size: first difference at offset {}.\n",
                       *r.first_difference);
        } else {
            fmt::print("Content mismatch at offset {}!\n", *r.first_difference);
        }
    }
    return report->exit_code();
}

} // namespace

void add_disk_compare_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("compare", "Compare what a guest sees in two disk images");
    auto opts = std::make_shared<CompareOptions>();
    add_image_options(*sub, opts->op.a, "A", "-f,--format");
    add_image_options(*sub, opts->op.b, "B", "-F,--format-b");
    sub->add_flag("-s,--strict", opts->op.strict,
                  "Images of different sizes differ (default: the extra bytes must be zeros)");
    add_allow_parent_option(*sub, opts->allow_parent);
    add_salvage_option(*sub, opts->salvage);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
