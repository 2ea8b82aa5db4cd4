// `ovfkit convert SOURCE TARGET`: a package written in another form.
//
// Any package ovfkit reads (a descriptor with its files, a directory, an
// OVA) becomes an OVA or an OVF directory, in one pass over its files:
//
//   - members in DSP0243's order: descriptor, manifest, certificate, then the
//     referenced files in References order (each chunk of a chunked file);
//     members the descriptor does not reference are not carried (a
//     PKG-UNREFERENCED warning names each);
//   - with `disk_format`, every disk of another format is converted on the
//     way, straight into its tar member or file (no temporary copy), and its
//     Disk (ovf:format, capacity, populatedSize) and File (href, ovf:size)
//     are rewritten;
//   - a manifest digests every member as it is written; the source's
//     manifest, when there is one, is checked against the bytes read, and a
//     mismatch (exit 4) leaves no output. When nothing changes, the
//     descriptor, manifest and certificate are carried byte for byte, so
//     the signature still holds and OVA -> directory -> OVA is identical.
//
// Outputs appear whole or not at all (io::OutputSet); member times are the
// source's (or `mtime`), and the outputs get that time too, so packing an
// unpacked OVA again gives the same bytes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/io/sink.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/remote.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::ops {

enum class PackageForm { ova, directory };

struct ConvertedFile;

// A file an export adds to a directory target besides the package's files
// (a config, a script, the environment ISO), whole.
struct ExtraFile {
    std::string name; // in the target directory, no '/'
    std::string content;
    bool executable = false;
};

// How an export (ops/export.cpp) shapes what `convert` writes; empty for
// `ovfkit convert` itself.
struct PackageShape {
    // Written instead of the source's descriptor. Its References name the
    // source's files by their source hrefs (only those are carried); the
    // disks are converted, renamed and resized as usual.
    std::shared_ptr<const ovf::Envelope> envelope;
    // The target name of the file with this References id.
    std::map<std::string, std::string> file_names;
    // A directory holding only the files (and `extra`): no descriptor,
    // manifest or certificate.
    bool files_only = false;
    // Blank disks to create in a files_only directory (an OVF Disk that no
    // file backs): name, the disk driver, the virtual size.
    struct BlankDisk {
        std::string name;
        std::string format;
        uint64_t virtual_size = 0;
    };
    std::vector<BlankDisk> blank_disks;
    // Called once the files are written (with what was written), for the
    // files that name them; written in the same set, so all or nothing.
    std::function<Result<std::vector<ExtraFile>>(const std::vector<ConvertedFile>&)> extra;
};

struct ConvertOptions {
    std::string source;
    // An OVA path, a directory, or NAME.ovf (a directory package whose
    // descriptor is renamed NAME.ovf, with NAME.mf and NAME.cert).
    std::string target;
    // nullopt: from `target` (".ova" means an OVA, anything else a directory).
    std::optional<PackageForm> form;
    // A writable disk driver ("vmdk-stream", "qcow2" ...) every disk is
    // converted to; empty keeps each disk as it is.
    std::string disk_format;
    // The manifest's algorithm; nullopt: the source manifest's, else SHA-256.
    std::optional<io::DigestAlgorithm> manifest;
    bool no_manifest = false;
    // Sign the new manifest (RSA or EC key, PEM certificate chain).
    std::string sign_key;
    std::string sign_cert;
    io::DigestAlgorithm sign_digest = io::DigestAlgorithm::sha256;
    // gzip level (1..9) for every file the package stores plainly or
    // converts (ovf:compression="gzip"); 0: no compression.
    int compress = 0;
    // Split every such file into members of this many bytes
    // (ovf:chunkSize, href.000000000 ...); 0: whole files.
    uint64_t chunk_size = 0;
    // Rewrite the descriptor for this OVF version (1.x <-> 2.x).
    std::optional<ovf::OvfVersion> ovf_version;
    bool force = false;            // replace existing outputs
    std::optional<uint64_t> mtime; // member and output times; nullopt: the source's
    unsigned threads = 0;          // disk conversion workers; 0: all cores
    package::RemoteOptions remote; // a source at an http(s) URL: TLS, timeouts
    // A source an importer reads (a .vmx ...): --allow-absolute-paths, --keep-macs.
    platform::ImportOptions import;
    PackageShape shape;
};

struct ConvertedFile {
    std::string name;        // in the target (a chunk's member name for a chunked file)
    std::string source_name; // in the source
    uint64_t size = 0;       // bytes as stored in the target
    bool compressed = false; // stored gzip-compressed (ovf:compression)
    bool converted = false;  // re-encoded (else copied byte for byte)
    std::string source_format;
    std::string format;         // the driver written, for converted disks
    uint64_t virtual_size = 0;  // of converted disks
    uint64_t data_bytes = 0;    // guest bytes of data a converted disk holds (populatedSize)
    std::string digest;         // in the target manifest's algorithm; empty: no manifest
    bool digest_reread = false; // the writer patched tables, so the digest took a second read
};

struct ConvertReport {
    std::string source;
    std::string source_kind; // "ovf", "directory", "ova"
    std::string target;
    PackageForm form = PackageForm::ova;
    std::string descriptor; // its name in the target
    bool descriptor_rewritten = false;
    std::optional<std::string> manifest;
    io::DigestAlgorithm manifest_algorithm = io::DigestAlgorithm::sha256;
    bool manifest_kept = false; // the source's manifest, byte for byte
    std::optional<std::string> certificate;
    std::string certificate_action; // "kept", "signed", "dropped" or empty
    std::vector<ConvertedFile> files;
    std::vector<std::string> extra_files; // a shape's extra files, by name
    uint64_t bytes_written = 0;           // the OVA's size, or the files' total
    std::vector<Finding> findings;
};

// Progress phase "writing": bytes of copied files plus guest bytes of
// converted disks. Errc::usage for option conflicts, Errc::invalid for a
// package that cannot be carried (a referenced file missing, a descriptor
// that does not read), Errc::refused for a source whose files do not match
// its manifest or an existing target without `force`.
Result<ConvertReport> convert_package(const ConvertOptions& options,
                                      const JobControl& control = {});

// The same, from a package already open (`options.source` only names it);
// the findings of opening it are in `diag`.
Result<ConvertReport> convert_opened(const ConvertOptions& options, const package::Source& src,
                                     Diagnostics& diag, const JobControl& control = {});

nlohmann::json to_json(const ConvertReport& report);

} // namespace ovfkit::ops
