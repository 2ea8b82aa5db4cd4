// The .vbox writer; see vbox.hpp. Renders a mapped VM (hardware.hpp) and
// decides nothing: the settings version is PlanVm::machine, controller and
// NIC types are the plan's models, attachments its networks.
//
// Settings 1.16 (VirtualBox 5.1, with the defaults every later release
// keeps: audio off, cable connected) keep StorageControllers under Machine;
// 1.18 (6.1, VirtioSCSI) under Hardware, where 1.17+ put them.
#include <algorithm>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <libxml/tree.h>

#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/virtualbox/hardware.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::platform::virtualbox {

namespace {

constexpr std::string_view k_settings_ns = "http://www.virtualbox.org/";
constexpr uint64_t k_mib = 1024 * 1024;

const xmlChar* xc(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

std::string braced(const Uuid& u) {
    return "{" + uuid_text(u) + "}";
}

class Builder {
public:
    Builder(const PlanVm& vm, const MachineIds& ids, bool ova = false)
        : m_vm(vm), m_ids(ids), m_ova(ova) {}

    // The settings file.
    Result<std::string> build() {
        OVFKIT_TRY(check_version());
        std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(xc("1.0")));
        xmlNode* root = xmlNewNode(nullptr, xc("VirtualBox"));
        if (!doc || root == nullptr) {
            return fail(Errc::io, "{}: out of memory", where());
        }
        xmlDocSetRootElement(doc.get(), root);
        m_ns = xmlNewNs(root, xc(std::string(k_settings_ns).c_str()), nullptr);
        xmlSetNs(root, m_ns);
        attr(root, "version", m_vm.machine + "-linux");
        OVFKIT_TRY(machine_body(child(root, "Machine")));

        xmlChar* mem = nullptr;
        int size = 0;
        xmlDocDumpFormatMemoryEnc(doc.get(), &mem, &size, "UTF-8", 1);
        if (mem == nullptr) {
            return fail(Errc::io, "{}: out of memory", where());
        }
        std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
        xmlFree(mem);
        return out;
    }

    // The vbox:Machine element of VirtualBox's OVF dialect: the settings
    // Machine without media registry, its children unqualified as
    // VirtualBox writes them, the envelope namespace the placeholder.
    Result<std::string> build_fragment() {
        OVFKIT_TRY(check_version());
        std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(xc("1.0")));
        xmlNode* root = xmlNewNode(nullptr, xc("Machine"));
        if (!doc || root == nullptr) {
            return fail(Errc::io, "{}: out of memory", where());
        }
        xmlDocSetRootElement(doc.get(), root);
        xmlNs* vbox = xmlNewNs(root, xc(std::string(ovf::k_vbox_ns).c_str()), xc("vbox"));
        xmlNs* ovf_ns =
            xmlNewNs(root, xc(std::string(ovf::k_envelope_ns_placeholder).c_str()), xc("ovf"));
        xmlSetNs(root, vbox);
        xmlNewNsProp(root, ovf_ns, xc("required"), xc("false"));
        attr(root, "version", m_vm.machine + "-linux");
        m_ns = nullptr;
        xmlNewTextChild(root, ovf_ns, xc("Info"),
                        xc("Complete VirtualBox machine configuration in VirtualBox format"));
        OVFKIT_TRY(machine_body(root));
        xmlBuffer* buf = xmlBufferCreate();
        if (buf == nullptr) {
            return fail(Errc::io, "{}: out of memory", where());
        }
        xmlNodeDump(buf, doc.get(), root, 0, 0);
        std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                        static_cast<size_t>(xmlBufferLength(buf)));
        xmlBufferFree(buf);
        return out;
    }

private:
    std::string where() const {
        return fmt::format("{}: VM '{}'", m_ova ? "virtualbox-ova" : "virtualbox", m_vm.path);
    }

    Result<void> check_version() const {
        if (m_vm.machine != "1.16" && m_vm.machine != "1.18") {
            return fail(
                invalid("settings version '{}' is not one this writer renders", m_vm.machine));
        }
        return {};
    }

    Result<void> machine_body(xmlNode* machine) {
        attr(machine, "uuid", braced(m_ids.machine));
        OVFKIT_TRY(text_attr(machine, "name", m_vm.name, "the VM name"));
        attr(machine, "OSType", std::string(os_type(m_vm)));
        if (!m_ova) {
            attr(machine, "snapshotFolder", "Snapshots");
        }
        if (!m_vm.description.empty()) {
            OVFKIT_TRY(fits(m_vm.description, "the description"));
            unqualify(
                xmlNewTextChild(machine, m_ns, xc("Description"), xc(m_vm.description.c_str())));
        }
        if (!m_ova) {
            OVFKIT_TRY(media(machine));
            if (m_vm.os.row != nullptr) {
                // After the media registry, before Hardware, where VirtualBox writes it.
                xmlNode* item = child(child(machine, "ExtraData"), "ExtraDataItem");
                attr(item, "name", std::string(k_os_extra_data));
                attr(item, "value", std::string(m_vm.os.row->key));
            }
        }
        xmlNode* hw = child(machine, "Hardware");
        OVFKIT_TRY(hardware(hw));
        return storage(m_vm.machine == "1.16" ? machine : hw);
    }

    // xmlNewChild gives a child without namespace its parent's.
    xmlNode* unqualify(xmlNode* node) const {
        if (m_ns == nullptr && node != nullptr) {
            node->ns = nullptr;
        }
        return node;
    }

    template <typename... Args>
    Error invalid(fmt::format_string<Args...> f, Args&&... args) const {
        return Error{Errc::invalid, where() + ": " + fmt::format(f, std::forward<Args>(args)...)};
    }

    xmlNode* child(xmlNode* parent, const char* name) {
        return unqualify(xmlNewChild(parent, m_ns, xc(name), nullptr));
    }

    static void attr(xmlNode* node, const char* name, const std::string& value) {
        xmlNewProp(node, xc(name), xc(value.c_str()));
    }

    Result<void> fits(std::string_view text, std::string_view what) const {
        if (auto why = xml::unfit(text); !why.empty()) {
            return fail(invalid("{} holds {}, which XML 1.0 cannot carry", what, why));
        }
        return {};
    }

    Result<void> text_attr(xmlNode* node, const char* name, const std::string& value,
                           std::string_view what) {
        OVFKIT_TRY(fits(value, what));
        attr(node, name, value);
        return {};
    }

    Result<void> media(xmlNode* machine) {
        xmlNode* reg = child(machine, "MediaRegistry");
        xmlNode* disks = nullptr;
        std::set<std::string> seen; // a file two disks share is one medium
        for (const auto& d : m_vm.disks) {
            if (!d.uuid || d.file_name.empty()) {
                return fail(invalid("disk {} has no file or UUID", d.disk_id));
            }
            if (d.format != "vdi" && d.format != "vdi-fixed") {
                return fail(invalid("disk {} is written as {}, not VDI", d.disk_id, d.format));
            }
            if (!seen.insert(d.file_name).second) {
                continue;
            }
            disks = disks != nullptr ? disks : child(reg, "HardDisks");
            xmlNode* hd = child(disks, "HardDisk");
            attr(hd, "uuid", braced(*d.uuid));
            OVFKIT_TRY(text_attr(hd, "location", d.file_name, "a disk file name"));
            attr(hd, "format", "VDI");
            attr(hd, "type", "Normal");
        }
        xmlNode* images = nullptr;
        size_t n = 0;
        for (const auto& cd : m_vm.cdroms) {
            if (cd.file_name.empty()) {
                continue;
            }
            if (n >= m_ids.images.size()) {
                return fail(invalid("no UUID for the image {}", cd.file_name));
            }
            images = images != nullptr ? images : child(reg, "DVDImages");
            xmlNode* im = child(images, "Image");
            attr(im, "uuid", braced(m_ids.images[n++]));
            OVFKIT_TRY(text_attr(im, "location", cd.file_name, "an image file name"));
        }
        return {};
    }

    Result<void> hardware(xmlNode* hw) {
        const bool x64 = m_vm.os.row == nullptr || m_vm.os.row->x64;
        xmlNode* cpu = child(hw, "CPU");
        attr(cpu, "count", fmt::format("{}", m_vm.cpus));
        attr(child(cpu, "PAE"), "enabled", "true");
        attr(child(cpu, "LongMode"), "enabled", x64 ? "true" : "false");
        if (m_vm.memory_bytes == 0 || m_vm.memory_bytes % k_mib != 0) {
            return fail(invalid("memory {} bytes is not a whole number of MiB", m_vm.memory_bytes));
        }
        attr(child(hw, "Memory"), "RAMSize", fmt::format("{}", m_vm.memory_bytes / k_mib));
        attr(child(hw, "Firmware"), "type", m_vm.firmware == Firmware::efi ? "EFI" : "BIOS");
        xmlNode* boot = child(hw, "Boot");
        const char* order[] = {"HardDisk", "DVD", "None", "None"};
        for (int i = 0; i < 4; ++i) {
            xmlNode* o = child(boot, "Order");
            attr(o, "position", fmt::format("{}", i + 1));
            attr(o, "device", order[i]);
        }
        bool windows = m_vm.os.row != nullptr && m_vm.os.row->family == OsFamily::windows;
        xmlNode* display = child(hw, "Display");
        attr(display, "controller", windows ? "VBoxSVGA" : "VMSVGA");
        attr(display, "VRAMSize", "16");
        if (m_vm.nics.empty()) {
            return {};
        }
        xmlNode* net = child(hw, "Network");
        size_t generated = 0;
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            const PlanNic& nic = m_vm.nics[i];
            if (!known_adapter(nic.model)) {
                return fail(
                    invalid("NIC {} model '{}' is no VirtualBox adapter type", i + 1, nic.model));
            }
            std::string mac;
            if (nic.mac) {
                mac = *nic.mac;
            } else if (generated < m_ids.macs.size()) {
                mac = m_ids.macs[generated++];
            } else {
                return fail(invalid("NIC {} has no MAC address", i + 1));
            }
            if (mac.size() != 12 ||
                mac.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
                return fail(invalid("NIC {} MAC '{}' is not 12 hex digits", i + 1, mac));
            }
            auto att = attachment(nic.network);
            if (!att) {
                return fail(invalid("NIC {} attachment '{}' is not KIND:NAME", i + 1, nic.network));
            }
            xmlNode* a = child(net, "Adapter");
            attr(a, "slot", fmt::format("{}", i));
            attr(a, "enabled", "true");
            attr(a, "MACAddress", mac);
            attr(a, "type", nic.model);
            attr(a, "cable", "true");
            OVFKIT_TRY(attach(a, *att));
        }
        return {};
    }

    Result<void> attach(xmlNode* adapter, const Attachment& att) {
        if (!att.name.empty()) {
            OVFKIT_TRY(fits(att.name, "a network name"));
        }
        if (att.kind == "nat") {
            if (!att.name.empty()) {
                // The appliance's network, ready for "Internal Network" in the GUI.
                xmlNode* disabled = child(adapter, "DisabledModes");
                attr(child(disabled, "InternalNetwork"), "name", att.name);
            }
            child(adapter, "NAT");
        } else if (att.kind == "bridged") {
            attr(child(adapter, "BridgedInterface"), "name", att.name);
        } else if (att.kind == "intnet") {
            attr(child(adapter, "InternalNetwork"), "name", att.name);
        } else if (att.kind == "hostonly") {
            attr(child(adapter, "HostOnlyInterface"), "name", att.name);
        } else if (att.kind == "natnetwork") {
            attr(child(adapter, "NATNetwork"), "name", att.name);
        } else if (att.kind == "generic") {
            attr(child(adapter, "GenericInterface"), "driver", att.name);
        } else {
            return fail(invalid("attachment kind '{}' is unknown", att.kind));
        }
        return {};
    }

    std::string_view controller_name(std::string_view type) const {
        std::string_view bus = storage_bus(type);
        return bus == "PCIe" ? "NVMe" : bus;
    }

    Result<void> storage(xmlNode* parent) {
        xmlNode* list = child(parent, "StorageControllers");
        std::set<std::string_view> buses;
        size_t image = 0;
        for (const PlanController& c : m_vm.controllers) {
            std::string_view bus = storage_bus(c.model);
            if (bus.empty()) {
                return fail(
                    invalid("controller {} model '{}' is no VirtualBox type", c.id, c.model));
            }
            if (!buses.insert(bus).second) {
                return fail(invalid("a second {} controller ({})", bus, c.id));
            }
            const unsigned per_port = devices_per_port(c.model);
            unsigned used_ports = 0;
            auto check = [&](unsigned unit, std::string_view what) -> Result<void> {
                if (unit >= port_limit(c.model) * per_port) {
                    return fail(invalid("{} at unit {} is past the {} controller's ports", what,
                                        unit, c.model));
                }
                used_ports = std::max(used_ports, unit / per_port + 1);
                return {};
            };
            for (const auto& d : m_vm.disks) {
                if (d.controller == c.id) {
                    OVFKIT_TRY(check(d.unit, "disk " + d.disk_id));
                }
            }
            for (const auto& cd : m_vm.cdroms) {
                if (cd.controller == c.id) {
                    OVFKIT_TRY(check(cd.unit, "a CD-ROM"));
                }
            }
            xmlNode* sc = child(list, "StorageController");
            attr(sc, "name", std::string(controller_name(c.model)));
            attr(sc, "type", c.model);
            // IDE has its two channels; LSI Logic and BusLogic their 16
            // targets; the others as many ports as are used.
            unsigned ports =
                per_port == 2 || bus == "SCSI" ? port_limit(c.model) : std::max(used_ports, 1U);
            attr(sc, "PortCount", fmt::format("{}", ports));
            attr(sc, "useHostIOCache", bus == "IDE" ? "true" : "false");
            attr(sc, "Bootable", "true");
            for (const auto& d : m_vm.disks) {
                if (d.controller != c.id) {
                    continue;
                }
                if (!d.uuid) {
                    return fail(invalid("disk {} has no UUID", d.disk_id));
                }
                xmlNode* a = device(sc, "HardDisk", d.unit, per_port);
                attr(a, "hotpluggable", "false");
                attr(child(a, "Image"), "uuid", braced(*d.uuid));
            }
            for (const auto& cd : m_vm.cdroms) {
                if (cd.controller != c.id) {
                    continue;
                }
                xmlNode* a = device(sc, "DVD", cd.unit, per_port);
                attr(a, "passthrough", "false");
                attr(a, "hotpluggable", "false");
                // An OVF carries no DVD media (VirtualBox's own export
                // leaves the drives empty too).
                if (!cd.file_name.empty() && !m_ova) {
                    attr(child(a, "Image"), "uuid", braced(m_ids.images[image++]));
                }
            }
        }
        // Every device sits on a controller of the list.
        for (const auto& d : m_vm.disks) {
            if (m_vm.controller(d.controller) == nullptr) {
                return fail(invalid("disk {} is on no controller", d.disk_id));
            }
        }
        for (const auto& cd : m_vm.cdroms) {
            if (m_vm.controller(cd.controller) == nullptr) {
                return fail(invalid("a CD-ROM is on no controller"));
            }
        }
        return {};
    }

    xmlNode* device(xmlNode* controller, const char* type, unsigned unit, unsigned per_port) {
        xmlNode* a = child(controller, "AttachedDevice");
        attr(a, "type", type);
        attr(a, "port", fmt::format("{}", unit / per_port));
        attr(a, "device", fmt::format("{}", unit % per_port));
        return a;
    }

    const PlanVm& m_vm;
    const MachineIds& m_ids;
    bool m_ova = false;
    xmlNs* m_ns = nullptr;
};

} // namespace

Result<MachineIds> fresh_ids(const PlanVm& vm) {
    MachineIds ids;
    OVFKIT_TRY_ASSIGN(ids.machine, random_uuid());
    for (const auto& cd : vm.cdroms) {
        if (!cd.file_name.empty()) {
            OVFKIT_TRY_ASSIGN(Uuid u, random_uuid());
            ids.images.push_back(u);
        }
    }
    for (const auto& nic : vm.nics) {
        if (!nic.mac) {
            OVFKIT_TRY_ASSIGN(Uuid u, random_uuid());
            ids.macs.push_back(fmt::format("080027{:02X}{:02X}{:02X}", u[0], u[1], u[2]));
        }
    }
    return ids;
}

Result<std::string> render_vbox(const PlanVm& vm, const MachineIds& ids) {
    return Builder(vm, ids).build();
}

Result<std::string> render_machine_fragment(const PlanVm& vm, const MachineIds& ids) {
    return Builder(vm, ids, true).build_fragment();
}

Result<std::vector<OutputFile>> write_vbox_files(const ExportPlan& plan) {
    std::vector<OutputFile> out;
    std::set<std::string> taken;
    for (const PlanVm& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            taken.insert(d.file_name);
        }
    }
    for (const PlanVm& vm : plan.vms) {
        OVFKIT_TRY_ASSIGN(MachineIds ids, fresh_ids(vm));
        OVFKIT_TRY_ASSIGN(std::string text, render_vbox(vm, ids));
        std::string stem = file_stem(vm.name, vm.system_id);
        std::string name = stem + ".vbox";
        for (unsigned n = 2; !taken.insert(name).second; ++n) {
            name = fmt::format("{}-{}.vbox", stem, n);
        }
        out.push_back({std::move(name), std::move(text), false});
    }
    return out;
}

} // namespace ovfkit::platform::virtualbox
