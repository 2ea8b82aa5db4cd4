// The XML escaper; see escape.hpp.
#include <cstdint>

#include <ovfkit/xml/escape.hpp>

namespace ovfkit::xml {

namespace {
constexpr std::string_view k_replacement = "\xef\xbf\xbd"; // U+FFFD
} // namespace

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

} // namespace ovfkit::xml
