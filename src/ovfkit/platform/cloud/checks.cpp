// Shared cloud plan checks; see checks.hpp.
#include <algorithm>

#include <fmt/format.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/platform/cloud/checks.hpp>

namespace ovfkit::platform::cloud {

std::string size_text(uint64_t bytes) {
    struct Unit {
        uint64_t size;
        const char* name;
    };
    for (Unit u : {Unit{k_tib, "TiB"}, Unit{k_gib, "GiB"}, Unit{k_mib, "MiB"}}) {
        if (bytes >= u.size && bytes % (u.size / 2) == 0) {
            if (bytes % u.size == 0) {
                return fmt::format("{} {}", bytes / u.size, u.name);
            }
            return fmt::format("{}.5 {}", bytes / u.size, u.name);
        }
    }
    return fmt::format("{} bytes", bytes);
}

void check_one_system(const PlanVm& vm, const MapContext& context, std::string_view cloud,
                      PlanNotes& notes) {
    if (context.source == nullptr) {
        return;
    }
    auto systems = ovf::virtual_systems(*context.source);
    if (systems.size() <= 1 || systems.front()->id != vm.system_id) {
        return;
    }
    notes.add("cloud-multi-vm", NoteAction::refused, vm,
              fmt::format("{} virtual systems", systems.size()),
              fmt::format("{} imports one virtual system; export each system of the collection "
                          "on its own",
                          cloud));
}

uint64_t written_size(const PlanDisk& disk) {
    return std::max(disk.capacity_bytes, disk.target_capacity_bytes);
}

void round_disks(PlanVm& vm, uint64_t unit, uint64_t minimum, std::string_view rule,
                 PlanNotes& notes) {
    for (PlanDisk& d : vm.disks) {
        const uint64_t from = written_size(d);
        auto rounded = align_up(std::max(from, minimum), unit);
        if (!rounded) {
            continue; // beyond 2^64: the size check refuses it
        }
        if (*rounded == from) {
            continue;
        }
        d.target_capacity_bytes = *rounded;
        notes.add("cloud-size-align", NoteAction::translated, vm, "disk " + d.disk_id,
                  fmt::format("{} bytes become {} ({} bytes: {}); the added {} bytes read as "
                              "zeros",
                              from, size_text(*rounded), *rounded, rule, *rounded - from));
    }
}

void drop_devices(PlanVm& vm, std::string_view cloud, PlanNotes& notes) {
    bool environment = false;
    size_t other_cds = 0;
    for (const PlanCdrom& c : vm.cdroms) {
        environment = environment || c.environment;
        other_cds += c.environment ? 0 : 1;
    }
    if (environment) {
        notes.add("vapp-props", NoteAction::dropped, vm, "environment CD-ROM",
                  fmt::format("{} attaches no CD image: the guest gets no OVF environment (pass "
                              "the values as the cloud's user data instead)",
                              cloud));
    }
    vm.cdroms.clear();
    // The controller the engine added for the environment CD goes with it.
    vm.controllers.erase(
        std::remove_if(vm.controllers.begin(), vm.controllers.end(),
                       [&](const PlanController& c) { return c.id == "plan-environment"; }),
        vm.controllers.end());
    if (other_cds > 0 || !vm.nics.empty()) {
        notes.add("cloud-devices", NoteAction::info, vm,
                  fmt::format("{} NIC{}, {} CD-ROM drive{}", vm.nics.size(),
                              vm.nics.size() == 1 ? "" : "s", other_cds, other_cds == 1 ? "" : "s"),
                  fmt::format("only the disks travel: {} creates the instance's network "
                              "interfaces and devices",
                              cloud));
    }
}

void note_drivers(const PlanVm& vm, std::string_view linux_needs, std::string_view windows_needs,
                  PlanNotes& notes) {
    const OsFamily family = vm.os.row != nullptr ? vm.os.row->family : OsFamily::other;
    std::string_view needs = family == OsFamily::windows ? windows_needs
                             : family == OsFamily::linux ? linux_needs
                                                         : std::string_view{};
    if (needs.empty()) {
        return;
    }
    notes.add("cloud-drivers", NoteAction::info, vm,
              std::string(vm.os.row != nullptr ? vm.os.row->display : "guest OS"),
              fmt::format("the guest needs {}; ovfkit neither checks nor installs drivers", needs));
}

} // namespace ovfkit::platform::cloud
