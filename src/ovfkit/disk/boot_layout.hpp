// How a disk can boot, from its partition tables alone (formats/clouds.md
// 5): the MBR in sector 0 and a GPT at LBA 1. No file system is read, so
// the answer is what firmware could start, not whether the OS behind it
// works.
//
//   - BIOS: an MBR with boot code (sector 0 bytes 0-439 not all zero) and a
//     bootable entry or any entry; a GPT disk counts only with a BIOS-boot
//     partition (21686148-6449-6E6F-744E-656564454649) or a hybrid MBR (an
//     entry beside the protective 0xEE one), as Google's boot inspection
//     counts it, or a partition with the legacy-BIOS-bootable attribute
//     (bit 2, which syslinux's gptmbr boots), and with boot code in sector 0
//     (else no BIOS can start it).
//   - UEFI: a GPT with an EFI system partition (C12A7328-F81F-11D2-BA4B-
//     00A0C93EC93B), or an MBR entry of type 0xEF.
//   - a GPT written for 4 KiB logical sectors has its header at byte 4096,
//     not 512; such a disk boots only where the host presents 4 KiB sectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/reader.hpp>

namespace ovfkit::disk {

enum class BootFirmware { none, bios, uefi, both };

std::string_view boot_firmware_name(BootFirmware f); // "none", "bios", "uefi", "both"

struct BootLayout {
    bool mbr = false;            // 55 AA at byte 510
    bool mbr_boot_code = false;  // bytes 0-439 not all zero
    bool protective_mbr = false; // an 0xEE entry
    bool hybrid_mbr = false;     // 0xEE and other entries
    bool gpt = false;            // "EFI PART" at LBA 1 (512- or 4096-byte sectors)
    bool gpt_checksum_ok = false;
    uint32_t sector_size = 512;       // 4096 when the GPT is at byte 4096
    bool esp = false;                 // an EFI system partition (GPT or MBR 0xEF)
    bool bios_boot_partition = false; // or a legacy-BIOS-bootable partition
    BootFirmware firmware = BootFirmware::none;
    std::string summary; // "GPT with an EFI system partition", "MBR with boot code", ...
};

// Reads sector 0, LBA 1 and the GPT entries (at most 1 MiB of them) of
// `disk`. A disk smaller than one sector, or tables that do not parse, give
// `none` with the reason in `summary`; only a read error fails.
Result<BootLayout> inspect_boot_layout(DiskReader& disk);

} // namespace ovfkit::disk
