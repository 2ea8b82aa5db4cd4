// PowerShell quoting: appliance text reaches import.ps1 only as string data
// (SECURITY.md R22). In a single-quoted string PowerShell interprets
// nothing but the quote itself, and it takes four Unicode quotes for one as
// well (U+2018-U+201B, the tokenizer's IsSingleQuote); a doubled quote is
// one quote character. The writer goes one step further and keeps the
// script pure ASCII (expression()), because Windows PowerShell 5.1 reads a
// BOM-less script in the ANSI code page, where a UTF-8 continuation byte
// 0x91, 0x92 or 0x82 would decode as a quote.
#include <cstdint>

#include <fmt/format.h>

#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

bool is_single_quote(uint32_t cp) {
    return cp == '\'' || (cp >= 0x2018 && cp <= 0x201B);
}

// The next code point of `text` at `i` (advanced past it); U+FFFD for a
// byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and values past U+10FFFF included), one byte consumed.
uint32_t next_code_point(std::string_view text, size_t& i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char b0 = byte(i);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        ++i;
        return 0xFFFD;
    }
    if (i + len > text.size()) {
        ++i;
        return 0xFFFD;
    }
    for (size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return 0xFFFD;
    }
    i += len;
    return cp;
}

} // namespace

std::string literal(std::string_view text) {
    std::string out = "'";
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        uint32_t cp = next_code_point(text, i);
        if (cp == 0xFFFD && !(i - start == 3 && text.substr(start, 3) == "\xEF\xBF\xBD")) {
            out += "\xEF\xBF\xBD"; // a malformed byte: the script stays valid UTF-8
            continue;
        }
        std::string_view ch = text.substr(start, i - start);
        out += ch;
        if (is_single_quote(cp)) {
            out += ch;
        }
    }
    out += '\'';
    return out;
}

std::string expression(std::string_view text) {
    std::vector<std::string> parts;
    std::string run; // printable ASCII, not yet quoted
    auto flush = [&] {
        if (!run.empty()) {
            parts.push_back(literal(run));
            run.clear();
        }
    };
    size_t i = 0;
    while (i < text.size()) {
        uint32_t cp = next_code_point(text, i);
        if (cp >= 0x20 && cp < 0x7F) {
            run += static_cast<char>(cp);
            continue;
        }
        flush();
        if (cp > 0xFFFF) {
            // .NET strings are UTF-16: a surrogate pair.
            uint32_t v = cp - 0x10000;
            parts.push_back(fmt::format("[char]0x{:04X}", 0xD800 + (v >> 10)));
            parts.push_back(fmt::format("[char]0x{:04X}", 0xDC00 + (v & 0x3FF)));
        } else {
            parts.push_back(fmt::format("[char]0x{:04X}", cp));
        }
    }
    flush();
    if (parts.empty()) {
        return "''";
    }
    if (parts.size() == 1 && parts[0].front() == '\'') {
        return parts[0];
    }
    // A leading '' makes + string concatenation even when the first part
    // is a [char].
    std::string out = parts[0].front() == '\'' ? "(" : "(''";
    for (size_t k = 0; k < parts.size(); ++k) {
        if (k > 0 || out.size() > 1) {
            out += " + ";
        }
        out += parts[k];
    }
    return out + ")";
}

} // namespace ovfkit::platform::hyperv
