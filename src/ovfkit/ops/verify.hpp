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
    std::string source;
    std::string trust;          // CA file (PEM); empty: the system's trust store
    bool require_trust = false; // an unsigned package or an untrusted signer fails
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

    // 0 when the manifest verifies and the signature, if any, is valid (and
    // trusted, with require_trust); 4 otherwise: the package is refused.
    int exit_code() const;
};

// Fails only when the package cannot be read at all (or on cancellation);
// every integrity problem is in the report. Progress phase "hashing", in
// bytes of all files.
Result<VerifyReport> verify_package(const VerifyOptions& options, const JobControl& control = {});

nlohmann::json to_json(const VerifyReport& report);

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
