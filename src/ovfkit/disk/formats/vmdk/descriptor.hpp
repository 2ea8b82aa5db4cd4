// The VMDK text descriptor: parsing (strict, bounded) and writing.
//
// A descriptor is a list of lines of three shapes: `key=value` header
// entries, extent lines `ACCESS SECTORS TYPE "NAME" [OFFSET]`, and disk
// database entries `ddb.key = "value"`. Comments start with '#'. There is no
// escaping: a quoted value runs to the next '"'. See docs/disk-formats/vmdk.md
// for the grammar and the limits enforced here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/base/text.hpp>

namespace ovfkit::disk::formats::vmdk {

// A stand-alone descriptor larger than this is refused (qemu's bound).
inline constexpr uint64_t k_max_descriptor_bytes = (uint64_t{1} << 20) - 1;
inline constexpr size_t k_max_line_bytes = 4096;
inline constexpr size_t k_max_extent_name_bytes = 511;
inline constexpr size_t k_max_extents = 65536;
inline constexpr uint64_t k_max_extent_sectors = uint64_t{1} << 40;
inline constexpr uint32_t k_no_parent_cid = 0xffffffff;

enum class Access { rw, rdonly, noaccess };

enum class ExtentType { flat, sparse, zero, vmfs };

struct DescriptorExtent {
    Access access = Access::rw;
    uint64_t sectors = 0;
    ExtentType type = ExtentType::flat;
    std::string file_name; // empty for ZERO extents
    uint64_t offset = 0;   // sectors into the file (FLAT only)
    uint32_t line = 0;     // 1-based line in the descriptor, for messages
};

struct Descriptor {
    uint32_t version = 1;
    uint32_t cid = 0;
    std::optional<uint32_t> parent_cid;
    std::string create_type;                // as written
    std::optional<std::string> parent_hint; // parentFileNameHint
    std::vector<DescriptorExtent> extents;
    std::vector<std::pair<std::string, std::string>> ddb; // in file order, keys as written

    // The value of a ddb key (compared case-insensitively), if present.
    std::optional<std::string_view> ddb_value(std::string_view key) const;
};

// True when `head` starts like a text descriptor: comments and blank lines,
// then `version=1|2|3` (the detection rule VMware and qemu use).
bool looks_like_descriptor(std::string_view head);

// Parses descriptor text. `where` names the file (and the byte offset of an
// embedded descriptor) for messages: "<where>: line 7: ...". Refuses device
// createTypes and extent types (Errc::refused); other malformed input is
// Errc::invalid.
Result<Descriptor> parse_descriptor(std::string_view text, std::string_view where);

// Case-insensitive ASCII comparison, as VMware compares descriptor words.
using ::ovfkit::iequals;

// What the writers put into a descriptor.
struct DescriptorSpec {
    uint32_t cid = 0;
    std::string create_type;                                 // "streamOptimized", ...
    std::vector<DescriptorExtent> extents;                   // RW extents to list
    std::string adapter_type = "lsilogic";                   // ide, buslogic, lsilogic, legacyESX
    std::string hw_version = "4";                            // ddb.virtualHWVersion
    std::optional<std::string> tools_version = "2147483647"; // omitted when empty
    uint64_t capacity_sectors = 0;                           // for the geometry
};

struct Geometry {
    uint64_t cylinders = 0;
    uint32_t heads = 0;
    uint32_t sectors = 0;
};

// Logical CHS as VMware computes it: 63 sectors, 16 heads for IDE, 255
// otherwise, cylinders rounded down and clamped (16383 IDE, 65535 SCSI).
Geometry geometry_for(uint64_t capacity_sectors, std::string_view adapter_type);

// Renders a descriptor in VMware's layout: header keys (no spaces around
// '='), extent lines, then the disk database.
std::string render_descriptor(const DescriptorSpec& spec);

} // namespace ovfkit::disk::formats::vmdk
