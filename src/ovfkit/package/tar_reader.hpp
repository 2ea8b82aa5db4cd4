// The one tar parser of ovfkit (SECURITY.md R7): walks an archive's headers
// front to back, one entry at a time, and hands each regular file (and each
// empty directory entry) to its caller with where its data lies. Framing is
// decided here only — POSIX.1-1988 ustar, POSIX.1-2001 pax and GNU long
// names, octal and base-256 sizes, header checksums, every size checked
// against the file, the end-of-archive marker — so that every reader of a
// tar (the OVA index, the XVA importer) agrees on where a member starts and
// ends. What names are allowed is the caller's policy (tar_index.cpp for
// OVAs: one safe component; the XVA importer: `Ref:N/NNNNNNNN`).
//
// Never reads member data, only headers and PAX/GNU records (bounded by
// TarLimits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::package {

inline constexpr uint64_t k_tar_block = 512;

struct TarLimits {
    uint32_t max_members = 10'000;          // entries of any kind (R7)
    uint32_t max_name_record = 64 * 1024;   // one PAX path or GNU long-name record
    uint32_t max_member_metadata = 1 << 20; // all PAX/GNU records before one member
};

class TarReader {
public:
    struct Entry {
        // As the archive gives it: the PAX path, else the GNU long name, else
        // the header's (POSIX prefix "/" name). Not checked: the caller's policy.
        std::string name;
        bool directory = false;     // an empty directory entry; otherwise a regular file
        uint64_t header_offset = 0; // first header block (PAX/GNU records included)
        uint64_t data_offset = 0;   // first byte of the data
        uint64_t size = 0;          // bytes of data
    };

    // Over `file` from its first byte. Errc::io when its size cannot be read.
    static Result<TarReader> open(io::File& file, const TarLimits& limits = {},
                                  Diagnostics* notes = nullptr);

    // The next regular file or empty directory entry; nullopt at the end of
    // the archive. Errc::refused for what R6/R7 forbid (links, devices,
    // FIFOs, sparse and multi-volume entries, unbounded or malformed PAX/GNU
    // records, a bad header checksum, more entries than the limit);
    // Errc::invalid when the archive is damaged or ends early (a header or
    // member data past the end of the file, no ustar magic). Bytes after
    // the end-of-archive marker and a marker of one zero block are warnings
    // in `notes`; a file that ends without any marker ends the walk too,
    // and ended_with_marker() says so (the caller decides: an OVA warns, an
    // XVA is refused).
    Result<std::optional<Entry>> next();

    bool ended_with_marker() const { return m_marker; }
    // Where the next header would be read (after the last entry returned).
    uint64_t offset() const { return m_offset; }

private:
    TarReader(io::File& file, uint64_t size, const TarLimits& limits, Diagnostics* notes)
        : m_file(&file), m_size(size), m_limits(limits), m_notes(notes) {}

    void warn(std::string message) const;

    io::File* m_file;
    uint64_t m_size;
    TarLimits m_limits;
    Diagnostics* m_notes;
    uint64_t m_offset = 0;
    uint32_t m_entries = 0;
    bool m_done = false;
    bool m_marker = false;
};

// True when `block` (at least 512 bytes) is a ustar/GNU tar header with a
// correct checksum: how a tar is recognised, never by its file name.
bool is_tar_header(std::span<const std::byte> block);

} // namespace ovfkit::package
