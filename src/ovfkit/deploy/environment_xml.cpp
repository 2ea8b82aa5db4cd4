// ovf-env.xml, written as text: the document is small and fixed in shape,
// and writing it here keeps the bytes deterministic (attribute order,
// indentation, escapes) whatever libxml2 version a system has.
#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/xml/escape.hpp>

#ifndef OVFKIT_VERSION
#define OVFKIT_VERSION "0"
#endif

namespace ovfkit::deploy {

namespace {

constexpr std::string_view k_oe_ns = "http://schemas.dmtf.org/ovf/environment/1";

// Appends to `path` the ids of the collections that contain `target`,
// outermost first, then `target`; false (and `path` as it was) when no
// content has that id.
bool chain_to(const ovf::Content& content, std::string_view target, std::vector<std::string>& path,
              uint32_t depth) {
    path.push_back(content.id);
    if (content.id == target) {
        return true;
    }
    if (content.kind == ovf::ContentKind::collection && depth < ovf::k_max_collection_depth) {
        for (const auto& child : content.children) {
            if (chain_to(child, target, path, depth + 1)) {
                return true;
            }
        }
    }
    path.pop_back();
    return false;
}

} // namespace

std::string environment_xml(const ovf::Envelope& envelope, std::string_view system_id,
                            const std::vector<PropertyValue>& values) {
    std::vector<std::string> chain;
    if (!chain_to(envelope.content, system_id, chain, 0)) {
        chain.assign(1, std::string(system_id));
    }

    std::string out;
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<Environment xmlns=\"";
    out += k_oe_ns;
    out += "\" xmlns:oe=\"";
    out += k_oe_ns;
    out += "\" oe:id=\"";
    xml::append_escaped(out, system_id);
    out += "\">\n";
    out += "  <PlatformSection>\n";
    out += "    <Kind>ovfkit</Kind>\n";
    out += "    <Version>" OVFKIT_VERSION "</Version>\n";
    out += "    <Locale>en_US</Locale>\n";
    out += "  </PlatformSection>\n";
    out += "  <PropertySection>\n";
    // Outermost collection first, so a guest reading the list in order sees
    // its own values last.
    for (const auto& id : chain) {
        for (const auto& v : values) {
            if (v.system_id != id) {
                continue;
            }
            out += "    <Property oe:key=\"";
            xml::append_escaped(out, v.key);
            out += "\" oe:value=\"";
            xml::append_escaped(out, v.value);
            out += "\"/>\n";
        }
    }
    out += "  </PropertySection>\n";
    out += "</Environment>\n";
    return out;
}

} // namespace ovfkit::deploy
