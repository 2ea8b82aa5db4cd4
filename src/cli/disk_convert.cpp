// ovfkit disk convert IN OUT -O FORMAT [-f FORMAT] [--compress] [--threads N]
//                    [--cluster-size N] [--force] [--buffered] [--json]
#include <atomic>
#include <csignal>

#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/disk/convert.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>
#include <cli/progress.hpp>

namespace ovfkit::cli {

namespace {

struct ConvertOptions {
    CommonOptions common;
    ImageOptions input;
    std::string output;
    std::string output_format;
    bool compress = false;
    unsigned threads = 0;
    std::string cluster_size;
    bool force = false;
    bool buffered = false;
};

// SIGINT/SIGTERM stop the conversion between chunks; the output set then
// removes its temporary files on the way out.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
    g_interrupted.store(true);
}

class InterruptGuard {
public:
    InterruptGuard() {
        struct sigaction sa {};
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, &m_int);
        ::sigaction(SIGTERM, &sa, &m_term);
    }
    ~InterruptGuard() {
        ::sigaction(SIGINT, &m_int, nullptr);
        ::sigaction(SIGTERM, &m_term, nullptr);
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    struct sigaction m_int {};
    struct sigaction m_term {};
};

nlohmann::json summary_json(const ConvertOptions& o, const disk::ConvertSummary& s) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : s.files) {
        files.push_back({{"path", f.path}, {"size", f.size}, {"allocated", f.allocated}});
    }
    return {{"input", o.input.path},
            {"input_format", s.input_format},
            {"output", o.output},
            {"output_format", s.output_format},
            {"virtual_size", s.stats.virtual_size},
            {"bytes_read", s.stats.bytes_read},
            {"bytes_written", s.stats.bytes_written},
            {"output_size", s.output_size},
            {"direct_bytes", s.direct_bytes},
            {"files", files},
            {"seconds", s.stats.seconds},
            {"threads", s.stats.threads},
            {"chunk_size", s.stats.chunk_size},
            {"warnings", warning_messages(s.findings)}};
}

int run(const ConvertOptions& o) {
    disk::ConvertRequest req;
    req.input = o.input.path;
    req.input_format = o.input.format;
    req.policy.allow_parent = o.input.allow_parent;
    req.output = o.output;
    req.output_format = o.output_format;
    req.compress = o.compress;
    req.force = o.force;
    req.direct_io = !o.buffered;
    if (!o.cluster_size.empty()) {
        auto cs = parse_size(o.cluster_size);
        if (!cs) {
            return report_error(with_context(cs.error(), "--cluster-size"), o.common.json);
        }
        req.cluster_size = *cs;
    }
    req.pipeline.threads = o.threads;
    ProgressBar bar("converting", !o.common.quiet && !o.common.json);
    if (bar.active()) {
        req.pipeline.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
    }
    g_interrupted.store(false);
    req.pipeline.cancel = &g_interrupted;
    InterruptGuard guard;
    auto summary = disk::convert_image(req);
    bar.finish(summary.has_value());
    if (!summary) {
        return report_error(summary.error(), o.common.json);
    }
    print_warnings(summary->findings, o.common);
    if (o.common.json) {
        print_json(summary_json(o, *summary));
    } else if (!o.common.quiet) {
        const auto& st = summary->stats;
        fmt::print("{} ({}) -> {} ({}): {} virtual, {} read, {} written, {} output in {:.2f} s "
                   "({} threads)\n",
                   terminal_safe(o.input.path), summary->input_format, terminal_safe(o.output),
                   summary->output_format, format_size(st.virtual_size), format_size(st.bytes_read),
                   format_size(st.bytes_written), format_size(summary->output_size), st.seconds,
                   st.threads);
    }
    return 0;
}

} // namespace

void add_disk_convert_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("convert", "Convert a disk image to another format");
    auto opts = std::make_shared<ConvertOptions>();
    add_image_options(*sub, opts->input, "IN", "-f,--format");
    sub->add_option("OUT", opts->output, "Output image file")->required();
    sub->add_option("-O,--output-format", opts->output_format,
                    fmt::format("Output format ({})", format_names(FormatSet::writable)))
        ->required();
    sub->add_flag("-c,--compress", opts->compress,
                  fmt::format("Compress the output ({})", format_names(FormatSet::compressible)));
    sub->add_option("--threads", opts->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1u, 256u));
    sub->add_option("--cluster-size", opts->cluster_size,
                    "Cluster/grain/block size of the output, e.g. 64K, 2M (default: the format's)");
    sub->add_flag("--force", opts->force, "Replace OUT if it exists");
    sub->add_flag("--buffered", opts->buffered,
                  "Write the output through the page cache (default: whole pages with O_DIRECT)");
    add_allow_parent_option(*sub, opts->input.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
