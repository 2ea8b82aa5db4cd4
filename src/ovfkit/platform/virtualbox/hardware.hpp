// What the two VirtualBox targets share (target.hpp): the mapping of a plan
// onto VirtualBox hardware and the vocabulary the writers render it in.
//
// After `map_vm` a VM holds only what VirtualBox runs, in VirtualBox's own
// settings vocabulary (the .vbox XML `type` attributes), so the writers copy
// names and decide nothing:
//   - controllers: model "PIIX4" (IDE), "AHCI" (SATA), "LsiLogic" and
//     "BusLogic" (SCSI), "LsiLogicSas" (SAS), "NVMe", "VirtioSCSI"; at most
//     one controller per VirtualBox storage bus (IDE, SATA, SCSI, SAS, PCIe,
//     VirtioSCSI), which is what VirtualBox's PIIX3 chipset allows;
//   - each device's `unit` valid on its controller: IDE unit = port * 2 +
//     device (ports 0-1, devices 0-1), every other bus unit = port (device
//     0), below port_limit();
//   - NICs: model "Am79C970A", "Am79C973", "82540EM", "82543GC", "82545EM"
//     or "virtio"; `network` the attachment as "KIND:NAME" with KIND one of
//     nat, bridged, intnet, hostonly, natnetwork, generic (attachment());
//     `mac` 12 upper-case hex digits or unset (the writer makes one);
//   - `machine` the settings version the file needs: "1.16" or "1.18"
//     (VirtioSCSI).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::virtualbox {

// A note before it is attached to its VM (PlanNotes::add takes the VM).
struct MapNote {
    std::string code;
    NoteAction action = NoteAction::info;
    std::string item;
    std::string reason;
};

// Rewrites `vm` in place and returns what changed, in the order decided.
std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& context);

// The storage bus VirtualBox files a controller type under ("IDE", "SATA",
// "SCSI", "SAS", "PCIe", "VirtioSCSI"); "" for a type it does not know.
std::string_view storage_bus(std::string_view type);
// Ports a controller type offers (IDE: 2 ports of 2 devices); 0 when unknown.
unsigned port_limit(std::string_view type);
// Devices per port: 2 for IDE, 1 otherwise.
unsigned devices_per_port(std::string_view type);
// Whether `type` is one of VirtualBox's NIC types (the .vbox Adapter@type).
bool known_adapter(std::string_view type);

// A NIC's attachment, as map_vm leaves it in PlanNic::network.
struct Attachment {
    std::string kind; // nat, bridged, intnet, hostonly, natnetwork, generic
    std::string name; // "" for nat without a remembered network
};
std::optional<Attachment> attachment(std::string_view network);

// VirtualBox's OSType for the VM's guest row ("Other_64" when none fits).
std::string_view os_type(const PlanVm& vm);

} // namespace ovfkit::platform::virtualbox
