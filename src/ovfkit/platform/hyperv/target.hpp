// The `hyperv` export target: the disks as VHDX (or VHD for generation 1),
// import.ps1, which creates the VMs with the Hyper-V PowerShell module on a
// Hyper-V host, and hyperv.json, what it creates (docs/export.md, "hyperv").
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform {

extern const ExportTarget hyperv_target;

} // namespace ovfkit::platform
