#include <gtest/gtest.h>

#include <ovfkit/ovf/units.hpp>

namespace ovfkit::ovf {
namespace {

TEST(OvfUnits, ProgrammaticUnits) {
    EXPECT_EQ(parse_allocation_units("").value(), 1u);
    EXPECT_EQ(parse_allocation_units("byte").value(), 1u);
    EXPECT_EQ(parse_allocation_units("byte * 2^30").value(), uint64_t{1} << 30);
    EXPECT_EQ(parse_allocation_units("byte*2^20").value(), uint64_t{1} << 20);
    EXPECT_EQ(parse_allocation_units("Byte * 2^10").value(), uint64_t{1} << 10);
    EXPECT_EQ(parse_allocation_units("byte * 10^9").value(), 1000000000u);
    EXPECT_EQ(parse_allocation_units("byte * 1024").value(), 1024u);
    EXPECT_EQ(parse_allocation_units("byte * 2^10 * 1000").value(), 1024000u);
    EXPECT_EQ(parse_allocation_units("byte * 2^62").value(), uint64_t{1} << 62);
}

TEST(OvfUnits, LegacyWords) {
    EXPECT_EQ(parse_allocation_units("KiloBytes").value(), 1024u);
    EXPECT_EQ(parse_allocation_units("MegaBytes").value(), uint64_t{1} << 20);
    EXPECT_EQ(parse_allocation_units("GigaBytes").value(), uint64_t{1} << 30);
    EXPECT_EQ(parse_allocation_units("TeraBytes").value(), uint64_t{1} << 40);
}

TEST(OvfUnits, RefusesNonByteAndOverflow) {
    auto r = parse_allocation_units("hertz * 10^6");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_EQ(r.error().message, "allocation units \"hertz * 10^6\" are not a byte unit");
    EXPECT_EQ(parse_allocation_units("Processor Cores").error().message,
              "allocation units \"Processor Cores\" are not a byte unit");
    EXPECT_EQ(parse_allocation_units("byte * 2^63").error().message,
              "allocation units \"byte * 2^63\": exponent 63 is too large");
    EXPECT_EQ(parse_allocation_units("byte * 10^19").error().message,
              "allocation units \"byte * 10^19\": exponent 19 is too large");
    EXPECT_EQ(parse_allocation_units("byte * 2^40 * 2^30").error().message,
              "allocation units \"byte * 2^40 * 2^30\" exceed 2^63 - 1 bytes");
    EXPECT_FALSE(parse_allocation_units("byte * 3^2"));
    EXPECT_FALSE(parse_allocation_units("byte * "));
    EXPECT_FALSE(parse_allocation_units("byte * 0"));
    EXPECT_FALSE(parse_allocation_units("byte ** 2"));
}

TEST(OvfUnits, CapacityBytes) {
    EXPECT_EQ(capacity_bytes("16", "byte * 2^30").value(), 16 * (uint64_t{1} << 30));
    EXPECT_EQ(capacity_bytes("10737418240", "").value(), 10737418240u);
    EXPECT_EQ(capacity_bytes("8589934592", "byte * 2^30").error().message,
              "capacity 8589934592 x \"byte * 2^30\" exceeds 2^63 - 1 bytes");
    EXPECT_EQ(capacity_bytes("${disk.size}", "byte").error().message,
              "capacity \"${disk.size}\" is not an unsigned decimal number below 2^64");
    EXPECT_FALSE(capacity_bytes("-1", "byte"));
    EXPECT_FALSE(capacity_bytes(" 1", "byte"));
    EXPECT_FALSE(capacity_bytes("+1", "byte"));
    EXPECT_FALSE(capacity_bytes("18446744073709551616", "byte"));
}

} // namespace
} // namespace ovfkit::ovf
