// XenServer's export targets (docs/export.md, sections `xenserver` and
// `xenserver-ova`):
//
//   xenserver      an XVA: what `xe vm-import` and XenCenter import on
//                  XenServer and XCP-ng (ova.xml and the disks in 1 MiB
//                  blocks with SHA-1 checksums), the environment ISO, when
//                  the appliance has properties, beside it.
//   xenserver-ova  an OVA in XenServer's OVF dialect (xen-3.0 system types,
//                  VHD disks) for XenCenter's OVF import.
//
// Both share the mapping (map.cpp, xapi.hpp).
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget xenserver_target;
extern const ExportTarget xenserver_ova_target;

} // namespace ovfkit::platform
