// The parent/backing chain policy (disk/chain.hpp), run for every format
// with chains: loops by name, by another name of the same file (a hard
// link) and by format identity, the depth limit, and names with a path
// separator. The exact wording of each refusal is asserted once here.
#include "chain_kit.hpp"
#include "support/disk_images.hpp"
#include <unistd.h>

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;

class Chain : public ::testing::TestWithParam<const ChainKit*> {
protected:
    const ChainKit& kit() const { return *GetParam(); }
    std::string path(const std::string& stem) const { return m_dir.file(name(stem)); }
    std::string name(const std::string& stem) const { return stem + kit().extension; }

    Error open_error(const std::string& stem, uint32_t depth = 16) const {
        OpenImageOptions o;
        o.format = kit().format;
        o.policy.allow_parent = true;
        o.policy.max_chain_depth = depth;
        auto img = open_image(path(stem), o);
        return img ? Error{Errc::ok, "opened"} : img.error();
    }

    // "<child>: <kind> '<parent>'" and, for qcow2, where the name is stored.
    std::string refusal(const std::string& child, const std::string& parent) const {
        if (kit().format == "qcow2") {
            return path(child) + ": backing file '" + name(parent) + "' (named at offset 0x200): ";
        }
        if (kit().format == "vhd") {
            return path(child) + ": differencing disk: parent '" + name(parent) + "': ";
        }
        if (kit().format == "vmdk") {
            return path(child) + ": delta link: parent '" + name(parent) + "': ";
        }
        return path(child) + ": parent '" + name(parent) + "': ";
    }

    TempDir m_dir;
};

TEST_P(Chain, ABaseAndAChildOpen) {
    kit().write_base(path("base"), 1);
    kit().write_child(path("child"), name("base"), 2, 1);
    OpenImageOptions o;
    o.format = kit().format;
    o.policy.allow_parent = true;
    auto img = open_image(path("child"), o);
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->reader->info().files, (std::vector<std::string>{path("child"), path("base")}));
}

TEST_P(Chain, ALoopByNameIsRefused) {
    kit().write_child(path("a"), name("b"), 1, 2);
    kit().write_child(path("b"), name("a"), 2, 1);
    Error e = open_error("a");
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, refusal("b", "a") + "forms a loop: that name is already in the chain");

    kit().write_child(path("self"), name("self"), 3, 3);
    e = open_error("self");
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message,
              refusal("self", "self") + "forms a loop: that name is already in the chain");
}

TEST_P(Chain, ALoopThroughAnotherNameOfTheSameFileIsRefused) {
    kit().write_child(path("a"), name("b"), 1, 1);
    ASSERT_EQ(::link(path("a").c_str(), path("b").c_str()), 0);
    Error e = open_error("a");
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, refusal("a", "b") + "forms a loop: it is the file '" + path("a") +
                             "' of the chain under another name");
}

TEST_P(Chain, ALoopByIdentityIsRefused) {
    if (!kit().has_identity) {
        GTEST_SKIP() << kit().format << " images carry no identity";
    }
    // Two files, one image identity: a copy of the child as its own parent.
    kit().write_child(path("a"), name("b"), 7, 7);
    kit().write_base(path("b"), 7);
    Error e = open_error("a");
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_TRUE(e.message.starts_with(refusal("a", "b") + "forms a loop: ")) << e.message;
    EXPECT_TRUE(e.message.ends_with(" is already in the chain ('" + path("a") + "')")) << e.message;
}

TEST_P(Chain, TheDepthLimitHolds) {
    kit().write_base(path("c2"), 3);
    kit().write_child(path("c1"), name("c2"), 2, 3);
    kit().write_child(path("c0"), name("c1"), 1, 2);
    Error e = open_error("c0", 1);
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, refusal("c1", "c2") + "would make the chain deeper than the limit of 1");
    EXPECT_EQ(open_error("c0", 2).message, "opened");
}

TEST_P(Chain, AParentNameWithAPathSeparatorIsNotFollowed) {
    ASSERT_EQ(::mkdir(m_dir.file("sub").c_str(), 0755), 0);
    kit().write_base(m_dir.file("sub/" + name("base")), 1);
    kit().write_child(path("a"), "sub/" + name("base"), 2, 1);
    Error e = open_error("a");
    EXPECT_EQ(e.code, Errc::refused);
    if (kit().format == "qcow2") {
        EXPECT_EQ(e.message, path("a") + ": backing file 'sub/base.qcow2' (named at offset "
                                         "0x200): not a plain file name beside the image: file "
                                         "name 'sub/base.qcow2' has a path separator (only names "
                                         "inside the package are allowed)");
    } else if (kit().format == "vhd") {
        // VHD locators hold Windows paths: only the last component counts,
        // looked for beside the child.
        EXPECT_EQ(e.message,
                  refusal("a", "base") + "not found in the image's directory " + m_dir.path());
    } else if (kit().format == "vmdk") {
        EXPECT_EQ(e.message, refusal("a", "sub/base") +
                                 "not a plain file name beside the image: file name "
                                 "'sub/base.vmdk' has a path separator (only names inside the "
                                 "package are allowed)");
    } else {
        EXPECT_EQ(e.message, path("a") + ": metadata: parent locator: relative_path "
                                         "'sub/base.vhdx' does not name a file in the image's "
                                         "directory");
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, Chain,
                         ::testing::Values(&qcow2_chain_kit(), &vhd_chain_kit(), &vhdx_chain_kit(),
                                           &vmdk_chain_kit()),
                         [](const auto& p) { return p.param->format; });

} // namespace
} // namespace ovfkit::disk
