#include "../descriptor.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/vmware/vendor_sections.hpp>

namespace ovfkit::platform::vmware {
namespace {

using platform::test::envelope_of;
using platform::test::first_hardware;
using platform::test::os_of;

std::optional<std::string> firmware_of(const std::string& hardware) {
    auto env = envelope_of("", hardware);
    return firmware(env.content, first_hardware(env));
}

TEST(VmwareVendorSections, FirmwareFromConfig) {
    EXPECT_EQ(firmware_of("      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" "
                          "vmw:value=\"efi\"/>\n"),
              "efi");
    // Values are lowercased; other keys before it are skipped.
    EXPECT_EQ(firmware_of("      <vmw:Config vmw:key=\"cpuHotAddEnabled\" vmw:value=\"true\"/>\n"
                          "      <vmw:Config vmw:key=\"firmware\" vmw:value=\"BIOS\"/>\n"),
              "bios");
}

TEST(VmwareVendorSections, NoFirmwareWithoutTheKey) {
    EXPECT_EQ(firmware_of("      <vmw:Config vmw:key=\"tools.syncTimeWithHost\" "
                          "vmw:value=\"false\"/>\n"),
              std::nullopt);
    // ExtraConfig holds raw .vmx keys, not the firmware setting.
    EXPECT_EQ(firmware_of("      <vmw:ExtraConfig vmw:key=\"firmware\" vmw:value=\"efi\"/>\n"),
              std::nullopt);
    // A key without a value says nothing.
    EXPECT_EQ(firmware_of("      <vmw:Config vmw:key=\"firmware\"/>\n"), std::nullopt);
    auto env = envelope_of("", "");
    EXPECT_EQ(first_hardware(env), nullptr);
    EXPECT_EQ(firmware(env.content, nullptr), std::nullopt);
}

TEST(VmwareVendorSections, OsTypeAttribute) {
    auto env = envelope_of("", "", "", " vmw:osType=\"ubuntu64Guest\"");
    EXPECT_EQ(os_type(os_of(env)), "ubuntu64Guest");
    auto without = envelope_of("", "");
    EXPECT_EQ(os_type(os_of(without)), std::nullopt);
}

} // namespace
} // namespace ovfkit::platform::vmware
