#include <vector>

#include <gtest/gtest.h>

#include <ovfkit/base/bytes.hpp>

namespace ovfkit {
namespace {

TEST(Bytes, IsAllZeroFindsANonZeroByteAnywhere) {
    for (size_t size : {0u, 1u, 15u, 16u, 17u, 32u, 4097u}) {
        std::vector<std::byte> b(size);
        EXPECT_TRUE(is_all_zero(b)) << size;
        // Around the 16-byte head the shifted comparison starts from.
        for (size_t at : {size_t{0}, size_t{15}, size_t{16}, size / 2, size - 1}) {
            if (size == 0 || at >= size) {
                continue;
            }
            b[at] = std::byte{1};
            EXPECT_FALSE(is_all_zero(b)) << size << " at " << at;
            b[at] = std::byte{0};
        }
    }
}

} // namespace
} // namespace ovfkit
