// On-disk structures of VHDX ([MS-VHDX] v20160714 and later, §2).
//
// Every integer is little-endian. GUIDs use the Microsoft mixed layout:
// Data1 (u32 LE), Data2 (u16 LE), Data3 (u16 LE), then 8 bytes as written, so
// 2DC27766-F623-4200-9D64-115E9BFD4A08 is stored 66 77 C2 2D 23 F6 00 42 ...
// Writing the RFC 4122 (big-endian) byte order instead is a classic bug that
// leaves a file without recognisable regions.
//
// File layout (everything at or after 1 MiB is 1 MiB-aligned):
//   0        file type identifier "vhdxfile" + creator (64 KiB)
//   64 KiB   header 1 (4 KiB used of 64 KiB)
//   128 KiB  header 2
//   192 KiB  region table 1 (64 KiB)
//   256 KiB  region table 2 (identical copy)
//   >= 1 MiB log, BAT region, metadata region, payload and bitmap blocks
// Headers, region tables and log entries carry a CRC-32C over the whole
// structure with the checksum field zeroed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <ovfkit/base/endian.hpp>

namespace ovfkit::disk::formats::vhdx {

inline constexpr uint64_t k_kib = 1024;
inline constexpr uint64_t k_mib = 1024 * 1024;

// A GUID exactly as stored (16 bytes, Microsoft layout).
struct Guid {
    std::array<uint8_t, 16> bytes{};
    bool operator==(const Guid&) const = default;
    bool is_zero() const { return *this == Guid{}; }
};
static_assert(sizeof(Guid) == 16);

namespace detail {
constexpr uint8_t hex_digit(char c) {
    return c >= '0' && c <= '9'   ? static_cast<uint8_t>(c - '0')
           : c >= 'a' && c <= 'f' ? static_cast<uint8_t>(c - 'a' + 10)
                                  : static_cast<uint8_t>(c - 'A' + 10);
}
constexpr uint8_t hex_byte(std::string_view s, size_t i) {
    return static_cast<uint8_t>(hex_digit(s[i]) << 4 | hex_digit(s[i + 1]));
}
} // namespace detail

// Converts the text form "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (as printed in
// [MS-VHDX]) to the stored byte layout.
constexpr Guid guid_from_text(std::string_view s) {
    Guid g;
    // Data1, Data2, Data3 are little-endian: reverse their bytes.
    constexpr std::array<size_t, 16> pos{6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
    for (size_t i = 0; i < 16; ++i) {
        g.bytes[i] = detail::hex_byte(s, pos[i]);
    }
    return g;
}

// Region GUIDs ([MS-VHDX] §2.2.3.1).
inline constexpr Guid k_region_bat = guid_from_text("2DC27766-F623-4200-9D64-115E9BFD4A08");
inline constexpr Guid k_region_metadata = guid_from_text("8B7CA206-4790-4B9A-B8FE-575F050F886E");

// Metadata item GUIDs ([MS-VHDX] §2.6.2).
inline constexpr Guid k_item_file_parameters =
    guid_from_text("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
inline constexpr Guid k_item_virtual_disk_size =
    guid_from_text("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
inline constexpr Guid k_item_page83 = guid_from_text("BECA12AB-B2E6-4523-93EF-C309E000C746");
inline constexpr Guid k_item_logical_sector_size =
    guid_from_text("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
inline constexpr Guid k_item_physical_sector_size =
    guid_from_text("CDA348C7-445D-4471-9CC9-E9885251C556");
inline constexpr Guid k_item_parent_locator =
    guid_from_text("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
// Parent locator type of a VHDX parent (§2.6.2.6.3), the only defined one.
inline constexpr Guid k_locator_vhdx = guid_from_text("B04AEFB7-D19E-4A81-B789-25B8E9445913");

// Signatures as little-endian integers.
inline constexpr uint64_t k_sig_file = 0x656C696678646876ull;     // "vhdxfile"
inline constexpr uint32_t k_sig_head = 0x64616568u;               // "head"
inline constexpr uint32_t k_sig_regi = 0x69676572u;               // "regi"
inline constexpr uint64_t k_sig_metadata = 0x617461646174656Dull; // "metadata"
inline constexpr uint32_t k_sig_loge = 0x65676F6Cu;               // "loge"
inline constexpr uint32_t k_sig_zero = 0x6F72657Au;               // "zero"
inline constexpr uint32_t k_sig_desc = 0x63736564u;               // "desc"
inline constexpr uint32_t k_sig_data = 0x61746164u;               // "data"

// Fixed positions of the header section.
inline constexpr uint64_t k_header1_offset = 64 * k_kib;
inline constexpr uint64_t k_header2_offset = 128 * k_kib;
inline constexpr uint64_t k_region1_offset = 192 * k_kib;
inline constexpr uint64_t k_region2_offset = 256 * k_kib;
inline constexpr uint64_t k_header_section_size = k_mib;
inline constexpr size_t k_header_size = 4096;
inline constexpr size_t k_region_table_size = 64 * k_kib;
inline constexpr size_t k_metadata_table_size = 64 * k_kib;
inline constexpr uint32_t k_max_table_entries = 2047; // region and metadata tables

// Limits of the format (§2.6.2.1, §2.6.2.2).
inline constexpr uint64_t k_min_block_size = k_mib;
inline constexpr uint64_t k_max_block_size = 256 * k_mib;
inline constexpr uint64_t k_max_virtual_size = uint64_t{64} << 40; // 64 TiB
inline constexpr uint64_t k_sectors_per_chunk = uint64_t{1} << 23; // sectors per bitmap block
inline constexpr uint64_t k_log_sector_size = 4096;

// File type identifier at offset 0 (§2.2.1); the rest of its 64 KiB is reserved.
struct FileIdentifier {
    le64 signature;                // "vhdxfile"
    std::array<le16, 256> creator; // UTF-16LE, NUL-terminated, informational only
};
static_assert(sizeof(FileIdentifier) == 520);

// Header (§2.2.2), 4 KiB at 64 KiB and at 128 KiB.
struct Header {
    le32 signature;       // "head"
    le32 checksum;        // CRC-32C over the 4096 bytes, this field zero
    le64 sequence_number; // the valid header with the larger value is current
    Guid file_write_guid; // changed before the first write after each open
    Guid data_write_guid; // changed before the first user-visible data change
    Guid log_guid;        // zero: no valid log entries
    le16 log_version;     // 0
    le16 version;         // 1
    le32 log_length;      // multiple of 1 MiB
    le64 log_offset;      // multiple of 1 MiB, >= 1 MiB
    std::array<uint8_t, 4016> reserved;
};
static_assert(sizeof(Header) == k_header_size);

// Region table header (§2.2.3), 64 KiB at 192 KiB and 256 KiB.
struct RegionTableHeader {
    le32 signature;   // "regi"
    le32 checksum;    // CRC-32C over the 64 KiB table, this field zero
    le32 entry_count; // <= 2047
    le32 reserved;
};
static_assert(sizeof(RegionTableHeader) == 16);

struct RegionTableEntry {
    Guid guid;        // region type
    le64 file_offset; // multiple of 1 MiB, >= 1 MiB
    le32 length;      // multiple of 1 MiB
    le32 required;    // bit 0: refuse to open when the region is unknown
};
static_assert(sizeof(RegionTableEntry) == 32);

// Metadata table header (§2.6.1.1) at the start of the metadata region.
struct MetadataTableHeader {
    le64 signature; // "metadata"
    le16 reserved;
    le16 entry_count; // <= 2047
    std::array<uint8_t, 20> reserved2;
};
static_assert(sizeof(MetadataTableHeader) == 32);

inline constexpr uint32_t k_meta_is_user = 1u << 0;
inline constexpr uint32_t k_meta_is_virtual_disk = 1u << 1;
inline constexpr uint32_t k_meta_is_required = 1u << 2;

struct MetadataTableEntry {
    Guid item_id;
    le32 offset; // from the start of the metadata region, >= 64 KiB (0 when length is 0)
    le32 length; // <= 1 MiB
    le32 flags;  // k_meta_is_user | k_meta_is_virtual_disk | k_meta_is_required
    le32 reserved2;
};
static_assert(sizeof(MetadataTableEntry) == 32);

inline constexpr uint32_t k_param_leave_blocks_allocated = 1u << 0; // fixed VHDX
inline constexpr uint32_t k_param_has_parent = 1u << 1;             // differencing VHDX

// File Parameters item (§2.6.2.1).
struct FileParameters {
    le32 block_size; // power of two, 1 MiB .. 256 MiB
    le32 flags;      // k_param_*
};
static_assert(sizeof(FileParameters) == 8);

// Parent locator item (§2.6.2.6): header, then key_value_count entries.
struct ParentLocatorHeader {
    Guid locator_type; // k_locator_vhdx
    le16 reserved;
    le16 key_value_count;
};
static_assert(sizeof(ParentLocatorHeader) == 20);

struct ParentLocatorEntry {
    le32 key_offset;   // from the start of the locator item
    le32 value_offset; // same base
    le16 key_length;   // bytes of UTF-16LE
    le16 value_length;
};
static_assert(sizeof(ParentLocatorEntry) == 12);

// BAT entries (§2.5.1): state in bits 0-2, file offset in MiB in bits 20-63.
inline constexpr uint64_t k_bat_state_mask = 7;
inline constexpr uint64_t k_bat_offset_mask = ~uint64_t{0xFFFFF};
inline constexpr uint64_t k_payload_not_present = 0;
inline constexpr uint64_t k_payload_undefined = 1;
inline constexpr uint64_t k_payload_zero = 2;
inline constexpr uint64_t k_payload_unmapped = 3;
inline constexpr uint64_t k_payload_unmapped_v095 = 5; // pre-1.0 drafts; read as unmapped
inline constexpr uint64_t k_payload_fully_present = 6;
inline constexpr uint64_t k_payload_partially_present = 7; // differencing only
inline constexpr uint64_t k_sb_not_present = 0;            // sector bitmap entries
inline constexpr uint64_t k_sb_present = 6;

// Log entry header (§2.3.1.1), at the start of each log entry.
struct LogEntryHeader {
    le32 signature;    // "loge"
    le32 checksum;     // CRC-32C over entry_length bytes, this field zero
    le32 entry_length; // multiple of 4 KiB
    le32 tail;         // log offset of the first entry of the sequence
    le64 sequence_number;
    le32 descriptor_count;
    le32 reserved;
    Guid log_guid;            // must equal the header's log_guid
    le64 flushed_file_offset; // file size that was stable when written
    le64 last_file_offset;    // file size needed by this entry
};
static_assert(sizeof(LogEntryHeader) == 64);

// Zero descriptor (§2.3.1.2) and data descriptor (§2.3.1.3): same size, told
// apart by the signature.
struct LogZeroDescriptor {
    le32 signature; // "zero"
    le32 reserved;
    le64 zero_length; // multiple of 4 KiB
    le64 file_offset; // multiple of 4 KiB
    le64 sequence_number;
};
static_assert(sizeof(LogZeroDescriptor) == 32);

struct LogDataDescriptor {
    le32 signature;      // "desc"
    le32 trailing_bytes; // bytes 4092..4095 of the sector
    le64 leading_bytes;  // bytes 0..7 of the sector
    le64 file_offset;    // multiple of 4 KiB
    le64 sequence_number;
};
static_assert(sizeof(LogDataDescriptor) == 32);

// Data sector (§2.3.1.4): carries bytes 8..4091 of one 4 KiB target sector.
struct LogDataSector {
    le32 signature; // "data"
    le32 sequence_high;
    std::array<uint8_t, 4084> data;
    le32 sequence_low;
};
static_assert(sizeof(LogDataSector) == 4096);

} // namespace ovfkit::disk::formats::vhdx
