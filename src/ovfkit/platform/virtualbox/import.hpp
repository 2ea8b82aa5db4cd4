// VirtualBox's importer (import_source.hpp, docs/import.md): a .vbox, or a
// directory holding exactly one, read into a PlanVm (vbox_reader.hpp).
//
// Mapped, the exporter's tables read backwards (map.cpp): Machine name,
// Description, OSType (the OS table's VirtualBox column), CPU count, RAM,
// Firmware (BIOS, EFI*), TrustedPlatformModule; storage controllers
// (PIIX3/PIIX4/ICH6 IDE, AHCI, LsiLogic, LsiLogicSas, BusLogic, NVMe,
// VirtioSCSI) with their disks (unit = port * 2 + device on IDE, port
// elsewhere) and DVD drives (media noted as not carried); adapters
// (Am79C970A/Am79C973 pcnet, 82540EM/82543GC/82545EM e1000, virtio; the
// attachment's network name; MACs under --keep-macs). Disks come from the
// MediaRegistry: a HardDisk's location relative to the .vbox's directory
// (R2: no '..', absolute only with --allow-absolute-paths, never /dev), its
// format, and for a differencing disk (nested under its parent: a
// snapshot) its chain, flattened: VDI children are read on the parents the
// registry names (disk/formats/vdi/parents.hpp), other formats follow their own
// parent links. Kept as vendor settings: Machine uuid, OSType, Firmware
// type and the boot order. Noted as dropped: floppies, audio, USB, shared
// folders, serial and parallel ports, snapshots (the current state is
// imported), Secure Boot (VirtualBox keeps it in the NVRAM file).
#pragma once

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/virtualbox/vbox_reader.hpp>

namespace ovfkit::platform::virtualbox {

extern const ImportSource vbox_import_source;

// The mapping alone, for tests: `machine` read from `path` (its directory
// is the appliance's directory; disk files are looked at only to refuse a
// location whose directories are symlinks).
Result<ImportedAppliance> import_vbox(const VboxMachine& machine, const std::string& path,
                                      const ImportOptions& options);

} // namespace ovfkit::platform::virtualbox
