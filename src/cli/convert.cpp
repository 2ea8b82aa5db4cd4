// ovfkit convert SOURCE TARGET [--disk-format F] [--manifest sha256|sha512|sha1|none]
//                [--sign KEY --cert CERT] [--force] [--json]
// ovfkit pack SOURCE OUT.ova / ovfkit unpack OVA DIR: the same with the form fixed.
// ovfkit convert SOURCE TARGET --to PLATFORM: an export (cli/export.cpp).
//
// Exit codes: 0 written; 1 a package that cannot be carried (a referenced
// file missing, a disk that does not read); 2 usage; 3 I/O (a full disk,
// cancelled); 4 refused (files that do not match the source's manifest, an
// existing target without --force).
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/ops/convert.hpp>

#include <cli/commands.hpp>
#include <cli/disk.hpp>
#include <cli/export.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct ConvertOptions {
    CommonOptions common;
    ops::ConvertOptions op;
    std::string manifest;
    std::string sign_digest = "sha256";
    std::optional<uint64_t> mtime;
    std::string chunk_size;
    std::string ovf_version;
    ExportCliOptions ex; // --to and the deployment inputs (convert only)
};

void print_summary(const ops::ConvertReport& r, std::FILE* to) {
    size_t converted = 0;
    for (const auto& f : r.files) {
        converted += f.converted ? 1 : 0;
    }
    std::string manifest = "no manifest";
    if (r.manifest) {
        manifest =
            fmt::format("manifest {} ({}, {})", terminal_safe(*r.manifest),
                        io::digest_name(r.manifest_algorithm), r.manifest_kept ? "kept" : "new");
    }
    std::string cert;
    if (!r.certificate_action.empty()) {
        cert = fmt::format(", signature {}", r.certificate_action);
    }
    fmt::print(to, "{}: {} written from {} ({}): {} file{}, {} converted, {}{}; {}\n",
               terminal_safe(r.target), r.form == ops::PackageForm::ova ? "OVA" : "directory",
               terminal_safe(r.source), r.source_kind, r.files.size(),
               r.files.size() == 1 ? "" : "s", converted, manifest, cert,
               format_size(r.bytes_written));
    for (const auto& f : r.files) {
        if (f.converted) {
            fmt::print(to, "  {} ({}) -> {} ({}): {} virtual, {} stored\n",
                       terminal_safe(f.source_name), f.source_format, terminal_safe(f.name),
                       f.format, format_size(f.virtual_size), format_size(f.size));
        }
    }
}

int run(ConvertOptions& o) {
    if (!o.manifest.empty()) {
        if (o.manifest == "none") {
            o.op.no_manifest = true;
        } else if (auto a = io::digest_from_name(o.manifest)) {
            o.op.manifest = *a;
        } else {
            return report_error(
                Error{Errc::usage,
                      fmt::format("--manifest {}: use sha256, sha512, sha1 or none", o.manifest)},
                o.common.json);
        }
    }
    auto sign_digest = io::digest_from_name(o.sign_digest);
    if (!sign_digest) {
        return report_error(Error{Errc::usage, fmt::format("--sign-digest {}: use sha256, "
                                                           "sha512 or sha1",
                                                           o.sign_digest)},
                            o.common.json);
    }
    o.op.sign_digest = *sign_digest;
    if (!o.chunk_size.empty()) {
        auto cs = parse_size(o.chunk_size);
        if (!cs) {
            return report_error(with_context(cs.error(), "--chunk-size"), o.common.json);
        }
        o.op.chunk_size = *cs;
    }
    if (!o.ovf_version.empty()) {
        if (o.ovf_version == "1.0" || o.ovf_version == "1.1" || o.ovf_version == "1") {
            o.op.ovf_version = ovf::OvfVersion::v1;
        } else if (o.ovf_version == "2.0" || o.ovf_version == "2.1" || o.ovf_version == "2") {
            o.op.ovf_version = ovf::OvfVersion::v2;
        } else {
            return report_error(
                Error{Errc::usage, fmt::format("--ovf-version {}: use 1.0 or 2.0", o.ovf_version)},
                o.common.json);
        }
    }
    o.op.mtime = o.mtime;
    o.op.import.keep_macs = o.ex.op.keep_macs;
    if (!o.ex.to.empty()) {
        return run_export(o.ex, o.op, o.common);
    }
    if (o.op.target == "-" && o.common.json) {
        return report_error(Error{Errc::usage, "--json prints on stdout, where the OVA goes (-)"},
                            false);
    }
    RunningOperation job("writing", o.common);
    auto report = ops::convert_package(o.op, job.control);
    job.bar.finish(report.has_value());
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    print_warnings(report->findings, o.common.quiet, o.common.json);
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else if (!o.common.quiet) {
        print_summary(*report, o.op.target == "-" ? stderr : stdout);
    }
    return 0;
}

// The options every form of the command shares.
void add_package_options(CLI::App& sub, ConvertOptions& o) {
    sub.add_option("--disk-format", o.op.disk_format,
                   fmt::format("Convert every disk to this format on the way ({}); default: "
                               "carry each disk as it is",
                               format_names(FormatSet::writable)));
    sub.add_option("--manifest", o.manifest,
                   "Manifest digest: sha256, sha512, sha1 or none (default: the source "
                   "manifest's, else sha256)");
    sub.add_flag("--compress{6}", o.op.compress,
                 "Store files gzip-compressed (ovf:compression); --compress=N for level N (1-9)");
    sub.add_option("--chunk-size", o.chunk_size,
                   "Split stored files into members of this size, e.g. 2G (ovf:chunkSize)");
    sub.add_option("--ovf-version", o.ovf_version,
                   "Rewrite the descriptor as OVF 1.0 or 2.0 (vendor sections kept)");
    sub.add_option("--sign", o.op.sign_key, "Sign the manifest with this private key (PEM)");
    sub.add_option("--cert", o.op.sign_cert, "The signer's certificate chain (PEM), with --sign");
    sub.add_option("--sign-digest", o.sign_digest, "Signature digest: sha256 (default), sha512");
    sub.add_option("--mtime", o.mtime,
                   "Member and file times, in seconds since 1970 (default: the source's)");
    sub.add_option("--threads", o.op.threads, "Disk conversion threads (default: all cores)")
        ->check(CLI::Range(1u, 256u));
    sub.add_flag("--force", o.op.force, "Replace existing outputs");
    add_import_options(sub, o.op.import);
    add_remote_options(sub, o.op.remote);
    add_common_options(sub, o.common);
}

} // namespace

void add_convert_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "convert", "Write a package in another form (OVF directory <-> OVA, disks re-encoded), "
                   "or with --to what a hypervisor imports and runs");
    auto opts = std::make_shared<ConvertOptions>();
    sub->add_option("SOURCE", opts->op.source,
                    "An .ova, a directory, or an .ovf with its files; or a VM to import: a .vmx, "
                    "a Proxmox qm config or .vma (docs/import.md)")
        ->required();
    sub->add_option("TARGET", opts->op.target,
                    "X.ova (an OVA), - (an OVA on stdout), a directory, or X.ovf (a directory "
                    "package named X); with --to a platform's directory or package")
        ->required();
    add_package_options(*sub, *opts);
    add_export_options(*sub, opts->ex);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

void add_pack_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("pack", "Pack an OVF directory or descriptor into an OVA");
    auto opts = std::make_shared<ConvertOptions>();
    opts->op.form = ops::PackageForm::ova;
    sub->add_option("SOURCE", opts->op.source, "A directory, or an .ovf with its files")
        ->required();
    sub->add_option("OVA", opts->op.target, "The OVA to write (- for stdout)")->required();
    add_package_options(*sub, *opts);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

void add_unpack_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "unpack", "Unpack an OVA into a directory (only the files its descriptor references)");
    auto opts = std::make_shared<ConvertOptions>();
    opts->op.form = ops::PackageForm::directory;
    sub->add_option("OVA", opts->op.source, "The OVA to unpack")->required();
    sub->add_option("DIR", opts->op.target, "The directory to write (created if absent)")
        ->required();
    add_package_options(*sub, *opts);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
