#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ops/validate.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/references.hpp>

namespace ovfkit::ops {

namespace {

// The structure of chunked files (gaps, stray names, chunk sizes), which the
// descriptor checks cannot see from sizes alone. ovf:size, ovf:compression
// and ovf:chunkSize's syntax are the descriptor checks' (OVF-FILE-003/005,
// OVF-NUM-001) and are not reported twice.
void check_chunks(const package::Source& src, const ovf::Envelope& env, Diagnostics& diag) {
    std::optional<package::MemberLookup> lookup;
    for (const auto& f : env.references.files) {
        auto member = ovf::href_member(f.href);
        if (!f.chunk_size || !member) {
            continue;
        }
        if (auto n = ovf::parse_u64(*f.chunk_size, "ovf:chunkSize"); !n || *n == 0) {
            continue;
        }
        if (!lookup) {
            auto l = package::member_lookup(src);
            if (!l) {
                diag.error("OVF-FILE-004", l.error().message, src.descriptor_name(), 0);
                return;
            }
            lookup = std::move(*l);
        }
        ovf::File stored = f;
        stored.href = *member;
        stored.size.reset();
        stored.compression.reset();
        auto layout = package::stored_layout(*lookup, stored);
        if (!layout && layout.error().code == Errc::invalid) {
            diag.error("OVF-FILE-006", layout.error().message, src.descriptor_name(),
                       f.line.number);
        }
    }
}

void conclude(ValidateReport& report, const Diagnostics& diag) {
    report.findings = diag.findings();
    report.errors = diag.count(Severity::error);
    report.warnings = diag.count(Severity::warning);
    report.valid =
        !report.refusal && report.errors == 0 && (!report.strict || report.warnings == 0);
}

} // namespace

int ValidateReport::exit_code() const {
    if (refusal) {
        return static_cast<int>(refusal->code);
    }
    return valid ? 0 : static_cast<int>(Errc::invalid);
}

Result<ValidateReport> validate_package(const ValidateOptions& options, const JobControl& control) {
    ValidateReport report;
    report.source = options.source;
    report.strict = options.strict;
    report.schema_requested = options.schema;
    Diagnostics diag;
    auto src = open_package(options.source, diag, options.remote, &control, options.import);
    if (!src) {
        report.refusal = src.error();
        conclude(report, diag);
        return report;
    }
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(options.source));
    }
    report.kind = src->kind();
    report.descriptor = src->descriptor_name();
    ovf::PackageFiles files;
    files.complete = src->kind() != package::SourceKind::descriptor;
    const package::Source& source = *src;
    files.size = [&source](std::string_view name) { return source.file_size(name); };
    ovf::DescriptorCheckOptions check;
    check.schema = options.schema;
    check.semantic.package = &files;
    bool applied = false;
    auto model =
        ovf::validate_descriptor(src->descriptor(), src->descriptor_name(), diag, check, &applied);
    if (!model) {
        report.refusal = model.error();
    } else {
        report.schema_checked = applied;
        if (*model) {
            report.ovf_version = ovf::version_name((*model)->version);
            check_chunks(*src, **model, diag);
            auto layout = check_package_layout(source, **model, options.strict, diag);
            if (!layout) {
                report.refusal = layout.error();
            } else {
                Diagnostics found;
                VerifyOptions verify;
                verify.source = options.source;
                verify.strict = options.strict;
                auto integrity = verify_source(source, **model, verify, control, found);
                if (!integrity) {
                    if (control.cancel.cancelled()) {
                        return fail(integrity.error());
                    }
                    report.refusal = integrity.error();
                } else {
                    for (const auto& f : found.findings()) {
                        // No manifest is no error here, and unsafe hrefs are
                        // the reference checks' findings already.
                        if (f.code != "MF-ABSENT" && f.code != "MF-HREF") {
                            diag.add(f);
                        }
                    }
                    report.integrity = std::move(*integrity);
                }
            }
        }
    }
    conclude(report, diag);
    return report;
}

nlohmann::json to_json(const ValidateReport& r) {
    nlohmann::json doc = json_document();
    doc["source"] = r.source;
    doc["valid"] = r.valid;
    doc["findings"] = findings_json(r.findings);
    if (r.refusal) {
        doc["error"] = error_json(*r.refusal);
        return doc;
    }
    doc.update({{"kind", package::source_kind_name(*r.kind)},
                {"descriptor", r.descriptor},
                {"ovf_version", optional_json(r.ovf_version)},
                {"strict", r.strict},
                {"schema_checked", r.schema_checked},
                {"errors", r.errors},
                {"warnings", r.warnings}});
    if (r.integrity) {
        doc.update(integrity_json(*r.integrity));
    }
    return doc;
}

} // namespace ovfkit::ops
