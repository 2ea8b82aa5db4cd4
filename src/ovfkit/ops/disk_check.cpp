#include <ovfkit/ops/disk_check.hpp>
#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

Result<DiskCheckReport> check_disk(const DiskCheckOptions& options, const JobControl& control) {
    const std::string& path = options.image.path;
    DiskCheckReport report;
    report.image = path;
    Diagnostics diag;
    // Opened with salvage, so that a truncated image lists every range it
    // misses (DISK-TRUNCATED) instead of the first one only.
    ImageRef ref = options.image;
    ref.salvage = true;
    auto image = open_disk(ref);
    if (!image) {
        if (image.error().code != Errc::invalid) {
            return fail(image.error());
        }
        std::string message = image.error().message;
        if (message.starts_with(path + ": ")) {
            message.erase(0, path.size() + 2); // the finding names the file
        }
        diag.error("DISK-OPEN", message, path);
    } else {
        report.format = image->reader->info().format;
        for (auto& f : image_findings(*image, path)) {
            diag.add(std::move(f));
        }
        if (control.cancel.cancelled()) {
            return fail(cancelled_error(path));
        }
        OVFKIT_TRY(image->reader->check(diag));
        // After the format's own findings, which locate the damage in its
        // terms: what of the guest a truncated image lacks.
        for (auto& f : missing_findings(image->reader->missing(), path)) {
            diag.add(std::move(f));
        }
    }
    report.findings = diag.findings();
    report.errors = diag.count(Severity::error);
    report.warnings = diag.count(Severity::warning);
    report.clean = report.errors == 0;
    return report;
}

nlohmann::json to_json(const DiskCheckReport& r) {
    nlohmann::json doc = json_document();
    doc.update({{"image", r.image},
                {"format", optional_json(r.format)},
                {"clean", r.clean},
                {"errors", r.errors},
                {"warnings", r.warnings},
                {"findings", findings_json(r.findings)}});
    return doc;
}

} // namespace ovfkit::ops
