// Raw images: the virtual size is the file size, holes map as unallocated,
// the writer leaves zero runs as holes and sets the exact size, and raw is
// never detected.
#include <cstring>

#include "support/disk_images.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk::formats {
namespace {

using namespace ovfkit::test;

// Writes `bytes` at `offset` of an existing file, leaving the rest alone.
void poke(const std::string& path, uint64_t offset, const std::vector<std::byte>& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

std::vector<std::byte> filled(size_t n, uint8_t seed) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::byte>((i * 131 + seed) | 1); // never zero
    }
    return v;
}

void make_sparse(const std::string& path, uint64_t size) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    ::close(fd);
}

// Whether the file system under `dir` reports holes (tmpfs, ext4, xfs, btrfs
// do; some overlay and network file systems do not).
bool reports_holes(const TempDir& dir) {
    std::string p = dir.file("probe-holes");
    make_sparse(p, 8 * k_mib);
    poke(p, 0, filled(4096, 1));
    auto f = io::open_read(p);
    auto hole = f ? (*f)->next_hole(0) : Result<uint64_t>(0);
    ::unlink(p.c_str());
    return hole && *hole < 8 * k_mib;
}

TEST(Raw, IsRegisteredWithoutAProbe) {
    const FormatDriver* d = find("raw");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->family, "raw");
    EXPECT_EQ(d->probe, nullptr);
    EXPECT_NE(d->open, nullptr);
    EXPECT_NE(d->create, nullptr);
    EXPECT_FALSE(d->supports_compression);
}

TEST(Raw, VirtualSizeIsTheFileSizeExactly) {
    auto r = open_mem("raw", filled(1000, 7), "odd.img");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().format, "raw");
    EXPECT_EQ((*r)->virtual_size(), 1000u);
    EXPECT_EQ((*r)->info().cluster_size, 0u);
    EXPECT_FALSE((*r)->info().parent);
    EXPECT_EQ((*r)->info().files, std::vector<std::string>{"odd.img"});
    EXPECT_TRUE((*r)->concurrent_reads());
    EXPECT_TRUE(read_all(**r) == filled(1000, 7));

    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    ASSERT_EQ(diag.findings().size(), 1u);
    EXPECT_EQ(diag.findings()[0].code, "RAW-SIZE");
    EXPECT_EQ(diag.findings()[0].message,
              "size 1000 is not a multiple of 512 bytes; qemu rounds such a disk up, some "
              "hypervisors down");
}

TEST(Raw, EmptyFileIsAnEmptyDisk) {
    auto r = open_mem("raw", {}, "empty.img");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->virtual_size(), 0u);
    auto map = (*r)->extents(0, 1 << 20);
    ASSERT_TRUE(map);
    EXPECT_TRUE(map->empty());
}

TEST(Raw, SizeAboveThePolicyIsRefused) {
    const FormatDriver* d = find("raw");
    OpenContext ctx{std::make_unique<io::MemFile>("big.img", filled(8192, 1)), nullptr, {}, 0};
    ctx.policy.max_virtual_size = 4096;
    auto r = d->open(ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_EQ(r.error().message,
              "big.img: raw image of 8192 bytes exceeds the limit of 4096 bytes");
}

TEST(Raw, HolesMapAsUnallocated) {
    TempDir dir;
    if (!reports_holes(dir)) {
        GTEST_SKIP() << "the file system under " << dir.path() << " does not report holes";
    }
    const uint64_t size = 16 * k_mib;
    std::string p = dir.file("sparse.img");
    make_sparse(p, size);
    poke(p, 0, filled(4096, 1));
    poke(p, 5 * k_mib, filled(64 * 1024, 2));
    poke(p, size - 4096, filled(4096, 3));

    auto img = test::open_image("raw", p);
    ASSERT_TRUE(img) << img.error().message;
    DiskReader& r = *img->reader;
    EXPECT_EQ(r.virtual_size(), size);
    auto map = r.extents(0, size);
    ASSERT_TRUE(map) << map.error().message;
    // Holes are reported at file system granularity: data may be wider than
    // what was written, never narrower.
    EXPECT_EQ(kind_at(r, 0), ExtentKind::data);
    EXPECT_EQ(kind_at(r, 5 * k_mib + 100), ExtentKind::data);
    EXPECT_EQ(kind_at(r, size - 1), ExtentKind::data);
    EXPECT_EQ(kind_at(r, 2 * k_mib), ExtentKind::unallocated);
    EXPECT_EQ(kind_at(r, 10 * k_mib), ExtentKind::unallocated);
    auto expected = std::vector<std::byte>(size);
    std::memcpy(expected.data(), filled(4096, 1).data(), 4096);
    std::memcpy(expected.data() + 5 * k_mib, filled(64 * 1024, 2).data(), 64 * 1024);
    std::memcpy(expected.data() + size - 4096, filled(4096, 3).data(), 4096);
    expect_map_consistent(r, expected);
    EXPECT_TRUE(read_all(r) == expected);
    EXPECT_GE(r.info().allocated_size, 4096u + 65536u + 4096u);
    EXPECT_LT(r.info().allocated_size, 4 * k_mib);

    // A map of a sub-range starts and ends where asked.
    auto part = r.extents(5 * k_mib + 512, 4096);
    ASSERT_TRUE(part);
    ASSERT_EQ(part->size(), 1u);
    EXPECT_EQ(part->front(), (Extent{5 * k_mib + 512, 4096, ExtentKind::data}));
}

TEST(Raw, WriterKeepsZeroRunsAsHolesAndSetsTheSize) {
    TempDir dir;
    const uint64_t size = 8 * k_mib + 1000; // not a multiple of the granularity
    std::vector<std::byte> guest(size);
    std::memcpy(guest.data() + k_mib, filled(8192, 4).data(), 8192);
    std::memcpy(guest.data() + size - 1000, filled(1000, 5).data(), 1000);
    ASSERT_TRUE(write_image_file("raw", dir.file("out.img"), guest));
    EXPECT_TRUE(read_file(dir.file("out.img")) == guest);
    if (reports_holes(dir)) {
        struct stat st {};
        ASSERT_EQ(::stat(dir.file("out.img").c_str(), &st), 0);
        EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 1 * k_mib);
    }
}

TEST(Raw, WriterRefusesClusterSizeCompressionAndChunksBeyondTheDisk) {
    const FormatDriver* d = find("raw");
    io::MemFile f("out.img");
    CreateContext ctx{&f, "out.img", nullptr, {}};
    ctx.options.virtual_size = 4096;
    ctx.options.cluster_size = 65536;
    auto checked = check_create_options(*d, ctx.options, "out.img");
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code, Errc::usage);
    EXPECT_EQ(checked.error().message, "out.img: raw images have no cluster size (got 65536)");
    ctx.options.cluster_size = 0;
    ctx.options.compress = true;
    checked = check_create_options(*d, ctx.options, "out.img");
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().message, "out.img: raw images cannot be compressed");
    ctx.options.compress = false;
    auto w = d->create(ctx);
    ASSERT_TRUE(w);
    EXPECT_FALSE((*w)->capabilities().sequential_only);
    std::vector<std::byte> data(8192, std::byte{1});
    Chunk c;
    c.offset = 0;
    c.data = data;
    auto r = (*w)->write(c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "out.img: raw writer: chunk of 8192 bytes at offset 0 lies "
                                 "beyond the virtual size 4096");
}

TEST(Raw, WriterTakesChunksInAnyOrderAndStartsFromAnEmptyFile) {
    const FormatDriver* d = find("raw");
    io::MemFile f("out.img", filled(100000, 9)); // stale bytes must not survive
    CreateContext ctx{&f, "out.img", nullptr, {}};
    ctx.options.virtual_size = 3 * 4096;
    auto w = d->create(ctx);
    ASSERT_TRUE(w);
    auto a = filled(4096, 1);
    auto b = filled(4096, 2);
    Chunk c2{2 * 4096, b, {}, nullptr};
    Chunk c0{0, a, {{0, 4096, ExtentKind::data}}, nullptr};
    ASSERT_TRUE((*w)->write(c2));
    ASSERT_TRUE((*w)->write(c0));
    ASSERT_TRUE((*w)->finish());
    std::vector<std::byte> want(3 * 4096);
    std::memcpy(want.data(), a.data(), 4096);
    std::memcpy(want.data() + 2 * 4096, b.data(), 4096);
    EXPECT_TRUE(f.data() == want);
}

// A block device (--to-device) is not sparse and keeps its size: the dense
// writer writes zeros over every range it skips and never truncates.
TEST(Raw, DenseWriterZeroesWhatItSkipsAndKeepsTheSize) {
    const FormatDriver* d = find("raw");
    const std::vector<std::byte> stale(10 * 4096, std::byte{0xff});
    io::MemFile f("dev", stale);
    CreateContext ctx{&f, "dev", nullptr, {}};
    ctx.options.virtual_size = 6 * 4096 + 100;
    ctx.options.dense = true;
    auto w = d->create(ctx);
    ASSERT_TRUE(w);
    EXPECT_TRUE((*w)->capabilities().sequential_only);
    auto a = filled(2 * 4096, 1);
    auto b = filled(4096 + 100, 2);
    // Chunk 0: data, then a zero run the writer skips; chunk at 5 pages: the
    // last page and the partial sector; pages 2..4 are never handed over.
    Chunk c0{0, a, {{0, 4096, ExtentKind::data}, {4096, 4096, ExtentKind::zero}}, nullptr};
    Chunk c5{5 * 4096, b, {}, nullptr};
    ASSERT_TRUE((*w)->write(c0));
    ASSERT_TRUE((*w)->write(c5));
    Chunk back{0, a, {}, nullptr};
    auto r = (*w)->write(back);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "dev: raw writer: dense write at 0 before offset 24676");
    ASSERT_TRUE((*w)->finish());
    std::vector<std::byte> want = stale; // past the disk: untouched
    std::fill(want.begin(), want.begin() + 6 * 4096 + 100, std::byte{0});
    std::memcpy(want.data(), a.data(), 4096);
    std::memcpy(want.data() + 5 * 4096, b.data(), b.size());
    EXPECT_TRUE(f.data() == want);
}

TEST(Raw, IsNeverDetected) {
    // A disk of zeros, of text, of a boot sector: no driver claims it.
    std::vector<std::vector<std::byte>> disks{std::vector<std::byte>(1 << 20), filled(1 << 20, 3),
                                              guest_pattern(2 * k_mib)};
    for (const auto& bytes : disks) {
        ProbeInput in{std::span(bytes).first(std::min<size_t>(bytes.size(), k_probe_head)),
                      std::span(bytes).last(std::min<size_t>(bytes.size(), k_probe_tail)),
                      bytes.size()};
        auto d = detect_format(in, all(), "disk.img");
        ASSERT_FALSE(d) << (*d)->name;
        EXPECT_EQ(d.error().code, Errc::invalid);
        EXPECT_EQ(d.error().message,
                  "disk.img: unknown disk format: no format recognises the content; name the "
                  "format with -f (raw is never guessed)");
    }
}

} // namespace
} // namespace ovfkit::disk::formats
