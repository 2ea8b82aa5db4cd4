#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <zlib.h>

#include <ovfkit/base/endian.hpp>
#include <ovfkit/disk/boot_layout.hpp>

namespace ovfkit::disk {

namespace {

constexpr size_t k_sector = 512;
constexpr size_t k_max_entry_bytes = size_t{1} << 20; // 1 MiB of GPT entries at most

// GUIDs as stored on disk: the first three fields little-endian.
constexpr std::array<uint8_t, 16> k_esp_guid{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                             0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
constexpr std::array<uint8_t, 16> k_bios_boot_guid{0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6F, 0x6E,
                                                   0x74, 0x4E, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49};

template <class T>
T le_at(const std::vector<std::byte>& b, size_t off) {
    EndianInt<T, std::endian::little> v;
    std::memcpy(&v, b.data() + off, sizeof(T));
    return v.get();
}

bool guid_is(const std::byte* p, const std::array<uint8_t, 16>& guid) {
    return std::memcmp(p, guid.data(), guid.size()) == 0;
}

uint32_t crc32_of(const std::byte* p, size_t n) {
    return static_cast<uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

Result<std::vector<std::byte>> read(DiskReader& disk, uint64_t offset, size_t length) {
    std::vector<std::byte> b(length);
    OVFKIT_TRY(disk.read_at(offset, b));
    return b;
}

// The GPT whose header is at `header_at` (LBA 1 for `sector` bytes).
Result<void> read_gpt(DiskReader& disk, uint32_t sector, BootLayout& out) {
    OVFKIT_TRY_ASSIGN(auto h, read(disk, sector, sector));
    uint32_t header_size = le_at<uint32_t>(h, 12);
    if (header_size < 92 || header_size > sector) {
        out.summary = "GPT header with an impossible size";
        return {};
    }
    std::vector<std::byte> zeroed(h.begin(), h.begin() + header_size);
    std::fill_n(zeroed.begin() + 16, 4, std::byte{0});
    bool header_ok = crc32_of(zeroed.data(), header_size) == le_at<uint32_t>(h, 16);
    uint64_t entries_lba = le_at<uint64_t>(h, 72);
    uint32_t count = le_at<uint32_t>(h, 80);
    uint32_t entry_size = le_at<uint32_t>(h, 84);
    out.gpt = true;
    out.sector_size = sector;
    if (entry_size < 128 || entry_size % 8 != 0 || count == 0 ||
        uint64_t{count} * entry_size > k_max_entry_bytes || entries_lba < 2 ||
        entries_lba > disk.virtual_size() / sector ||
        uint64_t{count} * entry_size > disk.virtual_size() - entries_lba * sector) {
        out.summary = "GPT whose partition entries lie outside the disk";
        return {};
    }
    size_t bytes = size_t{count} * entry_size;
    OVFKIT_TRY_ASSIGN(auto entries, read(disk, entries_lba * sector, bytes));
    out.gpt_checksum_ok = header_ok && crc32_of(entries.data(), bytes) == le_at<uint32_t>(h, 88);
    for (size_t at = 0; at < bytes; at += entry_size) {
        const std::byte* e = entries.data() + at;
        out.esp = out.esp || guid_is(e, k_esp_guid);
        bool used = std::any_of(e, e + 16, [](std::byte b) { return b != std::byte{0}; });
        bool legacy_bootable = used && (le_at<uint64_t>(entries, at + 48) & 4) != 0;
        out.bios_boot_partition =
            out.bios_boot_partition || guid_is(e, k_bios_boot_guid) || legacy_bootable;
    }
    return {};
}

} // namespace

std::string_view boot_firmware_name(BootFirmware f) {
    switch (f) {
    case BootFirmware::bios:
        return "bios";
    case BootFirmware::uefi:
        return "uefi";
    case BootFirmware::both:
        return "both";
    case BootFirmware::none:
        break;
    }
    return "none";
}

Result<BootLayout> inspect_boot_layout(DiskReader& disk) {
    BootLayout out;
    if (disk.virtual_size() < 2 * k_sector) {
        out.summary = "a disk smaller than two sectors";
        return out;
    }
    OVFKIT_TRY_ASSIGN(auto s0, read(disk, 0, k_sector));
    out.mbr = s0[510] == std::byte{0x55} && s0[511] == std::byte{0xAA};
    out.mbr_boot_code =
        std::any_of(s0.begin(), s0.begin() + 440, [](std::byte b) { return b != std::byte{0}; });
    size_t entries = 0;
    if (out.mbr) {
        for (size_t i = 0; i < 4; ++i) {
            auto type = static_cast<uint8_t>(s0[446 + 16 * i + 4]);
            if (type == 0) {
                continue;
            }
            ++entries;
            out.protective_mbr = out.protective_mbr || type == 0xEE;
            out.esp = out.esp || type == 0xEF;
        }
        out.hybrid_mbr = out.protective_mbr && entries > 1;
    }
    // The GPT header is at LBA 1: byte 512, or 4096 on a 4 KiB-sector disk.
    for (uint32_t sector : {uint32_t{512}, uint32_t{4096}}) {
        if (disk.virtual_size() < 2 * uint64_t{sector}) {
            break;
        }
        OVFKIT_TRY_ASSIGN(auto sig, read(disk, sector, 8));
        if (std::memcmp(sig.data(), "EFI PART", 8) == 0) {
            OVFKIT_TRY(read_gpt(disk, sector, out));
            break;
        }
    }
    if (!out.summary.empty()) {
        return out; // a table that does not parse: none
    }
    bool bios =
        out.mbr && out.mbr_boot_code && (!out.gpt || out.bios_boot_partition || out.hybrid_mbr);
    bool uefi = out.esp;
    out.firmware = bios && uefi ? BootFirmware::both
                   : bios       ? BootFirmware::bios
                   : uefi       ? BootFirmware::uefi
                                : BootFirmware::none;
    std::string table = out.gpt   ? (out.hybrid_mbr ? "GPT with a hybrid MBR" : "GPT")
                        : out.mbr ? "MBR"
                                  : "no partition table";
    std::vector<std::string> has;
    if (out.esp) {
        has.emplace_back("an EFI system partition");
    }
    if (out.bios_boot_partition) {
        has.emplace_back("a BIOS boot partition");
    }
    if (out.mbr && out.mbr_boot_code) {
        has.emplace_back("boot code in sector 0");
    }
    out.summary = table;
    for (size_t i = 0; i < has.size(); ++i) {
        out.summary += (i == 0 ? " with " : i + 1 == has.size() ? " and " : ", ") + has[i];
    }
    if (out.gpt && out.sector_size != 512) {
        out.summary += ", for 4096-byte sectors";
    }
    if (out.gpt && !out.gpt_checksum_ok) {
        out.summary += " (its GPT checksums do not match)";
    }
    return out;
}

} // namespace ovfkit::disk
