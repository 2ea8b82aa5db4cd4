// The proxmox target's mapping: the appliance's VM in, what qm configures
// out — one controller per bus (scsihw is one per VM), qm's slot numbers
// and bus limits, buses the guest can boot from, NIC models and bridges qm
// accepts, a DNS name. Every change is a coded note (docs/export.md).
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr std::string_view k_default_bridge = "vmbr0";

struct Noter {
    const PlanVm& vm;
    std::vector<PlanNote>& out;
    void operator()(std::string code, NoteAction action, std::string item, std::string reason) {
        out.push_back(
            PlanNote{std::move(code), action, vm.path, std::move(item), std::move(reason)});
    }
};

const PlanController* find_controller(const PlanVm& vm, const std::string& id) {
    for (const auto& c : vm.controllers) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

std::string controller_item(const PlanController* c) {
    return c == nullptr ? std::string("controller (missing)")
                        : fmt::format("controller {} ({})", shown(c->id), shown(c->model));
}

// Where a disk of a source controller goes on Proxmox.
struct Placement {
    Bus bus = Bus::sata;
    std::string scsihw;           // for Bus::scsi
    std::optional<unsigned> slot; // the slot the source address asks for
    std::string code;             // the note when the bus or model changed; "" when carried
    std::string reason;
};

Placement place_disk(const PlanVm& vm, const PlanController* c, unsigned unit) {
    const bool efi = vm.firmware == Firmware::efi;
    const bool virtio = vm.os.row != nullptr && vm.os.row->virtio;
    // Where a SCSI-ish disk goes when its model has no boot path here:
    // virtio-scsi for guests with virtio drivers, else SATA (AHCI drivers
    // are in every guest the table knows).
    auto fallback = [&](std::string code, std::string why) {
        Placement p;
        if (virtio) {
            p.bus = Bus::scsi;
            p.scsihw = "virtio-scsi-single";
            p.reason = why + "; virtio-scsi-single (the guest has virtio drivers)";
        } else {
            p.bus = Bus::sata;
            p.reason = why + "; SATA (the guest has no virtio drivers)";
        }
        p.code = std::move(code);
        return p;
    };
    if (c == nullptr) {
        return fallback("ctrl-unknown", "the disk names no controller of the VM");
    }
    std::string model = ascii_lower(c->model);
    switch (c->bus) {
    case Bus::ide:
        if (efi) {
            Placement p;
            p.bus = Bus::sata;
            p.code = "ctrl-ide-q35";
            p.reason = "UEFI VMs use the q35 machine, which has no IDE controller; SATA";
            return p;
        }
        return Placement{Bus::ide, "", c->index * 2 + unit, "", ""};
    case Bus::sata:
        return Placement{Bus::sata, "", unit, "", ""};
    case Bus::virtio:
        return Placement{Bus::virtio, "", unit, "", ""};
    case Bus::nvme:
        return fallback("ctrl-nvme", "Proxmox has no NVMe disk bus");
    case Bus::scsi:
        break;
    }
    std::optional<unsigned> slot;
    if (c->index == 0) {
        slot = unit;
    }
    if (model == "lsilogic") {
        if (efi) {
            auto p = fallback("fw-lsi-ovmf", "OVMF (UEFI) cannot boot from an LSI controller");
            p.slot = p.bus == Bus::scsi ? slot : std::nullopt;
            return p;
        }
        return Placement{Bus::scsi, "lsi", slot, "", ""};
    }
    if (model == "pvscsi") {
        return Placement{Bus::scsi, "pvscsi", slot, "", ""};
    }
    if (model == "virtio-scsi") {
        return Placement{Bus::scsi, "virtio-scsi-single", slot, "", ""};
    }
    Placement p;
    if (model == "lsilogicsas" || model == "buslogic") {
        p = fallback("ctrl-sas-buslogic", fmt::format("Proxmox has no {} controller", model));
    } else {
        p = fallback("ctrl-unknown",
                     fmt::format("unknown SCSI controller model '{}'", shown(c->model)));
    }
    p.slot = p.bus == Bus::scsi ? slot : std::nullopt;
    return p;
}

unsigned slot_count(Bus bus) {
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

std::string_view controller_id(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return k_ctrl_ide;
    case Bus::sata:
        return k_ctrl_sata;
    case Bus::scsi:
        return k_ctrl_scsi;
    case Bus::virtio:
    case Bus::nvme:
        break;
    }
    return k_ctrl_virtio;
}

Bus find_bus(std::string_view id) {
    if (id == k_ctrl_ide) {
        return Bus::ide;
    }
    if (id == k_ctrl_sata) {
        return Bus::sata;
    }
    return id == k_ctrl_scsi ? Bus::scsi : Bus::virtio;
}

// The slots taken on each bus, and the lowest free one.
class Slots {
public:
    std::optional<unsigned> take(Bus bus, std::optional<unsigned> wanted) {
        auto& used = m_used[bus];
        unsigned n = slot_count(bus);
        if (wanted && *wanted < n && !used.contains(*wanted)) {
            used.insert(*wanted);
            return wanted;
        }
        for (unsigned i = 0; i < n; ++i) {
            if (!used.contains(i)) {
                used.insert(i);
                return i;
            }
        }
        return std::nullopt;
    }

private:
    std::map<Bus, std::set<unsigned>> m_used;
};

void map_name(PlanVm& vm, Noter& note) {
    std::string name = dns_name(vm.name);
    if (name.empty()) {
        name = dns_name(vm.system_id);
    }
    if (name.empty()) {
        name = "vm";
    }
    if (name != vm.name) {
        note("name-dns", NoteAction::translated, "name",
             fmt::format("Proxmox names are DNS names: '{}' is written as '{}'", shown(vm.name),
                         name));
        vm.name = name;
    }
}

void map_os_and_firmware(PlanVm& vm, Noter& note) {
    std::string_view pve = vm.os.row != nullptr ? vm.os.row->pve : "";
    if (!is_ostype(pve)) {
        note("os-unmapped", NoteAction::info, "guest OS",
             fmt::format("no Proxmox ostype for '{}'; ostype other",
                         shown(vm.os.row != nullptr ? vm.os.row->key : "")));
    }
    if (vm.firmware == Firmware::efi) {
        vm.machine = "q35";
        note("fw-nvram", NoteAction::info, "firmware",
             "UEFI (OVMF, q35) with a new EFI vars disk: boot entries are not carried, the "
             "guest boots from \\EFI\\BOOT\\BOOTX64.EFI");
    } else {
        vm.machine = "pc";
        if (vm.secure_boot) {
            note("fw-secureboot", NoteAction::dropped, "firmware",
                 "Secure Boot needs UEFI; the VM has BIOS firmware");
            vm.secure_boot = false;
        }
    }
    if (vm.tpm) {
        note("tpm-state", NoteAction::info, "TPM",
             "a new, empty TPM 2.0 (tpmstate0); sealed keys need their recovery keys");
    }
}

void map_resources(PlanVm& vm, Noter& note) {
    if (vm.cpus == 0) {
        vm.cpus = 1;
    }
    uint64_t mib = vm.memory_bytes / k_mib + (vm.memory_bytes % k_mib != 0 ? 1 : 0);
    if (mib < k_min_memory_mib) {
        note("memory-min", NoteAction::translated, "memory",
             fmt::format("{} bytes is below Proxmox's minimum; {} MiB", vm.memory_bytes,
                         k_min_memory_mib));
        mib = k_min_memory_mib;
    }
    vm.memory_bytes = mib * k_mib;
    if (vm.description.find('\0') != std::string::npos) {
        std::erase(vm.description, '\0');
    }
    if (vm.description.size() > k_description_max) {
        // Cut at a character boundary: no UTF-8 continuation byte first.
        size_t cut = k_description_max;
        while (cut > 0 && (static_cast<unsigned char>(vm.description[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        note("description-length", NoteAction::translated, "description",
             fmt::format("{} bytes; Proxmox keeps {}, the rest is cut", vm.description.size(),
                         k_description_max));
        vm.description.resize(cut);
    }
}

void map_storage(PlanVm& vm, Noter& note) {
    // The boot disk first, so it keeps its address and decides scsihw.
    std::vector<size_t> order(vm.disks.size());
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    auto boot = std::find_if(vm.disks.begin(), vm.disks.end(), [](auto& d) { return d.boot; });
    size_t boot_index = boot == vm.disks.end() ? 0 : static_cast<size_t>(boot - vm.disks.begin());
    if (!vm.disks.empty()) {
        vm.disks[boot_index].boot = true;
        std::rotate(order.begin(), order.begin() + static_cast<long>(boot_index),
                    order.begin() + static_cast<long>(boot_index) + 1);
    }

    std::vector<Placement> places(vm.disks.size());
    std::set<std::string> noted;
    std::string scsihw;
    for (size_t i : order) {
        const PlanDisk& d = vm.disks[i];
        const PlanController* c = find_controller(vm, d.controller);
        places[i] = place_disk(vm, c, d.unit);
        if (!places[i].code.empty() && noted.insert(d.controller).second) {
            note(places[i].code, NoteAction::translated, controller_item(c), places[i].reason);
        }
        if (places[i].bus == Bus::scsi && scsihw.empty()) {
            scsihw = places[i].scsihw;
        }
    }
    // One scsihw per VM: the boot disk's (else the first SCSI disk's) wins.
    std::set<std::string> mixed_noted;
    for (size_t i : order) {
        Placement& p = places[i];
        if (p.bus == Bus::scsi && p.scsihw != scsihw) {
            const PlanDisk& d = vm.disks[i];
            if (mixed_noted.insert(d.controller).second) {
                note("ctrl-mixed-scsi", NoteAction::translated,
                     controller_item(find_controller(vm, d.controller)),
                     fmt::format("Proxmox has one SCSI model per VM; its disks move to {} (the "
                                 "boot disk's)",
                                 scsihw));
            }
            p.scsihw = scsihw;
            p.slot.reset();
        }
    }

    Slots slots;
    std::vector<bool> keep(vm.disks.size(), true);
    for (size_t i : order) {
        PlanDisk& d = vm.disks[i];
        const Placement& p = places[i];
        auto slot = slots.take(p.bus, p.slot);
        std::string item = fmt::format("disk {}", shown(d.disk_id));
        if (!slot) {
            note("ctrl-count", NoteAction::dropped, item,
                 fmt::format("no free {} slot (Proxmox has {})", slot_prefix(p.bus),
                             slot_count(p.bus)));
            keep[i] = false;
            continue;
        }
        if (p.slot && *slot != *p.slot) {
            note("ctrl-unit", NoteAction::translated, item,
                 fmt::format("address {} is taken or beyond {}0-{}; {}{}", *p.slot,
                             slot_prefix(p.bus), slot_count(p.bus) - 1, slot_prefix(p.bus), *slot));
        }
        d.controller = std::string(controller_id(p.bus));
        d.unit = *slot;
    }

    // CD-ROMs after the disks: IDE (ide2 by Proxmox's habit) on i440fx,
    // SATA on q35.
    const bool efi = vm.firmware == Firmware::efi;
    std::vector<bool> keep_cd(vm.cdroms.size(), true);
    for (size_t i = 0; i < vm.cdroms.size(); ++i) {
        PlanCdrom& cd = vm.cdroms[i];
        const PlanController* c = find_controller(vm, cd.controller);
        Bus bus = efi ? Bus::sata : Bus::ide;
        std::optional<unsigned> wanted;
        if (c != nullptr && c->bus == bus) {
            wanted = bus == Bus::ide ? c->index * 2 + cd.unit : cd.unit;
        } else if (bus == Bus::ide) {
            wanted = 2;
        }
        std::string item =
            cd.environment ? std::string("CD-ROM (OVF environment)") : fmt::format("CD-ROM {}", i);
        auto slot = slots.take(bus, wanted);
        if (!slot && bus == Bus::ide) {
            bus = Bus::sata;
            slot = slots.take(bus, std::nullopt);
        }
        if (!slot) {
            note("ctrl-count", NoteAction::dropped, item, "no free IDE or SATA slot");
            keep_cd[i] = false;
            continue;
        }
        if (c != nullptr && c->bus != bus && !cd.environment) {
            note("cdrom-bus", NoteAction::translated, item,
                 fmt::format("{} CD-ROM on {}{}", bus_label(c->bus), slot_prefix(bus), *slot));
        }
        cd.controller = std::string(controller_id(bus));
        cd.unit = *slot;
    }

    size_t k = 0;
    std::erase_if(vm.disks, [&](const PlanDisk&) { return !keep[k++]; });
    k = 0;
    std::erase_if(vm.cdroms, [&](const PlanCdrom&) { return !keep_cd[k++]; });

    // The controllers qm has: one per bus in use.
    std::set<Bus> used;
    for (const auto& d : vm.disks) {
        used.insert(find_bus(d.controller));
    }
    for (const auto& cd : vm.cdroms) {
        used.insert(find_bus(cd.controller));
    }
    vm.controllers.clear();
    for (Bus b : used) {
        std::string model = b == Bus::scsi ? scsihw : std::string(slot_prefix(b));
        vm.controllers.push_back(PlanController{std::string(controller_id(b)), b, model, 0});
    }
}

// Proxmox's own Linux bridges: vmbr0, vmbr1 ...
bool is_vmbr(std::string_view name) {
    return name.size() > 4 && name.size() <= 15 && name.starts_with("vmbr") &&
           std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void map_nics(PlanVm& vm, Noter& note) {
    const bool virtio = vm.os.row != nullptr && vm.os.row->virtio;
    const std::string_view emulated = vm.firmware == Firmware::efi ? "e1000e" : "e1000";
    if (vm.nics.size() > k_nic_slots) {
        for (size_t i = k_nic_slots; i < vm.nics.size(); ++i) {
            note("nic-count", NoteAction::dropped, fmt::format("NIC {}", i),
                 fmt::format("Proxmox has net0-net{}", k_nic_slots - 1));
        }
        vm.nics.resize(k_nic_slots);
    }
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        PlanNic& nic = vm.nics[i];
        std::string item = fmt::format("NIC {} ({})", i, shown(nic.model));
        std::string model = ascii_lower(nic.model);
        if (!is_nic_model(model) || model == "vmxnet3") {
            // Another hypervisor's device: virtio where the guest has its
            // driver, else the Intel NIC every guest drives.
            std::string to = virtio && model != "hyperv-legacy" ? "virtio" : std::string(emulated);
            note("nic-model", NoteAction::translated, item,
                 nic.model.empty() ? fmt::format("the appliance names no model; {}", to)
                                   : fmt::format("{} on Proxmox is {}", shown(nic.model), to));
            model = to;
        }
        nic.model = model;
        // A bridge must exist on the node: the appliance's own network
        // names rarely do, so only a name the user mapped with --net, or
        // one that is already a Proxmox bridge (vmbrN), is kept.
        const bool mapped = nic.network != nic.ovf_network;
        if (!is_bridge_name(nic.network) || (!mapped && !is_vmbr(nic.network))) {
            std::string why;
            if (nic.network.empty()) {
                why = "not connected in the appliance";
            } else if (!is_bridge_name(nic.network)) {
                why = fmt::format("network '{}' is not a Proxmox bridge name", shown(nic.network));
            } else {
                why = fmt::format("network '{}' is not mapped to a bridge", shown(nic.network));
            }
            note("net-bridge", NoteAction::translated, item,
                 fmt::format("{}; bridge {} (map it with --net NETWORK=BRIDGE)", why,
                             k_default_bridge));
            nic.network = std::string(k_default_bridge);
        }
        if (nic.mac) {
            std::string mac = *nic.mac;
            std::transform(mac.begin(), mac.end(), mac.begin(),
                           [](char c) { return c >= 'a' && c <= 'f' ? char(c - 32) : c; });
            if (is_unicast_mac(mac)) {
                nic.mac = mac;
            } else {
                note("nic-mac", NoteAction::dropped, item,
                     fmt::format("'{}' is not a unicast MAC address; Proxmox makes one",
                                 shown(*nic.mac)));
                nic.mac.reset();
            }
        }
    }
}

} // namespace

void map_vm(PlanVm& vm, const MapContext& context, std::vector<PlanNote>& out) {
    (void)context;
    Noter note{vm, out};
    map_name(vm, note);
    map_os_and_firmware(vm, note);
    map_resources(vm, note);
    map_storage(vm, note);
    map_nics(vm, note);
}

} // namespace ovfkit::platform::proxmox
