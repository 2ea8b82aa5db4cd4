// What both proxmox writers need of a mapped VM: its qm slot names, and a
// check that everything they will write is something qm can carry (a plan
// not made by map(), or a changed one, is refused rather than written).
#pragma once

#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::proxmox {

const PlanController* mapped_controller(const PlanVm& vm, std::string_view id);
std::string slot_name(const PlanVm& vm, std::string_view controller, unsigned unit);
tl::expected<void, Error> check_mapped(const PlanVm& vm);

// Rendering shared by the config and the script.
std::string drive_options(const PlanVm& vm, const PlanDisk& disk); // ",discard=on[,iothread=1]"
std::string boot_order(const PlanVm& vm);                          // "order=scsi0;sata1"
std::string startup(const PlanVm& vm);                             // "" when no order
std::string net_value(const PlanNic& nic);                         // "virtio=MAC,bridge=vmbr0"
std::string ostype(const PlanVm& vm);
std::string efidisk_options(const PlanVm& vm); // ",efitype=4m,pre-enrolled-keys=N"
// The name a CD image gets on the ISO storage: ovfkit-VMID-FILE(.iso).
std::string iso_name(std::string_view vmid, std::string_view file);

} // namespace ovfkit::platform::proxmox
