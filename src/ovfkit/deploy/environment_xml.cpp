// ovf-env.xml, written as text: the document is small and fixed in shape,
// and writing it here keeps the bytes deterministic (attribute order,
// indentation, escapes) whatever libxml2 version a system has.
#include <ovfkit/deploy/environment.hpp>

#ifndef OVFKIT_VERSION
#define OVFKIT_VERSION "0"
#endif

namespace ovfkit::deploy {

namespace {

constexpr std::string_view k_oe_ns = "http://schemas.dmtf.org/ovf/environment/1";
constexpr std::string_view k_replacement = "\xef\xbf\xbd"; // U+FFFD

// Appends `text` escaped for an attribute value in double quotes. White
// space that attribute-value normalisation would turn into spaces is
// written as character references; characters XML 1.0 cannot hold become
// U+FFFD.
void append_escaped(std::string& out, std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '\t':
                out += "&#9;";
                break;
            case '\n':
                out += "&#10;";
                break;
            case '\r':
                out += "&#13;";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    // DEL is allowed by XML but is a control; keep it visible.
                    out += c == 0x7f ? std::string("&#127;") : std::string(k_replacement);
                } else {
                    out += static_cast<char>(c);
                }
            }
            ++i;
            continue;
        }
        size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size();
        uint32_t cp = 0;
        if (ok) {
            cp = c & (len == 2 ? 0x1fu : len == 3 ? 0x0fu : 0x07u);
            for (size_t k = 1; k < len; ++k) {
                auto b = static_cast<unsigned char>(text[i + k]);
                ok = ok && (b & 0xc0) == 0x80;
                cp = (cp << 6) | (b & 0x3fu);
            }
        }
        // Overlong forms, surrogates, values past U+10FFFF and the two
        // non-characters XML excludes are not characters of an XML document.
        if (ok) {
            uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
            ok = cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && cp != 0xfffe &&
                 cp != 0xffff;
        }
        if (ok) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += k_replacement;
            ++i;
        }
    }
}

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
    append_escaped(out, system_id);
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
            append_escaped(out, v.key);
            out += "\" oe:value=\"";
            append_escaped(out, v.value);
            out += "\"/>\n";
        }
    }
    out += "  </PropertySection>\n";
    out += "</Environment>\n";
    return out;
}

} // namespace ovfkit::deploy
