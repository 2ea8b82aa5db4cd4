// The OVF envelope: ovfkit's neutral model of an appliance.
//
// Plain data (structs, vectors, optionals) with no XML types and no platform
// knowledge; ovf/xml_reader.cpp and ovf/xml_writer.cpp translate to and from
// DMTF DSP0243 descriptors. One model covers OVF 0.9 (read only), 1.0/1.1,
// 2.0/2.1 and the oVirt dialect (docs/ovf.md, shared formats/ovf-ova.md).
//
// Conventions
//   - Text is kept as written (no trimming); attribute values whose schema type
//     is a number are kept as strings too, so a descriptor with a placeholder
//     such as "#SIZE#" or "${disk.size}" still reads, and validation (not the
//     reader) decides what is acceptable. ovf/units.hpp parses them.
//   - Optional schema elements and attributes are std::optional: absent and
//     empty differ.
//   - Everything the model does not name is kept verbatim: unknown attributes
//     of a modelled element in `extra.attributes`, unknown child elements in
//     `extra.elements` (serialized XML plus the position among the modelled
//     children), unknown sections as UnknownSection in the section list. The
//     writer emits them unchanged, so read -> write loses no element or
//     attribute (comments between modelled elements are not kept).
//   - Inside verbatim XML and in Attribute::ns, the envelope namespace of the
//     source document (whatever its version) is written as
//     k_envelope_ns_placeholder; the writer substitutes the target version's
//     URI. Other namespaces keep their URIs.
//   - Every modelled element records its source line in a `Line`, which never
//     takes part in ==, so models read from differently formatted files
//     compare equal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ovfkit::ovf {

// The dialect a descriptor was read from, decided by the root namespace URI.
enum class OvfVersion {
    v0_9,  // http://www.vmware.com/schema/ovf/1/envelope (read only)
    v1,    // http://schemas.dmtf.org/ovf/envelope/1 (1.0 and 1.1)
    v2,    // http://schemas.dmtf.org/ovf/envelope/2 (2.0 and 2.1)
    ovirt, // http://schemas.dmtf.org/ovf/envelope/1/ (oVirt/RHV, read only)
};

// "0.9", "1.x", "2.x", "ovirt".
const char* version_name(OvfVersion version);

// ---- namespace URIs -----------------------------------------------------------
inline constexpr std::string_view k_ovf09_ns = "http://www.vmware.com/schema/ovf/1/envelope";
inline constexpr std::string_view k_ovf1_ns = "http://schemas.dmtf.org/ovf/envelope/1";
inline constexpr std::string_view k_ovf2_ns = "http://schemas.dmtf.org/ovf/envelope/2";
inline constexpr std::string_view k_ovirt_envelope_ns = "http://schemas.dmtf.org/ovf/envelope/1/";
inline constexpr std::string_view k_rasd_ns =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
inline constexpr std::string_view k_vssd_ns =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
inline constexpr std::string_view k_sasd_ns =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData";
inline constexpr std::string_view k_epasd_ns =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData";
inline constexpr std::string_view k_cim_ns = "http://schemas.dmtf.org/wbem/wscim/1/common";
inline constexpr std::string_view k_vmw_ns = "http://www.vmware.com/schema/ovf";
inline constexpr std::string_view k_vbox_ns = "http://www.virtualbox.org/ovf/machine";
inline constexpr std::string_view k_xenovf_ns = "http://schemas.citrix.com/ovf/envelope/1";
inline constexpr std::string_view k_ovirt_ns = "http://www.ovirt.org/ovf";
// Stands for "the envelope namespace" inside verbatim XML and Attribute::ns.
inline constexpr std::string_view k_envelope_ns_placeholder = "urn:ovfkit:ovf-envelope";

// Returns the envelope namespace URI written for `version`.
std::string_view envelope_ns(OvfVersion version);

// ---- building blocks -----------------------------------------------------------

// A source line number that never makes two models unequal.
struct Line {
    uint32_t number = 0;
    friend constexpr bool operator==(const Line&, const Line&) { return true; }
};

struct Attribute {
    std::string ns;     // namespace URI ("" = unqualified); see placeholder above
    std::string prefix; // prefix in the source, a hint for the writer (not compared)
    std::string name;   // local name
    std::string value;
    friend bool operator==(const Attribute& a, const Attribute& b) {
        return a.ns == b.ns && a.name == b.name && a.value == b.value;
    }
};

// One element kept verbatim: self-contained XML (all namespaces it uses are
// declared on it, indentation removed).
struct XmlFragment {
    std::string xml;
    std::string ns;   // namespace URI of the element (after placeholder mapping)
    std::string name; // local name of the element
    Line line;
    bool operator==(const XmlFragment&) const = default;
};

// An unknown child element and where it sat: after `position` modelled
// children of its parent (counted in document order).
struct Extension {
    XmlFragment element;
    uint32_t position = 0;
    bool operator==(const Extension&) const = default;
};

// What a modelled element carried that the model does not name.
struct Extras {
    std::vector<Attribute> attributes;
    std::vector<Extension> elements;
    bool operator==(const Extras&) const = default;
    bool empty() const { return attributes.empty() && elements.empty(); }
};

// A localisable message (Msg_Type): Info, Name, Annotation, License, Label,
// Description, Product, Vendor, Category ...
struct Msg {
    std::string text;
    std::optional<std::string> msgid; // ovf:msgid
    Extras extra;
    Line line;
    bool operator==(const Msg&) const = default;
};

// ---- References -------------------------------------------------------------------

struct File {
    std::string id;                         // ovf:id
    std::string href;                       // ovf:href (untrusted path; see validation)
    std::optional<std::string> size;        // ovf:size, bytes as stored
    std::optional<std::string> compression; // ovf:compression ("gzip")
    std::optional<std::string> chunk_size;  // ovf:chunkSize
    Extras extra;
    Line line;
    bool operator==(const File&) const = default;
};

struct References {
    std::vector<File> files;
    Extras extra; // extra.elements positions count Files
    Line line;
    bool operator==(const References&) const = default;
};

// ---- sections ------------------------------------------------------------------------

// Attributes and Info common to every section.
struct SectionHeader {
    std::optional<Msg> info;
    std::optional<bool> required; // ovf:required (absent = true per schema)
    Extras extra;                 // extra.elements positions count the section's
                                  // modelled children, Info included
    Line line;
    bool operator==(const SectionHeader&) const = default;
};

struct Disk {
    std::string disk_id;                                  // ovf:diskId
    std::optional<std::string> file_ref;                  // ovf:fileRef
    std::string capacity;                                 // ovf:capacity (number or ${key})
    std::optional<std::string> capacity_allocation_units; // ovf:capacityAllocationUnits
    std::optional<std::string> populated_size;            // ovf:populatedSize
    std::optional<std::string> format;                    // ovf:format URI
    std::optional<std::string> parent_ref;                // ovf:parentRef
    Extras extra;
    Line line;
    bool operator==(const Disk&) const = default;
};

struct DiskSection {
    SectionHeader header;
    std::vector<Disk> disks;
    bool operator==(const DiskSection&) const = default;
};

struct Network {
    std::string name; // ovf:name
    std::optional<Msg> description;
    Extras extra;
    Line line;
    bool operator==(const Network&) const = default;
};

struct NetworkSection {
    SectionHeader header;
    std::vector<Network> networks;
    bool operator==(const NetworkSection&) const = default;
};

struct Configuration {
    std::string id;                 // ovf:id
    std::optional<bool> is_default; // ovf:default
    std::optional<Msg> label;
    std::optional<Msg> description;
    Extras extra;
    Line line;
    bool operator==(const Configuration&) const = default;
};

struct DeploymentOptionSection {
    SectionHeader header;
    std::vector<Configuration> configurations;
    bool operator==(const DeploymentOptionSection&) const = default;
};

struct OperatingSystemSection {
    SectionHeader header;
    std::string id;                         // ovf:id (CIM OsType; oVirt: a UUID)
    std::optional<std::string> version;     // ovf:version
    std::optional<std::string> vmw_os_type; // vmw:osType
    std::optional<Msg> description;
    bool operator==(const OperatingSystemSection&) const = default;
};

// One child of a System or Item: a CIM property (rasd:, vssd:, sasd:, epasd:)
// or anything else an Item holds (vmw:Config, oVirt's un-namespaced Type).
struct ItemField {
    std::string ns;   // canonical namespace URI ("" = none)
    std::string name; // local name
    std::string value;
    std::vector<Attribute> attributes;
    // Set when the element has element children (or is not a CIM property and
    // must be written back as is); `value` is then empty.
    std::optional<XmlFragment> verbatim;
    Line line;
    bool operator==(const ItemField&) const = default;
};

// Field access shared by System and Item. Values are trimmed of surrounding
// whitespace; a name matches in any CIM settings namespace.
struct CimFields {
    // Canonical order: CIM properties sorted by name (the CIM XSDs declare
    // their sequence alphabetically), then everything else in source order.
    std::vector<ItemField> fields;

    // The first value of `name`, nullopt when absent.
    std::optional<std::string> get(std::string_view name) const;
    // Every value of `name` in order (HostResource, Connection).
    std::vector<std::string> get_all(std::string_view name) const;
    // Replaces every `name` field by one with `value`, in canonical order,
    // in namespace `ns`.
    void set(std::string_view ns, std::string_view name, std::string value);
    // Adds one more `name` field (multi-valued properties).
    void add(std::string_view ns, std::string_view name, std::string value);
    void remove(std::string_view name);
    // Restores the canonical order after editing `fields` directly.
    void canonicalize();

    bool operator==(const CimFields&) const = default;
};

// VirtualHardwareSection/System (VSSD).
struct System : CimFields {
    Extras extra;
    Line line;

    std::optional<std::string> element_name() const { return get("ElementName"); }
    std::optional<std::string> instance_id() const; // InstanceID (0.9: InstanceId)
    std::optional<std::string> virtual_system_identifier() const {
        return get("VirtualSystemIdentifier");
    }
    // Space-separated list of types ("vmx-10 vmx-11").
    std::optional<std::string> virtual_system_type() const { return get("VirtualSystemType"); }

    bool operator==(const System&) const = default;
};

enum class ItemKind {
    item,               // <Item>, RASD
    storage_item,       // <StorageItem>, SASD (2.x)
    ethernet_port_item, // <EthernetPortItem>, EPASD (2.x)
};

// A virtual hardware item.
struct Item : CimFields {
    ItemKind kind = ItemKind::item;
    std::optional<std::string> configuration; // ovf:configuration (space-separated ids)
    std::optional<bool> required;             // ovf:required
    std::optional<std::string> bound;         // ovf:bound (min, max, normal)
    Extras extra;                             // attributes only; children are fields
    Line line;

    // The CIM namespace of this kind of item (rasd, sasd or epasd).
    std::string_view cim_ns() const;

    std::optional<std::string> instance_id() const; // InstanceID (0.9/oVirt: InstanceId)
    std::optional<std::string> resource_type() const { return get("ResourceType"); }
    // ResourceType as a number; nullopt when absent or not a decimal < 2^32.
    std::optional<uint32_t> resource_type_id() const;
    std::optional<std::string> resource_sub_type() const { return get("ResourceSubType"); }
    std::optional<std::string> other_resource_type() const { return get("OtherResourceType"); }
    std::optional<std::string> element_name() const { return get("ElementName"); }
    std::optional<std::string> caption() const { return get("Caption"); }
    std::optional<std::string> description() const { return get("Description"); }
    std::optional<std::string> parent() const { return get("Parent"); }
    std::optional<std::string> address_on_parent() const { return get("AddressOnParent"); }
    std::optional<std::string> address() const { return get("Address"); }
    std::vector<std::string> host_resources() const { return get_all("HostResource"); }
    std::vector<std::string> connections() const { return get_all("Connection"); }
    std::optional<std::string> allocation_units() const { return get("AllocationUnits"); }
    std::optional<std::string> virtual_quantity() const { return get("VirtualQuantity"); }
    std::optional<std::string> virtual_quantity_units() const {
        return get("VirtualQuantityUnits");
    }
    std::optional<std::string> reservation() const { return get("Reservation"); }
    std::optional<std::string> limit() const { return get("Limit"); }
    std::optional<std::string> weight() const { return get("Weight"); }
    std::optional<std::string> automatic_allocation() const { return get("AutomaticAllocation"); }
    std::optional<std::string> bus_number() const { return get("BusNumber"); }

    // The text a person knows the item by: ElementName, else Caption.
    std::optional<std::string> display_name() const;

    bool operator==(const Item&) const = default;
};

struct VirtualHardwareSection {
    SectionHeader header;                 // extra.elements positions count Info, System and items
    std::optional<std::string> id;        // ovf:id (2.x)
    std::optional<std::string> transport; // ovf:transport
    std::optional<System> system;
    // Items in source order within each kind; kinds in schema order (Item,
    // EthernetPortItem, StorageItem).
    std::vector<Item> items;
    bool operator==(const VirtualHardwareSection&) const = default;
};

struct Icon {
    std::string file_ref; // ovf:fileRef
    std::optional<std::string> height, width, mime_type;
    Extras extra;
    Line line;
    bool operator==(const Icon&) const = default;
};

// A per-configuration default of a Property.
struct PropertyValue {
    std::string value;                        // ovf:value
    std::optional<std::string> configuration; // ovf:configuration
    Extras extra;
    Line line;
    bool operator==(const PropertyValue&) const = default;
};

struct Property {
    std::string key;                          // ovf:key
    std::string type;                         // ovf:type
    std::optional<std::string> qualifiers;    // ovf:qualifiers
    std::optional<bool> user_configurable;    // ovf:userConfigurable (absent = false)
    std::optional<std::string> value;         // ovf:value, the default
    std::optional<bool> password;             // ovf:password
    std::optional<std::string> configuration; // ovf:configuration (2.x)
    std::optional<Msg> label;
    std::optional<Msg> description;
    std::vector<PropertyValue> values;
    Extras extra;
    Line line;
    bool operator==(const Property&) const = default;
};

// A Category separator: properties[position..] up to the next category
// belong to it.
struct Category {
    Msg text;
    uint32_t position = 0; // index of the first property after it
    bool operator==(const Category&) const = default;
};

struct ProductSection {
    SectionHeader header;
    std::optional<std::string> product_class; // ovf:class
    std::optional<std::string> instance;      // ovf:instance
    std::optional<Msg> product, vendor, version, full_version, product_url, vendor_url, app_url;
    std::vector<Icon> icons;
    std::vector<Category> categories;
    std::vector<Property> properties;

    // "[class.]key[.instance]", the name a property has in the OVF environment.
    std::string qualified_key(const Property& property) const;

    bool operator==(const ProductSection&) const = default;
};

struct EulaSection {
    SectionHeader header;
    std::optional<Msg> license;
    bool operator==(const EulaSection&) const = default;
};

struct AnnotationSection {
    SectionHeader header;
    std::optional<Msg> annotation;
    bool operator==(const AnnotationSection&) const = default;
};

struct StartupItem {
    std::string id; // ovf:id of a child Content
    std::optional<std::string> order, start_delay, waiting_for_guest, stop_delay, start_action,
        stop_action;
    Extras extra;
    Line line;
    bool operator==(const StartupItem&) const = default;
};

struct StartupSection {
    SectionHeader header;
    std::vector<StartupItem> items;
    bool operator==(const StartupSection&) const = default;
};

struct InstallSection {
    SectionHeader header;
    std::optional<std::string> initial_boot_stop_delay; // ovf:initialBootStopDelay
    bool operator==(const InstallSection&) const = default;
};

struct ResourceAllocationSection {
    SectionHeader header;
    std::vector<Item> items;
    bool operator==(const ResourceAllocationSection&) const = default;
};

// A section ovfkit does not model (vmw:, vbox:, xenovf:, 2.x sections such
// as ScaleOutSection, anything unknown), kept verbatim.
struct UnknownSection {
    XmlFragment element;
    std::optional<bool> required; // its ovf:required attribute, if any
    bool operator==(const UnknownSection&) const = default;
};

using Section =
    std::variant<DiskSection, NetworkSection, DeploymentOptionSection, OperatingSystemSection,
                 VirtualHardwareSection, ProductSection, EulaSection, AnnotationSection,
                 StartupSection, InstallSection, ResourceAllocationSection, UnknownSection>;

// The section's name as in OVF ("DiskSection"; the local name for unknown).
std::string_view section_name(const Section& section);
// The line of the section element.
uint32_t section_line(const Section& section);

// Every section of type T in `sections`, in order.
template <class T>
std::vector<const T*> find_all(const std::vector<Section>& sections) {
    std::vector<const T*> out;
    for (const auto& s : sections) {
        if (const auto* t = std::get_if<T>(&s)) {
            out.push_back(t);
        }
    }
    return out;
}

// The first section of type T, or nullptr.
template <class T>
const T* find_first(const std::vector<Section>& sections) {
    for (const auto& s : sections) {
        if (const auto* t = std::get_if<T>(&s)) {
            return t;
        }
    }
    return nullptr;
}

// ---- content ---------------------------------------------------------------------------

enum class ContentKind { virtual_system, collection };

// A VirtualSystem or a VirtualSystemCollection (with nested content, at most
// k_max_collection_depth levels).
struct Content {
    ContentKind kind = ContentKind::virtual_system;
    std::string id; // ovf:id
    std::optional<Msg> info;
    std::optional<Msg> name;
    std::vector<Section> sections;
    std::vector<Content> children; // collections only
    Extras extra;                  // extra.elements positions count Info, Name, sections, children
    Line line;

    template <class T>
    const T* find() const {
        return find_first<T>(sections);
    }
    template <class T>
    std::vector<const T*> find_all() const {
        return ovf::find_all<T>(sections);
    }

    bool operator==(const Content&) const = default;
};

inline constexpr uint32_t k_max_collection_depth = 16;

// ---- localisation -----------------------------------------------------------------------

struct Message {
    std::string msgid;                   // ovf:msgid
    std::string text;                    // inline text
    std::optional<std::string> file_ref; // 2.x Msg/@ovf:fileRef
    Extras extra;
    Line line;
    bool operator==(const Message&) const = default;
};

struct Strings {
    std::string lang;                    // xml:lang
    std::optional<std::string> file_ref; // ovf:fileRef (external bundle)
    std::vector<Message> messages;
    Extras extra;
    Line line;
    bool operator==(const Strings&) const = default;
};

// ---- envelope -----------------------------------------------------------------------------

struct NamespaceDecl {
    std::string prefix; // "" = default namespace
    std::string uri;
    bool operator==(const NamespaceDecl&) const = default;
};

struct Envelope {
    OvfVersion version = OvfVersion::v1;
    std::optional<std::string> version_attribute; // ovf:version (a hint, never trusted)
    std::optional<std::string> lang;              // xml:lang
    // Namespace declarations of the source root other than the envelope and
    // CIM ones (vmw, vbox, xenovf ...), re-declared on write.
    std::vector<NamespaceDecl> namespaces;
    References references;
    std::vector<Section> sections; // envelope-level sections in order
    Content content;
    std::vector<Strings> strings;
    Extras extra; // extra.elements: unknown non-section elements; positions
                  // count References, sections, Content and Strings
    Line line;

    template <class T>
    const T* find() const {
        return find_first<T>(sections);
    }

    bool operator==(const Envelope&) const = default;
};

// Every VirtualSystem in the envelope, depth first.
std::vector<const Content*> virtual_systems(const Envelope& envelope);

} // namespace ovfkit::ovf
