// ovfkit disk convert IN OUT [-O FORMAT] [-f FORMAT] [--compress] [--threads N]
//                    [--cluster-size N] [--force] [--to-device] [--buffered] [--salvage] [--json]
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/ops/disk_convert.hpp>

#include <cli/disk.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct ConvertOptions {
    CommonOptions common;
    ops::DiskConvertOptions op;
    std::string cluster_size;
    bool buffered = false;
};

int run(ConvertOptions& o) {
    if (!o.cluster_size.empty()) {
        auto cs = parse_size(o.cluster_size);
        if (!cs) {
            return report_error(with_context(cs.error(), "--cluster-size"), o.common.json);
        }
        o.op.cluster_size = *cs;
    }
    o.op.direct_io = !o.buffered;
    RunningOperation job("converting", o.common);
    auto report = ops::convert_disk(o.op, job.control);
    job.bar.finish(report.has_value());
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    print_warnings(report->findings, o.common.quiet, o.common.json);
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else if (!o.common.quiet) {
        const auto& s = report->summary;
        const auto& st = s.stats;
        fmt::print("{} ({}) -> {} ({}): {} virtual, {} read, {} written, {} output in {:.2f} s "
                   "({} threads)\n",
                   terminal_safe(report->input), s.input_format, terminal_safe(report->output),
                   s.output_format, format_size(st.virtual_size), format_size(st.bytes_read),
                   format_size(st.bytes_written), format_size(s.output_size), st.seconds,
                   st.threads);
    }
    return report->exit_code();
}

} // namespace

void add_disk_convert_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("convert", "Convert a disk image to another format");
    auto opts = std::make_shared<ConvertOptions>();
    add_image_options(*sub, opts->op.input, "IN", "-f,--format");
    sub->add_option("OUT", opts->op.output, "Output image file")->required();
    sub->add_option("-O,--output-format", opts->op.output_format,
                    fmt::format("Output format ({}); default: from OUT's extension when it names "
                                "one format (.qcow2, .vhdx, .vdi, .vhd)",
                                format_names(FormatSet::writable)));
    sub->add_flag("-c,--compress", opts->op.compress,
                  fmt::format("Compress the output ({})", format_names(FormatSet::compressible)));
    sub->add_option("--threads", opts->op.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1u, 256u));
    sub->add_option("--cluster-size", opts->cluster_size,
                    "Cluster/grain/block size of the output, e.g. 64K, 2M (default: the format's)");
    sub->add_flag("--force", opts->op.force, "Replace OUT if it exists");
    sub->add_flag("--to-device", opts->op.to_device,
                  "OUT is a block device: write the raw disk onto it in place (-O raw only; "
                  "zeros where the disk has none; never replaced or truncated)");
    sub->add_flag("--buffered", opts->buffered,
                  "Write the output through the page cache (default: whole pages with O_DIRECT)");
    add_allow_parent_option(*sub, opts->op.input.allow_parent);
    add_salvage_option(*sub, opts->op.input.salvage);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
