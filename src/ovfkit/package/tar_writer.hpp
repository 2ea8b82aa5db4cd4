// Tar headers for OVA packages: ustar, with a pax extended header only where
// a name or a size needs one (a name over 100 bytes or not ASCII, a size of
// 8 GiB or more), as ovftool and GNU tar read them (shared
// formats/ovf-ova.md 6).
//
// Headers are made as bytes for the OVA writer to put in front of each
// member's data; tar_padding() and tar_end() give what follows. A header
// made with an unknown size is size-patchable: patch_tar_size() writes the
// real size (and checksums) into it in place once the data is written, so a
// disk converted on the way needs no second pass and no temporary copy. Its
// size always travels in a fixed-width pax record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>

namespace ovfkit::package {

struct TarEntry {
    std::string name;   // a single safe component (checked), or see `generated`
    uint64_t size = 0;  // bytes of data
    uint64_t mtime = 0; // seconds since the epoch; fixed by the caller for reproducible packages
    uint32_t mode = 0644;
    bool patchable = false; // the size will be patched in once known
    // The name is made by the writer from fixed parts, never from input
    // data (an XVA's "Ref:12/00000042.checksum"): it may hold '/' and ':'.
    // Still checked: printable ASCII, at most 100 bytes, no empty, "." or
    // ".." component, not absolute.
    bool generated = false;
};

// The header blocks of `entry` (a multiple of 512 bytes). Errc::refused for
// a name that is not a single safe component.
Result<std::vector<std::byte>> tar_header(const TarEntry& entry);

// Writes `size` into a header made with `patchable` (the pax record, the
// ustar size field and both checksums).
Result<void> patch_tar_size(std::span<std::byte> header, uint64_t size);

// Zero bytes from the end of `size` bytes of data to the next 512-byte block.
size_t tar_padding(uint64_t size);

// The end-of-archive marker: two zero blocks.
inline constexpr size_t k_tar_end_bytes = 1024;

} // namespace ovfkit::package
