// An OVF package as the user names it: a descriptor file, a directory that
// holds one, or an OVA (tar); each local, or read from a pipe ("-" is
// stdin), or at an http:// or https:// URL (package/remote.hpp).
//
// Source::open() decides the kind from the content (a ustar header means an
// OVA, never the file name), reads the descriptor once into memory within
// the size limit (SECURITY.md R11, R12) and tells which package files exist
// and how large they are, without reading them. A descriptor at a URL finds
// its files beside it (relative URLs); a descriptor on a pipe has none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/package/remote.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace ovfkit::disk {
struct Image;
}

namespace ovfkit::package {

// `assembled`: a package that exists only in memory, its descriptor made by
// ovfkit and its files read through an AssembledFiles (an imported VM,
// ops/import.hpp).
enum class SourceKind { descriptor, directory, ova, assembled };

constexpr const char* source_kind_name(SourceKind kind) {
    switch (kind) {
    case SourceKind::descriptor:
        return "ovf";
    case SourceKind::directory:
        return "directory";
    case SourceKind::ova:
        return "ova";
    case SourceKind::assembled:
        return "import";
    }
    return "unknown";
}

// Where the package's bytes come from.
enum class SourceOrigin { local, pipe, url };

constexpr const char* source_origin_name(SourceOrigin origin) {
    switch (origin) {
    case SourceOrigin::local:
        return "file";
    case SourceOrigin::pipe:
        return "pipe";
    case SourceOrigin::url:
        return "url";
    }
    return "unknown";
}

struct SourceLimits {
    uint64_t max_descriptor = uint64_t{16} << 20; // R12
    TarLimits tar;
    RemoteOptions remote{}; // URLs and pipes: TLS, redirects, timeouts, spool bound, cancellation
};

// The files of an assembled package, by the names its References give them
// (single safe components; Source checks them before asking).
class AssembledFiles {
public:
    virtual ~AssembledFiles() = default;
    virtual Result<std::optional<uint64_t>> file_size(std::string_view name) const = 0;
    virtual Result<std::unique_ptr<io::File>> open_file(std::string_view name) const = 0;
    // The image the file `name` stands for when it is read through its
    // image rather than as bytes (a VMDK descriptor with extents, a snapshot
    // and its parents, a member of an archive): such a disk is always
    // converted, never copied. Null when the file reads alone.
    virtual Result<std::unique_ptr<disk::Image>> open_image(std::string_view name) const = 0;
    // Every file's name.
    virtual std::vector<std::string> names() const = 0;
};

class Source {
public:
    // Opens `path`: a local path, "-" (stdin) or an http(s) URL. Fails with Errc::io when it cannot
    // be read, Errc::refused when the archive or the descriptor breaks a hardening rule (too large,
    // unsafe member names, links ...), Errc::invalid when it is not a package
    // (no descriptor, several descriptors in an OVA, compressed input), and
    // Errc::usage when a directory holds several descriptors. Tolerated
    // deviations (OVA member order, tar trailer) go to `notes`.
    static Result<Source> open(const std::string& path, const SourceLimits& limits = {},
                               Diagnostics* notes = nullptr);

    // A package whose descriptor is `descriptor` (named `descriptor_name` in
    // findings) and whose files are `files`; `path` names it (the config the
    // user gave).
    static Source assembled(std::string path, std::string descriptor_name,
                            std::vector<std::byte> descriptor,
                            std::shared_ptr<const AssembledFiles> files);

    Source(Source&&) noexcept;
    Source& operator=(Source&&) noexcept;
    ~Source();

    SourceKind kind() const { return m_kind; }
    // The path as given by the user.
    const std::string& path() const { return m_path; }
    // The descriptor's file or member name ("vm.ovf"), used in findings.
    const std::string& descriptor_name() const { return m_descriptor_name; }
    // The descriptor's bytes exactly as read (parse and hash these).
    const std::vector<std::byte>& descriptor() const { return m_descriptor; }

    // The size of the package file `name` (an ovf:href), or nullopt when the
    // package holds no such file. Fails with Errc::refused when `name` is not
    // a single safe component or names a link, device or directory.
    Result<std::optional<uint64_t>> file_size(std::string_view name) const;

    // Opens the package file `name` for reading (an OVA member is a window
    // onto the archive). Same refusals as file_size(); Errc::io when absent.
    Result<std::unique_ptr<io::File>> open_file(std::string_view name) const;

    // The files of an assembled package; nullptr for the other kinds.
    const AssembledFiles* assembled_files() const { return m_files.get(); }

    // The tar index of an OVA; nullptr for the other kinds.
    const TarIndex* tar() const { return m_tar.get(); }

    SourceOrigin origin() const { return m_origin; }
    // True when the package was read once into a temporary spool (a pipe, a
    // server that does not answer range requests) rather than read in place.
    bool spooled() const { return m_spooled; }

    // Links to the package file `name` in a directory package (st_nlink);
    // nullopt for OVAs, remote files and absent names. A referenced file with
    // more than one is another file's content too (SECURITY.md R5).
    std::optional<uint64_t> link_count(std::string_view name) const;

private:
    Source() = default;
    Result<void> read_single_file(std::shared_ptr<io::File> file, const SourceLimits& limits,
                                  Diagnostics* notes);

    SourceKind m_kind = SourceKind::descriptor;
    SourceOrigin m_origin = SourceOrigin::local;
    bool m_spooled = false;
    RemoteOptions m_remote; // url: how siblings are fetched
    std::string m_path;
    std::string m_descriptor_name;
    std::vector<std::byte> m_descriptor;
    std::unique_ptr<io::Directory> m_dir;          // local descriptor, directory
    std::shared_ptr<io::File> m_archive;           // ova
    std::unique_ptr<TarIndex> m_tar;               // ova
    std::shared_ptr<const AssembledFiles> m_files; // assembled
};

} // namespace ovfkit::package
