#include <array>

#include <gtest/gtest.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/endian.hpp>

namespace ovfkit {
namespace {

TEST(Endian, LittleAndBigReadTheSameBytesDifferently) {
    const std::array<unsigned char, 4> bytes{0x01, 0x02, 0x03, 0x04};
    EXPECT_EQ(load<le32>(bytes.data()).get(), 0x04030201u);
    EXPECT_EQ(load<be32>(bytes.data()).get(), 0x01020304u);
}

TEST(Endian, SetStoresInFileOrder) {
    struct Header {
        be16 a;
        le64 b;
    };
    static_assert(sizeof(Header) == 10);
    Header h;
    h.a = 0xabcd;
    h.b = 0x1122334455667788ULL;
    const auto* raw = reinterpret_cast<const unsigned char*>(&h);
    EXPECT_EQ(raw[0], 0xab);
    EXPECT_EQ(raw[1], 0xcd);
    EXPECT_EQ(raw[2], 0x88);
    EXPECT_EQ(raw[9], 0x11);
    EXPECT_EQ(h.b.get(), 0x1122334455667788ULL);
}

TEST(Checked, DetectsOverflow) {
    EXPECT_EQ(checked_add(1, 2), 3u);
    EXPECT_FALSE(checked_add(UINT64_MAX, 1));
    EXPECT_EQ(checked_mul(1u << 20, 1u << 20), uint64_t{1} << 40);
    EXPECT_FALSE(checked_mul(uint64_t{1} << 33, uint64_t{1} << 31));
    EXPECT_EQ(align_up(513, 512), 1024u);
    EXPECT_FALSE(align_up(UINT64_MAX - 3, 512));
    EXPECT_TRUE(is_power_of_two(4096));
    EXPECT_FALSE(is_power_of_two(0));
    EXPECT_FALSE(is_power_of_two(3000));
}

} // namespace
} // namespace ovfkit
