// The qm config importer (and the mapping the VMA importer shares); see
// import.hpp. The exporter's tables (map.cpp, rules.cpp) read backwards:
// scsihw to the SCSI model, qm slots to controller and unit (IDE: channel
// slot / 2, unit slot % 2), ostype through guest_os_by_pve.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/proxmox/import.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_max_memory_mib = uint64_t{24} << 20; // 24 TiB
constexpr uint64_t k_max_cpus = 4096;

struct DriveKey {
    Bus bus = Bus::ide;
    unsigned slot = 0;
};

// "scsi3" -> SCSI slot 3; nullopt for another key or a slot qm does not have.
std::optional<DriveKey> drive_key(std::string_view key, bool* out_of_range = nullptr) {
    for (Bus bus : {Bus::ide, Bus::sata, Bus::scsi, Bus::virtio}) {
        std::string_view p = slot_prefix(bus);
        if (!key.starts_with(p) || key.size() == p.size() || key.size() > p.size() + 3) {
            continue;
        }
        auto n = parse_decimal(key.substr(p.size()));
        if (!n) {
            continue;
        }
        unsigned limit = bus == Bus::ide    ? k_ide_slots
                         : bus == Bus::sata ? k_sata_slots
                         : bus == Bus::scsi ? k_scsi_slots
                                            : k_virtio_slots;
        if (*n >= limit) {
            if (out_of_range != nullptr) {
                *out_of_range = true;
            }
            return std::nullopt;
        }
        return DriveKey{bus, static_cast<unsigned>(*n)};
    }
    return std::nullopt;
}

int bus_rank(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return 0;
    case Bus::sata:
        return 1;
    case Bus::scsi:
        return 2;
    case Bus::virtio:
        return 3;
    case Bus::nvme:
        break;
    }
    return 4;
}

// NIC models qm knows (Network.pm), in the plan's vocabulary.
std::optional<std::string> nic_model(std::string_view m) {
    if (m == "virtio" || m == "e1000e" || m == "vmxnet3" || m == "rtl8139" || m == "pcnet") {
        return std::string(m);
    }
    if (m == "e1000" || m == "e1000-82540em" || m == "e1000-82544gc" || m == "e1000-82545em") {
        return std::string("e1000");
    }
    return std::nullopt;
}

bool is_nic_model_key(std::string_view m) {
    static constexpr std::array<std::string_view, 15> k{
        "virtio",   "e1000",  "e1000-82540em", "e1000-82544gc", "e1000-82545em",
        "e1000e",   "i82551", "i82557b",       "i82559er",      "ne2k_isa",
        "ne2k_pci", "pcnet",  "rtl8139",       "vmxnet3",       "model"};
    return std::find(k.begin(), k.end(), m) != k.end();
}

// Settings OVF has no element for that Proxmox takes back.
bool vendor_key(std::string_view k) {
    static constexpr std::array<std::string_view, 26> keys{
        "cpu",      "numa",     "vga",     "smbios1", "vmgenid",    "machine", "agent",
        "balloon",  "shares",   "vcpus",   "tablet",  "localtime",  "kvm",     "onboot",
        "hotplug",  "keyboard", "scsihw",  "startup", "protection", "tags",    "cpulimit",
        "cpuunits", "affinity", "sockets", "cores",   "acpi"};
    return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// Keys never carried or acted on (formats/proxmox-vma-hyperv-vmcx.md 1.12):
// they name the source host's devices, files or commands.
std::optional<std::string_view> host_key(std::string_view k) {
    auto numbered = [&](std::string_view p) {
        return k.starts_with(p) && k.size() > p.size() &&
               std::all_of(k.begin() + static_cast<long>(p.size()), k.end(),
                           [](char c) { return c >= '0' && c <= '9'; });
    };
    if (numbered("hostpci")) {
        return "PCI passthrough";
    }
    if (numbered("usb")) {
        return "a USB device of the host";
    }
    if (numbered("serial")) {
        return "a serial port";
    }
    if (numbered("parallel")) {
        return "a parallel port of the host";
    }
    if (numbered("virtiofs")) {
        return "a directory of the host";
    }
    if (k == "args") {
        return "raw QEMU arguments";
    }
    if (k == "hookscript") {
        return "a hook script of the host";
    }
    if (k == "cicustom") {
        return "cloud-init snippets of the host";
    }
    return std::nullopt;
}

std::string stem_of(const std::string& path) {
    std::string_view base = base_name(path);
    for (std::string_view ext : {".vma.zst", ".vma", ".conf"}) {
        if (base.size() > ext.size() && base.ends_with(ext)) {
            base.remove_suffix(ext.size());
            break;
        }
    }
    return std::string(base);
}

class Importer {
public:
    Importer(const QmConfig& config, const std::string& name, const ImportOptions& options,
             const DriveResolver& resolve)
        : m_cfg(config), m_name(name), m_opt(options), m_resolve(resolve) {}

    Result<ImportedAppliance> run() {
        ImportedAppliance app;
        app.platform = "proxmox";
        app.config = m_name;
        ImportedVm ivm;
        PlanVm& vm = ivm.vm;
        PlanNotes& notes = app.notes;
        std::string name(trim(m_cfg.get("name").value_or("")));
        vm.name = name.empty() ? stem_of(m_name) : name;
        vm.system_id = file_stem(vm.name, "vm");
        vm.path = vm.system_id;
        vm.description = m_cfg.description;
        for (const auto& [key, line] : m_cfg.duplicates) {
            notes.add("config-duplicate", NoteAction::info, vm, key,
                      fmt::format("{}:{}: written again; the last value is read (as qm does)",
                                  m_name, line));
        }
        for (size_t line : m_cfg.unparsed) {
            notes.add(
                "config-line", NoteAction::dropped, vm, fmt::format("line {}", line),
                fmt::format("{}:{}: not a `key: value` line; ignored (as qm does)", m_name, line));
            if (notes.all().size() > 64) {
                break;
            }
        }
        if (const QmEntry* e = m_cfg.find("vmstate")) {
            return fail(Errc::refused,
                        "{}:{}: the VM is hibernated (vmstate); its disks are not consistent: "
                        "resume and shut it down, then import again",
                        m_name, e->line);
        }
        if (!m_cfg.sections.empty()) {
            std::string list;
            for (const auto& s : m_cfg.sections) {
                list += (list.empty() ? "" : ", ") + shown(s, 64);
            }
            notes.add("snapshots", NoteAction::info, vm, "sections",
                      fmt::format("only the current config is read; not the sections {} "
                                  "(snapshots, pending changes)",
                                  list));
        }
        guest_os(vm);
        OVFKIT_TRY(sizing(vm, notes));
        OVFKIT_TRY(firmware(vm, notes));
        OVFKIT_TRY(storage(ivm, notes));
        OVFKIT_TRY(nics(ivm, notes));
        for (const QmEntry& e : m_cfg.entries) {
            if (auto what = host_key(e.key)) {
                notes.add("passthrough", NoteAction::dropped, vm, e.key,
                          fmt::format("{} is not carried", *what));
            } else if (e.key.starts_with("unused")) {
                notes.add("disk-unused", NoteAction::dropped, vm, e.key,
                          fmt::format("a volume not attached to the VM ({}); not carried",
                                      shown(e.value)));
            } else if (e.key.starts_with("ipconfig") || e.key.starts_with("ci") ||
                       e.key == "sshkeys" || e.key == "nameserver" || e.key == "searchdomain") {
                notes.add("cloud-init", NoteAction::dropped, vm, e.key,
                          "cloud-init settings are not carried");
            } else if (e.key == "audio0" || e.key == "rng0" || e.key == "watchdog") {
                notes.add("devices-misc", NoteAction::dropped, vm, e.key,
                          "the device is not carried");
            } else if (vendor_key(e.key)) {
                ivm.vendor.push_back({e.key, e.value});
            }
        }
        app.vms.push_back(std::move(ivm));
        return app;
    }

private:
    const QmConfig& m_cfg;
    const std::string& m_name;
    const ImportOptions& m_opt;
    const DriveResolver& m_resolve;

    std::string where(std::string_view key) const {
        const QmEntry* e = m_cfg.find(key);
        return fmt::format("{}:{}", m_name, e == nullptr ? 0 : e->line);
    }

    void guest_os(PlanVm& vm) {
        std::string id(trim(m_cfg.get("ostype").value_or("other")));
        vm.os_hint = fmt::format("ostype {}", shown(id, 32));
        const GuestOsRow* row = guest_os_by_pve(id);
        if (row == nullptr) {
            row = &fallback_guest_os(OsFamily::other, true);
            vm.os.decided_by = "none";
            vm.os.confidence = OsConfidence::low;
        } else {
            vm.os.decided_by = "pve:ostype";
            vm.os.confidence = row->generic ? OsConfidence::medium : OsConfidence::high;
        }
        vm.os.row = row;
        vm.os.newest = row;
    }

    Result<uint64_t> count(std::string_view key, uint64_t fallback, uint64_t max) {
        auto v = m_cfg.get(key);
        if (!v) {
            return fallback;
        }
        auto n = parse_decimal(trim(*v));
        if (!n || *n == 0 || *n > max) {
            return fail(Errc::invalid, "{}: {} \"{}\": not a number from 1 to {}", where(key), key,
                        shown(*v, 32), max);
        }
        return *n;
    }

    Result<void> sizing(PlanVm& vm, PlanNotes& notes) {
        OVFKIT_TRY_ASSIGN(uint64_t cores, count("cores", 1, 1024));
        OVFKIT_TRY_ASSIGN(uint64_t sockets, count("sockets", 1, 64));
        vm.cpus = cores * sockets;
        if (vm.cpus > k_max_cpus) {
            return fail(Errc::invalid, "{}: {} cores × {} sockets: more than {} CPUs",
                        where("cores"), cores, sockets, k_max_cpus);
        }
        if (auto vcpus = m_cfg.get("vcpus")) {
            notes.add("cpu-hotplug", NoteAction::info, vm, "vcpus",
                      fmt::format("{} CPUs plugged at start (vcpus); the envelope has all {}",
                                  shown(*vcpus, 16), vm.cpus));
        }
        uint64_t mib = 512; // qemu-server's default
        if (auto mem = m_cfg.get("memory")) {
            auto props = parse_property_string(*mem, "current");
            const QmProperty* cur = props ? find_property(*props, "current") : nullptr;
            auto n = cur != nullptr ? parse_decimal(cur->value) : std::nullopt;
            if (!n || *n < 16 || *n > k_max_memory_mib) {
                return fail(Errc::invalid, "{}: memory \"{}\": not a size in MiB from 16 to {}",
                            where("memory"), shown(*mem, 32), k_max_memory_mib);
            }
            mib = *n;
        } else {
            notes.add("memory-default", NoteAction::info, vm, "memory",
                      "the config states no memory size; imported with qemu-server's default, "
                      "512 MiB");
        }
        vm.memory_bytes = mib * k_mib;
        if (auto balloon = m_cfg.get("balloon")) {
            auto n = parse_decimal(trim(*balloon));
            notes.add("memory-balloon", NoteAction::info, vm, "balloon",
                      n && *n == 0 ? std::string("the balloon device is off; kept as a setting")
                                   : fmt::format("the balloon target {} MiB is kept as a setting, "
                                                 "not as a memory range",
                                                 shown(*balloon, 16)));
        }
        return {};
    }

    Result<void> firmware(PlanVm& vm, PlanNotes& notes) {
        vm.firmware_stated = true;
        std::string bios(trim(m_cfg.get("bios").value_or("seabios")));
        if (bios == "ovmf") {
            vm.firmware = Firmware::efi;
        } else if (bios == "seabios") {
            vm.firmware = Firmware::bios;
        } else {
            return fail(Errc::invalid, "{}: bios \"{}\": qm knows seabios and ovmf", where("bios"),
                        shown(bios, 32));
        }
        if (auto efi = m_cfg.get("efidisk0")) {
            auto props = parse_property_string(*efi, "file");
            if (!props) {
                return fail(Errc::invalid, "{}: efidisk0 \"{}\": not a drive string",
                            where("efidisk0"), shown(*efi));
            }
            const QmProperty* keys = find_property(*props, "pre-enrolled-keys");
            if (vm.firmware == Firmware::efi) {
                vm.secure_boot = keys != nullptr && keys->value == "1";
                notes.add("fw-nvram", NoteAction::dropped, vm, "efidisk0",
                          "the EFI vars volume (boot entries, enrolled keys) is not carried; the "
                          "target makes a new one");
            } else {
                notes.add("fw-nvram", NoteAction::dropped, vm, "efidisk0",
                          "an EFI vars volume on a SeaBIOS VM is not used; not carried");
            }
            std::string rest;
            for (const auto& p : *props) {
                if (p.key != "file" && p.key != "size") {
                    rest += (rest.empty() ? "" : ",") + p.key + "=" + p.value;
                }
            }
            if (!rest.empty()) {
                m_extra.push_back({"efidisk0", rest});
            }
        }
        if (m_cfg.get("tpmstate0")) {
            vm.tpm = true;
            notes.add("tpm-state", NoteAction::dropped, vm, "tpmstate0",
                      "the TPM is carried; its state (keys sealed by the guest) is not");
        }
        std::string machine(trim(m_cfg.get("machine").value_or("")));
        // "q35", "pc-q35-5.1" ... are Q35; "pc", "pc-i440fx-5.0" and none are i440FX.
        std::string type = machine;
        if (auto semi = type.find(','); semi != std::string::npos) {
            type.resize(semi); // "q35,viommu=intel"
        }
        if (type.starts_with("type=")) {
            type = type.substr(5);
        }
        vm.machine = type == "q35" || type.starts_with("pc-q35") ? "q35" : "pc";
        return {};
    }

    // The controller of a qm slot, made on first use. Proxmox has one per
    // bus (two IDE channels); the vocabulary is the exporter's, read back.
    std::string controller(PlanVm& vm, PlanNotes& notes, Bus bus, unsigned slot) {
        std::string id;
        std::string model;
        switch (bus) {
        case Bus::ide:
            id = fmt::format("ide{}", slot / 2);
            model = "piix4";
            break;
        case Bus::sata:
            id = "sata0";
            model = "ahci";
            break;
        case Bus::virtio:
            id = "virtio";
            model = "virtio-blk";
            break;
        case Bus::scsi:
        case Bus::nvme: {
            id = "scsi0";
            std::string hw(trim(m_cfg.get("scsihw").value_or("")));
            if (hw == "lsi" || hw == "lsi53c810") {
                model = "lsilogic";
            } else if (hw == "virtio-scsi-pci" || hw == "virtio-scsi-single") {
                model = "virtio-scsi";
            } else if (hw == "pvscsi") {
                model = "pvscsi";
            } else if (hw.empty()) {
                model = "lsilogic";
                if (vm.controller(id) == nullptr) {
                    notes.add("ctrl-model-default", NoteAction::info, vm, "scsihw",
                              "no scsihw: imported as LSI Logic, qemu-server's default");
                }
            } else {
                model = hw;
                if (vm.controller(id) == nullptr) {
                    notes.add("ctrl-model-unknown", NoteAction::info, vm, "scsihw",
                              fmt::format("scsihw \"{}\" is kept as written", shown(hw, 32)));
                }
            }
            break;
        }
        }
        if (vm.controller(id) == nullptr) {
            vm.controllers.push_back(PlanController{id, bus, model, 0});
        }
        return id;
    }

    Result<void> storage(ImportedVm& ivm, PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        struct Drive {
            DriveKey key;
            const QmEntry* entry;
        };
        std::vector<Drive> drives;
        for (const QmEntry& e : m_cfg.entries) {
            bool beyond = false;
            auto k = drive_key(e.key, &beyond);
            if (beyond) {
                notes.add("device-slot", NoteAction::dropped, vm, e.key,
                          fmt::format("{}:{}: not a slot qm has; ignored", m_name, e.line));
            }
            if (k) {
                drives.push_back({*k, &e});
            }
        }
        if (drives.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} drives; ovfkit imports at most {}", m_name,
                        drives.size(), k_import_max_devices);
        }
        std::sort(drives.begin(), drives.end(), [](const Drive& a, const Drive& b) {
            return std::pair(bus_rank(a.key.bus), a.key.slot) <
                   std::pair(bus_rank(b.key.bus), b.key.slot);
        });
        // The boot disk: the first drive of boot's order, else bootdisk.
        std::vector<std::string> order;
        if (auto boot = m_cfg.get("boot")) {
            auto props = parse_property_string(*boot, "legacy");
            if (const QmProperty* o = props ? find_property(*props, "order") : nullptr) {
                size_t p = 0;
                while (p <= o->value.size() && order.size() < 128) {
                    size_t semi = o->value.find(';', p);
                    if (semi == std::string::npos) {
                        semi = o->value.size();
                    }
                    order.push_back(o->value.substr(p, semi - p));
                    p = semi + 1;
                }
            }
        }
        if (auto bootdisk = m_cfg.get("bootdisk")) {
            order.emplace_back(trim(*bootdisk));
        }
        unsigned number = 0;
        std::string boot_id;
        size_t boot_rank = SIZE_MAX;
        for (const Drive& d : drives) {
            const QmEntry& e = *d.entry;
            std::string at = fmt::format("{}:{}", m_name, e.line);
            auto props = parse_property_string(e.value, "file");
            const QmProperty* file = props ? find_property(*props, "file") : nullptr;
            if (file == nullptr) {
                return fail(Errc::invalid, "{}: {} \"{}\": not a drive string", at, e.key,
                            shown(e.value));
            }
            const QmProperty* media = find_property(*props, "media");
            std::string ctrl = controller(vm, notes, d.key.bus, d.key.slot);
            unsigned unit = d.key.bus == Bus::ide ? d.key.slot % 2 : d.key.slot;
            if (media != nullptr && media->value == "cdrom") {
                if (d.key.bus == Bus::virtio) {
                    return fail(Errc::invalid, "{}: {}: a CD-ROM on virtio-blk", at, e.key);
                }
                vm.cdroms.push_back(PlanCdrom{ctrl, unit, "", false});
                if (file->value == "cdrom") {
                    notes.add("cdrom-host", NoteAction::translated, vm, e.key,
                              "the host's drive is imported as an empty CD-ROM drive");
                } else if (file->value != "none") {
                    notes.add("cdrom-media", NoteAction::dropped, vm, e.key,
                              fmt::format("the medium {} is not carried; the drive is empty",
                                          shown(file->value)));
                }
                continue;
            }
            std::string volume = file->value;
            if (const QmProperty* from = find_property(*props, "import-from")) {
                // qm create's form (what `--to proxmox` writes): the data
                // is the file named, relative to the config's directory.
                volume = from->value;
            }
            OVFKIT_TRY_ASSIGN(auto disk, m_resolve(e.key, volume, at));
            if (!disk) {
                notes.add("disk-missing", NoteAction::dropped, vm, e.key,
                          fmt::format("{}: the volume {} has no data in the source (excluded from "
                                      "the backup); not carried",
                                      at, shown(volume)));
                continue;
            }
            PlanDisk pd;
            pd.disk_id = fmt::format("pvedisk{}", ++number);
            pd.controller = ctrl;
            pd.unit = unit;
            auto rank = std::find(order.begin(), order.end(), e.key);
            if (rank != order.end() && static_cast<size_t>(rank - order.begin()) < boot_rank) {
                boot_rank = static_cast<size_t>(rank - order.begin());
                boot_id = pd.disk_id;
            }
            std::string rest;
            for (const auto& p : *props) {
                if (p.key != "file" && p.key != "size" && p.key != "import-from" &&
                    p.key != "media") {
                    rest += (rest.empty() ? "" : ",") + p.key + "=" + p.value;
                }
            }
            if (!rest.empty()) {
                m_extra.push_back({e.key, rest});
            }
            disk->disk_id = pd.disk_id;
            vm.disks.push_back(std::move(pd));
            ivm.disks.push_back(std::move(*disk));
        }
        // The boot disk first: the plan boots its first disk.
        for (size_t i = 0; i < vm.disks.size(); ++i) {
            if (vm.disks[i].disk_id == boot_id && i != 0) {
                std::rotate(vm.disks.begin(), vm.disks.begin() + static_cast<long>(i),
                            vm.disks.begin() + static_cast<long>(i) + 1);
                std::rotate(ivm.disks.begin(), ivm.disks.begin() + static_cast<long>(i),
                            ivm.disks.begin() + static_cast<long>(i) + 1);
            }
        }
        if (!vm.disks.empty()) {
            vm.disks.front().boot = true;
        }
        // Ids in plan order.
        for (size_t i = 0; i < vm.disks.size(); ++i) {
            vm.disks[i].disk_id = ivm.disks[i].disk_id = fmt::format("pvedisk{}", i + 1);
        }
        // Each controller's number among those of its bus, in plan order.
        std::stable_sort(vm.controllers.begin(), vm.controllers.end(),
                         [](const PlanController& a, const PlanController& b) {
                             return std::pair(bus_rank(a.bus), a.id) <
                                    std::pair(bus_rank(b.bus), b.id);
                         });
        std::map<Bus, unsigned> n;
        for (auto& c : vm.controllers) {
            c.index = n[c.bus]++;
        }
        return {};
    }

    Result<void> nics(ImportedVm& ivm, PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        std::map<unsigned, const QmEntry*> nets;
        for (const QmEntry& e : m_cfg.entries) {
            if (!e.key.starts_with("net") || e.key.size() < 4 || e.key.size() > 5) {
                continue;
            }
            auto n = parse_decimal(std::string_view(e.key).substr(3));
            if (!n) {
                continue;
            }
            if (*n >= k_nic_slots) {
                notes.add("device-slot", NoteAction::dropped, vm, e.key,
                          fmt::format("{}:{}: not a slot qm has; ignored", m_name, e.line));
                continue;
            }
            nets[static_cast<unsigned>(*n)] = &e;
        }
        for (const auto& [n, e] : nets) {
            std::string at = fmt::format("{}:{}", m_name, e->line);
            auto props = parse_property_string(e->value, "model");
            if (!props || props->empty()) {
                return fail(Errc::invalid, "{}: {} \"{}\": not a network device string", at, e->key,
                            shown(e->value));
            }
            std::string model;
            std::string mac;
            std::string rest;
            for (const auto& p : *props) {
                if (p.key == "model") {
                    model = p.value;
                } else if (p.key == "macaddr") {
                    mac = p.value;
                } else if (is_nic_model_key(p.key) && model.empty()) {
                    model = p.key;
                    mac = p.value;
                } else if (p.key != "bridge") {
                    rest += (rest.empty() ? "" : ",") + p.key + "=" + p.value;
                }
            }
            if (model.empty()) {
                return fail(Errc::invalid, "{}: {} \"{}\": no NIC model", at, e->key,
                            shown(e->value));
            }
            PlanNic nic;
            nic.source_item = e->key;
            if (auto m = nic_model(model)) {
                nic.model = *m;
            } else {
                nic.model = model;
                notes.add("nic-model-unknown", NoteAction::info, vm, e->key,
                          fmt::format("model \"{}\" is kept as written", shown(model, 32)));
            }
            const QmProperty* bridge = find_property(*props, "bridge");
            if (bridge != nullptr && !bridge->value.empty()) {
                nic.network = bridge->value;
            } else {
                nic.network = "user";
                notes.add("net-user", NoteAction::translated, vm, e->key,
                          "no bridge (QEMU's user-mode network); imported on network \"user\"");
            }
            nic.ovf_network = nic.network;
            if (!mac.empty()) {
                std::string m = ascii_lower(mac);
                if (!is_mac_address(m)) {
                    notes.add(
                        "nic-mac", NoteAction::dropped, vm, e->key,
                        fmt::format("\"{}\" is not a MAC address; not carried", shown(mac, 32)));
                } else if (m_opt.keep_macs) {
                    nic.mac = m;
                } else {
                    notes.add("nic-mac", NoteAction::info, vm, fmt::format("{} ({})", e->key, m),
                              "the MAC address is not carried (the target generates one; "
                              "--keep-macs keeps it)");
                }
            }
            if (!rest.empty()) {
                ivm.vendor.push_back({e->key + ":options", rest});
            }
            vm.nics.push_back(std::move(nic));
        }
        for (auto& [key, value] : m_extra) {
            ivm.vendor.push_back({key + ":options", value});
        }
        return {};
    }

    std::vector<std::pair<std::string, std::string>> m_extra;
};

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

bool is_host_device(std::string_view p) {
    return p.starts_with("/dev/") || p == "/dev";
}

// R2 for a file the user or the config names: one name in the config's
// directory, else only with --allow-absolute-paths; host devices never.
Result<std::string> checked_path(std::string_view path, const ImportOptions& options,
                                 const std::string& what) {
    if (is_host_device(path)) {
        return fail(Errc::refused, "{} \"{}\": a host device; ovfkit reads disk images only", what,
                    shown(path));
    }
    if (io::check_member_name(path)) {
        return std::string(path);
    }
    if (!options.allow_absolute_paths) {
        return fail(Errc::refused,
                    "{} \"{}\": {}; disks are read from the config's directory only (R2; "
                    "--allow-absolute-paths reads it)",
                    what, shown(path),
                    path.starts_with('/') ? "an absolute path"
                                          : "a path out of the config's directory");
    }
    if (path.find('\0') != std::string_view::npos || path.empty()) {
        return fail(Errc::refused, "{} \"{}\": not a path on this host", what, shown(path));
    }
    return std::string(path);
}

std::string format_of(std::string_view path) {
    std::string lower = ascii_lower(path);
    return lower.ends_with(".vmdk") ? "vmdk" : "";
}

// A `.conf` whose first line that is no comment is `key: value` with a qm
// key (qemu-server's pattern), as every qm config's is.
bool claims_conf(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    if (is_directory || !path.ends_with(".conf")) {
        return false;
    }
    std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
        start = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return false;
        }
        std::string_view key = line.substr(0, colon);
        if (key.front() < 'a' || key.front() > 'z') {
            return false;
        }
        return std::all_of(key.begin(), key.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    }
    return false;
}

Result<ImportedAppliance> read_conf(const std::string& path, const ImportOptions& options) {
    std::vector<VolumeMapping> maps;
    for (const auto& v : options.volumes) {
        OVFKIT_TRY_ASSIGN(auto m, parse_volume_mapping(v));
        maps.push_back(std::move(m));
    }
    OVFKIT_TRY_ASSIGN(QmConfig config, read_qm_config(path));
    std::set<std::string> used;
    DriveResolver resolve = [&](const std::string& drive, const std::string& volume,
                                const std::string& at) -> Result<std::optional<ImportDisk>> {
        auto it = std::find_if(maps.begin(), maps.end(),
                               [&](const VolumeMapping& m) { return m.volume == volume; });
        std::string target;
        std::string what;
        if (it != maps.end()) {
            used.insert(volume);
            what = fmt::format("--volume {}", shown(volume));
            target = it->path;
        } else if (volume.find(':') == std::string::npos || volume.starts_with('/')) {
            // A path, not a storage volume (import-from=, or a path qm
            // takes as is): read under R2.
            what = fmt::format("{}: {}", at, drive);
            target = volume;
        } else {
            return fail(Errc::refused,
                        "{}: {}: the volume \"{}\" is not mapped to a file; add --volume "
                        "{}=PATH (PATH relative to the config's directory)",
                        at, drive, shown(volume), shown(volume));
        }
        OVFKIT_TRY_ASSIGN(std::string p, checked_path(target, options, what));
        ImportDisk d;
        d.path = p;
        d.format = format_of(p);
        return std::optional<ImportDisk>(std::move(d));
    };
    OVFKIT_TRY_ASSIGN(auto app, import_qm(config, path, options, resolve));
    for (const auto& m : maps) {
        if (!used.contains(m.volume)) {
            app.notes.add("volume-unused", NoteAction::info, app.vms.front().vm, m.volume,
                          "--volume names a volume no drive of the config uses");
        }
    }
    app.directory = directory_of(path);
    return app;
}

} // namespace

Result<VolumeMapping> parse_volume_mapping(std::string_view text) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size() ||
        text.substr(0, eq).find(':') == std::string_view::npos) {
        return fail(Errc::usage,
                    "--volume \"{}\": write STORAGE:NAME=PATH (the volume as the config names it, "
                    "then the file holding it)",
                    shown(text));
    }
    return VolumeMapping{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Result<ImportedAppliance> import_qm(const QmConfig& config, const std::string& config_name,
                                    const ImportOptions& options, const DriveResolver& resolve) {
    return Importer(config, config_name, options, resolve).run();
}

const ImportSource qm_import_source{
    .name = "qm",
    .platform = "proxmox",
    .description = "a Proxmox VE qm config (ID.conf) with its volumes given by --volume",
    .claims = claims_conf,
    .read = read_conf,
};

} // namespace ovfkit::platform::proxmox
