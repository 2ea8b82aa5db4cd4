// Hand-built plans for the proxmox target's tests, in the appliance's
// vocabulary as ops::export_appliance hands them to map(). The guest-OS rows
// are local, so the tests pin the mapping whatever the shared table says.
#pragma once

#include <string>
#include <vector>

#include <ovfkit/platform/proxmox/map.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::proxmox::test {

inline GuestOsRow row(std::string_view key, OsFamily family, std::string_view pve, bool virtio) {
    GuestOsRow r;
    r.key = key;
    r.display = key;
    r.family = family;
    r.x64 = true;
    r.pve = pve;
    r.virtio = virtio;
    return r;
}

inline const GuestOsRow k_debian = row("debian12-64", OsFamily::linux, "l26", true);
inline const GuestOsRow k_win10 = row("win10-64", OsFamily::windows, "win10", false);
inline const GuestOsRow k_unknown = row("other", OsFamily::other, "", false);

inline PlanVm vm(const GuestOsRow& os, Firmware fw = Firmware::bios) {
    PlanVm v;
    v.system_id = "vm";
    v.path = "vm";
    v.name = "appliance";
    v.os.row = &os;
    v.cpus = 2;
    v.memory_bytes = uint64_t{2048} << 20;
    v.firmware = fw;
    return v;
}

inline PlanController& controller(PlanVm& v, std::string id, Bus bus, std::string model,
                                  unsigned index = 0) {
    v.controllers.push_back(PlanController{std::move(id), bus, std::move(model), index});
    return v.controllers.back();
}

inline PlanDisk& disk(PlanVm& v, std::string id, std::string ctrl, unsigned unit,
                      uint64_t gib = 8) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.source_item = "item-" + id;
    d.capacity_bytes = gib << 30;
    d.controller = std::move(ctrl);
    d.unit = unit;
    d.boot = v.disks.empty();
    d.file_name = id + ".qcow2";
    d.format = "qcow2";
    v.disks.push_back(std::move(d));
    return v.disks.back();
}

inline PlanNic& nic(PlanVm& v, std::string model, std::string network = "vmbr0") {
    PlanNic n;
    n.source_item = "nic";
    n.ovf_network = network;
    n.network = std::move(network);
    n.model = std::move(model);
    v.nics.push_back(std::move(n));
    return v.nics.back();
}

inline std::vector<PlanNote> map(PlanVm& v, std::string_view format = "qcow2") {
    std::vector<PlanNote> notes;
    map_vm(v, MapContext{format}, notes);
    return notes;
}

inline const PlanNote* find_note(const std::vector<PlanNote>& notes, std::string_view code) {
    for (const auto& n : notes) {
        if (n.code == code) {
            return &n;
        }
    }
    return nullptr;
}

// "scsi0" for a mapped disk.
inline std::string slot(const PlanVm& v, const PlanDisk& d) {
    for (const auto& c : v.controllers) {
        if (c.id == d.controller) {
            return std::string(slot_prefix(c.bus)) + std::to_string(d.unit);
        }
    }
    return "";
}

inline std::string scsihw(const PlanVm& v) {
    for (const auto& c : v.controllers) {
        if (c.bus == Bus::scsi) {
            return c.model;
        }
    }
    return "";
}

} // namespace ovfkit::platform::proxmox::test
