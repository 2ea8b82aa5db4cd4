// OVF descriptor -> Envelope.
//
// Spec: DMTF DSP0243 1.1/2.1 and the DSP8023 envelope schemas; producer
// dialects as listed in shared formats/ovf-ova.md sections 1 and 9.
//
//   Envelope (version = root namespace URI)
//   +- References/File*
//   +- sections* (DiskSection, NetworkSection, DeploymentOptionSection, ...)
//   +- VirtualSystem | VirtualSystemCollection (nested, <= 16 levels)
//   +- Strings*
//
// Elements are matched by namespace URI and local name, never by prefix.
// Dialects:
//   - 0.9 (VMware pre-DMTF) and oVirt write `<Section xsi:type="ovf:X_Type">`
//     and `<Content xsi:type="ovf:VirtualSystem_Type">`; the QName in xsi:type
//     is resolved against the in-scope namespaces.
//   - oVirt binds the envelope namespace with a trailing slash and writes the
//     envelope's children without any namespace; in that dialect (only) an
//     unqualified element counts as an envelope element.
//   - CIM namespace aliases (".xsd" suffixes written by VirtualBox/COT, the
//     DSP0243 example typo) are mapped to the canonical URIs with a warning.
// The reader is lenient about order (it looks sections up by name anywhere in
// the right parent) and strict about namespaces: an unknown envelope
// namespace is refused, and an unqualified OVF element at the top level of a
// non-oVirt descriptor is an error rather than silently "unknown".
// Everything not modelled is kept verbatim (see envelope.hpp).
#include <algorithm>
#include <functional>
#include <set>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::ovf {

namespace {

struct Alias {
    std::string_view from;
    std::string_view to;
};

constexpr std::string_view k_epasd_typo =
    "http://schemas.dmtf.org/wbem/wscim/1/cim2608 schema/2/CIM_EthernetPortAllocationSettingData";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<bool> parse_bool(std::string_view v) {
    std::string l = ascii_lower(v);
    if (l == "true" || l == "1") {
        return true;
    }
    if (l == "false" || l == "0") {
        return false;
    }
    return std::nullopt;
}

using xml::Element;

class Reader {
public:
    Reader(const xml::Document& doc, Diagnostics& diag) : m_doc(doc), m_diag(diag) {}

    Result<Envelope> run();

private:
    const xml::Document& m_doc;
    Diagnostics& m_diag;
    OvfVersion m_version = OvfVersion::v1;
    std::string m_env; // envelope namespace URI of this document
    mutable std::set<std::string> m_warned;

    // ---- names and namespaces ----

    // The other DMTF envelope namespace, when an attribute is in it: some
    // documents switch the default namespace to OVF 2 and keep ovf: bound
    // to OVF 1 (or the reverse). Read as this document's envelope namespace,
    // with a warning, so that written back they stay one attribute.
    bool other_envelope(std::string_view ns) const {
        return ns != m_env && (ns == k_ovf1_ns || ns == k_ovf2_ns || ns == k_ovirt_envelope_ns);
    }

    void warn_mixed(std::string_view ns, uint32_t line) const {
        if (m_warned.insert("mixed:" + std::string(ns)).second) {
            m_diag.warning("OVF-NS-MIXED",
                           fmt::format("attributes in namespace \"{}\" on elements of the envelope "
                                       "namespace \"{}\"; read as the envelope's",
                                       ns, m_env),
                           m_doc.name(), line);
        }
    }

    // Elements in the other DMTF envelope namespace (`o2:DiskSection` in a
    // 1.x envelope) are read as the envelope's, as their attributes are:
    // kept verbatim instead, written as the other version they would come
    // back as envelope elements and be read (and written) differently.
    // Those that stay unknown (VMware's `ovf2:ScaleOutSection`) keep their
    // namespace in the verbatim copy; modelled() warns about the others.
    bool in_env(const Element& e) const {
        return e.ns() == m_env || (m_version == OvfVersion::ovirt && e.ns().empty()) ||
               other_envelope(e.ns());
    }

    // Called for each element read into the model.
    void modelled(const Element& e) const {
        if (other_envelope(e.ns()) &&
            m_warned.insert("mixed-element:" + std::string(e.ns())).second) {
            m_diag.warning("OVF-NS-MIXED",
                           fmt::format("elements in namespace \"{}\" inside the envelope "
                                       "namespace \"{}\"; read as the envelope's",
                                       e.ns(), m_env),
                           m_doc.name(), e.line());
        }
    }

    bool is_env(const Element& e, std::string_view local) const {
        if (e.name() == local && in_env(e)) {
            modelled(e);
            return true;
        }
        return false;
    }

    // Maps a namespace URI to the form the model stores.
    std::string canon_ns(std::string_view ns, uint32_t line) {
        if (ns == m_env) {
            return std::string(k_envelope_ns_placeholder);
        }
        for (std::string_view cim : {k_rasd_ns, k_vssd_ns, k_sasd_ns, k_epasd_ns}) {
            if (ns.size() == cim.size() + 4 && ns.substr(0, cim.size()) == cim &&
                ends_with(ns, ".xsd")) {
                warn_alias(ns, cim, line);
                return std::string(cim);
            }
        }
        if (ns == k_epasd_typo) {
            warn_alias(ns, k_epasd_ns, line);
            return std::string(k_epasd_ns);
        }
        return std::string(ns);
    }

    void warn_alias(std::string_view from, std::string_view to, uint32_t line) {
        if (m_warned.insert(std::string(from)).second) {
            m_diag.warning(
                "OVF-NS-ALIAS",
                fmt::format("namespace \"{}\" is not the DMTF URI; read as \"{}\"", from, to),
                m_doc.name(), line);
        }
    }

    xml::NamespaceRenames renames() const {
        return {{m_env, std::string(k_envelope_ns_placeholder)}};
    }

    // `top_level`: a child of Envelope. oVirt writes those without a
    // namespace, and DMTF readers (ovfkit's included) refuse an unqualified
    // <References>, section or content there, so a copy kept verbatim is put
    // in the envelope namespace, as the dialect means it.
    XmlFragment fragment(const Element& e, bool top_level = false) {
        bool qualify = top_level && m_version == OvfVersion::ovirt;
        XmlFragment f;
        xml::SerializeOptions options;
        options.renames = renames();
        options.unprefixed = k_envelope_ns_placeholder;
        if (qualify) {
            options.no_namespace = k_envelope_ns_placeholder;
        }
        // An attribute given in this envelope's namespace and in a DMTF
        // version a writer may target: written in that version, they would
        // be one attribute twice. As for modelled elements, the envelope's
        // own is kept.
        for (std::string_view other : {k_ovf1_ns, k_ovf2_ns}) {
            if (other != m_env) {
                options.shadowed.emplace_back(other, m_env);
            }
        }
        uint32_t dropped = 0;
        options.dropped = &dropped;
        f.xml = e.serialize(options);
        if (dropped > 0) {
            m_diag.warning("OVF-NS-MIXED",
                           fmt::format("<{}> (kept verbatim) gives {} attribute(s) in two envelope "
                                       "namespaces; those outside \"{}\" are dropped",
                                       e.name(), dropped, m_env),
                           m_doc.name(), e.line());
        }
        f.ns = qualify && e.ns().empty() ? std::string(k_envelope_ns_placeholder)
                                         : canon_ns(e.ns(), e.line());
        f.name = std::string(e.name());
        f.line.number = e.line();
        return f;
    }

    // The value of ovf:<local>.
    std::optional<std::string> attr(const Element& e, std::string_view local) const {
        if (auto v = e.attribute(m_env, local)) {
            return v;
        }
        for (std::string_view other : {k_ovf1_ns, k_ovf2_ns, k_ovirt_envelope_ns}) {
            if (other_envelope(other)) {
                if (auto v = e.attribute(other, local)) {
                    warn_mixed(other, e.line());
                    return v;
                }
            }
        }
        return std::nullopt;
    }

    // Unknown attributes of `e`: everything but the envelope attributes
    // listed in `known` (and xsi:type when `skip_xsi_type`).
    std::vector<Attribute> other_attributes(const Element& e,
                                            std::initializer_list<std::string_view> known,
                                            bool skip_xsi_type = false) {
        std::vector<Attribute> out;
        std::set<std::string> seen; // namespace '\0' name of those in `out`
        auto attributes = e.attributes();
        std::set<std::string, std::less<>> own; // names given in the envelope's namespace
        for (const auto& a : attributes) {
            if (a.ns == m_env) {
                own.insert(a.name);
            }
        }
        for (auto& a : attributes) {
            bool env = a.ns == m_env || other_envelope(a.ns);
            if (a.ns != m_env && env && !own.insert(a.name).second) {
                // The same attribute in two envelope namespaces: the
                // envelope's own one (else the first) is read, as attr() does.
                m_diag.warning("OVF-NS-MIXED",
                               fmt::format("<{}> has attribute {} in two envelope namespaces; "
                                           "\"{}\" in \"{}\" is dropped",
                                           e.name(), a.name, a.value, a.ns),
                               m_doc.name(), e.line());
                continue;
            }
            if (env && std::find(known.begin(), known.end(), a.name) != known.end()) {
                continue;
            }
            if (skip_xsi_type && a.ns == xml::k_xsi_ns && a.name == "type") {
                continue;
            }
            Attribute out_a;
            if (other_envelope(a.ns)) {
                warn_mixed(a.ns, e.line());
                out_a.ns = std::string(k_envelope_ns_placeholder);
            } else {
                out_a.ns = canon_ns(a.ns, e.line());
            }
            // Two namespaces that read as one (a CIM URI and its ".xsd"
            // alias) can give an attribute twice; written back they would
            // be one attribute twice, which is not XML.
            if (!seen.insert(out_a.ns + '\0' + a.name).second) {
                m_diag.warning(
                    "OVF-NS-ALIAS",
                    fmt::format("<{}> has attribute {} in two namespaces read as \"{}\"; "
                                "\"{}\" in \"{}\" is dropped",
                                e.name(), a.name, out_a.ns, a.value, a.ns),
                    m_doc.name(), e.line());
                continue;
            }
            out_a.prefix = a.prefix;
            out_a.name = a.name;
            out_a.value = a.value;
            out.push_back(std::move(out_a));
        }
        return out;
    }

    // A boolean attribute; a value that is not a boolean stays verbatim in
    // `extra` (and is reported), so nothing is lost.
    std::optional<bool> bool_attr(const Element& e, std::string_view local, Extras& extra) {
        auto v = attr(e, local);
        if (!v) {
            return std::nullopt;
        }
        if (auto b = parse_bool(*v)) {
            return b;
        }
        m_diag.warning("OVF-BOOL",
                       fmt::format("<{}> attribute ovf:{} is \"{}\", not a boolean; kept as is",
                                   e.name(), local, *v),
                       m_doc.name(), e.line());
        Attribute a;
        a.ns = std::string(k_envelope_ns_placeholder);
        a.prefix = "ovf";
        a.name = std::string(local);
        a.value = *v;
        extra.attributes.push_back(std::move(a));
        return std::nullopt;
    }

    void keep(Extras& extra, const Element& c, uint32_t position, bool top_level = false) {
        extra.elements.push_back(Extension{fragment(c, top_level), position});
    }

    // ---- building blocks ----

    Msg read_msg(const Element& e) {
        modelled(e);
        Msg m;
        m.text = e.text();
        m.msgid = attr(e, "msgid");
        m.extra.attributes = other_attributes(e, {"msgid"});
        for (const auto& c : e.children()) {
            keep(m.extra, c, 0);
        }
        m.line.number = e.line();
        return m;
    }

    // Resolves the section or content type of `e`: its local name, or for
    // 0.9/oVirt `<Section xsi:type="ovf:X_Type">` the X. Empty when `e` is not
    // in the envelope namespace.
    std::string type_of(const Element& e) const {
        if (!in_env(e)) {
            return {};
        }
        if (e.name() != "Section" && e.name() != "Content") {
            return std::string(e.name());
        }
        auto t = e.attribute(xml::k_xsi_ns, "type");
        if (!t) {
            return std::string(e.name());
        }
        std::string_view qname = *t;
        std::string_view prefix;
        std::string_view local = qname;
        if (auto colon = qname.find(':'); colon != std::string_view::npos) {
            prefix = qname.substr(0, colon);
            local = qname.substr(colon + 1);
        }
        auto ns = e.lookup_namespace(prefix);
        if (!ns || (*ns != m_env && !other_envelope(*ns)) || !ends_with(local, "_Type")) {
            return std::string(e.name());
        }
        return std::string(local.substr(0, local.size() - 5));
    }

    Result<void> read_header(const Element& e, SectionHeader& h) {
        h.required = bool_attr(e, "required", h.extra);
        h.line.number = e.line();
        return {};
    }

    // ---- References ----

    References read_references(const Element& e) {
        modelled(e);
        References r;
        r.line.number = e.line();
        r.extra.attributes = other_attributes(e, {});
        uint32_t n = 0;
        for (const auto& c : e.children()) {
            if (is_env(c, "File")) {
                File f;
                f.id = attr(c, "id").value_or("");
                f.href = attr(c, "href").value_or("");
                f.size = attr(c, "size");
                f.compression = attr(c, "compression");
                f.chunk_size = attr(c, "chunkSize");
                f.extra.attributes =
                    other_attributes(c, {"id", "href", "size", "compression", "chunkSize"});
                for (const auto& cc : c.children()) {
                    keep(f.extra, cc, 0);
                }
                f.line.number = c.line();
                r.files.push_back(std::move(f));
                ++n;
            } else {
                keep(r.extra, c, n);
            }
        }
        return r;
    }

    // ---- sections ----

    Result<Section> read_section(const Element& e, const std::string& type, bool top_level = false);

    void read_section_children(const Element& e, SectionHeader& h, uint32_t& n,
                               const std::function<bool(const Element&)>& take) {
        for (const auto& c : e.children()) {
            if (is_env(c, "Info") && !h.info) {
                h.info = read_msg(c);
                ++n;
            } else if (take(c)) {
                ++n;
            } else {
                keep(h.extra, c, n);
            }
        }
    }

    DiskSection read_disk_section(const Element& e) {
        DiskSection s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Disk")) {
                return false;
            }
            Disk d;
            d.disk_id = attr(c, "diskId").value_or("");
            d.file_ref = attr(c, "fileRef");
            d.capacity = attr(c, "capacity").value_or("");
            d.capacity_allocation_units = attr(c, "capacityAllocationUnits");
            d.populated_size = attr(c, "populatedSize");
            d.format = attr(c, "format");
            d.parent_ref = attr(c, "parentRef");
            d.extra.attributes =
                other_attributes(c, {"diskId", "fileRef", "capacity", "capacityAllocationUnits",
                                     "populatedSize", "format", "parentRef"});
            for (const auto& cc : c.children()) {
                keep(d.extra, cc, 0);
            }
            d.line.number = c.line();
            s.disks.push_back(std::move(d));
            return true;
        });
        return s;
    }

    NetworkSection read_network_section(const Element& e) {
        NetworkSection s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Network")) {
                return false;
            }
            Network net;
            net.name = attr(c, "name").value_or("");
            net.extra.attributes = other_attributes(c, {"name"});
            uint32_t k = 0;
            for (const auto& cc : c.children()) {
                if (is_env(cc, "Description") && !net.description) {
                    net.description = read_msg(cc);
                    ++k;
                } else {
                    keep(net.extra, cc, k);
                }
            }
            net.line.number = c.line();
            s.networks.push_back(std::move(net));
            return true;
        });
        return s;
    }

    DeploymentOptionSection read_deployment_option_section(const Element& e) {
        DeploymentOptionSection s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Configuration")) {
                return false;
            }
            Configuration cfg;
            cfg.id = attr(c, "id").value_or("");
            cfg.extra.attributes = other_attributes(c, {"id", "default"});
            cfg.is_default = bool_attr(c, "default", cfg.extra);
            uint32_t k = 0;
            for (const auto& cc : c.children()) {
                if (is_env(cc, "Label") && !cfg.label) {
                    cfg.label = read_msg(cc);
                    ++k;
                } else if (is_env(cc, "Description") && !cfg.description) {
                    cfg.description = read_msg(cc);
                    ++k;
                } else {
                    keep(cfg.extra, cc, k);
                }
            }
            cfg.line.number = c.line();
            s.configurations.push_back(std::move(cfg));
            return true;
        });
        return s;
    }

    OperatingSystemSection read_os_section(const Element& e) {
        OperatingSystemSection s;
        s.id = attr(e, "id").value_or("");
        s.version = attr(e, "version");
        s.vmw_os_type = e.attribute(k_vmw_ns, "osType");
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Description") || s.description) {
                return false;
            }
            s.description = read_msg(c);
            return true;
        });
        // other_attributes() skips envelope attributes by name; vmw:osType is
        // modelled too and must not be duplicated.
        auto attrs = other_attributes(e, {"id", "version", "required"}, true);
        std::erase_if(attrs,
                      [](const Attribute& a) { return a.ns == k_vmw_ns && a.name == "osType"; });
        append_attrs(s.header.extra, std::move(attrs));
        return s;
    }

    static void append_attrs(Extras& extra, std::vector<Attribute> attrs) {
        for (auto& a : attrs) {
            extra.attributes.push_back(std::move(a));
        }
    }

    ItemField read_field(const Element& c) {
        ItemField f;
        f.ns = canon_ns(c.ns(), c.line());
        f.name = std::string(c.name());
        f.line.number = c.line();
        if (c.has_element_children()) {
            f.verbatim = fragment(c);
            f.verbatim->ns = f.ns;
            return f;
        }
        f.value = c.text();
        f.attributes = other_attributes(c, {});
        return f;
    }

    Item read_item(const Element& e, ItemKind kind) {
        Item item;
        item.kind = kind;
        item.configuration = attr(e, "configuration");
        item.bound = attr(e, "bound");
        item.extra.attributes = other_attributes(e, {"configuration", "bound", "required"});
        item.required = bool_attr(e, "required", item.extra);
        for (const auto& c : e.children()) {
            item.fields.push_back(read_field(c));
        }
        item.canonicalize();
        item.line.number = e.line();
        return item;
    }

    std::optional<ItemKind> item_kind(const Element& c) const {
        if (is_env(c, "Item")) {
            return ItemKind::item;
        }
        if (is_env(c, "StorageItem")) {
            return ItemKind::storage_item;
        }
        if (is_env(c, "EthernetPortItem")) {
            return ItemKind::ethernet_port_item;
        }
        return std::nullopt;
    }

    VirtualHardwareSection read_hardware_section(const Element& e) {
        VirtualHardwareSection s;
        s.id = attr(e, "id");
        s.transport = attr(e, "transport");
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (is_env(c, "System") && !s.system) {
                System sys;
                sys.extra.attributes = other_attributes(c, {});
                for (const auto& cc : c.children()) {
                    sys.fields.push_back(read_field(cc));
                }
                sys.canonicalize();
                sys.line.number = c.line();
                s.system = std::move(sys);
                return true;
            }
            if (auto kind = item_kind(c)) {
                s.items.push_back(read_item(c, *kind));
                return true;
            }
            return false;
        });
        // Schema order of kinds: Item*, EthernetPortItem*, StorageItem*.
        auto rank = [](const Item& i) {
            switch (i.kind) {
            case ItemKind::item:
                return 0;
            case ItemKind::ethernet_port_item:
                return 1;
            case ItemKind::storage_item:
                return 2;
            }
            return 0;
        };
        std::stable_sort(s.items.begin(), s.items.end(),
                         [&](const Item& a, const Item& b) { return rank(a) < rank(b); });
        return s;
    }

    Msg* product_slot(ProductSection& s, std::string_view name) {
        if (name == "Product") {
            return s.product ? nullptr : &s.product.emplace();
        }
        if (name == "Vendor") {
            return s.vendor ? nullptr : &s.vendor.emplace();
        }
        if (name == "Version") {
            return s.version ? nullptr : &s.version.emplace();
        }
        if (name == "FullVersion") {
            return s.full_version ? nullptr : &s.full_version.emplace();
        }
        if (name == "ProductUrl") {
            return s.product_url ? nullptr : &s.product_url.emplace();
        }
        if (name == "VendorUrl") {
            return s.vendor_url ? nullptr : &s.vendor_url.emplace();
        }
        if (name == "AppUrl") {
            return s.app_url ? nullptr : &s.app_url.emplace();
        }
        return nullptr;
    }

    Property read_property(const Element& c) {
        Property p;
        p.key = attr(c, "key").value_or("");
        p.type = attr(c, "type").value_or("");
        p.qualifiers = attr(c, "qualifiers");
        p.value = attr(c, "value");
        p.configuration = attr(c, "configuration");
        p.extra.attributes = other_attributes(c, {"key", "type", "qualifiers", "value",
                                                  "configuration", "userConfigurable", "password"});
        p.user_configurable = bool_attr(c, "userConfigurable", p.extra);
        p.password = bool_attr(c, "password", p.extra);
        uint32_t k = 0;
        for (const auto& cc : c.children()) {
            if (is_env(cc, "Label") && !p.label) {
                p.label = read_msg(cc);
                ++k;
            } else if (is_env(cc, "Description") && !p.description) {
                p.description = read_msg(cc);
                ++k;
            } else if (is_env(cc, "Value")) {
                PropertyValue v;
                v.value = attr(cc, "value").value_or("");
                v.configuration = attr(cc, "configuration");
                v.extra.attributes = other_attributes(cc, {"value", "configuration"});
                for (const auto& ccc : cc.children()) {
                    keep(v.extra, ccc, 0);
                }
                v.line.number = cc.line();
                p.values.push_back(std::move(v));
                ++k;
            } else {
                keep(p.extra, cc, k);
            }
        }
        p.line.number = c.line();
        return p;
    }

    ProductSection read_product_section(const Element& e) {
        ProductSection s;
        s.product_class = attr(e, "class");
        s.instance = attr(e, "instance");
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!in_env(c)) {
                return false;
            }
            if (Msg* slot = product_slot(s, c.name())) {
                *slot = read_msg(c);
                return true;
            }
            if (c.name() == "Icon") {
                Icon icon;
                icon.file_ref = attr(c, "fileRef").value_or("");
                icon.height = attr(c, "height");
                icon.width = attr(c, "width");
                icon.mime_type = attr(c, "mimeType");
                icon.extra.attributes =
                    other_attributes(c, {"fileRef", "height", "width", "mimeType"});
                for (const auto& cc : c.children()) {
                    keep(icon.extra, cc, 0);
                }
                icon.line.number = c.line();
                s.icons.push_back(std::move(icon));
                return true;
            }
            if (c.name() == "Category") {
                s.categories.push_back(
                    Category{read_msg(c), static_cast<uint32_t>(s.properties.size())});
                return true;
            }
            if (c.name() == "Property") {
                s.properties.push_back(read_property(c));
                return true;
            }
            return false;
        });
        return s;
    }

    template <class S>
    S read_single_msg_section(const Element& e, std::string_view child,
                              std::optional<Msg> S::*member) {
        S s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, child) || (s.*member)) {
                return false;
            }
            s.*member = read_msg(c);
            return true;
        });
        return s;
    }

    StartupSection read_startup_section(const Element& e) {
        StartupSection s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Item")) {
                return false;
            }
            StartupItem it;
            it.id = attr(c, "id").value_or("");
            it.order = attr(c, "order");
            it.start_delay = attr(c, "startDelay");
            it.waiting_for_guest = attr(c, "waitingForGuest");
            it.stop_delay = attr(c, "stopDelay");
            it.start_action = attr(c, "startAction");
            it.stop_action = attr(c, "stopAction");
            it.extra.attributes =
                other_attributes(c, {"id", "order", "startDelay", "waitingForGuest", "stopDelay",
                                     "startAction", "stopAction"});
            for (const auto& cc : c.children()) {
                keep(it.extra, cc, 0);
            }
            it.line.number = c.line();
            s.items.push_back(std::move(it));
            return true;
        });
        return s;
    }

    InstallSection read_install_section(const Element& e) {
        InstallSection s;
        s.initial_boot_stop_delay = attr(e, "initialBootStopDelay");
        uint32_t n = 0;
        read_section_children(e, s.header, n, [](const Element&) { return false; });
        return s;
    }

    ResourceAllocationSection read_resource_allocation_section(const Element& e) {
        ResourceAllocationSection s;
        uint32_t n = 0;
        read_section_children(e, s.header, n, [&](const Element& c) {
            if (!is_env(c, "Item")) {
                return false;
            }
            s.items.push_back(read_item(c, ItemKind::item));
            return true;
        });
        return s;
    }

    UnknownSection read_unknown_section(const Element& e, bool top_level = false) {
        UnknownSection u;
        u.element = fragment(e, top_level);
        if (auto v = attr(e, "required")) {
            u.required = parse_bool(*v);
        }
        return u;
    }

    // Whether an unrecognised child of Envelope or Content is a section
    // (section substitution group) rather than a stray element.
    bool looks_like_section(const Element& e) const {
        if (ends_with(e.name(), "Section")) {
            return true;
        }
        if (in_env(e)) {
            return attr(e, "required").has_value();
        }
        // Foreign elements may only appear as sections; unqualified ones are
        // oVirt's ad-hoc children and stay extensions.
        return !e.ns().empty();
    }

    // ---- content ----

    static std::optional<ContentKind> content_kind(const std::string& type) {
        if (type == "VirtualSystem") {
            return ContentKind::virtual_system;
        }
        if (type == "VirtualSystemCollection") {
            return ContentKind::collection;
        }
        return std::nullopt;
    }

    Result<Content> read_content(const Element& e, ContentKind kind, uint32_t depth);
};

Result<Section> Reader::read_section(const Element& e, const std::string& type, bool top_level) {
    Section out;
    if (type == "DiskSection") {
        out = read_disk_section(e);
    } else if (type == "NetworkSection") {
        out = read_network_section(e);
    } else if (type == "DeploymentOptionSection") {
        out = read_deployment_option_section(e);
    } else if (type == "OperatingSystemSection") {
        modelled(e);
        auto s = read_os_section(e);
        OVFKIT_TRY(read_header(e, s.header));
        // read_os_section collected its own attributes; drop the generic pass.
        return Section(std::move(s));
    } else if (type == "VirtualHardwareSection") {
        out = read_hardware_section(e);
    } else if (type == "ProductSection") {
        out = read_product_section(e);
    } else if (type == "EulaSection") {
        out = read_single_msg_section<EulaSection>(e, "License", &EulaSection::license);
    } else if (type == "AnnotationSection") {
        out = read_single_msg_section<AnnotationSection>(e, "Annotation",
                                                         &AnnotationSection::annotation);
    } else if (type == "StartupSection") {
        out = read_startup_section(e);
    } else if (type == "InstallSection") {
        out = read_install_section(e);
    } else if (type == "ResourceAllocationSection") {
        out = read_resource_allocation_section(e);
    } else {
        return Section(read_unknown_section(e, top_level));
    }
    modelled(e);
    // Attributes of the section element, shared by every known section.
    std::visit(
        [&](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, UnknownSection>) {
                std::vector<Attribute> attrs;
                for (auto& a : other_attributes(e, {"required"}, true)) {
                    attrs.push_back(std::move(a));
                }
                // Section-specific modelled attributes.
                std::erase_if(attrs, [&](const Attribute& a) {
                    if (a.ns != k_envelope_ns_placeholder) {
                        return false;
                    }
                    if constexpr (std::is_same_v<std::decay_t<decltype(s)>,
                                                 VirtualHardwareSection>) {
                        return a.name == "id" || a.name == "transport";
                    } else if constexpr (std::is_same_v<std::decay_t<decltype(s)>,
                                                        ProductSection>) {
                        return a.name == "class" || a.name == "instance";
                    } else if constexpr (std::is_same_v<std::decay_t<decltype(s)>,
                                                        InstallSection>) {
                        return a.name == "initialBootStopDelay";
                    }
                    return false;
                });
                s.header.extra.attributes = std::move(attrs);
                (void)read_header(e, s.header);
            }
        },
        out);
    return out;
}

Result<Content> Reader::read_content(const Element& e, ContentKind kind, uint32_t depth) {
    if (depth > k_max_collection_depth) {
        return fail(Errc::refused, "{}: VirtualSystemCollection nesting deeper than {}",
                    m_doc.where(e), k_max_collection_depth);
    }
    modelled(e);
    Content c;
    c.kind = kind;
    c.id = attr(e, "id").value_or("");
    c.extra.attributes = other_attributes(e, {"id"}, true);
    c.line.number = e.line();
    uint32_t n = 0;
    for (const auto& child : e.children()) {
        std::string type = type_of(child);
        if (type == "Info" && !c.info) {
            c.info = read_msg(child);
        } else if (type == "Name" && !c.name) {
            c.name = read_msg(child);
        } else if (auto k = content_kind(type); k && kind == ContentKind::collection) {
            OVFKIT_TRY_ASSIGN(auto nested, read_content(child, *k, depth + 1));
            c.children.push_back(std::move(nested));
        } else if (!type.empty() && ends_with(type, "Section") &&
                   (child.name() != "Section" || type != "Section")) {
            OVFKIT_TRY_ASSIGN(auto s, read_section(child, type));
            c.sections.push_back(std::move(s));
        } else if (looks_like_section(child)) {
            c.sections.push_back(read_unknown_section(child));
        } else {
            keep(c.extra, child, n);
            continue;
        }
        ++n;
    }
    return c;
}

Result<Envelope> Reader::run() {
    Element root = m_doc.root();
    if (root.name() != "Envelope") {
        return fail(Errc::invalid, "{}: root element is <{}>, not an OVF <Envelope>",
                    m_doc.where(root), root.name());
    }
    auto version = detect_version(root.ns());
    if (!version) {
        return fail(Errc::invalid,
                    "{}: unsupported OVF namespace \"{}\" (ovfkit reads OVF 0.9, 1.x, 2.x and "
                    "the oVirt dialect)",
                    m_doc.where(root), root.ns());
    }
    m_version = *version;
    m_env = std::string(root.ns());
    // The model writes the envelope namespace as this URI inside verbatim
    // XML; a document using it would have its elements and attributes
    // turned into envelope ones when written.
    if (auto line = m_doc.declaration_line(k_envelope_ns_placeholder)) {
        return fail(Errc::invalid, "{}: namespace \"{}\" is reserved by ovfkit", m_doc.where(*line),
                    k_envelope_ns_placeholder);
    }
    if (m_version == OvfVersion::ovirt) {
        m_diag.warning("OVF-NS-ALIAS",
                       fmt::format("envelope namespace \"{}\" (trailing slash) is the oVirt "
                                   "dialect, not a DMTF URI; read as OVF 1.x",
                                   m_env),
                       m_doc.name(), root.line());
    }

    Envelope env;
    env.version = m_version;
    env.line.number = root.line();
    env.version_attribute = attr(root, "version");
    env.lang = root.attribute(xml::k_xml_ns, "lang");
    env.extra.attributes = other_attributes(root, {"version"});
    std::erase_if(env.extra.attributes,
                  [](const Attribute& a) { return a.ns == xml::k_xml_ns && a.name == "lang"; });
    // Namespace declarations on the root other than the modelled ones.
    for (auto& [prefix, uri] : root.namespace_declarations()) {
        if (uri == m_env || canon_ns(uri, root.line()) != uri) {
            continue;
        }
        if (uri == k_rasd_ns || uri == k_vssd_ns || uri == k_sasd_ns || uri == k_epasd_ns) {
            continue;
        }
        env.namespaces.push_back(NamespaceDecl{prefix, uri});
    }

    bool have_refs = false;
    bool have_content = false;
    uint32_t n = 0;
    for (const auto& c : root.children()) {
        std::string type = type_of(c);
        if (c.ns().empty() && m_version != OvfVersion::ovirt &&
            (c.name() == "References" || ends_with(c.name(), "Section") ||
             c.name() == "VirtualSystem" || c.name() == "VirtualSystemCollection" ||
             c.name() == "Content" || c.name() == "Strings")) {
            return fail(Errc::invalid,
                        "{}: <{}> has no namespace; expected the envelope namespace \"{}\"",
                        m_doc.where(c), c.name(), m_env);
        }
        if (type == "References" && !have_refs) {
            env.references = read_references(c);
            have_refs = true;
        } else if (auto k = content_kind(type); k && !have_content) {
            OVFKIT_TRY_ASSIGN(env.content, read_content(c, *k, 1));
            have_content = true;
        } else if (type == "Strings") {
            modelled(c);
            Strings s;
            s.lang = c.attribute(xml::k_xml_ns, "lang").value_or("");
            s.file_ref = attr(c, "fileRef");
            s.extra.attributes = other_attributes(c, {"fileRef"});
            std::erase_if(s.extra.attributes, [](const Attribute& a) {
                return a.ns == xml::k_xml_ns && a.name == "lang";
            });
            uint32_t msgs = 0;
            for (const auto& cc : c.children()) {
                if (is_env(cc, "Msg")) {
                    Message m;
                    m.msgid = attr(cc, "msgid").value_or("");
                    m.text = cc.text();
                    m.file_ref = attr(cc, "fileRef");
                    m.extra.attributes = other_attributes(cc, {"msgid", "fileRef"});
                    for (const auto& ccc : cc.children()) {
                        keep(m.extra, ccc, 0);
                    }
                    m.line.number = cc.line();
                    s.messages.push_back(std::move(m));
                    ++msgs;
                } else {
                    keep(s.extra, cc, msgs);
                }
            }
            s.line.number = c.line();
            env.strings.push_back(std::move(s));
        } else if (!have_content && !type.empty() && ends_with(type, "Section")) {
            OVFKIT_TRY_ASSIGN(auto s, read_section(c, type, true));
            env.sections.push_back(std::move(s));
        } else if (!have_content && looks_like_section(c)) {
            env.sections.push_back(read_unknown_section(c, true));
        } else {
            keep(env.extra, c, n, true);
            continue;
        }
        ++n;
    }
    if (!have_refs) {
        return fail(Errc::invalid, "{}: <Envelope> has no <References> element", m_doc.where(root));
    }
    if (!have_content) {
        return fail(Errc::invalid,
                    "{}: <Envelope> has no <VirtualSystem> or <VirtualSystemCollection>",
                    m_doc.where(root));
    }
    return env;
}

} // namespace

std::optional<OvfVersion> detect_version(std::string_view ns) {
    if (ns == k_ovf1_ns) {
        return OvfVersion::v1;
    }
    if (ns == k_ovf2_ns) {
        return OvfVersion::v2;
    }
    if (ns == k_ovf09_ns) {
        return OvfVersion::v0_9;
    }
    if (ns == k_ovirt_envelope_ns) {
        return OvfVersion::ovirt;
    }
    return std::nullopt;
}

Result<Envelope> read_envelope(const xml::Document& document, Diagnostics& diag) {
    Reader reader(document, diag);
    return reader.run();
}

Result<Envelope> read_envelope(std::span<const std::byte> bytes, std::string name,
                               Diagnostics& diag, const xml::Limits& limits) {
    OVFKIT_TRY_ASSIGN(auto doc, xml::Document::parse(bytes, std::move(name), limits));
    return read_envelope(doc, diag);
}

} // namespace ovfkit::ovf
