// The .vmx importer; see import.hpp.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <sys/stat.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/vmware/import.hpp>
#include <ovfkit/platform/vmware/vmx.hpp>

namespace ovfkit::platform::vmware {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
constexpr uint64_t k_max_memory_mib = uint64_t{24} << 20; // 24 TiB
constexpr uint64_t k_max_cpus = 768;

struct Slot {
    Bus bus = Bus::ide;
    unsigned controller = 0; // the N of scsiN
    unsigned unit = 0;       // the M of scsiN:M
    std::string prefix;      // "scsi0:1"
};

std::string_view prefix_of(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "ide";
    case Bus::sata:
        return "sata";
    case Bus::scsi:
        return "scsi";
    case Bus::nvme:
        return "nvme";
    case Bus::virtio:
        break;
    }
    return "";
}

// Bus order of the disks (the first is the boot disk): VMware's BIOS boots
// SCSI before SATA, NVMe and IDE when bios.bootOrder says nothing.
int bus_rank(Bus bus) {
    switch (bus) {
    case Bus::scsi:
        return 0;
    case Bus::sata:
        return 1;
    case Bus::nvme:
        return 2;
    case Bus::ide:
        return 3;
    case Bus::virtio:
        break;
    }
    return 4;
}

// Units each bus takes (vmware-virtualbox.md C3); controllers 0-3, IDE 0-1.
bool slot_in_range(Bus bus, unsigned controller, unsigned unit) {
    switch (bus) {
    case Bus::ide:
        return controller <= 1 && unit <= 1;
    case Bus::scsi:
        return controller <= 3 && unit <= 63 && unit != 7;
    case Bus::sata:
        return controller <= 3 && unit <= 29;
    case Bus::nvme:
        return controller <= 3 && unit <= 63;
    case Bus::virtio:
        break;
    }
    return false;
}

std::optional<unsigned> small_number(std::string_view text) {
    if (text.empty() || text.size() > 3) {
        return std::nullopt;
    }
    auto v = parse_decimal(text);
    return v ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
}

// "scsi0:1.present" -> the slot; nullopt for any other key.
std::optional<Slot> device_slot(std::string_view lower_key) {
    constexpr std::string_view suffix = ".present";
    if (!lower_key.ends_with(suffix)) {
        return std::nullopt;
    }
    std::string_view body = lower_key.substr(0, lower_key.size() - suffix.size());
    for (Bus bus : {Bus::scsi, Bus::sata, Bus::nvme, Bus::ide}) {
        std::string_view p = prefix_of(bus);
        if (!body.starts_with(p)) {
            continue;
        }
        std::string_view rest = body.substr(p.size());
        size_t colon = rest.find(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        auto n = small_number(rest.substr(0, colon));
        auto m = small_number(rest.substr(colon + 1));
        if (!n || !m) {
            return std::nullopt;
        }
        return Slot{bus, *n, *m, std::string(body)};
    }
    return std::nullopt;
}

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

std::string stem_of(const std::string& path) {
    std::string_view base = base_name(path);
    if (auto dot = base.rfind('.'); dot != std::string_view::npos && dot > 0) {
        base = base.substr(0, dot);
    }
    return std::string(base);
}

// Settings OVF has no element for that VMware takes back (ExtraConfig).
bool vendor_key(std::string_view lower) {
    static constexpr std::array<std::string_view, 5> k_keys{
        "cpuid.corespersocket", "uuid.bios", "disk.enableuuid", "tools.synctime", "bios.bootorder"};
    if (std::find(k_keys.begin(), k_keys.end(), lower) != k_keys.end()) {
        return true;
    }
    return lower.starts_with("guestinfo.") && lower != "guestinfo.ovfenv";
}

class Importer {
public:
    Importer(const VmxConfig& config, const std::string& path, const ImportOptions& options)
        : m_cfg(config), m_path(path), m_opt(options) {}

    Result<ImportedAppliance> run() {
        ImportedAppliance app;
        app.platform = "vmware";
        app.config = m_path;
        app.directory = directory_of(m_path);
        ImportedVm ivm;
        PlanVm& vm = ivm.vm;
        std::string display(m_cfg.get("displayName").value_or(""));
        vm.name = trim(display).empty() ? stem_of(m_path) : std::string(trim(display));
        vm.system_id = vmx_file_stem(vm.name);
        vm.path = vm.system_id;
        vm.description = std::string(m_cfg.get("annotation").value_or(""));
        PlanNotes& notes = app.notes;
        for (const auto& [key, line] : m_cfg.duplicates()) {
            notes.add("vmx-duplicate", NoteAction::info, vm, key,
                      fmt::format("{}:{}: written again; the first value is read", m_path, line));
        }
        if (auto state = m_cfg.get("checkpoint.vmState"); state && !trim(*state).empty()) {
            return fail(Errc::refused,
                        "{}:{}: the VM is suspended (checkpoint.vmState); its disks are not "
                        "consistent: power it off and import again",
                        m_path, m_cfg.line("checkpoint.vmState"));
        }
        OVFKIT_TRY(guest_os(vm, ivm, notes));
        OVFKIT_TRY(sizing(vm, notes));
        OVFKIT_TRY(firmware(vm));
        if (auto hw = m_cfg.get("virtualHW.version")) {
            auto v = small_number(trim(*hw));
            if (v && *v >= 3 && *v <= 99) {
                vm.machine = fmt::format("vmx-{:02}", *v);
            }
        }
        OVFKIT_TRY(storage(ivm, notes, app.directory));
        OVFKIT_TRY(nics(vm, notes));
        other_devices(vm, notes);
        for (const VmxEntry& e : m_cfg.entries()) {
            std::string lower = ascii_lower(e.key);
            if (vendor_key(lower)) {
                ivm.vendor.push_back({e.key, e.value});
            }
        }
        app.vms.push_back(std::move(ivm));
        return app;
    }

private:
    const VmxConfig& m_cfg;
    const std::string& m_path;
    const ImportOptions& m_opt;

    std::string where(std::string_view key) const {
        return fmt::format("{}:{}", m_path, m_cfg.line(key));
    }

    Result<void> guest_os(PlanVm& vm, ImportedVm& ivm, PlanNotes& notes) {
        auto id = m_cfg.get("guestOS");
        GuestOsHints hints;
        if (id && !trim(*id).empty()) {
            hints.vendor_os_type = std::string(trim(*id));
            vm.os_hint = fmt::format("guestOS {}", trim(*id));
        }
        vm.os = resolve_guest_os(hints);
        if (vm.os.decided_by == "none") {
            notes.add(
                "os-unmapped", NoteAction::info, vm, "guestOS",
                id ? fmt::format("{} is not in the guest OS table; imported as {}", *id,
                                 vm.os.row->display)
                   : fmt::format("the .vmx names no guest OS; imported as {}", vm.os.row->display));
            if (id) {
                ivm.vendor.push_back({"guestOS", std::string(*id)});
            }
        }
        return {};
    }

    Result<void> sizing(PlanVm& vm, PlanNotes& notes) {
        if (auto cpus = m_cfg.get("numvcpus")) {
            auto n = parse_decimal(trim(*cpus));
            if (!n || *n == 0 || *n > k_max_cpus) {
                return fail(Errc::invalid, "{}: numvcpus \"{}\": not a CPU count from 1 to {}",
                            where("numvcpus"), *cpus, k_max_cpus);
            }
            vm.cpus = *n;
        } else {
            vm.cpus = 1;
        }
        if (auto mem = m_cfg.get("memsize")) {
            auto n = parse_decimal(trim(*mem));
            if (!n || *n == 0 || *n > k_max_memory_mib) {
                return fail(Errc::invalid, "{}: memsize \"{}\": not a size in MiB from 1 to {}",
                            where("memsize"), *mem, k_max_memory_mib);
            }
            vm.memory_bytes = *n * k_mib;
        } else {
            // VMware's (and libvirt's) default.
            vm.memory_bytes = 32 * k_mib;
            notes.add("memory-default", NoteAction::info, vm, "memsize",
                      "the .vmx states no memory size; imported with VMware's default, 32 MiB");
        }
        return {};
    }

    Result<void> firmware(PlanVm& vm) {
        // No key means BIOS in every VMware product.
        vm.firmware_stated = true;
        vm.firmware = Firmware::bios;
        if (auto fw = m_cfg.get("firmware")) {
            std::string f = ascii_lower(trim(*fw));
            if (f == "efi") {
                vm.firmware = Firmware::efi;
            } else if (f != "bios") {
                return fail(Errc::invalid, "{}: firmware \"{}\": VMware knows \"bios\" and \"efi\"",
                            where("firmware"), *fw);
            }
        }
        vm.secure_boot =
            vm.firmware == Firmware::efi && m_cfg.get_bool("uefi.secureBoot.enabled") == true;
        vm.tpm = m_cfg.get_bool("vtpm.present") == true;
        return {};
    }

    PlanController& controller(PlanVm& vm, Bus bus, unsigned number, PlanNotes& notes,
                               bool implicit) {
        std::string id = fmt::format("{}{}", prefix_of(bus), number);
        for (auto& c : vm.controllers) {
            if (c.id == id) {
                return c;
            }
        }
        PlanController c;
        c.id = id;
        c.bus = bus;
        switch (bus) {
        case Bus::ide:
            c.model = "piix4";
            break;
        case Bus::sata:
            c.model = "ahci";
            break;
        case Bus::nvme:
            c.model = "nvme";
            break;
        case Bus::scsi: {
            std::string key = fmt::format("{}.virtualDev", id);
            auto dev = m_cfg.get(key);
            std::string d = ascii_lower(trim(dev.value_or("")));
            if (d == "lsilogic") {
                c.model = "lsilogic";
            } else if (d == "lsisas1068") {
                c.model = "lsilogicsas";
            } else if (d == "pvscsi") {
                c.model = "pvscsi";
            } else if (d == "buslogic") {
                c.model = "buslogic";
            } else if (d.empty()) {
                c.model = "lsilogic";
                notes.add("ctrl-model-default", NoteAction::info, vm, id,
                          "no virtualDev: imported as LSI Logic, VMware's default for most "
                          "guests");
            } else {
                c.model = std::string(trim(*dev));
                notes.add("ctrl-model-unknown", NoteAction::info, vm, id,
                          fmt::format("virtualDev \"{}\" is kept as written", *dev));
            }
            break;
        }
        case Bus::virtio:
            break;
        }
        if (implicit && bus != Bus::ide) {
            notes.add(
                "ctrl-missing", NoteAction::added, vm, id,
                fmt::format("{}.present is not TRUE but devices use it; imported as present", id));
        }
        vm.controllers.push_back(std::move(c));
        return vm.controllers.back();
    }

    // R2: a disk is a file in the VM's directory, unless the user allows
    // paths (absolute, or relative ones leaving the directory).
    Result<std::string> disk_path(const Slot& s, std::string_view file) const {
        std::string key = s.prefix + ".fileName";
        std::string lower = ascii_lower(file);
        if (lower.starts_with("/dev/") || lower.starts_with("/vmfs/devices/") ||
            lower.starts_with("\\\\.\\")) {
            return fail(Errc::refused,
                        "{}: {} \"{}\": a host device; ovfkit reads disk images only", where(key),
                        key, file);
        }
        if (io::check_member_name(file)) {
            return std::string(file);
        }
        bool absolute =
            file.starts_with('/') || file.starts_with('\\') || (file.size() > 1 && file[1] == ':');
        if (!m_opt.allow_absolute_paths) {
            return fail(Errc::refused,
                        "{}: {} \"{}\": {}; disks are read from the VM's directory only (R2; "
                        "--allow-absolute-paths reads it)",
                        where(key), key, file,
                        absolute ? "an absolute path" : "a path out of the VM's directory");
        }
        if (file.find('\\') != std::string_view::npos ||
            file.find('\0') != std::string_view::npos) {
            return fail(Errc::refused, "{}: {} \"{}\": not a path on this host", where(key), key,
                        file);
        }
        return std::string(file);
    }

    Result<void> storage(ImportedVm& ivm, PlanNotes& notes, const std::string& directory) {
        PlanVm& vm = ivm.vm;
        (void)directory;
        // Controllers the .vmx declares, in bus order.
        for (Bus bus : {Bus::scsi, Bus::sata, Bus::nvme}) {
            for (unsigned n = 0; n <= 3; ++n) {
                if (m_cfg.get_bool(fmt::format("{}{}.present", prefix_of(bus), n)) == true) {
                    controller(vm, bus, n, notes, false);
                }
            }
        }
        std::vector<Slot> slots;
        std::set<std::string> seen;
        for (const VmxEntry& e : m_cfg.entries()) {
            auto s = device_slot(ascii_lower(e.key));
            if (!s || !seen.insert(s->prefix).second) {
                continue;
            }
            if (m_cfg.get_bool(e.key) != true) {
                continue;
            }
            if (!slot_in_range(s->bus, s->controller, s->unit)) {
                notes.add("device-slot", NoteAction::dropped, vm, s->prefix,
                          fmt::format("{}:{}: not a slot VMware has; ignored", m_path, e.line));
                continue;
            }
            slots.push_back(*s);
        }
        if (slots.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} storage devices; ovfkit imports at most {}", m_path,
                        slots.size(), k_import_max_devices);
        }
        std::stable_sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
            return std::tuple(bus_rank(a.bus), a.controller, a.unit) <
                   std::tuple(bus_rank(b.bus), b.controller, b.unit);
        });
        // Controllers of the devices, created in the same order.
        for (const Slot& s : slots) {
            controller(vm, s.bus, s.controller, notes, true);
        }
        // Each controller's number among those of its bus, in plan order
        // (vm_plan.hpp): a lone ide1 is the VM's first IDE channel.
        std::stable_sort(vm.controllers.begin(), vm.controllers.end(),
                         [](const PlanController& a, const PlanController& b) {
                             return std::tuple(bus_rank(a.bus), a.id) <
                                    std::tuple(bus_rank(b.bus), b.id);
                         });
        std::map<Bus, unsigned> count;
        for (auto& c : vm.controllers) {
            c.index = count[c.bus]++;
        }
        unsigned disk_number = 0;
        for (const Slot& s : slots) {
            std::string ctrl = fmt::format("{}{}", prefix_of(s.bus), s.controller);
            std::string type = ascii_lower(trim(m_cfg.get(s.prefix + ".deviceType").value_or("")));
            std::optional<std::string_view> file = m_cfg.get(s.prefix + ".fileName");
            if (type == "cdrom-image" || type == "cdrom-raw" || type == "atapi-cdrom") {
                PlanCdrom cd;
                cd.controller = ctrl;
                cd.unit = s.unit;
                std::string medium(trim(file.value_or("")));
                if (type == "cdrom-image" && !medium.empty() && medium != "emptyBackingString") {
                    notes.add(
                        "cdrom-media", NoteAction::dropped, vm, s.prefix,
                        fmt::format("the medium {} is not carried; the drive is empty", medium));
                } else if (type != "cdrom-image") {
                    notes.add("cdrom-host", NoteAction::translated, vm, s.prefix,
                              "a drive passed through from the host is imported as an empty "
                              "CD-ROM drive");
                }
                vm.cdroms.push_back(std::move(cd));
                continue;
            }
            if (type == "rawdisk" || type == "plaindisk") {
                return fail(Errc::refused,
                            "{}: {}.deviceType \"{}\": a raw device mapping; ovfkit reads disk "
                            "images only",
                            where(s.prefix + ".deviceType"), s.prefix, type);
            }
            if (!type.empty() && type != "scsi-harddisk" && type != "ata-harddisk" &&
                type != "disk" && type != "sata-harddisk" && type != "nvme-harddisk") {
                notes.add("devices-misc", NoteAction::dropped, vm, s.prefix,
                          fmt::format("device type \"{}\" is not carried", type));
                continue;
            }
            if (!file || trim(*file).empty()) {
                return fail(Errc::invalid, "{}: {} is a disk without a fileName",
                            where(s.prefix + ".present"), s.prefix);
            }
            OVFKIT_TRY_ASSIGN(std::string path, disk_path(s, *file));
            PlanDisk d;
            d.disk_id = fmt::format("vmdisk{}", ++disk_number);
            d.controller = ctrl;
            d.unit = s.unit;
            if (auto mode = m_cfg.get(s.prefix + ".mode");
                mode && ascii_lower(*mode).starts_with("independent")) {
                notes.add(
                    "disk-mode", NoteAction::info, vm, s.prefix,
                    fmt::format("mode \"{}\" is not carried; the disk is an ordinary one", *mode));
            }
            ImportDisk src;
            src.disk_id = d.disk_id;
            // Named, so that a descriptor's extents and a snapshot's
            // parents are followed (detected formats follow nothing).
            if (ascii_lower(src.path = std::move(path)).ends_with(".vmdk")) {
                src.format = "vmdk";
            }
            vm.disks.push_back(std::move(d));
            ivm.disks.push_back(std::move(src));
        }
        if (!vm.disks.empty()) {
            vm.disks.front().boot = true;
        }
        return {};
    }

    Result<void> nics(PlanVm& vm, PlanNotes& notes) {
        std::set<unsigned> numbers;
        for (const VmxEntry& e : m_cfg.entries()) {
            std::string lower = ascii_lower(e.key);
            if (!lower.starts_with("ethernet") || !lower.ends_with(".present")) {
                continue;
            }
            auto n = small_number(std::string_view(lower).substr(8, lower.size() - 8 - 8));
            if (n && m_cfg.get_bool(e.key) == true) {
                numbers.insert(*n);
            }
        }
        if (numbers.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} network adapters; ovfkit imports at most {}", m_path,
                        numbers.size(), k_import_max_devices);
        }
        for (unsigned n : numbers) {
            std::string p = fmt::format("ethernet{}", n);
            PlanNic nic;
            nic.source_item = p;
            std::string dev = ascii_lower(trim(m_cfg.get(p + ".virtualDev").value_or("")));
            if (dev == "e1000" || dev == "e1000e" || dev == "vmxnet3" || dev == "vmxnet") {
                nic.model = dev;
            } else if (dev == "vlance") {
                nic.model = "pcnet";
            } else if (dev.empty()) {
                nic.model = "e1000";
                notes.add("nic-model-default", NoteAction::info, vm, p,
                          "no virtualDev: imported as E1000, VMware's default for current guests");
            } else {
                nic.model = std::string(trim(*m_cfg.get(p + ".virtualDev")));
                notes.add("nic-model-unknown", NoteAction::info, vm, p,
                          fmt::format("virtualDev \"{}\" is kept as written", nic.model));
            }
            std::string network(trim(m_cfg.get(p + ".networkName").value_or("")));
            if (network.empty()) {
                network = std::string(trim(m_cfg.get(p + ".vnet").value_or("")));
            }
            if (network.empty()) {
                std::string type(trim(m_cfg.get(p + ".connectionType").value_or("bridged")));
                network = type.empty() ? "bridged" : type;
            }
            nic.ovf_network = network;
            nic.network = network;
            std::string type = ascii_lower(trim(m_cfg.get(p + ".addressType").value_or("")));
            std::optional<std::string_view> mac =
                type == "static" ? m_cfg.get(p + ".address") : m_cfg.get(p + ".generatedAddress");
            if (!mac) {
                mac = m_cfg.get(p + ".address");
            }
            if (mac && !trim(*mac).empty()) {
                std::string m = ascii_lower(trim(*mac));
                if (!is_mac_address(m)) {
                    notes.add("nic-mac", NoteAction::dropped, vm, p,
                              fmt::format("\"{}\" is not a MAC address; not carried", *mac));
                } else if (m_opt.keep_macs) {
                    nic.mac = m;
                } else {
                    notes.add("nic-mac", NoteAction::info, vm, fmt::format("{} ({})", p, m),
                              "the MAC address is not carried (the target generates one; "
                              "--keep-macs keeps it)");
                }
            }
            vm.nics.push_back(std::move(nic));
        }
        return {};
    }

    void other_devices(PlanVm& vm, PlanNotes& notes) {
        auto present = [&](const std::string& key) { return m_cfg.get_bool(key) == true; };
        for (unsigned n = 0; n <= 1; ++n) {
            std::string p = fmt::format("floppy{}", n);
            // A floppy is present unless it says otherwise (VMware's default).
            if (m_cfg.get(p + ".fileName") && m_cfg.get_bool(p + ".present") != false) {
                notes.add("devices-misc", NoteAction::dropped, vm, p,
                          "floppy drives are not carried");
            }
        }
        if (present("sound.present")) {
            notes.add("devices-misc", NoteAction::dropped, vm, "sound",
                      "sound cards are not carried");
        }
        for (const char* usb : {"usb", "ehci", "usb_xhci"}) {
            if (present(fmt::format("{}.present", usb))) {
                notes.add("devices-misc", NoteAction::dropped, vm, usb,
                          "USB controllers are not carried (the target adds its own)");
            }
        }
        for (const VmxEntry& e : m_cfg.entries()) {
            std::string lower = ascii_lower(e.key);
            if (!lower.ends_with(".present") || m_cfg.get_bool(e.key) != true) {
                continue;
            }
            std::string dev = lower.substr(0, lower.size() - 8);
            if (dev.starts_with("serial") || dev.starts_with("parallel") ||
                dev.starts_with("pcipassthru")) {
                notes.add("passthrough", NoteAction::dropped, vm, dev,
                          "ports and devices wired to the host are not carried");
            }
        }
    }
};

bool claims(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    (void)head;
    if (!is_directory) {
        return ascii_lower(path).ends_with(".vmx");
    }
    auto dir = io::Directory::open(path);
    if (!dir) {
        return false;
    }
    auto names = dir->names(io::k_max_directory_entries);
    if (!names) {
        return false;
    }
    size_t vmx = 0;
    for (const auto& n : *names) {
        std::string lower = ascii_lower(n);
        if (lower.ends_with(".ovf")) {
            return false; // a package directory
        }
        vmx += lower.ends_with(".vmx") ? 1 : 0;
    }
    return vmx == 1;
}

Result<ImportedAppliance> read(const std::string& path, const ImportOptions& options) {
    std::string file = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(path));
        OVFKIT_TRY_ASSIGN(auto names, dir.names(io::k_max_directory_entries));
        std::vector<std::string> found;
        for (const auto& n : names) {
            if (ascii_lower(n).ends_with(".vmx")) {
                found.push_back(n);
            }
        }
        if (found.size() != 1) {
            return fail(Errc::usage, "{}: {} .vmx files; name the one to import", path,
                        found.size());
        }
        file = (path.ends_with('/') ? path : path + "/") + found.front();
    }
    OVFKIT_TRY_ASSIGN(VmxConfig config, read_vmx(file));
    return import_vmx(config, file, options);
}

} // namespace

Result<ImportedAppliance> import_vmx(const VmxConfig& config, const std::string& path,
                                     const ImportOptions& options) {
    return Importer(config, path, options).run();
}

const ImportSource vmx_import_source{
    .name = "vmx",
    .platform = "vmware",
    .description = "a VMware .vmx with its VMDKs, or a directory holding one",
    .claims = claims,
    .read = read,
};

} // namespace ovfkit::platform::vmware
