// The `virtualbox-ova` descriptor: the source envelope with every
// VirtualSystem's hardware rebuilt as VirtualBox's own export writes it
// (ApplianceImplExport.cpp; formats/vmware-virtualbox.md B4).
//
//   - VirtualHardwareSection: System "virtualbox-2.2", CPU, memory in
//     byte * 2^20 (VirtualBox writes MegaBytes, a unit strict readers
//     refuse; it reads both), controllers (IDE: one item per channel, ResourceType 5
//     with the PIIX type; SATA 20 "AHCI"; SCSI 6 "lsilogic"/"buslogic"/
//     "lsilogicsas"; 20 "NVMe"; 20 "VirtioSCSI"), disks (ovf:/disk/ID),
//     empty CD-ROM drives, NICs (E1000, PCNet32, virtio).
//   - OperatingSystemSection: the CIM id and version, vbox:OSType, the
//     guest's name as Description.
//   - vbox:Machine (ovf:required="false"): the .vbox Machine of the same
//     plan without media registry. VirtualBox's import prefers it to the
//     items for CPU, memory, OS type, firmware, NICs and storage, so an EFI
//     guest stays EFI and an 82540EM stays one; every disk it attaches is a
//     Disk of the DiskSection with that vbox:uuid. Other OVF readers skip
//     it (it is optional).
//   - DiskSection: the plan's disks with capacities in bytes, the disk
//     driver's format URI and vbox:uuid; NetworkSection: the networks the
//     NICs use, by their appliance names.
//   - Dropped: the DeploymentOptionSection (the hardware is the chosen
//     option's), the source's vendor sections describing the same machine
//     (an older vbox:Machine); per-option property defaults collapse to the
//     chosen one. Everything else is kept as read.
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/platform/dialect_envelope.hpp>
#include <ovfkit/platform/virtualbox/hardware.hpp>
#include <ovfkit/platform/virtualbox/ova_envelope.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>

namespace ovfkit::platform::virtualbox {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
const std::string k_rasd(ovf::k_rasd_ns);
const std::string k_vssd(ovf::k_vssd_ns);

std::string_view nic_subtype(std::string_view type) {
    if (type == "virtio") {
        return "virtio";
    }
    if (type == "Am79C970A" || type == "Am79C973") {
        return "PCNet32";
    }
    return "E1000";
}

class HardwareBuilder {
public:
    explicit HardwareBuilder(const PlanVm& vm) : m_vm(vm) {}

    Result<ovf::VirtualHardwareSection> build(const ovf::VirtualHardwareSection* source) {
        ovf::VirtualHardwareSection hw;
        hw.header.info = msg("Virtual hardware requirements for a virtual machine");
        if (source != nullptr) {
            hw.transport = source->transport;
        }
        ovf::System sys;
        sys.set(k_vssd, "ElementName", "Virtual Hardware Family");
        sys.set(k_vssd, "InstanceID", "0");
        sys.set(k_vssd, "VirtualSystemIdentifier", m_vm.name);
        sys.set(k_vssd, "VirtualSystemType", "virtualbox-2.2");
        hw.system = std::move(sys);

        auto& cpu = add(3, fmt::format("{} virtual CPU", m_vm.cpus));
        cpu.set(k_rasd, "Description", "Number of virtual CPUs");
        cpu.set(k_rasd, "VirtualQuantity", fmt::format("{}", m_vm.cpus));
        uint64_t mib = m_vm.memory_bytes / k_mib;
        auto& mem = add(4, fmt::format("{} MB of memory", mib));
        mem.set(k_rasd, "AllocationUnits", "byte * 2^20");
        mem.set(k_rasd, "Description", "Memory Size");
        mem.set(k_rasd, "VirtualQuantity", fmt::format("{}", mib));

        for (const auto& c : m_vm.controllers) {
            OVFKIT_TRY(controller(c));
        }
        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            const auto& d = m_vm.disks[i];
            OVFKIT_TRY_ASSIGN(auto at, address(d.controller, d.unit, "disk " + d.disk_id));
            auto& it = add(17, fmt::format("disk{}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", at.second));
            it.set(k_rasd, "Description", "Disk Image");
            it.set(k_rasd, "HostResource", "ovf:/disk/" + d.disk_id);
            it.set(k_rasd, "Parent", at.first);
        }
        for (size_t i = 0; i < m_vm.cdroms.size(); ++i) {
            const auto& cd = m_vm.cdroms[i];
            OVFKIT_TRY_ASSIGN(auto at, address(cd.controller, cd.unit, "a CD-ROM"));
            auto& it = add(15, fmt::format("cdrom{}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", at.second));
            it.set(k_rasd, "AutomaticAllocation", "true");
            it.set(k_rasd, "Description", "CD-ROM Drive");
            it.set(k_rasd, "Parent", at.first);
        }
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            const auto& nic = m_vm.nics[i];
            if (!known_adapter(nic.model)) {
                return fail(Errc::invalid,
                            "virtualbox-ova: VM '{}': NIC model '{}' is no VirtualBox adapter",
                            m_vm.path, nic.model);
            }
            auto& it = add(10, fmt::format("Ethernet adapter on '{}'", nic.ovf_network));
            it.set(k_rasd, "AutomaticAllocation", "true");
            it.set(k_rasd, "Connection", nic.ovf_network);
            it.set(k_rasd, "ResourceSubType", std::string(nic_subtype(nic.model)));
        }
        hw.items = std::move(m_items);
        return hw;
    }

private:
    ovf::Item& add(unsigned type, std::string name) {
        ovf::Item it;
        it.set(k_rasd, "Caption", name);
        it.set(k_rasd, "ElementName", std::move(name));
        it.set(k_rasd, "InstanceID", fmt::format("{}", m_next++));
        it.set(k_rasd, "ResourceType", fmt::format("{}", type));
        m_items.push_back(std::move(it));
        return m_items.back();
    }

    // Parent InstanceID and AddressOnParent of a device at `unit`.
    Result<std::pair<std::string, unsigned>> address(const std::string& controller, unsigned unit,
                                                     std::string what) const {
        const PlanController* c = m_vm.controller(controller);
        if (c == nullptr) {
            return fail(Errc::invalid, "virtualbox-ova: VM '{}': {} is on no controller", m_vm.path,
                        what);
        }
        if (c->bus == Bus::ide) {
            // One item per channel; the unit is channel * 2 + device.
            auto it = m_parents.find(fmt::format("{}/{}", c->id, unit / 2));
            if (it == m_parents.end() || unit >= 4) {
                return fail(Errc::invalid, "virtualbox-ova: VM '{}': {} at IDE unit {}", m_vm.path,
                            what, unit);
            }
            return std::pair{it->second, unit % 2};
        }
        return std::pair{m_parents.at(c->id), unit};
    }

    Result<void> controller(const PlanController& c) {
        std::string_view bus = storage_bus(c.model);
        if (bus == "IDE") {
            for (unsigned channel = 0; channel < 2; ++channel) {
                auto& it = add(5, fmt::format("ideController{}", channel));
                it.set(k_rasd, "Address", fmt::format("{}", channel));
                it.set(k_rasd, "BusNumber", fmt::format("{}", channel));
                it.set(k_rasd, "Description", "IDE Controller");
                it.set(k_rasd, "ResourceSubType", c.model);
                m_parents[fmt::format("{}/{}", c.id, channel)] = *it.instance_id();
            }
            return {};
        }
        unsigned type = 20;
        std::string subtype = c.model;
        std::string caption;
        if (bus == "SATA") {
            caption = "sataController0";
        } else if (bus == "SCSI" || bus == "SAS") {
            type = 6;
            subtype = ascii_lower_copy(c.model);
            caption = "scsiController0";
        } else if (bus == "PCIe") {
            caption = "nvmeController0";
        } else if (bus == "VirtioSCSI") {
            caption = "virtioSCSIController0";
        } else {
            return fail(Errc::invalid,
                        "virtualbox-ova: VM '{}': controller model '{}' is no VirtualBox type",
                        m_vm.path, c.model);
        }
        auto& it = add(type, caption);
        it.set(k_rasd, "Address", "0");
        it.set(k_rasd, "BusNumber", "0");
        it.set(k_rasd, "Description", fmt::format("{} Controller", bus == "PCIe" ? "NVMe" : bus));
        it.set(k_rasd, "ResourceSubType", subtype);
        m_parents[c.id] = *it.instance_id();
        return {};
    }

    static std::string ascii_lower_copy(std::string s) {
        for (char& ch : s) {
            ch = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
        }
        return s;
    }

    const PlanVm& m_vm;
    std::vector<ovf::Item> m_items;
    std::map<std::string, std::string> m_parents; // controller id (IDE: id/channel) -> InstanceID
    unsigned m_next = 1;
};

Result<ovf::Extension> os_type_element(const PlanVm& vm) {
    ovf::Extension e;
    e.element.xml = fmt::format(
        "<vbox:OSType xmlns:vbox=\"{}\" xmlns:ovf=\"{}\" ovf:required=\"false\">{}</vbox:OSType>",
        ovf::k_vbox_ns, ovf::k_envelope_ns_placeholder, os_type(vm));
    e.element.ns = std::string(ovf::k_vbox_ns);
    e.element.name = "OSType";
    e.position = 2; // after Info and Description, where VirtualBox writes it
    return e;
}

ovf::OperatingSystemSection os_section(const PlanVm& vm, const ovf::OperatingSystemSection* src) {
    ovf::OperatingSystemSection os;
    if (src != nullptr) {
        os.header = src->header;
    }
    os.header.required.reset();
    os.header.extra = {}; // vendor ids (vmw:osType ...) give way to vbox:OSType
    os.vmw_os_type.reset();
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

bool vbox_machine(const ovf::Section& s) {
    const auto* u = std::get_if<ovf::UnknownSection>(&s);
    return u != nullptr && u->element.ns == ovf::k_vbox_ns && u->element.name == "Machine";
}

} // namespace

Result<ovf::Envelope> virtualbox_envelope(const ovf::Envelope& source, const ExportPlan& plan) {
    ovf::Envelope out = source;
    out.version = ovf::OvfVersion::v1;
    out.version_attribute = "1.0";
    declare_namespace(out, "vbox", ovf::k_vbox_ns);
    drop_placeholder_sizes(out);

    // Each disk's vbox:uuid, fresh (VirtualBox refuses a medium it knows).
    std::map<std::string, Uuid> disk_uuids;
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            if (!disk_uuids.contains(d.disk_id)) {
                OVFKIT_TRY_ASSIGN(disk_uuids[d.disk_id], random_uuid());
            }
        }
    }
    auto with_uuid = [&](const PlanDisk& d, ovf::Disk& disk) {
        disk.extra.attributes.push_back(
            {std::string(ovf::k_vbox_ns), "vbox", "uuid", uuid_text(disk_uuids[d.disk_id])});
    };
    splice_envelope_sections(out, source,
                             plan_disks(plan, "List of the virtual disks used in the package",
                                        disk::uri_for_format(plan.disk_format), with_uuid),
                             plan_networks(source, plan, "Logical networks used in the package",
                                           true, [](const std::string&) {
                                               return "Logical network used by this appliance.";
                                           }));

    auto build = [&](const PlanVm& vm, const ovf::Content& src) -> Result<DialectSystem> {
        HardwareBuilder builder(vm);
        OVFKIT_TRY_ASSIGN(auto hw, builder.build(src.find<ovf::VirtualHardwareSection>()));
        PlanVm attached = vm;
        for (auto& d : attached.disks) {
            d.uuid = disk_uuids[d.disk_id];
        }
        OVFKIT_TRY_ASSIGN(MachineIds ids, fresh_ids(attached));
        OVFKIT_TRY_ASSIGN(std::string machine, render_machine_fragment(attached, ids));
        ovf::UnknownSection vbox;
        vbox.element.xml = std::move(machine);
        vbox.element.ns = std::string(ovf::k_vbox_ns);
        vbox.element.name = "Machine";
        vbox.required = false;
        auto os = os_section(vm, src.find<ovf::OperatingSystemSection>());
        OVFKIT_TRY_ASSIGN(auto os_type_ext, os_type_element(vm));
        os.header.extra.elements.push_back(std::move(os_type_ext));
        // vbox:Machine last, where VirtualBox writes it.
        return DialectSystem{std::move(os), std::move(hw), ovf::Section(std::move(vbox))};
    };
    // A source's own vbox:Machine describes the machine before the plan.
    OVFKIT_TRY(rebuild_systems(out, source, plan, "virtualbox-ova", build, vbox_machine));
    return out;
}

} // namespace ovfkit::platform::virtualbox
