#include <set>
#include <string>

#include "descriptor.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/registry.hpp>

namespace ovfkit::platform {
namespace {

TEST(PlatformRegistry, NamesAreUniqueAndWellFormed) {
    std::set<std::string_view> names;
    for (const auto& p : all()) {
        EXPECT_TRUE(names.insert(p.name).second) << "duplicate platform " << p.name;
        EXPECT_FALSE(p.display_name.empty()) << p.name;
        for (char c : p.name) {
            EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << p.name;
        }
    }
    EXPECT_EQ(names, (std::set<std::string_view>{"vmware", "virtualbox", "ovirt", "libvirt",
                                                 "hyperv", "xenserver", "proxmox"}));
}

TEST(PlatformRegistry, FindsByName) {
    for (const auto& p : all()) {
        EXPECT_EQ(find(p.name), &p);
    }
    ASSERT_NE(find("vmware"), nullptr);
    EXPECT_EQ(find("vmware")->display_name, "VMware vSphere, Workstation and Fusion");
    EXPECT_EQ(find("VMware"), nullptr);
    EXPECT_EQ(find(""), nullptr);
    EXPECT_EQ(find("qemu"), nullptr);
}

TEST(PlatformRegistry, VendorReadersAreDeclaredByTheirPlatforms) {
    ASSERT_NE(find("vmware"), nullptr);
    ASSERT_NE(find("virtualbox"), nullptr);
    EXPECT_NE(find("vmware")->vendor.firmware, nullptr);
    EXPECT_NE(find("vmware")->vendor.os_type, nullptr);
    EXPECT_NE(find("virtualbox")->vendor.firmware, nullptr);
    EXPECT_NE(find("virtualbox")->vendor.os_type, nullptr);
}

// With both vendors' elements, VMware's answer wins (table order), as it
// always has in `ovfkit info`; each answers alone.
TEST(PlatformRegistry, AsksPlatformsInTableOrder) {
    const std::string vbox_os =
        "      <vbox:OSType ovf:required=\"false\">Debian_64</vbox:OSType>\n";
    const std::string vmw_hw =
        "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"bios\"/>\n";
    const std::string vbox_machine = "    <vbox:Machine ovf:required=\"false\" name=\"vm\">"
                                     "<Hardware><Firmware type=\"EFI\"/></Hardware>"
                                     "</vbox:Machine>\n";

    auto both =
        test::envelope_of(vbox_os, vmw_hw, vbox_machine, " vmw:osType=\"debian11_64Guest\"");
    EXPECT_EQ(vendor_os_type(test::os_of(both)), "debian11_64Guest");
    EXPECT_EQ(vendor_firmware(both.content, test::first_hardware(both)), "bios");

    auto vbox = test::envelope_of(vbox_os, "", vbox_machine);
    EXPECT_EQ(vendor_os_type(test::os_of(vbox)), "Debian_64");
    EXPECT_EQ(vendor_firmware(vbox.content, test::first_hardware(vbox)), "efi");

    auto none = test::envelope_of("", "      <Item/>\n");
    EXPECT_EQ(vendor_os_type(test::os_of(none)), std::nullopt);
    EXPECT_EQ(vendor_firmware(none.content, test::first_hardware(none)), std::nullopt);
}

} // namespace
} // namespace ovfkit::platform
