#include <ovfkit/ops/disk_compare.hpp>
#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

Result<DiskCompareReport> compare_disks(const DiskCompareOptions& options,
                                        const JobControl& control) {
    OVFKIT_TRY_ASSIGN(disk::Image a, open_disk(options.a));
    OVFKIT_TRY_ASSIGN(disk::Image b, open_disk(options.b));
    DiskCompareReport report;
    report.strict = options.strict;
    report.format_a = a.reader->info().format;
    report.format_b = b.reader->info().format;
    report.findings = image_findings(a, options.a.path);
    for (auto& f : image_findings(b, options.b.path)) {
        report.findings.push_back(std::move(f));
    }
    report.missing_a = a.reader->missing();
    report.missing_b = b.reader->missing();
    for (auto& f : missing_findings(report.missing_a, options.a.path)) {
        report.findings.push_back(std::move(f));
    }
    for (auto& f : missing_findings(report.missing_b, options.b.path)) {
        report.findings.push_back(std::move(f));
    }
    disk::CompareOptions compare;
    compare.strict = options.strict;
    compare.cancel = &control.cancel.flag();
    if (control.progress) {
        compare.progress = [&control](uint64_t done, uint64_t total) {
            control.report("comparing", done, total);
        };
    }
    OVFKIT_TRY_ASSIGN(report.result, disk::compare_disks(*a.reader, *b.reader, compare));
    return report;
}

nlohmann::json to_json(const DiskCompareReport& r) {
    nlohmann::json doc = json_document();
    doc.update({{"identical", r.result.identical},
                {"first_difference", optional_json(r.result.first_difference)},
                {"size_a", r.result.size_a},
                {"size_b", r.result.size_b},
                {"sizes_differ", r.result.sizes_differ},
                {"strict", r.strict},
                {"format_a", r.format_a},
                {"format_b", r.format_b},
                {"complete", r.missing_a.empty() && r.missing_b.empty()},
                {"missing_a", missing_json(r.missing_a)},
                {"missing_b", missing_json(r.missing_b)},
                {"warnings", findings_json(r.findings)}});
    return doc;
}

} // namespace ovfkit::ops
