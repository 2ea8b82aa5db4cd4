#include <set>

#include <gtest/gtest.h>

#include <ovfkit/base/uuid.hpp>

namespace ovfkit {
namespace {

TEST(Uuid, RandomUuidsAreVersion4WithTheRfcVariantAndDiffer) {
    std::set<Uuid> seen;
    for (int i = 0; i < 64; ++i) {
        auto u = random_uuid();
        ASSERT_TRUE(u) << u.error().message;
        EXPECT_EQ((*u)[6] & 0xF0, 0x40);
        EXPECT_EQ((*u)[8] & 0xC0, 0x80);
        seen.insert(*u);
    }
    EXPECT_EQ(seen.size(), 64u);
}

TEST(Uuid, GuidOrderSwapsTheFirstThreeFields) {
    const Uuid u{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    EXPECT_EQ(as_guid_bytes(u), (Uuid{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99,
                                      0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}));
    EXPECT_EQ(uuid_text(u), "00112233-4455-6677-8899-aabbccddeeff");
}

} // namespace
} // namespace ovfkit
