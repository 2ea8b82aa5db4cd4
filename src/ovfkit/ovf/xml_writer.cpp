// Envelope -> OVF 1.x / 2.x descriptor, through the libxml2 tree API.
//
// Output shape (DSP8023 sequence order):
//   <?xml version="1.0" encoding="UTF-8"?>
//   <ovf:Envelope xmlns:ovf=... xmlns:rasd=... xmlns:vssd=... [source namespaces]>
//     <ovf:References> <ovf:File .../>* </ovf:References>
//     envelope sections, then VirtualSystem | VirtualSystemCollection, then Strings
//
// Rules that keep read -> write -> read stable:
//   - modelled attributes first in a fixed order, then the element's verbatim
//     attributes in their stored order;
//   - a verbatim element is inserted after exactly `position` modelled
//     children of its parent (the count the reader recorded);
//   - verbatim XML is re-parsed with the hardened loader and copied in; its
//     placeholder envelope namespace becomes the target URI and declarations
//     that repeat an in-scope binding are dropped;
//   - a namespace declared below the root more than once is declared once
//     on the root instead, so the output grows linearly with the model.
// No default namespace is declared, so an unqualified element from a
// verbatim fragment or an oVirt field stays unqualified.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include <libxml/tree.h>

#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::ovf {

namespace {

const xmlChar* xc(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

std::string_view view(const xmlChar* s) {
    return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

struct Conventional {
    std::string_view uri;
    const char* prefix;
};

constexpr Conventional k_conventional[] = {
    {k_rasd_ns, "rasd"}, {k_vssd_ns, "vssd"},    {k_sasd_ns, "sasd"},     {k_epasd_ns, "epasd"},
    {k_vmw_ns, "vmw"},   {k_vbox_ns, "vbox"},    {k_xenovf_ns, "xenovf"}, {k_ovirt_ns, "ovirt"},
    {k_cim_ns, "cim"},   {xml::k_xsi_ns, "xsi"}, {k_ovf2_ns, "ovf2"},
};

// Offset of the first character XML 1.0 cannot carry (or invalid UTF-8).
std::optional<std::pair<size_t, uint32_t>> unrepresentable(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i < s.size()) {
        unsigned c = p[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            cp = c & 0x1F;
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            cp = c & 0x0F;
            len = 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            cp = c & 0x07;
            len = 4;
        } else {
            return std::pair{i, uint32_t{c}};
        }
        if (i + len > s.size()) {
            return std::pair{i, uint32_t{c}};
        }
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return std::pair{i, uint32_t{c}};
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        bool ok = (len == 1 && (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r')) ||
                  (len == 2 && cp >= 0x80) ||
                  (len == 3 && cp >= 0x800 && cp <= 0xFFFD && !(cp >= 0xD800 && cp <= 0xDFFF)) ||
                  (len == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
        if (!ok) {
            return std::pair{i, cp};
        }
        i += len;
    }
    return std::nullopt;
}

struct DocDeleter {
    void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};

class Writer {
public:
    Writer(const Envelope& env, OvfVersion target)
        : m_env(env), m_target(target), m_uri(envelope_ns(target)) {}

    Result<std::string> run();

private:
    const Envelope& m_env;
    OvfVersion m_target;
    std::string m_uri;
    std::unique_ptr<xmlDoc, DocDeleter> m_doc;
    xmlNodePtr m_root = nullptr;
    xmlNsPtr m_ovf = nullptr;
    std::optional<Error> m_error;
    std::vector<xml::FragmentSlot> m_fragments;

    void set_error(Error e) {
        if (!m_error) {
            m_error = std::move(e);
        }
    }

    bool check(std::string_view text, std::string_view where) {
        if (auto bad = unrepresentable(text)) {
            set_error(Error{Errc::invalid,
                            fmt::format("cannot write {}: character U+{:04X} at offset {} cannot "
                                        "be represented in XML 1.0",
                                        where, bad->second, bad->first)});
            return false;
        }
        return true;
    }

    // The namespace to use for `uri` (placeholder = the envelope) on `node`:
    // an in-scope declaration, else a new one on `node` itself, so the root
    // keeps exactly the declarations the model lists.
    // `avoid`: prefixes that must not be chosen either (see hoist_declarations).
    xmlNsPtr ns_for(xmlNodePtr node, std::string_view uri, std::string_view hint = {},
                    const std::set<std::string, std::less<>>* avoid = nullptr) {
        if (uri.empty()) {
            return nullptr;
        }
        if (uri == k_envelope_ns_placeholder || uri == m_uri) {
            return m_ovf;
        }
        std::string u(uri);
        if (xmlNsPtr ns = xmlSearchNsByHref(m_doc.get(), node, xc(u.c_str()));
            ns != nullptr && (ns->prefix != nullptr || uri == xml::k_xml_ns)) {
            return ns;
        }
        auto taken = [&](const std::string& p) {
            return p.empty() || p == "xml" || p.starts_with("xmlns") ||
                   (avoid != nullptr && avoid->contains(p)) ||
                   xmlSearchNs(m_doc.get(), node, xc(p.c_str())) != nullptr;
        };
        // The first free of: the conventional prefix, the source's own, the
        // caller's hint. Each is tried in turn: when the conventional one
        // is taken (the source bound "vmw" to something else), the source's
        // prefix — which is what a read-back model holds after a first
        // writing generated it — must win over a fresh number, or the
        // numbers of a second writing differ from the first's.
        std::vector<std::string> candidates;
        for (const auto& c : k_conventional) {
            if (c.uri == uri) {
                candidates.emplace_back(c.prefix);
            }
        }
        for (auto d = m_env.namespaces.rbegin(); d != m_env.namespaces.rend(); ++d) {
            if (d->uri == uri && !d->prefix.empty()) {
                candidates.push_back(d->prefix); // the last declaration first, as before
            }
        }
        candidates.emplace_back(hint);
        std::string prefix;
        for (const std::string& c : candidates) {
            if (!taken(c)) {
                prefix = c;
                break;
            }
        }
        // The lowest free number in scope, not a running count: the count
        // depended on what was generated before, which differs between a
        // model and the same model read back, and so did the output.
        for (int i = 1; taken(prefix); ++i) {
            prefix = fmt::format("ns{}", i);
        }
        return xmlNewNs(node, xc(u.c_str()), xc(prefix.c_str()));
    }

    // A namespace declared below the root on more than one element (each
    // field or verbatim element that uses a URI the root lacks declares it)
    // is declared once on the root instead, and its users re-pointed there:
    // left in place, the output grew with every use, and a few hundred uses
    // passed the reader's limit on declarations so the output did not read
    // back. A URI declared below the root once stays where it is. Linear:
    // one pass to count, one to move.
    void hoist_declarations() {
        std::vector<xmlNodePtr> order;
        std::vector<xmlNodePtr> stack;
        auto push_children = [&](xmlNodePtr n) {
            for (xmlNodePtr c = n->last; c != nullptr; c = c->prev) {
                if (c->type == XML_ELEMENT_NODE) {
                    stack.push_back(c);
                }
            }
        };
        push_children(m_root);
        std::map<std::string, uint32_t, std::less<>> uses;
        while (!stack.empty()) {
            xmlNodePtr n = stack.back();
            stack.pop_back();
            order.push_back(n);
            for (xmlNsPtr d = n->nsDef; d != nullptr; d = d->next) {
                if (!view(d->href).empty()) {
                    ++uses[std::string(view(d->href))];
                }
            }
            push_children(n);
        }
        // Prefixes that stay declared below the root: a root binding under
        // one of them would be shadowed there.
        std::set<std::string, std::less<>> local;
        bool any = false;
        for (xmlNodePtr n : order) {
            for (xmlNsPtr d = n->nsDef; d != nullptr; d = d->next) {
                auto it = uses.find(view(d->href));
                if (it == uses.end() || it->second < 2) {
                    local.insert(std::string(view(d->prefix)));
                } else {
                    any = true;
                }
            }
        }
        if (!any) {
            return;
        }
        std::unordered_map<xmlNsPtr, xmlNsPtr> moved;
        std::vector<xmlNsPtr> dropped;
        auto remap = [&](xmlNsPtr ns) {
            auto it = ns == nullptr ? moved.end() : moved.find(ns);
            return it == moved.end() ? ns : it->second;
        };
        for (xmlNodePtr n : order) {
            xmlNsPtr* link = &n->nsDef;
            while (*link != nullptr) {
                xmlNsPtr d = *link;
                auto it = uses.find(view(d->href));
                if (it == uses.end() || it->second < 2) {
                    link = &d->next;
                    continue;
                }
                *link = d->next;
                d->next = nullptr;
                moved[d] = ns_for(m_root, view(d->href), view(d->prefix), &local);
                dropped.push_back(d);
            }
            n->ns = remap(n->ns);
            for (xmlAttrPtr a = n->properties; a != nullptr; a = a->next) {
                a->ns = remap(a->ns);
            }
        }
        // Freed only now: a new declaration could otherwise reuse the
        // address of a dropped one still used as a key.
        for (xmlNsPtr d : dropped) {
            xmlFreeNs(d);
        }
    }

    xmlNodePtr element(xmlNodePtr parent, std::string_view uri, std::string_view name) {
        std::string n(name);
        xmlNodePtr node = xmlNewDocNode(m_doc.get(), nullptr, xc(n.c_str()), nullptr);
        xmlAddChild(parent, node);
        xmlSetNs(node, ns_for(node, uri));
        return node;
    }

    xmlNodePtr ovf_element(xmlNodePtr parent, std::string_view name) {
        return element(parent, m_uri, name);
    }

    void attr(xmlNodePtr node, xmlNsPtr ns, std::string_view name, std::string_view value) {
        if (!check(value, fmt::format("attribute {} of <{}>", name, view(node->name)))) {
            return;
        }
        std::string n(name);
        std::string v(value);
        xmlNewNsProp(node, ns, xc(n.c_str()), xc(v.c_str()));
    }

    void ovf_attr(xmlNodePtr node, std::string_view name, const std::optional<std::string>& v) {
        if (v) {
            attr(node, m_ovf, name, *v);
        }
    }
    void ovf_attr(xmlNodePtr node, std::string_view name, const std::string& v) {
        attr(node, m_ovf, name, v);
    }
    void ovf_bool(xmlNodePtr node, std::string_view name, std::optional<bool> v) {
        if (v) {
            attr(node, m_ovf, name, *v ? "true" : "false");
        }
    }

    void text(xmlNodePtr node, std::string_view value) {
        if (value.empty() || !check(value, fmt::format("text of <{}>", view(node->name)))) {
            return;
        }
        std::string v(value);
        xmlNodeAddContentLen(node, xc(v.c_str()), static_cast<int>(v.size()));
    }

    void attributes(xmlNodePtr node, const std::vector<Attribute>& attrs) {
        for (const auto& a : attrs) {
            attr(node, ns_for(node, a.ns, a.prefix), a.name, a.value);
        }
    }

    // Verbatim elements are parsed in one batch at the end; until then a
    // placeholder holds their place.
    void fragment(xmlNodePtr parent, const XmlFragment& f) {
        xmlNodePtr slot = xmlNewDocNode(m_doc.get(), nullptr, xc("ovfkit-verbatim"), nullptr);
        xmlAddChild(parent, slot);
        m_fragments.push_back(xml::FragmentSlot{slot, f.xml, fmt::format("verbatim <{}>", f.name)});
    }

    // Emits the verbatim children of a modelled element between its
    // modelled children: call next() before each modelled child, finish()
    // at the end.
    class Interleave {
    public:
        Interleave(Writer& w, xmlNodePtr parent, const Extras& extra) : m_w(w), m_parent(parent) {
            for (const auto& e : extra.elements) {
                m_pending.push_back(&e);
            }
            std::stable_sort(
                m_pending.begin(), m_pending.end(),
                [](const Extension* a, const Extension* b) { return a->position < b->position; });
        }
        void next() {
            flush(m_count);
            ++m_count;
        }
        void finish() { flush(UINT32_MAX); }

    private:
        void flush(uint32_t upto) {
            while (m_i < m_pending.size() && m_pending[m_i]->position <= upto) {
                m_w.fragment(m_parent, m_pending[m_i]->element);
                ++m_i;
            }
        }
        Writer& m_w;
        xmlNodePtr m_parent;
        std::vector<const Extension*> m_pending;
        size_t m_i = 0;
        uint32_t m_count = 0;
    };

    void msg(xmlNodePtr parent, std::string_view name, const Msg& m) {
        xmlNodePtr node = ovf_element(parent, name);
        ovf_attr(node, "msgid", m.msgid);
        attributes(node, m.extra.attributes);
        text(node, m.text);
        Interleave il(*this, node, m.extra);
        il.finish();
    }

    void opt_msg(xmlNodePtr parent, Interleave& il, std::string_view name,
                 const std::optional<Msg>& m) {
        if (m) {
            il.next();
            msg(parent, name, *m);
        }
    }

    // ---- sections ----

    xmlNodePtr section_start(xmlNodePtr parent, std::string_view name, const SectionHeader& h) {
        xmlNodePtr node = ovf_element(parent, name);
        ovf_bool(node, "required", h.required);
        return node;
    }

    void section_end(xmlNodePtr node, const SectionHeader& h) {
        // Verbatim attributes go after the modelled ones.
        attributes(node, h.extra.attributes);
    }

    void fields(xmlNodePtr parent, const CimFields& cf) {
        for (const auto& f : cf.fields) {
            if (f.verbatim) {
                fragment(parent, *f.verbatim);
                continue;
            }
            xmlNodePtr node = element(parent, f.ns, f.name);
            attributes(node, f.attributes);
            text(node, f.value);
        }
    }

    void item(xmlNodePtr parent, const Item& it) {
        const char* name = it.kind == ItemKind::item           ? "Item"
                           : it.kind == ItemKind::storage_item ? "StorageItem"
                                                               : "EthernetPortItem";
        xmlNodePtr node = ovf_element(parent, name);
        ovf_attr(node, "configuration", it.configuration);
        ovf_bool(node, "required", it.required);
        ovf_attr(node, "bound", it.bound);
        attributes(node, it.extra.attributes);
        fields(node, it);
        Interleave il(*this, node, it.extra);
        il.finish();
    }

    void write(xmlNodePtr parent, const DiskSection& s) {
        xmlNodePtr node = section_start(parent, "DiskSection", s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        for (const auto& d : s.disks) {
            il.next();
            xmlNodePtr dn = ovf_element(node, "Disk");
            ovf_attr(dn, "diskId", d.disk_id);
            ovf_attr(dn, "fileRef", d.file_ref);
            ovf_attr(dn, "capacity", d.capacity);
            ovf_attr(dn, "capacityAllocationUnits", d.capacity_allocation_units);
            ovf_attr(dn, "populatedSize", d.populated_size);
            ovf_attr(dn, "format", d.format);
            ovf_attr(dn, "parentRef", d.parent_ref);
            attributes(dn, d.extra.attributes);
            Interleave dil(*this, dn, d.extra);
            dil.finish();
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const NetworkSection& s) {
        xmlNodePtr node = section_start(parent, "NetworkSection", s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        for (const auto& n : s.networks) {
            il.next();
            xmlNodePtr nn = ovf_element(node, "Network");
            ovf_attr(nn, "name", n.name);
            attributes(nn, n.extra.attributes);
            Interleave nil(*this, nn, n.extra);
            opt_msg(nn, nil, "Description", n.description);
            nil.finish();
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const DeploymentOptionSection& s) {
        xmlNodePtr node = section_start(parent, "DeploymentOptionSection", s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        for (const auto& c : s.configurations) {
            il.next();
            xmlNodePtr cn = ovf_element(node, "Configuration");
            ovf_attr(cn, "id", c.id);
            ovf_bool(cn, "default", c.is_default);
            attributes(cn, c.extra.attributes);
            Interleave cil(*this, cn, c.extra);
            opt_msg(cn, cil, "Label", c.label);
            opt_msg(cn, cil, "Description", c.description);
            cil.finish();
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const OperatingSystemSection& s) {
        xmlNodePtr node = section_start(parent, "OperatingSystemSection", s.header);
        ovf_attr(node, "id", s.id);
        ovf_attr(node, "version", s.version);
        if (s.vmw_os_type) {
            attr(node, ns_for(node, k_vmw_ns), "osType", *s.vmw_os_type);
        }
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        opt_msg(node, il, "Description", s.description);
        il.finish();
    }

    void write(xmlNodePtr parent, const VirtualHardwareSection& s) {
        xmlNodePtr node = section_start(parent, "VirtualHardwareSection", s.header);
        ovf_attr(node, "id", s.id);
        ovf_attr(node, "transport", s.transport);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        if (s.system) {
            il.next();
            xmlNodePtr sn = ovf_element(node, "System");
            attributes(sn, s.system->extra.attributes);
            fields(sn, *s.system);
            Interleave sil(*this, sn, s.system->extra);
            sil.finish();
        }
        for (const auto& it : s.items) {
            il.next();
            item(node, it);
        }
        il.finish();
    }

    void property(xmlNodePtr parent, const Property& p) {
        xmlNodePtr node = ovf_element(parent, "Property");
        ovf_attr(node, "key", p.key);
        ovf_attr(node, "type", p.type);
        ovf_attr(node, "qualifiers", p.qualifiers);
        ovf_bool(node, "userConfigurable", p.user_configurable);
        ovf_attr(node, "value", p.value);
        ovf_bool(node, "password", p.password);
        ovf_attr(node, "configuration", p.configuration);
        attributes(node, p.extra.attributes);
        Interleave il(*this, node, p.extra);
        opt_msg(node, il, "Label", p.label);
        opt_msg(node, il, "Description", p.description);
        for (const auto& v : p.values) {
            il.next();
            xmlNodePtr vn = ovf_element(node, "Value");
            ovf_attr(vn, "value", v.value);
            ovf_attr(vn, "configuration", v.configuration);
            attributes(vn, v.extra.attributes);
            Interleave vil(*this, vn, v.extra);
            vil.finish();
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const ProductSection& s) {
        xmlNodePtr node = section_start(parent, "ProductSection", s.header);
        ovf_attr(node, "class", s.product_class);
        ovf_attr(node, "instance", s.instance);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        opt_msg(node, il, "Product", s.product);
        opt_msg(node, il, "Vendor", s.vendor);
        opt_msg(node, il, "Version", s.version);
        opt_msg(node, il, "FullVersion", s.full_version);
        opt_msg(node, il, "ProductUrl", s.product_url);
        opt_msg(node, il, "VendorUrl", s.vendor_url);
        opt_msg(node, il, "AppUrl", s.app_url);
        for (const auto& icon : s.icons) {
            il.next();
            xmlNodePtr in = ovf_element(node, "Icon");
            ovf_attr(in, "height", icon.height);
            ovf_attr(in, "width", icon.width);
            ovf_attr(in, "mimeType", icon.mime_type);
            ovf_attr(in, "fileRef", icon.file_ref);
            attributes(in, icon.extra.attributes);
            Interleave iil(*this, in, icon.extra);
            iil.finish();
        }
        size_t c = 0;
        for (size_t p = 0; p <= s.properties.size(); ++p) {
            while (c < s.categories.size() && s.categories[c].position <= p) {
                il.next();
                msg(node, "Category", s.categories[c].text);
                ++c;
            }
            if (p < s.properties.size()) {
                il.next();
                property(node, s.properties[p]);
            }
        }
        il.finish();
    }

    template <class S>
    void write_msg_section(xmlNodePtr parent, const char* name, const S& s, const char* child,
                           const std::optional<Msg>& m) {
        xmlNodePtr node = section_start(parent, name, s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        opt_msg(node, il, child, m);
        il.finish();
    }

    void write(xmlNodePtr parent, const EulaSection& s) {
        write_msg_section(parent, "EulaSection", s, "License", s.license);
    }

    void write(xmlNodePtr parent, const AnnotationSection& s) {
        write_msg_section(parent, "AnnotationSection", s, "Annotation", s.annotation);
    }

    void write(xmlNodePtr parent, const StartupSection& s) {
        xmlNodePtr node = section_start(parent, "StartupSection", s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        for (const auto& it : s.items) {
            il.next();
            xmlNodePtr in = ovf_element(node, "Item");
            ovf_attr(in, "id", it.id);
            ovf_attr(in, "order", it.order);
            ovf_attr(in, "startDelay", it.start_delay);
            ovf_attr(in, "waitingForGuest", it.waiting_for_guest);
            ovf_attr(in, "startAction", it.start_action);
            ovf_attr(in, "stopDelay", it.stop_delay);
            ovf_attr(in, "stopAction", it.stop_action);
            attributes(in, it.extra.attributes);
            Interleave iil(*this, in, it.extra);
            iil.finish();
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const InstallSection& s) {
        xmlNodePtr node = section_start(parent, "InstallSection", s.header);
        ovf_attr(node, "initialBootStopDelay", s.initial_boot_stop_delay);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        il.finish();
    }

    void write(xmlNodePtr parent, const ResourceAllocationSection& s) {
        xmlNodePtr node = section_start(parent, "ResourceAllocationSection", s.header);
        section_end(node, s.header);
        Interleave il(*this, node, s.header.extra);
        opt_msg(node, il, "Info", s.header.info);
        for (const auto& it : s.items) {
            il.next();
            item(node, it);
        }
        il.finish();
    }

    void write(xmlNodePtr parent, const UnknownSection& s) { fragment(parent, s.element); }

    void section(xmlNodePtr parent, const Section& s) {
        std::visit([&](const auto& sec) { write(parent, sec); }, s);
    }

    void content(xmlNodePtr parent, const Content& c) {
        xmlNodePtr node =
            ovf_element(parent, c.kind == ContentKind::collection ? "VirtualSystemCollection"
                                                                  : "VirtualSystem");
        ovf_attr(node, "id", c.id);
        attributes(node, c.extra.attributes);
        Interleave il(*this, node, c.extra);
        opt_msg(node, il, "Info", c.info);
        opt_msg(node, il, "Name", c.name);
        for (const auto& s : c.sections) {
            il.next();
            section(node, s);
        }
        for (const auto& child : c.children) {
            il.next();
            content(node, child);
        }
        il.finish();
    }

    void references(xmlNodePtr parent, const References& r) {
        xmlNodePtr node = ovf_element(parent, "References");
        attributes(node, r.extra.attributes);
        Interleave il(*this, node, r.extra);
        for (const auto& f : r.files) {
            il.next();
            xmlNodePtr fn = ovf_element(node, "File");
            ovf_attr(fn, "id", f.id);
            ovf_attr(fn, "href", f.href);
            ovf_attr(fn, "size", f.size);
            ovf_attr(fn, "compression", f.compression);
            ovf_attr(fn, "chunkSize", f.chunk_size);
            attributes(fn, f.extra.attributes);
            Interleave fil(*this, fn, f.extra);
            fil.finish();
        }
        il.finish();
    }

    void strings(xmlNodePtr parent, const Strings& s) {
        xmlNodePtr node = ovf_element(parent, "Strings");
        attr(node, ns_for(node, xml::k_xml_ns), "lang", s.lang);
        ovf_attr(node, "fileRef", s.file_ref);
        attributes(node, s.extra.attributes);
        Interleave il(*this, node, s.extra);
        for (const auto& m : s.messages) {
            il.next();
            xmlNodePtr mn = ovf_element(node, "Msg");
            ovf_attr(mn, "msgid", m.msgid);
            ovf_attr(mn, "fileRef", m.file_ref);
            attributes(mn, m.extra.attributes);
            text(mn, m.text);
            Interleave mil(*this, mn, m.extra);
            mil.finish();
        }
        il.finish();
    }

    bool uses_ns(std::string_view uri) const;
};

void collect_field_ns(const CimFields& cf, std::vector<std::string_view>& out) {
    for (const auto& f : cf.fields) {
        out.push_back(f.ns);
    }
}

void collect_ns(const std::vector<Section>& sections, std::vector<std::string_view>& out) {
    for (const auto& s : sections) {
        if (const auto* h = std::get_if<VirtualHardwareSection>(&s)) {
            if (h->system) {
                collect_field_ns(*h->system, out);
            }
            for (const auto& it : h->items) {
                collect_field_ns(it, out);
            }
        } else if (const auto* r = std::get_if<ResourceAllocationSection>(&s)) {
            for (const auto& it : r->items) {
                collect_field_ns(it, out);
            }
        }
    }
}

void collect_ns(const Content& c, std::vector<std::string_view>& out) {
    collect_ns(c.sections, out);
    for (const auto& child : c.children) {
        collect_ns(child, out);
    }
}

bool Writer::uses_ns(std::string_view uri) const {
    std::vector<std::string_view> used;
    collect_ns(m_env.sections, used);
    collect_ns(m_env.content, used);
    return std::find(used.begin(), used.end(), uri) != used.end();
}

Result<std::string> Writer::run() {
    if (m_target != OvfVersion::v1 && m_target != OvfVersion::v2) {
        return fail(Errc::usage, "cannot write OVF {}: ovfkit writes OVF 1.x and 2.x only",
                    version_name(m_target));
    }
    m_doc.reset(xmlNewDoc(xc("1.0")));
    m_root = xmlNewDocNode(m_doc.get(), nullptr, xc("Envelope"), nullptr);
    xmlDocSetRootElement(m_doc.get(), m_root);
    m_ovf = xmlNewNs(m_root, xc(m_uri.c_str()), xc("ovf"));
    xmlSetNs(m_root, m_ovf);
    // Conventional CIM prefixes, then the source's other declarations.
    for (std::string_view cim : {k_rasd_ns, k_vssd_ns}) {
        ns_for(m_root, cim);
    }
    for (std::string_view cim : {k_sasd_ns, k_epasd_ns}) {
        if (uses_ns(cim)) {
            ns_for(m_root, cim);
        }
    }
    // A source prefix the writer's conventions took ("rasd" bound to some
    // other URI) still gets its URI declared on the root, under another
    // prefix: left to each element, it was declared once per use, under
    // numbers that differed from one writing to the next.
    for (const auto& d : m_env.namespaces) {
        if (d.prefix.empty() || d.uri == m_uri || d.uri == xml::k_xml_ns) {
            continue;
        }
        bool bound = false;
        for (xmlNsPtr ns = m_root->nsDef; ns != nullptr; ns = ns->next) {
            bound = bound || view(ns->href) == d.uri;
        }
        if (!bound && check(d.uri, "a namespace URI") && check(d.prefix, "a namespace prefix")) {
            ns_for(m_root, d.uri, d.prefix);
        }
    }

    if (m_env.version == m_target) {
        ovf_attr(m_root, "version", m_env.version_attribute);
    }
    if (m_env.lang) {
        attr(m_root, ns_for(m_root, xml::k_xml_ns), "lang", *m_env.lang);
    }
    attributes(m_root, m_env.extra.attributes);

    Interleave il(*this, m_root, m_env.extra);
    il.next();
    references(m_root, m_env.references);
    for (const auto& s : m_env.sections) {
        il.next();
        section(m_root, s);
    }
    il.next();
    content(m_root, m_env.content);
    for (const auto& s : m_env.strings) {
        il.next();
        strings(m_root, s);
    }
    il.finish();

    if (m_error) {
        return fail(*m_error);
    }
    // A fragment that gives the written version's envelope namespace as a
    // default (an element of the other DMTF version in the source) gets it
    // prefixed, as the reader keeps it: the writer stays a fixed point.
    OVFKIT_TRY(xml::replace_with_fragments(
        m_fragments, {{std::string(k_envelope_ns_placeholder), m_uri}}, m_uri));
    hoist_declarations();
    xmlChar* mem = nullptr;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(m_doc.get(), &mem, &size, "UTF-8", 1);
    if (mem == nullptr || size < 0) {
        return fail(Errc::io, "out of memory serializing the descriptor");
    }
    std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
    xmlFree(mem);
    return out;
}

} // namespace

Result<std::string> write_envelope(const Envelope& envelope, OvfVersion target) {
    Writer w(envelope, target);
    return w.run();
}

} // namespace ovfkit::ovf
