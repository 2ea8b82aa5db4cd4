#include <algorithm>

#include <fmt/format.h>
#include <sys/stat.h>

#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/sign.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/ova_writer.hpp>

namespace ovfkit::ops {

namespace {

std::string directory_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return path;
    }
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// The manifest must hold before it is signed: a package whose files do not
// match it is refused.
Error not_signed(const std::string& source, const Diagnostics& diag) {
    std::string why = "its files do not match its manifest";
    for (const auto& f : diag.findings()) {
        if (f.severity == Severity::error) {
            why = f.message;
            break;
        }
    }
    return Error{Errc::refused, fmt::format("{}: not signed: {}", source, why)};
}

} // namespace

Result<SignReport> sign_package(const SignOptions& options, const JobControl& control) {
    Diagnostics diag;
    OVFKIT_TRY_ASSIGN(package::Source src, open_package(options.source, diag));
    if (src.origin() != package::SourceOrigin::local) {
        return fail(Errc::usage,
                    "{}: sign writes beside the package; download it first and sign the copy",
                    options.source);
    }
    SignReport report;
    report.source = options.source;
    report.algorithm = options.algorithm;
    report.manifest = descriptor_sibling(src.descriptor_name(), ".mf");
    report.certificate = descriptor_sibling(src.descriptor_name(), ".cert");
    OVFKIT_TRY_ASSIGN(auto mf_bytes,
                      read_package_file(src, report.manifest, package::k_max_manifest_bytes));
    if (!mf_bytes) {
        return fail(Errc::usage, "{}: the package has no manifest {} to sign", options.source,
                    report.manifest);
    }
    const std::vector<std::byte>& mf = *mf_bytes;
    OVFKIT_TRY_ASSIGN(package::Manifest manifest,
                      package::parse_manifest(mf, report.manifest, diag));
    OVFKIT_TRY_ASSIGN(std::string cert, package::sign_manifest(mf, report.manifest, options.key,
                                                               options.cert, options.algorithm));
    auto parsed = package::parse_certificate_file(bytes_of(cert), report.certificate);
    if (parsed) {
        report.signer = package::verify_signature(*parsed, mf, report.manifest);
    }

    if (src.kind() != package::SourceKind::ova) {
        if (!options.output.empty()) {
            return fail(Errc::usage,
                        "{}: -o names a new OVA; a directory is signed in place (its .cert is "
                        "written beside the descriptor)",
                        options.source);
        }
        // Nothing is rewritten: the files are read once, to verify them.
        VerifyOptions verify;
        verify.source = options.source;
        OVFKIT_TRY_ASSIGN(VerifyReport check, verify_package(verify, control));
        if (!check.manifest_ok) {
            Diagnostics found;
            for (const auto& f : check.findings) {
                found.add(f);
            }
            return fail(not_signed(options.source, found));
        }
        std::string dir = directory_of(options.source);
        report.output = dir;
        io::OutputSet outputs(options.force);
        OVFKIT_TRY_ASSIGN(io::File * out, outputs.create(dir + "/" + report.certificate));
        OVFKIT_TRY(out->pwrite(bytes_of(cert), 0));
        OVFKIT_TRY(outputs.commit());
        return report;
    }

    // An OVA is written anew: descriptor, manifest, the new certificate,
    // then every other member in its order. The files the manifest covers
    // are hashed as they are copied, so each is read once; on a mismatch the
    // new OVA is dropped before it appears.
    OVFKIT_TRY_ASSIGN(ovf::Envelope env,
                      ovf::read_descriptor(src.descriptor(), src.descriptor_name(), diag));
    OVFKIT_TRY_ASSIGN(std::vector<CoveredFile> covered, manifest_coverage(src, env, diag));
    report.output = options.output.empty() ? options.source : options.output;
    bool in_place = report.output == options.source;
    io::OutputSet outputs(options.force || in_place);
    OVFKIT_TRY_ASSIGN(io::File * out, outputs.create(report.output));
    uint64_t mtime = options.mtime;
    if (mtime == 0) {
        struct stat st {};
        mtime = ::stat(options.source.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_mtime) : 0;
    }
    io::DigestAlgorithm algorithm =
        manifest.entries.empty() ? io::DigestAlgorithm::sha256 : manifest.entries.front().algorithm;
    std::vector<package::FileDigest> computed;
    OVFKIT_TRY_ASSIGN(std::string descriptor_digest, io::hex_digest(src.descriptor(), algorithm));
    computed.push_back({src.descriptor_name(), descriptor_digest});
    package::OvaWriter ova(*out, mtime);
    OVFKIT_TRY(ova.add(src.descriptor_name(), src.descriptor()));
    OVFKIT_TRY(ova.add(report.manifest, mf));
    OVFKIT_TRY(ova.add(report.certificate, bytes_of(cert)));
    uint64_t total = 0;
    for (const auto& m : src.tar()->members()) {
        total += m.size;
    }
    uint64_t done = 0;
    for (const auto& m : src.tar()->members()) {
        if (m.name == src.descriptor_name() || m.name == report.manifest ||
            m.name == report.certificate) {
            continue;
        }
        bool hashed = std::any_of(covered.begin(), covered.end(),
                                  [&](const CoveredFile& c) { return c.name == m.name; });
        io::NullSink nowhere(m.name);
        OVFKIT_TRY_ASSIGN(auto digest, io::DigestSink::create(nowhere, algorithm));
        OVFKIT_TRY_ASSIGN(auto in, src.open_file(m.name));
        OVFKIT_TRY(ova.add(m.name, *in, m.size,
                           [&](std::span<const std::byte> piece, uint64_t copied) -> Result<void> {
                               if (control.cancel.cancelled()) {
                                   return fail(cancelled_error(m.name));
                               }
                               control.report("writing", done + copied, total);
                               return hashed ? digest->write(piece) : Result<void>{};
                           }));
        if (hashed) {
            OVFKIT_TRY(digest->finish());
            computed.push_back({m.name, digest->hex_digest()});
        }
        done += m.size;
    }
    package::check_manifest(manifest, report.manifest, computed, diag);
    if (diag.has_errors()) {
        return fail(not_signed(options.source, diag));
    }
    OVFKIT_TRY(ova.finish());
    OVFKIT_TRY(outputs.commit());
    return report;
}

nlohmann::json to_json(const SignReport& r) {
    nlohmann::json doc = json_document();
    doc.update({{"source", r.source},
                {"output", r.output},
                {"manifest", r.manifest},
                {"certificate", r.certificate},
                {"algorithm", io::digest_name(r.algorithm)},
                {"signer",
                 {{"subject", r.signer.subject},
                  {"issuer", r.signer.issuer},
                  {"not_after", r.signer.not_after},
                  {"trusted", r.signer.trusted},
                  {"reason", r.signer.reason}}}});
    return doc;
}

} // namespace ovfkit::ops
