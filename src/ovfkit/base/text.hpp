// Small text helpers shared by the descriptor parsers.
#pragma once

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

// The last component of a '/'-separated path ("a/b.vhd" -> "b.vhd"); the
// whole text when it has no '/'.
constexpr std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

} // namespace ovfkit
