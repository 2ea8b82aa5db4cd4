// XenServer / XCP-ng's importer (import_source.hpp, docs/import.md): an
// `.xva` (xe vm-export) read in place.
//
// ova.xml (an XML-RPC value of xapi objects, read with the hardened XML
// loader) gives the VM: name_label, name_description, VCPUs_at_startup
// (VCPUs_max kept as a vendor setting when larger), memory_static_max
// (the dynamic range noted), HVM_boot_params firmware=uefi and platform
// secureboot, the guest OS by name (other_config base_template_name or the
// guest metrics' os_version name, looked up in the OS table's
// descriptions), VBDs (userdevice 0-3 on an IDE controller, 4 and up on a
// SCSI one; CD drives, their media noted), VIFs (network name_label, MAC
// only with --keep-macs). The platform map, HVM_boot_params, VCPUs_max and
// other_config are kept as vendor settings. The disks are the VDIs'
// chunks, read through xva_archive.hpp.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::platform::xenserver {

extern const ImportSource xva_import_source;

// What ova.xml says, before the archive's chunks are indexed.
struct XvaMetadata {
    ImportedAppliance app;                        // disks without `open` yet
    std::map<std::string, uint64_t> vdis;         // every VDI ref -> virtual size
    std::map<std::string, std::string> disk_refs; // disk_id -> VDI ref
    uint64_t export_vsn = 0;
};

// Reads ova.xml text (`name` for messages). Errc::refused past the bounds
// (XML loader limits, more than k_import_max_keys objects, more than
// k_import_max_devices VBDs or VIFs per VM), Errc::invalid for a value that
// is not xapi's (a missing field, a number out of range, a dangling Ref).
Result<XvaMetadata> read_ova_metadata(std::string_view text, const std::string& name,
                                      const ImportOptions& options);

} // namespace ovfkit::platform::xenserver
