// The one guest-OS table every platform shares, and the rules that turn the
// OS hints of an envelope into one of its rows.
//
// A row says, for one guest release, what each hypervisor calls it: the CIM
// OperatingSystem id (+ ovf:version) an OVF carries, VMware's vSphere guest
// id (vmw:osType) and .vmx guestOS key, VirtualBox's OSType, the libosinfo
// short id, Proxmox's ostype and oVirt's OS name, plus the facts exporters
// choose hardware by (bitness, Hyper-V generation, in-box virtio drivers,
// whether UEFI + Secure Boot + TPM are required). The table is data, one
// constexpr array in guest_os_table.cpp; its sources are
// ../shared/docs/formats/mapping.md section 1 (CIM 2.55, govmomi,
// open-vm-tools GUEST_OS_KEY_MAP, VirtualBox Global.cpp, osinfo-db,
// qemu-server) and oVirt's osinfo-defaults.properties.
//
// Reverse lookups (by a vendor id) answer the first row in table order that
// carries the id: several rows share ids (ubuntu64Guest is every 64-bit
// Ubuntu, RedHat8_64 is RHEL, CentOS, Rocky and Alma 8), so rows are ordered
// generic first, then oldest first, and the first is the safe answer.
//
// resolve_guest_os() applies mapping.md 2.1 (which hint wins, rules 1-5),
// 2.2 (bitness) and 10 (every hint is hostile input: ids are validated,
// strings are capped and restricted to [A-Za-z0-9._, :+-], nothing is passed
// through; an unknown value maps to a generic row). docs/platforms.md
// describes the result for users.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ovfkit::ovf {
struct SystemSummary;
}

namespace ovfkit::platform {

// (The project builds with -std=c++20, not gnu++20, so `linux` is no macro.)
enum class OsFamily { other, windows, linux, bsd, solaris };

// "other", "windows", "linux", "bsd", "solaris".
std::string_view os_family_name(OsFamily family);

struct GuestOsRow {
    std::string_view key;     // ovfkit's stable id: "debian12-64", "win2k19", "linux-64"
    std::string_view display; // "Debian 12 (64-bit)"
    OsFamily family;
    bool x64;
    uint16_t cim;                 // ovf:id to write
    std::string_view cim_version; // ovf:version to write ("12"), may be empty
    std::string_view vmware;      // vSphere enum (vmw:osType, guestId) "debian12_64Guest"
    std::string_view vmx;         // .vmx guestOS key "debian12-64"
    std::string_view vbox;        // VirtualBox OSType "Debian12_64"
    std::string_view osinfo;      // libosinfo short id ("linux2022" generic Linux, "unknown")
    std::string_view pve;         // Proxmox ostype "l26"
    int hyperv_generation;        // preferred Hyper-V generation: 1 or 2
    bool virtio;                  // in-box virtio-blk and virtio-net drivers in every release
                                  // the row stands for (Linux >= 2.6.25; Windows never)
    bool uefi_required;           // Windows 11, Server 2025: UEFI + Secure Boot + TPM 2.0
    std::string_view ovirt;       // oVirt / RHV OS name ("windows_2022"), "" when none fits
    // Names no distribution or release (other, Linux by kernel, Windows of
    // unknown release): mapping.md 2.1 rule 3 keeps such ids generic.
    bool generic;
    // Lowercase substrings of an OperatingSystemSection/Description naming
    // this row, '|'-separated ("windows server 2019|windows 2019"); the
    // longest match wins. Used only to break ties (rule 5).
    std::string_view describes;
};

enum class OsConfidence { low, medium, high };

// "low", "medium", "high".
std::string_view os_confidence_name(OsConfidence confidence);

// What an envelope says about its guest (ovf::SystemSummary /
// OperatingSystemSection). Every member is untrusted text.
struct GuestOsHints {
    std::optional<std::string> cim_id;         // ovf:id as written (validated: uint16 decimal only)
    std::optional<std::string> cim_version;    // ovf:version
    std::optional<std::string> vmware;         // vmw:osType
    std::optional<std::string> vbox;           // vbox:OSType / vbox:Machine OSType
    std::optional<std::string> vendor_os_type; // a vendor string of unknown vocabulary
                                               // (summary.os_type): tried as VirtualBox,
                                               // vSphere, .vmx, libosinfo and oVirt names
    std::optional<std::string> description;    // OperatingSystemSection/Description
};

struct GuestOs {
    const GuestOsRow* row = nullptr; // never null after resolve_guest_os()
    // The newest release the hints may mean, for firmware decisions when the
    // firmware is otherwise unknown (rule 2.1.2); `row` except for a lone
    // CIM id 111-123, where `row` is the oldest candidate.
    const GuestOsRow* newest = nullptr;
    OsConfidence confidence = OsConfidence::low;
    // Which hint chose the row: "vbox:OSType", "vmw:osType", "vmx:guestOS",
    // "osinfo", "ovirt:os", "ovf:id+ovf:version", "ovf:id", "description" or
    // "none"; a vendor id shared by several rows may be refined by
    // "+ovf:version" or "+description" (docs/platforms.md).
    std::string decided_by;
    // Family disagreement between hints, one line naming both (rule 2.1.1).
    std::optional<std::string> conflict;
    // Hints not used because they are malformed (hostile or damaged input),
    // one line each; the values are quoted with control bytes escaped.
    std::vector<std::string> ignored;
};

// Every row, in table order.
std::span<const GuestOsRow> guest_os_table();

// The row the hints stand for (mapping.md 2.1 priority and rules 1-5, 2.2
// bitness, 10 hardening). Never fails.
GuestOs resolve_guest_os(const GuestOsHints& hints);

// The hints of a summarised virtual system: its CIM id and version, its
// vendor OS type (vmw:osType, vbox:OSType or oVirt's OS name) and its
// description.
GuestOsHints guest_os_hints(const ovf::SystemSummary& system);

// The row with ovfkit key `key` (exact), or null.
const GuestOsRow* find_guest_os(std::string_view key);

// Reverse lookups: the first row carrying the id, or null. Ids are compared
// without ASCII case; aliases cover the spellings the table does not write
// (older or non-reversible ids, mapping.md trap 3).
const GuestOsRow* guest_os_by_vmware(std::string_view id);
const GuestOsRow* guest_os_by_vmx(std::string_view key);
const GuestOsRow* guest_os_by_vbox(std::string_view id);
const GuestOsRow* guest_os_by_ovirt(std::string_view name);
// libosinfo and Proxmox do not encode bitness: the first 64-bit row is
// answered. Proxmox's generic ids give the generic rows (l26: "linux-64",
// other: "other-64", l24: "linux24-64").
const GuestOsRow* guest_os_by_osinfo(std::string_view id);
const GuestOsRow* guest_os_by_pve(std::string_view id);

// The row an ovf:id (+ ovf:version) reads as: the row with that id and
// version, else the first row with that id and no version, else the first
// (oldest) row with that id; for 111-123 the oldest release any CIM table
// in use gives the number (mapping.md 1.1). Null for 0 and unknown ids.
const GuestOsRow* guest_os_by_cim(uint16_t id, std::string_view version = {});

// ovf:id as CIM OSType: decimal digits only, at most 65535 (no sign, space,
// hex or wrap-around); nullopt otherwise.
std::optional<uint16_t> parse_cim_os_id(std::string_view text);

// The family's fallback row: the generic row for other, Linux and Windows,
// FreeBSD and Solaris 10 for the BSD and Solaris families.
const GuestOsRow& fallback_guest_os(OsFamily family, bool x64);

} // namespace ovfkit::platform
