// `ovfkit validate SOURCE [--schema] [--strict] [--json]`: checks a package
// (descriptor, directory or OVA) and prints every finding.
//
// Exit codes: 0 when there is no error (warnings allowed unless --strict),
// 1 when there is, 2 for usage, 3 when the source cannot be read, 4 when the
// input is refused (hostile XML, unsafe archive): nothing of a refused
// document is looked at, so there are no findings beyond the refusal.
#include <fmt/format.h>

#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/source.hpp>

#include <cli/commands.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct ValidateOptions {
    CommonOptions common;
    std::string source;
    bool schema = false;
    bool strict = false;
};

nlohmann::json findings_json(const Diagnostics& diag) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : diag.findings()) {
        out.push_back(finding_json(f));
    }
    return out;
}

int refuse(const ValidateOptions& opts, const Error& error, const Diagnostics& notes) {
    if (!opts.common.json) {
        for (const auto& f : notes.findings()) {
            fmt::print("{}\n", finding_text(f));
        }
        return report_error(error, false);
    }
    print_json({{"source", opts.source},
                {"valid", false},
                {"error",
                 {{"code", errc_name(error.code)},
                  {"exit_code", static_cast<int>(error.code)},
                  {"message", error.message}}},
                {"findings", findings_json(notes)}});
    return static_cast<int>(error.code);
}

int run(const ValidateOptions& opts) {
    Diagnostics diag;
    auto src = package::Source::open(opts.source, {}, &diag);
    if (!src) {
        return refuse(opts, src.error(), diag);
    }
    ovf::PackageFiles files;
    files.complete = src->kind() != package::SourceKind::descriptor;
    const package::Source& source = *src;
    files.size = [&source](std::string_view name) { return source.file_size(name); };
    ovf::DescriptorCheckOptions check;
    check.schema = opts.schema;
    check.semantic.package = &files;
    auto model = ovf::validate_descriptor(src->descriptor(), src->descriptor_name(), diag, check);
    if (!model) {
        return refuse(opts, model.error(), diag);
    }
    size_t errors = diag.count(Severity::error);
    size_t warnings = diag.count(Severity::warning);
    bool valid = errors == 0 && (!opts.strict || warnings == 0);
    if (opts.common.json) {
        nlohmann::json doc = {{"source", opts.source},
                              {"kind", package::source_kind_name(src->kind())},
                              {"descriptor", src->descriptor_name()},
                              {"ovf_version", nullptr},
                              {"valid", valid},
                              {"strict", opts.strict},
                              {"schema", opts.schema},
                              {"errors", errors},
                              {"warnings", warnings},
                              {"findings", findings_json(diag)}};
        if (*model) {
            doc["ovf_version"] = ovf::version_name((*model)->version);
        }
        print_json(doc);
    } else {
        for (const auto& f : diag.findings()) {
            if (opts.common.quiet && f.severity == Severity::warning) {
                continue;
            }
            fmt::print("{}\n", finding_text(f));
        }
        fmt::print("{}: {} ({} error{}, {} warning{}{}{})\n", terminal_safe(opts.source),
                   valid ? "valid" : "invalid", errors, errors == 1 ? "" : "s", warnings,
                   warnings == 1 ? "" : "s", opts.schema ? ", schema checked" : "",
                   opts.strict && errors == 0 && warnings > 0 ? "; --strict fails on warnings"
                                                              : "");
    }
    return valid ? 0 : static_cast<int>(Errc::invalid);
}

} // namespace

void add_validate_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "validate", "Check an OVF descriptor, package directory or OVA and list every problem");
    auto opts = std::make_shared<ValidateOptions>();
    sub->add_option("SOURCE", opts->source, "An .ovf file, a directory holding one, or an .ova")
        ->required();
    sub->add_flag("--schema", opts->schema,
                  "Also validate against the bundled DMTF OVF schema (1.x, 2.x)");
    sub->add_flag("--strict", opts->strict, "Fail on warnings too");
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
