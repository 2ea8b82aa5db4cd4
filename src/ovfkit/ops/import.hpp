// A hypervisor's own VM as a package (docs/import.md): the import engine.
//
// An importer (platform/import_source.hpp) reads its platform's config into
// PlanVms; the engine then
//   1. opens every disk through disk::open_image beneath the VM's directory
//      (VMDK extents and, where the disk engine follows them, parents
//      resolved there and read flattened; a VMDK delta link only when its
//      parent's CID is the delta's parentCID) and takes its capacity from
//      the image;
//   2. builds the envelope — the inverse of ops/export_plan.cpp's neutral
//      plan, so that planning the envelope again gives the importer's VMs:
//      VirtualSystem (a collection when there are several), Annotation,
//      OperatingSystemSection (CIM id and version, vmw:osType, the guest's
//      name), VirtualHardwareSection (CPU, memory, controllers, disks,
//      CD-ROM drives, NICs, firmware as vmw:Config), DiskSection,
//      References, NetworkSection, and the importer's vendor settings in an
//      ovfkit:ImportedSettings section marked ovf:required="false";
//   3. presents it as a package::Source of kind `assembled`: the envelope as
//      its descriptor, each disk one of its files, read through its image.
// So convert (OVA, OVF directory, --to any target), info and validate read
// an imported VM as they read a package; its disks are always converted
// (vmdk-stream unless --disk-format or the target says otherwise), never
// copied, since a disk's file alone may not be the disk.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::ops {

// The namespace of the vendor section the engine writes.
inline constexpr std::string_view k_import_ns = "urn:ovfkit:import:1";

// What the engine learned of a disk from its image.
struct ImportedDiskFacts {
    std::string href;      // its file's name in the package
    uint64_t capacity = 0; // the image's virtual size, bytes
    std::string format;    // the driver that read it ("vmdk", "qcow2" ...)
};

// The envelope of `app`, each disk's facts by disk_id (every disk must have
// them). Notes what the envelope translates (a virtio-blk disk goes on a
// virtio-scsi controller: OVF has no item for virtio-blk) into `notes`.
// Errc::invalid when two disks share an id or a device names no controller.
Result<ovf::Envelope> import_envelope(const platform::ImportedAppliance& app,
                                      const std::map<std::string, ImportedDiskFacts>& disks,
                                      platform::PlanNotes& notes);

// Reads `path` with `importer` and presents the VM as a package. The
// importer's and the engine's notes go to `notes` as findings
// "IMPORT-<code>" (a drop is a warning, the rest information). Errc::refused
// for a disk out of the directory or a chain that loops or escapes,
// Errc::io for a disk that is absent, and the importer's own errors.
Result<package::Source> open_import(const platform::ImportSource& importer, const std::string& path,
                                    const platform::ImportOptions& options, Diagnostics& notes);

} // namespace ovfkit::ops
