// oVirt's OVF dialect; see dialect.hpp.
#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/platform/ovirt/dialect.hpp>
#include <ovfkit/platform/vendor_xml.hpp>

namespace ovfkit::platform::ovirt {

namespace {

std::optional<uint64_t> number(const std::optional<std::string>& text) {
    if (!text || trim(*text).empty()) {
        return std::nullopt;
    }
    auto v = ovf::parse_u64(trim(*text), "number");
    return v ? std::optional<uint64_t>(*v) : std::nullopt;
}

// An envelope attribute the model keeps verbatim (oVirt's ovf:size,
// ovf:disk-interface ... on <Disk>).
std::optional<std::string> extra_attribute(const ovf::Extras& extra, std::string_view name) {
    for (const auto& a : extra.attributes) {
        if (a.ns == ovf::k_envelope_ns_placeholder && a.name == name) {
            return a.value;
        }
    }
    return std::nullopt;
}

// The text of an unqualified child of the virtual system (<BiosType>).
std::optional<std::string> setting(const ovf::Content& system, std::string_view name) {
    for (const auto& ext : system.extra.elements) {
        if (!ext.element.ns.empty() || ext.element.name != name) {
            continue;
        }
        if (auto doc = parse_fragment(ext.element)) {
            return std::string(trim(doc->root().text()));
        }
    }
    return std::nullopt;
}

struct Bus {
    const char* name;
    const char* model;
};

// ovf:disk-interface (DiskInterface.java) as a bus and model; IDE when
// absent, as the engine assumes.
std::optional<Bus> disk_bus(const std::optional<std::string>& interface) {
    std::string_view i = interface ? trim(*interface) : std::string_view("IDE");
    if (i == "IDE") {
        return Bus{"IDE", ""};
    }
    if (i == "VirtIO") {
        return Bus{"VirtIO", "virtio-blk"};
    }
    if (i == "VirtIO_SCSI") {
        return Bus{"SCSI", "virtio-scsi"};
    }
    if (i == "SPAPR_VSCSI") {
        return Bus{"SCSI", "spapr-vscsi"};
    }
    if (i == "SATA") {
        return Bus{"SATA", ""};
    }
    return std::nullopt;
}

class SystemReader {
public:
    SystemReader(const ovf::Envelope& env, ovf::SystemSummary& s) : m_env(env), m_s(s) {}

    void disk(const ovf::Item& item) {
        auto volume = item.instance_id();
        if (!volume || trim(*volume).empty()) {
            return;
        }
        std::string id(trim(*volume));
        ovf::DiskSummary d;
        d.id = id;
        const ovf::File* file = nullptr;
        for (const auto& f : m_env.references.files) {
            if (f.id == id) {
                file = &f;
                d.file = f.href;
                break;
            }
        }
        if (const ovf::Disk* disk = find_disk(id, file)) {
            d.capacity = disk->capacity;
            d.capacity_bytes = capacity_of(*disk);
            d.populated_bytes = number(disk->populated_size);
            d.format = disk->format;
            if (auto bus = disk_bus(extra_attribute(disk->extra, "disk-interface"))) {
                d.controller = bus->name;
                if (*bus->model != '\0') {
                    d.controller_model = bus->model;
                }
            }
        }
        m_s.disks.push_back(std::move(d));
    }

    void nic(const ovf::Item& item) {
        ovf::NicSummary n;
        auto connections = item.connections();
        if (!connections.empty()) {
            n.network = connections.front();
        }
        n.model = nic_model(item.resource_sub_type().value_or(""));
        n.mac = item.get("MACAddress");
        m_s.nics.push_back(std::move(n));
    }

private:
    const ovf::Envelope& m_env;
    ovf::SystemSummary& m_s;

    // The engine matches ovf:diskId with the volume id; exports by virt-v2v
    // `-o vdsm` give the image group there instead, so the Disk that names
    // the volume's File in ovf:fileRef (DSP0243's link) is taken next.
    const ovf::Disk* find_disk(const std::string& volume, const ovf::File* file) const {
        const ovf::Disk* by_file = nullptr;
        for (const auto* ds : ovf::find_all<ovf::DiskSection>(m_env.sections)) {
            for (const auto& d : ds->disks) {
                if (d.disk_id == volume) {
                    return &d;
                }
                if (by_file == nullptr && d.file_ref &&
                    (*d.file_ref == volume || (file != nullptr && *d.file_ref == file->href))) {
                    by_file = &d;
                }
            }
        }
        return by_file;
    }

    // ovf:capacity in bytes when it is a number; else ovf:size, which the
    // engine reads as whole GiB.
    static std::optional<uint64_t> capacity_of(const ovf::Disk& d) {
        auto units = d.capacity_allocation_units.value_or("byte");
        if (auto bytes = ovf::capacity_bytes(trim(d.capacity), units)) {
            return *bytes;
        }
        if (auto gib = number(extra_attribute(d.extra, "size"))) {
            return checked_mul(*gib, uint64_t{1} << 30);
        }
        return std::nullopt;
    }
};

} // namespace

std::optional<uint32_t> resource_type(const ovf::Item& item) {
    auto rt = item.resource_type_id();
    if (rt == 20u) {
        return 32768;
    }
    if (rt == 26u) {
        return 24;
    }
    return rt;
}

std::optional<uint64_t> cpus(const ovf::Item& item) {
    auto sockets = number(item.get("num_of_sockets"));
    if (!sockets) {
        sockets = number(item.virtual_quantity());
    }
    if (!sockets) {
        return std::nullopt;
    }
    uint64_t total = *sockets;
    for (std::string_view factor : {"cpu_per_socket", "threads_per_cpu"}) {
        auto text = item.get(factor);
        if (!text || trim(*text).empty()) {
            continue;
        }
        auto n = number(text);
        auto product = n ? checked_mul(total, *n) : std::nullopt;
        if (!product) {
            return std::nullopt;
        }
        total = *product;
    }
    return total;
}

std::optional<std::string> firmware(const ovf::Content& system) {
    auto value = number(setting(system, "BiosType"));
    if (!value) {
        return std::nullopt;
    }
    switch (*value) {
    case 0: // i440fx SeaBIOS
    case 1: // Q35 SeaBIOS
        return "bios";
    case 2: // Q35 OVMF
    case 3: // Q35 OVMF, Secure Boot
        return "efi";
    default:
        return std::nullopt;
    }
}

std::string nic_model(std::string_view resource_sub_type) {
    std::string_view code = trim(resource_sub_type);
    if (code.empty()) {
        return "virtio";
    }
    constexpr const char* k_names[] = {"rtl8139_pv", "rtl8139",    "e1000",
                                       "virtio",     "spapr-vlan", "pci-passthrough"};
    if (code.size() == 1 && code[0] >= '0' && code[0] <= '5') {
        return k_names[code[0] - '0'];
    }
    return std::string(code);
}

void read_system(const ovf::Envelope& envelope, const ovf::Content& system,
                 ovf::SystemSummary& summary) {
    if (const auto* os = system.find<ovf::OperatingSystemSection>()) {
        // ovf:id is the VM's id, not a CIM OsType.
        summary.os_id.reset();
        summary.os_version.reset();
        summary.os_description.reset();
        if (os->header.info && !trim(os->header.info->text).empty()) {
            summary.os_description = std::string(trim(os->header.info->text));
        }
        summary.os_type.reset();
        if (os->description && !trim(os->description->text).empty()) {
            summary.os_type = std::string(trim(os->description->text));
        }
    }
    summary.firmware = firmware(system);

    summary.disks.clear();
    summary.nics.clear();
    summary.cpus.reset();
    const auto* hardware = system.find<ovf::VirtualHardwareSection>();
    if (hardware == nullptr) {
        return;
    }
    SystemReader reader(envelope, summary);
    for (const auto& item : hardware->items) {
        if (item.bound == "min" || item.bound == "max") {
            continue;
        }
        switch (resource_type(item).value_or(UINT32_MAX)) {
        case 3:
            summary.cpus = cpus(item);
            break;
        case 10:
            reader.nic(item);
            break;
        case 17:
            reader.disk(item);
            break;
        default:
            break;
        }
    }
}

} // namespace ovfkit::platform::ovirt
