// The `xenserver-ova` descriptor: the source envelope with every
// VirtualSystem's hardware rebuilt in the dialect XenCenter's OVF import
// (XenOvf) reads and writes (formats/ovf-ova.md 3.3, 3.5 and the corpus's
// xenserver/ descriptor):
//   - System: VirtualSystemType `hvm-3.0-unknown`, XenOvf's type for HVM
//     guests (`xen-3.0-*` are PV guests booted by pygrub, which the mapping
//     never makes: every guest boots HVM, PV-in-HVM where the kernel has the
//     drivers).
//   - Items: CPU, memory, each disk as XenOvf writes it (ResourceType 19,
//     Connection `device=N`: the VBD's userdevice, no controller), the
//     CD-ROM at device=3 (the environment ISO as ovf:/file/ID), NICs
//     (ResourceType 10, Connection: the network's name, the MAC when fixed).
//   - xenovf:VirtualSystemOtherConfigurationData after the items, marked
//     ovf:required="false": `platform` (Viridian, device_id ...),
//     `HVM_boot_policy`, `HVM_boot_params` (firmware=uefi): the same maps
//     the XVA's ova.xml gets (map.cpp).
//   - DiskSection: the plan's disks with XenServer's VHD URI, the boot
//     disk xenovf:isBootable; NetworkSection: the networks after --net.
//   - Dropped: the DeploymentOptionSection (the hardware is that of the
//     chosen option; map.cpp noted it), per-option property defaults
//     collapse to the chosen one. Everything else is kept as read.
// The envelope is OVF 1.x, the version XenOvf imports.
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/platform/dialect_envelope.hpp>
#include <ovfkit/platform/xenserver/ova_envelope.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>

namespace ovfkit::platform::xenserver {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
const std::string k_rasd(ovf::k_rasd_ns);
const std::string k_vssd(ovf::k_vssd_ns);

std::string joined(const KeyValues& values) {
    std::string out;
    for (const auto& [key, value] : values) {
        out += key + "=" + value + ";";
    }
    return out;
}

// One xenovf:VirtualSystemOtherConfigurationData: a field of xapi's VM
// record. Keys and values are the mapping's fixed words, never the
// appliance's strings.
ovf::Extension other_config(std::string_view name, std::string_view info, std::string_view value,
                            uint32_t position) {
    ovf::Extension e;
    e.element.xml = fmt::format(
        "<xenovf:VirtualSystemOtherConfigurationData xmlns:xenovf=\"{0}\" xmlns:ovf=\"{1}\" "
        "ovf:required=\"false\" Name=\"{2}\"><xenovf:Info>{3}</xenovf:Info>"
        "<xenovf:Value>{4}</xenovf:Value></xenovf:VirtualSystemOtherConfigurationData>",
        ovf::k_xenovf_ns, ovf::k_envelope_ns_placeholder, name, info, value);
    e.element.ns = std::string(ovf::k_xenovf_ns);
    e.element.name = "VirtualSystemOtherConfigurationData";
    e.position = position;
    return e;
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
        sys.set(k_vssd, "VirtualSystemType", std::string(k_hvm_system_type));
        hw.system = std::move(sys);

        auto& cpu = add(3, fmt::format("{} virtual CPU(s)", m_vm.cpus));
        cpu.set(k_rasd, "VirtualQuantity", fmt::format("{}", m_vm.cpus));
        uint64_t mib = (m_vm.memory_bytes + k_mib - 1) / k_mib;
        auto& mem = add(4, fmt::format("{} MB of memory", mib));
        mem.set(k_rasd, "AllocationUnits", "byte * 2^20");
        mem.set(k_rasd, "VirtualQuantity", fmt::format("{}", mib));

        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            const auto& d = m_vm.disks[i];
            if (d.controller != k_vbd_controller) {
                return fail(Errc::invalid,
                            "xenserver-ova: VM '{}': disk {} is not a VBD (the plan was not "
                            "mapped for XenServer)",
                            m_vm.path, d.disk_id);
            }
            auto& it = add(19, fmt::format("Hard Disk {}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", d.unit));
            it.set(k_rasd, "Connection", fmt::format("device={}", d.unit));
            it.set(k_rasd, "HostResource", "ovf:/disk/" + d.disk_id);
        }
        for (const auto& cd : m_vm.cdroms) {
            auto& it = add(15, "CD/DVD Drive");
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", cd.unit));
            it.set(k_rasd, "Connection", fmt::format("device={}", cd.unit));
            auto file = cd.environment ? m_env_files.find(cd.file_name) : m_env_files.end();
            if (file != m_env_files.end()) {
                it.set(k_rasd, "HostResource", "ovf:/file/" + file->second);
            }
        }
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            const auto& nic = m_vm.nics[i];
            if (nic.model != k_vif_model) {
                return fail(Errc::invalid, "xenserver-ova: VM '{}': NIC {} is not a Xen VIF",
                            m_vm.path, i + 1);
            }
            auto& it = add(10, fmt::format("Network adapter {}", i + 1));
            if (nic.mac) {
                it.set(k_rasd, "Address", *nic.mac);
            }
            it.set(k_rasd, "AutomaticAllocation", "true");
            it.set(k_rasd, "Connection", nic.network);
        }
        hw.items = std::move(m_items);
        // After the items, where XenOvf writes them (Info, System, items).
        auto position = static_cast<uint32_t>(2 + hw.items.size());
        hw.header.extra.elements.push_back(other_config(
            "platform", "XenServer Platform Information", joined(platform_keys(m_vm)), position));
        hw.header.extra.elements.push_back(other_config(
            "HVM_boot_policy", "XenServer Specific Information", "BIOS order", position));
        hw.header.extra.elements.push_back(other_config("HVM_boot_params",
                                                        "XenServer Specific Information",
                                                        joined(boot_params(m_vm)), position));
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

    const PlanVm& m_vm;
    const std::map<std::string, std::string>& m_env_files;
    std::vector<ovf::Item> m_items;
    unsigned m_next = 1;
};

ovf::OperatingSystemSection os_section(const PlanVm& vm, const ovf::OperatingSystemSection* src) {
    ovf::OperatingSystemSection os;
    if (src != nullptr) {
        os.header = src->header;
    }
    os.header.required.reset();
    os.header.extra = {}; // other vendors' ids (vmw:osType, vbox:OSType) mean nothing here
    if (!os.header.info) {
        os.header.info = msg("The kind of installed guest operating system");
    }
    const GuestOsRow* row = vm.os.row;
    os.id = fmt::format("{}", row != nullptr ? row->cim : 1);
    if (row != nullptr && !row->cim_version.empty()) {
        os.version = std::string(row->cim_version);
    }
    if (row != nullptr && !row->display.empty()) {
        os.description = msg(std::string(row->display));
    }
    return os;
}

} // namespace

Result<ovf::Envelope> xencenter_envelope(const ovf::Envelope& source, const ExportPlan& plan) {
    ovf::Envelope out = source;
    out.version = ovf::OvfVersion::v1;
    out.version_attribute = "1.0";
    declare_namespace(out, "xenovf", ovf::k_xenovf_ns);
    drop_placeholder_sizes(out);
    const std::map<std::string, std::string> env_files = environment_files(out, plan);

    auto bootable = [](const PlanDisk& d, ovf::Disk& disk) {
        if (d.boot) {
            disk.extra.attributes.push_back(
                {std::string(ovf::k_xenovf_ns), "xenovf", "isBootable", "true"});
        }
    };
    splice_envelope_sections(
        out, source,
        plan_disks(plan, "Virtual disk information", disk_format_uri(plan.disk_format), bootable),
        plan_networks(source, plan, "The list of logical networks", false,
                      [](const std::string& name) { return fmt::format("The {} network", name); }));
    OVFKIT_TRY(rebuild_systems(
        out, source, plan, "xenserver-ova",
        [&](const PlanVm& vm, const ovf::Content& src) -> Result<DialectSystem> {
            HardwareBuilder builder(vm, env_files);
            OVFKIT_TRY_ASSIGN(auto hw, builder.build(src.find<ovf::VirtualHardwareSection>()));
            return DialectSystem{os_section(vm, src.find<ovf::OperatingSystemSection>()),
                                 std::move(hw), std::nullopt};
        }));
    return out;
}

std::string_view disk_format_uri(std::string_view disk_format) {
    // XenOvf's own VHD URI (its winFileFormatURI setting, the corpus's
    // xenserver/ descriptor); other drivers' first URI.
    if (disk_format == "vhd" || disk_format == "vhd-fixed") {
        return k_vhd_uri;
    }
    return disk::uri_for_format(disk_format);
}

} // namespace ovfkit::platform::xenserver
