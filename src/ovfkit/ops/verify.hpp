// `ovfkit verify`: is a package what its manifest and signature say.
//
// The manifest (<descriptor base>.mf) must list the descriptor and every
// file the descriptor references (each chunk of a chunked file) and nothing
// else, each with the digest of the bytes as stored. The certificate
// (<base>.cert), when present, must sign that manifest; whether its signer is
// trusted is reported on its own. Files are hashed in one read each, several
// at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/manifest.hpp>
#include <ovfkit/package/signature.hpp>
#include <ovfkit/package/source.hpp>

namespace ovfkit::ops {

struct VerifyOptions {
    std::string source;         // a path, "-" (stdin) or an http(s) URL
    std::string trust;          // CA file (PEM); empty: the system's trust store
    bool require_trust = false; // an unsigned package or an untrusted signer fails
    // SHA-1 manifests and OVA members the descriptor does not reference are
    // errors, not warnings.
    bool strict = false;
    package::RemoteOptions remote{}; // URLs and pipes (its `cancelled` is set from the JobControl)
};

struct VerifyReport {
    std::string source;
    std::string descriptor;
    std::optional<std::string> manifest; // its name, when the package has one
    bool manifest_ok = false;            // present, every file listed and matching, nothing extra
    std::vector<package::ManifestFileCheck> files;
    std::optional<std::string> certificate; // its name, when the package has one
    std::optional<package::SignatureStatus> signature;
    bool require_trust = false;
    std::vector<Finding> findings;

    // 0 when the manifest verifies, the signature, if any, is valid (and
    // trusted, with require_trust) and no finding is an error (--strict);
    // 4 otherwise: the package is refused.
    int exit_code() const;
};

// Fails only when the package cannot be read at all (or on cancellation);
// every integrity problem is in the report. Progress phase "hashing", in
// bytes of all files.
Result<VerifyReport> verify_package(const VerifyOptions& options, const JobControl& control = {});

nlohmann::json to_json(const VerifyReport& report);

// The manifest and signature checks of verify_package over a package already
// open and its descriptor read; findings go to `diag` (and the report). An
// absent manifest is an MF-ABSENT error here; info and validate, which only
// report the status, drop it.
Result<VerifyReport> verify_source(const package::Source& src, const ovf::Envelope& env,
                                   const VerifyOptions& options, const JobControl& control,
                                   Diagnostics& diag);

// {"manifest": {"present", "name", "algorithm", "ok", "failed": [names]},
//  "signature": {"present", "valid", "trusted", "subject", "issuer",
//  "not_after", "reason"}}: what info and validate print of a VerifyReport.
nlohmann::json integrity_json(const VerifyReport& report);

// One line each for the manifest and the signature ("SHA256, 2 files, all
// match"; "valid, signer not trusted: self-signed (CN=x)"), for text output.
std::string manifest_status_text(const VerifyReport& report);
std::string signature_status_text(const VerifyReport& report);

// Findings about the package's layout, for info, validate and verify: OVA
// members that are neither the descriptor, its manifest or certificate nor a
// referenced file or chunk (PKG-UNREFERENCED: a warning, an error when
// `strict`), and in a directory package referenced files with more than one
// hard link (PKG-HARDLINK, a warning).
Result<void> check_package_layout(const package::Source& src, const ovf::Envelope& env, bool strict,
                                  Diagnostics& diag);

// A package file the manifest must cover besides the descriptor.
struct CoveredFile {
    std::string name;
    uint64_t size = 0;
};

// Every file the descriptor references, or each chunk of a chunked one,
// that the package has, in References order. An href that names no safe
// package file is an MF-HREF error in `diag`.
Result<std::vector<CoveredFile>> manifest_coverage(const package::Source& src,
                                                   const ovf::Envelope& env, Diagnostics& diag);

} // namespace ovfkit::ops
