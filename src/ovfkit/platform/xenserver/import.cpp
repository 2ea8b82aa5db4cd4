// The XVA importer; see import.hpp.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/package/tar_index.hpp>
#include <ovfkit/platform/guest_os.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/xenserver/import.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/platform/xenserver/xva_archive.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::xenserver {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_max_cpus = 4096;
constexpr uint64_t k_max_memory = uint64_t{16} << 40; // 16 TiB
constexpr std::string_view k_null = "OpaqueRef:NULL";

using xml::Element;

// XML-RPC over the parsed document (formats 5.2): a <value> holds text (a
// string, an int64, a ref or an enum), or one typed element.
Element typed(Element value) {
    if (!value) {
        return {};
    }
    for (Element c : value.children()) {
        return c;
    }
    return {};
}

std::string scalar(Element value) {
    if (!value) {
        return {};
    }
    Element t = typed(value);
    return t ? t.text() : value.text();
}

Element member(Element value, std::string_view name) {
    Element s = typed(value);
    if (!s || s.name() != "struct") {
        return {};
    }
    for (Element m : s.children()) {
        if (m.name() != "member") {
            continue;
        }
        Element n = m.first_child("", "name");
        if (n && n.text() == name) {
            return m.first_child("", "value");
        }
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> pairs(Element value) {
    std::vector<std::pair<std::string, std::string>> out;
    Element s = typed(value);
    if (!s || s.name() != "struct") {
        return out;
    }
    for (Element m : s.children()) {
        Element n = m.first_child("", "name");
        Element v = m.first_child("", "value");
        if (n && v) {
            out.emplace_back(n.text(), scalar(v));
        }
    }
    return out;
}

std::vector<Element> items(Element value) {
    std::vector<Element> out;
    Element a = typed(value);
    if (!a || a.name() != "array") {
        return out;
    }
    Element data = a.first_child("", "data");
    if (!data) {
        return out;
    }
    for (Element v : data.children()) {
        if (v.name() == "value") {
            out.push_back(v);
        }
    }
    return out;
}

struct Object {
    std::string cls;
    Element snapshot;
};

bool truthy(std::string_view s) {
    return s == "1" || s == "true";
}

// A system id from the VM's name: letters, digits, '-', '_', '.'.
std::string system_id_of(std::string_view name) {
    std::string out;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        out += ok ? c : '_';
        if (out.size() >= 64) {
            break;
        }
    }
    return out.empty() || out[0] == '.' || out[0] == '-' ? "vm" + out : out;
}

class Reader {
public:
    Reader(const xml::Document& doc, const std::string& name, const ImportOptions& options)
        : m_doc(doc), m_name(name), m_opt(options) {}

    Result<XvaMetadata> run() {
        Element root = m_doc.root();
        if (root.name() != "value") {
            return fail(Errc::invalid, "{}: the root is <{}>, ova.xml is an XML-RPC <value>",
                        m_doc.where(root), root.name());
        }
        Element version = member(root, "version");
        Element objects = member(root, "objects");
        if (!version || !objects) {
            return fail(Errc::invalid, "{}: ova.xml has no {} member", m_doc.where(root),
                        version ? "objects" : "version");
        }
        auto vsn = parse_decimal(scalar(member(version, "export_vsn")));
        m_out.export_vsn = vsn.value_or(0);
        auto list = items(objects);
        if (list.size() > k_import_max_keys) {
            return fail(Errc::refused, "{}: {} objects; ova.xml is read with at most {}",
                        m_doc.where(objects), list.size(), k_import_max_keys);
        }
        for (Element o : list) {
            std::string cls = scalar(member(o, "class"));
            std::string id = scalar(member(o, "id"));
            Element snap = member(o, "snapshot");
            if (cls.empty() || id.empty() || !snap) {
                return fail(Errc::invalid, "{}: an object without class, id or snapshot",
                            m_doc.where(o));
            }
            if (!m_objects.emplace(id, Object{cls, snap}).second) {
                return fail(Errc::refused, "{}: object id {} is used twice", m_doc.where(o), id);
            }
            if (cls == "VDI") {
                auto size = parse_decimal(scalar(member(snap, "virtual_size")));
                if (!size || *size > k_max_blocks * k_block) {
                    return fail(Errc::invalid,
                                "{}: VDI {}: virtual_size \"{}\" is not a size an XVA numbers "
                                "(at most {} 1 MiB chunks)",
                                m_doc.where(snap), id, scalar(member(snap, "virtual_size")),
                                k_max_blocks);
                }
                m_out.vdis[id] = *size;
            }
        }
        ImportedAppliance& app = m_out.app;
        app.platform = "xenserver";
        app.config = m_name;
        for (const auto& [id, o] : m_objects) {
            if (o.cls != "VM") {
                continue;
            }
            Element s = o.snapshot;
            if (truthy(scalar(member(s, "is_a_snapshot"))) ||
                truthy(scalar(member(s, "is_control_domain")))) {
                continue; // snapshots travel with their VM; their disks are not imported
            }
            OVFKIT_TRY(vm(id, s));
        }
        if (app.vms.empty()) {
            return fail(Errc::invalid, "{}: ova.xml holds no VM (only snapshots or templates)",
                        m_name);
        }
        return std::move(m_out);
    }

private:
    const xml::Document& m_doc;
    const std::string& m_name;
    const ImportOptions& m_opt;
    XvaMetadata m_out;
    std::map<std::string, Object> m_objects;

    std::string where(Element e) const { return m_doc.where(e); }

    const Object* object(const std::string& ref, std::string_view cls) const {
        auto it = m_objects.find(ref);
        return it == m_objects.end() || it->second.cls != cls ? nullptr : &it->second;
    }

    Result<uint64_t> number(Element s, std::string_view field, uint64_t lo, uint64_t hi) const {
        Element v = member(s, field);
        auto n = parse_decimal(scalar(v));
        if (!v || !n || *n < lo || *n > hi) {
            return fail(Errc::invalid, "{}: {} \"{}\": not a number from {} to {}",
                        where(v ? v : s), field, scalar(v), lo, hi);
        }
        return *n;
    }

    Result<void> vm(const std::string& id, Element s) {
        ImportedVm ivm;
        PlanVm& vm = ivm.vm;
        PlanNotes& notes = m_out.app.notes;
        vm.name = scalar(member(s, "name_label"));
        if (trim(vm.name).empty()) {
            vm.name = id;
        }
        vm.system_id = system_id_of(vm.name);
        vm.path = vm.system_id;
        vm.description = scalar(member(s, "name_description"));
        const bool template_vm = truthy(scalar(member(s, "is_a_template")));
        if (template_vm) {
            notes.add("xen-template", NoteAction::info, vm, "is_a_template",
                      "the XVA holds a template; it is imported as a VM");
        }

        // CPUs and memory.
        OVFKIT_TRY_ASSIGN(uint64_t cpus_max, number(s, "VCPUs_max", 1, k_max_cpus));
        OVFKIT_TRY_ASSIGN(uint64_t cpus, number(s, "VCPUs_at_startup", 1, cpus_max));
        vm.cpus = cpus;
        if (cpus_max > cpus) {
            notes.add("cpu-hotplug", NoteAction::dropped, vm, "VCPUs_max",
                      fmt::format("{} virtual CPUs at startup, up to {} hot-plugged: OVF carries "
                                  "the first (VCPUs_max kept as a vendor setting)",
                                  cpus, cpus_max));
            ivm.vendor.push_back({"VCPUs_max", std::to_string(cpus_max)});
        }
        OVFKIT_TRY_ASSIGN(uint64_t mem, number(s, "memory_static_max", k_mib, k_max_memory));
        vm.memory_bytes = mem;
        auto dmin = parse_decimal(scalar(member(s, "memory_dynamic_min")));
        auto dmax = parse_decimal(scalar(member(s, "memory_dynamic_max")));
        if (dmin && dmax && (*dmin < mem || *dmax < mem)) {
            notes.add("memory-dynamic", NoteAction::dropped, vm, "memory_dynamic_min/max",
                      fmt::format("dynamic memory {} to {} MiB (DMC) is not carried: the VM gets "
                                  "memory_static_max, {} MiB",
                                  *dmin / k_mib, *dmax / k_mib, mem / k_mib));
            ivm.vendor.push_back({"memory_dynamic_min", std::to_string(*dmin)});
            ivm.vendor.push_back({"memory_dynamic_max", std::to_string(*dmax)});
        }

        // Firmware and mode.
        const auto boot = pairs(member(s, "HVM_boot_params"));
        const auto platform = pairs(member(s, "platform"));
        auto get = [](const auto& kv, std::string_view key) -> std::string {
            for (const auto& [k, v] : kv) {
                if (k == key) {
                    return v;
                }
            }
            return {};
        };
        const std::string policy = scalar(member(s, "HVM_boot_policy"));
        if (policy.empty()) {
            const std::string loader = scalar(member(s, "PV_bootloader"));
            notes.add("xen-pv", NoteAction::translated, vm, "HVM_boot_policy",
                      fmt::format("a PV guest{} is imported as an HVM one: it must boot from its "
                                  "disk's own boot loader",
                                  loader.empty() ? "" : " (PV_bootloader " + loader + ")"));
        }
        vm.firmware_stated = true;
        vm.firmware = ascii_lower(get(boot, "firmware")) == "uefi" ||
                              ascii_lower(get(platform, "firmware")) == "uefi"
                          ? Firmware::efi
                          : Firmware::bios;
        vm.secure_boot = vm.firmware == Firmware::efi && truthy(get(platform, "secureboot"));
        for (const auto& [k, v] : platform) {
            ivm.vendor.push_back({"platform:" + k, v});
        }
        for (const auto& [k, v] : boot) {
            ivm.vendor.push_back({"HVM_boot_params:" + k, v});
        }

        // Guest OS: xapi names it only in words; an XVA of ovfkit's also
        // by the OS table's key (k_os_key).
        const auto other = pairs(member(s, "other_config"));
        GuestOsHints hints;
        std::string said = get(other, "base_template_name");
        std::string from = "other_config base_template_name";
        if (said.empty()) {
            if (const Object* gm = object(scalar(member(s, "guest_metrics")), "VM_guest_metrics")) {
                said = get(pairs(member(gm->snapshot, "os_version")), "name");
                from = "guest metrics os_version name";
            }
        }
        if (!said.empty()) {
            hints.description = said;
            vm.os_hint = fmt::format("{} {}", from, said);
        }
        vm.os = resolve_guest_os(hints);
        const std::string keyed = get(other, k_os_key);
        if (const GuestOsRow* row = keyed.empty() ? nullptr : find_guest_os(keyed)) {
            vm.os.row = row;
            vm.os.newest = row;
            vm.os.decided_by = "other_config " + std::string(k_os_key);
            vm.os.confidence = row->generic ? OsConfidence::medium : OsConfidence::high;
            vm.os_hint = fmt::format("other_config {} {}", k_os_key, row->key);
            said = std::string(row->display);
        } else if (!keyed.empty()) {
            notes.add("os-hint-ignored", NoteAction::info, vm, "guest OS",
                      fmt::format("other_config {} \"{}\" is no OS table key; ignored", k_os_key,
                                  shown(keyed, 64)));
        }
        if (vm.os.decided_by == "none" || said.empty()) {
            notes.add("os-unmapped", NoteAction::info, vm, "guest OS",
                      said.empty() ? fmt::format("the XVA names no guest OS; imported as {}",
                                                 vm.os.row->display)
                                   : fmt::format("\"{}\" is not in the guest OS table; imported "
                                                 "as {}",
                                                 said, vm.os.row->display));
        }
        for (const auto& [k, v] : other) {
            if (k != "mac_seed" && k != k_os_key) { // xapi makes a new mac_seed on import
                ivm.vendor.push_back({"other_config:" + k, v});
            }
        }

        OVFKIT_TRY(storage(ivm, s));
        OVFKIT_TRY(nics(vm, s));
        m_out.app.vms.push_back(std::move(ivm));
        return {};
    }

    Result<void> storage(ImportedVm& ivm, Element s) {
        PlanVm& vm = ivm.vm;
        PlanNotes& notes = m_out.app.notes;
        auto refs = items(member(s, "VBDs"));
        if (refs.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} VBDs; ovfkit imports at most {}",
                        where(member(s, "VBDs")), refs.size(), k_import_max_devices);
        }
        struct Vbd {
            unsigned unit;
            Element e;
        };
        std::vector<Vbd> vbds;
        std::set<unsigned> used;
        for (Element r : refs) {
            const Object* o = object(scalar(r), "VBD");
            if (o == nullptr) {
                return fail(Errc::invalid, "{}: VBD {} is not in ova.xml", where(r), scalar(r));
            }
            OVFKIT_TRY_ASSIGN(uint64_t unit,
                              number(o->snapshot, "userdevice", 0, k_max_userdevices - 1));
            if (!used.insert(static_cast<unsigned>(unit)).second) {
                return fail(Errc::invalid, "{}: userdevice {} is taken twice", where(o->snapshot),
                            unit);
            }
            vbds.push_back({static_cast<unsigned>(unit), o->snapshot});
        }
        std::sort(vbds.begin(), vbds.end(),
                  [](const Vbd& a, const Vbd& b) { return a.unit < b.unit; });
        // Userdevices 0-3 are the emulated IDE channels' primary and
        // secondary devices: one controller per channel, as OVF has them.
        bool channel[2] = {false, false};
        bool scsi = false;
        for (const Vbd& v : vbds) {
            if (v.unit < 4) {
                channel[v.unit / 2] = true;
            } else {
                scsi = true;
            }
        }
        unsigned ide_index = 0;
        for (unsigned c = 0; c < 2; ++c) {
            if (channel[c]) {
                vm.controllers.push_back({fmt::format("ide{}", c), Bus::ide, "piix4", ide_index++});
            }
        }
        if (scsi) {
            vm.controllers.push_back({"xen-pv", Bus::scsi, "virtio-scsi", 0});
            notes.add("ctrl-xen-vbd", NoteAction::translated, vm, "VBDs 4 and up",
                      "xapi has no controllers; VBDs past the emulated IDE slots (0-3) are "
                      "reached through the PV drivers only: imported on a virtio-scsi controller");
        }
        unsigned n = 0;
        for (const Vbd& v : vbds) {
            const std::string ctrl = v.unit < 4 ? fmt::format("ide{}", v.unit / 2) : "xen-pv";
            const unsigned unit = v.unit < 4 ? v.unit % 2 : v.unit - 4;
            const std::string item = fmt::format("VBD userdevice {}", v.unit);
            const std::string type = scalar(member(v.e, "type"));
            const std::string vdi = scalar(member(v.e, "VDI"));
            if (type == "CD") {
                PlanCdrom cd;
                cd.controller = ctrl;
                cd.unit = unit;
                if (!truthy(scalar(member(v.e, "empty"))) && vdi != k_null) {
                    const Object* media = object(vdi, "VDI");
                    notes.add(
                        "cdrom-media", NoteAction::dropped, vm, item,
                        fmt::format("the ISO {} is not carried; the drive is empty",
                                    media ? scalar(member(media->snapshot, "name_label")) : vdi));
                }
                vm.cdroms.push_back(std::move(cd));
                continue;
            }
            if (type != "Disk") {
                return fail(Errc::invalid, "{}: VBD type \"{}\": xapi has Disk and CD", where(v.e),
                            type);
            }
            if (object(vdi, "VDI") == nullptr) {
                return fail(Errc::invalid,
                            "{}: the disk at userdevice {} has no VDI in ova.xml "
                            "({})",
                            where(v.e), v.unit, vdi);
            }
            if (scalar(member(v.e, "mode")) == "RO") {
                notes.add("disk-mode", NoteAction::info, vm, item,
                          "a read-only disk is imported as an ordinary one");
            }
            PlanDisk d;
            d.disk_id = fmt::format("xvd{}", static_cast<char>('a' + v.unit));
            d.controller = ctrl;
            d.unit = unit;
            d.boot = n++ == 0;
            ImportDisk src;
            src.disk_id = d.disk_id;
            src.path = d.disk_id + ".img";
            src.format = "raw";
            m_out.disk_refs[d.disk_id] = vdi;
            vm.disks.push_back(std::move(d));
            ivm.disks.push_back(std::move(src));
        }
        return {};
    }

    Result<void> nics(PlanVm& vm, Element s) {
        PlanNotes& notes = m_out.app.notes;
        auto refs = items(member(s, "VIFs"));
        if (refs.size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} VIFs; ovfkit imports at most {}",
                        where(member(s, "VIFs")), refs.size(), k_import_max_devices);
        }
        struct Vif {
            uint64_t device;
            Element e;
        };
        std::vector<Vif> vifs;
        for (Element r : refs) {
            const Object* o = object(scalar(r), "VIF");
            if (o == nullptr) {
                return fail(Errc::invalid, "{}: VIF {} is not in ova.xml", where(r), scalar(r));
            }
            OVFKIT_TRY_ASSIGN(uint64_t device, number(o->snapshot, "device", 0, 63));
            vifs.push_back({device, o->snapshot});
        }
        std::sort(vifs.begin(), vifs.end(),
                  [](const Vif& a, const Vif& b) { return a.device < b.device; });
        for (const Vif& v : vifs) {
            PlanNic nic;
            nic.source_item = fmt::format("VIF {}", v.device);
            nic.model = "rtl8139";
            notes.add("nic-model", NoteAction::translated, vm, nic.source_item,
                      "a Xen VIF: imported as the RTL8139 QEMU emulates for an HVM guest until "
                      "its PV drivers (netfront) load");
            if (const Object* net = object(scalar(member(v.e, "network")), "network")) {
                nic.ovf_network = scalar(member(net->snapshot, "name_label"));
            }
            nic.network = nic.ovf_network;
            std::string mac = ascii_lower(trim(scalar(member(v.e, "MAC"))));
            if (!mac.empty()) {
                if (!is_mac_address(mac)) {
                    notes.add("nic-mac", NoteAction::dropped, vm, nic.source_item,
                              fmt::format("\"{}\" is not a MAC address; not carried", mac));
                } else if (m_opt.keep_macs) {
                    nic.mac = mac;
                } else {
                    notes.add("nic-mac", NoteAction::info, vm,
                              fmt::format("{} ({})", nic.source_item, mac),
                              "the MAC address is not carried (the target generates one; "
                              "--keep-macs keeps it)");
                }
            }
            vm.nics.push_back(std::move(nic));
        }
        return {};
    }
};

std::string absolute_directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

bool claims(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    if (is_directory) {
        return false;
    }
    if (ascii_lower(path).ends_with(".xva")) {
        return true;
    }
    // A tar whose first member is ova.xml.
    if (head.size() < 512 || !package::is_tar_header(head)) {
        return false;
    }
    std::string_view name(reinterpret_cast<const char*>(head.data()), 8);
    return name == std::string_view("ova.xml\0", 8);
}

} // namespace

Result<XvaMetadata> read_ova_metadata(std::string_view text, const std::string& name,
                                      const ImportOptions& options) {
    xml::Limits limits;
    limits.max_bytes = k_max_ova_xml;
    // A value (text between tags) past the loader's bound is refused here
    // with its line: libxml2 stops at 10 MB text nodes itself, as damage.
    size_t line = 1, run = 0;
    for (char c : text) {
        line += c == '\n' ? 1 : 0;
        run = c == '<' ? 0 : run + 1;
        if (run > limits.max_value) {
            return fail(Errc::refused, "{}:{}: a value of more than {} bytes (limit)", name, line,
                        limits.max_value);
        }
    }
    OVFKIT_TRY_ASSIGN(auto doc, xml::Document::parse(text, name, limits));
    return Reader(doc, name, options).run();
}

namespace {

Result<ImportedAppliance> read(const std::string& path, const ImportOptions& options) {
    OVFKIT_TRY_ASSIGN(auto opened, io::open_read(path));
    std::shared_ptr<io::File> file(std::move(opened));
    OVFKIT_TRY_ASSIGN(std::string text, read_ova_xml(*file));
    OVFKIT_TRY_ASSIGN(XvaMetadata meta, read_ova_metadata(text, path + ":ova.xml", options));
    OVFKIT_TRY_ASSIGN(XvaIndex index, index_xva(*file, path, meta.vdis, meta.export_vsn >= 1));
    auto shared = std::make_shared<const XvaIndex>(std::move(index));
    ImportedAppliance app = std::move(meta.app);
    app.config = path;
    app.directory = absolute_directory_of(path);
    for (ImportedVm& ivm : app.vms) {
        for (ImportDisk& d : ivm.disks) {
            std::string ref = meta.disk_refs.at(d.disk_id);
            d.open = [file, shared, ref]() -> Result<std::unique_ptr<disk::Image>> {
                auto image = std::make_unique<disk::Image>();
                image->reader = xva_disk_reader(file, shared, ref);
                image->driver = disk::formats::find("raw");
                return image;
            };
        }
    }
    return app;
}

} // namespace

const ImportSource xva_import_source{
    .name = "xva",
    .platform = "xenserver",
    .description = "a XenServer / XCP-ng .xva (xe vm-export), read in place",
    .claims = claims,
    .read = read,
};

} // namespace ovfkit::platform::xenserver
