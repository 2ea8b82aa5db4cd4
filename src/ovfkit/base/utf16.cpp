#include <ovfkit/base/utf16.hpp>

namespace ovfkit {

namespace {

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

} // namespace

std::optional<std::string> utf16_to_utf8(std::span<const std::byte> bytes, std::endian order,
                                         Utf16Nul nul) {
    const bool big = order == std::endian::big;
    auto unit = [&](size_t i) {
        auto first = std::to_integer<uint32_t>(bytes[i * 2]);
        auto second = std::to_integer<uint32_t>(bytes[i * 2 + 1]);
        return big ? first << 8 | second : second << 8 | first;
    };
    const size_t n = bytes.size() / 2;
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        uint32_t c = unit(i);
        if (c == 0 && nul == Utf16Nul::ends) {
            break;
        }
        if (c == 0 && nul == Utf16Nul::refused) {
            return std::nullopt;
        }
        if (c >= 0xDC00 && c <= 0xDFFF) {
            return std::nullopt;
        }
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= n) {
                return std::nullopt;
            }
            uint32_t lo = unit(i + 1);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                return std::nullopt;
            }
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            ++i;
        }
        append_utf8(out, c);
    }
    return out;
}

} // namespace ovfkit
