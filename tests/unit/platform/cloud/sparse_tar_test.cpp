// The GNU oldgnu sparse member writer (platform/cloud/sparse_tar.hpp): the
// header layout decoded field by field for 0, 1, 4, 5, 25, 26 and many map
// entries, base-256 sizes, the sparse map of a disk, and whole archives
// read back by GNU tar (the independent reader).
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ovfkit/disk/reader.hpp>
#include <ovfkit/platform/cloud/gce.hpp>
#include <ovfkit/platform/cloud/sparse_tar.hpp>

#include <support/disk_images.hpp>
#include <support/synthetic_disk.hpp>
#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::cloud {
namespace {

using test::SyntheticDisk;
constexpr uint64_t k_mib = uint64_t{1} << 20;

// A numeric field as GNU tar reads it: octal digits up to NUL/space, or
// base-256 when the first byte has 0x80 set.
uint64_t number(const std::vector<std::byte>& b, size_t at, size_t width) {
    if ((std::to_integer<unsigned>(b[at]) & 0x80) != 0) {
        uint64_t v = std::to_integer<unsigned>(b[at]) & 0x7f;
        for (size_t i = 1; i < width; ++i) {
            v = (v << 8) | std::to_integer<unsigned>(b[at + i]);
        }
        return v;
    }
    std::string text;
    for (size_t i = 0; i < width; ++i) {
        char c = static_cast<char>(b[at + i]);
        if (c == '\0' || c == ' ') {
            break;
        }
        EXPECT_TRUE(c >= '0' && c <= '7') << "field at " << at;
        text += c;
    }
    return text.empty() ? 0 : std::stoull(text, nullptr, 8);
}

std::string text(const std::vector<std::byte>& b, size_t at, size_t width) {
    std::string s(reinterpret_cast<const char*>(b.data()) + at, width);
    return s.substr(0, s.find('\0'));
}

unsigned checksum(const std::vector<std::byte>& b, size_t block) {
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) {
        sum += (i >= 148 && i < 156) ? unsigned{' '} : std::to_integer<unsigned>(b[block + i]);
    }
    return sum;
}

SparseMap map_of(size_t entries, uint64_t step = 128 * 1024) {
    SparseMap m;
    for (size_t i = 0; i < entries; ++i) {
        m.segments.push_back({i * step, 4096 + i});
    }
    m.real_size = entries * step + step;
    return m;
}

// Decodes the member's map back out of its header blocks.
std::vector<SparseSegment> decode_map(const std::vector<std::byte>& h) {
    std::vector<SparseSegment> out;
    auto pairs = [&](size_t at, size_t count) {
        for (size_t i = 0; i < count; ++i) {
            size_t p = at + i * 24;
            if (h[p + 12] == std::byte{0}) { // GNU tar: an empty numbytes ends the map
                return;
            }
            out.push_back({number(h, p, 12), number(h, p + 12, 12)});
        }
    };
    pairs(386, 4);
    bool more = h[482] == std::byte{1};
    for (size_t block = 512; more; block += 512) {
        EXPECT_LT(block, h.size());
        pairs(block, 21);
        more = h[block + 504] == std::byte{1};
    }
    return out;
}

class HeaderLayout : public ::testing::TestWithParam<size_t> {};

TEST_P(HeaderLayout, DecodesBackToTheMap) {
    const size_t entries = GetParam();
    SparseMap m = map_of(entries);
    auto h = sparse_member_header("disk.raw", m, 1700000000);
    ASSERT_TRUE(h) << h.error().message;
    const size_t extensions = entries <= 4 ? 0 : (entries - 4 + 20) / 21;
    ASSERT_EQ(h->size(), (1 + extensions) * 512);
    EXPECT_EQ(text(*h, 0, 100), "disk.raw");
    EXPECT_EQ(static_cast<char>((*h)[156]), 'S');
    EXPECT_EQ(std::memcmp(h->data() + 257, "ustar  \0", 8), 0); // oldgnu magic
    EXPECT_EQ(number(*h, 100, 8), 0644u);
    EXPECT_EQ(number(*h, 124, 12), m.data_bytes());
    EXPECT_EQ(number(*h, 136, 12), 1700000000u);
    EXPECT_EQ(number(*h, 483, 12), m.real_size);
    EXPECT_EQ(number(*h, 148, 8), checksum(*h, 0));
    EXPECT_EQ((*h)[154], std::byte{0});
    EXPECT_EQ((*h)[155], std::byte{' '});
    EXPECT_EQ((*h)[482], std::byte{extensions > 0 ? uint8_t{1} : uint8_t{0}});
    EXPECT_EQ(decode_map(*h), m.segments);
    if (extensions > 0) {
        // The last extension block says no more follow.
        EXPECT_EQ((*h)[extensions * 512 + 504], std::byte{0});
    }
}

INSTANTIATE_TEST_SUITE_P(Entries, HeaderLayout, ::testing::Values(0, 1, 4, 5, 25, 26, 1000));

TEST(SparseTarHeader, SizesOf8GiBAndMoreAreBase256) {
    SparseMap m;
    const uint64_t big = uint64_t{10} << 30;
    m.real_size = big + 4096;
    m.segments = {{0, big}, {big + 4096, 0}};
    auto h = sparse_member_header("disk.raw", m, 0);
    ASSERT_TRUE(h);
    EXPECT_EQ((*h)[124], std::byte{0x80});
    EXPECT_EQ(number(*h, 124, 12), big);
    EXPECT_EQ((*h)[483], std::byte{0x80});
    EXPECT_EQ(number(*h, 483, 12), big + 4096);
    EXPECT_EQ(decode_map(*h), m.segments);
    // Just under 8 GiB still fits 11 octal digits.
    m.real_size = (uint64_t{8} << 30) - 1;
    m.segments = {{0, m.real_size}};
    h = sparse_member_header("disk.raw", m, 0);
    ASSERT_TRUE(h);
    EXPECT_EQ(static_cast<char>((*h)[124]), '7');
}

TEST(SparseTarHeader, RefusesLongNames) {
    auto h = sparse_member_header(std::string(101, 'a'), map_of(1), 0);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, Errc::usage);
}

TEST(SparseMapScan, HolesAreUnallocatedZeroAndAllZeroData) {
    using K = disk::ExtentKind;
    SyntheticDisk disk(8 * k_mib, {{0, 4096, K::data, 7},               // data in the first block
                                   {k_mib, 256 * 1024, K::data, 0},     // stored zeros: a hole
                                   {2 * k_mib, 64 * 1024, K::zero, 0},  // a zero extent
                                   {3 * k_mib + 70000, 10, K::data, 9}, // inside block 3M+64K
                                   {7 * k_mib, k_mib, K::data, 3}});    // to the end
    auto m = scan_sparse_map(disk, 8 * k_mib);
    ASSERT_TRUE(m) << m.error().message;
    std::vector<SparseSegment> want{
        {0, 64 * 1024}, {3 * k_mib + 64 * 1024, 64 * 1024}, {7 * k_mib, k_mib}};
    EXPECT_EQ(m->segments, want);
    EXPECT_EQ(m->data_bytes(), 64 * 1024 * 2 + k_mib);
    // A larger file ends in a hole: (real size, 0) closes the map.
    m = scan_sparse_map(disk, 16 * k_mib);
    ASSERT_TRUE(m);
    want.push_back({16 * k_mib, 0});
    EXPECT_EQ(m->segments, want);
    // An empty disk is one hole.
    SyntheticDisk empty(k_mib, {});
    m = scan_sparse_map(empty, k_mib);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->segments, (std::vector<SparseSegment>{{k_mib, 0}}));
    // A file smaller than the disk is refused.
    EXPECT_FALSE(scan_sparse_map(disk, k_mib));
}

// The whole archive, read by GNU tar: one member disk.raw, listed as
// sparse, extracting to the disk's bytes (zero-padded to the real size) as
// a sparse file.
struct ArchiveCase {
    const char* name;
    uint64_t size;
    uint64_t real_size;
    std::vector<SyntheticDisk::Stored> stored;
};

class GnuTarReadsIt : public ::testing::TestWithParam<int> {};

std::vector<ArchiveCase> archive_cases() {
    using K = disk::ExtentKind;
    std::vector<ArchiveCase> cases;
    cases.push_back({"empty", 2 * k_mib, 3 * k_mib, {}});
    cases.push_back({"one", 4 * k_mib, 4 * k_mib, {{k_mib, 4096, K::data, 5}}});
    cases.push_back({"full", 2 * k_mib, 2 * k_mib, {{0, 2 * k_mib, K::data, 1}}});
    std::vector<SyntheticDisk::Stored> many;
    for (uint64_t i = 0; i < 60; ++i) { // 60 segments: three extension blocks
        many.push_back({i * 256 * 1024, 512 + i, K::data, static_cast<uint8_t>(i + 1)});
    }
    cases.push_back({"many", 16 * k_mib, 32 * k_mib, many});
    return cases;
}

TEST_P(GnuTarReadsIt, ExtractsTheDiskAsASparseFile) {
    if (!test::have_tool("tar") || test::run("tar --version | grep -q 'GNU tar'") != 0) {
        GTEST_SKIP() << "GNU tar is not installed";
    }
    ArchiveCase c = archive_cases()[static_cast<size_t>(GetParam())];
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    SyntheticDisk disk(c.size, c.stored);
    GceArchiveOptions options;
    options.real_size = c.real_size;
    options.mtime = 1700000000;
    options.threads = 2;
    const std::string archive = dir.file("image.tar.gz");
    auto report = write_gce_archive(disk, archive, options);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->real_size, c.real_size);
    EXPECT_EQ(report->archive_bytes % 10240, 0u);
    struct stat st {};
    ASSERT_EQ(::stat(archive.c_str(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), report->gzip_bytes);

    std::string out;
    ASSERT_EQ(test::run_tool("tar -tvzf '" + archive + "'", &out), 0) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(" disk.raw\n"), std::string::npos) << out;
    EXPECT_NE(out.find(std::to_string(c.real_size)), std::string::npos) << out;
    EXPECT_EQ(out.find("warning"), std::string::npos) << out;
    // The first header, after gunzip: oldgnu magic, type S.
    out.clear();
    ASSERT_EQ(
        test::run("gzip -dc '" + archive + "' | head -c 512 | od -An -c -j 156 -N 1 | tr -d ' \\n'",
                  &out),
        0);
    EXPECT_EQ(out, "S");
    out.clear();
    ASSERT_EQ(test::run("gzip -dc '" + archive +
                            "' | head -c 265 | tail -c 8 | od -An -tx1 | tr -d ' \\n'",
                        &out),
              0);
    EXPECT_EQ(out, "7573746172202000");

    ASSERT_EQ(test::run_tool("tar -xSzf '" + archive + "' -C '" + dir.path() + "'", &out), 0)
        << out;
    std::vector<std::byte> got = test::read_file(dir.file("disk.raw"));
    std::vector<std::byte> want = disk.guest();
    want.resize(c.real_size, std::byte{0});
    ASSERT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
    ASSERT_EQ(::stat(dir.file("disk.raw").c_str(), &st), 0);
    // Sparse on the file system: the holes take no blocks.
    if (report->data_bytes < c.real_size / 2) {
        EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, c.real_size / 2);
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, GnuTarReadsIt, ::testing::Values(0, 1, 2, 3));

// For a file whose data lies in whole 64 KiB blocks, GNU tar finds the
// same segments (SEEK_HOLE): its `--format=oldgnu -S` archive of the file
// is byte for byte the archive written here, headers, extension block,
// data and padding.
TEST(GceArchive, SameBytesAsGnuTarOldgnuSparse) {
    if (!test::have_tool("tar") || test::run("tar --version | grep -q 'GNU tar'") != 0) {
        GTEST_SKIP() << "GNU tar is not installed";
    }
    test::TempDir dir;
    const std::string raw = dir.file("disk.raw");
    {
        std::vector<std::byte> block(64 * 1024, std::byte{0x5a});
        auto out = test::create_output(raw);
        ASSERT_TRUE(out);
        ASSERT_TRUE((*out)->truncate(8 * k_mib));
        for (uint64_t off :
             {uint64_t{0}, k_mib, 3 * k_mib, 5 * k_mib + 65536, 6 * k_mib, 7 * k_mib}) {
            ASSERT_TRUE((*out)->pwrite(block, off));
        }
    }
    std::string out;
    ASSERT_EQ(test::run("cd '" + dir.path() +
                            "' && tar --format=oldgnu -Scf gnu.tar --mtime=@1700000000 "
                            "--owner=root:0 --group=root:0 disk.raw",
                        &out),
              0)
        << out;
    auto image = test::open_image("raw", raw);
    ASSERT_TRUE(image) << image.error().message;
    GceArchiveOptions options;
    options.mtime = 1700000000;
    auto report = write_gce_archive(*image->reader, dir.file("ours.tar.gz"), options);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->segments, 7u); // six data segments and the trailing hole
    ASSERT_EQ(
        test::run("gzip -dc '" + dir.file("ours.tar.gz") + "' > '" + dir.file("ours.tar") + "'"),
        0);
    std::vector<std::byte> gnu = test::read_file(dir.file("gnu.tar"));
    std::vector<std::byte> ours = test::read_file(dir.file("ours.tar"));
    ASSERT_EQ(ours.size(), gnu.size());
    for (size_t i = 0; i < gnu.size(); ++i) {
        ASSERT_EQ(ours[i], gnu[i]) << "first difference at byte " << i;
    }
}

TEST(GceArchive, NothingIsLeftWhenReadingFails) {
    using K = disk::ExtentKind;
    test::TempDir dir;
    SyntheticDisk disk(4 * k_mib, {{0, k_mib, K::data, 1}});
    disk.fail_reads_at = 4096;
    auto report = write_gce_archive(disk, dir.file("x.tar.gz"));
    ASSERT_FALSE(report);
    struct stat st {};
    EXPECT_NE(::stat(dir.file("x.tar.gz").c_str(), &st), 0);
}

} // namespace
} // namespace ovfkit::platform::cloud
