// What `ovfkit convert SOURCE ...` can read besides packages: a
// hypervisor's own configuration (a .vmx, a libvirt domain XML ...), one
// entry per importer. The mirror of export_target.hpp.
//
// An importer only reads: it turns its platform's config into PlanVms in the
// plan's vocabulary (vm_plan.hpp: controller models "piix4", "ahci",
// "lsilogic", "lsilogicsas", "buslogic", "pvscsi", "virtio-scsi", "nvme",
// "virtio-blk"; NIC models "e1000", "e1000e", "vmxnet3", "virtio", "pcnet",
// "rtl8139", "vmxnet" ...; GuestOs from the shared OS table, guest_os.hpp,
// looked up by the platform's own id: guest_os_by_vmx, _by_vbox, _by_osinfo,
// _by_pve), says where each disk's bytes are (ImportDisk), adds a PlanNote
// for everything it cannot carry and keeps the settings OVF has no element
// for as VendorSettings. The engine (ops/import.hpp) does the rest: the
// envelope (the inverse of ops/export_plan.cpp's neutral plan), the disk
// capacities read from the images, and a package::Source over the VM's
// disks so that convert, --to, info and validate work on it as on a package.
//
// Rules every importer keeps (SECURITY.md):
//   - R2: a disk path is relative to ImportedAppliance::directory, '/'-
//     separated, with no '..' component and no empty one; an absolute path
//     only when ImportOptions::allow_absolute_paths, else Errc::refused. The
//     engine opens disks beneath that directory (io::Directory), so a link
//     or a VMDK extent pointing out of it is refused there too.
//   - Config text is untrusted: bounded line length, key count and device
//     count; a config that breaks a bound is Errc::refused (exit 4) with
//     file:line and the bound; one that does not parse is Errc::invalid.
//   - Never read anything but the config and what the engine opens.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::disk {
struct Image;
}

namespace ovfkit::platform {

// What the user said about the import (`ovfkit convert` options).
struct ImportOptions {
    // R2: disks named by an absolute path are refused unless this is set
    // (--allow-absolute-paths).
    bool allow_absolute_paths = false;
    // Carry fixed and generated MAC addresses into the envelope (--keep-macs);
    // else each is a `nic-mac` info note and the target generates one.
    bool keep_macs = false;
    // Proxmox: the file holding each storage volume a qm config names,
    // "STORAGE:NAME=PATH" as given (--volume, repeatable).
    std::vector<std::string> volumes = {};
};

// Where one disk's bytes are. Today a file (`path`); an archive importer
// (XVA, VMA) sets `open` instead and reads its member itself.
struct ImportDisk {
    std::string disk_id; // the PlanDisk::disk_id it backs
    // Relative to ImportedAppliance::directory (or absolute when allowed).
    // Opened with disk::open_image beneath that directory: a VMDK descriptor
    // with extents, a snapshot (-000001.vmdk) and its parents are resolved
    // there and read flattened (a VMDK delta only when its parent's CID is
    // the delta's parentCID).
    std::string path;
    // A disk driver name when the config states the format ("vmdk",
    // "qcow2", "raw"); "" detects it from the content.
    std::string format;
    // When set, opens the disk instead of `path` (which then only names it
    // in messages and is the File's href stem).
    std::function<Result<std::unique_ptr<disk::Image>>()> open;
    // With `open`: the disk's guest size when the source states it exactly
    // (a VMA's device table). The engine then plans, answers `info` and
    // --dry-run without opening the disk, which for a VMA means writing
    // every disk to a staging directory. Unset: the engine opens it to
    // measure it.
    std::optional<uint64_t> capacity_bytes = {};
};

// A setting of the source VM that OVF has no element for, carried in a
// vendor section marked ovf:required="false" so that the platform the VM
// came from can take it back ("vmx" keys as written, "libvirt" XPaths ...).
struct VendorSetting {
    std::string key;
    std::string value;
};

struct ImportedVm {
    // In the plan's vocabulary. Disks: disk_id set (unique in the
    // appliance), capacity_bytes 0 (the engine reads it from the image),
    // controller and unit as the config says; file_id and file_name are the
    // engine's. NICs: ovf_network and network both the source's network
    // name; mac only when ImportOptions::keep_macs.
    PlanVm vm;
    std::vector<ImportDisk> disks; // one per PlanDisk, same disk_id
    std::vector<VendorSetting> vendor;
};

struct ImportedAppliance {
    std::string platform;  // registry name: "vmware", "libvirt" ...
    std::string config;    // the config file read, as the user named it
    std::string directory; // disks are relative to it; absolute
    std::vector<ImportedVm> vms;
    PlanNotes notes; // what was translated, dropped or defaulted
    // What the disks need while they are read, released with the
    // appliance: a live source (libvirt:URI/DOMAIN) streams its volumes
    // into a staging `directory` of its own, removed when this goes.
    std::shared_ptr<void> owned;
};

// Bounds every importer keeps on config text (SECURITY.md R12).
inline constexpr size_t k_import_max_config = size_t{4} << 20; // bytes
inline constexpr size_t k_import_max_line = size_t{64} << 10;  // bytes
inline constexpr size_t k_import_max_keys = 20000;             // entries / elements
inline constexpr size_t k_import_max_devices = 64;             // disks, NICs, CDs per VM

struct ImportSource {
    std::string_view name;     // "vmx", "libvirt-xml" ...
    std::string_view platform; // registry name of its platform
    std::string_view description;
    // Whether `path` is this importer's: from its name and its first bytes
    // (`head`, up to 4 KiB; empty for a directory, which an importer may
    // claim when it holds exactly one config of its kind). Cheap, never fails.
    bool (*claims)(const std::string& path, bool is_directory,
                   std::span<const std::byte> head) = nullptr;
    // Reads the config. Errc::refused for what breaks a rule above,
    // Errc::invalid for a config that does not read, Errc::io when it cannot
    // be opened.
    Result<ImportedAppliance> (*read)(const std::string& path,
                                      const ImportOptions& options) = nullptr;
};

// Every importer, in the order `ovfkit version` lists them.
std::span<const ImportSource> import_sources();

// The importer called `name`, or null.
const ImportSource* find_import_source(std::string_view name);

// The importer claiming `path`, or null (a package, or nothing known).
const ImportSource* claim_import_source(const std::string& path, bool is_directory,
                                        std::span<const std::byte> head);

} // namespace ovfkit::platform
