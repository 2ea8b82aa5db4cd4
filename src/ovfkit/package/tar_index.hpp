// The index of an OVA's members, over the one tar walker (tar_reader.hpp).
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
#include <ovfkit/package/tar_reader.hpp>

namespace ovfkit::package {

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
    // normalisation, bad checksums, too many entries) and with Errc::invalid
    // when the file is not a ustar archive or ends early (a header or a
    // member's data past its end: TarReader::next). Harmless
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

} // namespace ovfkit::package
