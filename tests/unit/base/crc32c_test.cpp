#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <ovfkit/base/crc32c.hpp>

namespace ovfkit {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

// Check value from the CRC catalogue (CRC-32/ISCSI) and the test vectors of
// RFC 3720 appendix B.4.
TEST(Crc32c, KnownVectors) {
    EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
    EXPECT_EQ(crc32c({}), 0u);
    std::vector<std::byte> v(32, std::byte{0});
    EXPECT_EQ(crc32c(v), 0x8A9136AAu);
    EXPECT_EQ(crc32c_portable(v), 0x8A9136AAu);
    std::fill(v.begin(), v.end(), std::byte{0xff});
    EXPECT_EQ(crc32c(v), 0x62A8AB43u);
    for (size_t i = 0; i < 32; ++i) {
        v[i] = std::byte(i);
    }
    EXPECT_EQ(crc32c(v), 0x46DD794Eu);
    EXPECT_EQ(crc32c_portable(v), 0x46DD794Eu);
    for (size_t i = 0; i < 32; ++i) {
        v[i] = std::byte(31 - i);
    }
    EXPECT_EQ(crc32c(v), 0x113FDB5Cu);
}

TEST(Crc32c, PiecewiseEqualsWholeAndPathsAgree) {
    std::mt19937 rng(7);
    std::vector<std::byte> data(10007);
    for (auto& b : data) {
        b = std::byte(rng() & 0xff);
    }
    uint32_t whole = crc32c(data);
    EXPECT_EQ(crc32c_portable(data), whole);
    for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{4096}, data.size()}) {
        std::span<const std::byte> s(data);
        uint32_t c = crc32c(s.subspan(0, cut));
        EXPECT_EQ(crc32c(s.subspan(cut), c), whole) << cut;
        EXPECT_EQ(crc32c_portable(s.subspan(cut), crc32c_portable(s.subspan(0, cut))), whole);
    }
    // Unaligned starts exercise the byte loop on both ends.
    for (size_t off = 1; off < 9; ++off) {
        std::span<const std::byte> s(data);
        EXPECT_EQ(crc32c(s.subspan(off)), crc32c_portable(s.subspan(off))) << off;
    }
}

} // namespace
} // namespace ovfkit
