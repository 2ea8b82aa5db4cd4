// On-disk structures of Microsoft VHD (Virtual Hard Disk Image Format
// Specification v1.0, October 2006). Every multi-byte field is big-endian.
//
//   fixed:        [guest data: current_size bytes][footer 512]
//   dynamic/diff: [footer copy 512][dynamic header 1024][BAT][blocks...][footer 512]
//   block:        [sector bitmap, padded to 512][block_size bytes of data]
//
// The checksum of the footer and of the dynamic header is the one's
// complement of the byte sum of the structure with the checksum field zeroed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <ovfkit/base/endian.hpp>

namespace ovfkit::disk::formats::vhd {

inline constexpr uint64_t k_sector = 512;
inline constexpr uint64_t k_footer_size = 512;
inline constexpr uint64_t k_header_size = 1024;
inline constexpr uint32_t k_unallocated = 0xFFFFFFFF; // BAT entry of an unallocated block
inline constexpr uint32_t k_version = 0x00010000;     // footer and header format version
inline constexpr uint32_t k_features_reserved = 0x2;  // "reserved, must be 1" bit
inline constexpr uint64_t k_no_data_offset = ~uint64_t{0};
// Seconds from the Unix epoch to the VHD epoch, 2000-01-01 00:00:00 UTC.
inline constexpr uint64_t k_epoch_offset = 946684800;
// The largest geometry; writers put it when current_size is not a CHS product
// so that every CHS-trusting reader falls back to current_size.
inline constexpr uint16_t k_max_cylinders = 65535;
inline constexpr uint8_t k_max_heads = 16;
inline constexpr uint8_t k_max_spt = 255;
// 0xFF000000 sectors (2040 GiB): qemu's VHD_MAX_SECTORS and Hyper-V's limit.
inline constexpr uint64_t k_max_write_size = uint64_t{0xFF000000} * k_sector;

enum DiskType : uint32_t { k_type_fixed = 2, k_type_dynamic = 3, k_type_differencing = 4 };

// Hard disk footer ("Hard Disk Footer Format").
struct Footer {
    char cookie[8];           // "conectix"
    be32 features;            // bit 1 reserved, always set; bit 0 "temporary"
    be32 file_format_version; // 0x00010000
    be64 data_offset;         // dynamic header offset; all ones for fixed disks
    be32 timestamp;           // seconds since 2000-01-01 UTC
    char creator_app[4];      // "vpc ", "qemu", "win ", ... (vhd-vhdx.md §1)
    be32 creator_version;     // major << 16 | minor
    be32 creator_host_os;     // "Wi2k" or "Mac "
    be64 original_size;       // size at creation, informational
    be64 current_size;        // guest-visible size (see the size rule in reader.cpp)
    be16 cylinders;           // CHS geometry
    unsigned char heads;
    unsigned char sectors_per_track;
    be32 disk_type; // DiskType
    be32 checksum;  // one's complement byte sum
    unsigned char unique_id[16];
    unsigned char saved_state; // 1: belongs to a suspended VM
    unsigned char reserved[427];
};
static_assert(sizeof(Footer) == k_footer_size);

// Parent locator entry of the dynamic header (24 bytes).
struct ParentLocator {
    be32 platform_code;        // "W2ru", "W2ku", "MacX", ...; 0 = unused
    be32 platform_data_space;  // bytes or sectors depending on the writer: ignored
    be32 platform_data_length; // bytes of locator data
    be32 reserved;
    be64 platform_data_offset; // absolute file offset of the locator data
};
static_assert(sizeof(ParentLocator) == 24);

// Dynamic disk header ("Dynamic Disk Header Format").
struct DynamicHeader {
    char cookie[8];         // "cxsparse"
    be64 data_offset;       // unused, all ones
    be64 table_offset;      // absolute offset of the BAT
    be32 header_version;    // 0x00010000
    be32 max_table_entries; // BAT entries
    be32 block_size;        // data bytes per block, a power of two
    be32 checksum;          // one's complement byte sum of the 1024 bytes
    unsigned char parent_unique_id[16];
    be32 parent_timestamp; // parent's modification time, VHD epoch
    be32 reserved1;
    unsigned char parent_unicode_name[512]; // UTF-16BE, NUL-padded
    ParentLocator parent_locators[8];
    unsigned char reserved2[256];
};
static_assert(sizeof(DynamicHeader) == k_header_size);

inline constexpr uint32_t fourcc(const char (&s)[5]) {
    return uint32_t(uint8_t(s[0])) << 24 | uint32_t(uint8_t(s[1])) << 16 |
           uint32_t(uint8_t(s[2])) << 8 | uint32_t(uint8_t(s[3]));
}
inline constexpr uint32_t k_locator_w2ru = fourcc("W2ru"); // relative path, UTF-16LE
inline constexpr uint32_t k_locator_w2ku = fourcc("W2ku"); // absolute path, UTF-16LE
inline constexpr uint32_t k_locator_macx = fourcc("MacX"); // file URL, UTF-8

// The VHD checksum of `bytes` with the 4-byte field at `checksum_at` counted
// as zero.
inline uint32_t checksum(std::span<const std::byte> bytes, size_t checksum_at) {
    uint32_t sum = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i < checksum_at || i >= checksum_at + 4) {
            sum += static_cast<uint8_t>(bytes[i]);
        }
    }
    return ~sum;
}
inline constexpr size_t k_footer_checksum_at = 64;
inline constexpr size_t k_header_checksum_at = 36;

struct Geometry {
    uint16_t cylinders = 0;
    uint8_t heads = 0;
    uint8_t sectors_per_track = 0;
    uint64_t bytes() const { return uint64_t{cylinders} * heads * sectors_per_track * k_sector; }
    bool is_max() const {
        return cylinders == k_max_cylinders && heads == k_max_heads &&
               sectors_per_track == k_max_spt;
    }
};

// The CHS geometry of the VHD specification's appendix for a disk of
// `total_sectors`; its product is usually a little smaller than the disk.
inline Geometry chs_geometry(uint64_t total_sectors) {
    uint64_t ts = total_sectors;
    const uint64_t max = uint64_t{k_max_cylinders} * k_max_heads * k_max_spt;
    if (ts > max) {
        ts = max;
    }
    uint64_t spt = 0;
    uint64_t heads = 0;
    uint64_t cth = 0;
    if (ts >= uint64_t{k_max_cylinders} * 16 * 63) {
        spt = 255;
        heads = 16;
        cth = ts / spt;
    } else {
        spt = 17;
        cth = ts / spt;
        heads = (cth + 1023) / 1024;
        if (heads < 4) {
            heads = 4;
        }
        if (cth >= heads * 1024 || heads > 16) {
            spt = 31;
            heads = 16;
            cth = ts / spt;
        }
        if (cth >= heads * 1024) {
            spt = 63;
            heads = 16;
            cth = ts / spt;
        }
    }
    return Geometry{static_cast<uint16_t>(cth / heads), static_cast<uint8_t>(heads),
                    static_cast<uint8_t>(spt)};
}

} // namespace ovfkit::disk::formats::vhd
