// Package signatures (.cert): the manifest signed with an RSA or ECDSA key,
// followed by the signer's PEM certificate and its chain, as ovftool writes
// and reads them (shared formats/ovf-ova.md 7.2, SECURITY.md R21):
//
//   SHA256(vm.mf)= <hex of the signature over the exact .mf bytes>
//   -----BEGIN CERTIFICATE-----   the signer
//   ...
//   -----BEGIN CERTIFICATE-----   intermediates (untrusted), maybe the root
//
// Verification is two questions answered separately: is the signature
// valid (the manifest is what the certificate's key signed), and is the
// signer trusted (its chain verifies against a trust store: the system's,
// or the CA file named). A valid signature from an untrusted signer is a
// warning for the caller to weigh; each reason (self-signed, unknown CA,
// expired, not yet valid) is reported as such.
#pragma once

#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/package/manifest.hpp>

namespace ovfkit::package {

inline constexpr size_t k_max_certificate_bytes = size_t{1} << 20;

struct CertificateFile {
    DigestAlgorithm algorithm = DigestAlgorithm::sha256;
    std::string manifest_name;            // the manifest the first line names
    std::vector<unsigned char> signature; // raw signature bytes
    std::string certificates;             // the PEM certificates, as written
};

// Parses a .cert file. Errc::refused when it is larger than 1 MiB, its first
// line is not "ALG(name.mf)= hex", or it holds no PEM certificate.
Result<CertificateFile> parse_certificate_file(std::span<const std::byte> bytes,
                                               std::string_view name);

struct TrustOptions {
    std::string ca_file;      // PEM trust anchors; empty: the system's store
    std::optional<time_t> at; // verify the chain at this time (tests); default: now
};

struct SignatureStatus {
    bool valid = false;   // the signature over the manifest verifies with the signer's key
    bool trusted = false; // and the signer's chain verifies against the trust store
    std::string subject;  // of the signer, RFC 2253
    std::string issuer;
    std::string not_after; // ISO 8601, UTC
    // Why not valid or not trusted: "self-signed", "unknown CA", "expired",
    // "not yet valid", or OpenSSL's words; empty when valid and trusted.
    std::string reason;
};

// Verifies `cert` against the manifest bytes it signs. `manifest_name` is
// the manifest the package has: the certificate must name it.
SignatureStatus verify_signature(const CertificateFile& cert, std::span<const std::byte> manifest,
                                 std::string_view manifest_name, const TrustOptions& trust = {});

// The .cert text signing `manifest` (named `manifest_name`) with the private
// key in `key_pem_file` and the certificate chain in `cert_pem_file` (the
// signer first). Errc::usage when the files do not read or the key is not
// the certificate's.
Result<std::string> sign_manifest(std::span<const std::byte> manifest,
                                  std::string_view manifest_name, const std::string& key_pem_file,
                                  const std::string& cert_pem_file,
                                  DigestAlgorithm algorithm = DigestAlgorithm::sha256);

} // namespace ovfkit::package
