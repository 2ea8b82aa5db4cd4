// Reading VirtualBox machine settings: a .vbox file, or the vbox:Machine
// section of VirtualBox's OVF dialect (formats/vmware-virtualbox.md B1, B5,
// C3). A library reader for importing .vbox files (issue #15) and for
// checking what the `virtualbox` target writes.
//
// Everything read is untrusted: the XML goes through the hardened loader
// (xml/document.hpp: no DTD, no entities, size and depth limits); a
// document declared ISO-8859-1 (libvirt's vbox driver writes those) is
// transcoded to UTF-8 first. Every number is a checked decimal within
// VirtualBox's own bounds, every UUID a valid non-zero one, every count
// bounded; settings that cannot be imported as a plain machine are refused
// (saved state, iSCSI media). Snapshots are recorded, not read: the
// machine's current state is what an importer takes; differencing media
// (HardDisks nested under their parent in the registry) keep their
// parent's UUID, and a medium nested under itself is a loop (Errc::refused).
// Media
// locations are kept as written, with `inside` saying whether the path is
// relative and stays below the .vbox's directory: an importer opens only
// those (or decides for itself what an absolute path means).
// Errors: Errc::invalid "NAME:LINE: why"; the loader's refusals keep their
// codes (Errc::refused for a DTD, an entity, limits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::virtualbox {

enum class MediumKind { hard_disk, dvd, floppy };

struct VboxMedium {
    MediumKind kind = MediumKind::hard_disk;
    std::string uuid;     // lower case, no braces
    std::string location; // as written
    bool inside = false;  // relative, no "..", no '\\' or drive letter
    std::string format;   // VDI, VMDK, VHD, VHDX, RAW (upper case); "" for DVD/floppy images
    std::string parent;   // a differencing disk's parent medium uuid; "" for a base
    size_t line = 0;      // where it is registered
};

struct VboxDevice {
    std::string type; // HardDisk, DVD, Floppy
    unsigned port = 0;
    unsigned device = 0;
    std::optional<std::string> image; // medium uuid (lower case), none for an empty drive
    bool host_drive = false;          // a host drive passthrough (an importer drops it)
};

struct VboxController {
    std::string name;
    std::string type; // PIIX3, PIIX4, ICH6, AHCI, LsiLogic, BusLogic, LsiLogicSas, NVMe,
                      // VirtioSCSI, I82078, USB
    unsigned port_count = 0;
    std::vector<VboxDevice> devices;
};

struct VboxAdapter {
    unsigned slot = 0;
    std::string type;               // as written (82540EM, virtio ...); "" when absent
    std::optional<std::string> mac; // 12 upper-case hex digits
    std::string attachment;         // nat, bridged, intnet, hostonly, natnetwork, generic,
                                    // hostonlynetwork, cloud or "" (not attached)
    std::string network;            // its name (driver for generic), "" when none
    std::string remembered;         // nat: DisabledModes/InternalNetwork@name, "" when none
};

struct VboxMachine {
    std::string settings_version; // "1.16" (the digits before '-'); "" in a vbox:Machine
                                  // without one
    std::string uuid;             // lower case, no braces
    std::string name;
    std::string os_type;
    std::string os_key; // ExtraDataItem k_os_extra_data (a .vbox ovfkit wrote); "" when none
    std::string description;
    uint64_t cpus = 1;
    uint64_t memory_mib = 0;
    std::string firmware = "BIOS";       // BIOS, EFI, EFI32, EFI64, EFIDUAL
    std::vector<std::string> boot_order; // devices by position, "None" entries dropped
    std::vector<VboxMedium> media;
    std::vector<VboxController> controllers;
    std::vector<VboxAdapter> adapters; // enabled ones, by slot
    bool snapshots = false;            // the machine has snapshots (not read)
    bool tpm = false;                  // Hardware/TrustedPlatformModule of a type but None
    std::vector<std::string> dropped;  // devices present that OVF does not carry: "audio",
                                       // "usb", "shared-folders", "serial", "parallel"

    const VboxMedium* medium(std::string_view uuid) const;
};

// A whole .vbox file; `name` is used in messages. `limits` bound the XML
// (an importer passes its config bounds: breaking one is Errc::refused).
Result<VboxMachine> read_vbox(std::string_view bytes, std::string name, const xml::Limits& limits);
Result<VboxMachine> read_vbox(std::string_view bytes, std::string name);

// A Machine element: a .vbox's, or an OVF's vbox:Machine (children matched
// by local name in any namespace, as VirtualBox writes them unqualified).
Result<VboxMachine> read_machine(const xml::Document& doc, const xml::Element& machine);

} // namespace ovfkit::platform::virtualbox
