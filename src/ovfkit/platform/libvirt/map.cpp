// The libvirt mapping; the rules are in map.hpp.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/libvirt/map.hpp>

namespace ovfkit::platform::libvirt {

namespace {

// Where a device goes on the target.
struct Slot {
    Bus bus = Bus::sata;
    std::string model; // the PlanController model: "ahci", "piix4", "virtio-blk", "virtio-scsi"
};

std::string controller_label(const PlanController* c, const std::string& id) {
    if (c == nullptr) {
        return fmt::format("controller {}", id);
    }
    return fmt::format("controller {} ({})", c->id, c->model);
}

// The code and the reason for moving a disk controller, or nothing when
// the device stays where it was.
struct Move {
    std::string code;
    std::string reason;
};

std::optional<Move> describe_move(const PlanController* from, const Slot& to, const PlanVm& vm,
                                  bool virtio_guest) {
    std::string model = from != nullptr ? ascii_lower(from->model) : std::string();
    if (from != nullptr && from->bus == to.bus && (to.bus != Bus::scsi || model == to.model)) {
        return std::nullopt;
    }
    std::string where = to.bus == Bus::virtio ? std::string("virtio-blk")
                        : to.bus == Bus::scsi ? fmt::format("SCSI ({})", to.model)
                                              : std::string(bus_label(to.bus));
    std::string why =
        virtio_guest ? "the guest has in-box virtio drivers" : "the guest may lack virtio drivers";
    if (from == nullptr) {
        return Move{"disk-bus", fmt::format("attached to {}: {}", where, why)};
    }
    if (vm.firmware == Firmware::efi && (model == "lsilogic" || model == "lsilogicsas")) {
        return Move{"fw-lsi-ovmf",
                    fmt::format("OVMF cannot boot from LSI controllers; moved to {}", where)};
    }
    if (model == "lsilogicsas" || model == "buslogic") {
        return Move{"ctrl-sas-buslogic", fmt::format("QEMU has no {} controller; moved to {} ({})",
                                                     from->model, where, why)};
    }
    if (model == "pvscsi") {
        return Move{"ctrl-pvscsi",
                    fmt::format("PVSCSI needs VMware's driver; moved to {} ({})", where, why)};
    }
    if (model == "nvme") {
        return Move{"ctrl-nvme", fmt::format("moved to {} ({})", where, why)};
    }
    if (from->bus == Bus::ide && to.bus == Bus::sata) {
        return Move{"ctrl-ide-q35",
                    fmt::format("machine {} has no IDE; moved to SATA (the guest needs its AHCI "
                                "driver enabled)",
                                vm.machine)};
    }
    return Move{"disk-bus", fmt::format("moved to {} ({})", where, why)};
}

constexpr std::array<std::string_view, 4> k_kept_nics{"e1000", "e1000e", "rtl8139", "pcnet"};

std::string sanitized_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        out += (c == '/' || u < 0x20 || u == 0x7f) ? '_' : c;
    }
    return out;
}

} // namespace

bool valid_mac(std::string_view mac) {
    if (mac.size() != 17) {
        return false;
    }
    for (size_t i = 0; i < mac.size(); ++i) {
        char c = mac[i];
        if (i % 3 == 2) {
            if (c != ':') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return hex_digit(mac[1]) % 2 == 0; // the group bit: multicast is refused by libvirt
}

std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& context) {
    std::vector<MapNote> notes;
    auto note = [&](std::string code, NoteAction action, std::string item, std::string reason) {
        notes.push_back(MapNote{std::move(code), action, std::move(item), std::move(reason)});
    };
    const bool virtio_guest = vm.os.row != nullptr && vm.os.row->virtio;
    const std::string os_name =
        vm.os.row != nullptr ? std::string(vm.os.row->display) : std::string("unknown guest");

    // The name: libvirt's QEMU driver refuses '/', the schema a newline.
    if (std::string clean = sanitized_name(vm.name); clean != vm.name || clean.empty()) {
        note("vm-name", NoteAction::translated, "VM name",
             "'/' and control characters cannot be in a libvirt domain name; replaced by '_'");
        vm.name = clean.empty() ? std::string("vm") : clean;
    }

    // The machine.
    const PlanDisk* boot = nullptr;
    for (const auto& d : vm.disks) {
        if (d.boot) {
            boot = &d;
            break;
        }
    }
    if (boot == nullptr && !vm.disks.empty()) {
        boot = &vm.disks.front();
    }
    const PlanController* boot_ctrl = boot != nullptr ? vm.controller(boot->controller) : nullptr;
    const bool boots_from_ide = boot_ctrl != nullptr && boot_ctrl->bus == Bus::ide;
    if (vm.firmware == Firmware::efi) {
        vm.machine = "q35";
        note("machine", NoteAction::info, "machine", "q35: UEFI guests run on q35 (OVMF, SMM)");
    } else if (boots_from_ide && !virtio_guest) {
        vm.machine = "pc";
        note("machine", NoteAction::info, "machine",
             fmt::format("pc (i440fx): a BIOS guest ({}) that boots from IDE and may lack "
                         "virtio drivers keeps IDE, which q35 has not",
                         os_name));
    } else {
        vm.machine = "q35";
        note("machine", NoteAction::info, "machine", "q35");
    }

    // Firmware.
    if (vm.firmware == Firmware::efi) {
        note("fw-nvram", NoteAction::info, "firmware",
             "UEFI variables are not carried; the guest boots through its ESP's "
             "\\EFI\\BOOT\\BOOTX64.EFI; libvirt picks OVMF from the host's firmware descriptors");
        if (vm.secure_boot) {
            note("fw-secureboot", NoteAction::info, "Secure Boot",
                 "kept: requires an OVMF build with Microsoft keys enrolled on the host "
                 "(libvirt selects one by the enrolled-keys feature)");
        }
    } else if (vm.secure_boot) {
        vm.secure_boot = false;
        note("fw-secureboot", NoteAction::dropped, "Secure Boot", "Secure Boot needs UEFI");
    }
    // A TPM is carried (tpm-crb, swtpm); the engine notes its lost state.

    // Disks and CD-ROMs: decide each device's slot, then number them.
    auto slot_for_disk = [&](const PlanController* c) -> Slot {
        if (virtio_guest) {
            if (c != nullptr && ascii_lower(c->model) == "virtio-scsi") {
                return Slot{Bus::scsi, "virtio-scsi"};
            }
            return Slot{Bus::virtio, "virtio-blk"};
        }
        if (c != nullptr && c->bus == Bus::ide && vm.machine == "pc") {
            return Slot{Bus::ide, "piix4"};
        }
        return Slot{Bus::sata, "ahci"};
    };
    auto slot_for_cdrom = [&](const PlanCdrom& cd, const PlanController* c) -> Slot {
        if (!cd.environment && c != nullptr && c->bus == Bus::ide && vm.machine == "pc") {
            return Slot{Bus::ide, "piix4"};
        }
        return Slot{Bus::sata, "ahci"};
    };

    std::vector<PlanController> controllers;
    unsigned next_virtio = 0;
    unsigned next_sata = 0;
    unsigned next_ide = 0;
    unsigned next_scsi = 0;
    // Gives the next free unit on `slot`'s bus, adding its controller the
    // first time; IDE beyond its four units spills to SATA.
    auto place = [&](Slot slot, std::string& controller, unsigned& unit, const std::string& item) {
        if (slot.bus == Bus::ide && next_ide >= k_ide_units) {
            note("ctrl-count", NoteAction::translated, item,
                 "IDE has four units and they are taken; moved to SATA");
            slot = Slot{Bus::sata, "ahci"};
        }
        auto use = [&](std::string id, unsigned index, unsigned u) {
            if (std::none_of(controllers.begin(), controllers.end(),
                             [&](const PlanController& c) { return c.id == id; })) {
                controllers.push_back(PlanController{id, slot.bus, slot.model, index});
            }
            controller = std::move(id);
            unit = u;
        };
        switch (slot.bus) {
        case Bus::virtio:
            use("plan-virtio", 0, next_virtio++);
            break;
        case Bus::ide:
            use("plan-ide0", 0, next_ide++);
            break;
        case Bus::scsi:
            use("plan-scsi0", 0, next_scsi++);
            break;
        default: {
            unsigned n = next_sata++;
            use(fmt::format("plan-sata{}", n / k_sata_ports), n / k_sata_ports, n % k_sata_ports);
            break;
        }
        }
    };

    // Notes once per source controller.
    std::vector<std::string> noted;
    auto note_move = [&](const std::string& source_id, const Slot& slot) {
        if (std::find(noted.begin(), noted.end(), source_id) != noted.end()) {
            return;
        }
        noted.push_back(source_id);
        const PlanController* from = vm.controller(source_id);
        if (auto move = describe_move(from, slot, vm, virtio_guest)) {
            note(move->code, NoteAction::translated, controller_label(from, source_id),
                 move->reason);
        }
    };

    // The boot disk takes the first unit of its bus (vda, sda, hda).
    std::vector<size_t> order;
    for (size_t i = 0; i < vm.disks.size(); ++i) {
        if (&vm.disks[i] == boot) {
            order.insert(order.begin(), i);
        } else {
            order.push_back(i);
        }
    }
    for (size_t i : order) {
        PlanDisk& d = vm.disks[i];
        const PlanController* from = vm.controller(d.controller);
        Slot slot = slot_for_disk(from);
        note_move(d.controller, slot);
        d.boot = &d == boot;
        place(slot, d.controller, d.unit, fmt::format("disk {}", d.disk_id));
    }
    for (auto& cd : vm.cdroms) {
        const PlanController* from = vm.controller(cd.controller);
        Slot slot = slot_for_cdrom(cd, from);
        // The engine notes the environment CD it adds (env-cdrom); only a
        // move is the target's.
        if (from == nullptr || from->bus != slot.bus) {
            note("cdrom-bus", NoteAction::translated,
                 cd.environment ? "OVF environment CD-ROM" : "CD-ROM",
                 fmt::format("on {}: virtio-blk and q35 carry no CD-ROM of their own",
                             bus_label(slot.bus)));
        }
        place(slot, cd.controller, cd.unit, "CD-ROM");
    }
    vm.controllers = std::move(controllers);

    // NICs.
    unsigned n = 0;
    for (auto& nic : vm.nics) {
        ++n;
        std::string item = fmt::format("NIC {} ({})", n, nic.model);
        std::string model = ascii_lower(nic.model);
        std::string to;
        if (virtio_guest) {
            to = "virtio";
        } else if (std::find(k_kept_nics.begin(), k_kept_nics.end(), model) != k_kept_nics.end()) {
            to = model;
        } else {
            to = vm.machine == "pc" ? "e1000" : "e1000e";
        }
        if (to != nic.model) {
            note("nic-model", NoteAction::translated, item,
                 fmt::format("{} -> {}: {}", nic.model.empty() ? "(none)" : nic.model, to,
                             virtio_guest ? "the guest has in-box virtio drivers"
                                          : "a model the guest drives without extra software"));
            nic.model = to;
        }
        if (nic.network.empty()) {
            nic.network = "default";
            note("nic-network", NoteAction::translated, item,
                 "no network named; connected to libvirt's 'default' network");
        }
        if (nic.mac) {
            std::string mac = ascii_lower(*nic.mac);
            if (valid_mac(mac)) {
                nic.mac = mac;
            } else {
                nic.mac.reset();
                note("nic-mac", NoteAction::dropped, item,
                     "not a unicast MAC address libvirt accepts; libvirt assigns one");
            }
        }
    }

    if (vm.start_order != 0) {
        note("startup-order", NoteAction::info, "startup order",
             fmt::format("libvirt has no startup order; position {} (delay {} s) is written "
                         "to start-order.txt",
                         vm.start_order, vm.start_delay_s));
    }
    (void)context;
    return notes;
}

} // namespace ovfkit::platform::libvirt
