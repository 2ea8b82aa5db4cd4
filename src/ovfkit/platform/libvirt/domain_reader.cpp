// The libvirt domain reader; the rules are in domain_reader.hpp.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/libvirt/domain_reader.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::libvirt {

namespace {

constexpr std::string_view k_osinfo_ns = "http://libosinfo.org/xmlns/libvirt/domain/1.0";
constexpr size_t k_max_devices = k_import_max_devices; // disks + CD-ROMs, and NICs, per VM
constexpr uint64_t k_max_cpus = 4096;                  // as the libvirt writer accepts
constexpr uint64_t k_max_memory = 16ULL << 40;         // 16 TiB, as the libvirt writer accepts
constexpr size_t k_max_chain = 16;                     // R4
constexpr size_t k_max_path = 4096;                    // PATH_MAX
constexpr unsigned k_max_unit = 16383;                 // virtio-scsi's largest LUN
constexpr unsigned k_max_controller = 255;

std::string attr(const xml::Element& e, std::string_view name) {
    if (!e) {
        return {};
    }
    return e.attribute("", name).value_or(std::string());
}

// Disk controller models in the plan's vocabulary (vm_plan.hpp).
std::string scsi_model(std::string_view libvirt_model) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> k_models{{
        {"virtio-scsi", "virtio-scsi"},
        {"virtio-transitional", "virtio-scsi"},
        {"virtio-non-transitional", "virtio-scsi"},
        {"lsilogic", "lsilogic"},
        {"lsisas1068", "lsilogicsas"},
        {"lsisas1078", "lsilogicsas"},
        {"vmpvscsi", "pvscsi"},
        {"buslogic", "buslogic"},
    }};
    for (const auto& [from, to] : k_models) {
        if (libvirt_model == from) {
            return std::string(to);
        }
    }
    return std::string(libvirt_model);
}

std::string nic_model(std::string_view libvirt_model) {
    if (libvirt_model == "virtio" || libvirt_model == "virtio-transitional" ||
        libvirt_model == "virtio-non-transitional") {
        return "virtio";
    }
    return std::string(libvirt_model);
}

// Devices OVF does not carry. `info` ones the target adds again by itself.
struct DeviceKind {
    std::string_view element;
    NoteAction action;
    std::string_view why;
};
constexpr std::array<DeviceKind, 25> k_devices{{
    {"emulator", NoteAction::info, "the target chooses its own emulator"},
    {"console", NoteAction::info, "the target adds its own console"},
    {"serial", NoteAction::info, "the target adds its own serial console"},
    {"graphics", NoteAction::info, "the target adds its own display"},
    {"video", NoteAction::info, "the target adds its own video device"},
    {"input", NoteAction::info, "the target adds its own input devices"},
    {"memballoon", NoteAction::info, "the target adds its own balloon device"},
    {"sound", NoteAction::dropped, "OVF carries no sound device"},
    {"audio", NoteAction::dropped, "OVF carries no audio backend"},
    {"channel", NoteAction::dropped, "host channels (guest agent, SPICE) are not carried"},
    {"hostdev", NoteAction::dropped, "a host device is not part of the VM"},
    {"redirdev", NoteAction::dropped, "USB redirection is host configuration"},
    {"redirfilter", NoteAction::dropped, "USB redirection is host configuration"},
    {"smartcard", NoteAction::dropped, "OVF carries no smartcard reader"},
    {"rng", NoteAction::dropped, "the host's entropy source is not carried"},
    {"watchdog", NoteAction::dropped, "OVF carries no watchdog"},
    {"filesystem", NoteAction::dropped, "a shared host directory is not part of the VM"},
    {"hub", NoteAction::dropped, "OVF carries no USB hub"},
    {"parallel", NoteAction::dropped, "OVF carries no parallel port"},
    {"shmem", NoteAction::dropped, "shared host memory is not part of the VM"},
    {"panic", NoteAction::dropped, "OVF carries no panic device"},
    {"vsock", NoteAction::dropped, "OVF carries no vsock device"},
    {"iommu", NoteAction::dropped, "OVF carries no IOMMU"},
    {"memory", NoteAction::dropped, "hot-pluggable memory modules are not carried"},
    {"lease", NoteAction::dropped, "lock leases are host configuration"},
}};

class Reader {
public:
    Reader(const xml::Document& doc, const ReadOptions& options) : m_doc(doc), m_opt(options) {}

    Result<DomainImport> read();

private:
    const xml::Document& m_doc;
    const ReadOptions& m_opt;
    DomainImport m_out;
    // (libvirt controller type, index) -> its model attribute.
    std::map<std::pair<std::string, unsigned>, std::string> m_ctrl_models;
    std::set<std::tuple<std::string, unsigned>> m_addresses; // (controller, unit) taken
    std::set<std::string> m_ids;                             // disk and CD-ROM ids taken
    std::map<std::string, std::pair<NoteAction, unsigned>> m_other_devices;
    std::vector<std::string> m_other_order;

    void note(std::string code, NoteAction action, std::string item, std::string reason) {
        m_out.notes.push_back(MapNote{std::move(code), action, std::move(item), std::move(reason)});
    }
    std::string where(const xml::Element& e) const { return m_doc.where(e); }

    Result<void> read_identity(const xml::Element& root);
    Result<void> read_memory_cpus(const xml::Element& root);
    Result<void> read_os(const xml::Element& root);
    void read_guest_os(const xml::Element& root, bool x64);
    Result<void> read_devices(const xml::Element& devices);
    Result<void> read_disk(const xml::Element& disk,
                           std::vector<std::pair<uint64_t, size_t>>& boot);
    Result<void> read_interface(const xml::Element& nic);
    Result<std::string> checked_path(const xml::Element& at, std::string_view what,
                                     std::string_view raw) const;
    Result<std::vector<std::string>> backing_chain(const xml::Element& disk,
                                                   const std::string& top) const;
    Result<std::string> controller_for(const xml::Element& disk, Bus bus, unsigned index,
                                       std::string_view item);
    std::optional<unsigned> number(const xml::Element& e, std::string_view name) const;
};

Result<std::string> Reader::checked_path(const xml::Element& at, std::string_view what,
                                         std::string_view raw) const {
    auto refuse = [&](std::string_view why) {
        return fail(Errc::refused, "{}: {} '{}' is refused: {}", where(at), what, shown(raw), why);
    };
    if (raw.empty()) {
        return fail(Errc::invalid, "{}: {} is an empty path", where(at), what);
    }
    if (raw.size() > k_max_path) {
        return refuse("longer than 4096 bytes");
    }
    for (char c : raw) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            return refuse("it holds a control character (R3)");
        }
        if (c == '\\') {
            return refuse("it holds a backslash (R3)");
        }
        if (c == ':') {
            return refuse("it holds ':', protocol syntax that is never interpreted (R3)");
        }
    }
    if (raw.front() == '-') {
        return refuse("it starts with '-' (R3)");
    }
    if (raw.back() == '/') {
        return refuse("it names a directory, not a file");
    }
    const bool absolute = raw.front() == '/';
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (pos <= raw.size()) {
        size_t slash = raw.find('/', pos);
        std::string_view part =
            raw.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part == "..") {
            return refuse("it holds a '..' component (R1)");
        }
        if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        pos = slash + 1;
    }
    if (parts.empty()) {
        return refuse("it names a directory, not a file");
    }
    std::string path = absolute ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) {
        path += (i == 0 ? "" : "/");
        path += parts[i];
    }
    if (absolute) {
        if (parts.front() == "dev" || parts.front() == "proc" || parts.front() == "sys") {
            return refuse("a device node or kernel file is never a disk file");
        }
        if (!m_opt.allow_absolute_paths) {
            return refuse("an absolute path reaches outside the domain XML's directory (R1); "
                          "--allow-absolute-paths allows it");
        }
    }
    return path;
}

Result<std::vector<std::string>> Reader::backing_chain(const xml::Element& disk,
                                                       const std::string& top) const {
    std::vector<std::string> chain;
    std::set<std::string> seen{top};
    xml::Element b = disk.first_child("", "backingStore");
    while (b && b.has_element_children()) {
        if (chain.size() >= k_max_chain) {
            return fail(Errc::refused, "{}: backing chain of '{}' is deeper than {} (R4)", where(b),
                        shown(top), k_max_chain);
        }
        std::string type = attr(b, "type");
        xml::Element src = b.first_child("", "source");
        if (type != "file" && !type.empty()) {
            return fail(Errc::refused,
                        "{}: backing store of '{}' is of type '{}'; only files are read (R1, R2)",
                        where(b), shown(top), shown(type));
        }
        OVFKIT_TRY_ASSIGN(auto path, checked_path(b, "backing file", attr(src, "file")));
        if (!seen.insert(path).second) {
            return fail(Errc::refused, "{}: backing chain of '{}' loops: '{}' is named twice (R4)",
                        where(b), shown(top), shown(path));
        }
        chain.push_back(std::move(path));
        b = b.first_child("", "backingStore");
    }
    return chain;
}

std::optional<unsigned> Reader::number(const xml::Element& e, std::string_view name) const {
    auto v = e ? e.attribute("", name) : std::nullopt;
    if (!v) {
        return std::nullopt;
    }
    // libvirt writes addresses in decimal or 0x hex.
    std::string_view s = *v;
    uint64_t n = 0;
    if (s.starts_with("0x") && s.size() > 2 && s.size() <= 10) {
        for (char c : s.substr(2)) {
            if (hex_digit(c) < 0) {
                return UINT32_MAX;
            }
            n = n * 16 + static_cast<uint64_t>(hex_digit(c));
        }
    } else if (auto d = parse_decimal(s)) {
        n = *d;
    } else {
        return UINT32_MAX;
    }
    return n > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(n);
}

Result<void> Reader::read_identity(const xml::Element& root) {
    PlanVm& vm = m_out.vm;
    xml::Element name = root.first_child("", "name");
    std::string text = name ? std::string(trim(name.text())) : std::string();
    if (text.empty()) {
        return fail(Errc::invalid, "{}: the domain has no <name>", where(root));
    }
    vm.name = text;
    vm.system_id = text;
    vm.path = text;
    if (auto uuid = root.first_child("", "uuid")) {
        m_out.uuid = std::string(trim(uuid.text()));
    }
    xml::Element description = root.first_child("", "description");
    xml::Element title = root.first_child("", "title");
    vm.description = description ? description.text() : title ? title.text() : std::string();
    m_out.domain_type = attr(root, "type");
    if (m_out.domain_type != "kvm" && m_out.domain_type != "qemu") {
        note("domain-type", NoteAction::info, "domain type",
             fmt::format("a '{}' domain; the appliance is described for any hypervisor",
                         shown(m_out.domain_type)));
    }
    return {};
}

Result<void> Reader::read_memory_cpus(const xml::Element& root) {
    PlanVm& vm = m_out.vm;
    xml::Element memory = root.first_child("", "memory");
    if (!memory) {
        return fail(Errc::invalid, "{}: the domain has no <memory>", where(root));
    }
    auto bytes_of = [&](const xml::Element& e) -> Result<uint64_t> {
        std::string value(trim(e.text()));
        auto bytes = scaled_bytes(value, attr(e, "unit"));
        if (!bytes) {
            return fail(Errc::invalid, "{}: <{}> '{}' unit '{}' is not a size libvirt writes",
                        where(e), e.name(), shown(value), shown(attr(e, "unit")));
        }
        if (*bytes > k_max_memory) {
            return fail(Errc::invalid, "{}: <{}> of {} bytes is more than 16 TiB", where(e),
                        e.name(), *bytes);
        }
        return *bytes;
    };
    OVFKIT_TRY_ASSIGN(vm.memory_bytes, bytes_of(memory));
    if (vm.memory_bytes < (1 << 20)) {
        return fail(Errc::invalid, "{}: <memory> of {} bytes is less than 1 MiB", where(memory),
                    vm.memory_bytes);
    }
    if (xml::Element current = root.first_child("", "currentMemory")) {
        OVFKIT_TRY_ASSIGN(uint64_t cur, bytes_of(current));
        if (cur != vm.memory_bytes) {
            note("memory-current", NoteAction::info, "currentMemory",
                 fmt::format("the balloon target ({} bytes) is not carried; the VM gets its "
                             "<memory> of {} bytes",
                             cur, vm.memory_bytes));
        }
    }
    xml::Element vcpu = root.first_child("", "vcpu");
    if (!vcpu) {
        vm.cpus = 1;
    } else {
        auto n = parse_decimal(trim(vcpu.text()));
        if (!n || *n == 0 || *n > k_max_cpus) {
            return fail(Errc::invalid, "{}: <vcpu> '{}' is not 1 to {}", where(vcpu),
                        shown(vcpu.text()), k_max_cpus);
        }
        vm.cpus = *n;
        if (auto current = vcpu.attribute("", "current"); current && *current != vcpu.text()) {
            note("cpu-current", NoteAction::info, "vcpu",
                 fmt::format("{} of {} vCPUs online at boot; the VM gets {}", shown(*current),
                             vm.cpus, vm.cpus));
        }
    }
    if (xml::Element cpu = root.first_child("", "cpu")) {
        if (cpu.first_child("", "topology") || cpu.first_child("", "model") ||
            cpu.first_child("", "numa")) {
            note("cpu-model", NoteAction::dropped, "cpu",
                 "the CPU model, topology and NUMA cells are host tuning; not carried");
        }
    }
    return {};
}

Result<void> Reader::read_os(const xml::Element& root) {
    PlanVm& vm = m_out.vm;
    xml::Element os = root.first_child("", "os");
    if (!os) {
        return fail(Errc::invalid, "{}: the domain has no <os>", where(root));
    }
    xml::Element type = os.first_child("", "type");
    std::string os_type = type ? std::string(trim(type.text())) : std::string("hvm");
    if (os_type == "exe") {
        return fail(Errc::invalid, "{}: an 'exe' domain is a container, not a virtual machine",
                    where(type));
    }
    if (os_type == "xen" || os_type == "linux") {
        note("xen-pv", NoteAction::translated, "os type",
             "a Xen paravirtualized guest; described as a hardware VM, which needs the guest's "
             "emulated-device or virtio drivers");
    }
    std::string arch = attr(type, "arch");
    bool x64 = arch.empty() || arch == "x86_64";
    if (!arch.empty() && arch != "x86_64" && arch != "i686") {
        note("arch", NoteAction::info, "architecture",
             fmt::format("'{}': the appliance's targets run x86 guests", shown(arch)));
    }
    std::string machine = attr(type, "machine");
    if (machine == "q35" || machine.starts_with("pc-q35")) {
        vm.machine = "q35";
    } else if (machine == "pc" || machine.starts_with("pc-i440fx") || machine.starts_with("pc-")) {
        vm.machine = "pc";
    } else if (!machine.empty()) {
        note("machine", NoteAction::info, "machine",
             fmt::format("'{}' has no equivalent on the targets; they choose their own",
                         shown(machine)));
    }
    if (!vm.machine.empty() && machine != vm.machine) {
        note("machine", NoteAction::translated, "machine",
             fmt::format("'{}' read as '{}' (the versioned type is host-specific)", shown(machine),
                         vm.machine));
    }

    // Firmware: libvirt's default is BIOS (SeaBIOS), so it is always stated.
    vm.firmware_stated = true;
    std::string firmware = attr(os, "firmware");
    xml::Element loader = os.first_child("", "loader");
    if (firmware == "efi") {
        vm.firmware = Firmware::efi;
    } else if (loader && firmware.empty()) {
        std::string path = std::string(trim(loader.text()));
        std::string lower = ascii_lower(path);
        if (attr(loader, "type") == "pflash" || lower.find("ovmf") != std::string::npos ||
            lower.find("edk2") != std::string::npos) {
            vm.firmware = Firmware::efi;
        }
    }
    if (loader && attr(loader, "secure") == "yes") {
        vm.secure_boot = true;
    }
    bool secure_boot_stated = loader && loader.attribute("", "secure");
    if (xml::Element fw = os.first_child("", "firmware")) {
        for (const auto& f : fw.children("", "feature")) {
            if (attr(f, "name") == "secure-boot") {
                vm.secure_boot = attr(f, "enabled") == "yes";
                secure_boot_stated = true;
            }
        }
    }
    if (vm.firmware == Firmware::efi && !secure_boot_stated) {
        note("fw-secureboot", NoteAction::info, "Secure Boot",
             "not stated: libvirt's firmware autoselection decides on the host; read as off");
    }
    if (vm.firmware != Firmware::efi && vm.secure_boot) {
        vm.secure_boot = false;
        note("fw-secureboot", NoteAction::dropped, "Secure Boot", "Secure Boot needs UEFI");
    }
    if (loader && !trim(loader.text()).empty()) {
        note("fw-loader", NoteAction::info, "firmware",
             "the host's firmware image is not carried; the target picks its own UEFI build");
    }
    if (os.first_child("", "nvram")) {
        note("fw-nvram", NoteAction::dropped, "firmware",
             "UEFI variables are not carried; the guest boots through its ESP's default loader");
    }
    if (os.first_child("", "kernel") || os.first_child("", "initrd") ||
        os.first_child("", "cmdline")) {
        note("direct-kernel", NoteAction::dropped, "os",
             "direct kernel boot (host kernel, initrd, command line) is not carried; the guest "
             "boots from its disk");
    }
    if (root.first_child("", "bootloader")) {
        note("bootloader", NoteAction::dropped, "bootloader",
             "the host-side bootloader is not carried; the guest boots from its disk");
    }
    read_guest_os(root, x64);
    return {};
}

void Reader::read_guest_os(const xml::Element& root, bool x64) {
    PlanVm& vm = m_out.vm;
    std::string uri;
    if (xml::Element metadata = root.first_child("", "metadata")) {
        if (xml::Element info = metadata.first_child(k_osinfo_ns, "libosinfo")) {
            uri = attr(info.first_child(k_osinfo_ns, "os"), "id");
        }
    }
    vm.os_hint = uri.empty() ? std::string() : fmt::format("libosinfo:os {}", shown(uri));
    const GuestOsRow* row = nullptr;
    if (auto id = osinfo_short_id(uri)) {
        row = guest_os_by_osinfo(*id);
    }
    if (row != nullptr) {
        vm.os.row = row;
        vm.os.newest = row;
        vm.os.confidence = OsConfidence::high;
        vm.os.decided_by = "osinfo";
        return;
    }
    // Hyper-V enlightenments are only turned on for Windows guests.
    xml::Element features = root.first_child("", "features");
    bool windows = features && features.first_child("", "hyperv");
    vm.os.row = &fallback_guest_os(windows ? OsFamily::windows : OsFamily::other, x64);
    vm.os.newest = vm.os.row;
    vm.os.confidence = OsConfidence::low;
    vm.os.decided_by = windows ? "hyperv-features" : "none";
    note("os", NoteAction::info, "guest OS",
         uri.empty() ? fmt::format("no libosinfo metadata; described as {}", vm.os.row->display)
                     : fmt::format("libosinfo id '{}' is not in the OS table; described as {}",
                                   shown(uri), vm.os.row->display));
}

Result<std::string> Reader::controller_for(const xml::Element& disk, Bus bus, unsigned index,
                                           std::string_view item) {
    if (index > k_max_controller) {
        return fail(Errc::invalid, "{}: {} names controller {} (0 to {})", where(disk), item, index,
                    k_max_controller);
    }
    std::string type = bus == Bus::virtio ? "virtio" : std::string(bus_name(bus));
    std::string id = bus == Bus::virtio ? std::string("virtio") : fmt::format("{}{}", type, index);
    PlanVm& vm = m_out.vm;
    if (vm.controller(id) != nullptr) {
        return id;
    }
    std::string model;
    auto it = m_ctrl_models.find({type, index});
    std::string stated = it == m_ctrl_models.end() ? std::string() : it->second;
    switch (bus) {
    case Bus::virtio:
        model = "virtio-blk";
        break;
    case Bus::ide:
        model = "piix4";
        break;
    case Bus::sata:
        model = "ahci";
        break;
    case Bus::nvme:
        model = "nvme";
        break;
    case Bus::scsi:
        if (stated.empty()) {
            // libvirt's QEMU driver picks LSI Logic on x86 when no model is given.
            model = "lsilogic";
            note("ctrl-scsi-default", NoteAction::info, fmt::format("controller {}", id),
                 "no SCSI model stated; read as LSI Logic, libvirt's default on x86");
        } else {
            model = scsi_model(stated);
        }
        break;
    }
    vm.controllers.push_back(PlanController{id, bus, model, index});
    return id;
}

Result<void> Reader::read_disk(const xml::Element& disk,
                               std::vector<std::pair<uint64_t, size_t>>& boot) {
    PlanVm& vm = m_out.vm;
    std::string device = attr(disk, "device");
    if (device.empty()) {
        device = "disk";
    }
    std::string type = attr(disk, "type");
    if (type.empty()) {
        type = "file";
    }
    xml::Element target = disk.first_child("", "target");
    std::string dev = attr(target, "dev");
    std::string item = fmt::format("{} {}", device, dev.empty() ? "?" : shown(dev));
    if (device == "floppy") {
        note("floppy", NoteAction::dropped, item, "OVF appliances carry no floppy drive");
        return {};
    }
    if (device == "lun") {
        return fail(Errc::refused, "{}: {} passes a host SCSI device through; not a disk file",
                    where(disk), item);
    }
    if (device != "disk" && device != "cdrom") {
        return fail(Errc::invalid, "{}: disk device '{}' is unknown", where(disk), shown(device));
    }
    const bool cdrom = device == "cdrom";
    xml::Element source = disk.first_child("", "source");
    xml::Element driver = disk.first_child("", "driver");
    DomainSource src;
    src.format = attr(driver, "type");
    if (type == "file") {
        if (source && source.attribute("", "file")) {
            OVFKIT_TRY_ASSIGN(src.path, checked_path(disk, item, attr(source, "file")));
            OVFKIT_TRY_ASSIGN(src.backing, backing_chain(disk, src.path));
        } else if (!cdrom) {
            return fail(Errc::invalid, "{}: {} names no source file", where(disk), item);
        }
    } else if (type == "volume" && m_opt.resolve_volumes) {
        src.pool = attr(source, "pool");
        src.volume = attr(source, "volume");
        if (src.pool.empty() || src.volume.empty()) {
            return fail(Errc::invalid, "{}: {} names no pool and volume", where(disk), item);
        }
    } else if (cdrom && source) {
        // An ISO elsewhere is not the VM's; the drive stays, empty.
        note("cdrom-source", NoteAction::dropped, item,
             fmt::format("its '{}' source is not read; the drive is carried empty", shown(type)));
        src = DomainSource{};
    } else if (type == "block") {
        return fail(Errc::refused,
                    "{}: {} is the host block device '{}'; device nodes are never read (R1, R3)",
                    where(disk), item, shown(attr(source, "dev")));
    } else if (type == "network") {
        return fail(Errc::refused,
                    "{}: {} is a '{}' network source; input never reaches the network (R2)",
                    where(disk), item, shown(attr(source, "protocol")));
    } else if (type == "volume") {
        return fail(Errc::refused,
                    "{}: {} is volume '{}' of pool '{}'; a storage volume is read through "
                    "libvirt's API: import 'libvirt:URI/{}' instead",
                    where(disk), item, shown(attr(source, "volume")), shown(attr(source, "pool")),
                    shown(vm.name));
    } else if (!cdrom || source) {
        return fail(Errc::refused, "{}: {} of type '{}' is not a disk file", where(disk), item,
                    shown(type));
    }

    // The bus: stated, else from the device name's prefix as libvirt does.
    std::string bus_text = attr(target, "bus");
    if (bus_text.empty()) {
        bus_text = dev.starts_with("vd")    ? "virtio"
                   : dev.starts_with("hd")  ? "ide"
                   : dev.starts_with("sd")  ? "scsi"
                   : dev.starts_with("xvd") ? "xen"
                                            : "";
    }
    Bus bus = Bus::ide;
    std::string prefix;
    unsigned per_controller = 0; // libvirt's unit count when it assigns addresses
    if (bus_text == "virtio" || bus_text == "xen") {
        bus = Bus::virtio;
        prefix = bus_text == "xen" ? "xvd" : "vd";
        if (bus_text == "xen") {
            note("disk-bus-xen", NoteAction::translated, item,
                 "a Xen PV disk; described on virtio (the guest needs virtio drivers)");
        }
    } else if (bus_text == "ide") {
        bus = Bus::ide;
        prefix = "hd";
        per_controller = 4;
    } else if (bus_text == "sata") {
        bus = Bus::sata;
        prefix = "sd";
        per_controller = 6;
    } else if (bus_text == "scsi") {
        bus = Bus::scsi;
        prefix = "sd";
        per_controller = 7;
    } else if (bus_text == "nvme") {
        bus = Bus::nvme;
        prefix = "nvme";
    } else {
        note("disk-bus", NoteAction::dropped, item,
             fmt::format("bus '{}' has no OVF controller", shown(bus_text)));
        return {};
    }
    if (cdrom && bus == Bus::virtio) {
        return fail(Errc::invalid, "{}: {} is a CD-ROM on virtio", where(disk), item);
    }
    unsigned ctrl = 0;
    unsigned unit = 0;
    xml::Element address = disk.first_child("", "address");
    auto letters = device_index(dev, prefix);
    if (address && attr(address, "type") == "drive") {
        ctrl = number(address, "controller").value_or(0);
        unsigned b = number(address, "bus").value_or(0);
        unsigned u = number(address, "unit").value_or(0);
        if (u > k_max_unit || b > 1 || (bus == Bus::ide && u > 1)) {
            return fail(Errc::invalid, "{}: {} has an address out of range", where(disk), item);
        }
        unit = bus == Bus::ide ? b * 2 + u : u;
    } else if (per_controller != 0 && letters) {
        ctrl = *letters / per_controller;
        unit = *letters % per_controller;
    } else if (bus == Bus::virtio && letters) {
        unit = *letters;
    } else {
        unit = static_cast<unsigned>(vm.disks.size() + vm.cdroms.size());
    }
    if (unit > k_max_unit) {
        return fail(Errc::invalid, "{}: {} is at unit {} (0 to {})", where(disk), item, unit,
                    k_max_unit);
    }
    OVFKIT_TRY_ASSIGN(auto controller, controller_for(disk, bus, ctrl, item));
    if (!m_addresses.insert({controller, unit}).second) {
        return fail(Errc::invalid, "{}: {} is at unit {} of {}, which another device holds",
                    where(disk), item, unit, controller);
    }
    std::string id =
        dev.empty() ? fmt::format("disk{}", vm.disks.size() + vm.cdroms.size()) : shown(dev);
    // The device name is the disk's id in the appliance: unique.
    if (!m_ids.insert(id).second) {
        return fail(Errc::invalid, "{}: {}: another device has the same target name", where(disk),
                    item);
    }
    if (cdrom) {
        vm.cdroms.push_back(PlanCdrom{controller, unit, src.path, false});
        m_out.cdroms.push_back(std::move(src));
        return {};
    }
    if (auto order = number(disk.first_child("", "boot"), "order")) {
        boot.emplace_back(*order, vm.disks.size());
    }
    PlanDisk d;
    d.disk_id = id;
    d.file_id = id;
    d.source_item = id;
    d.controller = controller;
    d.unit = unit;
    d.file_name = src.path.empty() ? src.volume : src.path;
    d.format = src.format;
    if (!src.backing.empty()) {
        note("disk-chain", NoteAction::translated, item,
             fmt::format("a chain of {} backing files; flattened into one disk",
                         src.backing.size()));
    }
    vm.disks.push_back(std::move(d));
    m_out.disks.push_back(std::move(src));
    return {};
}

Result<void> Reader::read_interface(const xml::Element& nic) {
    PlanVm& vm = m_out.vm;
    std::string type = attr(nic, "type");
    xml::Element source = nic.first_child("", "source");
    std::string item = fmt::format("NIC {} ({})", vm.nics.size() + 1, shown(type));
    if (type == "hostdev" || type == "vdpa") {
        note("nic-passthrough", NoteAction::dropped, item,
             "a host device passed through is not part of the VM");
        return {};
    }
    PlanNic out;
    out.source_item = fmt::format("net{}", vm.nics.size());
    if (type == "network") {
        out.network = attr(source, "network");
    } else if (type == "bridge") {
        out.network = attr(source, "bridge");
    } else if (type == "direct") {
        out.network = attr(source, "dev");
        note("nic-direct", NoteAction::translated, item,
             "macvtap on a host interface; its name is carried as the network");
    } else {
        note("nic-source", NoteAction::translated, item,
             fmt::format("a '{}' connection has no network name; connected to none", shown(type)));
    }
    out.ovf_network = out.network;
    std::string model = attr(nic.first_child("", "model"), "type");
    if (model.empty()) {
        // QEMU's default NIC when libvirt names none.
        model = vm.machine == "q35" ? "e1000e" : "e1000";
        note("nic-model-default", NoteAction::info, item,
             fmt::format("no model stated; read as {}, QEMU's default", model));
    }
    out.model = nic_model(model);
    std::string mac = ascii_lower(attr(nic.first_child("", "mac"), "address"));
    if (!mac.empty()) {
        if (!m_opt.keep_mac) {
            note("nic-mac", NoteAction::info, item,
                 "the MAC address is not kept (--keep-mac keeps it); the target assigns one");
        } else if (valid_mac(mac)) {
            out.mac = mac;
        } else {
            note("nic-mac", NoteAction::dropped, item,
                 fmt::format("'{}' is not a unicast MAC address", shown(mac)));
        }
    }
    if (nic.first_child("", "filterref") || nic.first_child("", "bandwidth") ||
        nic.first_child("", "vlan")) {
        note("nic-host-config", NoteAction::dropped, item,
             "host network configuration (filters, bandwidth, VLAN) is not carried");
    }
    vm.nics.push_back(std::move(out));
    return {};
}

Result<void> Reader::read_devices(const xml::Element& devices) {
    PlanVm& vm = m_out.vm;
    auto children = devices.children();
    // Controllers first: disks name them by index.
    for (const auto& c : children) {
        if (c.name() == "controller") {
            auto index = number(c, "index").value_or(0);
            m_ctrl_models[{attr(c, "type"), index}] = attr(c, "model");
        }
    }
    std::vector<std::pair<uint64_t, size_t>> disk_boot;
    std::optional<uint64_t> other_boot; // the lowest boot order of a non-disk device
    size_t disks = 0;
    size_t nics = 0;
    for (const auto& c : children) {
        std::string_view kind = c.name();
        if (kind == "disk") {
            if (++disks > k_max_devices) {
                return fail(Errc::refused, "{}: more than {} disks", where(c), k_max_devices);
            }
            OVFKIT_TRY(read_disk(c, disk_boot));
            if (attr(c, "device") == "cdrom") {
                if (auto order = number(c.first_child("", "boot"), "order")) {
                    other_boot = std::min(other_boot.value_or(*order), uint64_t{*order});
                }
            }
        } else if (kind == "interface") {
            if (++nics > k_max_devices) {
                return fail(Errc::refused, "{}: more than {} interfaces", where(c), k_max_devices);
            }
            OVFKIT_TRY(read_interface(c));
            if (auto order = number(c.first_child("", "boot"), "order")) {
                other_boot = std::min(other_boot.value_or(*order), uint64_t{*order});
            }
        } else if (kind == "tpm") {
            vm.tpm = true;
            note("tpm", NoteAction::info, "TPM", "carried as a TPM 2.0; its state is not");
        } else if (kind == "controller") {
            std::string type = attr(c, "type");
            if (type != "ide" && type != "sata" && type != "scsi" && type != "nvme") {
                m_other_devices[fmt::format("controller {}", shown(type))].second++;
                m_other_devices[fmt::format("controller {}", shown(type))].first = NoteAction::info;
                if (std::find(m_other_order.begin(), m_other_order.end(),
                              fmt::format("controller {}", shown(type))) == m_other_order.end()) {
                    m_other_order.push_back(fmt::format("controller {}", shown(type)));
                }
            }
        } else {
            auto known = std::find_if(k_devices.begin(), k_devices.end(),
                                      [&](const DeviceKind& d) { return d.element == kind; });
            std::string key(kind);
            auto& entry = m_other_devices[key];
            entry.first = known == k_devices.end() ? NoteAction::dropped : known->action;
            entry.second++;
            if (entry.second == 1) {
                m_other_order.push_back(key);
            }
        }
    }
    for (const auto& key : m_other_order) {
        const auto& [action, count] = m_other_devices[key];
        auto known = std::find_if(k_devices.begin(), k_devices.end(),
                                  [&](const DeviceKind& d) { return d.element == key; });
        std::string why = known != k_devices.end() ? std::string(known->why)
                          : key.starts_with("controller")
                              ? std::string("the target adds the controllers it needs")
                              : std::string("a device ovfkit does not know");
        note(action == NoteAction::info ? "device-default" : "device-dropped", action,
             count == 1 ? key : fmt::format("{} ({})", key, count), why);
    }
    // The boot disk: the lowest boot order, else the first disk.
    if (!vm.disks.empty()) {
        size_t chosen = 0;
        if (!disk_boot.empty()) {
            chosen = std::min_element(disk_boot.begin(), disk_boot.end())->second;
            if (other_boot &&
                *other_boot < std::min_element(disk_boot.begin(), disk_boot.end())->first) {
                note("boot-order", NoteAction::info, "boot order",
                     fmt::format("a network or CD-ROM device boots first; the appliance boots "
                                 "from disk {}",
                                 vm.disks[chosen].disk_id));
            }
        }
        vm.disks[chosen].boot = true;
    }
    return {};
}

Result<DomainImport> Reader::read() {
    xml::Element root = m_doc.root();
    if (root.name() != "domain" || !root.ns().empty()) {
        return fail(Errc::invalid, "{}: the root element is <{}>, not a libvirt <domain>",
                    where(root), shown(root.name()));
    }
    OVFKIT_TRY(read_identity(root));
    OVFKIT_TRY(read_memory_cpus(root));
    OVFKIT_TRY(read_os(root));
    if (xml::Element devices = root.first_child("", "devices")) {
        OVFKIT_TRY(read_devices(devices));
    }
    if (m_out.vm.disks.empty()) {
        note("no-disk", NoteAction::info, "disks", "the domain has no disk");
    }
    return std::move(m_out);
}

} // namespace

std::optional<uint64_t> scaled_bytes(std::string_view value, std::string_view unit) {
    auto n = parse_decimal(value);
    if (!n) {
        return std::nullopt;
    }
    struct Unit {
        std::string_view names;
        uint64_t factor;
    };
    static constexpr std::array<Unit, 14> k_units{{
        {"|b|bytes|", 1},
        {"|KB|", 1000},
        {"|k|KiB|", 1ULL << 10},
        {"|MB|", 1000ULL * 1000},
        {"|M|MiB|", 1ULL << 20},
        {"|GB|", 1000ULL * 1000 * 1000},
        {"|G|GiB|", 1ULL << 30},
        {"|TB|", 1000ULL * 1000 * 1000 * 1000},
        {"|T|TiB|", 1ULL << 40},
        {"|PB|", 1000ULL * 1000 * 1000 * 1000 * 1000},
        {"|P|PiB|", 1ULL << 50},
        {"|EB|", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000},
        {"|E|EiB|", 1ULL << 60},
        {"||", 1ULL << 10}, // no unit: KiB
    }};
    if (unit.find('|') != std::string_view::npos) {
        return std::nullopt;
    }
    std::string key = fmt::format("|{}|", unit);
    for (const auto& u : k_units) {
        if (u.names.find(key) != std::string_view::npos) {
            if (*n > UINT64_MAX / u.factor) {
                return std::nullopt;
            }
            return *n * u.factor;
        }
    }
    return std::nullopt;
}

std::optional<unsigned> device_index(std::string_view dev, std::string_view prefix) {
    if (!dev.starts_with(prefix) || dev.size() == prefix.size() || dev.size() > prefix.size() + 3) {
        return std::nullopt;
    }
    unsigned n = 0;
    for (char c : dev.substr(prefix.size())) {
        if (c < 'a' || c > 'z') {
            return std::nullopt;
        }
        n = n * 26 + static_cast<unsigned>(c - 'a' + 1);
    }
    return n - 1;
}

std::optional<std::string> osinfo_short_id(std::string_view uri) {
    constexpr std::string_view k_http = "http://";
    if (!uri.starts_with(k_http) || uri.size() > 200) {
        return std::nullopt;
    }
    std::string_view rest = uri.substr(k_http.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view host = rest.substr(0, slash);
    std::string_view path = rest.substr(slash + 1);
    size_t last = path.rfind('/');
    if (last == std::string_view::npos || last == 0 || last + 1 == path.size()) {
        return std::nullopt;
    }
    std::string_view version = path.substr(last + 1);
    std::string_view family = path.substr(0, last);
    if (family.find('/') != std::string_view::npos) {
        return std::nullopt;
    }
    auto plain = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        });
    };
    if (!plain(family) || !plain(version)) {
        return std::nullopt;
    }
    if (host == "microsoft.com" && family == "win") {
        return fmt::format("win{}", version);
    }
    return fmt::format("{}{}", family, version);
}

Result<DomainImport> read_domain(std::string_view text, std::string name,
                                 const ReadOptions& options) {
    // A domain is a few kilobytes; these bounds leave room for thousands
    // of devices and keep a hostile document small.
    xml::Limits limits;
    limits.max_bytes = 4 * MiB;
    limits.max_elements = 60000;
    limits.max_value = 64 * KiB;
    limits.max_eula = 64 * KiB;
    limits.long_text_element = "description";
    OVFKIT_TRY_ASSIGN(auto doc, xml::Document::parse(text, std::move(name), limits));
    Reader reader(doc, options);
    return reader.read();
}

} // namespace ovfkit::platform::libvirt
