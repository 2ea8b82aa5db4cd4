#include <string>

#include <gtest/gtest.h>

#include <ovfkit/platform/vendor_xml.hpp>

namespace ovfkit::platform {
namespace {

ovf::XmlFragment fragment(std::string xml) {
    ovf::XmlFragment f;
    f.xml = std::move(xml);
    f.name = "Machine";
    return f;
}

// <Firmware type="EFI"/> below `levels` wrapper elements of the root.
std::string nested(int levels) {
    std::string open;
    std::string close;
    for (int i = 0; i < levels; ++i) {
        open += "<w>";
        close = "</w>" + close;
    }
    return "<Machine>" + open + "<Firmware type=\"EFI\"/>" + close + "</Machine>";
}

TEST(VendorXml, ParsesFragmentsOrSaysNothing) {
    auto doc = parse_fragment(fragment("<Machine name=\"vm\"><Hardware/></Machine>"));
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->root().name(), "Machine");
    EXPECT_EQ(doc->root().attribute("", "name"), "vm");
    EXPECT_FALSE(parse_fragment(fragment("<Machine>")));
    EXPECT_FALSE(parse_fragment(fragment("")));
    // The hardened loader refuses DTDs here too.
    EXPECT_FALSE(
        parse_fragment(fragment("<!DOCTYPE m [<!ENTITY e \"x\">]><Machine>&e;</Machine>")));
}

TEST(VendorXml, FindsDescendantsByLocalNameAtBoundedDepth) {
    auto root_doc = parse_fragment(fragment(nested(0)));
    ASSERT_TRUE(root_doc);
    EXPECT_EQ(find_descendant(root_doc->root(), "Machine").name(), "Machine");
    // The root is depth 0; elements down to depth 17 are looked at.
    auto deep = parse_fragment(fragment(nested(16)));
    ASSERT_TRUE(deep);
    auto found = find_descendant(deep->root(), "Firmware");
    ASSERT_TRUE(found);
    EXPECT_EQ(found.attribute("", "type"), "EFI");
    auto too_deep = parse_fragment(fragment(nested(17)));
    ASSERT_TRUE(too_deep);
    EXPECT_FALSE(find_descendant(too_deep->root(), "Firmware"));
    EXPECT_FALSE(find_descendant(deep->root(), "Missing"));
}

TEST(VendorXml, LowercasesAsciiOnly) {
    EXPECT_EQ(ascii_lower("EFI"), "efi");
    EXPECT_EQ(ascii_lower("Bios-64_Z"), "bios-64_z");
    EXPECT_EQ(ascii_lower("\xC3\x89"), "\xC3\x89"); // UTF-8 É is left alone
    EXPECT_EQ(ascii_lower(""), "");
}

} // namespace
} // namespace ovfkit::platform
