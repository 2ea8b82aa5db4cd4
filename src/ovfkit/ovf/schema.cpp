// DMTF schema validation; see schema.hpp.
//
// libxml2 compiles a schema by reading each schemaLocation through the
// process-wide external entity loader. xml::set_resource_lookup() lets that
// loader answer from the embedded copies: "ovfkit:/schemas/ovf1/xml.xsd" and
// the published URLs DSP8023 2.0.1 imports ("http://schemas.dmtf.org/...",
// "http://www.w3.org/TR/...") map to files under schemas/; every other URI
// stays refused. Relative imports resolve against the "ovfkit:/schemas/..."
// URL of the importing file, so they too land in the bundle.
//
// Schema validation runs on a document that already passed the hardened
// parse (limits, no DTD), because libxml2's validator has had memory-safety
// bugs of its own (CVE-2024-56171, CVE-2025-32415).
//
// libxml2 stops checking a parent's content model at the first unexpected
// child, so one vendor section can hide later problems among its siblings;
// semantic validation (validate.cpp) does not have that blind spot.
#include <array>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <ovfkit/ovf/schema.hpp>

namespace ovfkit::ovf {

namespace {

constexpr std::string_view k_scheme = "ovfkit:/schemas/";
constexpr std::string_view k_ns_ovf1 = "http://schemas.dmtf.org/ovf/envelope/1";
constexpr std::string_view k_ns_ovf2 = "http://schemas.dmtf.org/ovf/envelope/2";
constexpr std::string_view k_cim2 = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";

// Published locations named by schemaLocation attributes -> embedded files.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_published{{
    {"http://www.w3.org/2001/xml.xsd", "ovf1/xml.xsd"},
    {"http://schemas.dmtf.org/wbem/wscim/1/common.xsd", "ovf1/common.xsd"},
    {"http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd",
     "w3c/xmldsig-core-schema.xsd"},
    {"http://www.w3.org/TR/2002/REC-xmlenc-core-20021210/xenc-schema.xsd", "w3c/xenc-schema.xsd"},
    {"http://www.w3.org/TR/2012/WD-xmlenc-core1-20120105/xenc-schema-11.xsd",
     "w3c/xenc11-schema.xsd"},
    {"http://schemas.dmtf.org/ovf/envelope/2/dsp8023_2.0.xsd", "ovf2/dsp8023_2.0.1.xsd"},
}};

// Conventional prefixes, to turn libxml2's "{uri}Name" into "rasd:Name".
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> k_prefixes{{
    {"http://schemas.dmtf.org/ovf/envelope/1", "ovf"},
    {"http://schemas.dmtf.org/ovf/envelope/2", "ovf"},
    {"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData", "rasd"},
    {"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData", "vssd"},
    {"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData", "sasd"},
    {"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData",
     "epasd"},
    {"http://www.vmware.com/schema/ovf", "vmw"},
    {"http://www.virtualbox.org/ovf/machine", "vbox"},
    {"http://schemas.dmtf.org/wbem/wscim/1/common", "cim"},
}};

const EmbeddedFile* find_embedded(std::string_view name) {
    for (const auto& f : embedded_schemas()) {
        if (name == f.name) {
            return &f;
        }
    }
    return nullptr;
}

struct Compiled {
    xmlSchemaPtr schema = nullptr;
    std::string error; // why it did not compile
};

void collect_first_error(void* user, xmlErrorPtr err) {
    auto* out = static_cast<std::string*>(user);
    if (err == nullptr || err->level < XML_ERR_ERROR || !out->empty()) {
        return;
    }
    std::string msg = err->message != nullptr ? err->message : "unknown error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    std::string file = err->file != nullptr ? err->file : "";
    *out = file.empty() ? msg : fmt::format("{}:{}: {}", file, err->line, msg);
}

Compiled compile(std::string_view entry) {
    xml::set_resource_lookup(schema_resource);
    Compiled result;
    std::string url = std::string(k_scheme) + std::string(entry);
    xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(url.c_str());
    if (pctx == nullptr) {
        result.error = "out of memory";
        return result;
    }
    xmlSchemaSetParserStructuredErrors(pctx, collect_first_error, &result.error);
    result.schema = xmlSchemaParse(pctx);
    xmlSchemaFreeParserCtxt(pctx);
    if (result.schema == nullptr && result.error.empty()) {
        result.error = "the schema parser gave no reason";
    }
    return result;
}

const Compiled& compiled(bool ovf2) {
    // Compiled once, kept for the life of the process (read-only after).
    static std::once_flag once1;
    static std::once_flag once2;
    static Compiled c1;
    static Compiled c2;
    if (ovf2) {
        std::call_once(once2, [] { c2 = compile("ovf2/dsp8023_2.0.1.xsd"); });
        return c2;
    }
    std::call_once(once1, [] { c1 = compile("ovf1/ovf-envelope-1.xsd"); });
    return c1;
}

std::string friendly(std::string msg) {
    for (const auto& [uri, prefix] : k_prefixes) {
        std::string from = "{" + std::string(uri) + "}";
        std::string to = std::string(prefix) + ":";
        for (size_t pos = msg.find(from); pos != std::string::npos; pos = msg.find(from, pos)) {
            msg.replace(pos, from.size(), to);
            pos += to.size();
        }
    }
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    return msg;
}

bool is_dmtf(std::string_view ns) {
    return ns.starts_with("http://schemas.dmtf.org/");
}

struct Collector {
    const xml::Document* doc;
    Diagnostics* diag;
    size_t max;
    size_t seen = 0;
    size_t vendor = 0; // OVF-SCHEMA-002 reported: sibling checks stopped there
    // Second pass: report only errors the first did not (line, message).
    const std::set<std::pair<uint32_t, std::string>>* known = nullptr;
    std::set<std::pair<uint32_t, std::string>> reported;
};

void on_validity_error(void* user, xmlErrorPtr err) {
    auto* c = static_cast<Collector*>(user);
    if (err == nullptr || err->level < XML_ERR_ERROR) {
        return;
    }
    if (++c->seen > c->max) {
        return;
    }
    uint32_t line = err->line > 0 ? static_cast<uint32_t>(err->line) : 0;
    std::string_view ns;
    auto* node = static_cast<xmlNodePtr>(err->node);
    if (node != nullptr && node->type == XML_ELEMENT_NODE) {
        long l = xmlGetLineNo(node);
        if (l > 0) {
            line = static_cast<uint32_t>(l);
        }
        if (node->ns != nullptr && node->ns->href != nullptr) {
            ns = reinterpret_cast<const char*>(node->ns->href);
        }
    }
    std::string msg = friendly(err->message != nullptr ? err->message : "schema violation");
    bool vendor = node != nullptr && node->type == XML_ELEMENT_NODE && !is_dmtf(ns);
    if (c->known != nullptr) {
        if (!vendor && !c->known->contains({line, msg})) {
            c->diag->error("OVF-SCHEMA-001", msg, c->doc->name(), line);
        }
        return;
    }
    c->reported.insert({line, msg});
    if (vendor) {
        ++c->vendor;
        c->diag->warning("OVF-SCHEMA-002",
                         fmt::format("{} (a vendor extension the DMTF schema does not declare; "
                                     "the schema check of its siblings stops here)",
                                     msg),
                         c->doc->name(), line);
        return;
    }
    c->diag->error("OVF-SCHEMA-001", msg, c->doc->name(), line);
}

// Removes, in a copy of the document, the vendor elements that stop the
// schema check of their siblings: an element outside the DMTF namespaces,
// inside a DMTF element, with a DMTF element after it. What follows them is
// then checked too (a ProductSection out of order after a vmw: section).
void drop_blocking_vendor_elements(xmlNodePtr parent) {
    for (xmlNodePtr n = parent->children; n != nullptr;) {
        xmlNodePtr next = n->next;
        if (n->type == XML_ELEMENT_NODE) {
            auto dmtf = [](xmlNodePtr e) {
                return e->ns != nullptr && is_dmtf(reinterpret_cast<const char*>(e->ns->href));
            };
            bool blocks = false;
            if (!dmtf(n) && dmtf(parent)) {
                for (xmlNodePtr m = next; m != nullptr && !blocks; m = m->next) {
                    blocks = m->type == XML_ELEMENT_NODE && dmtf(m);
                }
            }
            if (blocks) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            } else {
                drop_blocking_vendor_elements(n);
            }
        }
        n = next;
    }
}

} // namespace

std::span<const EmbeddedFile> embedded_schemas() {
    return {k_embedded_files, k_embedded_file_count};
}

std::optional<xml::Resource> schema_resource(std::string_view url) {
    std::string_view name;
    std::string rewritten;
    if (url.starts_with(k_scheme)) {
        name = url.substr(k_scheme.size());
    } else if (url.starts_with(k_cim2)) {
        rewritten = "ovf2/" + std::string(url.substr(k_cim2.size()));
        name = rewritten;
    } else {
        for (const auto& [published, local] : k_published) {
            if (url == published) {
                name = local;
            }
        }
    }
    if (name.empty() || name.find("..") != std::string_view::npos) {
        return std::nullopt;
    }
    const EmbeddedFile* f = find_embedded(name);
    if (f == nullptr) {
        return std::nullopt;
    }
    return xml::Resource{std::string(k_scheme) + f->name,
                         std::string_view(reinterpret_cast<const char*>(f->data), f->size)};
}

bool validate_schema(const xml::Document& doc, Diagnostics& diag, size_t max_findings) {
    xml::Element root = doc.root();
    std::string_view ns = root ? root.ns() : std::string_view{};
    bool ovf2 = ns == k_ns_ovf2;
    if (ns != k_ns_ovf1 && !ovf2) {
        diag.warning("OVF-SCHEMA-003",
                     fmt::format("no DMTF schema exists for the envelope namespace '{}' (only OVF "
                                 "1.x and 2.x have one); schema validation skipped",
                                 ns),
                     doc.name(), root ? root.line() : 0);
        return false;
    }
    const Compiled& c = compiled(ovf2);
    if (c.schema == nullptr) {
        diag.warning("OVF-SCHEMA-004",
                     fmt::format("the bundled OVF {} schema does not compile ({}); this "
                                 "descriptor gets semantic validation only",
                                 ovf2 ? "2.x" : "1.x", c.error),
                     doc.name(), 0);
        return false;
    }
    xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(c.schema);
    if (vctx == nullptr) {
        diag.warning("OVF-SCHEMA-004", "out of memory creating a schema validation context",
                     doc.name(), 0);
        return false;
    }
    Collector collector{&doc, &diag, max_findings, 0, 0, nullptr, {}};
    xmlSchemaSetValidStructuredErrors(vctx, on_validity_error, &collector);
    int rc = xmlSchemaValidateDoc(vctx, doc.raw());
    if (collector.vendor > 0 && collector.seen <= max_findings) {
        // Check again without the vendor elements that stopped the check of
        // their siblings, reporting only what the first pass did not.
        if (xmlDocPtr copy = xmlCopyDoc(doc.raw(), 1); copy != nullptr) {
            drop_blocking_vendor_elements(reinterpret_cast<xmlNodePtr>(copy));
            Collector again{&doc, &diag, max_findings - collector.seen, 0, 0, &collector.reported,
                            {}};
            xmlSchemaSetValidStructuredErrors(vctx, on_validity_error, &again);
            xmlSchemaValidateDoc(vctx, copy);
            xmlFreeDoc(copy);
        }
    }
    xmlSchemaFreeValidCtxt(vctx);
    if (collector.seen > max_findings) {
        diag.error(
            "OVF-SCHEMA-001",
            fmt::format("{} more schema violations not shown", collector.seen - max_findings),
            doc.name(), 0);
    }
    if (rc != 0 && collector.seen == 0) {
        diag.error("OVF-SCHEMA-001",
                   fmt::format("the schema validator failed without a message (code {})", rc),
                   doc.name(), 0);
    }
    return true;
}

} // namespace ovfkit::ovf
