// The proxmox writers' checks and the slot names they share.
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/proxmox/check.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

unsigned slots(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return k_ide_slots;
    case Bus::sata:
        return k_sata_slots;
    case Bus::scsi:
        return k_scsi_slots;
    case Bus::virtio:
        return k_virtio_slots;
    case Bus::nvme:
        break;
    }
    return 0;
}

tl::unexpected<Error> refuse(const PlanVm& vm, std::string what) {
    return fail(Errc::invalid, "proxmox: VM '{}': {}", shown(vm.path), what);
}

} // namespace

const PlanController* mapped_controller(const PlanVm& vm, std::string_view id) {
    for (const auto& c : vm.controllers) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

std::string slot_name(const PlanVm& vm, std::string_view controller, unsigned unit) {
    const PlanController* c = mapped_controller(vm, controller);
    return c == nullptr ? std::string() : fmt::format("{}{}", slot_prefix(c->bus), unit);
}

std::string iso_name(std::string_view vmid, std::string_view file) {
    std::string name = fmt::format("ovfkit-{}-{}", vmid, file);
    if (!name.ends_with(".iso")) {
        name += ".iso";
    }
    return name;
}

tl::expected<void, Error> check_mapped(const PlanVm& vm) {
    if (!is_dns_name(vm.name)) {
        return refuse(vm, fmt::format("name '{}' is not a DNS name", shown(vm.name)));
    }
    if (vm.cpus == 0 || vm.cpus > 8192) {
        return refuse(vm, fmt::format("{} vCPUs is outside 1-8192", vm.cpus));
    }
    if (vm.memory_bytes < (k_min_memory_mib << 20) || vm.memory_bytes % (uint64_t{1} << 20) != 0) {
        return refuse(vm, fmt::format("memory {} bytes is not a whole number of MiB from 16 MiB",
                                      vm.memory_bytes));
    }
    std::set<std::string> taken;
    unsigned scsi_controllers = 0;
    for (const auto& c : vm.controllers) {
        if (c.bus == Bus::nvme || slot_prefix(c.bus).empty()) {
            return refuse(vm, fmt::format("controller '{}' is on a bus qm has not", shown(c.id)));
        }
        if (c.bus == Bus::scsi && !is_scsihw(c.model)) {
            return refuse(vm, fmt::format("SCSI model '{}' is not a scsihw", shown(c.model)));
        }
        if (c.bus == Bus::scsi && ++scsi_controllers > 1) {
            return refuse(vm, "more than one SCSI controller (qm has one scsihw)");
        }
    }
    auto slot_ok = [&](std::string_view ctrl, unsigned unit, std::string_view what,
                       std::string_view file) -> tl::expected<void, Error> {
        const PlanController* c = mapped_controller(vm, ctrl);
        if (c == nullptr) {
            return refuse(vm, fmt::format("{} is on no controller of the VM", what));
        }
        if (unit >= slots(c->bus)) {
            return refuse(vm,
                          fmt::format("{} at {}{} is beyond qm's {}0-{}", what, slot_prefix(c->bus),
                                      unit, slot_prefix(c->bus), slots(c->bus) - 1));
        }
        if (!taken.insert(slot_name(vm, ctrl, unit)).second) {
            return refuse(vm,
                          fmt::format("{} at {} shares its slot", what, slot_name(vm, ctrl, unit)));
        }
        if (!file.empty() && !is_file_name(file)) {
            return refuse(
                vm, fmt::format("{} file name '{}' is not [A-Za-z0-9._-]", what, shown(file)));
        }
        return {};
    };
    for (const auto& d : vm.disks) {
        if (d.file_name.empty()) {
            return refuse(vm, fmt::format("disk '{}' has no file", shown(d.disk_id)));
        }
        if (auto ok = slot_ok(d.controller, d.unit, fmt::format("disk '{}'", shown(d.disk_id)),
                              d.file_name);
            !ok) {
            return ok;
        }
    }
    for (const auto& cd : vm.cdroms) {
        if (auto ok = slot_ok(cd.controller, cd.unit, "CD-ROM", cd.file_name); !ok) {
            return ok;
        }
    }
    if (vm.nics.size() > k_nic_slots) {
        return refuse(vm,
                      fmt::format("{} NICs, qm has net0-net{}", vm.nics.size(), k_nic_slots - 1));
    }
    for (const auto& nic : vm.nics) {
        if (!is_nic_model(nic.model)) {
            return refuse(vm, fmt::format("NIC model '{}' is not one qm takes", shown(nic.model)));
        }
        if (!is_bridge_name(nic.network)) {
            return refuse(
                vm, fmt::format("bridge '{}' is not a Proxmox bridge name", shown(nic.network)));
        }
        if (nic.mac && !is_unicast_mac(*nic.mac)) {
            return refuse(vm, fmt::format("MAC '{}' is not a unicast MAC", shown(*nic.mac)));
        }
    }
    if (vm.description.find('\0') != std::string::npos) {
        return refuse(vm, "the description holds a NUL byte");
    }
    if (vm.description.size() > k_description_max) {
        return refuse(vm, fmt::format("the description is over {} bytes", k_description_max));
    }
    return {};
}

} // namespace ovfkit::platform::proxmox
