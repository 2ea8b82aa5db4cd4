// The `libvirt` export target: one libvirt domain XML per VM (QEMU/KVM,
// x86_64) beside qcow2 or raw disks; see map.hpp for the mapping,
// domain_xml.hpp for the files, connect.hpp for --define, and
// docs/export.md (## libvirt) for what users see.
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget libvirt_target;

} // namespace ovfkit::platform
