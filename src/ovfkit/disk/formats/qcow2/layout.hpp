// QCOW2 on-disk structures (qemu docs/interop/qcow2.txt, block/qcow2.h).
//
// Every number in a QCOW2 file is big-endian. The header sits at offset 0 and
// is 72 bytes in version 2, header_length bytes (>= 104, a multiple of 8) in
// version 3. Header extensions follow it inside cluster 0; the backing file
// name, when present, comes after them. Table entries (L1, L2, refcount table)
// are big-endian u64 whose bit fields are described by the masks below.
#pragma once

#include <cstddef>
#include <cstdint>

#include <ovfkit/base/endian.hpp>

namespace ovfkit::disk::formats::qcow2 {

inline constexpr uint32_t k_magic = 0x514649FB; // "QFI\xfb"

// The fields common to versions 2 and 3 (72 bytes).
struct HeaderV2 {
    be32 magic;                   // 0: k_magic
    be32 version;                 // 4: 2 or 3
    be64 backing_file_offset;     // 8: offset of the backing file name in cluster 0; 0 = none
    be32 backing_file_size;       // 16: name length, not NUL-terminated, <= 1023
    be32 cluster_bits;            // 20: log2 of the cluster size; qemu accepts 9..21
    be64 size;                    // 24: virtual disk size in bytes
    be32 crypt_method;            // 32: 0 none, 1 AES-CBC, 2 LUKS
    be32 l1_size;                 // 36: number of entries in the active L1 table
    be64 l1_table_offset;         // 40: cluster-aligned offset of the active L1 table
    be64 refcount_table_offset;   // 48: cluster-aligned offset of the refcount table
    be32 refcount_table_clusters; // 56: size of the refcount table in clusters
    be32 nb_snapshots;            // 60: number of internal snapshots
    be64 snapshots_offset;        // 64: cluster-aligned offset of the snapshot table
};
static_assert(sizeof(HeaderV2) == 72);

// Version 3 additions (offset 72 onwards).
struct HeaderV3 {
    HeaderV2 v2;
    be64 incompatible_features; // 72: unknown set bits forbid opening
    be64 compatible_features;   // 80: unknown bits may be ignored
    be64 autoclear_features;    // 88: cleared by writers that do not know them
    be32 refcount_order;        // 96: refcount width is 1 << refcount_order bits, <= 6
    be32 header_length;         // 100: >= 104, multiple of 8, <= cluster size
};
static_assert(sizeof(HeaderV3) == 104);

// What qemu writes since 5.1 and what ovfkit writes: the compression type byte
// (present when header_length > 104) padded to a multiple of 8.
struct HeaderV3Full {
    HeaderV3 v3;
    uint8_t compression_type; // 104: 0 zlib (raw deflate), 1 zstd
    uint8_t padding[7];       // 105: zero
};
static_assert(sizeof(HeaderV3Full) == 112);

inline constexpr uint32_t k_header_v2_length = 72;
inline constexpr uint32_t k_header_v3_min_length = 104;

// Incompatible feature bits (offset 72).
inline constexpr uint64_t k_incompat_dirty = 1u << 0;
inline constexpr uint64_t k_incompat_corrupt = 1u << 1;
inline constexpr uint64_t k_incompat_data_file = 1u << 2;
inline constexpr uint64_t k_incompat_compression = 1u << 3;
inline constexpr uint64_t k_incompat_extl2 = 1u << 4;

inline constexpr uint8_t k_compression_zlib = 0;
inline constexpr uint8_t k_compression_zstd = 1;

// A header extension: type, data length (without padding), data, padding to 8.
struct ExtensionHeader {
    be32 type;
    be32 length;
};
static_assert(sizeof(ExtensionHeader) == 8);

inline constexpr uint32_t k_ext_end = 0x00000000;
inline constexpr uint32_t k_ext_backing_format = 0xE2792ACA;
inline constexpr uint32_t k_ext_feature_table = 0x6803F857;
inline constexpr uint32_t k_ext_bitmaps = 0x23852875;
inline constexpr uint32_t k_ext_crypto = 0x0537BE77;
inline constexpr uint32_t k_ext_data_file = 0x44415441;

// One entry of the feature name table extension.
struct FeatureNameEntry {
    uint8_t type; // 0 incompatible, 1 compatible, 2 autoclear
    uint8_t bit;  // 0..63
    char name[46];
};
static_assert(sizeof(FeatureNameEntry) == 48);

// L1 entry: bits 9-55 L2 table offset, bit 63 COPIED.
inline constexpr uint64_t k_l1_offset_mask = 0x00FFFFFFFFFFFE00ULL;
inline constexpr uint64_t k_l1_reserved_mask = 0x7F000000000001FFULL;

// Standard L2 entry: bit 0 zero flag (v3), bits 9-55 host cluster offset,
// bit 62 compressed, bit 63 COPIED.
inline constexpr uint64_t k_l2_offset_mask = 0x00FFFFFFFFFFFE00ULL;
inline constexpr uint64_t k_l2_reserved_mask = 0x3F000000000001FEULL;
inline constexpr uint64_t k_oflag_zero = 1ULL << 0;
inline constexpr uint64_t k_oflag_compressed = 1ULL << 62;
inline constexpr uint64_t k_oflag_copied = 1ULL << 63;

// Refcount table entry: bits 9-63 refcount block offset.
inline constexpr uint64_t k_reftable_offset_mask = 0xFFFFFFFFFFFFFE00ULL;
inline constexpr uint64_t k_reftable_reserved_mask = 0x1FFULL;

// Host offsets must stay below 2^56 (QCOW_MAX_CLUSTER_OFFSET).
inline constexpr uint64_t k_max_host_offset = (1ULL << 56) - 1;

// qemu implementation limits (block/qcow2.h), used as sanity bounds.
inline constexpr uint32_t k_min_cluster_bits = 9;
inline constexpr uint32_t k_max_cluster_bits = 21;
inline constexpr uint64_t k_max_l1_bytes = 32ULL << 20;       // QCOW_MAX_L1_SIZE
inline constexpr uint64_t k_max_reftable_bytes = 8ULL << 20;  // QCOW_MAX_REFTABLE_SIZE
inline constexpr uint32_t k_max_snapshots = 65536;            // QCOW_MAX_SNAPSHOTS
inline constexpr uint64_t k_max_snapshot_table = 64ULL << 20; // QCOW_MAX_SNAPSHOTS_SIZE
inline constexpr uint32_t k_max_backing_name = 1023;
inline constexpr uint32_t k_max_refcount_order = 6;

// Compressed cluster descriptor (bit 62 set) for a given cluster_bits: the
// low `shift` bits are the host byte offset of the stream, the next
// cluster_bits - 8 bits the number of additional 512-byte sectors it uses.
struct CompressedLayout {
    uint32_t shift = 0;       // csize_shift
    uint64_t offset_mask = 0; // cluster_offset_mask
    uint64_t sectors_mask = 0;

    static constexpr CompressedLayout for_cluster_bits(uint32_t cluster_bits) {
        CompressedLayout l;
        l.shift = 62 - (cluster_bits - 8);
        l.offset_mask = (1ULL << l.shift) - 1;
        l.sectors_mask = (1ULL << (cluster_bits - 8)) - 1;
        return l;
    }
};

// Internal snapshot table entry (fixed part; padded to 8 with its variable
// parts: extra data, id string, name).
struct SnapshotHeader {
    be64 l1_table_offset;
    be32 l1_size;
    be16 id_str_size;
    be16 name_size;
    be32 date_sec;
    be32 date_nsec;
    be64 vm_clock_nsec;
    be32 vm_state_size;
    be32 extra_data_size;
};
static_assert(sizeof(SnapshotHeader) == 40);

} // namespace ovfkit::disk::formats::qcow2
