// The mapping both VMware targets share (hardware.hpp): the appliance's
// hardware rewritten into what VMware runs and the guest can boot from.
//
// Hardware family: the lowest vmx-NN that has every device used (vmx-10,
// ESXi 5.5 / Workstation 10, the first with SATA; vmx-13 for NVMe or UEFI
// Secure Boot), or the family the plan already names when that is higher
// and not past vmx-21 (ESXi 8.0 U2). Controllers keep the source's model
// when VMware has it, so the boot disk keeps the driver the guest booted
// with; what VMware lacks becomes the controller the guest has in-box:
// virtio-scsi / virtio-blk become PVSCSI (Linux: vmw_pvscsi is mainline),
// LSI Logic SAS (Windows) or LSI Logic (other); BusLogic, which VMware
// refuses for 64-bit guests, becomes LSI Logic SAS (Windows) or LSI Logic.
// vSphere's OVF import is checked here against the vSphere API simulator,
// which refuses SATA and LSI Logic SAS: for vmware-ova a non-Windows guest
// moves from those to LSI Logic (mptspi, in-box since Linux 2.6), a Windows
// guest keeps them (it may have no other in-box driver; real ESXi takes
// both), and CD-ROMs go to IDE, which every guest drives. IDE has two
// channels of two devices; what does not fit moves to SATA (.vmx) or SCSI
// (OVA). NICs: e1000, e1000e and vmxnet3 stay; the rest becomes vmxnet3
// (Linux), e1000e (64-bit Windows) or e1000. Memory is a multiple of 4 MiB
// (VMware and libvirt's .vmx reader require it). A vTPM is dropped: VMware
// needs an encryption key provider for it, which an export cannot set up.
// Every change is a MapNote (codes in docs/export.md).
#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/dialect_envelope.hpp>
#include <ovfkit/platform/vmware/hardware.hpp>

namespace ovfkit::platform::vmware {

namespace {

constexpr unsigned k_hw_floor = 10;  // ESXi 5.5 / Workstation 10: SATA
constexpr unsigned k_hw_modern = 13; // ESXi 6.5: NVMe, UEFI Secure Boot
constexpr unsigned k_hw_newest = 21; // ESXi 8.0 U2
constexpr unsigned k_no_unit = UINT_MAX;
constexpr uint64_t k_mib = 1024 * 1024;
constexpr uint64_t k_max_cpus = 768;           // vmx-20
constexpr uint64_t k_max_memory = 24ULL << 40; // 24 TiB, vmx-20

// Units a controller of `bus` offers: IDE 0-1 (one channel), SATA 0-29,
// SCSI 0-15 without 7 (the HBA), NVMe 0-14.
unsigned unit_bound(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return 2;
    case Bus::sata:
        return 30;
    case Bus::scsi:
        return 16;
    case Bus::nvme:
        return 15;
    case Bus::virtio:
        return 0;
    }
    return 0;
}

bool unit_ok(Bus bus, unsigned unit) {
    return unit < unit_bound(bus) && !(bus == Bus::scsi && unit == 7);
}

unsigned max_controllers(Bus bus) {
    return bus == Bus::ide ? 2 : 4;
}

std::string_view default_model(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "piix4";
    case Bus::sata:
        return "ahci";
    case Bus::nvme:
        return "nvme";
    default:
        return "lsilogic";
    }
}

// A disk or CD-ROM drive being placed.
struct Device {
    std::string* controller = nullptr;
    unsigned* unit = nullptr;
    std::string label;
    bool disk = false;
    size_t index = 0; // in vm.disks / vm.cdroms
    Bus want = Bus::scsi;
    std::string want_model; // for a controller made for it
    bool placed = false;
    bool dropped = false;
};

class Mapper {
public:
    Mapper(PlanVm& vm, const MapContext& context, Flavor flavor)
        : m_vm(vm), m_context(context), m_flavor(flavor) {}

    std::vector<MapNote> run() {
        machine_basics();
        for (auto& c : m_vm.controllers) {
            map_controller(c);
        }
        collect_devices();
        place_ide();
        for (Bus bus : {Bus::sata, Bus::scsi, Bus::nvme}) {
            place(bus);
        }
        finish_controllers();
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            map_nic(m_vm.nics[i], i);
        }
        choose_family();
        if (m_flavor == Flavor::ova && m_context.source != nullptr) {
            note_source_drops(*m_context.source);
        }
        return std::move(m_notes);
    }

private:
    void note(std::string code, NoteAction action, std::string item, std::string reason) {
        m_notes.push_back({std::move(code), action, std::move(item), std::move(reason)});
    }

    bool windows() const {
        return m_vm.os.row != nullptr && m_vm.os.row->family == OsFamily::windows;
    }
    bool linux() const { return m_vm.os.row != nullptr && m_vm.os.row->family == OsFamily::linux; }
    bool x64() const { return m_vm.os.row != nullptr && m_vm.os.row->x64; }

    // The SCSI HBA a guest drives in-box when its own controller is gone.
    std::string_view inbox_scsi() const {
        if (windows()) {
            return "lsilogicsas";
        }
        return linux() ? "pvscsi" : "lsilogic";
    }

    void machine_basics() {
        if (m_vm.cpus == 0) {
            note("cpu-count", NoteAction::translated, "CPU", "no CPU count: 1 virtual CPU");
            m_vm.cpus = 1;
        }
        if (m_vm.cpus > k_max_cpus) {
            note("cpu-count", NoteAction::translated, "CPU",
                 fmt::format("{} virtual CPUs: VMware's maximum, {}", m_vm.cpus, k_max_cpus));
            m_vm.cpus = k_max_cpus;
        }
        if (m_vm.memory_bytes > k_max_memory) {
            note("memory-round", NoteAction::translated, "memory",
                 fmt::format("{} bytes: VMware's maximum, 24 TiB", m_vm.memory_bytes));
            m_vm.memory_bytes = k_max_memory;
        }
        // memsize is in MiB and a multiple of 4 (VMware; libvirt's reader refuses others).
        uint64_t unit = 4 * k_mib;
        uint64_t rounded = std::max<uint64_t>(
            unit, (m_vm.memory_bytes / unit + (m_vm.memory_bytes % unit != 0 ? 1 : 0)) * unit);
        if (rounded != m_vm.memory_bytes) {
            note("memory-round", NoteAction::translated, "memory",
                 fmt::format("{} bytes is not a whole multiple of 4 MiB: {} MiB", m_vm.memory_bytes,
                             rounded / k_mib));
            m_vm.memory_bytes = rounded;
        }
        if (m_vm.os.row == nullptr || m_vm.os.row->vmx.empty() || m_vm.os.row->vmware.empty()) {
            note("os-unmapped", NoteAction::info, "guest OS",
                 fmt::format("{} has no VMware guest id: {}",
                             m_vm.os.row != nullptr ? std::string(m_vm.os.row->display)
                                                    : std::string("the guest"),
                             vsphere_guest_id(m_vm)));
        }
        if (m_vm.secure_boot && m_vm.firmware != Firmware::efi) {
            note("fw-secureboot", NoteAction::dropped, "Secure Boot",
                 "Secure Boot without UEFI firmware");
            m_vm.secure_boot = false;
        }
        if (m_vm.tpm) {
            note("tpm-state", NoteAction::dropped, "vTPM",
                 "a VMware vTPM needs an encryption key provider on the host; add it after import");
            m_vm.tpm = false;
        }
    }

    void translate(PlanController& c, Bus bus, std::string_view model, std::string code,
                   std::string_view why) {
        note(std::move(code), NoteAction::translated,
             fmt::format("controller {} ({})", c.id, c.model), fmt::format("{}: {}", why, model));
        c.bus = bus;
        c.model = std::string(model);
    }

    void map_controller(PlanController& c) {
        const bool ova = m_flavor == Flavor::ova;
        switch (c.bus) {
        case Bus::ide:
            if (c.model != "piix4" && c.model != "piix3" && c.model != "ich6" && !c.model.empty()) {
                translate(c, Bus::ide, "piix4", "ctrl-model",
                          "VMware has one IDE controller model");
            }
            c.model = "piix4";
            return;
        case Bus::sata:
            if (c.model != "ahci" && !c.model.empty()) {
                translate(c, Bus::sata, "ahci", "ctrl-model", "VMware's SATA controller is AHCI");
            }
            c.model = "ahci";
            if (ova && !windows()) {
                translate(c, Bus::scsi, "lsilogic", "ctrl-sata-vsphere",
                          "vSphere import checks refuse SATA; the guest drives LSI Logic in-box");
            }
            return;
        case Bus::nvme:
            if (c.model != "nvme") {
                translate(c, Bus::nvme, "nvme", "ctrl-model", "VMware's NVMe controller");
            }
            return;
        case Bus::virtio:
            translate(c, Bus::scsi, inbox_scsi(), "ctrl-virtio",
                      "VMware has no virtio-blk; the guest's in-box SCSI controller");
            return;
        case Bus::scsi:
            break;
        }
        if (c.model == "lsilogic" || c.model == "pvscsi") {
            return;
        }
        if (c.model == "lsilogicsas") {
            if (ova && !windows()) {
                translate(c, Bus::scsi, "lsilogic", "ctrl-sas-vsphere",
                          "vSphere import checks refuse LSI Logic SAS; the guest drives LSI Logic "
                          "in-box");
            }
            return;
        }
        if (c.model == "buslogic") {
            if (x64()) {
                translate(c, Bus::scsi, windows() ? "lsilogicsas" : "lsilogic", "ctrl-sas-buslogic",
                          "VMware refuses BusLogic for a 64-bit guest");
            }
            return;
        }
        if (c.model == "virtio-scsi") {
            translate(c, Bus::scsi, inbox_scsi(), "ctrl-virtio",
                      "VMware has no virtio-scsi; the guest's in-box SCSI controller");
            return;
        }
        translate(c, Bus::scsi, inbox_scsi(), "ctrl-model",
                  "a SCSI controller VMware does not know; the guest's in-box one");
    }

    PlanController* find(const std::string& id) {
        for (auto& c : m_vm.controllers) {
            if (c.id == id) {
                return &c;
            }
        }
        return nullptr;
    }

    void collect_devices() {
        auto add = [&](std::string* ctrl, unsigned* unit, std::string label, bool disk, size_t i) {
            Device d;
            d.controller = ctrl;
            d.unit = unit;
            d.label = std::move(label);
            d.disk = disk;
            d.index = i;
            if (const PlanController* c = find(*ctrl); c != nullptr) {
                d.want = c->bus;
                d.want_model = c->model;
            } else {
                // virtio-blk disks have no controller: the in-box SCSI HBA.
                d.want = Bus::scsi;
                d.want_model = std::string(inbox_scsi());
                note("ctrl-virtio", NoteAction::translated, d.label,
                     fmt::format("no controller VMware has: {} SCSI", d.want_model));
                ctrl->clear();
                *unit = k_no_unit;
            }
            m_devices.push_back(std::move(d));
        };
        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            auto& d = m_vm.disks[i];
            add(&d.controller, &d.unit, fmt::format("disk {}", d.disk_id), true, i);
        }
        for (size_t i = 0; i < m_vm.cdroms.size(); ++i) {
            auto& c = m_vm.cdroms[i];
            add(&c.controller, &c.unit,
                c.environment ? std::string("environment CD-ROM") : fmt::format("CD-ROM {}", i + 1),
                false, i);
        }
        for (auto& c : m_vm.controllers) {
            bool used = std::any_of(m_devices.begin(), m_devices.end(),
                                    [&](const Device& d) { return *d.controller == c.id; });
            m_had_devices[c.id] = used;
        }
        for (auto& d : m_devices) {
            if (d.want == Bus::ide || d.disk || m_flavor != Flavor::ova) {
                continue;
            }
            // vSphere: CD-ROMs on IDE, which every guest drives.
            note("cdrom-ide", NoteAction::translated, d.label,
                 fmt::format("on {} for vSphere: IDE", bus_label(d.want)));
            d.want = Bus::ide;
            d.want_model = "piix4";
            d.controller->clear();
            *d.unit = k_no_unit;
        }
    }

    // Where a device goes when its bus is full.
    void overflow(Device& d, std::string_view why) {
        Bus bus = Bus::sata;
        std::string model = "ahci";
        if (m_flavor == Flavor::ova && !windows()) {
            bus = Bus::scsi;
            model = "lsilogic";
        }
        note("ctrl-count", NoteAction::translated, d.label,
             fmt::format("{}: {} {}", why, bus_label(bus), model));
        d.want = bus;
        d.want_model = model;
        d.controller->clear();
        *d.unit = k_no_unit;
    }

    std::string new_id() {
        for (size_t n = m_vm.controllers.size() + 1;; ++n) {
            std::string id = fmt::format("plan-{}", n);
            if (find(id) == nullptr) {
                return id;
            }
        }
    }

    // IDE: two channels, each a controller of two units (master, slave).
    // Addresses given as channel * 2 + device on one controller, or as
    // units 0-1 on a controller per channel, both land in their slot.
    void place_ide() {
        std::vector<std::string> ids;
        for (const auto& c : m_vm.controllers) {
            if (c.bus == Bus::ide) {
                ids.push_back(c.id);
            }
        }
        std::array<Device*, 4> slots{};
        std::vector<Device*> later;
        for (auto& d : m_devices) {
            if (d.want != Bus::ide) {
                continue;
            }
            auto pos = std::find(ids.begin(), ids.end(), *d.controller);
            size_t k = static_cast<size_t>(pos - ids.begin());
            unsigned slot = k_no_unit;
            if (pos != ids.end() && *d.unit < 2 && k < 2) {
                slot = static_cast<unsigned>(k * 2 + *d.unit);
            } else if (pos != ids.end() && k == 0 && *d.unit < 4) {
                slot = *d.unit;
            }
            if (slot != k_no_unit && slots[slot] == nullptr) {
                slots[slot] = &d;
            } else {
                later.push_back(&d);
            }
        }
        for (Device* d : later) {
            auto free = std::find(slots.begin(), slots.end(), nullptr);
            if (free != slots.end()) {
                if (*d->unit != k_no_unit) {
                    note("ctrl-address", NoteAction::translated, d->label,
                         fmt::format("IDE address {} is not free or valid: IDE {}:{}", *d->unit,
                                     (free - slots.begin()) / 2, (free - slots.begin()) % 2));
                }
                *free = d;
            } else {
                overflow(*d, "IDE holds 4 devices");
            }
        }
        // Rebuild the IDE controllers: one per channel in use.
        std::vector<PlanController> kept;
        for (auto& c : m_vm.controllers) {
            if (c.bus != Bus::ide) {
                kept.push_back(std::move(c));
            }
        }
        m_vm.controllers = std::move(kept);
        for (unsigned channel = 0; channel < 2; ++channel) {
            if (slots[channel * 2] == nullptr && slots[channel * 2 + 1] == nullptr) {
                continue;
            }
            PlanController c;
            c.id = channel < ids.size() ? ids[channel] : new_id();
            c.bus = Bus::ide;
            c.model = "piix4";
            c.index = channel;
            m_vm.controllers.push_back(c);
            for (unsigned u = 0; u < 2; ++u) {
                if (Device* d = slots[channel * 2 + u]; d != nullptr) {
                    *d->controller = c.id;
                    *d->unit = u;
                    d->placed = true;
                }
            }
        }
    }

    void place(Bus bus) {
        std::vector<PlanController*> ctrls;
        for (auto& c : m_vm.controllers) {
            if (c.bus == bus) {
                ctrls.push_back(&c);
            }
        }
        std::map<std::string, std::set<unsigned>> used;
        std::set<std::string> allowed;
        for (size_t i = 0; i < ctrls.size(); ++i) {
            if (i < max_controllers(bus)) {
                allowed.insert(ctrls[i]->id);
            }
        }
        // First the devices whose address is valid and free, in plan order.
        for (auto& d : m_devices) {
            if (d.want != bus || d.placed || !allowed.contains(*d.controller) ||
                !unit_ok(bus, *d.unit) || used[*d.controller].contains(*d.unit)) {
                continue;
            }
            used[*d.controller].insert(*d.unit);
            d.placed = true;
        }
        auto free_unit = [&](const std::string& id) -> unsigned {
            for (unsigned u = 0; u < unit_bound(bus); ++u) {
                if (unit_ok(bus, u) && !used[id].contains(u)) {
                    return u;
                }
            }
            return k_no_unit;
        };
        for (auto& d : m_devices) {
            if (d.want != bus || d.placed) {
                continue;
            }
            std::string target;
            auto try_id = [&](const std::string& id) {
                if (target.empty() && allowed.contains(id) && free_unit(id) != k_no_unit) {
                    target = id;
                }
            };
            try_id(*d.controller);
            for (auto* c : ctrls) {
                if (c->model == d.want_model) {
                    try_id(c->id);
                }
            }
            for (auto* c : ctrls) {
                try_id(c->id);
            }
            bool made = false;
            if (target.empty() && allowed.size() < max_controllers(bus)) {
                PlanController c;
                c.id = new_id();
                c.bus = bus;
                c.model = d.want_model.empty() ? std::string(default_model(bus)) : d.want_model;
                m_vm.controllers.push_back(c);
                // The vector may have moved: rebuild the pointers.
                ctrls.clear();
                for (auto& x : m_vm.controllers) {
                    if (x.bus == bus) {
                        ctrls.push_back(&x);
                    }
                }
                allowed.insert(c.id);
                target = c.id;
                made = true;
                note("ctrl-added", NoteAction::added,
                     fmt::format("controller {} ({})", c.id, c.model),
                     fmt::format("for {}", d.label));
            }
            if (target.empty()) {
                note("ctrl-count", NoteAction::dropped, d.label,
                     fmt::format("no free {} unit on 4 controllers", bus_label(bus)));
                d.dropped = true;
                continue;
            }
            unsigned u = free_unit(target);
            if (!made && !d.controller->empty() && *d.unit != k_no_unit) {
                note("ctrl-address", NoteAction::translated, d.label,
                     fmt::format("{} address {} on {} is not free or valid: unit {} of {}",
                                 bus_label(bus), *d.unit, *d.controller, u, target));
            }
            used[target].insert(u);
            *d.controller = target;
            *d.unit = u;
            d.placed = true;
        }
    }

    void finish_controllers() {
        std::set<size_t> gone_disks;
        std::set<size_t> gone_cds;
        for (const auto& d : m_devices) {
            if (d.dropped) {
                (d.disk ? gone_disks : gone_cds).insert(d.index);
            }
        }
        auto erase = [](auto& v, const std::set<size_t>& gone) {
            for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
                v.erase(v.begin() + static_cast<std::ptrdiff_t>(*it));
            }
        };
        erase(m_vm.disks, gone_disks);
        erase(m_vm.cdroms, gone_cds);
        m_devices.clear(); // its pointers are stale now
        // Controllers that lost every device to a move go; the source's
        // empty ones stay, and so do those beyond VMware's four per bus
        // only when they still hold nothing (they are noted and dropped).
        std::vector<PlanController> kept;
        std::map<Bus, unsigned> count;
        for (auto& c : m_vm.controllers) {
            bool used = std::any_of(m_vm.disks.begin(), m_vm.disks.end(),
                                    [&](const PlanDisk& d) { return d.controller == c.id; }) ||
                        std::any_of(m_vm.cdroms.begin(), m_vm.cdroms.end(),
                                    [&](const PlanCdrom& d) { return d.controller == c.id; });
            auto had = m_had_devices.find(c.id);
            if (!used && had != m_had_devices.end() && had->second) {
                continue;
            }
            if (c.bus == Bus::ide) {
                kept.push_back(std::move(c));
                continue;
            }
            if (count[c.bus] >= max_controllers(c.bus)) {
                note("ctrl-count", NoteAction::dropped,
                     fmt::format("controller {} ({})", c.id, c.model),
                     fmt::format("VMware has {} {} controllers", max_controllers(c.bus),
                                 bus_label(c.bus)));
                continue;
            }
            c.index = count[c.bus]++;
            kept.push_back(std::move(c));
        }
        m_vm.controllers = std::move(kept);
    }

    void map_nic(PlanNic& nic, size_t i) {
        std::string item = fmt::format("NIC {} ({})", i + 1, nic.model);
        if (nic.network.empty()) {
            nic.network = "VM Network";
            note("nic-network", NoteAction::info, item,
                 "connected to no network: VMware's default port group \"VM Network\"");
        }
        if (nic.model == "e1000" || nic.model == "e1000e" || nic.model == "vmxnet3") {
            return;
        }
        std::string_view to = "e1000";
        if (nic.model == "vmxnet" || nic.model == "virtio" || nic.model == "hyperv-synthetic") {
            // Paravirtual stays paravirtual where the guest has the driver in-box.
            to = linux() ? "vmxnet3" : (windows() && x64() ? "e1000e" : "e1000");
        } else if (windows() && x64() && nic.model != "pcnet" && nic.model != "rtl8139" &&
                   nic.model != "hyperv-legacy") {
            to = "e1000e";
        }
        note("nic-model", NoteAction::translated, item,
             fmt::format("VMware has no {} NIC: {}", nic.model, to));
        nic.model = std::string(to);
    }

    void choose_family() {
        unsigned need = k_hw_floor;
        bool nvme = std::any_of(m_vm.controllers.begin(), m_vm.controllers.end(),
                                [](const PlanController& c) { return c.bus == Bus::nvme; });
        if (nvme || m_vm.secure_boot) {
            need = k_hw_modern;
        }
        auto stated = hardware_version(m_vm.machine);
        unsigned chosen = need;
        if (stated && *stated >= need && *stated <= k_hw_newest) {
            chosen = *stated;
        } else if (stated && *stated > k_hw_newest) {
            note("hw-version", NoteAction::translated, "hardware family",
                 fmt::format("{} is newer than ovfkit knows: vmx-{}", m_vm.machine, need));
        } else if (stated) {
            note("hw-version", NoteAction::translated, "hardware family",
                 fmt::format("{} lacks a device used ({}): vmx-{}", m_vm.machine,
                             nvme ? "NVMe" : "Secure Boot", need));
        }
        m_vm.machine = fmt::format("vmx-{:02}", chosen);
    }

    void note_source_drops(const ovf::Envelope& source) {
        // The source's hardware items the plan does not carry (sound cards,
        // USB controllers ...) the engine's neutral plan notes already.
        const ovf::Content* system = source_system(source, m_vm);
        if (system != nullptr) {
            for (const auto& s : system->sections) {
                if (const auto* u = std::get_if<ovf::UnknownSection>(&s); u && drops_section(*u)) {
                    note("vendor-section", NoteAction::dropped,
                         fmt::format("section {}", u->element.name),
                         "required by the descriptor and unknown to vSphere");
                }
            }
        }
        // Envelope-level decisions are noted once, with the first VM.
        if (!is_first_vm(source)) {
            return;
        }
        note_collection_drops(source.content);
        for (const auto& s : source.sections) {
            if (const auto* u = std::get_if<ovf::UnknownSection>(&s); u && drops_section(*u)) {
                note("vendor-section", NoteAction::dropped,
                     fmt::format("section {}", u->element.name),
                     "required by the descriptor and unknown to vSphere");
            }
        }
        bool options = source.find<ovf::DeploymentOptionSection>() != nullptr;
        if (options) {
            note("deployment-option", NoteAction::info, "DeploymentOptionSection",
                 m_context.deployment_option.empty()
                     ? std::string("the hardware is written for the default configuration only")
                     : fmt::format("the hardware is written for configuration \"{}\" only",
                                   m_context.deployment_option));
        }
    }

    void note_collection_drops(const ovf::Content& c) {
        if (c.kind != ovf::ContentKind::collection) {
            return;
        }
        for (const auto& s : c.sections) {
            if (const auto* u = std::get_if<ovf::UnknownSection>(&s); u && drops_section(*u)) {
                note("vendor-section", NoteAction::dropped,
                     fmt::format("section {} of {}", u->element.name, c.id),
                     "required by the descriptor and unknown to vSphere");
            }
        }
        for (const auto& child : c.children) {
            note_collection_drops(child);
        }
    }

    bool is_first_vm(const ovf::Envelope& source) const {
        auto systems = ovf::virtual_systems(source);
        return !systems.empty() && source_system(source, m_vm) == systems.front();
    }

    PlanVm& m_vm;
    const MapContext& m_context;
    Flavor m_flavor;
    std::vector<MapNote> m_notes;
    std::vector<Device> m_devices;
    std::map<std::string, bool> m_had_devices;
};

} // namespace

std::vector<MapNote> map_vm(PlanVm& vm, const MapContext& context, Flavor flavor) {
    return Mapper(vm, context, flavor).run();
}

std::optional<unsigned> hardware_version(std::string_view machine) {
    if (!machine.starts_with("vmx-") || machine.size() < 5 || machine.size() > 6) {
        return std::nullopt;
    }
    unsigned n = 0;
    for (char ch : machine.substr(4)) {
        if (ch < '0' || ch > '9') {
            return std::nullopt;
        }
        n = n * 10 + static_cast<unsigned>(ch - '0');
    }
    if (n < 4) {
        return std::nullopt;
    }
    return n;
}

std::string_view vmx_scsi_device(std::string_view model) {
    if (model == "lsilogicsas") {
        return "lsisas1068";
    }
    if (model == "lsilogic" || model == "pvscsi" || model == "buslogic") {
        return model;
    }
    return {};
}

std::string_view vmx_nic_device(std::string_view model) {
    if (model == "e1000" || model == "e1000e" || model == "vmxnet3") {
        return model;
    }
    return {};
}

std::string_view ovf_controller_subtype(std::string_view model) {
    if (model == "lsilogic" || model == "lsilogicsas" || model == "buslogic") {
        return model;
    }
    if (model == "pvscsi") {
        return "VirtualSCSI";
    }
    if (model == "ahci") {
        return "vmware.sata.ahci";
    }
    if (model == "nvme") {
        return "vmware.nvme.controller";
    }
    return {};
}

std::string_view ovf_nic_subtype(std::string_view model) {
    if (model == "e1000") {
        return "E1000";
    }
    if (model == "e1000e") {
        return "E1000e";
    }
    if (model == "vmxnet3") {
        return "VmxNet3";
    }
    return {};
}

uint64_t cores_per_socket(const PlanVm& vm) {
    return vm.cpus >= 1 && vm.cpus <= 64 ? vm.cpus : 0;
}

std::string_view vmx_guest_os(const PlanVm& vm) {
    if (vm.os.row != nullptr && !vm.os.row->vmx.empty() && !vm.os.row->vmware.empty()) {
        return vm.os.row->vmx;
    }
    return vm.os.row != nullptr && !vm.os.row->x64 ? "other" : "other-64";
}

std::string_view vsphere_guest_id(const PlanVm& vm) {
    if (vm.os.row != nullptr && !vm.os.row->vmx.empty() && !vm.os.row->vmware.empty()) {
        return vm.os.row->vmware;
    }
    return vm.os.row != nullptr && !vm.os.row->x64 ? "otherGuest" : "otherGuest64";
}

bool drops_section(const ovf::UnknownSection& section) {
    if (section.element.ns == ovf::k_vmw_ns) {
        return false; // vSphere's own sections
    }
    return section.required.value_or(true);
}

} // namespace ovfkit::platform::vmware
