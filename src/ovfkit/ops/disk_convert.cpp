#include <array>
#include <utility>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ops/disk_convert.hpp>
#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

namespace {

// Extensions and the one format each implies.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> k_implied{{
    {".qcow2", "qcow2"},
    {".vhdx", "vhdx"},
    {".vdi", "vdi"},
    {".vhd", "vhd"},
}};

std::string extension_of(std::string_view path) {
    std::string_view base = base_name(path);
    auto dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        return {};
    }
    return ascii_lower(base.substr(dot));
}

} // namespace

Result<std::string> output_format_for(std::string_view path) {
    std::string ext = extension_of(path);
    for (const auto& [e, format] : k_implied) {
        if (ext == e) {
            return std::string(format);
        }
    }
    if (ext == ".vmdk") {
        return fail(Errc::usage,
                    "{}: name the output format with -O: a .vmdk can be vmdk (monolithicSparse, "
                    "VMware Workstation), vmdk-stream (streamOptimized, OVA and ESXi import) or "
                    "vmdk-flat (monolithicFlat)",
                    path);
    }
    if (ext == ".raw" || ext == ".img") {
        return fail(Errc::usage,
                    "{}: name the output format with -O: {} names no format (raw is written only "
                    "when asked for, with -O raw)",
                    path, ext);
    }
    return fail(Errc::usage,
                "{}: name the output format with -O (only .qcow2, .vhdx, .vdi and .vhd imply one)",
                path);
}

Result<DiskConvertReport> convert_disk(const DiskConvertOptions& options,
                                       const JobControl& control) {
    disk::ConvertRequest req;
    req.input = options.input.path;
    req.input_format = options.input.format;
    req.policy.allow_parent = options.input.allow_parent;
    req.policy.salvage = options.input.salvage;
    req.output = options.output;
    req.output_format = options.output_format;
    if (req.output_format.empty()) {
        OVFKIT_TRY_ASSIGN(req.output_format, output_format_for(options.output));
    }
    req.compress = options.compress;
    req.cluster_size = options.cluster_size;
    req.force = options.force;
    req.to_device = options.to_device;
    req.direct_io = options.direct_io;
    req.pipeline.threads = options.threads;
    req.pipeline.cancel = &control.cancel.flag();
    if (control.progress) {
        req.pipeline.progress = [&control](uint64_t done, uint64_t total) {
            control.report("converting", done, total);
        };
    }
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(options.input.path));
    }
    DiskConvertReport report;
    report.input = options.input.path;
    report.output = options.output;
    OVFKIT_TRY_ASSIGN(report.summary, disk::convert_image(req));
    report.findings = report.summary.findings;
    for (auto& f : missing_findings(report.summary.missing, options.input.path)) {
        report.findings.push_back(std::move(f));
    }
    return report;
}

nlohmann::json to_json(const DiskConvertReport& r) {
    const disk::ConvertSummary& s = r.summary;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : s.files) {
        files.push_back({{"path", f.path}, {"size", f.size}, {"allocated", f.allocated}});
    }
    nlohmann::json doc = json_document();
    doc.update({{"input", r.input},
                {"input_format", s.input_format},
                {"output", r.output},
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
                {"complete", s.missing.empty()},
                {"missing", missing_json(s.missing)},
                {"warnings", findings_json(r.findings)}});
    return doc;
}

} // namespace ovfkit::ops
