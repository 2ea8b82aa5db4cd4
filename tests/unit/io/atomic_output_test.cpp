#include <filesystem>

#include <gtest/gtest.h>

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

TEST(OutputSet, AbandonedOutputsLeaveNothing) {
    TempDir dir;
    {
        OutputSet out;
        ASSERT_TRUE(out.create(dir.file("a.vmdk")));
        ASSERT_TRUE(out.create(dir.file("a-flat.vmdk")));
        EXPECT_EQ(entries(dir.path()), 2u); // the temporaries
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

} // namespace
} // namespace ovfkit::io
