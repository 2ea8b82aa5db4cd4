// The one guest-OS table every platform shares (guest_os.cpp): a row per
// guest with its id in each vocabulary (CIM OSType, VMware, VirtualBox,
// libosinfo, Proxmox), and the rules that turn an envelope's hints into
// one row (docs/platforms.md; ../shared formats/mapping.md sections 1-2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ovfkit::platform {

enum class OsFamily { other, windows, linux, bsd, solaris };

struct GuestOsRow {
    std::string_view key;     // ovfkit's stable id: "debian12-64", "win2k19", "linux-64"
    std::string_view display; // "Debian 12 (64-bit)"
    OsFamily family = OsFamily::other;
    bool x64 = false;
    uint16_t cim = 0;             // ovf:id to write
    std::string_view cim_version; // ovf:version to write ("12"), may be empty
    std::string_view vmware;      // vSphere enum (vmw:osType, guestId) "debian12_64Guest"
    std::string_view vmx;         // .vmx guestOS key "debian12-64"
    std::string_view vbox;        // VirtualBox OSType "Debian12_64"
    std::string_view osinfo;      // libosinfo short id "debian12"
    std::string_view pve;         // Proxmox ostype "l26"
    int hyperv_generation = 1;    // preferred Hyper-V generation
    bool virtio = false;          // in-box virtio-blk/scsi/net drivers
    bool uefi_required = false;   // Windows 11, Server 2025
};

enum class OsConfidence { low, medium, high };

// What an envelope says about its guest.
struct GuestOsHints {
    std::optional<std::string> cim_id;         // ovf:id as written
    std::optional<std::string> cim_version;    // ovf:version
    std::optional<std::string> vmware;         // vmw:osType
    std::optional<std::string> vbox;           // vbox:OSType
    std::optional<std::string> vendor_os_type; // a vendor's exact string, vendor unknown
    std::optional<std::string> description;    // OperatingSystemSection/Description
};

struct GuestOs {
    const GuestOsRow* row = nullptr; // never null once resolved
    OsConfidence confidence = OsConfidence::low;
    std::string decided_by;              // "vbox:OSType", "vmw:osType", "ovf:id", ..., "none"
    std::optional<std::string> conflict; // the hints disagree on the family
};

std::span<const GuestOsRow> guest_os_table();
GuestOs resolve_guest_os(const GuestOsHints& hints);
const GuestOsRow* find_guest_os(std::string_view key);
const GuestOsRow* guest_os_by_vmware(std::string_view id);
const GuestOsRow* guest_os_by_vmx(std::string_view key);
const GuestOsRow* guest_os_by_vbox(std::string_view id);
const GuestOsRow* guest_os_by_osinfo(std::string_view id);
const GuestOsRow* guest_os_by_pve(std::string_view id);

} // namespace ovfkit::platform
