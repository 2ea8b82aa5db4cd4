// VMware's export targets (docs/export.md, sections `vmware` and
// `vmware-ova`):
//
//   vmware      a directory holding one <name>.vmx per virtual machine and
//               its disks as hosted sparse VMDKs: what Workstation and
//               Fusion open directly, and what ESXi registers once the disks
//               are cloned onto a datastore (vmkfstools -i).
//   vmware-ova  an OVA whose descriptor is rebuilt in vSphere's vocabulary
//               (vmx-NN family, VMware controller and NIC subtypes, the
//               vSphere guest id) with streamOptimized disks: what
//               ESXi/vCenter deploy.
//
// Both share the mapping (map.cpp); the .vmx writer is vmx_writer.cpp and
// the descriptor is ovf_envelope.cpp.
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget vmware_target;
extern const ExportTarget vmware_ova_target;

} // namespace ovfkit::platform
