#include <gtest/gtest.h>

#include <ovfkit/base/text.hpp>

namespace ovfkit {
namespace {

TEST(Text, AsciiCaseFoldingLeavesOtherBytesAlone) {
    EXPECT_EQ(ascii_lower("StreamOptimized-VMDK_09"), "streamoptimized-vmdk_09");
    EXPECT_EQ(ascii_lower("\xC3\x84Z"), "\xC3\x84z"); // UTF-8 bytes are not letters here
    EXPECT_TRUE(iequals("monolithicSparse", "MONOLITHICSPARSE"));
    EXPECT_FALSE(iequals("sparse", "sparse "));
    EXPECT_FALSE(iequals("a", "b"));
    EXPECT_TRUE(iequals("", ""));
}

TEST(Text, BaseNameIsTheLastComponent) {
    EXPECT_EQ(base_name("dir/sub/disk.vmdk"), "disk.vmdk");
    EXPECT_EQ(base_name("disk.vmdk"), "disk.vmdk");
    EXPECT_EQ(base_name("/disk.vmdk"), "disk.vmdk");
    EXPECT_EQ(base_name("dir/"), "");
}

} // namespace
} // namespace ovfkit
