// A GNU tar archive of one sparse member, streamed: what Compute Engine
// image import takes (`disk.raw` in a `.tar.gz`, GNU tar --format=oldgnu,
// formats/clouds.md 4.2), written without GNU tar.
//
// An oldgnu sparse member (type 'S') lists the file's data segments in its
// header before any data: four (offset, length) pairs in the header, 21 in
// each extension block that follows (isextended), the real size at byte
// 483; then the segments' bytes, back to back, padded to 512. Holes are not
// stored. A map that ends in a hole ends with (real size, 0), which GNU tar
// extracts by truncating the file to its size. Numbers that do not fit 11
// octal digits (8 GiB and more) are base-256, as GNU tar writes them.
//
// Since the map precedes the data, the disk is read twice: once to find the
// segments (the reader's allocation map, and the data extents read and
// tested for zeros), once to write them. The first pass costs one extra
// read of the allocated bytes; the map holds 16 bytes per data segment, and
// holes shorter than k_min_hole count as data, so it has at most one
// segment per 128 KiB of disk (64 Ki segments, 1 MiB, for 8 GiB).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::platform::cloud {

inline constexpr uint64_t k_tar_block = 512;
// Holes are found per 64 KiB (aligned): shorter zero runs stay data.
inline constexpr uint64_t k_min_hole = uint64_t{64} << 10;

struct SparseSegment {
    uint64_t offset = 0;
    uint64_t length = 0;
    bool operator==(const SparseSegment&) const = default;
};

// The data segments of a file of `real_size` bytes, ascending and disjoint;
// a trailing (real_size, 0) when the file ends in a hole.
struct SparseMap {
    uint64_t real_size = 0;
    std::vector<SparseSegment> segments;
    uint64_t data_bytes() const; // what the member stores
};

// The header blocks of the member: the oldgnu header ("ustar  \0" magic,
// type 'S') and its extension blocks; a multiple of 512 bytes. Errc::usage
// for a name longer than 100 bytes.
Result<std::vector<std::byte>> sparse_member_header(std::string_view name, const SparseMap& map,
                                                    uint64_t mtime);

// The map of `reader`'s disk as a file of `real_size` bytes (at least its
// virtual size; the bytes past it are a hole). `cancel` is polled.
Result<SparseMap> scan_sparse_map(disk::DiskReader& reader, uint64_t real_size,
                                  const std::atomic<bool>* cancel = nullptr);

struct SparseTarOptions {
    std::string member = "disk.raw";
    uint64_t mtime = 0;
    const std::atomic<bool>* cancel = nullptr;
    // Called with the data bytes written and the total.
    std::function<void(uint64_t done, uint64_t total)> progress;
};

// Writes the whole archive to `out`: the member's header blocks, its
// segments read from `reader`, the padding, two zero blocks, and zeros to a
// whole 10 KiB record (GNU tar's blocking). Does not finish `out`.
Result<void> write_sparse_tar(disk::DiskReader& reader, const SparseMap& map, io::Sink& out,
                              const SparseTarOptions& options = {});

} // namespace ovfkit::platform::cloud
