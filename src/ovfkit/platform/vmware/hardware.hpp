// What the two VMware targets share (target.hpp): the mapping of a plan onto
// VMware hardware and the vocabulary both writers render it in.
//
// After `map_vm` a VM holds only what VMware runs, in the plan's own
// vocabulary: controllers "piix4" (IDE, at most two, units 0-1: master and
// slave of that channel), "ahci" (SATA), "lsilogic", "lsilogicsas",
// "buslogic", "pvscsi" (SCSI), "nvme"; NICs "e1000", "e1000e", "vmxnet3";
// `machine` "vmx-NN"; each controller's `index` its number among the VM's
// controllers of that bus, each device's `unit` valid on its bus. The
// writers translate names 1:1 (tables below) and decide nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::vmware {

enum class Flavor {
    vmx, // Workstation/Fusion/ESXi .vmx
    ova, // vSphere's OVF import (CreateImportSpec)
};

// A note before it is attached to its VM (PlanNotes::add takes the VM).
struct MapNote {
    std::string code;
    NoteAction action = NoteAction::info;
    std::string item;
    std::string reason;
};

// Rewrites `vm` in place and returns what changed, in the order decided.
std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& context, Flavor flavor);

// "vmx-13" -> 13; nullopt unless "vmx-NN" with 4 <= NN <= 99.
std::optional<unsigned> hardware_version(std::string_view machine);

// .vmx scsiN.virtualDev / ethernetN.virtualDev; "" for a name map_vm never leaves.
std::string_view vmx_scsi_device(std::string_view model);
std::string_view vmx_nic_device(std::string_view model);
// OVF rasd:ResourceSubType as vSphere writes it.
std::string_view ovf_controller_subtype(std::string_view model);
std::string_view ovf_nic_subtype(std::string_view model);

// Cores per socket: all of them on one socket (Windows client editions use
// at most two sockets; VMware's one-core sockets would idle the rest), or
// 0 (unstated: one per socket) past 64 cores.
uint64_t cores_per_socket(const PlanVm& vm);

// The guest ids, with the generic fallback map_vm notes as os-unmapped.
std::string_view vmx_guest_os(const PlanVm& vm);
std::string_view vsphere_guest_id(const PlanVm& vm);

// What vmware-ova leaves out of the source descriptor. `map` notes each,
// `envelope` renders the same decisions.
//   A section VMware does not know that the descriptor marks required
//   (absent ovf:required means required): vSphere refuses the package.
bool drops_section(const ovf::UnknownSection& section);

} // namespace ovfkit::platform::vmware
