// The cloud disk profiles (docs/export.md, sections `azure`, `aws`, `gce`):
// presets over the disk engine and the plan that write what each cloud's
// image import takes, and check the plan against the cloud's documented
// limits (formats/clouds.md 6) before a byte is written.
//
//   azure  a directory: one fixed VHD per disk, its virtual size a whole
//          MiB of at least 20 MiB (footer only, the form Azure's managed
//          disk upload takes), and azure.json stating each VM's
//          generation (V1 BIOS, V2 UEFI), OS type and upload sizes.
//   aws    an OVA with streamOptimized VMDKs in vSphere's vocabulary (VM
//          Import/Export's documented input), one virtual system.
//   gce    the archive form: `disk.raw`, the boot disk rounded up to a
//          whole GiB, in a GNU oldgnu sparse `.tar.gz` (Compute Engine
//          image import); gce.hpp.
//
// The clouds get no registry platform (platform/registry.cpp): they write
// no vendor section and no envelope dialect of their own (the AWS OVA uses
// VMware's), so there is nothing to read back; `platform` is "".
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget azure_target;
extern const ExportTarget aws_target;
extern const ExportTarget gce_target;

} // namespace ovfkit::platform
