// OVF 1.x <-> 2.x model conversion; see version_convert.hpp.
#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include <ovfkit/ovf/version_convert.hpp>

namespace ovfkit::ovf {

namespace {

// The properties of CIM_ResourceAllocationSettingData in the CIM 2.19 schema
// DSP8023 1.0.0 imports (schemas/ovf1/CIM_ResourceAllocationSettingData.xsd).
constexpr std::array<std::string_view, 25> k_rasd1_properties{"Address",
                                                              "AddressOnParent",
                                                              "AllocationUnits",
                                                              "AutomaticAllocation",
                                                              "AutomaticDeallocation",
                                                              "Caption",
                                                              "ChangeableType",
                                                              "ConfigurationName",
                                                              "Connection",
                                                              "ConsumerVisibility",
                                                              "Description",
                                                              "ElementName",
                                                              "Generation",
                                                              "HostResource",
                                                              "InstanceID",
                                                              "Limit",
                                                              "MappingBehavior",
                                                              "OtherResourceType",
                                                              "Parent",
                                                              "PoolID",
                                                              "Reservation",
                                                              "ResourceSubType",
                                                              "ResourceType",
                                                              "VirtualQuantity",
                                                              "Weight"};

// Sections DSP8023 2.0.1 defines and 1.0.0 does not.
constexpr std::array<std::string_view, 7> k_v2_only_sections{
    "BootDeviceSection", "EncryptionSection", "EnvironmentFilesSection", "PlacementGroupSection",
    "PlacementSection",  "ScaleOutSection",   "SharedDiskSection"};

bool is_cim_settings_ns(std::string_view ns) {
    return ns == k_rasd_ns || ns == k_sasd_ns || ns == k_epasd_ns;
}

const char* item_element(ItemKind kind) {
    switch (kind) {
    case ItemKind::item:
        return "Item";
    case ItemKind::storage_item:
        return "StorageItem";
    case ItemKind::ethernet_port_item:
        return "EthernetPortItem";
    }
    return "Item";
}

class Converter {
public:
    Converter(OvfVersion target, Diagnostics& diag) : m_target(target), m_diag(diag) {}

    Result<void> envelope(Envelope& env) {
        OVFKIT_TRY(sections(env.sections));
        OVFKIT_TRY(content(env.content));
        if (m_target == OvfVersion::v1) {
            for (auto& s : env.strings) {
                for (auto& m : s.messages) {
                    if (m.file_ref) {
                        m_diag.warning("OVF-CONV-003",
                                       fmt::format("Strings {} Msg {}: ovf:fileRef {} has no 1.x "
                                                   "form; dropped, the inline text is kept",
                                                   s.lang, m.msgid, *m.file_ref),
                                       {}, m.line.number);
                        m.file_ref.reset();
                    }
                }
            }
        }
        env.version = m_target;
        env.version_attribute.reset(); // a producer's hint about the old version
        return {};
    }

private:
    Result<void> content(Content& c) {
        OVFKIT_TRY(sections(c.sections));
        for (auto& child : c.children) {
            OVFKIT_TRY(content(child));
        }
        return {};
    }

    Result<void> sections(std::vector<Section>& list) {
        for (auto& s : list) {
            if (auto* vhs = std::get_if<VirtualHardwareSection>(&s)) {
                items(vhs->items);
            } else if (auto* ras = std::get_if<ResourceAllocationSection>(&s)) {
                items(ras->items);
            } else if (auto* net = std::get_if<NetworkSection>(&s)) {
                networks(*net);
            } else if (auto* install = std::get_if<InstallSection>(&s)) {
                if (m_target == OvfVersion::v2 && !install->initial_boot_stop_delay) {
                    // Optional with default 0 in 1.x, required in 2.0.1.
                    install->initial_boot_stop_delay = "0";
                }
            } else if (auto* startup = std::get_if<StartupSection>(&s)) {
                OVFKIT_TRY(startup_numbers(*startup));
            } else if (auto* unknown = std::get_if<UnknownSection>(&s)) {
                OVFKIT_TRY(v2_only_section(*unknown));
            }
        }
        return {};
    }

    // 2.x adds NetworkPortProfile / NetworkPortProfileURI to Network (EPASD
    // profiles); 1.x has no place for them.
    void networks(NetworkSection& s) {
        if (m_target != OvfVersion::v1) {
            return;
        }
        for (auto& n : s.networks) {
            auto& ext = n.extra.elements;
            std::erase_if(ext, [&](const Extension& e) {
                bool v2_only = e.element.ns == k_envelope_ns_placeholder &&
                               (e.element.name == "NetworkPortProfile" ||
                                e.element.name == "NetworkPortProfileURI");
                if (v2_only) {
                    m_diag.warning("OVF-CONV-004",
                                   fmt::format("Network {}: {} has no OVF 1.x form; dropped",
                                               n.name, e.element.name),
                                   {}, e.element.line.number);
                }
                return v2_only;
            });
        }
    }

    void items(std::vector<Item>& list) {
        if (m_target != OvfVersion::v1) {
            return;
        }
        for (auto& it : list) {
            const char* was = item_element(it.kind);
            auto id = it.instance_id().value_or("?");
            std::vector<ItemField> kept;
            for (auto& f : it.fields) {
                if (!is_cim_settings_ns(f.ns)) {
                    kept.push_back(std::move(f)); // vendor children stay as they are
                    continue;
                }
                if (std::find(k_rasd1_properties.begin(), k_rasd1_properties.end(), f.name) ==
                    k_rasd1_properties.end()) {
                    m_diag.warning("OVF-CONV-001",
                                   fmt::format("{} InstanceID {}: {} has no OVF 1.x (RASD) "
                                               "form; dropped",
                                               was, id, f.name),
                                   {}, f.line.number);
                    continue;
                }
                f.ns = std::string(k_rasd_ns);
                kept.push_back(std::move(f));
            }
            it.fields = std::move(kept);
            it.kind = ItemKind::item;
            it.canonicalize();
        }
    }

    Result<void> startup_numbers(const StartupSection& s) {
        if (m_target != OvfVersion::v2) {
            return {};
        }
        for (const auto& it : s.items) {
            for (const auto* v : {&it.order, &it.start_delay, &it.stop_delay}) {
                if (!*v) {
                    continue;
                }
                uint64_t n = 0;
                const std::string& text = **v;
                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                if (ec == std::errc() && end == text.data() + text.size() && n > 65535) {
                    return fail(Errc::invalid,
                                "line {}: StartupSection Item {} has the value {}, which OVF "
                                "2.x (an unsignedShort) cannot hold",
                                it.line.number, it.id, text);
                }
            }
        }
        return {};
    }

    // A 2.x-only section kept for a 1.x envelope under the envelope/2
    // namespace, as VMware writes ovf2:ScaleOutSection in 1.0 descriptors.
    Result<void> v2_only_section(UnknownSection& s) {
        if (m_target != OvfVersion::v1 || s.element.ns != k_envelope_ns_placeholder) {
            return {};
        }
        const std::string& name = s.element.name;
        bool known = std::find(k_v2_only_sections.begin(), k_v2_only_sections.end(), name) !=
                     k_v2_only_sections.end();
        bool required = s.required.value_or(true);
        if (name == "EncryptionSection" && required) {
            return fail(Errc::invalid,
                        "line {}: a required EncryptionSection has no OVF 1.x form (the "
                        "package's files are encrypted; a 1.x reader could not open them)",
                        s.element.line.number);
        }
        std::string& xml = s.element.xml;
        for (size_t at = 0; (at = xml.find(k_envelope_ns_placeholder, at)) != std::string::npos;) {
            xml.replace(at, k_envelope_ns_placeholder.size(), k_ovf2_ns);
            at += k_ovf2_ns.size();
        }
        s.element.ns = std::string(k_ovf2_ns);
        m_diag.warning("OVF-CONV-002",
                       fmt::format("{}{} exists only in OVF 2.x; kept in the envelope/2 "
                                   "namespace{}",
                                   name, known ? "" : " (not a DMTF section)",
                                   required ? ", and it is required: a 1.x reader that does "
                                              "not know it must refuse the package"
                                            : ", which 1.x readers skip"),
                       {}, s.element.line.number);
        return {};
    }

    OvfVersion m_target;
    Diagnostics& m_diag;
};

bool convertible(OvfVersion v) {
    return v == OvfVersion::v1 || v == OvfVersion::v2;
}

} // namespace

Result<Envelope> convert_version(const Envelope& envelope, OvfVersion target, Diagnostics& diag) {
    if (!convertible(target)) {
        return fail(Errc::usage, "cannot convert to OVF {}: the targets are 1.x and 2.x",
                    version_name(target));
    }
    if (!convertible(envelope.version)) {
        return fail(Errc::usage,
                    "cannot convert an OVF {} descriptor: conversion is between 1.x and 2.x",
                    version_name(envelope.version));
    }
    Envelope out = envelope;
    if (envelope.version == target) {
        return out;
    }
    Converter c(target, diag);
    OVFKIT_TRY(c.envelope(out));
    return out;
}

} // namespace ovfkit::ovf
