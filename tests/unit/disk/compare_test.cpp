// Guest-visible comparison: the first differing byte, sizes that differ, and
// ranges unallocated in both never read.
#include "support/disk_images.hpp"
#include "support/synthetic_disk.hpp"

#include <ovfkit/disk/compare.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;

std::unique_ptr<DiskReader> raw(std::vector<std::byte> bytes) {
    auto r = open_mem("raw", std::move(bytes), "mem.img");
    EXPECT_TRUE(r);
    return std::move(*r);
}

TEST(Compare, IdenticalDisksAreIdentical) {
    auto g = guest_pattern(5 * k_mib);
    auto a = raw(g);
    auto b = raw(g);
    auto r = compare_disks(*a, *b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->identical);
    EXPECT_FALSE(r->first_difference);
    EXPECT_FALSE(r->sizes_differ);
}

TEST(Compare, ReportsTheFirstDifferingByte) {
    auto g = guest_pattern(5 * k_mib);
    for (uint64_t at : {uint64_t{0}, uint64_t{12345}, 3 * k_mib + 1, 5 * k_mib - 1}) {
        auto h = g;
        h[at] ^= std::byte{0x40};
        h[5 * k_mib - 1 - at / 2] ^= std::byte{0x01}; // a later difference too
        auto a = raw(g);
        auto b = raw(h);
        auto r = compare_disks(*a, *b);
        ASSERT_TRUE(r);
        EXPECT_FALSE(r->identical);
        EXPECT_EQ(r->first_difference, std::min(at, 5 * k_mib - 1 - at / 2));
    }
}

TEST(Compare, LargerDiskMustBeZeroBeyondTheCommonPart) {
    auto g = guest_pattern(3 * k_mib);
    auto bigger = padded(g, 4 * k_mib);
    auto a = raw(g);
    auto b = raw(bigger);
    auto r = compare_disks(*a, *b);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->identical);
    EXPECT_TRUE(r->sizes_differ);
    EXPECT_EQ(r->size_a, 3 * k_mib);
    EXPECT_EQ(r->size_b, 4 * k_mib);

    bigger[3 * k_mib + 777] = std::byte{9};
    auto c = raw(bigger);
    r = compare_disks(*c, *a); // the larger one first
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->identical);
    EXPECT_TRUE(r->difference_beyond_common);
    EXPECT_EQ(r->first_difference, 3 * k_mib + 777);

    auto d = raw(padded(g, 4 * k_mib));
    CompareOptions strict;
    strict.strict = true;
    r = compare_disks(*a, *d, strict);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->identical);
    EXPECT_EQ(r->first_difference, 3 * k_mib);
}

TEST(Compare, RangesUnallocatedInBothAreNotRead) {
    const uint64_t size = uint64_t{64} << 30; // 64 GiB, mostly unallocated
    SyntheticDisk a(size, {{k_mib, k_mib, ExtentKind::data, 1},
                           {uint64_t{10} << 30, 4096, ExtentKind::data, 0},
                           {uint64_t{20} << 30, 8192, ExtentKind::zero, 0}});
    SyntheticDisk b(size, {{k_mib, k_mib / 2, ExtentKind::data, 1},
                           {k_mib + k_mib / 2, k_mib / 2, ExtentKind::data, 1},
                           {uint64_t{20} << 30, 8192, ExtentKind::data, 0}});
    auto r = compare_disks(a, b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->identical);
    EXPECT_EQ(a.bytes_read.load(), k_mib + 4096);
    EXPECT_EQ(b.bytes_read.load(), k_mib + 8192);

    SyntheticDisk c(size, {{k_mib, k_mib, ExtentKind::data, 1},
                           {(uint64_t{30} << 30) + 100, 1, ExtentKind::data, 5}});
    r = compare_disks(a, c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_difference, (uint64_t{30} << 30) + 100);
}

TEST(Compare, DifferentFormatsOfTheSameGuestAreIdentical) {
    auto g = guest_pattern(4 * k_mib);
    auto q = open_mem("qcow2", write_image_mem("qcow2", g), "g.qcow2");
    auto v = open_mem("vhd-fixed", write_image_mem("vhd-fixed", g), "g.vhd");
    ASSERT_TRUE(q && v);
    auto r = compare_disks(**q, **v);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->identical);
}

} // namespace
} // namespace ovfkit::disk
