// Reading an XVA in place (formats/kvm-xen-hyperv.md 5.1, 6.1, 6.4): its
// first member, ova.xml, and an index of its disks' chunks built in one
// pass over the tar headers; the disks are then read by offset, each chunk
// verified against its `.checksum` (SHA-1) or `.xxhash` (XXH64) member as it
// is read. Nothing is extracted and no chunk is held in memory beyond the
// one being read: the index keeps ~40 bytes per chunk (a chunk stands for
// at least 1 MiB of archive), so it is bounded by the archive's size.
//
// The walker is XVA-specific rather than package::TarIndex because an XVA's
// member names ("Ref:12/00000003.checksum") have the ':' and '/' that an
// OVA's single-component names refuse; it keeps the same rules (header
// checksums, octal sizes with overflow checks, data within the file,
// regular files only) and refuses everything else an XVA does not hold.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/xenserver/block_sum.hpp>

namespace ovfkit::disk {
class DiskReader;
}

namespace ovfkit::platform::xenserver {

inline constexpr uint64_t k_max_ova_xml = uint64_t{16} << 20;

// One data member of a VDI: where its bytes go in the guest disk and where
// they and their checksum are in the archive.
struct XvaChunk {
    uint64_t guest_offset = 0;
    uint64_t data_at = 0; // archive offset of the data
    uint64_t sum_at = 0;  // archive offset of the checksum member's text
    uint32_t length = 0;
    uint32_t index = 0;          // the 8-digit member number
    std::optional<BlockSum> sum; // none: a chunk read without its checksum
};

struct XvaVdi {
    std::string ref; // "Ref:N", the member directory
    uint64_t virtual_size = 0;
    std::vector<XvaChunk> chunks; // ascending guest offsets, not overlapping
};

struct XvaIndex {
    std::string path; // the archive, for messages and to reopen it
    std::map<std::string, XvaVdi> vdis;
};

// The text of ova.xml, the archive's first member (at most k_max_ova_xml
// bytes: Errc::refused past it). Errc::invalid when `file` is not a plain
// tar beginning with ova.xml (a gzip- or zstd-compressed XVA included: it
// cannot be read in place).
Result<std::string> read_ova_xml(io::File& file);

// Walks every header after ova.xml and indexes the chunks of the VDIs
// `declared` (ref -> virtual size). Errc::refused for a member name that
// escapes ('..', absolute), is not an XVA's, names an undeclared VDI, a
// duplicate or decreasing chunk, a chunk past its disk's virtual size or
// longer than 1 MiB, a checksum member without its chunk or of the wrong
// length, a chunk without checksum when `checksums_required`, links,
// devices and extended headers; Errc::invalid when the archive ends early
// (a header or a member's data past the end, no end-of-archive blocks) or
// a header is damaged.
Result<XvaIndex> index_xva(io::File& file, const std::string& path,
                           const std::map<std::string, uint64_t>& declared,
                           bool checksums_required);

// A reader of one VDI (random access by offset, concurrent reads allowed):
// chunks are read from `file` (pread) and verified as they are read; what
// no chunk covers reads as zeros. A mismatch is Errc::refused naming the
// chunk.
std::unique_ptr<disk::DiskReader> xva_disk_reader(std::shared_ptr<io::File> file,
                                                  std::shared_ptr<const XvaIndex> index,
                                                  const std::string& ref);

} // namespace ovfkit::platform::xenserver
