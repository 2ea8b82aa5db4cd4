// The .vbox importer; see import.hpp.
#include <array>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>
#include <sys/stat.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/formats/vdi/parents.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/virtualbox/import.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>

namespace ovfkit::platform::virtualbox {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;

struct ControllerType {
    std::string_view vbox;
    Bus bus;
    std::string_view model;
};

// map.cpp's controller table read backwards.
constexpr std::array<ControllerType, 9> k_controllers{{
    {"PIIX3", Bus::ide, "piix3"},
    {"PIIX4", Bus::ide, "piix4"},
    {"ICH6", Bus::ide, "ich6"},
    {"AHCI", Bus::sata, "ahci"},
    {"LsiLogic", Bus::scsi, "lsilogic"},
    {"LsiLogicSas", Bus::scsi, "lsilogicsas"},
    {"BusLogic", Bus::scsi, "buslogic"},
    {"NVMe", Bus::nvme, "nvme"},
    {"VirtioSCSI", Bus::scsi, "virtio-scsi"},
}};

// map.cpp's NIC table read backwards (VirtualBox's adapter types).
std::string_view nic_model(std::string_view type) {
    if (type == "Am79C970A" || type == "Am79C973" || type == "Am79C960") {
        return "pcnet";
    }
    if (type == "82540EM" || type == "82543GC" || type == "82545EM") {
        return "e1000";
    }
    if (type == "virtio") {
        return "virtio";
    }
    return "";
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

std::string_view driver_of(std::string_view format) {
    if (format == "VDI") {
        return "vdi";
    }
    if (format == "VMDK") {
        return "vmdk";
    }
    if (format == "VHD") {
        return "vhd";
    }
    if (format == "VHDX") {
        return "vhdx";
    }
    return "raw";
}

// Opens `rel` ('/'-separated, checked by the caller) beneath `base`, every
// directory on the way a real one (a symlinked "Snapshots" could lead
// anywhere); the last component is opened by io::Directory, which refuses
// a link there.
Result<std::pair<io::Directory, std::string>> beneath(const std::string& base,
                                                      std::string_view rel) {
    std::string dir = base;
    size_t at = 0;
    for (size_t slash; (slash = rel.find('/', at)) != std::string_view::npos; at = slash + 1) {
        std::string_view part = rel.substr(at, slash - at);
        if (part.empty() || part == ".") {
            continue;
        }
        dir += "/" + std::string(part);
        struct stat st {};
        if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            return fail(Errc::refused, "{}: not a directory beneath {} (a link or missing)", dir,
                        base);
        }
    }
    OVFKIT_TRY_ASSIGN(auto d, io::Directory::open(dir));
    return std::pair{std::move(d), std::string(rel.substr(at))};
}

class Importer {
public:
    Importer(const VboxMachine& m, const std::string& path, const ImportOptions& options)
        : m_m(m), m_path(path), m_opt(options) {}

    Result<ImportedAppliance> run() {
        ImportedAppliance app;
        app.platform = "virtualbox";
        app.config = m_path;
        app.directory = directory_of(m_path);
        m_dir = app.directory;
        ImportedVm ivm;
        PlanVm& vm = ivm.vm;
        PlanNotes& notes = app.notes;
        vm.name = m_m.name;
        vm.system_id = m_m.name;
        vm.path = vm.system_id;
        vm.description = m_m.description;
        vm.cpus = m_m.cpus;
        vm.memory_bytes = m_m.memory_mib * k_mib;
        guest_os(ivm, notes);
        firmware(vm, notes);
        OVFKIT_TRY(storage(ivm, notes));
        OVFKIT_TRY(nics(vm, notes));
        for (const std::string& d : m_m.dropped) {
            std::string_view what = d == "audio"            ? "audio adapters are not carried"
                                    : d == "usb"            ? "USB controllers are not carried "
                                                              "(the target adds its own)"
                                    : d == "shared-folders" ? "shared folders are not carried"
                                                            : "ports wired to the host are not "
                                                              "carried";
            notes.add(d == "serial" || d == "parallel" ? "passthrough" : "devices-misc",
                      NoteAction::dropped, vm, d, std::string(what));
        }
        if (m_m.snapshots) {
            notes.add("snapshots", NoteAction::dropped, vm, "Snapshot",
                      "the machine's snapshots are not carried; its current state is imported "
                      "(differencing disks flattened)");
        }
        ivm.vendor.push_back({"Machine/@uuid", m_m.uuid});
        if (!m_m.os_type.empty()) {
            ivm.vendor.push_back({"Machine/@OSType", m_m.os_type});
        }
        ivm.vendor.push_back({"Hardware/Firmware/@type", m_m.firmware});
        if (!m_m.boot_order.empty()) {
            std::string order;
            for (const auto& b : m_m.boot_order) {
                order += (order.empty() ? "" : ",") + b;
            }
            ivm.vendor.push_back({"Hardware/Boot", order});
        }
        app.vms.push_back(std::move(ivm));
        return app;
    }

private:
    const VboxMachine& m_m;
    const std::string& m_path;
    const ImportOptions& m_opt;
    std::string m_dir;

    void guest_os(ImportedVm& ivm, PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        GuestOsHints hints;
        if (!m_m.os_type.empty()) {
            hints.vbox = m_m.os_type;
            vm.os_hint = fmt::format("OSType {}", m_m.os_type);
        }
        vm.os = resolve_guest_os(hints);
        if (const GuestOsRow* row = m_m.os_key.empty() ? nullptr : find_guest_os(m_m.os_key)) {
            // A .vbox ovfkit wrote names the exact row (k_os_extra_data).
            vm.os.row = row;
            vm.os.newest = row;
            vm.os.decided_by = "ExtraData " + std::string(k_os_extra_data);
            vm.os.confidence = row->generic ? OsConfidence::medium : OsConfidence::high;
            return;
        }
        if (!m_m.os_key.empty()) {
            notes.add("os-hint-ignored", NoteAction::info, vm, std::string(k_os_extra_data),
                      fmt::format("\"{}\" is no OS table key; ignored", shown(m_m.os_key, 64)));
        }
        if (vm.os.decided_by == "none") {
            notes.add(
                "os-unmapped", NoteAction::info, vm, "OSType",
                m_m.os_type.empty()
                    ? fmt::format("the .vbox names no OSType; imported as {}", vm.os.row->display)
                    : fmt::format("{} is not in the guest OS table; imported as {}", m_m.os_type,
                                  vm.os.row->display));
        }
    }

    void firmware(PlanVm& vm, PlanNotes& notes) {
        vm.firmware_stated = true;
        vm.firmware = m_m.firmware == "BIOS" ? Firmware::bios : Firmware::efi;
        if (m_m.firmware == "EFI32") {
            notes.add("fw-efi32", NoteAction::translated, vm, "Firmware",
                      "32-bit UEFI is imported as UEFI");
        }
        if (vm.firmware == Firmware::efi) {
            notes.add("fw-secureboot", NoteAction::info, vm, "Secure Boot",
                      "VirtualBox keeps Secure Boot in the VM's NVRAM file, which is not read: "
                      "imported without it");
        }
        vm.tpm = m_m.tpm;
    }

    std::string where(const VboxMedium& m) const { return fmt::format("{}:{}", m_path, m.line); }

    // R2 for one registry location: the path the engine opens.
    Result<std::string> disk_path(const VboxMedium& m) const {
        const std::string& loc = m.location;
        if (loc.starts_with("/dev/") || loc.starts_with("\\\\.\\")) {
            return fail(Errc::refused,
                        "{}: HardDisk {} location \"{}\": a host device; ovfkit reads disk images "
                        "only",
                        where(m), m.uuid, loc);
        }
        if (m.inside) {
            return loc;
        }
        bool dotdot = false;
        for (size_t i = 0; i <= loc.size();) {
            size_t end = std::min(loc.find('/', i), loc.size());
            dotdot = dotdot || loc.substr(i, end - i) == "..";
            i = end + 1;
        }
        if (dotdot) {
            return fail(Errc::refused,
                        "{}: HardDisk {} location \"{}\": a path out of the VM's directory "
                        "('..'); disks are read from beneath the .vbox's directory only (R2)",
                        where(m), m.uuid, loc);
        }
        if (!loc.starts_with('/')) {
            return fail(Errc::refused,
                        "{}: HardDisk {} location \"{}\": not a path on this host (R2)", where(m),
                        m.uuid, loc);
        }
        if (!m_opt.allow_absolute_paths) {
            return fail(Errc::refused,
                        "{}: HardDisk {} location \"{}\": an absolute path; disks are read from "
                        "the VM's directory only (R2; --allow-absolute-paths reads it)",
                        where(m), m.uuid, loc);
        }
        return loc;
    }

    // The attached medium and its parents, the medium first.
    Result<std::vector<const VboxMedium*>> chain(const VboxMedium& top) const {
        std::vector<const VboxMedium*> out{&top};
        std::set<std::string> seen{top.uuid};
        for (const VboxMedium* m = &top; !m->parent.empty();) {
            const VboxMedium* p = m_m.medium(m->parent);
            if (p == nullptr) {
                return fail(Errc::invalid, "{}: HardDisk {}: its parent {} is not registered",
                            where(*m), m->uuid, m->parent);
            }
            if (!seen.insert(p->uuid).second) {
                return fail(Errc::refused, "{}: HardDisk {}: the differencing chain forms a loop",
                            where(*m), m->uuid);
            }
            out.push_back(p);
            m = p;
        }
        return out;
    }

    Result<ImportDisk> disk_source(const VboxMedium& top, const std::string& disk_id) const {
        OVFKIT_TRY_ASSIGN(auto links, chain(top));
        std::vector<std::string> paths;
        std::set<std::string> locations;
        for (const VboxMedium* m : links) {
            OVFKIT_TRY_ASSIGN(std::string p, disk_path(*m));
            if (!locations.insert(p).second) {
                return fail(Errc::refused,
                            "{}: HardDisk {} location \"{}\": already in its differencing chain "
                            "(a loop)",
                            where(*m), m->uuid, p);
            }
            if (!p.starts_with('/') && p.find('/') != std::string::npos) {
                // A relative path with directories: each one real, beneath.
                if (auto ok = beneath(m_dir, p); !ok) {
                    return fail(ok.error().code, "{}: HardDisk {} location \"{}\": {}", where(*m),
                                m->uuid, p, ok.error().message);
                }
            }
            paths.push_back(std::move(p));
        }
        ImportDisk src;
        src.disk_id = disk_id;
        src.path = paths.front();
        src.format = std::string(driver_of(top.format));
        if (links.size() == 1 || top.format != "VDI") {
            // A base, or a format whose images name their own parents.
            return src;
        }
        for (const VboxMedium* m : links) {
            if (m->format != "VDI") {
                return fail(Errc::refused,
                            "{}: HardDisk {}: a VDI differencing disk on a {} parent is not read",
                            where(*m), m->uuid, m->format);
            }
        }
        std::string dir = m_dir;
        src.open = [dir, paths, disk_id]() -> Result<std::unique_ptr<disk::Image>> {
            auto at = [&](const std::string& p) -> Result<std::pair<io::Directory, std::string>> {
                if (p.starts_with('/')) {
                    OVFKIT_TRY_ASSIGN(auto d, io::Directory::of_file(p));
                    return std::pair{std::move(d), std::string(base_name(p))};
                }
                return beneath(dir, p);
            };
            std::vector<std::unique_ptr<io::File>> parents;
            for (size_t i = 1; i < paths.size(); ++i) {
                OVFKIT_TRY_ASSIGN(auto where, at(paths[i]));
                OVFKIT_TRY_ASSIGN(auto file, where.first.open_read(where.second));
                parents.push_back(std::move(file));
            }
            OVFKIT_TRY_ASSIGN(auto top_at, at(paths.front()));
            disk::OpenPolicy policy;
            policy.allow_parent = true;
            auto image = disk::formats::vdi::open_on_parents(std::move(top_at.first), top_at.second,
                                                             std::move(parents), policy);
            if (!image) {
                Error err = std::move(image).error();
                err.message = fmt::format("{} (disk {})", err.message, disk_id);
                return fail(std::move(err));
            }
            return std::make_unique<disk::Image>(std::move(*image));
        };
        return src;
    }

    Result<void> storage(ImportedVm& ivm, PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        std::map<Bus, unsigned> count;
        unsigned disks = 0;
        size_t devices = 0;
        for (const VboxController& c : m_m.controllers) {
            devices += c.devices.size();
        }
        if (devices > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} storage devices; ovfkit imports at most {}", m_path,
                        devices, k_import_max_devices);
        }
        for (const VboxController& c : m_m.controllers) {
            const ControllerType* t = nullptr;
            for (const ControllerType& x : k_controllers) {
                t = x.vbox == c.type ? &x : t;
            }
            if (t == nullptr) {
                // The floppy controller (I82078) and USB mass storage.
                for (const VboxDevice& d : c.devices) {
                    notes.add("devices-misc", NoteAction::dropped, vm,
                              fmt::format("{} port {} device {}", c.name, d.port, d.device),
                              fmt::format("{} drives on a {} controller are not carried", d.type,
                                          c.type));
                }
                continue;
            }
            PlanController pc;
            pc.id = c.name;
            pc.bus = t->bus;
            pc.model = std::string(t->model);
            pc.index = count[t->bus]++;
            vm.controllers.push_back(pc);
            unsigned per_port = t->bus == Bus::ide ? 2 : 1;
            for (const VboxDevice& d : c.devices) {
                unsigned unit = d.port * per_port + d.device;
                std::string item = fmt::format("{} port {} device {}", c.name, d.port, d.device);
                if (d.type == "Floppy") {
                    notes.add("devices-misc", NoteAction::dropped, vm, item,
                              "floppy drives are not carried");
                    continue;
                }
                if (d.type == "DVD") {
                    PlanCdrom cd;
                    cd.controller = c.name;
                    cd.unit = unit;
                    if (d.host_drive) {
                        notes.add("cdrom-host", NoteAction::translated, vm, item,
                                  "a drive passed through from the host is imported as an empty "
                                  "CD-ROM drive");
                    } else if (d.image) {
                        const VboxMedium* m = m_m.medium(*d.image);
                        notes.add("cdrom-media", NoteAction::dropped, vm, item,
                                  fmt::format("the medium {} is not carried; the drive is empty",
                                              m != nullptr ? m->location : *d.image));
                    }
                    vm.cdroms.push_back(std::move(cd));
                    continue;
                }
                if (d.host_drive || !d.image) {
                    return fail(Errc::refused,
                                "{}: {}: a host drive as a hard disk; ovfkit reads disk images "
                                "only",
                                m_path, item);
                }
                const VboxMedium* m = m_m.medium(*d.image);
                if (m == nullptr || m->kind != MediumKind::hard_disk) {
                    return fail(Errc::invalid,
                                "{}: {}: the HardDisk {} is not in the media registry", m_path,
                                item, *d.image);
                }
                PlanDisk pd;
                pd.disk_id = fmt::format("vboxdisk{}", ++disks);
                pd.controller = c.name;
                pd.unit = unit;
                OVFKIT_TRY_ASSIGN(ImportDisk src, disk_source(*m, pd.disk_id));
                vm.disks.push_back(std::move(pd));
                ivm.disks.push_back(std::move(src));
            }
        }
        if (!vm.disks.empty()) {
            vm.disks.front().boot = true;
        }
        return {};
    }

    Result<void> nics(PlanVm& vm, PlanNotes& notes) {
        if (m_m.adapters.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} network adapters; ovfkit imports at most {}", m_path,
                        m_m.adapters.size(), k_import_max_devices);
        }
        for (const VboxAdapter& a : m_m.adapters) {
            PlanNic nic;
            std::string item = fmt::format("Adapter {}", a.slot);
            nic.source_item = item;
            std::string_view model = nic_model(a.type);
            if (a.type.empty()) {
                nic.model = "pcnet";
                notes.add("nic-model-default", NoteAction::info, vm, item,
                          "no type: imported as PCnet-FAST III (Am79C973), VirtualBox's default");
            } else if (model.empty()) {
                nic.model = a.type;
                notes.add("nic-model-unknown", NoteAction::info, vm, item,
                          fmt::format("adapter type \"{}\" is kept as written", a.type));
            } else {
                nic.model = std::string(model);
            }
            std::string network = a.network;
            if (a.attachment == "nat") {
                network = a.remembered.empty() ? "NAT" : a.remembered;
            } else if (a.attachment.empty()) {
                network = "none";
                notes.add("net-unattached", NoteAction::info, vm, item,
                          "the adapter is not attached; its network is called 'none'");
            } else if (network.empty()) {
                network = a.attachment;
            }
            nic.ovf_network = network;
            nic.network = network;
            if (a.mac) {
                std::string mac;
                for (size_t i = 0; i < a.mac->size(); i += 2) {
                    mac += (i == 0 ? "" : ":") + ascii_lower(a.mac->substr(i, 2));
                }
                if (m_opt.keep_macs) {
                    nic.mac = mac;
                } else {
                    notes.add("nic-mac", NoteAction::info, vm, fmt::format("{} ({})", item, mac),
                              "the MAC address is not carried (the target generates one; "
                              "--keep-macs keeps it)");
                }
            }
            vm.nics.push_back(std::move(nic));
        }
        return {};
    }
};

bool is_vbox(std::string_view name) {
    return ascii_lower(name).ends_with(".vbox");
}

bool claims(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    (void)head;
    if (!is_directory) {
        return is_vbox(path);
    }
    auto dir = io::Directory::open(path);
    if (!dir) {
        return false;
    }
    auto names = dir->names(io::k_max_directory_entries);
    if (!names) {
        return false;
    }
    size_t vbox = 0;
    for (const auto& n : *names) {
        std::string lower = ascii_lower(n);
        if (lower.ends_with(".ovf") || lower.ends_with(".vmx")) {
            return false; // a package directory, or VMware's
        }
        vbox += is_vbox(n) ? 1 : 0;
    }
    return vbox == 1;
}

Result<ImportedAppliance> read(const std::string& path, const ImportOptions& options) {
    std::string file = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(path));
        OVFKIT_TRY_ASSIGN(auto names, dir.names(io::k_max_directory_entries));
        std::vector<std::string> found;
        for (const auto& n : names) {
            if (is_vbox(n)) {
                found.push_back(n);
            }
        }
        if (found.size() != 1) {
            return fail(Errc::usage, "{}: {} .vbox files; name the one to import", path,
                        found.size());
        }
        file = (path.ends_with('/') ? path : path + "/") + found.front();
    }
    OVFKIT_TRY_ASSIGN(auto f, io::open_read(file));
    OVFKIT_TRY_ASSIGN(uint64_t size, f->size());
    if (size > k_import_max_config) {
        return fail(Errc::refused, "{}: {} bytes; a .vbox is at most {} bytes", file, size,
                    k_import_max_config);
    }
    std::string text(static_cast<size_t>(size), '\0');
    OVFKIT_TRY(io::read_exact(*f, std::as_writable_bytes(std::span(text.data(), text.size())), 0));
    xml::Limits limits;
    limits.max_bytes = k_import_max_config;
    limits.max_elements = k_import_max_keys;
    limits.max_value = k_import_max_line;
    OVFKIT_TRY_ASSIGN(VboxMachine machine, read_vbox(text, file, limits));
    return import_vbox(machine, file, options);
}

} // namespace

Result<ImportedAppliance> import_vbox(const VboxMachine& machine, const std::string& path,
                                      const ImportOptions& options) {
    return Importer(machine, path, options).run();
}

const ImportSource vbox_import_source{
    .name = "vbox",
    .platform = "virtualbox",
    .description = "a VirtualBox .vbox with its VDI/VMDK/VHD disks (differencing chains "
                   "flattened), or a directory holding one",
    .claims = claims,
    .read = read,
};

} // namespace ovfkit::platform::virtualbox
