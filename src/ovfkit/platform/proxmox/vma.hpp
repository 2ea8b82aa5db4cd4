// The VMA archive format of Proxmox's vzdump (pve-qemu vma_spec.txt and its
// reader/writer; ../shared/docs/formats/proxmox-vma-hyperv-vmcx.md §1): a
// header (fixed 12 KiB, then a blob buffer holding config files and device
// names, covered by an MD5) followed by extents, each a 512-byte header
// (its own MD5, 59 cluster entries) and the present 4 KiB blocks of those
// clusters. Numbers are big-endian but the blob lengths (little-endian).
// These functions check one structure each, from bytes; vma_stream.hpp
// walks an archive with them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>

namespace ovfkit::platform::proxmox {

inline constexpr size_t k_vma_fixed_header = 12288;
inline constexpr size_t k_vma_max_header = size_t{4} << 20; // policy cap (the writer: 512 KiB)
inline constexpr size_t k_vma_extent_header = 512;
inline constexpr uint64_t k_vma_block = 4096;
inline constexpr uint64_t k_vma_cluster = 65536;
inline constexpr unsigned k_vma_entries = 59;
inline constexpr unsigned k_vma_max_blocks = k_vma_entries * 16;
// The disk engine's largest virtual size; the sum of all devices too.
inline constexpr uint64_t k_vma_max_device = uint64_t{64} << 40;

struct VmaConfig {
    std::string name; // "qemu-server.conf"
    std::string data;
};

struct VmaDevice {
    unsigned id = 0; // 1-254
    std::string name;
    uint64_t size = 0;
    uint64_t clusters() const { return (size + k_vma_cluster - 1) / k_vma_cluster; }
};

struct VmaHeader {
    std::array<uint8_t, 16> uuid{};
    int64_t ctime = 0;
    uint32_t header_size = 0;
    std::vector<VmaConfig> configs;
    std::vector<VmaDevice> devices; // ascending id
    const VmaDevice* device(unsigned id) const;
    const VmaDevice* device(std::string_view name) const;
    const VmaConfig* config(std::string_view name) const;
};

// From the first 12288 bytes: magic, version and the header's size (within
// [12288, k_vma_max_header], a multiple of 512). `where` names the archive.
Result<uint32_t> vma_header_size(std::span<const std::byte> fixed, std::string_view where);

// The whole header (header_size bytes): MD5, blob buffer, configs, devices.
// Damage (magic, MD5, a blob that does not resolve) is Errc::invalid;
// what breaks a bound or a name rule is Errc::refused.
Result<VmaHeader> parse_vma_header(std::span<const std::byte> header, std::string_view where);

struct VmaEntry {
    uint16_t mask = 0; // bit j: 4 KiB block j of the cluster is present
    unsigned dev_id = 0;
    uint32_t cluster = 0;
};

struct VmaExtent {
    unsigned block_count = 0;
    std::vector<VmaEntry> entries; // the used slots, in order
};

// One 512-byte extent header at archive byte `offset`: magic, reserved,
// UUID, MD5 (Errc::invalid); every entry names a declared device and a
// cluster inside it, no present block past its end (Errc::refused);
// block_count is the present blocks (Errc::invalid).
Result<VmaExtent> parse_vma_extent(std::span<const std::byte> bytes, const VmaHeader& header,
                                   uint64_t offset, std::string_view where);

// MD5 of `data` with bytes [32, 48) / [24, 40) zeroed: what the header /
// an extent header stores (tests make archives with it).
std::array<uint8_t, 16> vma_md5(std::span<const std::byte> data, size_t field_offset);

} // namespace ovfkit::platform::proxmox
