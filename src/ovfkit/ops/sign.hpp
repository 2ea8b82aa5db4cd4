// `ovfkit sign`: adds a signature (.cert) to a package that has a manifest.
//
// The manifest must verify first: a package whose files no longer match it
// is refused rather than signed. A directory gets <descriptor base>.cert
// beside its descriptor; an OVA is written anew with the certificate right
// after the manifest (DSP0243's order), in place unless an output is named.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <ovfkit/io/sink.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/package/signature.hpp>

namespace ovfkit::ops {

struct SignOptions {
    std::string source;
    std::string key;    // PEM private key (RSA or EC)
    std::string cert;   // PEM certificate chain, the signer's first
    std::string output; // an OVA's new path; empty: the OVA itself (directories: unused)
    io::DigestAlgorithm algorithm = io::DigestAlgorithm::sha256;
    bool force = false; // replace an existing certificate or output
    uint64_t mtime = 0; // member times of a rewritten OVA; 0: keep the source's
};

struct SignReport {
    std::string source;
    std::string output;      // the package written (the directory, or the OVA)
    std::string manifest;    // the manifest signed
    std::string certificate; // the certificate member or file written
    io::DigestAlgorithm algorithm = io::DigestAlgorithm::sha256;
    package::SignatureStatus signer; // the new signature, checked against the system's store
};

// Progress phase "writing" for a rewritten OVA, in bytes.
Result<SignReport> sign_package(const SignOptions& options, const JobControl& control = {});

nlohmann::json to_json(const SignReport& report);

} // namespace ovfkit::ops
