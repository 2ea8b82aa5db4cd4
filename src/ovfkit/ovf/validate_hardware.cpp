// Semantic validation: the items of every VirtualHardwareSection.
//
// Per item: an InstanceID, a ResourceType ovfkit knows (CIM 2.24 ValueMap,
// shared formats/ovf-ova.md 4.2), ovf:configuration ids that exist,
// HostResource references (ovf:/disk/ID, ovf:/file/ID) that resolve, NIC
// Connections naming a Network, CPU and memory quantities and units that
// parse, a Parent that is a controller of the same section.
//
// Per configuration (DSP0243: items with the same InstanceID and different
// ovf:configuration are alternatives, not duplicates): InstanceIDs are
// unique and no two devices share an AddressOnParent on one controller.
// Every Configuration is checked on its own; a section without a
// DeploymentOptionSection has one implicit configuration.
//
// Bus limits: IDE 0-1 per channel controller (VirtualBox numbers 0-3 on one
// controller, channel * 2 + device: a warning), SCSI 0-15 without 7 (the
// HBA's own id on VMware), SATA 0-29. The bus comes from the controller's
// ResourceType (5 IDE, 6 SCSI, 20 SATA) and ResourceSubType (an NVMe
// controller is type 20 too, and has no such limit here).
//
// Known producer quirks are warnings: VirtualBox's sound card (type 35),
// VMware's vTPM (34) and "Other" devices with vmware.* subtypes left
// required, oVirt's reserved and vendor types, VirtualBox's /disk/ and
// VMware's ovf:// HostResource spellings.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate_internal.hpp>

namespace ovfkit::ovf::detail {

namespace {

// ovf:bound="min" or "max": a range marker for the item with its
// InstanceID, not a device of its own.
bool is_range_marker(const Item& item) {
    return item.bound == "min" || item.bound == "max";
}

// Types ovfkit maps onto virtual hardware (processor, memory, controllers,
// NICs, drives, ports, USB, video; storage extents and logical disks as
// disks).
bool is_modelled(uint64_t rt) {
    switch (rt) {
    case 3:
    case 4:
    case 5:
    case 6:
    case 10:
    case 14:
    case 15:
    case 16:
    case 17:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
    case 24:
    case 31:
        return true;
    default:
        return false;
    }
}

bool is_controller(uint64_t rt) {
    return rt == 5 || rt == 6 || rt == 7 || rt == 8 || rt == 9 || rt == 20;
}

bool is_disk_like(uint64_t rt) {
    return rt == 17 || rt == 19 || rt == 31;
}

bool is_nic(const Item& item, uint64_t rt) {
    return item.kind == ItemKind::ethernet_port_item || rt == 10 || rt == 11;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
    return it != haystack.end();
}

std::optional<uint64_t> resource_type(const Item& item) {
    auto v = item.resource_type();
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_u64(*v, "ResourceType");
    if (!n) {
        return std::nullopt;
    }
    return *n;
}

// A device a real exporter writes without ovf:required="false" although no
// other platform has it; the reason to print, or nullptr.
const char* known_quirk(const Envelope& env, const Item& item, uint64_t rt) {
    std::string sub = item.resource_sub_type().value_or("");
    if (rt == 35) {
        return "VirtualBox's sound card (ResourceType 35 is DMTF-reserved)";
    }
    if (rt == 34 && contains_ci(sub, "vtpm")) {
        return "VMware's virtual TPM (ResourceType 34 is DMTF-reserved)";
    }
    if (rt == 1 && sub.starts_with("vmware.")) {
        return "a VMware-specific device";
    }
    if (env.version == OvfVersion::ovirt && (rt == 0 || rt >= 32768)) {
        return "an oVirt device";
    }
    return nullptr;
}

enum class Bus { none, ide, scsi, sata };

Bus bus_of(const Item& controller, uint64_t rt) {
    switch (rt) {
    case 5:
        return Bus::ide;
    case 6:
        return Bus::scsi;
    case 20:
        return contains_ci(controller.resource_sub_type().value_or(""), "nvme") ? Bus::none
                                                                                : Bus::sata;
    default:
        return Bus::none;
    }
}

struct HostResource {
    enum Kind { none, disk, file, other } kind = none;
    std::string id;
    bool standard = true; // "ovf:/disk/ID" rather than "ovf://disk/ID" or "/disk/ID"
};

HostResource parse_host_resource(std::string_view text) {
    HostResource out;
    if (text.empty()) {
        return out;
    }
    std::string_view rest = text;
    if (rest.starts_with("ovf:/disk/") || rest.starts_with("ovf:/file/")) {
        rest.remove_prefix(5);
    } else if (rest.starts_with("ovf://disk/") || rest.starts_with("ovf://file/")) {
        rest.remove_prefix(6);
        out.standard = false;
    } else if (rest.starts_with("/disk/") || rest.starts_with("/file/")) {
        rest.remove_prefix(1);
        out.standard = false;
    } else {
        out.kind = HostResource::other;
        return out;
    }
    out.kind = rest.starts_with("disk/") ? HostResource::disk : HostResource::file;
    out.id = std::string(rest.substr(5));
    return out;
}

class SectionChecker {
public:
    SectionChecker(Context& ctx, const Content& content, const VirtualHardwareSection& vhs)
        : m_ctx(ctx), m_content(content), m_vhs(vhs) {}

    void run() {
        const Item* unqualified = nullptr;
        size_t unqualified_count = 0;
        for (const auto& item : m_vhs.items) {
            if (auto id = item.instance_id(); id && !id->empty() && !is_range_marker(item)) {
                m_by_id[*id].push_back(&item);
            }
            bool bare = false;
            m_config_of[&item] = item_configuration(item, &bare);
            if (bare) {
                unqualified = unqualified == nullptr ? &item : unqualified;
                ++unqualified_count;
            }
        }
        if (unqualified != nullptr) {
            m_ctx.warning("OVF-HW-011", unqualified->line.number,
                          fmt::format("{} item(s) of this VirtualHardwareSection, starting with "
                                      "{}, carry an unqualified configuration attribute; "
                                      "DSP0243 requires ovf:configuration (read as such)",
                                      unqualified_count, describe_item(*unqualified)));
        }
        for (const auto& item : m_vhs.items) {
            check_item(item);
        }
        check_range_markers();
        check_per_configuration();
    }

private:
    Context& m_ctx;
    const Content& m_content;
    const VirtualHardwareSection& m_vhs;
    std::map<std::string, std::vector<const Item*>, std::less<>> m_by_id;
    std::map<const Item*, std::optional<std::string>> m_config_of;
    std::unordered_set<std::string_view> m_config_names; // the Configuration ids, for lookups

    std::optional<std::set<std::string_view>> m_parent_cycles; // computed on first use

    // True when following Parents from the item with this InstanceID comes
    // back to it. Each InstanceID has one Parent (its first item's), so the
    // Parents form a functional graph: one walk per item, each item visited
    // once overall.
    bool on_parent_cycle(std::string_view id) {
        if (!m_parent_cycles) {
            m_parent_cycles.emplace();
            std::map<std::string_view, int> state; // 1: on the current walk, 2: done
            for (const auto& [start, _] : m_by_id) {
                std::vector<std::string_view> walk;
                std::string_view cur = start;
                while (true) {
                    auto& st = state[cur];
                    if (st == 2) {
                        break;
                    }
                    if (st == 1) { // the walk closed a loop: cur .. end of walk
                        auto from = std::find(walk.begin(), walk.end(), cur);
                        m_parent_cycles->insert(from, walk.end());
                        break;
                    }
                    st = 1;
                    walk.push_back(cur);
                    auto next = m_by_id.find(cur);
                    if (next == m_by_id.end()) {
                        break;
                    }
                    auto p = next->second.front()->parent();
                    if (!p || p->empty() || *p == cur || !m_by_id.contains(*p)) {
                        break;
                    }
                    cur = m_by_id.find(*p)->first;
                }
                for (auto v : walk) {
                    state[v] = 2;
                }
            }
        }
        return m_parent_cycles->contains(id);
    }

    const std::optional<std::string>& config_of(const Item& item) const {
        return m_config_of.at(&item);
    }

    void check_item(const Item& item) {
        uint32_t line = item.line.number;
        auto id = item.instance_id();
        if (!id || id->empty()) {
            m_ctx.error("OVF-HW-001", line,
                        fmt::format("{} in <VirtualSystem> {} has no InstanceID; every item needs "
                                    "one unique in its VirtualHardwareSection",
                                    describe_item(item), quote(m_content.id)));
        }
        check_configuration_ids(item);
        auto rt_text = item.resource_type();
        auto rt = resource_type(item);
        if (!rt_text || rt_text->empty()) {
            m_ctx.error("OVF-HW-002", line,
                        fmt::format("{} has no ResourceType; nothing says what device it is",
                                    describe_item(item)));
        } else if (!rt || *rt > 65535) {
            m_ctx.error("OVF-HW-002", field_line(item, "ResourceType"),
                        fmt::format("{} ResourceType {} is not a CIM resource type number "
                                    "(0-65535)",
                                    describe_item(item), quote(*rt_text)));
            rt.reset();
        }
        if (rt) {
            check_type(item, *rt);
            check_host_resources(item, *rt);
            if (is_nic(item, *rt)) {
                check_connections(item);
            }
            check_quantities(item, *rt);
        }
        check_parent(item);
    }

    void check_configuration_ids(const Item& item) {
        const auto& configuration = config_of(item);
        if (!configuration) {
            return;
        }
        if (m_config_names.empty()) {
            for (const auto& [name, _] : m_ctx.configurations) {
                m_config_names.insert(name);
            }
        }
        for (auto id : split_spaces(*configuration)) {
            if (!m_config_names.contains(id)) {
                m_ctx.error("OVF-REF-007", item.line.number,
                            fmt::format("{} ovf:configuration names {}, which no "
                                        "<DeploymentOptionSection> <Configuration> defines",
                                        describe_item(item), quote(id)));
            }
        }
    }

    void check_type(const Item& item, uint64_t rt) {
        if (is_modelled(rt)) {
            return;
        }
        uint32_t line = field_line(item, "ResourceType");
        bool reserved = rt == 0 || (rt >= 34 && rt < 32768);
        bool required = item.required != false;
        if (const char* quirk = known_quirk(m_ctx.env, item, rt); quirk != nullptr) {
            if (required) {
                m_ctx.warning("OVF-HW-003", line,
                              fmt::format("{} is {} without ovf:required=\"false\"; other "
                                          "platforms have no such device and ovfkit skips it",
                                          describe_item(item), quirk));
            }
            return;
        }
        if (required) {
            m_ctx.error("OVF-REQ-002", line,
                        fmt::format("{} has ResourceType {}{}, which ovfkit cannot deploy, and "
                                    "is required (ovf:required is absent or true); mark it "
                                    "ovf:required=\"false\" if the appliance works without it",
                                    describe_item(item), rt,
                                    reserved ? " (a DMTF-reserved or vendor value)" : ""));
        } else if (reserved) {
            m_ctx.warning("OVF-HW-003", line,
                          fmt::format("{} has ResourceType {}, a DMTF-reserved or vendor value; "
                                      "it is optional and will be skipped",
                                      describe_item(item), rt));
        }
    }

    void check_host_resources(const Item& item, uint64_t rt) {
        for (const auto& f : item.fields) {
            if (f.name != "HostResource" || f.verbatim) {
                continue;
            }
            std::string_view text = trim(f.value);
            HostResource hr = parse_host_resource(text);
            uint32_t line = f.line.number != 0 ? f.line.number : item.line.number;
            if (hr.kind == HostResource::none) {
                continue;
            }
            if (hr.kind == HostResource::other) {
                if (m_ctx.env.version == OvfVersion::ovirt) {
                    continue; // oVirt storage paths (image/volume ids), not OVF references
                }
                if (is_disk_like(rt)) {
                    m_ctx.error("OVF-REF-005", line,
                                fmt::format("{} HostResource {} is not an ovf:/disk/ID or "
                                            "ovf:/file/ID reference, so the disk has no backing "
                                            "in the package",
                                            describe_item(item), quote(text)));
                } else {
                    m_ctx.warning("OVF-REF-005", line,
                                  fmt::format("{} HostResource {} is not an ovf:/disk/ID or "
                                              "ovf:/file/ID reference; ovfkit leaves the device "
                                              "without backing",
                                              describe_item(item), quote(text)));
                }
                continue;
            }
            bool disk = hr.kind == HostResource::disk;
            if (disk) {
                m_ctx.referenced_disks.insert(hr.id);
            } else {
                m_ctx.referenced_files.insert(hr.id);
            }
            bool found = disk ? m_ctx.disks.contains(hr.id) : m_ctx.files.contains(hr.id);
            if (!found) {
                m_ctx.error(
                    "OVF-REF-003", line,
                    fmt::format("{} HostResource {} names no {}; add it or correct the "
                                "reference",
                                describe_item(item), quote(text),
                                disk ? "<Disk> in the DiskSection" : "<File> in References"));
            } else if (!hr.standard) {
                m_ctx.warning("OVF-REF-004", line,
                              fmt::format("{} HostResource {} is not written ovf:/{}/{} as "
                                          "DSP0243 spells it (ovfkit reads it the same)",
                                          describe_item(item), quote(text), disk ? "disk" : "file",
                                          hr.id));
            }
        }
    }

    void check_connections(const Item& item) {
        for (const auto& f : item.fields) {
            if (f.name != "Connection" || f.verbatim) {
                continue;
            }
            std::string_view trimmed = trim(f.value);
            if (trimmed.empty()) {
                continue; // a NIC left unconnected
            }
            if (!m_ctx.networks.contains(trimmed)) {
                m_ctx.error("OVF-REF-006", f.line.number != 0 ? f.line.number : item.line.number,
                            fmt::format("{} Connection {} names no <Network> in the "
                                        "NetworkSection; add the network or correct the name",
                                        describe_item(item), quote(trimmed)));
            }
        }
    }

    // A non-negative number field; false when it is present but broken.
    bool check_number(const Item& item, std::string_view field, std::optional<uint64_t>* out) {
        auto v = item.get(field);
        if (!v) {
            return true;
        }
        if (is_placeholder(*v)) {
            m_ctx.warning("OVF-NUM-002", field_line(item, field),
                          fmt::format("{} {} is the placeholder {}; fill it in before deployment",
                                      describe_item(item), field, quote(*v)));
            return true;
        }
        auto n = parse_u64(*v, field);
        if (!n) {
            m_ctx.error("OVF-HW-007", field_line(item, field),
                        fmt::format("{} {} {} is not an unsigned decimal number",
                                    describe_item(item), field, quote(*v)));
            return false;
        }
        if (out != nullptr) {
            *out = *n;
        }
        return true;
    }

    void check_quantities(const Item& item, uint64_t rt) {
        std::optional<uint64_t> quantity;
        bool ok = check_number(item, "VirtualQuantity", &quantity);
        check_number(item, "Reservation", nullptr);
        check_number(item, "Limit", nullptr);
        check_number(item, "Weight", nullptr);
        if (rt == 3 && ok && quantity == uint64_t{0}) {
            m_ctx.error("OVF-HW-007", field_line(item, "VirtualQuantity"),
                        fmt::format("{} has VirtualQuantity 0: a virtual system needs at least "
                                    "one CPU",
                                    describe_item(item)));
        }
        if (rt != 4) {
            return;
        }
        auto units = item.allocation_units();
        if (!units) {
            return; // read as MiB, what every consumer assumes
        }
        uint32_t line = field_line(item, "AllocationUnits");
        auto factor = parse_allocation_units(*units);
        if (!factor) {
            m_ctx.error("OVF-UNIT-001", line,
                        fmt::format("{} AllocationUnits {} is not a byte unit; write "
                                    "\"byte * 2^20\" for MiB",
                                    describe_item(item), quote(*units)));
            return;
        }
        std::string squeezed;
        for (char c : *units) {
            if (c != ' ') {
                squeezed += ascii_lower(c);
            }
        }
        if (!squeezed.starts_with("byte")) {
            m_ctx.warning("OVF-UNIT-003", line,
                          fmt::format("{} AllocationUnits {} is not a DSP0004 programmatic unit "
                                      "(read as {} bytes); strict consumers want \"byte * 2^20\"",
                                      describe_item(item), quote(*units), *factor));
        }
        if (quantity) {
            auto bytes = capacity_bytes(std::to_string(*quantity), *units);
            if (!bytes) {
                m_ctx.error(
                    "OVF-UNIT-002", line,
                    fmt::format("{}: memory {}", describe_item(item), bytes.error().message));
            }
        }
    }

    const Item* controller_of(std::string_view id) const {
        auto it = m_by_id.find(id);
        if (it == m_by_id.end()) {
            return nullptr;
        }
        for (const Item* p : it->second) {
            if (auto rt = resource_type(*p); rt && is_controller(*rt)) {
                return p;
            }
        }
        return nullptr;
    }

    void check_parent(const Item& item) {
        auto parent = item.parent();
        if (!parent || parent->empty() || m_ctx.env.version == OvfVersion::ovirt) {
            return; // oVirt's Parent is a device UUID of its own model, not an InstanceID
        }
        uint32_t line = field_line(item, "Parent");
        if (parent == item.instance_id()) {
            m_ctx.error("OVF-HW-004", line,
                        fmt::format("{} names itself as its Parent", describe_item(item)));
            return;
        }
        auto it = m_by_id.find(*parent);
        if (it == m_by_id.end()) {
            m_ctx.error("OVF-HW-004", line,
                        fmt::format("{} Parent {} is the InstanceID of no item in this "
                                    "VirtualHardwareSection; point it at the controller the "
                                    "device is attached to",
                                    describe_item(item), quote(*parent)));
            return;
        }
        // Coming back to this item along the chain of Parents is a loop. A
        // chain that enters some other loop is not (that loop's items
        // report it).
        if (auto id = item.instance_id(); id && on_parent_cycle(*id)) {
            m_ctx.error("OVF-HW-004", line,
                        fmt::format("{} Parent chain loops back to itself", describe_item(item)));
            return;
        }
        const Item* controller = controller_of(*parent);
        if (controller == nullptr) {
            m_ctx.warning("OVF-HW-008", line,
                          fmt::format("{} Parent {} is not a disk controller (ResourceType 5, 6, "
                                      "7, 8, 9 or 20)",
                                      describe_item(item), quote(*parent)));
            return;
        }
        check_address(item, *controller);
    }

    void check_address(const Item& item, const Item& controller) {
        auto address = item.address_on_parent();
        if (!address) {
            return;
        }
        uint32_t line = field_line(item, "AddressOnParent");
        auto n = parse_u64(*address, "AddressOnParent");
        if (!n) {
            m_ctx.error("OVF-HW-006", line,
                        fmt::format("{} AddressOnParent {} is not a unit number",
                                    describe_item(item), quote(*address)));
            return;
        }
        Bus bus = bus_of(controller, resource_type(controller).value_or(0));
        std::string ctl = describe_item(controller);
        switch (bus) {
        case Bus::ide:
            if (*n == 2 || *n == 3) {
                m_ctx.warning("OVF-HW-010", line,
                              fmt::format("{} AddressOnParent {} on IDE controller {}: "
                                          "VirtualBox's numbering (channel * 2 + device) on one "
                                          "controller; DSP0243 consumers expect 0 or 1 per "
                                          "channel controller",
                                          describe_item(item), *n, ctl));
            } else if (*n > 1) {
                m_ctx.error("OVF-HW-006", line,
                            fmt::format("{} AddressOnParent {} is out of range for IDE controller "
                                        "{} (0-1)",
                                        describe_item(item), *n, ctl));
            }
            break;
        case Bus::scsi:
            if (*n > 15 || *n == 7) {
                m_ctx.error("OVF-HW-006", line,
                            fmt::format("{} AddressOnParent {} is out of range for SCSI "
                                        "controller {} (0-15; 7 is the controller's own id)",
                                        describe_item(item), *n, ctl));
            }
            break;
        case Bus::sata:
            if (*n > 29) {
                m_ctx.error("OVF-HW-006", line,
                            fmt::format("{} AddressOnParent {} is out of range for SATA "
                                        "controller {} (0-29)",
                                        describe_item(item), *n, ctl));
            }
            break;
        case Bus::none:
            break;
        }
    }

    // DSP0243 "Ranges on elements": an item with ovf:bound="min" or "max"
    // bounds the normal item with the same InstanceID; it is not a device.
    void check_range_markers() {
        std::map<std::pair<std::string, std::string>, const Item*> seen; // (id, bound)
        for (const auto& item : m_vhs.items) {
            if (!item.bound || *item.bound == "normal") {
                continue;
            }
            uint32_t line = item.line.number;
            if (!is_range_marker(item)) {
                m_ctx.error("OVF-HW-012", line,
                            fmt::format("{} ovf:bound {} is not \"min\", \"max\" or "
                                        "\"normal\"",
                                        describe_item(item), quote(*item.bound)));
                continue;
            }
            auto id = item.instance_id();
            auto normal = id ? m_by_id.find(*id) : m_by_id.end();
            if (normal == m_by_id.end()) {
                m_ctx.error("OVF-HW-012", line,
                            fmt::format("{} ovf:bound=\"{}\" bounds no item: no item without "
                                        "ovf:bound has InstanceID {}",
                                        describe_item(item), *item.bound, quote(id.value_or(""))));
                continue;
            }
            const Item& base = *normal->second.front();
            if (item.resource_type() != base.resource_type()) {
                m_ctx.error("OVF-HW-012", field_line(item, "ResourceType"),
                            fmt::format("{} ovf:bound=\"{}\" has ResourceType {}, but the item "
                                        "it bounds (line {}) has {}",
                                        describe_item(item), *item.bound,
                                        quote(item.resource_type().value_or("")), base.line.number,
                                        quote(base.resource_type().value_or(""))));
            }
            auto [it, fresh] = seen.emplace(std::make_pair(*id, *item.bound), &item);
            if (!fresh) {
                m_ctx.error("OVF-HW-012", line,
                            fmt::format("{} is a second ovf:bound=\"{}\" for InstanceID {} (the "
                                        "first is on line {})",
                                        describe_item(item), *item.bound, quote(*id),
                                        it->second->line.number));
            }
        }
    }

    // InstanceID and AddressOnParent uniqueness, once per configuration.
    void check_per_configuration() {
        ConfigurationView view = configuration_view();
        std::vector<std::optional<std::string>> ids(m_vhs.items.size());
        std::vector<std::optional<std::pair<std::string, uint64_t>>> addresses(ids.size());
        for (size_t i = 0; i < ids.size(); ++i) {
            const Item& item = m_vhs.items[i];
            if (is_range_marker(item)) {
                continue; // shares its InstanceID (and address) with the item it bounds
            }
            if (auto id = item.instance_id(); id && !id->empty() && !is_placeholder(*id)) {
                ids[i] = *id;
            }
            auto parent = item.parent();
            auto address = item.address_on_parent();
            if (parent && address && controller_of(*parent) != nullptr) {
                if (auto n = parse_u64(*address, "AddressOnParent")) {
                    addresses[i] = std::make_pair(*parent, *n);
                }
            }
        }
        std::vector<bool> reported(ids.size(), false);
        find_clashes(view, ids, reported,
                     [&](size_t later, size_t first, const std::string& in_config) {
                         const Item& item = m_vhs.items[later];
                         m_ctx.error("OVF-ID-006", field_line(item, "InstanceID"),
                                     fmt::format("{} InstanceID {} is also used by the item on "
                                                 "line {}{}; InstanceIDs must be unique in a "
                                                 "VirtualHardwareSection (give alternatives "
                                                 "different ovf:configuration lists)",
                                                 describe_item(item), quote(*ids[later]),
                                                 m_vhs.items[first].line.number, in_config));
                     });
        reported.assign(ids.size(), false);
        find_clashes(view, addresses, reported,
                     [&](size_t later, size_t first, const std::string& in_config) {
                         report_address_clash(m_vhs.items[later], m_vhs.items[first],
                                              addresses[later]->first, addresses[later]->second,
                                              in_config);
                     });
    }

    // Which items each configuration deploys, in a form that answers in
    // O(log n): an item without ovf:configuration ("common") is in every
    // configuration unless an item listing that configuration has its
    // InstanceID (then it is replaced there: how Cisco and VMware write "4
    // CPUs in the large profile"); an item with a list is only in the
    // configurations it lists.
    struct ConfigurationView {
        std::vector<std::string> configs;           // sorted; empty: one implicit configuration
        std::vector<bool> common;                   // per item
        std::vector<std::vector<size_t>> specifics; // per configuration: items listing it
        std::vector<const std::vector<size_t>*> overriders; // per item: configurations replacing it
        std::map<std::string, std::vector<size_t>, std::less<>> by_id; // id -> configurations

        bool overridden(size_t item, size_t config) const {
            const auto* list = overriders[item];
            return list != nullptr && std::binary_search(list->begin(), list->end(), config);
        }
    };

    ConfigurationView configuration_view() const {
        ConfigurationView v;
        for (const auto& [id, _] : m_ctx.configurations) {
            v.configs.push_back(id);
        }
        std::unordered_map<std::string_view, size_t> index;
        for (size_t c = 0; c < v.configs.size(); ++c) {
            index.emplace(v.configs[c], c);
        }
        size_t n = m_vhs.items.size();
        v.common.assign(n, true);
        v.specifics.resize(v.configs.size());
        v.overriders.assign(n, nullptr);
        for (size_t i = 0; i < n; ++i) {
            const auto& list = config_of(m_vhs.items[i]);
            if (!list) {
                continue;
            }
            v.common[i] = false;
            std::vector<size_t> listed;
            for (auto id : split_spaces(*list)) {
                if (auto it = index.find(id); it != index.end()) {
                    listed.push_back(it->second);
                }
            }
            std::sort(listed.begin(), listed.end());
            listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
            auto id = m_vhs.items[i].instance_id();
            for (size_t c : listed) {
                v.specifics[c].push_back(i);
                if (id) {
                    v.by_id[*id].push_back(c);
                }
            }
        }
        for (auto& [_, list] : v.by_id) {
            std::sort(list.begin(), list.end());
            list.erase(std::unique(list.begin(), list.end()), list.end());
        }
        for (size_t i = 0; i < n; ++i) {
            if (!v.common[i]) {
                continue;
            }
            if (auto id = m_vhs.items[i].instance_id()) {
                if (auto it = v.by_id.find(*id); it != v.by_id.end()) {
                    v.overriders[i] = &it->second;
                }
            }
        }
        return v;
    }

    // Calls report(later, first, in_config) for every item that shares its
    // key with an item deployed before it (in document order) in some
    // configuration, once per item. Linear in the items plus the
    // configuration lists, whatever the number of configurations: common
    // items that clash among themselves are found once per key, not once per
    // configuration, and each configuration looks only at its own items.
    template <class Key, class Report>
    void find_clashes(const ConfigurationView& v, const std::vector<std::optional<Key>>& keys,
                      std::vector<bool>& reported, const Report& report) const {
        constexpr size_t none = SIZE_MAX;
        auto once = [&](size_t later, size_t first, const std::string& in_config) {
            if (!reported[later]) {
                reported[later] = true;
                report(later, first, in_config);
            }
        };
        auto in_config = [&](size_t c) {
            return fmt::format(" in configuration {}", quote(v.configs[c]));
        };
        // Dense numbers for the keys, so that the per-configuration passes
        // below index arrays instead of maps.
        std::vector<size_t> key(keys.size(), none);
        size_t key_count = 0;
        {
            std::map<Key, size_t> number;
            for (size_t i = 0; i < keys.size(); ++i) {
                if (keys[i]) {
                    key[i] = number.emplace(*keys[i], number.size()).first->second;
                }
            }
            key_count = number.size();
        }
        if (v.configs.empty()) {
            std::vector<size_t> first(key_count, none);
            for (size_t i = 0; i < keys.size(); ++i) {
                if (key[i] != none) {
                    if (first[key[i]] == none) {
                        first[key[i]] = i;
                    } else {
                        once(i, first[key[i]], "");
                    }
                }
            }
            return;
        }
        std::vector<std::vector<size_t>> common_by_key(key_count);
        for (size_t i = 0; i < keys.size(); ++i) {
            if (key[i] != none && v.common[i]) {
                common_by_key[key[i]].push_back(i);
            }
        }
        // Common items with one key: the first configuration that deploys
        // two of them. Only configurations replacing a member are counted;
        // the walk stops at the first configuration with fewer of those.
        for (const auto& group : common_by_key) {
            if (group.size() < 2) {
                continue;
            }
            std::map<size_t, size_t> replaced;
            for (size_t m : group) {
                if (v.overriders[m] != nullptr) {
                    for (size_t c : *v.overriders[m]) {
                        ++replaced[c];
                    }
                }
            }
            for (size_t c = 0; c < v.configs.size(); ++c) {
                auto it = replaced.find(c);
                if (it != replaced.end() && it->second + 2 > group.size()) {
                    continue;
                }
                size_t first = none;
                for (size_t m : group) {
                    if (it != replaced.end() && v.overridden(m, c)) {
                        continue;
                    }
                    if (first == none) {
                        first = m;
                    } else {
                        once(m, first, in_config(c));
                    }
                }
                break;
            }
        }
        // Items listing a configuration, against each other and against the
        // first common item with their key that the configuration keeps.
        // `first` holds, per key, the first item deployed with it in the
        // configuration `stamp` names.
        std::vector<size_t> first(key_count, none);
        std::vector<size_t> stamp(key_count, none);
        for (size_t c = 0; c < v.configs.size(); ++c) {
            for (size_t s : v.specifics[c]) {
                size_t k = key[s];
                if (k == none) {
                    continue;
                }
                if (stamp[k] != c) {
                    stamp[k] = c;
                    size_t common = none;
                    for (size_t m : common_by_key[k]) {
                        if (!v.overridden(m, c)) {
                            common = m;
                            break;
                        }
                    }
                    if (common == none) {
                        first[k] = s;
                    } else if (common < s) {
                        first[k] = common;
                        once(s, common, in_config(c));
                    } else {
                        first[k] = s;
                        once(common, s, in_config(c));
                    }
                } else {
                    once(std::max(s, first[k]), std::min(s, first[k]), in_config(c));
                }
            }
        }
    }

    // Two disks on one unit is a conflict nobody can resolve; a CD, DVD or
    // floppy drive on a taken unit can be moved by the consumer (VirtualBox
    // 2.2/3.x exports put the CD drive on the disk's IDE unit and re-import
    // fine), so that is a warning.
    void report_address_clash(const Item& item, const Item& first, const std::string& parent,
                              uint64_t address, const std::string& in_config) {
        auto removable = [](const Item& i) {
            auto rt = resource_type(i);
            return rt && (*rt == 14 || *rt == 15 || *rt == 16);
        };
        std::string msg = fmt::format("{} AddressOnParent {} on controller {} is already taken "
                                      "by {} on line {}{}",
                                      describe_item(item), address, quote(parent),
                                      describe_item(first), first.line.number, in_config);
        uint32_t line = field_line(item, "AddressOnParent");
        if (removable(item) || removable(first)) {
            m_ctx.warning("OVF-HW-009", line,
                          msg + "; the removable drive will be moved to a free unit");
        } else {
            m_ctx.error("OVF-HW-005", line, msg + "; give each device its own unit number");
        }
    }
};

} // namespace

void check_hardware(Context& ctx) {
    for (const auto& ref : ctx.all_contents) {
        for (const auto* vhs : ref.content->find_all<VirtualHardwareSection>()) {
            SectionChecker(ctx, *ref.content, *vhs).run();
        }
    }
}

} // namespace ovfkit::ovf::detail
