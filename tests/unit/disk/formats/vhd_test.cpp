#include <cstring>

#include "../chain_kit.hpp"
#include "support/disk_images.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/vhd/layout.hpp>

namespace ovfkit::disk::formats {
namespace {

using namespace ovfkit::test;
namespace vhd = formats::vhd;

// --- byte surgery for hostile images -------------------------------------

void put_be32(std::vector<std::byte>& b, uint64_t at, uint32_t v) {
    be32 x(v);
    std::memcpy(b.data() + at, &x, 4);
}
void put_be64(std::vector<std::byte>& b, uint64_t at, uint64_t v) {
    be64 x(v);
    std::memcpy(b.data() + at, &x, 8);
}
uint32_t get_be32(const std::vector<std::byte>& b, uint64_t at) {
    return load<be32>(b.data() + at);
}
void fix_footer(std::vector<std::byte>& b, uint64_t at) {
    put_be32(b, at + vhd::k_footer_checksum_at, 0);
    put_be32(b, at + vhd::k_footer_checksum_at,
             vhd::checksum(std::span(b).subspan(at, 512), vhd::k_footer_checksum_at));
}
void fix_header(std::vector<std::byte>& b, uint64_t at = 512) {
    put_be32(b, at + vhd::k_header_checksum_at,
             vhd::checksum(std::span(b).subspan(at, 1024), vhd::k_header_checksum_at));
}
// Changes a footer field in both copies of a dynamic image.
void set_footer64(std::vector<std::byte>& b, uint64_t field, uint64_t v) {
    for (uint64_t at : {uint64_t{0}, b.size() - 512}) {
        put_be64(b, at + field, v);
        fix_footer(b, at);
    }
}

// A small dynamic image: 3 MiB, two 2 MiB blocks, both stored.
std::vector<std::byte> small_dynamic() {
    return write_image_mem("vhd", guest_pattern(3 * k_mib));
}

std::string open_error(const std::vector<std::byte>& bytes, Errc* code = nullptr) {
    auto r = open_mem("vhd", bytes, "disk.vhd");
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
    const char* driver; // the driver the probe must pick
};

class VhdFromQemu : public ::testing::TestWithParam<QemuCase> {};

TEST_P(VhdFromQemu, ReadsBackByteForByte) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    // 9 MiB + 3 sectors: not a CHS product, not a MiB multiple.
    auto guest = guest_pattern(9 * k_mib + 1536);
    write_file(dir.file("src.raw"), guest);
    ASSERT_EQ(run_tool(std::string("qemu-img convert -f raw -O vpc -o ") + GetParam().options +
                       " " + dir.file("src.raw") + " " + dir.file("disk.vhd")),
              0);
    auto bytes = read_file(dir.file("disk.vhd"));

    // Detection picks exactly the expected driver.
    ProbeInput in{std::span(bytes).first(std::min<size_t>(bytes.size(), k_probe_head)),
                  std::span(bytes).last(std::min<size_t>(bytes.size(), k_probe_tail)),
                  bytes.size()};
    for (const FormatDriver* d : all()) {
        if (d->probe != nullptr) {
            EXPECT_EQ(d->probe(in), d->name == GetParam().driver ? 100 : 0) << d->name;
        }
    }

    auto img = open_image(GetParam().driver, dir.file("disk.vhd"));
    ASSERT_TRUE(img) << img.error().message;
    auto& r = *img->reader;
    EXPECT_EQ(r.info().format, GetParam().driver);
    EXPECT_EQ(r.virtual_size(), qemu_virtual_size("vpc", dir.file("disk.vhd")));
    EXPECT_GE(r.virtual_size(), guest.size());
    auto expected = padded(guest, r.virtual_size());
    EXPECT_TRUE(read_all(r) == expected);
    expect_map_consistent(r, expected);
    if (std::string(GetParam().driver) == "vhd") {
        // The all-zero block 1 (2..4 MiB) was never written.
        EXPECT_EQ(kind_at(r, 3 * k_mib), ExtentKind::unallocated);
        EXPECT_EQ(kind_at(r, 0), ExtentKind::data);
        EXPECT_EQ(r.info().cluster_size, 2 * k_mib);
    }
    // Unaligned reads across blocks and sectors.
    std::vector<std::byte> part(3 * k_mib + 777);
    ASSERT_TRUE(r.read_at(k_mib + 5, part));
    EXPECT_TRUE(std::equal(part.begin(), part.end(), expected.begin() + k_mib + 5));
}

INSTANTIATE_TEST_SUITE_P(Subformats, VhdFromQemu,
                         ::testing::Values(QemuCase{"subformat=dynamic", "vhd"},
                                           QemuCase{"subformat=fixed", "vhd-fixed"},
                                           QemuCase{"subformat=dynamic,force_size=on", "vhd"},
                                           QemuCase{"subformat=fixed,force_size=on", "vhd-fixed"}));

TEST(Vhd, QemuCreatorIsSizedByGeometryForceSizeByCurrentSize) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    uint64_t size = 9 * k_mib + 1536;
    write_file(dir.file("src.raw"), guest_pattern(size));
    ASSERT_EQ(run_tool("qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on " +
                       dir.file("src.raw") + " " + dir.file("forced.vhd")),
              0);
    ASSERT_EQ(run_tool("qemu-img convert -f raw -O vpc " + dir.file("src.raw") + " " +
                       dir.file("chs.vhd")),
              0);
    auto forced = open_image("vhd", dir.file("forced.vhd"));
    ASSERT_TRUE(forced);
    EXPECT_EQ(forced->reader->virtual_size(), size);
    auto chs = open_image("vhd", dir.file("chs.vhd"));
    ASSERT_TRUE(chs);
    auto f = load<vhd::Footer>(read_file(dir.file("chs.vhd")).data());
    vhd::Geometry g{f.cylinders, f.heads, f.sectors_per_track};
    EXPECT_EQ(chs->reader->virtual_size(), g.bytes());
    EXPECT_GT(chs->reader->virtual_size(), size); // qemu rounds up to a CHS product
}

// --- images written by ovfkit --------------------------------------------

class VhdWrite : public ::testing::TestWithParam<const char*> {};

TEST_P(VhdWrite, QemuAndVhdiinfoReadWhatWeWrite) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    std::string driver = GetParam();
    TempDir dir;
    auto guest = guest_pattern(9 * k_mib + 1536);
    write_file(dir.file("src.raw"), guest);
    ASSERT_TRUE(write_image_file(driver, dir.file("out.vhd"), guest));

    uint64_t want = driver == "vhd-fixed" ? 10 * k_mib : guest.size();
    EXPECT_EQ(qemu_virtual_size("vpc", dir.file("out.vhd")), want);
    std::string out;
    EXPECT_EQ(run_tool("qemu-img compare -f raw -F vpc " + dir.file("src.raw") + " " +
                           dir.file("out.vhd"),
                       &out),
              0)
        << out;
    if (have_tool("vhdiinfo")) {
        EXPECT_EQ(run_tool("vhdiinfo " + dir.file("out.vhd"), &out), 0) << out;
        EXPECT_NE(out.find(driver == "vhd-fixed" ? "Fixed" : "Dynamic"), std::string::npos) << out;
        EXPECT_NE(out.find("(" + std::to_string(want) + " bytes)"), std::string::npos) << out;
    }

    auto img = open_image(driver, dir.file("out.vhd"));
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->reader->info().format, driver);
    auto expected = padded(guest, want);
    EXPECT_TRUE(read_all(*img->reader) == expected);
    expect_map_consistent(*img->reader, expected);

    auto bytes = read_file(dir.file("out.vhd"));
    auto footer = load<vhd::Footer>(bytes.data() + bytes.size() - 512);
    EXPECT_EQ(std::string(footer.creator_app, 4), "ovfk");
    EXPECT_EQ(footer.current_size.get(), want);
    EXPECT_EQ(footer.original_size.get(), want);
    if (driver == "vhd-fixed") {
        EXPECT_EQ(bytes.size(), 10 * k_mib + 512); // Azure: N MiB + 512
        // The spec geometry of 20480 sectors is 301/4/17 (20468 sectors),
        // so the maximum geometry marks current_size as the size.
        EXPECT_EQ(footer.cylinders.get(), 65535);
    } else {
        EXPECT_EQ(std::memcmp(bytes.data(), bytes.data() + bytes.size() - 512, 512), 0);
        // The zero block 1 is not stored: 2 blocks of data + metadata.
        EXPECT_EQ(kind_at(*img->reader, 3 * k_mib), ExtentKind::unallocated);
    }
}

INSTANTIATE_TEST_SUITE_P(Drivers, VhdWrite, ::testing::Values("vhd", "vhd-fixed"));

TEST(Vhd, WriterKeepsCHSGeometryWhenItIsExact) {
    // 16 cylinders x 4 heads x 17 sectors: a size the spec geometry expresses.
    uint64_t size = uint64_t{16} * 4 * 17 * 512;
    auto bytes = write_image_mem("vhd", guest_pattern(size));
    auto f = load<vhd::Footer>(bytes.data());
    EXPECT_EQ(f.cylinders.get(), 16);
    EXPECT_EQ(f.heads, 4);
    EXPECT_EQ(f.sectors_per_track, 17);
    auto r = open_mem("vhd", bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->virtual_size(), size);
}

TEST(Vhd, BlockSizeIsConfigurable) {
    auto guest = guest_pattern(3 * k_mib);
    auto bytes = write_image_mem("vhd", guest, 512 * 1024);
    auto r = open_mem("vhd", bytes);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().cluster_size, 512 * 1024u);
    EXPECT_TRUE(read_all(**r) == guest);
    EXPECT_EQ(kind_at(**r, 2 * k_mib + 100), ExtentKind::unallocated);

    io::MemFile f;
    CreateContext ctx{&f, "x.vhd", nullptr, {}};
    ctx.options.virtual_size = k_mib;
    ctx.options.cluster_size = 3000;
    auto w = check_create_options(*find("vhd"), ctx.options, "x.vhd");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().message,
              "x.vhd: vhd block size 3000 is not a power of two between 4096 and 16777216 bytes");
    EXPECT_EQ(w.error().code, Errc::usage);
    ctx.options.cluster_size = uint64_t{32} << 20;
    EXPECT_FALSE(check_create_options(*find("vhd"), ctx.options, "x.vhd"));
    // A fixed disk has no blocks: the option has no effect, as it never had.
    EXPECT_TRUE(check_create_options(*find("vhd-fixed"), ctx.options, "x.vhd"));
}

TEST(Vhd, WriterRefusesSizesBeyond2040GiB) {
    io::MemFile f;
    CreateContext ctx{&f, "big.vhd", nullptr, {}};
    ctx.options.virtual_size = uint64_t{2041} << 30;
    auto w = find("vhd-fixed")->create(ctx);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, Errc::invalid);
    EXPECT_EQ(w.error().message, "big.vhd: virtual size 2191507062784 exceeds the VHD maximum "
                                 "of 2190433320960 bytes (2040 GiB)");
}

TEST(Vhd, OneAndTwoThreadsWriteTheSameBytes) {
    auto guest = guest_pattern(9 * k_mib + 1536);
    for (const char* driver : {"vhd", "vhd-fixed"}) {
        std::vector<std::byte> out[2];
        for (unsigned t = 1; t <= 2; ++t) {
            io::MemFile f;
            ASSERT_TRUE(write_image(driver, f, "x.vhd", guest, t));
            out[t - 1] = f.data();
            // Identity fields differ by design (fresh UUID, creation time):
            // blank them and their checksums.
            for (uint64_t at : {uint64_t{0}, out[t - 1].size() - 512}) {
                std::memset(out[t - 1].data() + at + 24, 0, 4);  // timestamp
                std::memset(out[t - 1].data() + at + 64, 0, 20); // checksum, unique_id
            }
        }
        EXPECT_TRUE(out[0] == out[1]) << driver;
    }
}

TEST(Vhd, FooterCopiesAreIdenticalAndChecksummed) {
    auto bytes = small_dynamic();
    ASSERT_GT(bytes.size(), 2048u);
    EXPECT_EQ(std::memcmp(bytes.data(), bytes.data() + bytes.size() - 512, 512), 0);
    auto f = load<vhd::Footer>(bytes.data());
    EXPECT_EQ(f.checksum.get(), vhd::checksum(std::span(bytes).first(512), 64));
    auto h = load<vhd::DynamicHeader>(bytes.data() + 512);
    EXPECT_EQ(std::string(h.cookie, 8), "cxsparse");
    EXPECT_EQ(h.table_offset.get(), 1536u);
    EXPECT_EQ(h.max_table_entries.get(), 2u);
    EXPECT_EQ(h.block_size.get(), 2 * k_mib);
    EXPECT_EQ(h.checksum.get(), vhd::checksum(std::span(bytes).subspan(512, 1024), 36));
    // Unique id is a version 4 UUID.
    EXPECT_EQ(f.unique_id[6] >> 4, 4);
}

TEST(Vhd, BlockDataStartsOn4KiBBoundaries) {
    // 3 MiB: two 2 MiB blocks. Each BAT entry names the block's bitmap
    // sector; the data after that bitmap must start on a 4 KiB boundary, and
    // blocks must not overlap.
    auto bytes = small_dynamic();
    uint64_t previous_end = 1536 + 512; // the BAT of 2 entries, one sector
    for (size_t i = 0; i < 2; ++i) {
        uint32_t sector = get_be32(bytes, 1536 + 4 * i);
        ASSERT_NE(sector, 0xFFFFFFFFu) << "block " << i;
        uint64_t bitmap = uint64_t{sector} * 512;
        EXPECT_EQ((bitmap + 512) % 4096, 0u) << "block " << i << " bitmap at " << bitmap;
        EXPECT_GE(bitmap, previous_end) << "block " << i;
        previous_end = bitmap + 512 + 2 * k_mib;
    }
    EXPECT_EQ(bytes.size(), previous_end + 512); // then only the footer
}

// --- footer fallback and probing -----------------------------------------

TEST(Vhd, BadTailFooterFallsBackToTheCopyWithAWarning) {
    auto bytes = small_dynamic();
    auto guest = guest_pattern(3 * k_mib);
    bytes[bytes.size() - 512 + 100] = std::byte{1}; // reserved byte: checksum now wrong
    auto r = open_mem("vhd", bytes, "disk.vhd");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(read_all(**r) == guest);
    const auto& found = (*r)->findings();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].severity, Severity::warning);
    EXPECT_EQ(found[0].code, "DISK-VHD-FOOTER-TORN");
    EXPECT_EQ(found[0].file, "disk.vhd");
    EXPECT_EQ(found[0].message,
              fmt::format("disk.vhd: bad footer checksum at offset {}; the footer copy at offset 0 "
                          "is used",
                          bytes.size() - 512));

    // Both copies bad: refused, naming the footer at the end.
    bytes[100] = std::byte{1};
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: footer at offset {}: checksum 0x{:08x} does not match the "
                          "computed 0x{:08x}",
                          bytes.size() - 512, get_be32(bytes, bytes.size() - 512 + 64),
                          get_be32(bytes, bytes.size() - 512 + 64) - 1));
    EXPECT_EQ(code, Errc::invalid);
}

TEST(Vhd, FixedDiskWithBadFooterIsRefused) {
    auto bytes = write_image_mem("vhd-fixed", guest_pattern(k_mib));
    bytes[bytes.size() - 512 + 100] = std::byte{1};
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: footer at offset 1048576: checksum 0x{:08x} does not match "
                          "the computed 0x{:08x}",
                          get_be32(bytes, 1048576 + 64), get_be32(bytes, 1048576 + 64) - 1));
    EXPECT_EQ(code, Errc::invalid);
}

TEST(Vhd, ProbeNeedsTheWholeFooterToAgree) {
    auto fixed = write_image_mem("vhd-fixed", guest_pattern(k_mib));
    auto probe = [](const FormatDriver* d, const std::vector<std::byte>& b) {
        ProbeInput in{std::span(b).first(std::min<size_t>(b.size(), k_probe_head)),
                      std::span(b).last(std::min<size_t>(b.size(), k_probe_tail)), b.size()};
        return d->probe(in);
    };
    EXPECT_EQ(probe(find("vhd-fixed"), fixed), 100);
    EXPECT_EQ(probe(find("vhd"), fixed), 0);
    // A raw disk whose last sector starts with the cookie is not a VHD.
    auto raw = fixed;
    raw[raw.size() - 512 + 100] = std::byte{1};
    EXPECT_EQ(probe(find("vhd-fixed"), raw), 0);
    // Nor is a footer whose size does not match the file.
    auto longer = fixed;
    longer.insert(longer.begin(), 512, std::byte{0});
    EXPECT_EQ(probe(find("vhd-fixed"), longer), 0);
    // A dynamic VHD stored at the start of a fixed VHD: only the outer fixed
    // disk is detected.
    auto inner = small_dynamic();
    auto nested = fixed;
    std::memcpy(nested.data(), inner.data(), 4096);
    EXPECT_EQ(probe(find("vhd-fixed"), nested), 100);
    EXPECT_EQ(probe(find("vhd"), nested), 0);
    auto dyn = small_dynamic();
    EXPECT_EQ(probe(find("vhd"), dyn), 100);
    EXPECT_EQ(probe(find("vhd-fixed"), dyn), 0);
}

// --- hostile images -------------------------------------------------------

TEST(VhdHostile, Truncated) {
    Errc code{};
    EXPECT_EQ(open_error(std::vector<std::byte>(100), &code),
              "disk.vhd: file of 100 bytes is too small for a VHD footer (512 bytes)");
    EXPECT_EQ(code, Errc::invalid);
    EXPECT_EQ(open_error(std::vector<std::byte>(4096)),
              "disk.vhd: no VHD footer: neither offset 3584 nor offset 0 starts with 'conectix' "
              "(not a VHD, or a fixed VHD truncated: its only footer is its last 512 bytes)");

    // Cut after the first block's bitmap: the tail footer is gone, the copy
    // at offset 0 is used, and block 0 no longer fits in the file.
    auto bytes = small_dynamic();
    bytes.resize(7680 + 512 + 4096);
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vhd: BAT entry 0 at offset 1536: block at offset 7680 extends beyond the end "
              "of the file (12288 bytes)");
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VhdHostile, BadDynamicHeaderChecksum) {
    auto bytes = small_dynamic();
    bytes[512 + 900] = std::byte{7};
    Errc code{};
    uint32_t stored = get_be32(bytes, 512 + 36);
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: dynamic header at offset 512: checksum 0x{:08x} does not "
                          "match the computed 0x{:08x}",
                          stored, stored - 7));
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VhdHostile, BatOutsideTheFile) {
    auto bytes = small_dynamic();
    put_be64(bytes, 512 + 16, uint64_t{1} << 40);
    fix_header(bytes);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: dynamic header at offset 512: BAT at offset 1099511627776 "
                          "with 2 entries extends beyond the end of the file ({} bytes)",
                          bytes.size()));
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VhdHostile, MaxTableEntriesHuge) {
    auto bytes = small_dynamic();
    put_be32(bytes, 512 + 28, 0xFFFFFFFF);
    fix_header(bytes);
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vhd: dynamic header at offset 512: BAT at offset 1536 with "
                          "4294967295 entries extends beyond the end of the file ({} bytes)",
                          bytes.size()));
}

TEST(VhdHostile, MaxTableEntriesTooSmall) {
    auto bytes = small_dynamic();
    put_be32(bytes, 512 + 28, 1);
    fix_header(bytes);
    EXPECT_EQ(open_error(bytes), "disk.vhd: dynamic header at offset 512: max_table_entries 1 "
                                 "with block_size 2097152 covers less than the virtual size "
                                 "3145728");
}

TEST(VhdHostile, BlockSizes) {
    for (uint32_t bs : {0u, 3000u, 3u << 20}) {
        auto bytes = small_dynamic();
        put_be32(bytes, 512 + 32, bs);
        fix_header(bytes);
        Errc code{};
        EXPECT_EQ(open_error(bytes, &code),
                  fmt::format("disk.vhd: dynamic header at offset 512: block_size {} is not a "
                              "power of two",
                              bs));
        EXPECT_EQ(code, Errc::invalid);
    }
    for (uint32_t bs : {256u, 512u << 20}) {
        auto bytes = small_dynamic();
        put_be32(bytes, 512 + 32, bs);
        fix_header(bytes);
        EXPECT_EQ(open_error(bytes),
                  fmt::format("disk.vhd: dynamic header at offset 512: block_size {} is outside "
                              "512..268435456",
                              bs));
    }
}

TEST(VhdHostile, DataOffsetOverflow) {
    auto bytes = small_dynamic();
    set_footer64(bytes, 16, 0xFFFFFFFFFFFFFE00);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: footer at offset {}: data_offset 18446744073709551104 does "
                          "not point at a 512-aligned dynamic header inside the file ({} bytes)",
                          bytes.size() - 512, bytes.size()));
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VhdHostile, BatEntryOverflowsAndOverlaps) {
    auto bytes = small_dynamic();
    auto b0 = get_be32(bytes, 1536);
    put_be32(bytes, 1536, 0xFFFFFFF0); // sector far beyond the file
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vhd: BAT entry 0 at offset 1536: block at offset 2199023247360 "
                          "extends beyond the end of the file ({} bytes)",
                          bytes.size()));
    put_be32(bytes, 1536, 1); // inside the dynamic header
    EXPECT_EQ(open_error(bytes), "disk.vhd: BAT entry 0 at offset 1536: block at offset 512 "
                                 "overlaps the footer copy, the dynamic header or the BAT");
    put_be32(bytes, 1536, get_be32(bytes, 1540)); // two entries, one block
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vhd: BAT entries 0 and 1 overlap (blocks at offsets {} and {})",
                          uint64_t{get_be32(bytes, 1540)} * 512,
                          uint64_t{get_be32(bytes, 1540)} * 512));
    put_be32(bytes, 1536, b0);
    EXPECT_EQ(open_error(bytes), "opened");
}

TEST(VhdHostile, BadFooterFields) {
    auto bytes = small_dynamic();
    set_footer64(bytes, 48, 3 * k_mib + 100); // current_size
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vhd: footer at offset {}: current_size 3145828 is not a multiple "
                          "of 512",
                          bytes.size() - 512));
    bytes = small_dynamic();
    for (uint64_t at : {uint64_t{0}, bytes.size() - 512}) {
        put_be32(bytes, at + 60, 5);
        fix_footer(bytes, at);
    }
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vhd: footer at offset {}: disk_type 5 is not fixed (2), dynamic "
                          "(3) or differencing (4)",
                          bytes.size() - 512));
    bytes = small_dynamic();
    set_footer64(bytes, 48, uint64_t{1} << 50);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              fmt::format("disk.vhd: footer at offset {}: virtual size 1125899906842624 exceeds "
                          "the limit of 70368744177664 bytes",
                          bytes.size() - 512));
    EXPECT_EQ(code, Errc::refused);

    auto fixed = write_image_mem("vhd-fixed", guest_pattern(k_mib));
    fixed.resize(fixed.size() + 512);
    std::memmove(fixed.data() + fixed.size() - 512, fixed.data() + fixed.size() - 1024, 512);
    EXPECT_EQ(open_error(fixed), "disk.vhd: footer at offset 1049088: fixed disk of current_size "
                                 "1048576 needs a file of 1049088 bytes, the file has 1049600");
}

// --- differencing disks ---------------------------------------------------

// Builds a differencing child of `parent` from bytes: one 2 MiB block per
// parent block, only block 0 stored, with sectors 0..7 present (0xAB) and the
// rest of the block left to the parent.
std::vector<std::byte> make_child(const std::vector<std::byte>& parent, const std::string& name,
                                  bool name_in_locator_only = false) {
    auto pf = load<vhd::Footer>(parent.data() + parent.size() - 512);
    uint64_t size = pf.current_size;
    uint64_t entries = div_round_up(size, 2 * k_mib);
    uint64_t bat_bytes = *align_up(entries * 4, 512);
    uint64_t locator_at = 1536 + bat_bytes;
    uint64_t block_at = locator_at + 512;
    uint64_t end = block_at + 512 + 2 * k_mib;
    std::vector<std::byte> b(end + 512);

    vhd::Footer f = pf;
    f.disk_type = vhd::k_type_differencing;
    f.data_offset = 512;
    f.unique_id[0] ^= 0x5A; // a different disk
    f.checksum = 0;
    std::memcpy(b.data(), &f, 512);
    fix_footer(b, 0);
    std::memcpy(b.data() + end, b.data(), 512);

    vhd::DynamicHeader h{};
    std::memcpy(h.cookie, "cxsparse", 8);
    h.data_offset = ~uint64_t{0};
    h.table_offset = 1536;
    h.header_version = vhd::k_version;
    h.max_table_entries = static_cast<uint32_t>(entries);
    h.block_size = 2 * k_mib;
    std::memcpy(h.parent_unique_id, pf.unique_id, 16);
    h.parent_timestamp = pf.timestamp;
    // W2ru locator, UTF-16LE, relative path as Windows writes it.
    std::string rel = ".\\" + name;
    for (size_t i = 0; i < rel.size(); ++i) {
        b[locator_at + 2 * i] = static_cast<std::byte>(rel[i]);
    }
    h.parent_locators[0].platform_code = vhd::k_locator_w2ru;
    h.parent_locators[0].platform_data_space = 512;
    h.parent_locators[0].platform_data_length = static_cast<uint32_t>(rel.size() * 2);
    h.parent_locators[0].platform_data_offset = locator_at;
    if (!name_in_locator_only) {
        for (size_t i = 0; i < name.size(); ++i) {
            h.parent_unicode_name[2 * i + 1] = static_cast<unsigned char>(name[i]);
        }
    }
    std::memcpy(b.data() + 512, &h, 1024);
    fix_header(b);

    for (uint64_t i = 0; i < bat_bytes / 4; ++i) {
        put_be32(b, 1536 + 4 * i, i == 0 ? static_cast<uint32_t>(block_at / 512) : 0xFFFFFFFF);
    }
    b[block_at] = std::byte{0xFF}; // sectors 0..7 present
    std::fill_n(b.begin() + static_cast<ptrdiff_t>(block_at + 512), 8 * 512, std::byte{0xAB});
    return b;
}

struct ChainDir {
    TempDir dir;
    std::vector<std::byte> guest = guest_pattern(5 * k_mib);
    ChainDir() { EXPECT_TRUE(write_image_file("vhd", dir.file("base.vhd"), guest)); }
    std::vector<std::byte> base() { return read_file(dir.file("base.vhd")); }
};

OpenPolicy chains_on() {
    OpenPolicy p;
    p.allow_parent = true;
    return p;
}

TEST(VhdDifferencing, ReadsThroughTheParentWhenAllowed) {
    for (bool locator_only : {false, true}) {
        ChainDir c;
        write_file(c.dir.file("child.vhd"), make_child(c.base(), "base.vhd", locator_only));
        auto img = open_image("vhd", c.dir.file("child.vhd"), chains_on());
        ASSERT_TRUE(img) << img.error().message;
        auto& r = *img->reader;
        EXPECT_EQ(r.info().parent, locator_only ? ".\\base.vhd" : "base.vhd");
        ASSERT_EQ(r.info().files.size(), 2u);
        EXPECT_EQ(r.info().files[1], c.dir.file("base.vhd"));
        auto expected = c.guest;
        std::fill_n(expected.begin(), 8 * 512, std::byte{0xAB});
        EXPECT_TRUE(read_all(r) == expected);
        // Map: the child's 8 sectors, then the parent's own map.
        auto map = r.extents(0, r.virtual_size());
        ASSERT_TRUE(map);
        EXPECT_EQ(map->front(), (Extent{0, 2 * k_mib, ExtentKind::data})); // parent block 0 too
        EXPECT_EQ(kind_at(r, 3 * k_mib), ExtentKind::unallocated);
        expect_map_consistent(r, expected);
        Diagnostics diag;
        ASSERT_TRUE(r.check(diag));
        EXPECT_TRUE(diag.empty());
        EXPECT_TRUE(r.findings().empty());
    }
}

TEST(VhdDifferencing, RefusedWithoutTheFlag) {
    ChainDir c;
    write_file(c.dir.file("child.vhd"), make_child(c.base(), "base.vhd"));
    auto img = open_image("vhd", c.dir.file("child.vhd"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message,
              c.dir.file("child.vhd") +
                  ": differencing disk: parent 'base.vhd': not opened: parent and backing "
                  "chains are refused unless parents are allowed (--allow-parent)");
}

TEST(VhdDifferencing, ParentOnlyInsideTheDirectory) {
    ChainDir c;
    ASSERT_EQ(::mkdir(c.dir.file("sub").c_str(), 0755), 0);
    // The stored name points up and out; only its last component counts, and
    // that is not in the child's directory.
    write_file(c.dir.file("sub/child.vhd"), make_child(c.base(), "..\\base.vhd"));
    auto img = open_image("vhd", c.dir.file("sub/child.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message,
              c.dir.file("sub/child.vhd") +
                  ": differencing disk: parent 'base.vhd': not found in the image's directory " +
                  c.dir.file("sub"));

    // A symbolic link to the parent is not followed.
    ASSERT_EQ(::symlink("../base.vhd", c.dir.file("sub/base.vhd").c_str()), 0);
    img = open_image("vhd", c.dir.file("sub/child.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message,
              c.dir.file("sub/child.vhd") +
                  ": differencing disk: parent 'base.vhd': " + c.dir.file("sub/base.vhd") +
                  ": refused: a symbolic link (links are not followed)");

    // Protocol syntax is never a file name (SECURITY.md R3).
    write_file(c.dir.file("nbd.vhd"), make_child(c.base(), "nbd:host"));
    img = open_image("vhd", c.dir.file("nbd.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message, c.dir.file("nbd.vhd") +
                                       ": differencing disk: parent 'nbd:host': not a plain file "
                                       "name beside the image: file name 'nbd:host' has ':' (URLs "
                                       "and protocols are refused)");

    // No directory at all (an image handed over as a bare stream).
    auto r = [&] {
        OpenContext ctx{
            std::make_unique<io::MemFile>("child.vhd", read_file(c.dir.file("sub/child.vhd"))),
            nullptr, chains_on(), 0};
        return find("vhd")->open(ctx);
    }();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "child.vhd: differencing disk: parent 'base.vhd': cannot be "
                                 "opened: the image may not refer to other files here");
}

TEST(VhdDifferencing, LoopsDepthAndWrongParentsAreRefused) {
    ChainDir c;
    // A child that names itself.
    auto self = make_child(c.base(), "self.vhd");
    write_file(c.dir.file("self.vhd"), self);
    auto img = open_image("vhd", c.dir.file("self.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().message, c.dir.file("self.vhd") +
                                       ": differencing disk: parent 'self.vhd': forms a loop: "
                                       "that name is already in the chain");

    // a.vhd -> b.vhd -> a.vhd, with matching unique ids.
    auto a = make_child(c.base(), "b.vhd");
    auto b = make_child(a, "a.vhd");
    // Make a's parent id b's unique id.
    std::memcpy(a.data() + 512 + 40, b.data() + 68, 16);
    fix_header(a);
    write_file(c.dir.file("a.vhd"), a);
    write_file(c.dir.file("b.vhd"), b);
    img = open_image("vhd", c.dir.file("a.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message, c.dir.file("b.vhd") +
                                       ": differencing disk: parent 'a.vhd': forms a loop: that "
                                       "name is already in the chain");

    // Depth.
    write_file(c.dir.file("child.vhd"), make_child(c.base(), "base.vhd"));
    OpenPolicy shallow = chains_on();
    shallow.max_chain_depth = 0;
    img = open_image("vhd", c.dir.file("child.vhd"), shallow);
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().message, c.dir.file("child.vhd") +
                                       ": differencing disk: parent 'base.vhd': would make the "
                                       "chain deeper than the limit of 0");

    // A parent with another unique id.
    auto wrong = make_child(c.base(), "base.vhd");
    wrong[512 + 40] ^= std::byte{1};
    fix_header(wrong);
    write_file(c.dir.file("wrong.vhd"), wrong);
    img = open_image("vhd", c.dir.file("wrong.vhd"), chains_on());
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_NE(img.error().message.find(": differencing disk: parent 'base.vhd' has unique_id "),
              std::string::npos)
        << img.error().message;
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::disk::formats {
namespace {

std::string seed(const std::string& name) {
    return std::string(OVFKIT_SOURCE_DIR) + "/fuzz/corpus/vhd/" + name;
}

// The fuzz seeds reach the deep paths; fuzz/make_vhd_vdi_seeds.py makes them.
TEST(VhdSeeds, PartialBitmapsAreHonouredPerSector) {
    auto r = open_mem("vhd", test::read_file(seed("dynamic-4k-partial-bitmap.vhd")), "p.vhd");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->virtual_size(), 65536u);
    auto map = (*r)->extents(0, 65536);
    ASSERT_TRUE(map);
    // Block 3's bitmap is 0xf0: sectors 0..3 stored, 4..7 not (zeros, even
    // though the file holds bytes there).
    std::vector<Extent> want{{0, 4096, ExtentKind::data},
                             {4096, 8192, ExtentKind::unallocated},
                             {12288, 2048, ExtentKind::data},
                             {14336, 47104, ExtentKind::unallocated},
                             {61440, 4096, ExtentKind::data}};
    EXPECT_EQ(*map, want);
    auto bytes = test::read_all(**r);
    EXPECT_TRUE(test::all_zero(std::span(bytes).subspan(14336, 2048)));
    EXPECT_FALSE(test::all_zero(std::span(bytes).subspan(12288, 2048)));

    auto fixed = open_mem("vhd-fixed", test::read_file(seed("fixed-16k.vhd")));
    ASSERT_TRUE(fixed) << fixed.error().message;
    EXPECT_EQ((*fixed)->virtual_size(), 16384u);
    auto qemu = open_mem("vhd", test::read_file(seed("qemu-dynamic-64m.vhd")));
    ASSERT_TRUE(qemu) << qemu.error().message;
    EXPECT_EQ((*qemu)->extents(0, 1 << 20)->front().kind, ExtentKind::unallocated);
    auto diff = open_mem("vhd", test::read_file(seed("differencing-w2ru.vhd")), "d.vhd");
    ASSERT_FALSE(diff);
    EXPECT_EQ(diff.error().message, "d.vhd: differencing disk: parent 'base.vhd': not opened: "
                                    "parent and backing chains are refused unless parents are "
                                    "allowed (--allow-parent)");
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::test {

namespace {

// A 2 MiB dynamic VHD whose footer unique_id is 16 bytes of `id`.
std::vector<std::byte> vhd_with_id(uint8_t id) {
    auto b = write_image_mem("vhd", guest_pattern(2 * k_mib));
    for (uint64_t at : {uint64_t{0}, b.size() - 512}) {
        std::memset(b.data() + at + 68, id, 16);
        disk::formats::fix_footer(b, at);
    }
    return b;
}

} // namespace

// Differencing chains for chain_test.cpp; the identity is the unique_id.
const ChainKit& vhd_chain_kit() {
    static const ChainKit kit{
        .format = "vhd",
        .extension = ".vhd",
        .has_identity = true,
        .write_base = [](const std::string& path,
                         uint8_t id) { write_file(path, vhd_with_id(id)); },
        .write_child =
            [](const std::string& path, const std::string& parent, uint8_t id, uint8_t parent_id) {
                auto b = disk::formats::make_child(vhd_with_id(parent_id), parent);
                for (uint64_t at : {uint64_t{0}, b.size() - 512}) {
                    std::memset(b.data() + at + 68, id, 16);
                    disk::formats::fix_footer(b, at);
                }
                write_file(path, b);
            },
    };
    return kit;
}

} // namespace ovfkit::test
