// `ovfkit validate SOURCE [--schema] [--strict] [--json]`: checks a package
// (descriptor, directory or OVA) and prints every finding.
//
// Exit codes: 0 when there is no error (warnings allowed unless --strict),
// 1 when there is, 2 for usage, 3 when the source cannot be read, 4 when the
// input is refused (hostile XML, unsafe archive): nothing of a refused
// document is looked at, so there are no findings beyond the refusal.
#include <fmt/format.h>

#include <ovfkit/ops/validate.hpp>

#include <cli/commands.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct ValidateOptions {
    CommonOptions common;
    ops::ValidateOptions op;
};

void print_text(const ValidateOptions& opts, const ops::ValidateReport& r) {
    for (const auto& f : r.findings) {
        if (opts.common.quiet && f.severity == Severity::warning && !r.refusal) {
            continue;
        }
        fmt::print("{}\n", finding_text(f));
    }
    if (r.refusal) {
        report_error(*r.refusal, false);
        return;
    }
    // Only for packages that carry a manifest or a certificate.
    if (r.integrity && !opts.common.quiet && (r.integrity->manifest || r.integrity->certificate)) {
        fmt::print("manifest: {}\n", terminal_safe(ops::manifest_status_text(*r.integrity)));
        fmt::print("signature: {}\n", terminal_safe(ops::signature_status_text(*r.integrity)));
    }
    fmt::print("{}: {} ({} error{}, {} warning{}{}{})\n", terminal_safe(r.source),
               r.valid ? "valid" : "invalid", r.errors, r.errors == 1 ? "" : "s", r.warnings,
               r.warnings == 1 ? "" : "s",
               r.schema_checked     ? ", schema checked"
               : r.schema_requested ? ", not schema checked: no DMTF schema for this OVF version"
                                    : "",
               r.strict && r.errors == 0 && r.warnings > 0 ? "; --strict fails on warnings" : "");
}

int run(const ValidateOptions& opts) {
    RunningOperation job("hashing", opts.common);
    auto report = ops::validate_package(opts.op, job.control);
    job.bar.finish(false);
    if (!report) {
        return report_error(report.error(), opts.common.json);
    }
    if (opts.common.json) {
        print_json(ops::to_json(*report));
    } else {
        print_text(opts, *report);
    }
    return report->exit_code();
}

} // namespace

void add_validate_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "validate", "Check an OVF descriptor, package directory or OVA and list every problem");
    auto opts = std::make_shared<ValidateOptions>();
    sub->add_option("SOURCE", opts->op.source,
                    "An .ovf file, a directory holding one, an .ova, - (stdin), an http(s) URL, "
                    "or a VM's own files (.vmx, domain XML, .vbox, .xva, qm config, .vma ...)")
        ->required();
    add_remote_options(*sub, opts->op.remote);
    add_import_options(*sub, opts->op.import);
    sub->add_flag("--schema", opts->op.schema,
                  "Also validate against the bundled DMTF OVF schema (1.x, 2.x)");
    sub->add_flag("--strict", opts->op.strict, "Fail on warnings too");
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
