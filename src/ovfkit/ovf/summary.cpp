// Appliance summary for `ovfkit info`; see summary.hpp.
//
// Firmware and the vendor's OS type are not part of CIM/OVF: each hypervisor
// writes them in its own namespace (shared formats/ovf-ova.md 4.6). This file
// knows no vendor; it asks the platform registry, whose platforms read their
// own elements (platform/<name>/vendor_sections.cpp).
#include <algorithm>
#include <map>
#include <set>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/platform/registry.hpp>

namespace ovfkit::ovf {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

std::optional<uint64_t> number(const std::optional<std::string>& text) {
    if (!text) {
        return std::nullopt;
    }
    auto v = parse_u64(trim(*text), "number");
    return v ? std::optional<uint64_t>(*v) : std::nullopt;
}

bool listed(const std::optional<std::string>& list, const std::string& id) {
    if (!list) {
        return true;
    }
    std::string_view rest = *list;
    while (!rest.empty()) {
        rest = trim(rest);
        auto space = rest.find_first_of(" \t\r\n");
        if (rest.substr(0, space) == id) {
            return true;
        }
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space);
    }
    return false;
}

std::string bus_name(const Item& controller, uint64_t rt) {
    switch (rt) {
    case 5:
        return "IDE";
    case 6:
        return "SCSI";
    case 7:
        return "FC";
    case 8:
        return "iSCSI";
    case 9:
        return "InfiniBand";
    case 20:
        return lower(controller.resource_sub_type().value_or("")).find("nvme") != std::string::npos
                   ? "NVMe"
                   : "SATA";
    default:
        return "";
    }
}

std::optional<std::string> disk_id_of(std::string_view host_resource) {
    std::string_view hr = trim(host_resource);
    for (std::string_view prefix : {"ovf:/disk/", "ovf://disk/", "/disk/"}) {
        if (hr.starts_with(prefix)) {
            return std::string(hr.substr(prefix.size()));
        }
    }
    return std::nullopt;
}

std::optional<std::string> file_id_of(std::string_view host_resource) {
    std::string_view hr = trim(host_resource);
    for (std::string_view prefix : {"ovf:/file/", "ovf://file/"}) {
        if (hr.starts_with(prefix)) {
            return std::string(hr.substr(prefix.size()));
        }
    }
    return std::nullopt;
}

// ovf:bound="min" or "max": a range marker, not a device of its own.
bool is_range_marker(const Item& item) {
    return item.bound == "min" || item.bound == "max";
}

class Builder {
public:
    Builder(const Envelope& env, std::string_view configuration)
        : m_env(env), m_dialect(platform::dialect_readers(env.version)), m_wanted(configuration) {}

    Summary run() {
        m_out.ovf_version = version_name(m_env.version);
        options();
        for (const auto& f : m_env.references.files) {
            m_out.files.push_back({f.id, f.href, number(f.size), f.compression, f.chunk_size});
            m_files.emplace(f.id, &f);
        }
        for (const auto* ds : find_all<DiskSection>(m_env.sections)) {
            for (const auto& d : ds->disks) {
                m_disks.emplace(d.disk_id, &d);
            }
        }
        for (const auto* ns : find_all<NetworkSection>(m_env.sections)) {
            for (const auto& n : ns->networks) {
                std::optional<std::string> description;
                if (n.description) {
                    description = n.description->text;
                }
                m_out.networks.push_back({n.name, description});
            }
        }
        m_out.eula = !find_all<EulaSection>(m_env.sections).empty();
        content(m_env.content, "", "", 0);
        return std::move(m_out);
    }

private:
    const Envelope& m_env;
    // The readers of a platform's own dialect (oVirt), null for DMTF OVF.
    const platform::DialectReaders* m_dialect;
    Summary m_out;
    std::string m_wanted; // the configuration asked for, "" for the default
    std::string m_config; // the configuration summarised, "" when none
    std::map<std::string, const File*> m_files;
    std::map<std::string, const Disk*> m_disks;

    void options() {
        for (const auto* dos : find_all<DeploymentOptionSection>(m_env.sections)) {
            for (const auto& c : dos->configurations) {
                m_out.deployment_options.push_back(
                    {c.id, c.label ? c.label->text : std::string(), c.is_default == true});
            }
        }
        for (const auto& o : m_out.deployment_options) {
            if (o.id == m_wanted) {
                m_config = o.id;
                break;
            }
        }
        for (const auto& o : m_out.deployment_options) {
            if (m_config.empty() && o.is_default) {
                m_config = o.id;
                break;
            }
        }
        if (m_config.empty() && !m_out.deployment_options.empty()) {
            m_config = m_out.deployment_options.front().id;
        }
        if (!m_config.empty()) {
            m_out.default_configuration = m_config;
        }
    }

    bool active(const std::optional<std::string>& configuration) const {
        return m_config.empty() || listed(configuration, m_config);
    }

    void content(const Content& c, const std::string& parent_path, const std::string& parent_id,
                 uint32_t depth) {
        std::string path = parent_path.empty() ? c.id : parent_path + "/" + c.id;
        properties(c, path);
        bool eula = !c.find_all<EulaSection>().empty();
        m_out.eula = m_out.eula || eula;
        if (c.kind == ContentKind::collection) {
            if (depth < k_max_collection_depth) {
                for (const auto& child : c.children) {
                    content(child, path, c.id, depth + 1);
                }
            }
            return;
        }
        SystemSummary s;
        s.id = c.id;
        s.path = path;
        s.parent = parent_id;
        s.eula = eula;
        if (c.name) {
            s.name = c.name->text;
        }
        if (const auto* os = c.find<OperatingSystemSection>()) {
            s.os_id = os->id;
            s.os_version = os->version;
            if (os->description) {
                s.os_description = os->description->text;
            }
            s.os_type = platform::vendor_os_type(*os);
        }
        auto sections = c.find_all<VirtualHardwareSection>();
        s.hardware_sections = static_cast<uint32_t>(sections.size());
        if (!sections.empty()) {
            hardware(*sections.front(), s);
        }
        s.firmware = platform::vendor_firmware(c, sections.empty() ? nullptr : sections.front());
        if (m_dialect != nullptr && m_dialect->read_system != nullptr) {
            m_dialect->read_system(m_env, c, s);
        }
        m_out.virtual_systems.push_back(std::move(s));
    }

    void properties(const Content& c, const std::string& path) {
        for (const auto* ps : c.find_all<ProductSection>()) {
            for (const auto& p : ps->properties) {
                PropertySummary out;
                out.key = ps->qualified_key(p);
                out.type = p.type;
                out.value = p.value;
                for (const auto& v : p.values) {
                    if (!m_config.empty() && v.configuration && listed(v.configuration, m_config)) {
                        out.value = v.value;
                    }
                }
                if (p.label) {
                    out.label = p.label->text;
                }
                out.virtual_system = path;
                out.user_configurable = p.user_configurable == true;
                out.password = p.password == true;
                m_out.properties.push_back(std::move(out));
            }
        }
    }

    // The item's ResourceType as DSP0243 numbers it (a dialect may number
    // its devices otherwise: oVirt's 20 is its video card).
    std::optional<uint32_t> type_of(const Item& item) const {
        if (m_dialect != nullptr && m_dialect->resource_type != nullptr) {
            return m_dialect->resource_type(item);
        }
        return item.resource_type_id();
    }

    void hardware(const VirtualHardwareSection& vhs, SystemSummary& s) {
        if (vhs.system) {
            s.virtual_system_type = vhs.system->virtual_system_type();
        }
        std::map<std::string, const Item*> controllers;
        // For the chosen configuration an item that lists it replaces the
        // item with the same InstanceID and no ovf:configuration.
        std::set<std::string> overridden;
        if (!m_config.empty()) {
            for (const auto& item : vhs.items) {
                auto configuration = item_configuration(item);
                if (configuration && listed(configuration, m_config)) {
                    overridden.insert(item.instance_id().value_or(""));
                }
            }
        }
        std::vector<const Item*> items;
        std::vector<const Item*> markers;
        for (const auto& item : vhs.items) {
            auto configuration = item_configuration(item);
            if (is_range_marker(item)) {
                if (active(configuration)) {
                    markers.push_back(&item);
                }
                continue;
            }
            bool generic_overridden =
                !configuration && overridden.contains(item.instance_id().value_or(""));
            if (active(configuration) && !generic_overridden) {
                items.push_back(&item);
            }
        }
        for (const Item* item : items) {
            auto rt = type_of(*item);
            auto id = item->instance_id();
            if (!rt || !id) {
                continue;
            }
            std::string bus = bus_name(*item, *rt);
            if (!bus.empty()) {
                controllers.emplace(*id, item);
                s.controllers.push_back({*id, bus, item->resource_sub_type().value_or("")});
            }
        }
        for (const Item* item : items) {
            auto rt = type_of(*item);
            if (!rt) {
                continue;
            }
            switch (*rt) {
            case 3:
                s.cpus = number(item->virtual_quantity());
                break;
            case 4:
                s.memory_bytes = memory_bytes(*item);
                if (s.memory_bytes && *s.memory_bytes % (uint64_t{1} << 20) == 0) {
                    s.memory_mib = *s.memory_bytes >> 20;
                }
                break;
            case 10:
            case 11:
                nic(*item, s);
                break;
            case 17:
            case 19:
            case 31:
                disk(*item, controllers, s);
                break;
            default:
                if (item->kind == ItemKind::ethernet_port_item) {
                    nic(*item, s);
                }
                break;
            }
        }
        for (const Item* m : markers) {
            auto rt = type_of(*m);
            RangeSummary* range = rt == 3u ? &s.cpus_range : rt == 4u ? &s.memory_range : nullptr;
            if (range == nullptr) {
                continue;
            }
            auto value = *rt == 3 ? number(m->virtual_quantity()) : memory_bytes(*m);
            (m->bound == "min" ? range->min : range->max) = value;
        }
    }

    static std::optional<uint64_t> memory_bytes(const Item& item) {
        auto quantity = item.virtual_quantity();
        if (!quantity) {
            return std::nullopt;
        }
        auto bytes = capacity_bytes(trim(*quantity), item.allocation_units().value_or("MegaBytes"));
        return bytes ? std::optional<uint64_t>(*bytes) : std::nullopt;
    }

    static void nic(const Item& item, SystemSummary& s) {
        NicSummary n;
        auto connections = item.connections();
        if (!connections.empty()) {
            n.network = connections.front();
        }
        n.model = item.resource_sub_type().value_or("");
        n.mac = item.address();
        s.nics.push_back(std::move(n));
    }

    std::optional<uint64_t> capacity_of(const Disk& d) const {
        std::string capacity = d.capacity;
        if (capacity.size() > 3 && capacity.starts_with("${") && capacity.ends_with("}")) {
            std::string key = capacity.substr(2, capacity.size() - 3);
            capacity.clear();
            for (const auto& p : m_out.properties) {
                if (p.key == key && p.value) {
                    capacity = *p.value;
                }
            }
            if (capacity.empty()) {
                for (const auto& p : m_out.properties) {
                    if ((p.key == key || p.key.ends_with("." + key) ||
                         p.key.starts_with(key + ".")) &&
                        p.value) {
                        capacity = *p.value;
                        break;
                    }
                }
            }
        }
        auto bytes = capacity_bytes(trim(capacity), d.capacity_allocation_units.value_or("byte"));
        return bytes ? std::optional<uint64_t>(*bytes) : std::nullopt;
    }

    void disk(const Item& item, const std::map<std::string, const Item*>& controllers,
              SystemSummary& s) const {
        // Looked up once: an item may carry thousands of HostResources, and
        // each field lookup walks the item's fields.
        const auto parent = item.parent();
        const auto address = item.address_on_parent();
        for (const auto& hr : item.host_resources()) {
            auto id = disk_id_of(hr);
            auto file_id = id ? std::nullopt : file_id_of(hr);
            if (!id && !file_id) {
                continue;
            }
            DiskSummary d;
            if (file_id) {
                d.id = *file_id;
                d.backing = "file";
                if (auto f = m_files.find(*file_id); f != m_files.end()) {
                    d.file = f->second->href;
                }
            } else {
                d.id = *id;
            }
            if (auto it = id ? m_disks.find(*id) : m_disks.end(); it != m_disks.end()) {
                const Disk& disk = *it->second;
                d.capacity = disk.capacity;
                d.capacity_bytes = capacity_of(disk);
                d.populated_bytes = number(disk.populated_size);
                d.format = disk.format;
                if (disk.file_ref) {
                    if (auto f = m_files.find(*disk.file_ref); f != m_files.end()) {
                        d.file = f->second->href;
                    }
                }
            }
            if (parent) {
                d.controller_id = parent;
                if (auto c = controllers.find(*parent); c != controllers.end()) {
                    d.controller = bus_name(*c->second, type_of(*c->second).value_or(0));
                    d.controller_model = c->second->resource_sub_type();
                }
            }
            d.address = address;
            s.disks.push_back(std::move(d));
        }
    }
};

} // namespace

Summary summarize(const Envelope& envelope) {
    return Builder(envelope, {}).run();
}

Summary summarize(const Envelope& envelope, std::string_view configuration) {
    return Builder(envelope, configuration).run();
}

} // namespace ovfkit::ovf
