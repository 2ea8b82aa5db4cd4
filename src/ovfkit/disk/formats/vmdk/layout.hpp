// On-disk structures of VMware hosted sparse extents and streamOptimized files.
//
// Source: VMware "Virtual Disk Format 5.0" technical note, sections "Hosted
// Sparse Extent Header", "Grain Directories and Grain Tables" and
// "Stream-Optimized Compressed Sparse Extents" (see docs/disk-formats/vmdk.md).
// All fields are little-endian and the header is packed: `capacity` sits at
// byte 12, which is why the fields are endian-typed byte arrays. Every size
// and offset in these structures counts 512-byte sectors.
#pragma once

#include <cstddef>
#include <cstdint>

#include <ovfkit/base/endian.hpp>

namespace ovfkit::disk::formats::vmdk {

inline constexpr uint64_t k_sector = 512;
inline constexpr uint32_t k_magic = 0x564D444B;       // "KDMV" as bytes 4B 44 4D 56
inline constexpr uint64_t k_gd_at_end = ~uint64_t{0}; // stream header: GD is in the footer
inline constexpr uint32_t k_gtes_per_gt = 512;        // the only value VMware writes
inline constexpr uint64_t k_gt_bytes = k_gtes_per_gt * 4;

// SparseExtentHeader.flags
inline constexpr uint32_t k_flag_newline_check = 1u << 0; // bytes 73..76 are valid
inline constexpr uint32_t k_flag_redundant_gd = 1u << 1;  // rgdOffset is meaningful
inline constexpr uint32_t k_flag_zeroed_gte = 1u << 2;    // GTE 1 = zeroed grain
inline constexpr uint32_t k_flag_compressed = 1u << 16;   // grains are deflated
inline constexpr uint32_t k_flag_markers = 1u << 17;      // grains and metadata carry markers
inline constexpr uint32_t k_incompatible_mask = 0xffff0000u;
inline constexpr uint32_t k_known_incompatible = k_flag_compressed | k_flag_markers;

inline constexpr uint16_t k_compress_none = 0;
inline constexpr uint16_t k_compress_deflate = 1;

// Sector 0 of a hosted sparse extent, and the footer of a stream file.
struct SparseHeader {
    le32 magic;                    // k_magic
    le32 version;                  // 1, 2 (zeroed-grain GTEs) or 3 (stream, change tracking)
    le32 flags;                    // k_flag_*
    le64 capacity;                 // extent size in sectors
    le64 grain_size;               // sectors per grain, a power of two (VMware: 128)
    le64 descriptor_offset;        // sector of the embedded descriptor, 0 = none
    le64 descriptor_size;          // sectors reserved for it (VMware: 20)
    le32 num_gtes_per_gt;          // entries per grain table (always 512)
    le64 rgd_offset;               // redundant grain directory (with k_flag_redundant_gd)
    le64 gd_offset;                // grain directory, or k_gd_at_end
    le64 overhead;                 // sectors of metadata before the first grain
    uint8_t unclean_shutdown;      // non-zero while a writer has the file open
    uint8_t single_end_line_char;  // '\n'
    uint8_t non_end_line_char;     // ' '
    uint8_t double_end_line_char1; // '\r'
    uint8_t double_end_line_char2; // '\n'
    le16 compress_algorithm;       // k_compress_*
    uint8_t pad[433];
};
static_assert(sizeof(SparseHeader) == 512);
static_assert(offsetof(SparseHeader, capacity) == 12);
static_assert(offsetof(SparseHeader, num_gtes_per_gt) == 44);
static_assert(offsetof(SparseHeader, unclean_shutdown) == 72);
static_assert(offsetof(SparseHeader, compress_algorithm) == 77);

// The 12 bytes before each compressed grain of a stream file (tech note
// "Grain Marker"); followed by `size` bytes of zlib data, padded to a sector.
struct GrainMarker {
    le64 lba;  // first virtual sector of the grain
    le32 size; // compressed bytes that follow; 0 means a metadata marker
};
static_assert(sizeof(GrainMarker) == 12);

enum class MarkerType : uint32_t {
    eos = 0,      // end of stream (a sector of zeros)
    gt = 1,       // a grain table follows
    gd = 2,       // the grain directory follows
    footer = 3,   // a copy of the header with the real gd_offset follows
    progress = 4, // undocumented, seen in vSphere output; skipped
};

// A metadata marker: one sector, the metadata (if any) starts at the next.
struct MetadataMarker {
    le64 num_sectors; // sectors of metadata that follow
    le32 size;        // always 0
    le32 type;        // MarkerType
    uint8_t pad[496];
};
static_assert(sizeof(MetadataMarker) == 512);

} // namespace ovfkit::disk::formats::vmdk
