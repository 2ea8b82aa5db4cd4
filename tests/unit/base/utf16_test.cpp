// UTF-16 to UTF-8 (base/utf16.hpp): both byte orders, surrogate pairs, and
// the three meanings of a NUL.
#include <vector>

#include <gtest/gtest.h>

#include <ovfkit/base/utf16.hpp>

namespace ovfkit {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) {
        out.push_back(static_cast<std::byte>(b));
    }
    return out;
}

TEST(Utf16, BothByteOrdersAndSurrogatePairs) {
    // "aé€😀" in UTF-16LE and UTF-16BE.
    auto le = bytes({0x61, 0x00, 0xE9, 0x00, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE});
    auto be = bytes({0x00, 0x61, 0x00, 0xE9, 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00});
    const std::string want = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    EXPECT_EQ(utf16_to_utf8(le, std::endian::little, Utf16Nul::refused), want);
    EXPECT_EQ(utf16_to_utf8(be, std::endian::big, Utf16Nul::refused), want);
}

TEST(Utf16, UnpairedSurrogatesAreRefused) {
    EXPECT_FALSE(utf16_to_utf8(bytes({0x3D, 0xD8}), std::endian::little, Utf16Nul::kept));
    EXPECT_FALSE(
        utf16_to_utf8(bytes({0x3D, 0xD8, 0x61, 0x00}), std::endian::little, Utf16Nul::kept));
    EXPECT_FALSE(utf16_to_utf8(bytes({0x00, 0xDE}), std::endian::little, Utf16Nul::kept));
}

TEST(Utf16, ANulEndsIsRefusedOrIsKept) {
    auto text = bytes({0x61, 0x00, 0x00, 0x00, 0x62, 0x00});
    EXPECT_EQ(utf16_to_utf8(text, std::endian::little, Utf16Nul::ends), "a");
    EXPECT_FALSE(utf16_to_utf8(text, std::endian::little, Utf16Nul::refused));
    EXPECT_EQ(utf16_to_utf8(text, std::endian::little, Utf16Nul::kept), std::string("a\0b", 3));
    // A trailing odd byte is not a code unit.
    EXPECT_EQ(utf16_to_utf8(bytes({0x61, 0x00, 0x62}), std::endian::little, Utf16Nul::refused),
              "a");
}

} // namespace
} // namespace ovfkit
