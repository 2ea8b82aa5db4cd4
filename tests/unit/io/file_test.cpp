#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::io {
namespace {

using test::TempDir;

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
