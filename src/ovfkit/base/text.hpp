// Small text helpers shared by the descriptor parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ovfkit {

// XML white space (and what descriptor lines may carry): space, tab, CR, LF.
constexpr bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// `text` without surrounding white space.
constexpr std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// ASCII case folding, whatever the locale: 'A'..'Z' become 'a'..'z', every
// other byte stays.
constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = ascii_lower(c);
    }
    return out;
}

// True when `a` and `b` are equal but for ASCII case.
constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

// The last component of a '/'-separated path ("a/b.vhd" -> "b.vhd"); the
// whole text when it has no '/'.
constexpr std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The value of a hexadecimal digit (either case), -1 for anything else.
constexpr int hex_digit(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

// A decimal number of at most 19 digits (so it cannot overflow), nothing
// else: no sign, no spaces; nullopt otherwise.
inline std::optional<uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 19) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

// Untrusted text (a VM name, a path from a config) inside a one-line
// message: C0 controls, DEL, '\\' and '\'' written as \xNN, so it can
// neither break the line nor end the quotes around it; at most `max`
// bytes, then "...".
inline std::string shown(std::string_view text, size_t max = 200) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (char ch : text.substr(0, max)) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f || ch == '\\' || ch == '\'') {
            out += "\\x";
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        } else {
            out += ch;
        }
    }
    return text.size() > max ? out + "..." : out;
}

} // namespace ovfkit
