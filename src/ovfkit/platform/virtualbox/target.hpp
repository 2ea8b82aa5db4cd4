// VirtualBox's export targets (docs/export.md, sections `virtualbox` and
// `virtualbox-ova`):
//
//   virtualbox      a directory holding one <name>.vbox per virtual machine
//                   and its disks as VDIs whose header UUIDs the .vbox media
//                   registry names: `VBoxManage registervm` takes it as it is.
//   virtualbox-ova  an OVA whose descriptor is rebuilt in VirtualBox's OVF
//                   dialect (its controller and NIC subtypes, vbox:OSType)
//                   with streamOptimized disks: what `VBoxManage import`
//                   and the GUI's appliance import read.
//
// Both share the mapping (map.cpp); the .vbox writer is vbox_writer.cpp and
// the descriptor ova_envelope.cpp.
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget virtualbox_target;
extern const ExportTarget virtualbox_ova_target;

} // namespace ovfkit::platform
