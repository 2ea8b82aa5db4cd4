#include <cstring>

#include "support/disk_images.hpp"

#include <ovfkit/disk/formats/vdi/layout.hpp>

namespace ovfkit::disk::formats {
namespace {

using namespace ovfkit::test;
namespace vdi = formats::vdi;

void put_le32(std::vector<std::byte>& b, uint64_t at, uint32_t v) {
    le32 x(v);
    std::memcpy(b.data() + at, &x, 4);
}

// 3 MiB, blocks 0, 1 and 2 stored; map at 1 MiB, data at 2 MiB.
std::vector<std::byte> small_vdi() {
    return write_image_mem("vdi", guest_pattern(3 * k_mib));
}

std::string open_error(const std::vector<std::byte>& bytes, Errc* code = nullptr) {
    auto r = open_mem("vdi", bytes, "disk.vdi");
    if (r) {
        return "opened";
    }
    if (code != nullptr) {
        *code = r.error().code;
    }
    return r.error().message;
}

// --- images written by qemu-img ------------------------------------------

struct QemuCase {
    const char* options;
    const char* driver;
};

class VdiFromQemu : public ::testing::TestWithParam<QemuCase> {};

TEST_P(VdiFromQemu, ReadsBackByteForByte) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    auto guest = guest_pattern(9 * k_mib + 1536);
    write_file(dir.file("src.raw"), guest);
    ASSERT_EQ(run_tool(std::string("qemu-img convert -f raw -O vdi -o ") + GetParam().options +
                       " " + dir.file("src.raw") + " " + dir.file("disk.vdi")),
              0);
    auto bytes = read_file(dir.file("disk.vdi"));
    ProbeInput in{std::span(bytes).first(std::min<size_t>(bytes.size(), k_probe_head)),
                  std::span(bytes).last(std::min<size_t>(bytes.size(), k_probe_tail)),
                  bytes.size()};
    for (const FormatDriver* d : all()) {
        if (d->probe != nullptr) {
            EXPECT_EQ(d->probe(in), d->name == GetParam().driver ? 100 : 0) << d->name;
        }
    }
    auto img = test::open_image(GetParam().driver, dir.file("disk.vdi"));
    ASSERT_TRUE(img) << img.error().message;
    auto& r = *img->reader;
    EXPECT_EQ(r.info().format, GetParam().driver);
    EXPECT_EQ(r.virtual_size(), qemu_virtual_size("vdi", dir.file("disk.vdi")));
    EXPECT_EQ(r.virtual_size(), guest.size());
    EXPECT_TRUE(read_all(r) == guest);
    expect_map_consistent(r, guest);
    bool fixed = std::string(GetParam().driver) == "vdi-fixed";
    EXPECT_EQ(kind_at(r, 2 * k_mib + 10), fixed ? ExtentKind::data : ExtentKind::unallocated);
    EXPECT_EQ(kind_at(r, k_mib + 10), ExtentKind::data);
    std::vector<std::byte> part(3 * k_mib + 777);
    ASSERT_TRUE(r.read_at(k_mib - 5, part));
    EXPECT_TRUE(std::equal(part.begin(), part.end(), guest.begin() + k_mib - 5));
}

INSTANTIATE_TEST_SUITE_P(Subformats, VdiFromQemu,
                         ::testing::Values(QemuCase{"static=off", "vdi"},
                                           QemuCase{"static=on", "vdi-fixed"}));

// --- images written by ovfkit --------------------------------------------

class VdiWrite : public ::testing::TestWithParam<const char*> {};

TEST_P(VdiWrite, QemuReadsAndChecksWhatWeWrite) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    std::string driver = GetParam();
    bool fixed = driver == "vdi-fixed";
    TempDir dir;
    auto guest = guest_pattern(9 * k_mib + 1536);
    write_file(dir.file("src.raw"), guest);
    ASSERT_TRUE(write_image_file(driver, dir.file("out.vdi"), guest));

    EXPECT_EQ(qemu_virtual_size("vdi", dir.file("out.vdi")), guest.size());
    std::string out;
    EXPECT_EQ(run_tool("qemu-img compare -f raw -F vdi " + dir.file("src.raw") + " " +
                           dir.file("out.vdi"),
                       &out),
              0)
        << out;
    EXPECT_EQ(run_tool("qemu-img check -f vdi " + dir.file("out.vdi"), &out), 0) << out;

    auto img = test::open_image(driver, dir.file("out.vdi"));
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->reader->info().format, driver);
    EXPECT_TRUE(read_all(*img->reader) == guest);
    expect_map_consistent(*img->reader, guest);
    EXPECT_EQ(kind_at(*img->reader, 7 * k_mib), fixed ? ExtentKind::data : ExtentKind::unallocated);

    auto bytes = read_file(dir.file("out.vdi"));
    auto s = load<vdi::Start>(bytes.data());
    EXPECT_EQ(std::string(s.pre.file_info), "<<< Oracle VM VirtualBox Disk Image >>>\n");
    EXPECT_EQ(s.header.header_size.get(), 400u);
    EXPECT_EQ(s.header.image_type.get(), fixed ? 2u : 1u);
    EXPECT_EQ(s.header.blocks_offset.get(), k_mib);
    EXPECT_EQ(s.header.data_offset.get(), 2 * k_mib);
    EXPECT_EQ(s.header.blocks.get(), 10u);
    // Stored blocks: 0, 1, 4, 5, 9 of the pattern (dynamic), all (fixed).
    EXPECT_EQ(s.header.blocks_allocated.get(), fixed ? 10u : 5u);
    EXPECT_EQ(bytes.size(), 2 * k_mib + (fixed ? 10 : 5) * k_mib);
    EXPECT_EQ(s.header.lchs_geometry.sector_size.get(), 512u);
    static const unsigned char nil[16] = {};
    EXPECT_NE(std::memcmp(s.header.uuid_create, nil, 16), 0);
    EXPECT_NE(std::memcmp(s.header.uuid_modify, nil, 16), 0);
    EXPECT_NE(std::memcmp(s.header.uuid_create, s.header.uuid_modify, 16), 0);
    EXPECT_EQ(std::memcmp(s.header.uuid_linkage, nil, 16), 0);
    EXPECT_EQ(s.header.uuid_create[7] >> 4, 4); // version 4, GUID byte order
}

INSTANTIATE_TEST_SUITE_P(Drivers, VdiWrite, ::testing::Values("vdi", "vdi-fixed"));

TEST(Vdi, EveryImageGetsFreshUuids) {
    auto a = small_vdi();
    auto b = small_vdi();
    EXPECT_NE(std::memcmp(a.data() + 392, b.data() + 392, 32), 0);
}

TEST(Vdi, OneAndTwoThreadsWriteTheSameBytes) {
    auto guest = guest_pattern(9 * k_mib + 1536);
    for (const char* driver : {"vdi", "vdi-fixed"}) {
        std::vector<std::byte> out[2];
        for (unsigned t = 1; t <= 2; ++t) {
            io::MemFile f;
            ASSERT_TRUE(write_image(driver, f, "x.vdi", guest, t));
            out[t - 1] = f.data();
            std::memset(out[t - 1].data() + 392, 0, 32); // the two fresh UUIDs
        }
        EXPECT_TRUE(out[0] == out[1]) << driver;
    }
}

TEST(Vdi, WriterOnlyTakes1MiBBlocks) {
    io::MemFile f;
    CreateContext ctx{&f, "x.vdi", nullptr, {}};
    ctx.options.virtual_size = k_mib;
    ctx.options.cluster_size = 2 * k_mib;
    for (const char* name : {"vdi", "vdi-fixed"}) {
        auto w = check_create_options(*find(name), ctx.options, "x.vdi");
        ASSERT_FALSE(w);
        EXPECT_EQ(w.error().message, fmt::format("x.vdi: {0} block size 2097152 is not supported: "
                                                 "{0} uses 1048576 bytes",
                                                 name));
        EXPECT_EQ(w.error().code, Errc::usage);
    }
    ctx.options.cluster_size = k_mib;
    EXPECT_TRUE(check_create_options(*find("vdi"), ctx.options, "x.vdi"));
}

TEST(Vdi, ZeroBlocksAndBlockExtraAreRead) {
    auto bytes = small_vdi();
    auto guest = guest_pattern(3 * k_mib);
    // Mark block 1 discarded: it reads as zeros and maps as zero.
    put_le32(bytes, k_mib + 4, vdi::k_block_zero);
    auto r = open_mem("vdi", bytes);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(kind_at(**r, k_mib + 3), ExtentKind::zero);
    auto expected = guest;
    std::fill_n(expected.begin() + k_mib, k_mib, std::byte{0});
    EXPECT_TRUE(read_all(**r) == expected);

    // cbBlockExtra 512: each stored block is preceded by 512 private bytes.
    auto extra = small_vdi();
    put_le32(extra, 380, 512);
    std::vector<std::byte> rebuilt(extra.begin(), extra.begin() + 2 * k_mib);
    for (int i = 0; i < 3; ++i) {
        rebuilt.insert(rebuilt.end(), 512, std::byte{0xEE});
        rebuilt.insert(rebuilt.end(), extra.begin() + 2 * k_mib + i * k_mib,
                       extra.begin() + 2 * k_mib + (i + 1) * k_mib);
    }
    r = open_mem("vdi", rebuilt);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(read_all(**r) == guest);
}

// --- hostile images -------------------------------------------------------

TEST(VdiHostile, TruncatedAndNotVdi) {
    Errc code{};
    EXPECT_EQ(open_error(std::vector<std::byte>(100), &code),
              "disk.vdi: file of 100 bytes is too small for a VDI header (472 bytes)");
    EXPECT_EQ(code, Errc::invalid);
    EXPECT_EQ(open_error(std::vector<std::byte>(4096)),
              "disk.vdi: pre-header at offset 64: signature 0x00000000 is not 0xbeda107f");
    auto bytes = small_vdi();
    put_le32(bytes, 68, 0x00000002);
    EXPECT_EQ(open_error(bytes),
              "disk.vdi: pre-header at offset 68: version 0x00000002 is not 1.1 (0x00010001)");

    // Cut inside block 1: its map entry now points past the end.
    bytes = small_vdi();
    bytes.resize(3 * k_mib + 100);
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vdi: block map entry 1 at offset 1048580: block 1 at offset 3145728 extends "
              "beyond the end of the file (3145828 bytes)");
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VdiHostile, BlocksInImageHuge) {
    auto bytes = small_vdi();
    put_le32(bytes, 384, 0x40000000);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vdi: header at offset 384: 1073741824 blocks exceed the limit of 1073741823");
    EXPECT_EQ(code, Errc::refused);
    put_le32(bytes, 384, 0x3FFFFFFF);
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vdi: header at offset 340: block map at offset 1048576 with 1073741823 "
              "entries extends beyond the end of the file (5242880 bytes)");
    EXPECT_EQ(code, Errc::invalid);
    put_le32(bytes, 384, 2);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 384: 2 blocks of 1 MiB do not cover "
                                 "the disk size 3145728");
}

TEST(VdiHostile, MapEntriesBeyondTheFileOrShared) {
    auto bytes = small_vdi();
    put_le32(bytes, k_mib + 8, 0xFFFFFFF0);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vdi: block map entry 2 at offset 1048584: block 4294967280 at offset "
              "4503599612690432 extends beyond the end of the file (5242880 bytes)");
    EXPECT_EQ(code, Errc::invalid);
    put_le32(bytes, k_mib + 8, 0);
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vdi: block map entries 0 and 2 both point at block 0");
    EXPECT_EQ(code, Errc::invalid);
    put_le32(bytes, k_mib + 8, 2);
    EXPECT_EQ(open_error(bytes), "opened");
}

TEST(VdiHostile, BlockSizeMustBe1MiB) {
    for (uint32_t bs : {0u, 512u, 2u << 20, 3000u}) {
        auto bytes = small_vdi();
        put_le32(bytes, 376, bs);
        Errc code{};
        EXPECT_EQ(open_error(bytes, &code),
                  fmt::format("disk.vdi: header at offset 376: block size {} is not 1 MiB "
                              "(1048576)",
                              bs));
        EXPECT_EQ(code, Errc::invalid);
    }
}

TEST(VdiHostile, HeaderFields) {
    auto bytes = small_vdi();
    put_le32(bytes, 76, 4);
    EXPECT_EQ(open_error(bytes),
              "disk.vdi: header at offset 76: image type 4 (differencing) is not supported: its "
              "parent is found through VirtualBox's media registry; merge it in VirtualBox first");
    put_le32(bytes, 76, 9);
    EXPECT_EQ(open_error(bytes),
              "disk.vdi: header at offset 76: image type 9 is not normal (1), fixed (2) or "
              "differencing (4)");
    bytes = small_vdi();
    put_le32(bytes, 72, 100);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 72: header size 100 is outside "
                                 "384..4096 or reaches past the block map at offset 1048576");
    bytes = small_vdi();
    put_le32(bytes, 340, 200);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 72: header size 400 is outside "
                                 "384..4096 or reaches past the block map at offset 200");
    bytes = small_vdi();
    put_le32(bytes, 344, k_mib + 4);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 344: data offset 1048580 lies inside "
                                 "the block map (offsets 1048576..1048588)");
    bytes = small_vdi();
    put_le32(bytes, 380, 3);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 380: block extra size 3 is not 0 or "
                                 "a power of two up to 1048576");
    bytes = small_vdi();
    put_le32(bytes, 388, 4);
    EXPECT_EQ(open_error(bytes), "disk.vdi: header at offset 388: 4 allocated blocks exceed the "
                                 "3 blocks of the disk");
}

TEST(VdiHostile, WarningsForZeroUuidAndStaleCount) {
    auto bytes = small_vdi();
    std::memset(bytes.data() + 408, 0, 16);
    put_le32(bytes, 388, 2); // block 2 is stored but not counted
    auto r = open_mem("vdi", bytes, "disk.vdi");
    ASSERT_TRUE(r) << r.error().message;
    const auto& found = (*r)->findings();
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].code, "DISK-VDI-UUID-ZERO");
    EXPECT_EQ(found[0].message, "disk.vdi: header at offset 392: a zero creation or "
                                "modification UUID; VirtualBox refuses such images");
    EXPECT_EQ(found[1].code, "DISK-VDI-BLOCK-COUNT");
    EXPECT_EQ(found[1].message, "disk.vdi: block map entry 2 at offset 1048584: block 2 "
                                "is not below the allocated count 2");
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::disk::formats {
namespace {

std::string seed(const std::string& name) {
    return std::string(OVFKIT_SOURCE_DIR) + "/fuzz/corpus/vdi/" + name;
}

// The fuzz seeds reach the deep paths; fuzz/make_vhd_vdi_seeds.py makes them.
TEST(VdiSeeds, Open) {
    // A 4 KiB disk whose only block is stored for its first 4 KiB only.
    auto r = open_mem("vdi", test::read_file(seed("dynamic-4k-one-block.vdi")));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->virtual_size(), 4096u);
    EXPECT_FALSE(test::all_zero(test::read_all(**r)));
    auto fz = open_mem("vdi", test::read_file(seed("free-and-zero.vdi")));
    ASSERT_TRUE(fz) << fz.error().message;
    std::vector<Extent> want{{0, k_mib, ExtentKind::unallocated},
                             {k_mib, k_mib, ExtentKind::zero},
                             {2 * k_mib, k_mib, ExtentKind::unallocated}};
    EXPECT_EQ(*(*fz)->extents(0, 3 * k_mib), want);
    auto q = open_mem("vdi", test::read_file(seed("qemu-dynamic-4m.vdi")));
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ((*q)->virtual_size(), 4 * k_mib);
}

} // namespace
} // namespace ovfkit::disk::formats
