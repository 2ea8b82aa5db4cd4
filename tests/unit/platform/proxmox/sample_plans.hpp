// Sample plans shared by the proxmox writer and script tests, each mapped
// by map_vm: a BIOS Linux VM, a UEFI Windows VM, a three-VM collection, and
// one whose every appliance string is an injection attempt.
#pragma once

#include <string>

#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::proxmox::test {

extern const std::string k_hostile;
ExportPlan bios_linux_plan();
ExportPlan uefi_windows_plan();
ExportPlan collection_plan();
ExportPlan hostile_plan();

} // namespace ovfkit::platform::proxmox::test
