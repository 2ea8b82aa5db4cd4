#include <string>

#include <gtest/gtest.h>

#include <ovfkit/xml/document.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::xml {
namespace {

// Written into an attribute quoted either way and into element content,
// each string reads back, through the hardened parser, as itself.
TEST(XmlEscape, HostileStringsReadBackLiterally) {
    const std::string hostile[] = {
        "plain",
        "a & b < c > d",
        "quote \" apostrophe ' both",
        "</domain><evil/>",
        "'; rm -rf / #",
        "$(touch /tmp/x) `id` |cat",
        "line1\nline2\ttab\rcr",
        "  leading and trailing  ",
        "\xc3\xa9t\xc3\xa9 \xe2\x80\x99 \xf0\x9f\x92\xbe",
        "]]> &amp; &#10;",
    };
    for (const std::string& s : hostile) {
        std::string e = escaped(s);
        std::string doc = "<r a=\"" + e + "\" b='" + e + "'>" + e + "</r>";
        auto parsed = Document::parse(doc, "t.xml");
        ASSERT_TRUE(parsed) << s << ": " << parsed.error().message;
        Element root = parsed->root();
        EXPECT_EQ(root.attribute("", "a"), s);
        EXPECT_EQ(root.attribute("", "b"), s);
        EXPECT_EQ(root.text(), s);
    }
}

// What XML 1.0 cannot hold becomes U+FFFD, one per byte, and the result is
// well-formed.
TEST(XmlEscape, UnrepresentableBytesBecomeReplacementCharacters) {
    EXPECT_EQ(escaped(std::string("a\x01z", 3)), "a\xef\xbf\xbdz");
    EXPECT_EQ(escaped(std::string("a\0z", 3)), "a\xef\xbf\xbdz");
    EXPECT_EQ(escaped("\x7f"), "&#127;");
    EXPECT_EQ(escaped("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                 // overlong '/'
    EXPECT_EQ(escaped("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); // a surrogate
    EXPECT_EQ(escaped("\xef\xbf\xbe"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); // U+FFFE
    EXPECT_EQ(escaped("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");                 // cut short
    auto parsed =
        Document::parse("<r a=\"" + escaped(std::string("\x01\xff\x7f", 3)) + "\"/>", "t");
    EXPECT_TRUE(parsed);
}

} // namespace
} // namespace ovfkit::xml
