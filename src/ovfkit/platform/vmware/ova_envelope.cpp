// The `vmware-ova` descriptor: the source envelope with every VirtualSystem's
// hardware rebuilt in vSphere's vocabulary from the mapped plan.
//
// What vSphere reads is rewritten, what it only carries is kept:
//   - VirtualHardwareSection: one per system, rebuilt from the plan — System
//     with the vmx-NN family, then CPU, memory, the controllers with
//     VMware's subtypes (lsilogic, lsilogicsas, VirtualSCSI, buslogic,
//     vmware.sata.ahci, vmware.nvme.controller; IDE one item per channel),
//     disks (ovf:/disk/ID), CD-ROMs (the environment ISO as ovf:/file/ID),
//     NICs (VmxNet3, E1000, E1000e) and vmw:Config firmware (and Secure
//     Boot). Sound cards, USB controllers, floppies and the rest of the
//     source's items have no place in it (map.cpp noted them).
//   - OperatingSystemSection: the CIM id and version, vmw:osType, the
//     guest's name as Description (mapping.md 1.1: never a CIM id alone).
//   - DiskSection: the plan's disks, capacities in bytes, the format of the
//     disk driver; NetworkSection: the networks the NICs connect to after
//     --net, with the source's descriptions.
//   - Dropped: the DeploymentOptionSection (the hardware is that of the
//     chosen option), sections vSphere does not know that are marked
//     required; per-option property defaults collapse to the chosen one.
//   - Kept as read: References (the engine renames the disk files),
//     Product, Eula, Annotation, Startup, Install and ResourceAllocation
//     sections, vmw: sections, optional vendor sections, Strings.
// The envelope is always OVF 1.x: the version vSphere imports everywhere.
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/platform/dialect_envelope.hpp>
#include <ovfkit/platform/vmware/hardware.hpp>
#include <ovfkit/platform/vmware/ova_envelope.hpp>

namespace ovfkit::platform::vmware {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
const std::string k_rasd(ovf::k_rasd_ns);
const std::string k_vssd(ovf::k_vssd_ns);

std::string config_fragment(std::string_view key, std::string_view value) {
    // Self-contained (ovf.hpp, XmlFragment); the envelope namespace is the placeholder.
    return fmt::format("<vmw:Config xmlns:vmw=\"{}\" xmlns:ovf=\"{}\" ovf:required=\"false\" "
                       "vmw:key=\"{}\" vmw:value=\"{}\"/>",
                       ovf::k_vmw_ns, ovf::k_envelope_ns_placeholder, key, value);
}

class HardwareBuilder {
public:
    HardwareBuilder(const PlanVm& vm, const std::map<std::string, std::string>& env_files)
        : m_vm(vm), m_env_files(env_files) {}

    Result<ovf::VirtualHardwareSection> build(const ovf::VirtualHardwareSection* source) {
        ovf::VirtualHardwareSection hw;
        hw.header.info = msg("Virtual hardware requirements");
        if (source != nullptr) {
            hw.transport = source->transport;
        }
        ovf::System sys;
        sys.set(k_vssd, "ElementName", "Virtual Hardware Family");
        sys.set(k_vssd, "InstanceID", "0");
        sys.set(k_vssd, "VirtualSystemIdentifier", m_vm.name);
        sys.set(k_vssd, "VirtualSystemType", m_vm.machine);
        hw.system = std::move(sys);

        auto& cpu = add(3, fmt::format("{} virtual CPU(s)", m_vm.cpus));
        cpu.set(k_rasd, "AllocationUnits", "hertz * 10^6");
        cpu.set(k_rasd, "Description", "Number of Virtual CPUs");
        cpu.set(k_rasd, "VirtualQuantity", fmt::format("{}", m_vm.cpus));
        if (uint64_t cores = cores_per_socket(m_vm); cores != 0) {
            // vSphere's own element in the CPU item, after the CIM properties.
            ovf::ItemField f;
            f.ns = std::string(ovf::k_vmw_ns);
            f.name = "CoresPerSocket";
            f.verbatim = ovf::XmlFragment{
                fmt::format("<vmw:CoresPerSocket xmlns:vmw=\"{}\" xmlns:ovf=\"{}\" "
                            "ovf:required=\"false\">{}</vmw:CoresPerSocket>",
                            ovf::k_vmw_ns, ovf::k_envelope_ns_placeholder, cores),
                std::string(ovf::k_vmw_ns),
                "CoresPerSocket",
                {}};
            cpu.fields.push_back(std::move(f));
            cpu.canonicalize();
        }
        uint64_t mib = (m_vm.memory_bytes + k_mib - 1) / k_mib;
        auto& mem = add(4, fmt::format("{}MB of memory", mib));
        mem.set(k_rasd, "AllocationUnits", "byte * 2^20");
        mem.set(k_rasd, "Description", "Memory Size");
        mem.set(k_rasd, "VirtualQuantity", fmt::format("{}", mib));

        for (const auto& c : m_vm.controllers) {
            OVFKIT_TRY(controller(c));
        }
        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            const auto& d = m_vm.disks[i];
            auto parent = m_parents.find(d.controller);
            if (parent == m_parents.end()) {
                return fail(Errc::invalid, "vmware-ova: VM '{}': disk {} is on no controller",
                            m_vm.path, d.disk_id);
            }
            auto& it = add(17, fmt::format("Hard Disk {}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", d.unit));
            it.set(k_rasd, "HostResource", "ovf:/disk/" + d.disk_id);
            it.set(k_rasd, "Parent", parent->second);
        }
        for (size_t i = 0; i < m_vm.cdroms.size(); ++i) {
            const auto& cd = m_vm.cdroms[i];
            auto parent = m_parents.find(cd.controller);
            if (parent == m_parents.end()) {
                return fail(Errc::invalid, "vmware-ova: VM '{}': CD-ROM {} is on no controller",
                            m_vm.path, i + 1);
            }
            auto& it = add(15, fmt::format("CD/DVD Drive {}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", cd.unit));
            it.set(k_rasd, "Parent", parent->second);
            auto file = cd.environment ? m_env_files.find(cd.file_name) : m_env_files.end();
            if (file != m_env_files.end()) {
                it.set(k_rasd, "AutomaticAllocation", "true");
                it.set(k_rasd, "HostResource", "ovf:/file/" + file->second);
            } else {
                it.set(k_rasd, "AutomaticAllocation", "false");
            }
        }
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            const auto& nic = m_vm.nics[i];
            std::string_view subtype = ovf_nic_subtype(nic.model);
            if (subtype.empty()) {
                return fail(Errc::invalid,
                            "vmware-ova: VM '{}': NIC model '{}' has no vSphere subtype", m_vm.path,
                            nic.model);
            }
            auto& it = add(10, fmt::format("Network adapter {}", i + 1));
            if (nic.mac) {
                it.set(k_rasd, "Address", *nic.mac);
            }
            it.set(k_rasd, "AutomaticAllocation", "true");
            it.set(k_rasd, "Connection", nic.network);
            it.set(k_rasd, "Description", fmt::format("{} ethernet adapter", subtype));
            it.set(k_rasd, "ResourceSubType", std::string(subtype));
        }
        // vmw:Config after the items, where vSphere writes them.
        auto config = [&](std::string_view key, std::string_view value) {
            ovf::Extension e;
            e.element.xml = config_fragment(key, value);
            e.element.ns = std::string(ovf::k_vmw_ns);
            e.element.name = "Config";
            e.position = static_cast<uint32_t>(2 + hw.items.size());
            hw.header.extra.elements.push_back(std::move(e));
        };
        hw.items = std::move(m_items);
        config("firmware", m_vm.firmware == Firmware::efi ? "efi" : "bios");
        if (m_vm.firmware == Firmware::efi) {
            config("bootOptions.efiSecureBootEnabled", m_vm.secure_boot ? "true" : "false");
        }
        return hw;
    }

private:
    ovf::Item& add(unsigned type, std::string name) {
        ovf::Item it;
        it.set(k_rasd, "ElementName", std::move(name));
        it.set(k_rasd, "InstanceID", fmt::format("{}", m_next++));
        it.set(k_rasd, "ResourceType", fmt::format("{}", type));
        m_items.push_back(std::move(it));
        return m_items.back();
    }

    Result<void> controller(const PlanController& c) {
        ovf::Item* it = nullptr;
        switch (c.bus) {
        case Bus::ide:
            it = &add(5, fmt::format("IDE {}", c.index));
            it->set(k_rasd, "Description", fmt::format("IDE Controller {}", c.index));
            break;
        case Bus::scsi:
            it = &add(6, fmt::format("SCSI Controller {}", c.index));
            it->set(k_rasd, "Description", fmt::format("SCSI Controller {}", c.index));
            break;
        case Bus::sata:
            it = &add(20, fmt::format("SATA Controller {}", c.index));
            it->set(k_rasd, "Description", fmt::format("SATA Controller {}", c.index));
            break;
        case Bus::nvme:
            it = &add(20, fmt::format("NVME Controller {}", c.index));
            it->set(k_rasd, "Description", fmt::format("NVME Controller {}", c.index));
            break;
        case Bus::virtio:
            return fail(Errc::invalid, "vmware-ova: VM '{}': controller {} is virtio", m_vm.path,
                        c.id);
        }
        it->set(k_rasd, "Address", fmt::format("{}", c.index));
        if (c.bus != Bus::ide) {
            std::string_view subtype = ovf_controller_subtype(c.model);
            if (subtype.empty()) {
                return fail(Errc::invalid,
                            "vmware-ova: VM '{}': controller model '{}' has no vSphere subtype",
                            m_vm.path, c.model);
            }
            it->set(k_rasd, "ResourceSubType", std::string(subtype));
        }
        m_parents[c.id] = *it->instance_id();
        return {};
    }

    const PlanVm& m_vm;
    const std::map<std::string, std::string>& m_env_files;
    std::vector<ovf::Item> m_items;
    std::map<std::string, std::string> m_parents; // plan controller id -> InstanceID
    unsigned m_next = 1;
};

ovf::OperatingSystemSection os_section(const PlanVm& vm, const ovf::OperatingSystemSection* src) {
    ovf::OperatingSystemSection os;
    if (src != nullptr) {
        os.header = src->header;
    }
    os.header.required.reset();
    os.header.extra = {}; // vendor ids (vbox:OSType ...) give way to vmw:osType
    if (!os.header.info) {
        os.header.info = msg("The kind of installed guest operating system");
    }
    const GuestOsRow* row = vm.os.row;
    os.id = fmt::format("{}", row != nullptr ? row->cim : 1);
    if (row != nullptr && !row->cim_version.empty()) {
        os.version = std::string(row->cim_version);
    }
    os.vmw_os_type = std::string(vsphere_guest_id(vm));
    if (row != nullptr && !row->display.empty()) {
        os.description = msg(std::string(row->display));
    }
    return os;
}

// A collection's required sections vSphere does not know (ScaleOutSection
// of OVF 2.x ...), as map.cpp noted them.
void drop_from_collections(ovf::Content& c) {
    if (c.kind != ovf::ContentKind::collection) {
        return;
    }
    size_t before = c.sections.size();
    std::erase_if(c.sections, [](const ovf::Section& s) {
        const auto* u = std::get_if<ovf::UnknownSection>(&s);
        return u != nullptr && drops_section(*u);
    });
    if (c.sections.size() != before) {
        for (auto& e : c.extra.elements) {
            e.position = UINT32_MAX;
        }
    }
    for (auto& child : c.children) {
        drop_from_collections(child);
    }
}

} // namespace

Result<ovf::Envelope> vsphere_envelope(const ovf::Envelope& source, const ExportPlan& plan) {
    ovf::Envelope out = source;
    out.version = ovf::OvfVersion::v1;
    out.version_attribute = "1.0";
    declare_namespace(out, "vmw", ovf::k_vmw_ns);
    // "@@VMDK_FILE_SIZE@@", "#SIZE#": vSphere fails the import on them.
    drop_placeholder_sizes(out);
    const std::map<std::string, std::string> env_files = environment_files(out, plan);

    auto unknown_required = [](const ovf::Section& s) {
        const auto* u = std::get_if<ovf::UnknownSection>(&s);
        return u != nullptr && drops_section(*u);
    };
    splice_envelope_sections(
        out, source,
        plan_disks(plan, "Virtual disk information", disk::uri_for_format(plan.disk_format)),
        plan_networks(source, plan, "The list of logical networks", false,
                      [](const std::string& name) { return fmt::format("The {} network", name); }),
        unknown_required);
    drop_from_collections(out.content);
    OVFKIT_TRY(rebuild_systems(
        out, source, plan, "vmware-ova",
        [&](const PlanVm& vm, const ovf::Content& src) -> Result<DialectSystem> {
            HardwareBuilder builder(vm, env_files);
            OVFKIT_TRY_ASSIGN(auto hw, builder.build(src.find<ovf::VirtualHardwareSection>()));
            return DialectSystem{os_section(vm, src.find<ovf::OperatingSystemSection>()),
                                 std::move(hw), std::nullopt};
        },
        unknown_required));
    return out;
}

} // namespace ovfkit::platform::vmware
