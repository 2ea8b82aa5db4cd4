// The qm config of a mapped VM (qemu-server's /etc/pve/qemu-server format,
// main section, keys sorted as qm writes them). Disks are in qm create's
// form, `STORAGE:0,import-from=FILE`, on the default storage, with FILE
// relative to the export directory: the config is the reference for what
// import.sh creates (docs/export.md). It renders and checks; map() decided.
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/proxmox/check.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr std::string_view k_storage = "local-lvm";
constexpr std::string_view k_iso_storage = "local";

// The drive's informational size= in qm's units.
std::string disk_size(uint64_t bytes) {
    constexpr uint64_t gib = uint64_t{1} << 30;
    if (bytes % gib == 0) {
        return fmt::format("{}G", bytes / gib);
    }
    if (bytes % k_mib == 0) {
        return fmt::format("{}M", bytes / k_mib);
    }
    return fmt::format("{}K", (bytes + 1023) / 1024);
}

} // namespace

std::string drive_options(const PlanVm& vm, const PlanDisk& disk) {
    std::string o = ",discard=on";
    const PlanController* c = mapped_controller(vm, disk.controller);
    if (c != nullptr &&
        (c->bus == Bus::virtio || (c->bus == Bus::scsi && c->model == "virtio-scsi-single"))) {
        o += ",iothread=1";
    }
    return o;
}

std::string boot_order(const PlanVm& vm) {
    std::vector<std::string> order;
    for (const auto& d : vm.disks) {
        std::string slot = slot_name(vm, d.controller, d.unit);
        if (d.boot) {
            order.insert(order.begin(), slot);
        } else {
            order.push_back(slot);
        }
    }
    for (const auto& cd : vm.cdroms) {
        if (!cd.environment && !cd.file_name.empty()) {
            order.push_back(slot_name(vm, cd.controller, cd.unit));
        }
    }
    std::string out = "order=";
    for (size_t i = 0; i < order.size(); ++i) {
        out += (i == 0 ? "" : ";") + order[i];
    }
    return out;
}

std::string startup(const PlanVm& vm) {
    if (vm.start_order == 0) {
        return "";
    }
    std::string s = fmt::format("order={}", vm.start_order);
    if (vm.start_delay_s != 0) {
        s += fmt::format(",up={}", vm.start_delay_s);
    }
    if (vm.stop_delay_s != 0) {
        s += fmt::format(",down={}", vm.stop_delay_s);
    }
    return s;
}

std::string net_value(const PlanNic& nic) {
    return fmt::format("{}{},bridge={}", nic.model, nic.mac ? "=" + *nic.mac : std::string(),
                       nic.network);
}

std::string ostype(const PlanVm& vm) {
    std::string_view pve = vm.os.row != nullptr ? vm.os.row->pve : "";
    return is_ostype(pve) ? std::string(pve) : "other";
}

std::string efidisk_options(const PlanVm& vm) {
    return fmt::format(",efitype=4m,pre-enrolled-keys={}", vm.secure_boot ? 1 : 0);
}

Result<std::string> write_config(const ExportPlan& plan, const PlanVm& vm) {
    (void)plan;
    if (auto ok = check_mapped(vm); !ok) {
        return tl::unexpected(ok.error());
    }
    std::map<std::string, std::string> keys;
    keys["name"] = vm.name;
    keys["ostype"] = ostype(vm);
    keys["sockets"] = "1";
    keys["cores"] = fmt::format("{}", vm.cpus);
    keys["memory"] = fmt::format("{}", vm.memory_bytes / k_mib);
    keys["bios"] = vm.firmware == Firmware::efi ? "ovmf" : "seabios";
    if (vm.firmware == Firmware::efi) {
        keys["machine"] = "q35";
        keys["efidisk0"] = fmt::format("{}:1{}", k_storage, efidisk_options(vm));
    }
    if (vm.tpm) {
        keys["tpmstate0"] = fmt::format("{}:1,version=v2.0", k_storage);
    }
    for (const auto& c : vm.controllers) {
        if (c.bus == Bus::scsi) {
            keys["scsihw"] = c.model;
        }
    }
    for (const auto& d : vm.disks) {
        keys[slot_name(vm, d.controller, d.unit)] =
            fmt::format("{}:0,import-from={}{},size={}", k_storage, d.file_name,
                        drive_options(vm, d), disk_size(d.capacity_bytes));
    }
    for (const auto& cd : vm.cdroms) {
        keys[slot_name(vm, cd.controller, cd.unit)] =
            cd.file_name.empty() ? std::string("none,media=cdrom")
                                 : fmt::format("{}:iso/{},media=cdrom", k_iso_storage,
                                               iso_name("VMID", cd.file_name));
    }
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        keys[fmt::format("net{}", i)] = net_value(vm.nics[i]);
    }
    if (!vm.disks.empty()) {
        keys["boot"] = boot_order(vm);
    }
    if (std::string s = startup(vm); !s.empty()) {
        keys["startup"] = s;
    }

    std::string out;
    if (!vm.description.empty()) {
        size_t start = 0;
        while (start <= vm.description.size()) {
            size_t nl = vm.description.find('\n', start);
            if (nl == std::string::npos) {
                nl = vm.description.size();
            }
            out += "#" + encode_text(std::string_view(vm.description).substr(start, nl - start)) +
                   "\n";
            start = nl + 1;
        }
    }
    for (const auto& [k, v] : keys) {
        out += k + ": " + v + "\n";
    }
    return out;
}

std::vector<std::string> config_names(const ExportPlan& plan) {
    std::vector<std::string> names;
    std::set<std::string> taken{"import.sh"};
    for (const auto& vm : plan.vms) {
        std::string base = is_dns_name(vm.name) ? vm.name : "vm";
        std::string name = base + ".conf";
        for (unsigned n = 2; taken.contains(name); ++n) {
            name = fmt::format("{}-{}.conf", base, n);
        }
        taken.insert(name);
        names.push_back(name);
    }
    return names;
}

} // namespace ovfkit::platform::proxmox
