// On-disk structures of VirtualBox VDI images, version 1.1 (VirtualBox
// src/VBox/Storage/VDICore.h: VDIPREHEADER, VDIHEADER1PLUS). Every integer is
// little-endian; UUIDs are stored in the Microsoft GUID byte order.
//
//   0        pre-header (72): informational text, signature, version
//   72       header (384, or 400 with LCHS geometry)
//   offBlocks  block map: cBlocks u32 entries
//   offData    blocks: [cbBlockExtra private bytes][cbBlock data], dense, in
//              allocation order
#pragma once

#include <cstdint>

#include <ovfkit/base/endian.hpp>

namespace ovfkit::disk::formats::vdi {

inline constexpr uint32_t k_signature = 0xBEDA107F;
inline constexpr uint32_t k_version = 0x00010001;    // 1.1
inline constexpr uint32_t k_block_free = 0xFFFFFFFF; // never allocated: zeros (or parent)
inline constexpr uint32_t k_block_zero = 0xFFFFFFFE; // discarded: zeros
inline constexpr uint64_t k_block_size = uint64_t{1} << 20;
inline constexpr uint32_t k_header_v1_size = 384;     // qemu, old VirtualBox
inline constexpr uint32_t k_header_v1plus_size = 400; // VirtualBox, with LCHS geometry
inline constexpr uint32_t k_max_blocks = 0x3FFFFFFF;  // qemu's bound on cBlocks

enum ImageType : uint32_t { k_type_normal = 1, k_type_fixed = 2, k_type_undo = 3, k_type_diff = 4 };

struct PreHeader {
    char file_info[64]; // "<<< Oracle VM VirtualBox Disk Image >>>\n"; not checked
    le32 signature;     // 0xBEDA107F
    le32 version;       // major << 16 | minor
};
static_assert(sizeof(PreHeader) == 72);

struct Geometry {
    le32 cylinders;
    le32 heads;
    le32 sectors;
    le32 sector_size; // 512
};
static_assert(sizeof(Geometry) == 16);

// VDIHEADER1PLUS; the last 16 bytes (LCHS geometry) exist only when
// header_size >= 400.
struct Header {
    le32 header_size;         // cbHeader: 384 or 400
    le32 image_type;          // ImageType
    le32 flags;               // fFlags; 0 from every writer
    char comment[256];        // UTF-8, NUL-terminated
    le32 blocks_offset;       // offBlocks: file offset of the block map
    le32 data_offset;         // offData: file offset of block 0
    Geometry legacy_geometry; // PCHS, 0/0/0/512 = not set
    le32 dummy;               // formerly BIOS translation
    le64 disk_size;           // cbDisk: guest-visible bytes
    le32 block_size;          // cbBlock: 1 MiB
    le32 block_extra;         // cbBlockExtra: private bytes before each block
    le32 blocks;              // cBlocks: block map entries
    le32 blocks_allocated;    // cBlocksAllocated
    unsigned char uuid_create[16];
    unsigned char uuid_modify[16];
    unsigned char uuid_linkage[16]; // parent's uuid_create (diff images)
    unsigned char uuid_parent_modify[16];
    Geometry lchs_geometry; // v1+ only
};
static_assert(sizeof(Header) == k_header_v1plus_size);

// Both structures as they sit at the start of the file.
struct Start {
    PreHeader pre;
    Header header;
};
static_assert(sizeof(Start) == 472);

} // namespace ovfkit::disk::formats::vdi
