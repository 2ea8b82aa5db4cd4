// Semantic validation: the driver, shared helpers, content and section
// checks. See validate.hpp for the policy and docs/ovf-validation.md for the
// codes.
//
// The checks per concern live beside this file:
//   validate_references.cpp  ids, References/Disk/Network/Configuration
//                            references, hrefs, file presence and sizes
//   validate_hardware.cpp    VirtualHardwareSection items: InstanceID,
//                            ResourceType, Parent, AddressOnParent,
//                            HostResource, Connection, quantities and units
//   validate_properties.cpp  ProductSection properties: types, qualifiers,
//                            defaults, keys
// This file checks what is left: every VirtualSystem has hardware, the
// OperatingSystemSection id, and sections marked ovf:required that ovfkit
// does not understand (DSP0243: the consumer must then refuse the package).
#include <algorithm>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/schema.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/validate_internal.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::ovf {

namespace detail {

std::string quote(std::string_view text) {
    constexpr size_t k_max = 80;
    if (text.size() <= k_max) {
        return fmt::format("\"{}\"", text);
    }
    // Cut on a UTF-8 boundary so the message stays valid text.
    size_t cut = k_max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
        --cut;
    }
    return fmt::format("\"{}...\" ({} bytes)", text.substr(0, cut), text.size());
}

bool is_placeholder(std::string_view text) {
    if (text.size() >= 3 && text.starts_with("${") && text.ends_with("}")) {
        return true;
    }
    if (text.size() >= 3 && text.front() == '#' && text.back() == '#') {
        return true;
    }
    if (text.size() >= 5 && text.starts_with("@@") && text.ends_with("@@")) {
        return true;
    }
    // Template words such as DISK_CAPACITY (Vagrant box templates): upper
    // case, digits and underscores, with at least one underscore.
    if (text.size() < 3 || !(text.front() >= 'A' && text.front() <= 'Z') ||
        text.find('_') == std::string_view::npos) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string_view property_reference(std::string_view text) {
    if (text.size() >= 4 && text.starts_with("${") && text.ends_with("}")) {
        return text.substr(2, text.size() - 3);
    }
    return {};
}

std::vector<std::string_view> split_spaces(std::string_view text) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() &&
               (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
            ++i;
        }
        size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
               text[i] != '\n') {
            ++i;
        }
        if (i > start) {
            out.push_back(text.substr(start, i - start));
        }
    }
    return out;
}

uint32_t field_line(const Item& item, std::string_view name) {
    for (const auto& f : item.fields) {
        if (f.name == name && f.line.number != 0) {
            return f.line.number;
        }
    }
    return item.line.number;
}

std::string describe_item(const Item& item) {
    std::string kind = item.kind == ItemKind::storage_item         ? "StorageItem"
                       : item.kind == ItemKind::ethernet_port_item ? "EthernetPortItem"
                                                                   : "Item";
    auto name = item.display_name();
    auto id = item.instance_id();
    std::string out = "<" + kind + ">";
    if (name && !name->empty()) {
        out += " " + quote(*name);
    }
    if (id) {
        out += fmt::format(" (InstanceID {})", quote(*id));
    }
    return out;
}

bool is_vendor_namespace(std::string_view ns) {
    return ns == k_vmw_ns || ns == k_vbox_ns || ns == k_xenovf_ns || ns == k_ovirt_ns ||
           ns.starts_with("http://www.vmware.com/") ||
           ns.starts_with("http://schemas.citrix.com/") || ns.starts_with("http://www.citrix.com/");
}

namespace {

void collect_contents(const Content& c, const std::string& parent, std::vector<ContentRef>& out,
                      uint32_t depth) {
    std::string path = parent.empty() ? c.id : parent + "/" + c.id;
    out.push_back({&c, path});
    if (depth >= k_max_collection_depth) {
        return; // the reader refuses deeper nesting; never recurse unbounded
    }
    for (const auto& child : c.children) {
        collect_contents(child, path, out, depth + 1);
    }
}

// The prefix a person would write for a namespace in a message.
std::string display_name(const XmlFragment& element) {
    if (element.ns == k_envelope_ns_placeholder || element.ns.empty()) {
        return element.name;
    }
    std::string_view prefix = element.ns == k_vmw_ns      ? "vmw:"
                              : element.ns == k_vbox_ns   ? "vbox:"
                              : element.ns == k_xenovf_ns ? "xenovf:"
                              : element.ns == k_ovirt_ns  ? "ovirt:"
                              : element.ns == k_ovf2_ns   ? "ovf2:"
                                                          : "";
    if (prefix.empty()) {
        return fmt::format("{{{}}}{}", element.ns, element.name);
    }
    return std::string(prefix) + element.name;
}

// Sections ovfkit does not model, with ovf:required absent or true. The spec
// (DSP0243, "ovf:required") makes the consumer refuse them; known vendors'
// sections are real exporters' habit and get a warning instead.
void check_required_sections(Context& ctx, const std::vector<Section>& sections) {
    for (const auto& s : sections) {
        const auto* u = std::get_if<UnknownSection>(&s);
        if (u == nullptr || u->required == false) {
            continue;
        }
        // Foreign elements the reader put in the section list without being
        // named "...Section" (vbox:Machine) follow the same rule: they are
        // content the consumer does not understand.
        std::string what = display_name(u->element);
        if (is_vendor_namespace(u->element.ns)) {
            ctx.warning("OVF-REQ-003", u->element.line.number,
                        fmt::format("vendor section <{}> has no ovf:required=\"false\", so by "
                                    "DSP0243 a consumer that does not know it must refuse the "
                                    "package; ovfkit ignores it (its producer's platform reads it)",
                                    what));
            continue;
        }
        ctx.error("OVF-REQ-001", u->element.line.number,
                  fmt::format("section <{}> is required (ovf:required is absent or true) but "
                              "ovfkit does not support it, so the package cannot be deployed "
                              "faithfully; mark it ovf:required=\"false\" if the appliance works "
                              "without it",
                              what));
    }
}

void check_content(Context& ctx, const ContentRef& ref) {
    const Content& c = *ref.content;
    check_required_sections(ctx, c.sections);
    if (c.kind != ContentKind::virtual_system) {
        return;
    }
    if (c.find<VirtualHardwareSection>() == nullptr) {
        ctx.error("OVF-VS-001", c.line.number,
                  fmt::format("<VirtualSystem> {} has no <VirtualHardwareSection>: there is "
                              "nothing to deploy; add one with at least CPU and memory items",
                              quote(c.id)));
    }
    for (const auto* os : c.find_all<OperatingSystemSection>()) {
        if (ctx.env.version == OvfVersion::ovirt) {
            continue; // oVirt writes the VM's UUID there and its OS id in ovirt:id
        }
        auto id = parse_u64(os->id, "ovf:id");
        if (!id || *id > 65535) {
            ctx.error("OVF-OS-001", os->header.line.number,
                      fmt::format("<OperatingSystemSection> ovf:id {} is not a CIM OsType number "
                                  "(0-65535); use the closest CIM id (e.g. 101 for 64-bit "
                                  "Linux) and name the exact OS in <Description>",
                                  quote(os->id)));
        }
    }
}

} // namespace

} // namespace detail

std::optional<std::string> item_configuration(const Item& item, bool* unqualified) {
    if (unqualified != nullptr) {
        *unqualified = false;
    }
    if (item.configuration) {
        return item.configuration;
    }
    for (const auto& a : item.extra.attributes) {
        if (a.ns.empty() && a.name == "configuration") {
            if (unqualified != nullptr) {
                *unqualified = true;
            }
            return a.value;
        }
    }
    return std::nullopt;
}

void validate(const Envelope& envelope, const std::string& name, Diagnostics& diag,
              const ValidationOptions& options) {
    Diagnostics found;
    detail::Context ctx(envelope, name, found, options);
    detail::collect_contents(envelope.content, "", ctx.all_contents, 0);

    detail::index_and_check_references(ctx);
    detail::check_required_sections(ctx, envelope.sections);
    for (const auto& ref : ctx.all_contents) {
        detail::check_content(ctx, ref);
    }
    detail::check_hardware(ctx);
    detail::check_properties(ctx);
    detail::check_files(ctx);

    // Findings in document order; package-level ones (line 0) first.
    std::vector<Finding> sorted = found.findings();
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Finding& a, const Finding& b) { return a.line < b.line; });
    for (auto& f : sorted) {
        diag.add(std::move(f));
    }
}

namespace {

// Turns a reader failure "NAME:LINE: why" into a finding at that line.
void add_parse_finding(const Error& error, const std::string& name, Diagnostics& diag) {
    std::string_view msg = error.message;
    uint32_t line = 0;
    if (msg.starts_with(name) && msg.size() > name.size() && msg[name.size()] == ':') {
        msg.remove_prefix(name.size() + 1);
        size_t digits = 0;
        uint64_t n = 0;
        while (digits < msg.size() && digits < 10 && msg[digits] >= '0' && msg[digits] <= '9') {
            n = n * 10 + static_cast<uint64_t>(msg[digits] - '0');
            ++digits;
        }
        if (digits > 0 && digits < msg.size() && msg[digits] == ':' && n <= UINT32_MAX) {
            line = static_cast<uint32_t>(n);
            msg.remove_prefix(digits + 1);
        }
        while (msg.starts_with(' ')) {
            msg.remove_prefix(1);
        }
    }
    diag.error("OVF-PARSE-001", std::string(msg), name, line);
}

// XenServer's XenOvf writes encoding="utf-16" in the declaration of a
// UTF-8 file without BOM (shared formats/ovf-ova.md section 10, trap 11).
// Returns a copy declaring UTF-8 when the bytes have exactly that
// declaration; the copy then goes through every check of the loader again
// (invalid UTF-8 is still refused). Line numbers do not move.
std::optional<std::string> undeclare_utf16(std::span<const std::byte> bytes) {
    std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                          std::min<size_t>(bytes.size(), 256));
    if (!text.starts_with("<?xml")) {
        return std::nullopt;
    }
    auto end = text.find("?>");
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    std::string decl(text.substr(0, end));
    std::string lowered = decl;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    for (std::string_view form : {"encoding=\"utf-16\"", "encoding='utf-16'"}) {
        if (auto pos = lowered.find(form); pos != std::string::npos) {
            std::string out(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            out.replace(pos, form.size(), "encoding=\"UTF-8\"");
            return out;
        }
    }
    return std::nullopt;
}

} // namespace

Result<xml::Document> parse_descriptor_xml(std::span<const std::byte> bytes,
                                           const std::string& name, Diagnostics& diag,
                                           const xml::Limits& limits) {
    auto doc = xml::Document::parse(bytes, name, limits);
    if (doc || doc.error().code != Errc::invalid) {
        return doc;
    }
    auto fixed = undeclare_utf16(bytes);
    if (!fixed) {
        return doc;
    }
    auto again = xml::Document::parse(std::string_view(*fixed), name, limits);
    if (!again) {
        // Report the refusal if the copy was refused, else the original error.
        return again.error().code == Errc::invalid ? std::move(doc) : std::move(again);
    }
    diag.warning("OVF-ENC-001",
                 "the XML declaration says encoding=\"utf-16\" but the bytes are UTF-8 "
                 "(XenServer writes this); read as UTF-8. Declare encoding=\"UTF-8\" so that "
                 "strict parsers read it",
                 name, 1);
    return again;
}

Result<Envelope> read_descriptor(std::span<const std::byte> bytes, const std::string& name,
                                 Diagnostics& diag, const xml::Limits& limits) {
    OVFKIT_TRY_ASSIGN(auto doc, parse_descriptor_xml(bytes, name, diag, limits));
    return read_envelope(doc, diag);
}

Result<std::optional<Envelope>> validate_descriptor(std::span<const std::byte> bytes,
                                                    const std::string& name, Diagnostics& diag,
                                                    const DescriptorCheckOptions& options,
                                                    bool* schema_applied) {
    auto doc = parse_descriptor_xml(bytes, name, diag, options.limits);
    if (!doc) {
        if (doc.error().code != Errc::invalid) {
            return fail(std::move(doc).error());
        }
        add_parse_finding(doc.error(), name, diag);
        return std::optional<Envelope>{};
    }
    std::optional<Envelope> model;
    auto env = read_envelope(*doc, diag);
    if (!env) {
        if (env.error().code != Errc::invalid) {
            return fail(std::move(env).error());
        }
        add_parse_finding(env.error(), name, diag);
    } else {
        validate(*env, name, diag, options.semantic);
        model = std::move(*env);
    }
    // The schema check runs even when the model does not read: it often says
    // more precisely what is wrong with the structure.
    bool applied = options.schema && validate_schema(*doc, diag);
    if (schema_applied != nullptr) {
        *schema_applied = applied;
    }
    return model;
}

} // namespace ovfkit::ovf
