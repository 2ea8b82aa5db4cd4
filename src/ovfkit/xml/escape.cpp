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

std::string_view unfit(std::string_view text, bool whitespace, bool refuse_del) {
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            bool space = c == '\t' || c == '\n' || c == '\r';
            if ((c < 0x20 && !(whitespace && space)) || (refuse_del && c == 0x7f)) {
                return "a control character";
            }
            ++i;
            continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (len == 0 || c > 0xf4 || i + len > text.size()) {
            return "invalid UTF-8";
        }
        uint32_t cp = c & (0x3f >> (len - 1));
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xc0) != 0x80) {
                return "invalid UTF-8";
            }
            cp = (cp << 6) | (cc & 0x3f);
        }
        bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff) {
            return "invalid UTF-8";
        }
        i += len;
    }
    return {};
}

} // namespace ovfkit::xml
