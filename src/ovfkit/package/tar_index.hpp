// The one tar parser of ovfkit: builds an index of an OVA's members.
//
// Every command that reads an OVA (info, validate, verify, convert, unpack)
// goes through this index, so they all agree on where a member starts and
// ends (SECURITY.md R7). The index is built once from the headers; member
// data is never read here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// One regular file of the archive.
struct TarMember {
    std::string name;       // single safe component, "./" prefix removed
    uint64_t header_offset; // first header block of the entry (PAX/GNU records included)
    uint64_t data_offset;   // first byte of the member's data
    uint64_t size;          // bytes of data
};

class TarIndex {
public:
    // Reads every header of `file` and indexes its regular files. Fails with
    // Errc::refused for anything R6/R7 forbid (links, devices, unsafe or
    // duplicate names, names that collide after case folding or Unicode NFC
    // normalisation, bad checksums, sizes beyond the file, too many entries)
    // and with Errc::invalid when the file is not a ustar archive. Harmless
    // deviations (no end-of-archive blocks, bytes after them) are added to
    // `notes` as warnings when given.
    static Result<TarIndex> build(io::File& file, const TarLimits& limits = {},
                                  Diagnostics* notes = nullptr);

    // Members in archive order.
    const std::vector<TarMember>& members() const { return m_members; }
    // The member with exactly this name, or nullptr.
    const TarMember* find(std::string_view name) const;

private:
    std::vector<TarMember> m_members;
};

// True when `block` (at least 512 bytes) is a ustar/GNU tar header with a
// correct checksum: how an OVA is recognised, never by its file name.
bool is_tar_header(std::span<const std::byte> block);

} // namespace ovfkit::package
