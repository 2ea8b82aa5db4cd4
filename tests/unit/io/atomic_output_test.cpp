#include <filesystem>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/io/atomic_output.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::io {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

size_t entries(const std::string& dir) {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}

TEST(OutputSet, NothingAppearsUntilCommit) {
    TempDir dir;
    {
        OutputSet out;
        auto f = out.create(dir.file("a.vmdk"));
        ASSERT_TRUE(f);
        std::vector<std::byte> data(10, std::byte{7});
        ASSERT_TRUE((*f)->pwrite(data, 0));
        EXPECT_FALSE(fs::exists(dir.file("a.vmdk")));
        ASSERT_TRUE(out.commit());
    }
    EXPECT_EQ(fs::file_size(dir.file("a.vmdk")), 10u);
    EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(OutputSet, NamedTemporariesAreLockedAndRenamed) {
    TempDir dir;
    OutputSet out;
    out.use_named_temporaries();
    auto f = out.create(dir.file("a.raw"));
    ASSERT_TRUE(f);
    EXPECT_FALSE(out.unnamed());
    ASSERT_EQ(entries(dir.path()), 1u);
    std::string temp = fs::directory_iterator(dir.path())->path().string();
    EXPECT_NE(temp.find("/.a.raw.ovfkit-tmp-"), std::string::npos) << temp;
    // Locked while in use: a later run leaves it alone.
    int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
    ::close(fd);
    ASSERT_TRUE(out.commit());
    EXPECT_TRUE(fs::exists(dir.file("a.raw")));
    EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(OutputSet, AbandonedOutputsLeaveNothing) {
    TempDir dir;
    {
        OutputSet named;
        named.use_named_temporaries();
        ASSERT_TRUE(named.create(dir.file("a.vmdk")));
        EXPECT_EQ(entries(dir.path()), 1u);
    }
    EXPECT_EQ(entries(dir.path()), 0u);
    {
        OutputSet out;
        ASSERT_TRUE(out.create(dir.file("a.vmdk")));
        ASSERT_TRUE(out.create(dir.file("a-flat.vmdk")));
        // The temporaries, unless the file system made them unnamed.
        EXPECT_EQ(entries(dir.path()), out.unnamed() ? 0u : 2u);
    }
    EXPECT_EQ(entries(dir.path()), 0u);
}

TEST(OutputSet, RefusesToReplaceWithoutForce) {
    TempDir dir;
    test::write_text(dir.file("a.raw"), "keep");
    OutputSet out;
    auto f = out.create(dir.file("a.raw"));
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().message.find("already exists"), std::string::npos);
    OutputSet forced(true);
    ASSERT_TRUE(forced.create(dir.file("a.raw")));
    ASSERT_TRUE(forced.commit());
    EXPECT_EQ(fs::file_size(dir.file("a.raw")), 0u);
}

TEST(OutputSet, OnlyRegularFilesAreReplaced) {
    TempDir dir;
    fs::create_directory(dir.file("d"));
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    for (std::string target : {dir.file("d"), dir.file("fifo"), std::string("/dev/null")}) {
        for (bool force : {false, true}) {
            OutputSet out(force);
            auto f = out.create(target);
            ASSERT_FALSE(f) << target;
            EXPECT_EQ(f.error().code, Errc::refused) << target;
            EXPECT_NE(f.error().message.find("never replaces anything else"), std::string::npos)
                << f.error().message;
        }
    }
    EXPECT_TRUE(fs::is_directory(dir.file("d")));
    EXPECT_TRUE(fs::is_fifo(dir.file("fifo")));
    EXPECT_NE(unreplaceable_target("/dev/null").find("character device"), std::string::npos);
    EXPECT_EQ(unreplaceable_target(dir.file("absent")), "");
}

TEST(OutputSet, ASymlinkIsReplacedNotWrittenThrough) {
    TempDir dir;
    test::write_text(dir.file("victim"), "keep");
    fs::create_symlink(dir.file("victim"), dir.file("out.raw"));
    {
        OutputSet refused;
        EXPECT_FALSE(refused.create(dir.file("out.raw")));
    }
    OutputSet out(true);
    auto f = out.create(dir.file("out.raw"));
    ASSERT_TRUE(f);
    std::vector<std::byte> data(3, std::byte{1});
    ASSERT_TRUE((*f)->pwrite(data, 0));
    ASSERT_TRUE(out.commit());
    EXPECT_FALSE(fs::is_symlink(dir.file("out.raw")));
    EXPECT_EQ(fs::file_size(dir.file("out.raw")), 3u);
    EXPECT_EQ(test::read_text(dir.file("victim")), "keep");
}

TEST(OutputSet, ATargetThatAppearsBeforeCommitIsKept) {
    TempDir dir;
    OutputSet out;
    ASSERT_TRUE(out.create(dir.file("a.raw")));
    test::write_text(dir.file("a.raw"), "theirs");
    auto r = out.commit();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    out.abandon();
    EXPECT_EQ(test::read_text(dir.file("a.raw")), "theirs");
    EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(OutputSet, AbandonedNamedTemporariesAreRemovedByTheNextRun) {
    TempDir dir;
    // One left by a killed run (no lock), one of a run still writing (locked).
    std::string dead = dir.file(".a.raw.ovfkit-tmp-0123456789ab");
    std::string live = dir.file(".a.raw.ovfkit-tmp-ba9876543210");
    std::string other = dir.file(".b.raw.ovfkit-tmp-0123456789ab");
    for (const auto& p : {dead, live, other}) {
        test::write_text(p, "x");
    }
    int fd = ::open(live.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    {
        OutputSet out;
        ASSERT_TRUE(out.create(dir.file("a.raw")));
    }
    ::close(fd);
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_TRUE(fs::exists(live));
    EXPECT_TRUE(fs::exists(other)) << "another target's temporaries are not touched";
}

} // namespace
} // namespace ovfkit::io
