#include <ovfkit/ops/disk_info.hpp>
#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

Result<DiskInfoReport> disk_info(const DiskInfoOptions& options, const JobControl& control) {
    OVFKIT_TRY_ASSIGN(disk::Image image, open_disk(options.image));
    DiskInfoReport report;
    report.info = image.reader->info();
    report.image = report.info.files.empty() ? options.image.path : report.info.files.front();
    report.detected = image.detected;
    report.findings = image_findings(image, options.image.path);
    report.missing = image.reader->missing();
    for (auto& f : missing_findings(report.missing, options.image.path)) {
        report.findings.push_back(std::move(f));
    }
    report.allocated_size = report.info.allocated_size;
    if (report.info.allocated_size == 0) {
        // Not counted when opening (qcow2): sum the map.
        if (control.cancel.cancelled()) {
            return fail(cancelled_error(options.image.path));
        }
        auto sum = disk::data_bytes(*image.reader);
        if (sum) {
            report.allocated_size = *sum;
        } else {
            report.allocated_size.reset();
            report.findings.push_back({Severity::warning, "DISK-ALLOCATED-UNKNOWN",
                                       "allocated size unknown: " + sum.error().message,
                                       options.image.path, 0});
        }
    }
    return report;
}

nlohmann::json to_json(const DiskInfoReport& r) {
    nlohmann::json doc = json_document();
    doc.update({
        {"filename", r.info.files.empty() ? "" : r.info.files.front()},
        {"format", r.info.format},
        {"detected", r.detected},
        {"virtual_size", r.info.virtual_size},
        {"allocated_size", optional_json(r.allocated_size)},
        {"cluster_size", r.info.cluster_size},
        {"dirty", r.info.dirty},
        {"parent", optional_json(r.info.parent)},
        {"files", r.info.files},
        {"complete", r.missing.empty()},
        {"missing", missing_json(r.missing)},
        {"warnings", findings_json(r.findings)},
    });
    return doc;
}

} // namespace ovfkit::ops
