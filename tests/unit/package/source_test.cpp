#include "tar_builder.hpp"
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/package/source.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::package {
namespace {

using test::TarBuilder;
using test::TempDir;

std::string text(const std::vector<std::byte>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST(Source, OpensADescriptorFileAndSeesItsDirectory) {
    TempDir dir;
    test::write_text(dir.file("vm.ovf"), "<Envelope/>");
    test::write_text(dir.file("disk.vmdk"), std::string(300, 'd'));
    ASSERT_EQ(::symlink("/etc/passwd", dir.file("link.vmdk").c_str()), 0);
    auto src = Source::open(dir.file("vm.ovf"));
    ASSERT_TRUE(src) << src.error().message;
    EXPECT_EQ(src->kind(), SourceKind::descriptor);
    EXPECT_EQ(src->descriptor_name(), "vm.ovf");
    EXPECT_EQ(text(src->descriptor()), "<Envelope/>");
    EXPECT_EQ(src->file_size("disk.vmdk").value(), std::optional<uint64_t>(300));
    EXPECT_EQ(src->file_size("missing.vmdk").value(), std::nullopt);
    auto link = src->file_size("link.vmdk");
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().code, Errc::refused);
    auto up = src->file_size("../vm.ovf");
    ASSERT_FALSE(up);
    EXPECT_EQ(up.error().code, Errc::refused);
    EXPECT_EQ(src->tar(), nullptr);
}

TEST(Source, OpensADirectoryWithExactlyOneDescriptor) {
    TempDir dir;
    auto none = Source::open(dir.path());
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::invalid);
    EXPECT_EQ(none.error().message, dir.path() + ": no .ovf descriptor in this directory");

    test::write_text(dir.file("b.ovf"), "<B/>");
    auto one = Source::open(dir.path());
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_EQ(one->kind(), SourceKind::directory);
    EXPECT_EQ(one->descriptor_name(), "b.ovf");
    EXPECT_EQ(text(one->descriptor()), "<B/>");

    test::write_text(dir.file("a.OVF"), "<A/>");
    auto two = Source::open(dir.path());
    ASSERT_FALSE(two);
    EXPECT_EQ(two.error().code, Errc::usage);
    EXPECT_EQ(two.error().message,
              dir.path() + ": 2 descriptors in this directory (a.OVF, b.ovf); name the one to use");
}

TEST(Source, DetectsAnOvaByContentNotByName) {
    TempDir dir;
    TarBuilder tar;
    tar.file("vm.ovf", "<Envelope/>").file("disk.vmdk", std::string(1000, 'd')).end();
    test::write_file(dir.file("package.ovf"), tar.bytes()); // misleading name
    auto src = Source::open(dir.file("package.ovf"));
    ASSERT_TRUE(src) << src.error().message;
    EXPECT_EQ(src->kind(), SourceKind::ova);
    EXPECT_EQ(src->descriptor_name(), "vm.ovf");
    EXPECT_EQ(text(src->descriptor()), "<Envelope/>");
    ASSERT_NE(src->tar(), nullptr);
    EXPECT_EQ(src->file_size("disk.vmdk").value(), std::optional<uint64_t>(1000));
    EXPECT_EQ(src->file_size("other.vmdk").value(), std::nullopt);
    auto member = src->open_file("disk.vmdk");
    ASSERT_TRUE(member);
    std::vector<std::byte> buf(2000);
    EXPECT_EQ((*member)->pread(buf, 0).value(), 1000u); // stops at the member's end
    EXPECT_EQ(static_cast<char>(buf[999]), 'd');
    EXPECT_FALSE((*member)->pwrite(buf, 0));

    // And an XML file named .ova is a descriptor.
    test::write_text(dir.file("fake.ova"), "<Envelope/>");
    auto xml = Source::open(dir.file("fake.ova"));
    ASSERT_TRUE(xml);
    EXPECT_EQ(xml->kind(), SourceKind::descriptor);
}

TEST(Source, RequiresExactlyOneDescriptorInAnOvaAndWarnsWhenItIsNotFirst) {
    TempDir dir;
    TarBuilder two;
    two.file("a.ovf", "<A/>").file("b.ovf", "<B/>").end();
    test::write_file(dir.file("two.ova"), two.bytes());
    auto r = Source::open(dir.file("two.ova"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_EQ(r.error().message, dir.file("two.ova") +
                                     ": the archive holds 2 descriptors ('a.ovf', "
                                     "'b.ovf'); an OVA has exactly one");

    TarBuilder none;
    none.file("disk.vmdk", "x").end();
    test::write_file(dir.file("none.ova"), none.bytes());
    auto n = Source::open(dir.file("none.ova"));
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Errc::invalid);

    TarBuilder late;
    late.file("disk.vmdk", "x").file("vm.ovf", "<A/>").end();
    test::write_file(dir.file("late.ova"), late.bytes());
    Diagnostics notes;
    auto l = Source::open(dir.file("late.ova"), {}, &notes);
    ASSERT_TRUE(l);
    ASSERT_EQ(notes.findings().size(), 1u);
    EXPECT_EQ(notes.findings()[0].code, "OVA-ORDER-001");
    EXPECT_EQ(notes.findings()[0].severity, Severity::warning);
}

TEST(Source, RefusesCompressedAndOversizedInput) {
    TempDir dir;
    test::write_text(dir.file("x.ova"), std::string("\x1f\x8b\x08\x00rest", 8));
    auto gz = Source::open(dir.file("x.ova"));
    ASSERT_FALSE(gz);
    EXPECT_EQ(gz.error().code, Errc::invalid);
    EXPECT_EQ(gz.error().message, dir.file("x.ova") +
                                      ": gzip-compressed; an OVA is an uncompressed tar and a "
                                      "descriptor is XML (decompress it first)");

    test::write_text(dir.file("big.ovf"), std::string(5000, ' '));
    SourceLimits limits;
    limits.max_descriptor = 4096;
    auto big = Source::open(dir.file("big.ovf"), limits);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::refused);
    EXPECT_EQ(big.error().message,
              dir.file("big.ovf") + ": descriptor is 5000 bytes, more than the 4096 byte limit");

    TarBuilder tar;
    tar.file("vm.ovf", std::string(5000, ' ')).end();
    test::write_file(dir.file("big.ova"), tar.bytes());
    auto big_ova = Source::open(dir.file("big.ova"), limits);
    ASSERT_FALSE(big_ova);
    EXPECT_EQ(big_ova.error().code, Errc::refused);

    auto missing = Source::open(dir.file("missing.ovf"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::io);

    ASSERT_EQ(::mkfifo(dir.file("fifo.ovf").c_str(), 0600), 0);
    auto fifo = Source::open(dir.file("fifo.ovf"));
    ASSERT_FALSE(fifo);
    EXPECT_EQ(fifo.error().code, Errc::refused);
}

} // namespace
} // namespace ovfkit::package
