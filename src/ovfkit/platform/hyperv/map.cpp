// The hyperv target's mapping: the appliance's VM in, what the cmdlets of
// import.ps1 create out — the generation from the firmware, Hyper-V's IDE
// (Gen 1) and synthetic SCSI locations, synthetic or legacy network
// adapters on the plan's switches, memory and processors in Hyper-V's
// bounds. Every change is a coded note (docs/export.md, "hyperv").
#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

struct Noter {
    const PlanVm& vm;
    std::vector<PlanNote>& out;
    void operator()(std::string code, NoteAction action, std::string item, std::string reason) {
        out.push_back(
            PlanNote{std::move(code), action, vm.path, std::move(item), std::move(reason)});
    }
};

std::string controller_id(Bus bus, unsigned number) {
    return fmt::format("{}{}", bus == Bus::ide ? k_ide_prefix : k_scsi_prefix, number);
}

// Windows releases without Hyper-V's integration drivers in the box.
constexpr std::array<std::string_view, 11> k_windows_without_ic{
    "windows",   "windows-64", "win2k",       "winxp",  "winxp-64", "win2k3",
    "win2k3-64", "winvista",   "winvista-64", "win2k8", "win2k8-64"};

// The IDE and SCSI locations taken, and the next free one.
class Locations {
public:
    explicit Locations(int generation) : m_generation(generation) {}

    bool take_ide(unsigned controller, unsigned location) {
        if (m_generation != 1 || controller >= k_ide_controllers || location >= k_ide_locations) {
            return false;
        }
        return m_ide.insert(controller * k_ide_locations + location).second;
    }
    std::optional<std::pair<unsigned, unsigned>> next_ide() {
        for (unsigned k = 0; k < k_ide_controllers * k_ide_locations; ++k) {
            if (take_ide(k / k_ide_locations, k % k_ide_locations)) {
                return std::pair{k / k_ide_locations, k % k_ide_locations};
            }
        }
        return std::nullopt;
    }
    std::optional<std::pair<unsigned, unsigned>> next_scsi() {
        for (unsigned k = 0; k < k_scsi_controllers * k_scsi_locations; ++k) {
            if (m_scsi.insert(k).second) {
                return std::pair{k / k_scsi_locations, k % k_scsi_locations};
            }
        }
        return std::nullopt;
    }

private:
    int m_generation;
    std::set<unsigned> m_ide;
    std::set<unsigned> m_scsi;
};

void map_name(PlanVm& vm, Noter& note) {
    // Hyper-V takes any text as a name; controls would garble every
    // listing, and Hyper-V Manager stops at 100 characters.
    std::string name;
    size_t chars = 0;
    for (size_t i = 0; i < vm.name.size(); ++i) {
        auto c = static_cast<unsigned char>(vm.name[i]);
        if ((c & 0xC0) != 0x80) {
            ++chars;
        }
        if (chars > k_name_max) {
            break;
        }
        name += c < 0x20 || c == 0x7F ? ' ' : vm.name[i];
    }
    // Cut at a character boundary: no dangling UTF-8 continuation bytes.
    while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0x80) != 0) {
        size_t lead = name.size() - 1;
        while (lead > 0 && (static_cast<unsigned char>(name[lead]) & 0xC0) == 0x80) {
            --lead;
        }
        auto b = static_cast<unsigned char>(name[lead]);
        size_t want = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        if (want == name.size() - lead) {
            break;
        }
        name.resize(lead);
    }
    if (name.find_first_not_of(' ') == std::string::npos) {
        name = vm.system_id.empty() ? std::string("vm") : vm.system_id.substr(0, k_name_max);
    }
    if (name != vm.name) {
        note("name-hyperv", NoteAction::translated, "name",
             fmt::format("'{}' is written as '{}' (no control characters, at most {} "
                         "characters)",
                         shown(vm.name), shown(name), k_name_max));
        vm.name = name;
    }
}

void map_firmware(PlanVm& vm, Noter& note) {
    const GuestOsRow* row = vm.os.row;
    if (vm.firmware == Firmware::efi) {
        vm.machine = "2";
        if (row != nullptr && !row->x64) {
            note("arch", NoteAction::dropped, "firmware",
                 fmt::format("generation 2 (UEFI) runs 64-bit guests only; {} will not start",
                             row->display));
        }
        if (vm.secure_boot) {
            note("fw-secureboot", NoteAction::info, "firmware",
                 fmt::format("Secure Boot on, template {}", secure_boot_template(vm)));
        } else {
            note("fw-secureboot", NoteAction::info, "firmware",
                 fmt::format("Secure Boot off, as in the appliance (Hyper-V turns it on by "
                             "default); template {} set for when it is turned on",
                             secure_boot_template(vm)));
        }
        note("fw-nvram", NoteAction::info, "firmware",
             "generation 2 (UEFI) with new firmware variables: boot entries are not carried, "
             "the guest boots from \\EFI\\BOOT\\BOOTX64.EFI");
        if (vm.tpm) {
            note("tpm-state", NoteAction::info, "TPM",
                 "a new, empty virtual TPM (local key protector); sealed keys need their "
                 "recovery keys");
        }
        return;
    }
    vm.machine = "1";
    if (row != nullptr && row->hyperv_generation == 2) {
        note("fw-generation", NoteAction::info, "firmware",
             fmt::format("generation 1: the appliance boots with BIOS (generation 2 is UEFI "
                         "only), although {} also runs as generation 2",
                         row->display));
    }
    if (vm.secure_boot) {
        note("fw-secureboot", NoteAction::dropped, "firmware",
             "Secure Boot needs UEFI (generation 2); the VM has BIOS firmware");
        vm.secure_boot = false;
    }
    if (vm.tpm) {
        note("tpm-state", NoteAction::dropped, "TPM",
             "a virtual TPM needs generation 2 (UEFI); the VM has BIOS firmware");
        vm.tpm = false;
    }
}

uint64_t round_memory(uint64_t bytes) {
    uint64_t r = bytes % k_memory_step;
    return r == 0 ? bytes : bytes + (k_memory_step - r);
}

void map_resources(PlanVm& vm, Noter& note) {
    const bool gen2 = vm.machine == "2";
    const uint64_t max_cpus = gen2 ? k_max_cpus_gen2 : k_max_cpus_gen1;
    if (vm.cpus == 0) {
        vm.cpus = 1;
    }
    if (vm.cpus > max_cpus) {
        note("cpu-count", NoteAction::translated, "processors",
             fmt::format("{} virtual processors; a generation {} VM has at most {}", vm.cpus,
                         vm.machine, max_cpus));
        vm.cpus = max_cpus;
    }
    const uint64_t max_memory = gen2 ? k_max_memory_gen2 : k_max_memory_gen1;
    auto fit = [&](uint64_t bytes, std::string_view what) {
        uint64_t fitted = std::clamp(round_memory(bytes), k_min_memory, max_memory);
        if (fitted != bytes) {
            note("memory-round", NoteAction::translated, std::string(what),
                 fmt::format("{} bytes; Hyper-V takes whole 2 MiB from 32 MiB to {} GiB: {} MiB",
                             bytes, max_memory >> 30, fitted >> 20));
        }
        return fitted;
    };
    vm.memory_bytes = fit(vm.memory_bytes, "memory");
    if (vm.memory_min_bytes != 0 || vm.memory_max_bytes != 0) {
        vm.memory_min_bytes = std::min(fit(vm.memory_min_bytes, "memory minimum"), vm.memory_bytes);
        vm.memory_max_bytes = std::max(fit(vm.memory_max_bytes, "memory maximum"), vm.memory_bytes);
        note("memory-dynamic", NoteAction::info, "memory",
             fmt::format("dynamic memory: starts with {} MiB, from {} to {} MiB",
                         vm.memory_bytes >> 20, vm.memory_min_bytes >> 20,
                         vm.memory_max_bytes >> 20));
    }
    if (vm.start_order != 0) {
        note("start-order", NoteAction::info, "startup",
             "Hyper-V has no start order between VMs; import.ps1 creates them in the "
             "appliance's order, and the host starts them by each VM's automatic start action");
    }
}

// Why a disk's controller is not carried as it is, "" when it is.
std::pair<std::string, std::string> controller_change(const PlanController* c, Bus to, bool boot) {
    if (c == nullptr) {
        return {"ctrl-unknown", "the disk names no controller of the VM"};
    }
    std::string model = ascii_lower(c->model);
    std::string_view where = to == Bus::ide ? "IDE" : "synthetic SCSI";
    if ((c->bus == Bus::ide && to == Bus::ide) || (model == k_scsi_model && to == Bus::scsi)) {
        return {}; // as it was (a Hyper-V VM imported: platform/hyperv/import.cpp)
    }
    if (c->bus == Bus::ide) {
        return {"ctrl-ide-gen2", fmt::format("generation 2 has no IDE controller; {}", where)};
    }
    if (model == "pvscsi") {
        return {"ctrl-pvscsi", fmt::format("Hyper-V has no VMware paravirtual SCSI; {}", where)};
    }
    if (c->bus == Bus::nvme) {
        return {"ctrl-nvme", fmt::format("Hyper-V has no NVMe controller; {}", where)};
    }
    if (c->bus == Bus::scsi && model != "lsilogic" && model != "lsilogicsas" &&
        model != "buslogic" && model != "virtio-scsi") {
        return {"ctrl-unknown",
                fmt::format("unknown SCSI controller model '{}'; {}", shown(c->model), where)};
    }
    return {"ctrl-hyperv",
            fmt::format("Hyper-V has IDE (generation 1) and synthetic SCSI only; {}{}", where,
                        boot && to == Bus::ide ? " (generation 1 boots from IDE)" : "")};
}

std::string controller_item(const PlanController* c) {
    return c == nullptr ? std::string("controller (missing)")
                        : fmt::format("controller {} ({})", shown(c->id), shown(c->model));
}

void map_storage(PlanVm& vm, Noter& note) {
    const int gen = vm.machine == "2" ? 2 : 1;
    const bool drivers = has_synthetic_drivers(vm.os.row);
    Locations locations(gen);

    auto boot = std::find_if(vm.disks.begin(), vm.disks.end(), [](auto& d) { return d.boot; });
    size_t boot_index = boot == vm.disks.end() ? 0 : static_cast<size_t>(boot - vm.disks.begin());
    std::vector<size_t> order;
    if (!vm.disks.empty()) {
        vm.disks[boot_index].boot = true;
        order.push_back(boot_index);
    }
    for (size_t i = 0; i < vm.disks.size(); ++i) {
        if (i != boot_index) {
            order.push_back(i);
        }
    }

    // Gen 1: the boot disk on IDE 0:0 (the BIOS boots from IDE only), the
    // environment DVD on IDE 1:0 (where Hyper-V puts a Gen 1 DVD drive).
    struct Place {
        Bus bus;
        unsigned controller;
        unsigned location;
    };
    std::vector<std::optional<Place>> disk_places(vm.disks.size());
    std::vector<std::optional<Place>> cd_places(vm.cdroms.size());
    if (gen == 1 && !vm.disks.empty()) {
        locations.take_ide(0, 0);
        disk_places[boot_index] = Place{Bus::ide, 0, 0};
    }
    if (gen == 1) {
        for (size_t i = 0; i < vm.cdroms.size(); ++i) {
            if (vm.cdroms[i].environment && locations.take_ide(1, 0)) {
                cd_places[i] = Place{Bus::ide, 1, 0};
                break;
            }
        }
    }
    // Gen 1 data disks: the IDE locations the source asks for, else any
    // free IDE location (every guest drives IDE), else synthetic SCSI.
    std::set<std::string> noted;
    for (size_t i : order) {
        PlanDisk& d = vm.disks[i];
        const PlanController* c = vm.controller(d.controller);
        std::string item = fmt::format("disk {}", shown(d.disk_id));
        std::optional<Place>& place = disk_places[i];
        if (!place && gen == 1 && c != nullptr && c->bus == Bus::ide &&
            locations.take_ide(c->index, d.unit)) {
            place = Place{Bus::ide, c->index, d.unit};
        }
        if (!place && gen == 1) {
            if (auto ide = locations.next_ide()) {
                place = Place{Bus::ide, ide->first, ide->second};
            }
        }
        if (!place) {
            if (auto scsi = locations.next_scsi()) {
                place = Place{Bus::scsi, scsi->first, scsi->second};
                if (gen == 1 && !drivers) {
                    note("ctrl-synthetic", NoteAction::info, item,
                         "on synthetic SCSI (IDE is full): the guest needs Hyper-V's storage "
                         "driver (integration services) to see it");
                }
            }
        }
        if (!place) {
            note("ctrl-count", NoteAction::dropped, item,
                 fmt::format("no free IDE or SCSI location (Hyper-V has {} SCSI controllers of "
                             "{})",
                             k_scsi_controllers, k_scsi_locations));
            continue;
        }
        auto [code, reason] = controller_change(c, place->bus, d.boot);
        if (!code.empty() && noted.insert(d.controller).second) {
            note(code, NoteAction::translated, controller_item(c), reason);
        }
        if (c != nullptr && c->bus == Bus::ide && place->bus == Bus::ide &&
            (c->index != place->controller || d.unit != place->location)) {
            note("ctrl-unit", NoteAction::translated, item,
                 fmt::format("IDE {}:{} is taken or out of range; IDE {}:{}", c->index, d.unit,
                             place->controller, place->location));
        }
    }
    // DVD drives: IDE on Gen 1 (its DVD cannot be on SCSI), SCSI on Gen 2.
    for (size_t i = 0; i < vm.cdroms.size(); ++i) {
        if (cd_places[i]) {
            continue;
        }
        std::string item = vm.cdroms[i].environment ? std::string("DVD (OVF environment)")
                                                    : fmt::format("DVD {}", i);
        if (gen == 1) {
            if (auto ide = locations.next_ide()) {
                cd_places[i] = Place{Bus::ide, ide->first, ide->second};
            } else {
                note("ctrl-count", NoteAction::dropped, item,
                     "generation 1 DVD drives are on IDE, and its 4 locations are taken");
            }
        } else if (auto scsi = locations.next_scsi()) {
            cd_places[i] = Place{Bus::scsi, scsi->first, scsi->second};
        } else {
            note("ctrl-count", NoteAction::dropped, item, "no free SCSI location");
        }
    }

    std::set<std::pair<Bus, unsigned>> used;
    std::vector<PlanDisk> disks;
    for (size_t i = 0; i < vm.disks.size(); ++i) {
        if (auto& p = disk_places[i]) {
            vm.disks[i].controller = controller_id(p->bus, p->controller);
            vm.disks[i].unit = p->location;
            used.insert({p->bus, p->controller});
            disks.push_back(std::move(vm.disks[i]));
        }
    }
    std::vector<PlanCdrom> cdroms;
    for (size_t i = 0; i < vm.cdroms.size(); ++i) {
        if (auto& p = cd_places[i]) {
            vm.cdroms[i].controller = controller_id(p->bus, p->controller);
            vm.cdroms[i].unit = p->location;
            used.insert({p->bus, p->controller});
            cdroms.push_back(std::move(vm.cdroms[i]));
        }
    }
    vm.disks = std::move(disks);
    vm.cdroms = std::move(cdroms);
    vm.controllers.clear();
    for (auto [bus, number] : used) {
        vm.controllers.push_back(
            PlanController{controller_id(bus, number), bus,
                           std::string(bus == Bus::ide ? k_ide_model : k_scsi_model), number});
    }
}

void map_nics(PlanVm& vm, Noter& note) {
    const bool gen1 = vm.machine == "1";
    const bool drivers = has_synthetic_drivers(vm.os.row);
    unsigned synthetic = 0;
    unsigned legacy = 0;
    std::vector<PlanNic> kept;
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        PlanNic& nic = vm.nics[i];
        std::string item = fmt::format("NIC {} ({})", i, shown(nic.model));
        std::string model = ascii_lower(nic.model);
        std::string to;
        if (gen1 && (model == k_legacy || !drivers)) {
            to = std::string(k_legacy);
        } else {
            to = std::string(k_synthetic);
        }
        if (to == k_legacy && legacy == k_legacy_nics) {
            to = std::string(k_synthetic);
        }
        if ((to == k_synthetic ? synthetic : legacy) ==
            (to == k_synthetic ? k_synthetic_nics : k_legacy_nics)) {
            note("nic-count", NoteAction::dropped, item,
                 fmt::format("Hyper-V has {} network adapters (and {} legacy ones in "
                             "generation 1)",
                             k_synthetic_nics, k_legacy_nics));
            continue;
        }
        (to == k_synthetic ? synthetic : legacy) += 1;
        if (model == k_legacy && to == k_synthetic) {
            note("nic-legacy-gen2", NoteAction::translated, item,
                 gen1 ? "the 4 legacy adapters are taken; synthetic adapter"
                      : "generation 2 has no legacy adapter; synthetic adapter");
        } else if (model != to) {
            std::string what;
            if (to == k_legacy) {
                what = "legacy adapter (emulated DEC 21140): the guest has no in-box Hyper-V "
                       "network driver";
            } else if (gen1 && !drivers) {
                what = "synthetic adapter (the 4 legacy adapters are taken): the guest needs "
                       "Hyper-V's integration services to drive it";
            } else {
                what = "synthetic adapter";
            }
            note("nic-model", NoteAction::translated, item,
                 nic.model.empty() ? fmt::format("the appliance names no model; {}", what)
                                   : fmt::format("{} on Hyper-V is a {}", shown(nic.model), what));
        }
        nic.model = to;
        if (nic.network.empty()) {
            note("net-switch", NoteAction::info, item,
                 "not connected in the appliance: the adapter is left disconnected");
        } else if (nic.network == nic.ovf_network) {
            note("net-switch", NoteAction::info, item,
                 fmt::format("connected to the virtual switch '{}' (the appliance's network "
                             "name): import.ps1 stops unless the host has it; --net {}=SWITCH "
                             "maps it",
                             shown(nic.network), shown(nic.ovf_network)));
        }
        if (nic.mac) {
            std::string mac = static_mac(*nic.mac);
            if (mac.empty()) {
                note("nic-mac", NoteAction::dropped, item,
                     fmt::format("'{}' is not a unicast MAC address; Hyper-V assigns one",
                                 shown(*nic.mac)));
                nic.mac.reset();
            } else {
                nic.mac = fmt::format("{}:{}:{}:{}:{}:{}", mac.substr(0, 2), mac.substr(2, 2),
                                      mac.substr(4, 2), mac.substr(6, 2), mac.substr(8, 2),
                                      mac.substr(10, 2));
            }
        }
        kept.push_back(std::move(nic));
    }
    vm.nics = std::move(kept);
}

} // namespace

bool has_synthetic_drivers(const GuestOsRow* row) {
    if (row == nullptr) {
        return false;
    }
    switch (row->family) {
    case OsFamily::windows:
        return std::find(k_windows_without_ic.begin(), k_windows_without_ic.end(), row->key) ==
               k_windows_without_ic.end();
    case OsFamily::linux:
    case OsFamily::bsd:
        return row->virtio;
    case OsFamily::other:
    case OsFamily::solaris:
        break;
    }
    return false;
}

int generation(const PlanVm& vm) {
    return vm.machine == "1" ? 1 : vm.machine == "2" ? 2 : 0;
}

std::string_view secure_boot_template(const PlanVm& vm) {
    return vm.os.row != nullptr && vm.os.row->family == OsFamily::windows
               ? "MicrosoftWindows"
               : "MicrosoftUEFICertificateAuthority";
}

bool controller_address(std::string_view id, std::string_view& type, unsigned& number) {
    std::string_view digits;
    if (id.starts_with(k_ide_prefix)) {
        type = "IDE";
        digits = id.substr(k_ide_prefix.size());
    } else if (id.starts_with(k_scsi_prefix)) {
        type = "SCSI";
        digits = id.substr(k_scsi_prefix.size());
    } else {
        return false;
    }
    if (digits.size() != 1 || digits[0] < '0' || digits[0] > '9') {
        return false;
    }
    number = static_cast<unsigned>(digits[0] - '0');
    return number < (type == "IDE" ? k_ide_controllers : k_scsi_controllers);
}

std::string static_mac(std::string_view mac) {
    if (mac.size() != 17) {
        return {};
    }
    std::string out;
    for (size_t i = 0; i < mac.size(); ++i) {
        char c = mac[i];
        if (i % 3 == 2) {
            if (c != ':' && c != '-') {
                return {};
            }
            continue;
        }
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) {
            return {};
        }
        out += c >= 'a' ? char(c - 32) : c;
    }
    int first = std::stoi(out.substr(0, 2), nullptr, 16);
    if ((first & 1) != 0 || out == "000000000000") {
        return {};
    }
    return out;
}

void map_vm(PlanVm& vm, const MapContext& context, std::vector<PlanNote>& out) {
    Noter note{vm, out};
    map_name(vm, note);
    map_firmware(vm, note);
    map_resources(vm, note);
    map_storage(vm, note);
    map_nics(vm, note);
    const bool vhd = context.disk_format == "vhd" || context.disk_format == "vhd-fixed";
    if (vhd && vm.machine == "2" && !vm.disks.empty()) {
        note("disk-format-gen2", NoteAction::dropped, "disks",
             fmt::format("generation 2 attaches VHDX only, not {}; export with --disk-format "
                         "vhdx (the VM cannot be created from VHD disks)",
                         context.disk_format));
    }
    if (!vm.environment_xml.empty()) {
        note("vapp-props", NoteAction::info, "properties",
             "Hyper-V has no OVF environment: the properties reach the guest on the "
             "environment ISO in a DVD drive");
    }
}

} // namespace ovfkit::platform::hyperv
