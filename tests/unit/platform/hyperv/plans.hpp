// Hand-built plans for the hyperv target's tests, in the appliance's
// vocabulary as ops::export_appliance hands them to map(). The guest-OS rows
// are local, so the tests pin the mapping whatever the shared table says.
#pragma once

#include <string>
#include <vector>

#include <ovfkit/platform/hyperv/map.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::hyperv::test {

inline GuestOsRow row(std::string_view key, OsFamily family, bool virtio, int generation,
                      bool x64 = true) {
    GuestOsRow r{};
    r.key = key;
    r.display = key;
    r.family = family;
    r.x64 = x64;
    r.virtio = virtio;
    r.hyperv_generation = generation;
    return r;
}

inline const GuestOsRow k_debian = row("debian12-64", OsFamily::linux, true, 2);
inline const GuestOsRow k_linux_any = row("linux-64", OsFamily::linux, false, 1);
inline const GuestOsRow k_win2k19 = row("win2k19", OsFamily::windows, false, 2);
inline const GuestOsRow k_winxp = row("winxp", OsFamily::windows, false, 1, false);
inline const GuestOsRow k_other32 = row("other", OsFamily::other, false, 1, false);

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
    d.file_name = "appliance-" + id + ".vhdx";
    d.format = "vhdx";
    v.disks.push_back(std::move(d));
    return v.disks.back();
}

inline PlanNic& nic(PlanVm& v, std::string model, std::string ovf_network,
                    std::string network = "") {
    PlanNic n;
    n.source_item = "nic";
    n.ovf_network = ovf_network;
    n.network = network.empty() ? ovf_network : std::move(network);
    n.model = std::move(model);
    v.nics.push_back(std::move(n));
    return v.nics.back();
}

inline void env_cdrom(PlanVm& v, std::string controller = "plan-sata", unsigned unit = 0) {
    v.cdroms.push_back(PlanCdrom{std::move(controller), unit, "appliance-env.iso", true});
    v.environment_xml = "<Environment/>";
}

inline std::vector<PlanNote> map(PlanVm& v, std::string_view format = "vhdx") {
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

// "IDE 0:1" for a mapped drive.
inline std::string where(const std::string& controller, unsigned unit) {
    std::string_view type;
    unsigned number = 0;
    if (!controller_address(controller, type, number)) {
        return "?" + controller;
    }
    return std::string(type) + " " + std::to_string(number) + ":" + std::to_string(unit);
}

// A one-VM plan of a mapped VM, its notes kept.
inline ExportPlan plan_of(PlanVm v, std::string_view format = "vhdx") {
    auto notes = map(v, format);
    ExportPlan plan;
    plan.target = "hyperv";
    plan.disk_format = std::string(format);
    plan.vms.push_back(std::move(v));
    plan.notes = std::move(notes);
    return plan;
}

} // namespace ovfkit::platform::hyperv::test
