#include <gtest/gtest.h>

#include <ovfkit/base/units.hpp>

namespace ovfkit {
namespace {

TEST(Units, ParsesBinarySuffixes) {
    EXPECT_EQ(parse_size("512").value(), 512u);
    EXPECT_EQ(parse_size("64K").value(), 64u * KiB);
    EXPECT_EQ(parse_size("2M").value(), 2u * MiB);
    EXPECT_EQ(parse_size("8GiB").value(), 8u * GiB);
    EXPECT_EQ(parse_size("1t").value(), TiB);
}

TEST(Units, RefusesWithTheTextInTheMessage) {
    auto r = parse_size("12X");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_EQ(r.error().message, "size '12X' has an unknown unit (use K, M, G or T)");
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("M"));
    EXPECT_FALSE(parse_size("99999999999999999999"));
    EXPECT_FALSE(parse_size("17179869184T"));
}

TEST(Units, FormatsForPeople) {
    EXPECT_EQ(format_size(512), "512 B");
    EXPECT_EQ(format_size(64 * MiB), "64 MiB");
    EXPECT_EQ(format_size(1536 * KiB), "1.5 MiB");
}

} // namespace
} // namespace ovfkit
