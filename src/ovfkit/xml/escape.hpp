// Escaping text for XML written by hand (environment documents, libvirt
// domain and volume XML, .vbox, XVA metadata): one escaper, so every writer
// keeps appliance strings literal the same way (SECURITY.md R22).
#pragma once

#include <string>
#include <string_view>

namespace ovfkit::xml {

// Appends `text` escaped for element content or an attribute value quoted
// with either quote: & < > " ' as entities; tab, newline and carriage
// return as character references (attribute-value normalisation would turn
// them into spaces); DEL as &#127;. What XML 1.0 cannot hold (other C0
// controls, invalid or overlong UTF-8, surrogates, U+FFFE, U+FFFF) becomes
// U+FFFD, so the output is always well-formed; callers that must not alter
// a value check it first and refuse it.
void append_escaped(std::string& out, std::string_view text);

// Why `text` cannot be written into an XML document as it is, or "" when
// it can: "invalid UTF-8" (overlong forms, surrogates, past U+10FFFF, U+FFFE,
// U+FFFF, a sequence cut short) or "a control character" (C0 controls; tab,
// LF and CR too unless `whitespace`; DEL too when `refuse_del`, for a value
// a config reader would not take). For writers that refuse such a value
// rather than let escaped() replace what cannot be carried.
std::string_view unfit(std::string_view text, bool whitespace = true, bool refuse_del = false);

inline std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text);
    return out;
}

} // namespace ovfkit::xml
