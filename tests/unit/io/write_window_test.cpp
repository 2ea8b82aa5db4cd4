// io::WriteWindow: writes land at the window's offset in the file beneath,
// and the digest is that of the bytes stored, whether the writes append (hashed
// on the way, holes as zeros) or go back to patch (read back once).
#include <gtest/gtest.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/io/write_window.hpp>

namespace ovfkit::io {
namespace {

std::vector<std::byte> bytes(std::string_view s) {
    auto b = std::as_bytes(std::span(s.data(), s.size()));
    return {b.begin(), b.end()};
}

// The digest of [base, base + size) of `under`, computed independently.
std::string stored_digest(const MemFile& under, uint64_t base, uint64_t size) {
    std::vector<std::byte> member(size);
    for (uint64_t i = 0; i < size; ++i) {
        member[i] = base + i < under.data().size() ? under.data()[base + i] : std::byte{0};
    }
    auto d = hex_digest(member, DigestAlgorithm::sha256);
    EXPECT_TRUE(d);
    return *d;
}

TEST(WriteWindow, AppendingWritesAreHashedOnTheWayWithHolesAsZeros) {
    MemFile under("ova", bytes("HEADERxx"));
    auto w = WriteWindow::create(under, 8, "disk", DigestAlgorithm::sha256);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->pwrite(bytes("abc"), 0));
    ASSERT_TRUE((*w)->pwrite(bytes("def"), 100)); // a gap: reads as zeros
    ASSERT_TRUE((*w)->truncate(5000));            // a trailing hole
    EXPECT_EQ(*(*w)->size(), 5000u);
    auto digest = (*w)->finish_digest();
    ASSERT_TRUE(digest);
    EXPECT_FALSE((*w)->reread());
    EXPECT_EQ(*digest, stored_digest(under, 8, 5000));
    EXPECT_EQ(under.data().size(), 5008u);
    EXPECT_EQ(under.data()[8], std::byte{'a'});
    EXPECT_EQ(under.data()[108], std::byte{'d'});
    EXPECT_EQ(under.data()[0], std::byte{'H'}); // nothing before the window moved
}

TEST(WriteWindow, APatchBehindTheDataIsReadBackForTheDigest) {
    MemFile under("ova", bytes("HEAD"));
    auto w = WriteWindow::create(under, 4, "disk", DigestAlgorithm::sha512);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->pwrite(std::vector<std::byte>(3000, std::byte{7}), 512));
    ASSERT_TRUE((*w)->pwrite(bytes("table"), 0)); // a header written last
    auto digest = (*w)->finish_digest();
    ASSERT_TRUE(digest);
    EXPECT_TRUE((*w)->reread());
    std::vector<std::byte> member(under.data().begin() + 4, under.data().end());
    EXPECT_EQ(member.size(), 3512u);
    EXPECT_EQ(*digest, *hex_digest(member, DigestAlgorithm::sha512));
}

TEST(WriteWindow, ReadsAndAllocationStayInsideTheWindow) {
    MemFile under("ova", bytes("0123456789"));
    auto w = WriteWindow::create(under, 4, "m", std::nullopt);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->pwrite(bytes("xy"), 0));
    std::vector<std::byte> out(8);
    auto n = (*w)->pread(out, 0);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2u); // the window holds two bytes, not the rest of the file
    EXPECT_EQ(out[0], std::byte{'x'});
    EXPECT_EQ(*(*w)->next_hole(0), 2u);
    EXPECT_EQ(*(*w)->finish_digest(), ""); // no algorithm, no digest
}

} // namespace
} // namespace ovfkit::io
