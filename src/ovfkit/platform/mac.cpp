#include <ovfkit/platform/mac.hpp>

namespace ovfkit::platform {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
        return (c | 0x20) - 'a' + 10;
    }
    return -1;
}

} // namespace

bool is_mac_address(std::string_view text) {
    if (text.size() != 17) {
        return false;
    }
    for (size_t i = 0; i < text.size(); ++i) {
        if (i % 3 == 2 ? text[i] != ':' : hex_value(text[i]) < 0) {
            return false;
        }
    }
    return true;
}

bool is_unicast_mac(std::string_view text) {
    return is_mac_address(text) && (hex_value(text[1]) & 1) == 0;
}

} // namespace ovfkit::platform
