// MAC addresses in the plan's form (platform/mac.hpp).
#include <gtest/gtest.h>

#include <ovfkit/platform/mac.hpp>

namespace ovfkit::platform {
namespace {

TEST(MacAddress, SixColonSeparatedHexOctetsOfEitherCase) {
    EXPECT_TRUE(is_mac_address("00:50:56:aa:BB:0c"));
    for (const char* bad : {"", "00:50:56:aa:bb", "00:50:56:aa:bb:cc:dd", "00-50-56-aa-bb-cc",
                            "00:50:56:aa:bb:cg", "0:050:56:aa:bb:cc", "00:50:56:aa:bb:c "}) {
        EXPECT_FALSE(is_mac_address(bad)) << bad;
    }
}

TEST(MacAddress, UnicastHasTheGroupBitClear) {
    EXPECT_TRUE(is_unicast_mac("52:54:00:12:34:56"));
    EXPECT_TRUE(is_unicast_mac("FE:ff:ff:ff:ff:ff"));  // locally administered, unicast
    EXPECT_FALSE(is_unicast_mac("01:00:5e:00:00:01")); // IPv4 multicast
    EXPECT_FALSE(is_unicast_mac("ff:ff:ff:ff:ff:ff")); // broadcast
    EXPECT_FALSE(is_unicast_mac("0B:00:00:00:00:00"));
    EXPECT_FALSE(is_unicast_mac("52:54:00:12:34"));
}

} // namespace
} // namespace ovfkit::platform
