#include "../descriptor.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/virtualbox/vendor_sections.hpp>

namespace ovfkit::platform::virtualbox {
namespace {

using platform::test::envelope_of;
using platform::test::first_hardware;
using platform::test::os_of;

std::optional<std::string> firmware_of(const std::string& sections) {
    auto env = envelope_of("", "", sections);
    return firmware(env.content, first_hardware(env));
}

std::string machine(const std::string& hardware) {
    return "    <vbox:Machine ovf:required=\"false\" version=\"1.16-linux\" name=\"vm\">\n"
           "      <Hardware>" +
           hardware + "</Hardware>\n    </vbox:Machine>\n";
}

TEST(VirtualboxVendorSections, FirmwareFromMachine) {
    EXPECT_EQ(firmware_of(machine("<Firmware type=\"EFI\"/>")), "efi");
    // Every EFI variant is "efi"; anything else is lowercased.
    EXPECT_EQ(firmware_of(machine("<Firmware type=\"EFI64\"/>")), "efi");
    EXPECT_EQ(firmware_of(machine("<Firmware type=\"EFIDUAL\"/>")), "efi");
    EXPECT_EQ(firmware_of(machine("<Firmware type=\"BIOS\"/>")), "bios");
    // Found by local name at any depth, in VirtualBox's settings namespace.
    EXPECT_EQ(firmware_of("    <vbox:Machine ovf:required=\"false\">"
                          "<v:Hardware xmlns:v=\"http://www.virtualbox.org/\"><v:Firmware "
                          "type=\"EFI\"/></v:Hardware></vbox:Machine>\n"),
              "efi");
}

TEST(VirtualboxVendorSections, NoFirmwareWithoutTheElement) {
    EXPECT_EQ(firmware_of(machine("<CPU count=\"2\"/>")), std::nullopt);
    EXPECT_EQ(firmware_of(machine("<Firmware/>")), std::nullopt);
    EXPECT_EQ(firmware_of(""), std::nullopt);
}

TEST(VirtualboxVendorSections, OsTypeElement) {
    auto env =
        envelope_of("      <vbox:OSType ovf:required=\"false\"> Ubuntu_64 </vbox:OSType>\n", "");
    EXPECT_EQ(os_type(os_of(env)), "Ubuntu_64");
    auto without = envelope_of("", "");
    EXPECT_EQ(os_type(os_of(without)), std::nullopt);
}

} // namespace
} // namespace ovfkit::platform::virtualbox
