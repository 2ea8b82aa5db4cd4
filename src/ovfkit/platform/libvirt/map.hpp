// The libvirt target's mapping: the appliance's hardware rewritten into
// what a QEMU/KVM domain runs and the guest can boot from.
//
// Machine: q35, except i440fx ("pc") for a BIOS guest that boots from IDE
// and has no virtio drivers (an older or unknown guest installed on IDE,
// e.g. Windows, whose AHCI driver may be disabled: q35 has no IDE). UEFI is
// always q35 (Secure Boot needs SMM). Disks: virtio-blk when the guest's
// row says it has in-box virtio drivers (a virtio-scsi controller stays
// virtio-scsi), else SATA (IDE kept on "pc"); OVMF cannot boot LSI, and
// QEMU has no LSI SAS or BusLogic, so no SCSI HBA survives for a guest
// without virtio. NICs: virtio for virtio guests, else the source's model
// when QEMU emulates it and the guest drives it without extra software
// (e1000, e1000e, rtl8139, pcnet), else e1000e (q35) or e1000 (pc). The
// environment CD is a read-only SATA CD-ROM. Every change is a PlanNote
// (codes in docs/export.md, ## libvirt).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::libvirt {

// A note before it is attached to its VM (PlanNotes::add takes the VM).
struct MapNote {
    std::string code;
    NoteAction action = NoteAction::info;
    std::string item;
    std::string reason;
};

// Rewrites `vm` in place and returns what changed, in the order decided.
std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& context);

// The ExportTarget entry (target.cpp): map_vm, its notes added to `notes`.
void map(PlanVm& vm, const MapContext& context, PlanNotes& notes);

// The bus unit limits the mapping allocates within.
inline constexpr unsigned k_sata_ports = 6; // per AHCI controller (q35's built-in one is 0)
inline constexpr unsigned k_ide_units = 4;  // 2 channels x 2 devices, "pc" only

// A MAC libvirt accepts for a NIC: six lower-case hex pairs, unicast.
bool valid_mac(std::string_view mac);

} // namespace ovfkit::platform::libvirt
