// The mapping both VirtualBox targets share (hardware.hpp): the appliance's
// hardware rewritten into what VirtualBox runs and the guest can boot from.
//
// Controllers keep the source's model when VirtualBox has it (PIIX3/PIIX4/
// ICH6, AHCI, LsiLogic, LsiLogicSas, BusLogic, NVMe, virtio-scsi), so the
// boot disk keeps the driver the guest booted with. PVSCSI, which VirtualBox
// lacks, becomes LSI Logic SAS for Windows (lsi_sas is in-box since Vista)
// and LSI Logic otherwise (mptspi, in-box since Linux 2.6); virtio-blk has no
// VirtualBox counterpart and becomes AHCI, which every current guest drives.
// VirtualBox's PIIX3 chipset takes one controller per storage bus, so the
// devices of a second controller of a bus move onto the first. Devices keep
// their unit when it is valid and free, else take the next free one; what
// does not fit goes to SATA (30 ports). CD-ROMs live on IDE or SATA: VirtualBox
// attaches DVD drives to other buses only in recent releases.
// NICs: e1000 is the 82545EM VMware emulates, e1000e becomes the 82540EM
// (Windows and Linux drive both with their e1000 drivers), PCnet the
// Am79C973, virtio stays; the rest becomes virtio for a guest with in-box
// virtio drivers, else 82540EM (VirtualBox's own default). Attachments:
// docs/export.md (a plain network name is NAT with the name remembered for
// an internal network). Every change is a MapNote (codes in docs/export.md).
#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/virtualbox/hardware.hpp>

namespace ovfkit::platform::virtualbox {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
constexpr uint64_t k_min_memory_mib = 4;
constexpr uint64_t k_max_memory_mib = 2097152; // 2 TiB, the settings schema's bound
constexpr uint64_t k_max_cpus = 32;            // VirtualBox's PIIX3 chipset
constexpr size_t k_max_nics = 8;               // PIIX3: slots 0-7
constexpr unsigned k_no_unit = UINT_MAX;

struct TypeRow {
    std::string_view type;
    std::string_view bus;
    unsigned ports;
    unsigned devices;
};

// The .vbox StorageController types ovfkit writes (formats/vmware-virtualbox.md
// B1): their storage bus and ports x devices.
constexpr std::array<TypeRow, 9> k_types{{
    {"PIIX3", "IDE", 2, 2},
    {"PIIX4", "IDE", 2, 2},
    {"ICH6", "IDE", 2, 2},
    {"AHCI", "SATA", 30, 1},
    {"LsiLogic", "SCSI", 16, 1},
    {"BusLogic", "SCSI", 16, 1},
    {"LsiLogicSas", "SAS", 255, 1},
    {"NVMe", "PCIe", 255, 1},
    {"VirtioSCSI", "VirtioSCSI", 256, 1},
}};

const TypeRow* type_row(std::string_view type) {
    for (const TypeRow& r : k_types) {
        if (r.type == type) {
            return &r;
        }
    }
    return nullptr;
}

constexpr std::array<std::string_view, 6> k_adapters{"Am79C970A", "Am79C973", "82540EM",
                                                     "82543GC",   "82545EM",  "virtio"};

constexpr std::array<std::string_view, 6> k_kinds{"nat",      "bridged",    "intnet",
                                                  "hostonly", "natnetwork", "generic"};

// Twelve upper-case hex digits of a unicast MAC written with ':' or '-'
// separators or none; nullopt when it is not one.
std::optional<std::string> vbox_mac(std::string_view text) {
    std::string hex;
    for (char c : text) {
        if (c == ':' || c == '-') {
            continue;
        }
        bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!digit || hex.size() == 12) {
            return std::nullopt;
        }
        hex += static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c);
    }
    if (hex.size() != 12) {
        return std::nullopt;
    }
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    if ((nibble(hex[1]) & 1) != 0 || hex == "000000000000") {
        return std::nullopt; // multicast, or none
    }
    return hex;
}

// A disk or CD-ROM drive being placed.
struct Device {
    std::string* controller = nullptr;
    unsigned* unit = nullptr;
    std::string label;
    bool disk = false;
    bool dropped = false;
};

class Mapper {
public:
    Mapper(PlanVm& vm) : m_vm(vm) {}

    std::vector<MapNote> run() {
        machine_basics();
        for (auto& c : m_vm.controllers) {
            map_controller(c);
        }
        merge_controllers();
        place_devices();
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            map_nic(m_vm.nics[i], i);
        }
        if (m_vm.nics.size() > k_max_nics) {
            for (size_t i = k_max_nics; i < m_vm.nics.size(); ++i) {
                note("nic-count", NoteAction::dropped, fmt::format("NIC {}", i + 1),
                     fmt::format("VirtualBox's PIIX3 chipset has {} network adapters", k_max_nics));
            }
            m_vm.nics.resize(k_max_nics);
        }
        bool virtio_scsi = std::any_of(m_vm.controllers.begin(), m_vm.controllers.end(),
                                       [](const auto& c) { return c.model == "VirtioSCSI"; });
        m_vm.machine = virtio_scsi ? "1.18" : "1.16";
        return std::move(m_notes);
    }

private:
    void note(std::string code, NoteAction action, std::string item, std::string reason) {
        m_notes.push_back({std::move(code), action, std::move(item), std::move(reason)});
    }

    bool windows() const {
        return m_vm.os.row != nullptr && m_vm.os.row->family == OsFamily::windows;
    }
    bool guest_virtio() const { return m_vm.os.row != nullptr && m_vm.os.row->virtio; }

    void machine_basics() {
        if (m_vm.cpus == 0) {
            note("cpu-count", NoteAction::translated, "CPU", "no CPU count: 1 virtual CPU");
            m_vm.cpus = 1;
        }
        if (m_vm.cpus > k_max_cpus) {
            note("cpu-count", NoteAction::translated, "CPU",
                 fmt::format("{} virtual CPUs: VirtualBox's maximum, {}", m_vm.cpus, k_max_cpus));
            m_vm.cpus = k_max_cpus;
        }
        uint64_t mib = m_vm.memory_bytes / k_mib + (m_vm.memory_bytes % k_mib != 0 ? 1 : 0);
        uint64_t fitted = std::clamp(mib, k_min_memory_mib, k_max_memory_mib);
        if (fitted * k_mib != m_vm.memory_bytes) {
            note("memory-round", NoteAction::translated, "memory",
                 fmt::format("{} bytes: {} MiB (VirtualBox sets whole MiB, {} to {})",
                             m_vm.memory_bytes, fitted, k_min_memory_mib, k_max_memory_mib));
            m_vm.memory_bytes = fitted * k_mib;
        }
        if (m_vm.os.row == nullptr || m_vm.os.row->vbox.empty()) {
            note("os-unmapped", NoteAction::info, "guest OS",
                 fmt::format("{} has no VirtualBox OSType: {}",
                             m_vm.os.row != nullptr ? std::string(m_vm.os.row->display)
                                                    : std::string("the guest"),
                             os_type(m_vm)));
        }
        if (m_vm.secure_boot) {
            note("fw-secureboot", NoteAction::dropped, "Secure Boot",
                 m_vm.firmware == Firmware::efi
                     ? "VirtualBox keeps Secure Boot in the VM's NVRAM file, which an export "
                       "cannot write: enable it after registering (VBoxManage modifynvram "
                       "enrollmssignatures)"
                     : "Secure Boot without UEFI firmware");
            m_vm.secure_boot = false;
        }
        if (m_vm.tpm) {
            note("tpm-state", NoteAction::dropped, "vTPM",
                 "not written (settings 1.19, VirtualBox 7 only): add it after registering "
                 "(VBoxManage modifyvm --tpm-type 2.0)");
            m_vm.tpm = false;
        }
    }

    void translate(PlanController& c, Bus bus, std::string_view type, std::string code,
                   std::string_view why) {
        note(std::move(code), NoteAction::translated,
             fmt::format("controller {} ({})", c.id, c.model), fmt::format("{}: {}", why, type));
        c.bus = bus;
        c.model = std::string(type);
    }

    std::string_view inbox_scsi() const { return windows() ? "LsiLogicSas" : "LsiLogic"; }

    void map_controller(PlanController& c) {
        switch (c.bus) {
        case Bus::ide:
            if (c.model == "piix3") {
                c.model = "PIIX3";
            } else if (c.model == "ich6") {
                c.model = "ICH6";
            } else if (c.model == "piix4" || c.model.empty()) {
                c.model = "PIIX4";
            } else {
                translate(c, Bus::ide, "PIIX4", "ctrl-model",
                          "an IDE controller VirtualBox does not emulate");
            }
            return;
        case Bus::sata:
            if (c.model != "ahci" && !c.model.empty()) {
                translate(c, Bus::sata, "AHCI", "ctrl-model", "VirtualBox's SATA controller");
            }
            c.model = "AHCI";
            return;
        case Bus::nvme:
            if (c.model != "nvme" && !c.model.empty()) {
                translate(c, Bus::nvme, "NVMe", "ctrl-model", "VirtualBox's NVMe controller");
            }
            c.model = "NVMe";
            return;
        case Bus::virtio:
            translate(c, Bus::sata, "AHCI", "ctrl-virtio",
                      "VirtualBox has no virtio-blk; AHCI, which the guest drives in-box");
            return;
        case Bus::scsi:
            break;
        }
        if (c.model == "lsilogic") {
            c.model = "LsiLogic";
        } else if (c.model == "lsilogicsas") {
            c.model = "LsiLogicSas";
        } else if (c.model == "buslogic") {
            c.model = "BusLogic";
        } else if (c.model == "virtio-scsi") {
            c.model = "VirtioSCSI";
        } else if (c.model == "pvscsi") {
            translate(c, Bus::scsi, inbox_scsi(), "ctrl-pvscsi",
                      "VirtualBox has no PVSCSI; the guest's in-box SCSI HBA");
        } else {
            translate(c, Bus::scsi, inbox_scsi(), "ctrl-model",
                      "a SCSI controller VirtualBox does not emulate; the guest's in-box HBA");
        }
    }

    // One controller per VirtualBox storage bus: the first of each keeps its
    // place, the devices of the others move onto it.
    void merge_controllers() {
        std::map<std::string_view, std::string> first; // storage bus -> controller id
        std::map<std::string, std::string> into;       // merged id -> survivor id
        std::vector<PlanController> kept;
        for (PlanController& c : m_vm.controllers) {
            std::string_view bus = storage_bus(c.model);
            auto [it, fresh] = first.emplace(bus, c.id);
            if (fresh) {
                c.index = 0;
                kept.push_back(c);
                continue;
            }
            const PlanController* survivor = nullptr;
            for (const auto& k : kept) {
                survivor = k.id == it->second ? &k : survivor;
            }
            note("ctrl-count", NoteAction::translated,
                 fmt::format("controller {} ({})", c.id, c.model),
                 fmt::format("VirtualBox takes one {} controller: its devices move to controller "
                             "{} ({})",
                             bus, survivor->id, survivor->model));
            into[c.id] = it->second;
        }
        m_vm.controllers = std::move(kept);
        auto retarget = [&](std::string& controller) {
            if (auto it = into.find(controller); it != into.end()) {
                controller = it->second;
                return true;
            }
            return false;
        };
        for (auto& d : m_vm.disks) {
            if (retarget(d.controller)) {
                d.unit = k_no_unit; // the next free unit of the survivor
            }
        }
        for (auto& cd : m_vm.cdroms) {
            if (retarget(cd.controller)) {
                cd.unit = k_no_unit;
            }
        }
    }

    PlanController* find(const std::string& id) {
        for (auto& c : m_vm.controllers) {
            if (c.id == id) {
                return &c;
            }
        }
        return nullptr;
    }

    PlanController& sata() {
        for (auto& c : m_vm.controllers) {
            if (c.model == "AHCI") {
                return c;
            }
        }
        std::string id = "plan-sata";
        for (int n = 2; find(id) != nullptr; ++n) {
            id = fmt::format("plan-sata-{}", n);
        }
        m_vm.controllers.push_back({id, Bus::sata, "AHCI", 0});
        note("ctrl-added", NoteAction::added, "SATA controller",
             "holds the devices moved from other buses");
        return m_vm.controllers.back();
    }

    bool take(const PlanController& c, unsigned unit) {
        const TypeRow* t = type_row(c.model);
        if (t == nullptr || unit >= t->ports * t->devices) {
            return false;
        }
        return m_used[c.id].insert(unit).second;
    }

    unsigned next_free(const PlanController& c) {
        const TypeRow* t = type_row(c.model);
        for (unsigned u = 0; t != nullptr && u < t->ports * t->devices; ++u) {
            if (take(c, u)) {
                return u;
            }
        }
        return k_no_unit;
    }

    void place(Device& d) {
        PlanController* c = find(*d.controller);
        bool ok_bus = c != nullptr && (d.disk || c->bus == Bus::ide || c->bus == Bus::sata);
        if (c == nullptr) {
            note("ctrl-virtio", NoteAction::translated, d.label,
                 "on no controller VirtualBox has (virtio-blk): SATA");
        } else if (!ok_bus) {
            note("cdrom-bus", NoteAction::translated, d.label,
                 fmt::format("VirtualBox attaches DVD drives to IDE and SATA, not {}: SATA",
                             c->model));
        }
        if (ok_bus && *d.unit != k_no_unit && take(*c, *d.unit)) {
            return;
        }
        if (ok_bus) {
            unsigned u = next_free(*c);
            if (u != k_no_unit) {
                if (*d.unit != k_no_unit) {
                    note("ctrl-address", NoteAction::translated, d.label,
                         fmt::format("unit {} is taken or past the {} controller's ports: {}",
                                     *d.unit, c->model, u));
                }
                *d.unit = u;
                return;
            }
            note("ctrl-count", NoteAction::translated, d.label,
                 fmt::format("the {} controller is full: SATA", c->model));
        }
        PlanController& s = sata();
        unsigned u = next_free(s);
        if (u == k_no_unit) {
            note("ctrl-count", NoteAction::dropped, d.label, "every SATA port is taken");
            d.dropped = true;
            return;
        }
        *d.controller = s.id;
        *d.unit = u;
    }

    void place_devices() {
        std::vector<Device> devices;
        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            auto& d = m_vm.disks[i];
            devices.push_back({&d.controller, &d.unit, fmt::format("disk {}", d.disk_id), true});
        }
        for (size_t i = 0; i < m_vm.cdroms.size(); ++i) {
            auto& cd = m_vm.cdroms[i];
            devices.push_back({&cd.controller, &cd.unit,
                               cd.environment ? std::string("environment CD-ROM")
                                              : fmt::format("CD-ROM {}", i + 1),
                               false});
        }
        // Devices that keep a valid unit claim it first, so a moved device
        // never takes the unit of one that stays.
        for (Device& d : devices) {
            PlanController* c = find(*d.controller);
            if (c != nullptr && *d.unit != k_no_unit &&
                (d.disk || c->bus == Bus::ide || c->bus == Bus::sata) && take(*c, *d.unit)) {
                d.controller = nullptr; // placed
            }
        }
        for (Device& d : devices) {
            if (d.controller != nullptr) {
                place(d);
            }
        }
        size_t n = devices.size();
        std::vector<bool> drop(n);
        for (size_t i = 0; i < n; ++i) {
            drop[i] = devices[i].dropped;
        }
        size_t k = 0;
        std::erase_if(m_vm.disks, [&](const auto&) { return drop[k++]; });
        std::erase_if(m_vm.cdroms, [&](const auto&) { return drop[k++]; });
        // Controllers left without devices stay: the guest saw them.
    }

    void map_nic(PlanNic& nic, size_t i) {
        std::string item = fmt::format("NIC {} ({})", i + 1, nic.model);
        std::string_view type;
        if (nic.model == "e1000") {
            type = "82545EM";
        } else if (nic.model == "virtio") {
            type = "virtio";
        } else if (nic.model == "pcnet") {
            type = "Am79C973";
        } else if (known_adapter(nic.model)) {
            type = nic.model;
        } else {
            type = nic.model == "e1000e" || !guest_virtio() ? "82540EM" : "virtio";
            note("nic-model", NoteAction::translated, item,
                 fmt::format("VirtualBox does not emulate it: {}", type));
        }
        nic.model = std::string(type);
        if (nic.mac) {
            if (auto mac = vbox_mac(*nic.mac)) {
                nic.mac = *mac;
            } else {
                note("nic-mac", NoteAction::dropped, item,
                     fmt::format("MAC '{}' is not a unicast address: a new one", *nic.mac));
                nic.mac.reset();
            }
        }
        // Only the user's --net chooses an attachment kind; an appliance's
        // own network name is a name, whatever it looks like.
        bool from_user = nic.network != nic.ovf_network;
        if (!from_user || !attachment(nic.network)) {
            nic.network = "nat:" + nic.network;
            note("net-attach", NoteAction::info, item,
                 nic.network.size() > 4
                     ? fmt::format("NAT; the internal network '{}' is remembered (--net {}="
                                   "intnet:NAME, bridged:IF, hostonly:IF, natnetwork:NAME "
                                   "choose another attachment)",
                                   nic.network.substr(4), nic.ovf_network)
                     : std::string("NAT"));
        }
    }

    PlanVm& m_vm;
    std::vector<MapNote> m_notes;
    std::map<std::string, std::set<unsigned>> m_used; // controller id -> units taken
};

} // namespace

std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& /*context*/) {
    return Mapper(vm).run();
}

std::string_view storage_bus(std::string_view type) {
    const TypeRow* r = type_row(type);
    return r != nullptr ? r->bus : std::string_view{};
}

unsigned port_limit(std::string_view type) {
    const TypeRow* r = type_row(type);
    return r != nullptr ? r->ports : 0;
}

unsigned devices_per_port(std::string_view type) {
    const TypeRow* r = type_row(type);
    return r != nullptr ? r->devices : 0;
}

bool known_adapter(std::string_view type) {
    return std::find(k_adapters.begin(), k_adapters.end(), type) != k_adapters.end();
}

std::optional<Attachment> attachment(std::string_view network) {
    if (network == "nat") {
        return Attachment{"nat", ""};
    }
    auto colon = network.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view kind = network.substr(0, colon);
    if (std::find(k_kinds.begin(), k_kinds.end(), kind) == k_kinds.end()) {
        return std::nullopt;
    }
    std::string_view name = network.substr(colon + 1);
    if (name.empty() && kind != "nat") {
        return std::nullopt;
    }
    return Attachment{std::string(kind), std::string(name)};
}

std::string_view os_type(const PlanVm& vm) {
    if (vm.os.row != nullptr && !vm.os.row->vbox.empty()) {
        return vm.os.row->vbox;
    }
    return vm.os.row != nullptr && !vm.os.row->x64 ? "Other" : "Other_64";
}

} // namespace ovfkit::platform::virtualbox
