#include <algorithm>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/ovf/units.hpp>

namespace ovfkit::ovf {

const char* version_name(OvfVersion version) {
    switch (version) {
    case OvfVersion::v0_9:
        return "0.9";
    case OvfVersion::v1:
        return "1.x";
    case OvfVersion::v2:
        return "2.x";
    case OvfVersion::ovirt:
        return "ovirt";
    }
    return "unknown";
}

std::string_view envelope_ns(OvfVersion version) {
    switch (version) {
    case OvfVersion::v0_9:
        return k_ovf09_ns;
    case OvfVersion::v1:
        return k_ovf1_ns;
    case OvfVersion::v2:
        return k_ovf2_ns;
    case OvfVersion::ovirt:
        return k_ovirt_envelope_ns;
    }
    return k_ovf1_ns;
}

namespace {

bool is_cim_ns(std::string_view ns) {
    return ns == k_rasd_ns || ns == k_vssd_ns || ns == k_sasd_ns || ns == k_epasd_ns;
}

} // namespace

std::optional<std::string> CimFields::get(std::string_view name) const {
    for (const auto& f : fields) {
        if (f.name == name && is_cim_ns(f.ns) && !f.verbatim) {
            return std::string(trim(f.value));
        }
    }
    return std::nullopt;
}

std::vector<std::string> CimFields::get_all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& f : fields) {
        if (f.name == name && is_cim_ns(f.ns) && !f.verbatim) {
            out.emplace_back(trim(f.value));
        }
    }
    return out;
}

void CimFields::canonicalize() {
    auto mid = std::stable_partition(fields.begin(), fields.end(),
                                     [](const ItemField& f) { return is_cim_ns(f.ns); });
    std::stable_sort(fields.begin(), mid,
                     [](const ItemField& a, const ItemField& b) { return a.name < b.name; });
}

void CimFields::remove(std::string_view name) {
    std::erase_if(fields, [&](const ItemField& f) { return f.name == name && is_cim_ns(f.ns); });
}

void CimFields::add(std::string_view ns, std::string_view name, std::string value) {
    ItemField f;
    f.ns = std::string(ns);
    f.name = std::string(name);
    f.value = std::move(value);
    fields.push_back(std::move(f));
    canonicalize();
}

void CimFields::set(std::string_view ns, std::string_view name, std::string value) {
    remove(name);
    add(ns, name, std::move(value));
}

std::optional<std::string> System::instance_id() const {
    if (auto v = get("InstanceID")) {
        return v;
    }
    return get("InstanceId");
}

std::string_view Item::cim_ns() const {
    switch (kind) {
    case ItemKind::item:
        return k_rasd_ns;
    case ItemKind::storage_item:
        return k_sasd_ns;
    case ItemKind::ethernet_port_item:
        return k_epasd_ns;
    }
    return k_rasd_ns;
}

std::optional<std::string> Item::instance_id() const {
    if (auto v = get("InstanceID")) {
        return v;
    }
    return get("InstanceId");
}

std::optional<uint32_t> Item::resource_type_id() const {
    auto v = resource_type();
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_u64(*v, "ResourceType");
    if (!n || *n > UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(*n);
}

std::optional<std::string> Item::display_name() const {
    if (auto v = element_name(); v && !v->empty()) {
        return v;
    }
    return caption();
}

std::string ProductSection::qualified_key(const Property& property) const {
    std::string out;
    if (product_class && !product_class->empty()) {
        out = *product_class + ".";
    }
    out += property.key;
    if (instance && !instance->empty()) {
        out += "." + *instance;
    }
    return out;
}

std::string_view section_name(const Section& section) {
    struct Visitor {
        std::string_view operator()(const DiskSection&) const { return "DiskSection"; }
        std::string_view operator()(const NetworkSection&) const { return "NetworkSection"; }
        std::string_view operator()(const DeploymentOptionSection&) const {
            return "DeploymentOptionSection";
        }
        std::string_view operator()(const OperatingSystemSection&) const {
            return "OperatingSystemSection";
        }
        std::string_view operator()(const VirtualHardwareSection&) const {
            return "VirtualHardwareSection";
        }
        std::string_view operator()(const ProductSection&) const { return "ProductSection"; }
        std::string_view operator()(const EulaSection&) const { return "EulaSection"; }
        std::string_view operator()(const AnnotationSection&) const { return "AnnotationSection"; }
        std::string_view operator()(const StartupSection&) const { return "StartupSection"; }
        std::string_view operator()(const InstallSection&) const { return "InstallSection"; }
        std::string_view operator()(const ResourceAllocationSection&) const {
            return "ResourceAllocationSection";
        }
        std::string_view operator()(const UnknownSection& s) const { return s.element.name; }
    };
    return std::visit(Visitor{}, section);
}

uint32_t section_line(const Section& section) {
    return std::visit(
        [](const auto& s) -> uint32_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(s)>, UnknownSection>) {
                return s.element.line.number;
            } else {
                return s.header.line.number;
            }
        },
        section);
}

namespace {

void collect_systems(const Content& c, std::vector<const Content*>& out) {
    if (c.kind == ContentKind::virtual_system) {
        out.push_back(&c);
        return;
    }
    for (const auto& child : c.children) {
        collect_systems(child, out);
    }
}

} // namespace

std::vector<const Content*> virtual_systems(const Envelope& envelope) {
    std::vector<const Content*> out;
    collect_systems(envelope.content, out);
    return out;
}

} // namespace ovfkit::ovf
