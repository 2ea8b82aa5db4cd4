// The OVA writer's two late-bound forms: a member reserved and filled once
// its bytes are known, and a member of unknown size written in place and
// sized afterwards. Read back by ovfkit's tar index.
#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/ova_writer.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace ovfkit::package {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

std::string member_text(io::MemFile& f, const TarMember& m) {
    return std::string(reinterpret_cast<const char*>(f.data().data() + m.data_offset), m.size);
}

TEST(OvaWriter, ReservedAndInPlaceMembersReadBackWithTheirSizes) {
    io::MemFile out("t.ova");
    OvaWriter ova(out, 1700000000);
    auto desc = ova.reserve("vm.ovf", 12);
    ASSERT_TRUE(desc);
    auto base = ova.begin_member("disk.vmdk");
    ASSERT_TRUE(base);
    EXPECT_EQ(*base % 512, 0u);
    std::string disk(1000, 'd');
    ASSERT_TRUE(out.pwrite(bytes(disk), *base));
    ASSERT_TRUE(ova.end_member(disk.size()));
    ASSERT_TRUE(ova.add("small.iso", bytes(std::string("iso"))));
    ASSERT_TRUE(ova.fill(*desc, bytes(std::string("<Envelope/>\n"))));
    ASSERT_TRUE(ova.finish());

    auto index = TarIndex::build(out);
    ASSERT_TRUE(index) << index.error().message;
    const auto& m = index->members();
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].name, "vm.ovf");
    EXPECT_EQ(member_text(out, m[0]), "<Envelope/>\n");
    EXPECT_EQ(m[1].name, "disk.vmdk");
    EXPECT_EQ(m[1].size, 1000u);
    EXPECT_EQ(member_text(out, m[1]), disk);
    EXPECT_EQ(member_text(out, m[2]), "iso");
    EXPECT_EQ(*out.size() % 512, 0u);
}

TEST(OvaWriter, MisuseIsAnErrorNotACorruptArchive) {
    io::MemFile out("t.ova");
    OvaWriter ova(out, 0);
    auto r = ova.reserve("vm.ovf", 4);
    ASSERT_TRUE(r);
    EXPECT_FALSE(ova.fill(*r, bytes(std::string("too long")))); // not the reserved size
    ASSERT_TRUE(ova.begin_member("a"));
    EXPECT_FALSE(ova.add("b", bytes(std::string("x")))); // inside another member
    EXPECT_FALSE(ova.begin_member("c"));
    EXPECT_FALSE(ova.finish()); // the archive would end inside "a"
    ASSERT_TRUE(ova.end_member(0));
    EXPECT_FALSE(ova.end_member(0)); // nothing open
    ASSERT_TRUE(ova.finish());
    EXPECT_FALSE(ova.add("late", bytes(std::string("x"))));
}

} // namespace
} // namespace ovfkit::package
