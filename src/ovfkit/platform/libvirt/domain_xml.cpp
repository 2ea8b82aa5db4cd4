// The libvirt domain writer; see domain_xml.hpp.
#include <algorithm>

#include <fmt/format.h>

#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/map.hpp>
#include <ovfkit/platform/libvirt/osinfo.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::platform::libvirt {

namespace {

constexpr std::string_view k_osinfo_ns = "http://libosinfo.org/xmlns/libvirt/domain/1.0";
// libvirt's QEMU driver caps vCPUs well below this; beyond it no machine
// type exists, so the plan is wrong rather than the host too small.
constexpr uint64_t k_max_cpus = 4096;
constexpr uint64_t k_min_memory = 1 << 20;     // 1 MiB
constexpr uint64_t k_max_memory = 16ULL << 40; // 16 TiB

// A checked, escaped appliance string, or Errc::invalid naming it.
Result<std::string> carried(const PlanVm& vm, std::string_view field, std::string_view text,
                            bool multiline = false) {
    if (auto why = xml::unfit(text, multiline, true); !why.empty()) {
        return fail(Errc::invalid, "libvirt: VM '{}': {} holds {}; a domain XML cannot carry it",
                    xml::escaped(vm.path), field, why);
    }
    return xml::escaped(text);
}

// "a".."z", "aa".. as libvirt names disks (vda, sdaa).
std::string disk_letters(unsigned index) {
    std::string s;
    unsigned n = index + 1;
    while (n > 0) {
        --n;
        s.insert(s.begin(), static_cast<char>('a' + n % 26));
        n /= 26;
    }
    return s;
}

struct Target {
    std::string dev;
    std::string_view bus;
    std::string address; // "" for virtio-blk (a PCI slot libvirt assigns)
};

// The <target> and <address> of a device on controller `c` at `unit`;
// sd names are numbered in document order (`next_sd`), since SATA and
// SCSI share them and the explicit address is what places the device.
Result<Target> device_target(const PlanVm& vm, const PlanController* c, unsigned unit,
                             unsigned& next_sd) {
    if (c == nullptr) {
        return fail(Errc::invalid, "libvirt: VM '{}': a device names no mapped controller",
                    xml::escaped(vm.path));
    }
    switch (c->bus) {
    case Bus::virtio:
        return Target{"vd" + disk_letters(unit), "virtio", ""};
    case Bus::ide:
        if (unit >= k_ide_units) {
            break;
        }
        return Target{"hd" + disk_letters(unit), "ide",
                      fmt::format("<address type='drive' controller='{}' bus='{}' target='0' "
                                  "unit='{}'/>",
                                  c->index, unit / 2, unit % 2)};
    case Bus::sata:
        if (unit >= k_sata_ports) {
            break;
        }
        return Target{"sd" + disk_letters(next_sd++), "sata",
                      fmt::format("<address type='drive' controller='{}' bus='0' target='0' "
                                  "unit='{}'/>",
                                  c->index, unit)};
    case Bus::scsi:
        if (unit > 16383) {
            break;
        }
        return Target{"sd" + disk_letters(next_sd++), "scsi",
                      fmt::format("<address type='drive' controller='{}' bus='0' target='0' "
                                  "unit='{}'/>",
                                  c->index, unit)};
    case Bus::nvme:
        return fail(Errc::invalid, "libvirt: VM '{}': NVMe is not mapped for libvirt",
                    xml::escaped(vm.path));
    }
    return fail(Errc::invalid, "libvirt: VM '{}': unit {} is out of range on {}",
                xml::escaped(vm.path), unit, c->id);
}

// `text` with control characters as spaces, for a comment line.
std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = ' ';
        }
    }
    return out;
}

const PlanController* controller_of(const PlanVm& vm, const std::string& id) {
    auto it = std::find_if(vm.controllers.begin(), vm.controllers.end(),
                           [&](const PlanController& c) { return c.id == id; });
    return it == vm.controllers.end() ? nullptr : &*it;
}

Result<std::string> checked_path(const PlanVm& vm, std::string_view what, const std::string& path) {
    if (path.empty() || path.front() != '/') {
        return fail(Errc::invalid, "libvirt: VM '{}': {} '{}' is not an absolute path",
                    xml::escaped(vm.path), what, xml::escaped(path));
    }
    return carried(vm, what, path);
}

} // namespace

Result<DeviceSources> file_sources(const ExportPlan& plan, const PlanVm& vm) {
    auto join = [&](std::string_view what, const std::string& name) -> Result<std::string> {
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
            return fail(Errc::invalid, "libvirt: VM '{}': {} file name '{}' is not a plain name",
                        xml::escaped(vm.path), what, xml::escaped(name));
        }
        std::string dir = plan.directory;
        while (dir.size() > 1 && dir.back() == '/') {
            dir.pop_back();
        }
        return dir == "/" ? "/" + name : dir + "/" + name;
    };
    DeviceSources out;
    for (const auto& d : vm.disks) {
        OVFKIT_TRY_ASSIGN(auto path, join(fmt::format("disk {}", d.disk_id), d.file_name));
        out.disks.push_back(std::move(path));
    }
    for (const auto& cd : vm.cdroms) {
        if (cd.file_name.empty()) {
            out.cdroms.emplace_back();
            continue;
        }
        OVFKIT_TRY_ASSIGN(auto path, join("CD-ROM", cd.file_name));
        out.cdroms.push_back(std::move(path));
    }
    return out;
}

Result<std::string> domain_xml(const PlanVm& vm, const DeviceSources& sources,
                               std::string_view disk_format) {
    if (sources.disks.size() != vm.disks.size() || sources.cdroms.size() != vm.cdroms.size()) {
        return fail(Errc::invalid, "libvirt: VM '{}': device sources do not match its devices",
                    xml::escaped(vm.path));
    }
    if (vm.cpus == 0 || vm.cpus > k_max_cpus) {
        return fail(Errc::invalid, "libvirt: VM '{}': {} virtual CPUs (1 to {} can be defined)",
                    xml::escaped(vm.path), vm.cpus, k_max_cpus);
    }
    if (vm.memory_bytes < k_min_memory || vm.memory_bytes > k_max_memory) {
        return fail(Errc::invalid,
                    "libvirt: VM '{}': memory of {} bytes (1 MiB to 16 TiB can be defined)",
                    xml::escaped(vm.path), vm.memory_bytes);
    }
    if (vm.machine != "q35" && vm.machine != "pc") {
        return fail(Errc::invalid, "libvirt: VM '{}': machine '{}' is not q35 or pc",
                    xml::escaped(vm.path), xml::escaped(vm.machine));
    }
    if (vm.name.empty() || vm.name.find('/') != std::string::npos) {
        return fail(Errc::invalid, "libvirt: VM '{}': the name is empty or holds '/'",
                    xml::escaped(vm.path));
    }
    OVFKIT_TRY_ASSIGN(std::string name, carried(vm, "the name", vm.name));
    const bool windows = vm.os.row != nullptr && vm.os.row->family == OsFamily::windows;
    const bool virtio_guest = vm.os.row != nullptr && vm.os.row->virtio;
    const bool efi = vm.firmware == Firmware::efi;

    std::string x;
    auto line = [&](int depth, std::string_view text) {
        x.append(static_cast<size_t>(depth) * 2, ' ');
        x += text;
        x += '\n';
    };
    line(0, "<domain type='kvm'>");
    line(1, fmt::format("<name>{}</name>", name));
    if (!vm.description.empty()) {
        OVFKIT_TRY_ASSIGN(auto text, carried(vm, "the description", vm.description, true));
        line(1, fmt::format("<description>{}</description>", text));
    }
    if (vm.os.row != nullptr) {
        if (auto uri = osinfo_uri(vm.os.row->osinfo)) {
            line(1, "<metadata>");
            line(2, fmt::format("<libosinfo:libosinfo xmlns:libosinfo='{}'>", k_osinfo_ns));
            line(3, fmt::format("<libosinfo:os id='{}'/>", xml::escaped(*uri)));
            line(2, "</libosinfo:libosinfo>");
            line(1, "</metadata>");
        }
    }
    uint64_t kib = (vm.memory_bytes + 1023) / 1024;
    line(1, fmt::format("<memory unit='KiB'>{}</memory>", kib));
    line(1, fmt::format("<currentMemory unit='KiB'>{}</currentMemory>", kib));
    line(1, fmt::format("<vcpu placement='static'>{}</vcpu>", vm.cpus));
    line(1, efi ? "<os firmware='efi'>" : "<os>");
    line(2, fmt::format("<type arch='x86_64' machine='{}'>hvm</type>", vm.machine));
    if (efi) {
        line(2, "<firmware>");
        if (vm.secure_boot) {
            line(3, "<feature enabled='yes' name='enrolled-keys'/>");
            line(3, "<feature enabled='yes' name='secure-boot'/>");
        } else {
            line(3, "<feature enabled='no' name='secure-boot'/>");
        }
        line(2, "</firmware>");
    }
    line(1, "</os>");
    line(1, "<features>");
    line(2, "<acpi/>");
    line(2, "<apic/>");
    if (windows) {
        line(2, "<hyperv>");
        line(3, "<relaxed state='on'/>");
        line(3, "<vapic state='on'/>");
        line(3, "<spinlocks state='on' retries='8191'/>");
        line(2, "</hyperv>");
    }
    if (efi && vm.secure_boot) {
        line(2, "<smm state='on'/>");
    }
    line(1, "</features>");
    line(1, "<cpu mode='host-model'/>");
    line(1, windows ? "<clock offset='localtime'/>" : "<clock offset='utc'/>");
    line(1, "<on_poweroff>destroy</on_poweroff>");
    line(1, "<on_reboot>restart</on_reboot>");
    line(1, "<on_crash>destroy</on_crash>");
    line(1, "<devices>");
    for (const auto& c : vm.controllers) {
        if (c.bus == Bus::scsi) {
            if (c.model != "virtio-scsi") {
                return fail(Errc::invalid, "libvirt: VM '{}': SCSI model '{}' is not mapped",
                            xml::escaped(vm.path), xml::escaped(c.model));
            }
            line(2,
                 fmt::format("<controller type='scsi' index='{}' model='virtio-scsi'/>", c.index));
        }
    }
    unsigned next_sd = 0;
    for (size_t i = 0; i < vm.disks.size(); ++i) {
        const PlanDisk& d = vm.disks[i];
        std::string_view type = d.format.empty() ? disk_format : std::string_view(d.format);
        if (type != "qcow2" && type != "raw") {
            return fail(Errc::invalid, "libvirt: VM '{}': disk {} format '{}' is not qcow2 or raw",
                        xml::escaped(vm.path), xml::escaped(d.disk_id), xml::escaped(type));
        }
        OVFKIT_TRY_ASSIGN(auto path,
                          checked_path(vm, fmt::format("disk {}", d.disk_id), sources.disks[i]));
        OVFKIT_TRY_ASSIGN(auto t,
                          device_target(vm, controller_of(vm, d.controller), d.unit, next_sd));
        line(2, "<disk type='file' device='disk'>");
        line(3, fmt::format("<driver name='qemu' type='{}'/>", type));
        line(3, fmt::format("<source file='{}'/>", path));
        line(3, fmt::format("<target dev='{}' bus='{}'/>", t.dev, t.bus));
        if (d.boot) {
            line(3, "<boot order='1'/>");
        }
        if (!t.address.empty()) {
            line(3, t.address);
        }
        line(2, "</disk>");
    }
    for (size_t i = 0; i < vm.cdroms.size(); ++i) {
        const PlanCdrom& cd = vm.cdroms[i];
        OVFKIT_TRY_ASSIGN(auto t,
                          device_target(vm, controller_of(vm, cd.controller), cd.unit, next_sd));
        if (t.bus == "virtio") {
            return fail(Errc::invalid, "libvirt: VM '{}': a CD-ROM cannot be on virtio-blk",
                        xml::escaped(vm.path));
        }
        line(2, "<disk type='file' device='cdrom'>");
        line(3, "<driver name='qemu' type='raw'/>");
        if (!sources.cdroms[i].empty()) {
            OVFKIT_TRY_ASSIGN(auto path, checked_path(vm, "CD-ROM", sources.cdroms[i]));
            line(3, fmt::format("<source file='{}'/>", path));
        }
        line(3, fmt::format("<target dev='{}' bus='{}'/>", t.dev, t.bus));
        line(3, "<readonly/>");
        line(3, t.address);
        line(2, "</disk>");
    }
    for (const auto& nic : vm.nics) {
        OVFKIT_TRY_ASSIGN(auto network, carried(vm, "a network name", nic.network));
        if (network.empty()) {
            return fail(Errc::invalid, "libvirt: VM '{}': a NIC names no network",
                        xml::escaped(vm.path));
        }
        static constexpr std::string_view k_models[] = {"virtio", "e1000", "e1000e", "rtl8139",
                                                        "pcnet"};
        if (std::find(std::begin(k_models), std::end(k_models), nic.model) == std::end(k_models)) {
            return fail(Errc::invalid, "libvirt: VM '{}': NIC model '{}' is not mapped",
                        xml::escaped(vm.path), xml::escaped(nic.model));
        }
        line(2, "<interface type='network'>");
        line(3, fmt::format("<source network='{}'/>", network));
        if (nic.mac) {
            if (!valid_mac(*nic.mac)) {
                return fail(Errc::invalid, "libvirt: VM '{}': MAC '{}' is not a unicast address",
                            xml::escaped(vm.path), xml::escaped(*nic.mac));
            }
            line(3, fmt::format("<mac address='{}'/>", *nic.mac));
        }
        line(3, fmt::format("<model type='{}'/>", nic.model));
        line(2, "</interface>");
    }
    line(2, "<serial type='pty'>");
    line(3, "<target port='0'/>");
    line(2, "</serial>");
    line(2, "<console type='pty'>");
    line(3, "<target type='serial' port='0'/>");
    line(2, "</console>");
    line(2, "<input type='tablet' bus='usb'/>");
    line(2, "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>");
    line(2, fmt::format("<video><model type='{}'/></video>", virtio_guest ? "virtio" : "vga"));
    if (vm.tpm) {
        line(2, "<tpm model='tpm-crb'>");
        line(3, "<backend type='emulator' version='2.0'/>");
        line(2, "</tpm>");
    }
    line(1, "</devices>");
    line(0, "</domain>");
    return x;
}

std::string domain_file_name(const std::string& vm_name, const std::vector<std::string>& taken) {
    std::string base;
    for (char c : vm_name) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
        base += plain ? c : '_';
    }
    if (base.empty() || base.front() == '.') {
        base.insert(base.begin(), '_');
    }
    if (base.size() > 200) {
        base.resize(200);
    }
    std::string name = base + ".xml";
    for (unsigned n = 2; std::find(taken.begin(), taken.end(), name) != taken.end(); ++n) {
        name = fmt::format("{}-{}.xml", base, n);
    }
    return name;
}

Result<void> check_unique_names(const ExportPlan& plan) {
    for (size_t i = 0; i < plan.vms.size(); ++i) {
        for (size_t k = 0; k < i; ++k) {
            if (plan.vms[i].name == plan.vms[k].name) {
                return fail(Errc::invalid,
                            "libvirt: VMs '{}' and '{}' are both named '{}'; a host holds one "
                            "domain per name (--name, or rename one)",
                            xml::escaped(plan.vms[k].path), xml::escaped(plan.vms[i].path),
                            xml::escaped(plan.vms[i].name));
            }
        }
    }
    return {};
}

Result<std::vector<OutputFile>> write_files(const ExportPlan& plan) {
    OVFKIT_TRY(check_unique_names(plan));
    std::vector<OutputFile> files;
    std::vector<std::string> taken;
    std::string order;
    for (const auto& vm : plan.vms) {
        OVFKIT_TRY_ASSIGN(auto sources, file_sources(plan, vm));
        OVFKIT_TRY_ASSIGN(auto xml, domain_xml(vm, sources, plan.disk_format));
        std::string file = domain_file_name(vm.name, taken);
        taken.push_back(file);
        if (vm.start_order != 0) {
            // The name is what `virsh start` takes; a control character
            // was refused above, so one line per VM holds.
            order += fmt::format("{}\t{}\t{}\t{}\t{}\n", vm.start_order, vm.start_delay_s,
                                 vm.stop_delay_s, file, vm.name);
        }
        files.push_back(OutputFile{std::move(file), std::move(xml), false});
    }
    if (!order.empty()) {
        std::string header =
            fmt::format("# Startup order of {} (libvirt has none of its own): start the domains\n"
                        "# in this order, waiting the delay after each; stop them in reverse.\n"
                        "# order\tstart-delay-s\tstop-delay-s\tfile\tdomain\n",
                        plan.collection_name.empty() ? std::string("the appliance")
                                                     : "'" + one_line(plan.collection_name) + "'");
        files.push_back(OutputFile{"start-order.txt", header + order, false});
    }
    return files;
}

} // namespace ovfkit::platform::libvirt
