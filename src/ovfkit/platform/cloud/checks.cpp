// Shared cloud plan checks; see checks.hpp.
#include <algorithm>

#include <fmt/format.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/boot_layout.hpp>
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

void check_boot_disk(const PlanVm& vm, const MapContext& context, std::string_view cloud,
                     bool sectors_512_only, PlanNotes& notes) {
    if (!context.boot_layout || vm.disks.empty()) {
        return;
    }
    auto boot =
        std::find_if(vm.disks.begin(), vm.disks.end(), [](const PlanDisk& d) { return d.boot; });
    const PlanDisk& d = boot == vm.disks.end() ? vm.disks.front() : *boot;
    const std::string item = "disk " + d.disk_id;
    if (d.file_id.empty()) {
        notes.add("cloud-firmware", NoteAction::info, vm, item,
                  "the boot disk is blank: nothing on it can boot");
        return;
    }
    auto layout = context.boot_layout(d);
    if (!layout) {
        notes.add("cloud-firmware", NoteAction::info, vm, item,
                  "the boot disk's partition table was not inspected: " + layout.error().message);
        return;
    }
    const bool uefi = vm.firmware == Firmware::efi;
    const std::string_view declared = uefi ? "UEFI" : "BIOS";
    using disk::BootFirmware;
    const BootFirmware can = layout->firmware;
    if (layout->sector_size != 512) {
        notes.add("cloud-sector-size", sectors_512_only ? NoteAction::refused : NoteAction::info,
                  vm, item,
                  sectors_512_only
                      ? fmt::format("{}: its GPT is laid out for 4096-byte sectors and {} "
                                    "presents 512-byte sectors, so nothing on it would be found",
                                    layout->summary, cloud)
                      : fmt::format("{}: {} was not checked to present 4096-byte sectors",
                                    layout->summary, cloud));
    }
    if (!layout->gpt && layout->mbr && d.capacity_bytes > 2 * k_tib) {
        notes.add("cloud-mbr-2t", NoteAction::refused, vm, item,
                  fmt::format("an MBR disk of {} bytes: MBR addresses 2 TiB; convert it to GPT "
                              "in the guest first",
                              d.capacity_bytes));
    }
    if (can == BootFirmware::both || (uefi && can == BootFirmware::uefi) ||
        (!uefi && can == BootFirmware::bios)) {
        notes.add("cloud-firmware", NoteAction::info, vm, item,
                  fmt::format("{}: boots with {}, as the VM declares", layout->summary,
                              can == BootFirmware::both ? "BIOS or UEFI" : declared));
        return;
    }
    if (!uefi && layout->gpt && layout->mbr_boot_code) {
        // Boot code in the protective MBR may still start a GPT disk.
        notes.add("cloud-gpt-bios", NoteAction::info, vm, item,
                  fmt::format("{}: a BIOS boot of a GPT disk without a BIOS boot partition, a "
                              "legacy-bootable partition or a hybrid MBR may fail",
                              layout->summary));
        return;
    }
    if (can == BootFirmware::none) {
        notes.add("cloud-firmware", NoteAction::info, vm, item,
                  fmt::format("{}: neither BIOS nor UEFI would find a boot loader on it; {} "
                              "will not boot it unless the guest's tables are not what they seem",
                              layout->summary, cloud));
        return;
    }
    notes.add("cloud-firmware", NoteAction::refused, vm, item,
              fmt::format("{}: only {} can boot it, and the VM declares {}; set the firmware "
                          "the disk was installed for",
                          layout->summary, uefi ? "BIOS" : "UEFI", declared));
}

} // namespace ovfkit::platform::cloud
