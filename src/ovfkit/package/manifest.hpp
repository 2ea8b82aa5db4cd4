// OVF manifests (.mf): one digest per package file (DSP0243; shared
// formats/ovf-ova.md 7.1, SECURITY.md R20).
//
//   SHA256(vm.ovf)= 3f1c...                     written, as ovftool writes it
//   SHA1 (vm-disk1.vmdk) = 9a2b...              read (VirtualBox, sha1sum --tag), a warning
//
// The reader has one strict grammar: the algorithm, "(", the name up to the
// last ")" that is followed by "=", the hex digest of exactly the
// algorithm's length (either case). It refuses MD5, unknown algorithms,
// duplicate names, names that are not single safe components, NUL bytes,
// lines over 4 KiB and manifests over 1 MiB. CRLF line ends are accepted.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::package {

// The algorithms and their names are io's (io/sink.hpp), shared with the
// DigestSink that computes them.
using io::DigestAlgorithm;

struct ManifestEntry {
    DigestAlgorithm algorithm = DigestAlgorithm::sha256;
    std::string name;   // the package file, a single component
    std::string digest; // lower-case hex
    uint32_t line = 0;  // 1-based, in the manifest read
};

struct Manifest {
    std::vector<ManifestEntry> entries; // in file order

    const ManifestEntry* find(std::string_view name) const;
};

inline constexpr size_t k_max_manifest_bytes = size_t{1} << 20;

// Parses `bytes` (the manifest file called `name`). Fails with
// Errc::refused, naming the line, for anything the grammar refuses; the
// spaced form some producers write is accepted with an MF-SPACED warning in
// `diag` (once per manifest).
Result<Manifest> parse_manifest(std::span<const std::byte> bytes, std::string_view name,
                                Diagnostics& diag);

// The manifest text for `entries`, in their order, exactly as ovftool writes
// it: "SHA256(name)= <lower-case hex>\n" per file. vSphere rejects other
// spellings.
std::string write_manifest(const std::vector<ManifestEntry>& entries);

// How a package's files compare with its manifest.
struct FileDigest {
    std::string name;
    std::string digest; // lower-case hex, computed with the manifest's algorithm
};

struct ManifestFileCheck {
    std::string name;
    DigestAlgorithm algorithm = DigestAlgorithm::sha256;
    bool listed = false;  // the manifest has a line for it
    bool present = false; // the package has the file
    bool ok = false;      // listed, present and the digests are equal
};

// Checks `computed` (every file the manifest must cover: the descriptor and
// each referenced file or chunk, with its digest) against `manifest`. A file
// not listed, a listed file not in `computed`, and a digest mismatch are
// each an error finding on `manifest_name` naming the file (MF-UNLISTED,
// MF-MISSING, MF-MISMATCH); the result lists every file.
std::vector<ManifestFileCheck> check_manifest(const Manifest& manifest,
                                              std::string_view manifest_name,
                                              const std::vector<FileDigest>& computed,
                                              Diagnostics& diag);

} // namespace ovfkit::package
