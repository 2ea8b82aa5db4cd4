#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/aligned_buffer.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::io {
namespace {

using test::TempDir;
using test::write_text;

TEST(File, ReadExactReportsWhereTheFileEnds) {
    MemFile f("disk.img", std::vector<std::byte>(100));
    std::vector<std::byte> buf(64);
    EXPECT_TRUE(read_exact(f, buf, 0));
    auto r = read_exact(f, buf, 50);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "disk.img: unexpected end of file: wanted 64 bytes at offset 50, file ends at 100");
}

TEST(File, OpenReadRefusesFifosAndDirectories) {
    TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    auto r = open_read(dir.file("fifo"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    auto d = open_read(dir.path());
    ASSERT_FALSE(d);
    EXPECT_FALSE(open_read(dir.file("missing")));
    EXPECT_EQ(open_read(dir.file("missing")).error().code, Errc::io);
}

TEST(File, IdentityIsTheSameForTwoNamesOfOneFile) {
    TempDir dir;
    write_text(dir.file("a"), "x");
    write_text(dir.file("c"), "x");
    ASSERT_EQ(::link(dir.file("a").c_str(), dir.file("b").c_str()), 0);
    auto a = open_read(dir.file("a"));
    auto b = open_read(dir.file("b"));
    auto c = open_read(dir.file("c"));
    ASSERT_TRUE(a && b && c);
    ASSERT_TRUE((*a)->identity());
    EXPECT_EQ((*a)->identity(), (*b)->identity());
    EXPECT_NE((*a)->identity(), (*c)->identity());
    EXPECT_FALSE(MemFile("m").identity());
}

TEST(File, ReportsHolesOfSparseFiles) {
    TempDir dir;
    test::write_text(dir.file("sparse"), "");
    auto f = open_read(dir.file("sparse"));
    ASSERT_TRUE(f);
    // Build a sparse file: 1 MiB hole, 4 KiB data.
    {
        int fd = ::open(dir.file("sparse").c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        auto out = adopt_fd(fd, "sparse");
        std::vector<std::byte> data(4096, std::byte{1});
        ASSERT_TRUE(out->pwrite(data, 1 << 20));
    }
    auto data = (*f)->next_data(0);
    ASSERT_TRUE(data);
    // File systems without hole reporting say "data at 0"; both are correct.
    EXPECT_TRUE(*data == 0 || *data == (1u << 20));
    EXPECT_EQ((*f)->next_hole(1 << 20).value(), (1u << 20) + 4096);
}

// Pages of `path` in [offset, offset+length) that are in the page cache.
size_t resident_pages(const std::string& path, uint64_t offset, size_t length) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) {
        return ~size_t{0};
    }
    void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
    ::close(fd);
    if (map == MAP_FAILED) {
        return ~size_t{0};
    }
    size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> vec((length + page - 1) / page);
    size_t n = 0;
    if (::mincore(map, length, vec.data()) == 0) {
        for (unsigned char v : vec) {
            n += v & 1;
        }
    } else {
        n = ~size_t{0};
    }
    ::munmap(map, length);
    return n;
}

std::vector<std::byte> read_all(const std::string& path) {
    auto f = open_read(path);
    EXPECT_TRUE(f);
    std::vector<std::byte> out(static_cast<size_t>((*f)->size().value()));
    EXPECT_TRUE(read_exact(**f, out, 0));
    return out;
}

TEST(File, DirectWritesTakeOnlyWholeAlignedPages) {
    TempDir dir;
    std::string path = dir.file("out.img");
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
    ASSERT_GE(fd, 0);
    auto out = adopt_fd_direct(fd, path);
    if (!out->direct_writes()) {
        GTEST_SKIP() << "the file system of " << dir.path() << " has no direct I/O";
    }
    const size_t mib = size_t{1} << 20;
    AlignedBuffer data(mib);
    for (size_t i = 0; i < mib; ++i) {
        data.data()[i] = static_cast<std::byte>(i * 7 + 3);
    }
    std::vector<std::byte> expected(3 * mib + 1000);

    // As a format writes: a small header, aligned data, a misaligned copy,
    // a short tail and a write from a misaligned address.
    std::vector<std::byte> header(512, std::byte{0x48});
    ASSERT_TRUE(out->pwrite(header, 0));
    std::copy(header.begin(), header.end(), expected.begin());
    EXPECT_EQ(out->direct_bytes(), 0u);

    ASSERT_TRUE(out->pwrite(data.span(), mib)); // aligned: direct
    std::copy_n(data.data(), mib, expected.begin() + mib);
    EXPECT_EQ(out->direct_bytes(), mib);

    ASSERT_TRUE(out->pwrite(data.span().first(mib - 4096), 2 * mib + 512)); // offset: buffered
    std::copy_n(data.data(), mib - 4096, expected.begin() + 2 * mib + 512);
    ASSERT_TRUE(out->pwrite(data.span().subspan(1, 4096), 4096)); // address: buffered
    std::copy_n(data.data() + 1, 4096, expected.begin() + 4096);
    ASSERT_TRUE(out->pwrite(data.span().first(1000), 3 * mib)); // length: buffered
    std::copy_n(data.data(), 1000, expected.begin() + 3 * mib);
    EXPECT_EQ(out->direct_bytes(), mib);
    ASSERT_TRUE(out->sync());

    // The direct megabyte never entered the page cache; the buffered ones did.
    EXPECT_EQ(resident_pages(path, mib, mib), 0u);
    EXPECT_GT(resident_pages(path, 2 * mib, mib), 0u);
    EXPECT_EQ(read_all(path), expected);
}

TEST(File, OutputSetWritesDirectlyWhenAsked) {
    TempDir dir;
    AlignedBuffer data(64 * 1024);
    std::fill_n(data.data(), data.size(), std::byte{0x5a});
    for (bool direct : {false, true}) {
        std::string path = dir.file(direct ? "direct.img" : "buffered.img");
        OutputSet set(false, direct);
        auto f = set.create(path);
        ASSERT_TRUE(f);
        ASSERT_TRUE((*f)->pwrite(data.span(), 8192));
        uint64_t written = set.direct_bytes();
        bool supported = (*f)->direct_writes();
        ASSERT_TRUE(set.commit());
        EXPECT_EQ(written, direct && supported ? data.size() : 0u) << path;
        auto bytes = read_all(path);
        ASSERT_EQ(bytes.size(), 8192 + data.size());
        EXPECT_TRUE(std::all_of(bytes.begin(), bytes.begin() + 8192,
                                [](std::byte b) { return b == std::byte{0}; }));
        EXPECT_TRUE(std::all_of(bytes.begin() + 8192, bytes.end(),
                                [](std::byte b) { return b == std::byte{0x5a}; }));
    }
}

TEST(Directory, OpensOnlySingleComponentsBeneathIt) {
    TempDir dir;
    test::write_text(dir.file("disk.vmdk"), "x");
    ASSERT_EQ(::symlink("/etc/passwd", dir.file("link.vmdk").c_str()), 0);
    auto d = Directory::open(dir.path());
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->open_read("disk.vmdk"));
    for (const char* name :
         {"../disk.vmdk", "/etc/passwd", "a/b", "..", "nbd:host", "json:{}", "-rf", "c:\\x", ""}) {
        auto r = d->open_read(name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, Errc::refused) << name;
    }
    auto link = d->open_read("link.vmdk");
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().code, Errc::refused);
    EXPECT_NE(link.error().message.find("symbolic link"), std::string::npos);
}

TEST(MemFile, LimitBoundsGrowth) {
    MemFile f;
    f.set_limit(1024);
    std::vector<std::byte> data(16);
    EXPECT_TRUE(f.pwrite(data, 1000));
    EXPECT_FALSE(f.pwrite(data, 1020));
    EXPECT_FALSE(f.truncate(4096));
}

} // namespace
} // namespace ovfkit::io
