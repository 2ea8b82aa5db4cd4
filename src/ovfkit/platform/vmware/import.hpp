// VMware's importer (import_source.hpp, docs/import.md): a .vmx, or a
// directory holding exactly one, read into a PlanVm.
//
// Mapped: displayName, annotation, guestOS (the OS table's .vmx column),
// numvcpus, memsize, firmware and uefi.secureBoot.enabled, virtualHW.version
// (the machine, "vmx-NN"), scsiN/sataN/nvmeN controllers with their disks
// and CD-ROM drives, ideN:M devices, ethernetN (virtualDev, networkName or
// vnet, address/generatedAddress under --keep-macs). Kept as vendor settings:
// cpuid.coresPerSocket, uuid.bios, disk.EnableUUID, tools.syncTime,
// bios.bootOrder and guestinfo.* keys. Noted as dropped: floppies, sound,
// USB controllers, serial and parallel ports, CD media. Refused (exit 4):
// raw device mappings, host device paths, disk paths out of the VM's
// directory (R2), a suspended VM.
#pragma once

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/vmware/vmx_reader.hpp>

namespace ovfkit::platform::vmware {

extern const ImportSource vmx_import_source;

// The mapping alone, for tests: `config` read from `path` (its directory
// is the appliance's directory).
Result<ImportedAppliance> import_vmx(const VmxConfig& config, const std::string& path,
                                     const ImportOptions& options);

} // namespace ovfkit::platform::vmware
