// The .vmx reader on well-formed and hostile text.
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/platform/vmware/vmx_reader.hpp>

namespace ovfkit::platform::vmware {
namespace {

TEST(VmxReader, ReadsKeysWithoutCaseAndDecodesEscapes) {
    std::string text = ".encoding = \"UTF-8\"\r\n"
                       "# a comment\n"
                       "\n"
                       "displayName = \"say |22hi|22 |7C pipe|0Anext\"\n"
                       "memSize = \"2048\"  # trailing comment\n"
                       "numvcpus=\"4\"\n"
                       "scsi0:0.fileName = \"disk.vmdk\"\n"
                       "ethernet0.present = \"true\"\n"
                       "memsize = \"4096\"\n";
    auto c = parse_vmx(text, "t.vmx");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->get("DISPLAYNAME").value(), "say \"hi\" | pipe\nnext");
    EXPECT_EQ(c->get("memsize").value(), "2048"); // the first one, as libvirt reads it
    EXPECT_EQ(c->line("memsize"), 5u);
    EXPECT_EQ(c->get("NumVCPUs").value(), "4");
    EXPECT_EQ(c->get("Scsi0:0.FileName").value(), "disk.vmdk");
    EXPECT_EQ(c->get_bool("ethernet0.present"), true);
    EXPECT_FALSE(c->get("absent"));
    ASSERT_EQ(c->duplicates().size(), 1u);
    EXPECT_EQ(c->duplicates()[0].first, "memsize");
    EXPECT_EQ(c->duplicates()[0].second, 9u);
    EXPECT_EQ(c->entries().size(), 7u);
}

TEST(VmxReader, BadEscapesAreInvalidWithTheLine) {
    for (const char* v : {"a|2", "a|zz", "|", "x|g0"}) {
        auto c = parse_vmx(std::string("k = \"ok\"\nname = \"") + v + "\"\n", "t.vmx");
        ASSERT_FALSE(c) << v;
        EXPECT_EQ(c.error().code, Errc::invalid) << v;
        EXPECT_NE(c.error().message.find("t.vmx:2:"), std::string::npos) << c.error().message;
        EXPECT_NE(c.error().message.find("hex"), std::string::npos) << c.error().message;
    }
}

TEST(VmxReader, NulBytesAreRefused) {
    std::string text = "a = \"b\"\nc = \"d";
    text += '\0';
    text += "e\"\n";
    auto c = parse_vmx(text, "t.vmx");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::refused);
    EXPECT_NE(c.error().message.find("NUL"), std::string::npos);

    auto escaped = parse_vmx("a = \"x|00y\"\n", "t.vmx");
    ASSERT_FALSE(escaped);
    EXPECT_EQ(escaped.error().code, Errc::refused);
}

TEST(VmxReader, ATenMegabyteLineIsRefused) {
    std::string text = "displayName = \"" + std::string(10 << 20, 'x') + "\"\n";
    auto c = parse_vmx(text, "big.vmx");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::refused);
    EXPECT_NE(c.error().message.find("big.vmx:1: a line of"), std::string::npos)
        << c.error().message;
}

TEST(VmxReader, AHundredThousandKeysAreRefused) {
    std::string text;
    for (int i = 0; i < 100000; ++i) {
        text += "guestinfo.k" + std::to_string(i) + " = \"v\"\n";
    }
    VmxLimits limits;
    limits.max_bytes = text.size() + 1; // the key count, not the size, is what trips
    auto c = parse_vmx(text, "many.vmx", limits);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::refused);
    EXPECT_NE(c.error().message.find("more than 20000 entries"), std::string::npos)
        << c.error().message;
    // With the default size bound the file is refused for its size.
    auto d = parse_vmx(text, "many.vmx");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::refused);
}

TEST(VmxReader, MalformedLinesAreInvalid) {
    for (const char* t : {"novalue\n", "= \"x\"\n", "ke y = \"x\"\n", "k = \"open\n",
                          "k = \"a\" junk\n", "k\x01 = \"x\"\n"}) {
        auto c = parse_vmx(t, "t.vmx");
        ASSERT_FALSE(c) << t;
        EXPECT_EQ(c.error().code, Errc::invalid) << t;
        EXPECT_NE(c.error().message.find("t.vmx:1:"), std::string::npos) << c.error().message;
    }
}

TEST(VmxReader, OnlyUtf8IsRead) {
    auto c = parse_vmx(".encoding = \"windows-1252\"\nk = \"v\"\n", "t.vmx");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::invalid);
    EXPECT_NE(c.error().message.find("windows-1252"), std::string::npos);
    auto bad = parse_vmx("k = \"\xC3\x28\"\n", "t.vmx");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid);
    EXPECT_TRUE(parse_vmx(".encoding = \"utf8\"\nk = \"caf\xC3\xA9\"\n", "t.vmx"));
}

} // namespace
} // namespace ovfkit::platform::vmware
