// The `proxmox` export target: a qm config per VM, the disks, and
// import.sh, which creates the VMs with qm on a Proxmox VE node
// (docs/export.md, "proxmox").
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget proxmox_target;

} // namespace ovfkit::platform
