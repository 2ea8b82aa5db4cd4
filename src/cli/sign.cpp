// `ovfkit sign PACKAGE --key KEY --cert CERT [-o OUT] [--digest sha256|sha512|sha1]
// [--force] [--json]`: signs a package's manifest.
//
// Exit codes: 0 signed; 2 usage (no manifest, a key that is not the
// certificate's); 3 I/O; 4 refused (files that no longer match the
// manifest, an existing certificate or output without --force).
#include <fmt/format.h>

#include <ovfkit/ops/sign.hpp>

#include <cli/commands.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct SignOptions {
    CommonOptions common;
    ops::SignOptions op;
    std::string digest = "sha256";
};

int run(SignOptions& o) {
    auto algorithm = io::digest_from_name(o.digest);
    if (!algorithm) {
        return report_error(Error{Errc::usage, fmt::format("--digest {}: use sha256, sha512 or "
                                                           "sha1",
                                                           o.digest)},
                            o.common.json);
    }
    o.op.algorithm = *algorithm;
    RunningOperation job("signing", o.common);
    auto report = ops::sign_package(o.op, job.control);
    job.bar.finish(report.has_value());
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    if (o.common.json) {
        print_json(ops::to_json(*report));
    } else if (!o.common.quiet) {
        fmt::print("{}: signed {} ({}) as {}; signer {} (issuer {}, valid until {})\n",
                   terminal_safe(report->output), terminal_safe(report->manifest),
                   io::digest_name(report->algorithm), terminal_safe(report->certificate),
                   terminal_safe(report->signer.subject), terminal_safe(report->signer.issuer),
                   report->signer.not_after);
    }
    return 0;
}

} // namespace

void add_sign_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("sign", "Sign a package's manifest with a key and certificate");
    auto opts = std::make_shared<SignOptions>();
    sub->add_option("PACKAGE", opts->op.source, "An .ova, a directory, or an .ovf with its files")
        ->required();
    sub->add_option("--key", opts->op.key, "Private key (PEM, RSA or EC)")->required();
    sub->add_option("--cert", opts->op.cert, "Certificate chain (PEM), the signer's first")
        ->required();
    sub->add_option("-o,--output", opts->op.output,
                    "Write the signed OVA here (default: replace PACKAGE)");
    sub->add_option("--digest", opts->digest, "Signature digest: sha256 (default), sha512, sha1");
    sub->add_flag("--force", opts->op.force, "Replace an existing certificate or output");
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
