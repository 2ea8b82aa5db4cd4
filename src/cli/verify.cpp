// `ovfkit verify PACKAGE [--trust CA.pem] [--require-trust] [--json]`: checks
// a package against its manifest and signature.
//
// Exit codes: 0 verified; 4 refused (a file that does not match or is not
// covered, no manifest, an invalid signature; with --require-trust also an
// unsigned package or an untrusted signer); 2 usage; 3 unreadable.
#include <fmt/format.h>

#include <ovfkit/ops/verify.hpp>

#include <cli/commands.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct VerifyOptions {
    CommonOptions common;
    ops::VerifyOptions op;
};

void print_text(const VerifyOptions& o, const ops::VerifyReport& r) {
    for (const auto& f : r.findings) {
        if (f.severity == Severity::error || !o.common.quiet) {
            fmt::print("{}\n", finding_text(f));
        }
    }
    if (o.common.quiet) {
        return;
    }
    for (const auto& f : r.files) {
        fmt::print("  {} {} {}\n", f.ok ? "ok     " : "FAILED ", io::digest_name(f.algorithm),
                   terminal_safe(f.name));
    }
    if (r.signature) {
        const auto& s = *r.signature;
        fmt::print("signature: {}{}; signer {} (issuer {}, valid until {})\n",
                   s.valid ? "valid" : "INVALID",
                   s.valid ? (s.trusted ? ", trusted" : ", not trusted: " + s.reason)
                           : ": " + s.reason,
                   terminal_safe(s.subject), terminal_safe(s.issuer), s.not_after);
    } else if (r.manifest) {
        fmt::print("signature: none (the package is not signed)\n");
    }
    fmt::print("{}: {}\n", terminal_safe(r.source),
               r.exit_code() == 0 ? "verified" : "NOT verified");
}

int run(const VerifyOptions& o) {
    RunningOperation job("hashing", o.common);
    auto report = ops::verify_package(o.op, job.control);
    job.bar.finish(false);
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else {
        print_text(o, *report);
    }
    return report->exit_code();
}

} // namespace

void add_verify_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "verify", "Check a package's files against its manifest, and its signature");
    auto opts = std::make_shared<VerifyOptions>();
    sub->add_option("PACKAGE", opts->op.source,
                    "An .ova, a directory, an .ovf with its files, - (an OVA on stdin) or an "
                    "http(s) URL")
        ->required();
    sub->add_flag("--strict", opts->op.strict,
                  "SHA-1 manifests and OVA members the descriptor does not reference fail");
    add_remote_options(*sub, opts->op.remote);
    sub->add_option("--trust", opts->op.trust,
                    "Trusted CA certificates (PEM) for the signer's chain (default: the system's)");
    sub->add_flag("--require-trust", opts->op.require_trust,
                  "Fail unless the package is signed by a trusted signer");
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
