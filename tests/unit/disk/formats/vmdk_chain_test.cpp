// VMDK delta links (snapshots): chains made by qemu-img and written into by
// qemu-io read flattened exactly as `qemu-img convert` flattens them, over
// hosted sparse, twoGbMaxExtentSparse and streamOptimized parents; the
// chain policy (disk/chain.hpp) and the CID check refuse the rest. The
// policy tests shared by every format run from chain_test.cpp through
// vmdk_chain_kit(). qemu-img and qemu-io only see trusted files (R27).
#include <filesystem>

#include "../chain_kit.hpp"
#include "support/disk_images.hpp"

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;
namespace fs = std::filesystem;

std::string q(const std::string& s) {
    return "'" + s + "'";
}

int tool(const std::string& command) {
    std::string out;
    int rc = run_tool(command, &out);
    EXPECT_EQ(rc, 0) << command << ": " << out;
    return rc;
}

std::vector<std::byte> file_bytes(const std::string& path) {
    auto f = io::open_read(path);
    EXPECT_TRUE(f);
    std::vector<std::byte> out(fs::file_size(path));
    EXPECT_TRUE(io::read_exact(**f, out, 0));
    return out;
}

Result<OpenedImage> open_chain(const std::string& path, bool allow_parent = true,
                               uint32_t depth = 16) {
    OpenPolicy p;
    p.allow_parent = allow_parent;
    p.max_chain_depth = depth;
    return ovfkit::test::open_image("vmdk", path, p);
}

// Replaces the first `key=` value of a VMDK's descriptor (stand-alone or
// embedded) with one of the same length; `fit`: the last characters of
// `value`, as many as the old value has (qemu writes CIDs as %x, 1 to 8
// digits).
void patch_descriptor(const std::string& path, const std::string& key, std::string value,
                      bool fit = false) {
    auto b = file_bytes(path);
    std::string text(reinterpret_cast<const char*>(b.data()), std::min<size_t>(b.size(), 1 << 16));
    auto at = text.find("\n" + key + "=");
    ASSERT_NE(at, std::string::npos) << key;
    at += key.size() + 2;
    auto end = text.find('\n', at);
    if (fit && end - at < value.size()) {
        value = value.substr(value.size() - (end - at));
    }
    ASSERT_EQ(end - at, value.size()) << text.substr(at, end - at);
    std::memcpy(b.data() + at, value.data(), value.size());
    write_file(path, b);
}

class VmdkChain : public ::testing::Test {
protected:
    std::string p(const std::string& name) const { return m_dir.file(name); }

    // base.vmdk (of `subformat`) holding guest_pattern, and child.vmdk (of
    // `child_subformat`) on top of it with writes over part of the parent's
    // data: a whole grain, a few sectors inside a grain the parent holds,
    // sectors where the parent has nothing, a zero write and the last sector.
    void make_chain(const std::string& subformat, const std::string& child_subformat) {
        write_file(p("base.raw"), guest_pattern(8 * k_mib));
        tool("qemu-img convert -f raw -O vmdk -o subformat=" + subformat + " " + q(p("base.raw")) +
             " " + q(p("base.vmdk")));
        tool("qemu-img create -q -f vmdk -o subformat=" + child_subformat +
             " -b base.vmdk -F vmdk " + q(p("child.vmdk")));
        tool("qemu-io -f vmdk -c 'write -P 0x11 65536 65536' -c 'write -P 0x22 1024 1536' "
             "-c 'write -P 0x33 3145728 4096' -c 'write -z 0 512' "
             "-c 'write -P 0x44 8388096 512' " +
             q(p("child.vmdk")));
        tool("qemu-img convert -f vmdk -O raw " + q(p("child.vmdk")) + " " + q(p("flat.raw")));
    }

    void expect_flattened(const std::string& top) {
        auto img = open_chain(p(top));
        ASSERT_TRUE(img) << img.error().message;
        DiskReader& r = *img->reader;
        auto want = file_bytes(p("flat.raw"));
        ASSERT_EQ(r.virtual_size(), want.size());
        auto got = read_all(r);
        ASSERT_EQ(got.size(), want.size());
        for (uint64_t off = 0; off < want.size(); off += 512) {
            ASSERT_EQ(std::memcmp(got.data() + off, want.data() + off, 512), 0)
                << "sector at " << off;
        }
        // The map covers the disk; every non-zero byte lies in data.
        auto map = r.extents(0, want.size());
        ASSERT_TRUE(map) << map.error().message;
        uint64_t pos = 0;
        for (const Extent& e : *map) {
            ASSERT_EQ(e.offset, pos);
            if (e.kind != ExtentKind::data) {
                EXPECT_TRUE(all_zero(std::span(want).subspan(e.offset, e.length)))
                    << extent_kind_name(e.kind) << " extent at " << e.offset << " holds data";
            }
            pos += e.length;
        }
        EXPECT_EQ(pos, want.size());
        // Odd reads across grain boundaries read the same bytes.
        std::vector<std::byte> part(200000);
        ASSERT_TRUE(r.read_at(60000, part));
        EXPECT_EQ(std::memcmp(part.data(), want.data() + 60000, part.size()), 0);
        EXPECT_EQ(r.info().parent, std::optional<std::string>("base.vmdk"));
        ASSERT_GE(r.info().files.size(), 2u);
        EXPECT_EQ(r.info().files.front(), p(top));
    }

    TempDir m_dir;
};

TEST_F(VmdkChain, SparseDeltaReadsThroughASparseParent) {
    make_chain("monolithicSparse", "monolithicSparse");
    expect_flattened("child.vmdk");
    auto img = open_chain(p("child.vmdk"));
    ASSERT_TRUE(img);
    EXPECT_EQ(img->reader->info().files,
              (std::vector<std::string>{p("child.vmdk"), p("base.vmdk")}));
}

TEST_F(VmdkChain, SplitSparseDeltaReadsThroughItsParent) {
    make_chain("monolithicSparse", "twoGbMaxExtentSparse");
    expect_flattened("child.vmdk");
}

TEST_F(VmdkChain, DeltaOverAStreamOptimizedParentReadsFlattened) {
    make_chain("streamOptimized", "monolithicSparse");
    expect_flattened("child.vmdk");
}

TEST_F(VmdkChain, DeltaOverAFlatParentReadsFlattened) {
    make_chain("monolithicFlat", "monolithicSparse");
    expect_flattened("child.vmdk");
}

TEST_F(VmdkChain, TwoDeltasReadFlattened) {
    make_chain("monolithicSparse", "monolithicSparse");
    tool("qemu-img create -q -f vmdk -b child.vmdk -F vmdk " + q(p("top.vmdk")));
    tool("qemu-io -f vmdk -c 'write -P 0x55 4096 512' " + q(p("top.vmdk")));
    tool("qemu-img convert -f vmdk -O raw " + q(p("top.vmdk")) + " " + q(p("flat.raw")));
    auto img = open_chain(p("top.vmdk"));
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(read_all(*img->reader), file_bytes(p("flat.raw")));
    EXPECT_EQ(img->reader->info().files,
              (std::vector<std::string>{p("top.vmdk"), p("child.vmdk"), p("base.vmdk")}));
    auto shallow = open_chain(p("top.vmdk"), true, 1);
    ASSERT_FALSE(shallow);
    EXPECT_EQ(shallow.error().code, Errc::refused);
    EXPECT_EQ(shallow.error().message, p("child.vmdk") +
                                           ": delta link: parent 'base.vmdk': would make the "
                                           "chain deeper than the limit of 1");
}

TEST_F(VmdkChain, ParentsAreFollowedOnlyWhenAllowed) {
    make_chain("monolithicSparse", "monolithicSparse");
    auto img = open_chain(p("child.vmdk"), false);
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message, p("child.vmdk") +
                                       ": delta link: parent 'base.vmdk': not opened: parent and "
                                       "backing chains are refused unless parents are allowed "
                                       "(--allow-parent)");
}

TEST_F(VmdkChain, ACidMismatchIsRefused) {
    make_chain("monolithicSparse", "monolithicSparse");
    // The parent was written to after the snapshot: VMware gives it a new CID.
    patch_descriptor(p("base.vmdk"), "CID", "0badc1d0", true);
    auto img = open_chain(p("child.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_TRUE(img.error().message.starts_with(p("child.vmdk") + ": embedded descriptor at "
                                                                  "offset 512: delta link: "
                                                                  "parent 'base.vmdk' has CID "))
        << img.error().message;
    EXPECT_TRUE(img.error().message.ends_with(": the parent changed after the snapshot was taken"))
        << img.error().message;
}

TEST_F(VmdkChain, AParentOutsideTheDirectoryIsNotFollowed) {
    ASSERT_EQ(::mkdir(p("vm").c_str(), 0755), 0);
    write_file(p("base.raw"), guest_pattern(8 * k_mib));
    tool("qemu-img convert -f raw -O vmdk " + q(p("base.raw")) + " " + q(p("base.vmdk")));
    // Absolute: qemu stores the path as given.
    tool("qemu-img create -q -f vmdk -b " + q(p("base.vmdk")) + " -F vmdk " + q(p("vm/abs.vmdk")));
    auto img = open_chain(p("vm/abs.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message,
              p("vm/abs.vmdk") + ": delta link: parent '" + p("base.vmdk") +
                  "': not a plain file name beside the image: file name '" + p("base.vmdk") +
                  "' has a path separator (only names inside the package are allowed)");
    // Relative, out of the directory.
    tool("qemu-img create -q -f vmdk -b ../base.vmdk -F vmdk -u -o size=8M " + q(p("vm/up.vmdk")));
    img = open_chain(p("vm/up.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_TRUE(img.error().message.starts_with(p("vm/up.vmdk") +
                                                ": delta link: parent '../base.vmdk': not a plain "
                                                "file name beside the image"))
        << img.error().message;
    // A plain name that is not there.
    fs::copy_file(p("vm/abs.vmdk"), p("vm/gone.vmdk"));
    const std::string gone(p("base.vmdk").size(), 'x');
    patch_descriptor(p("vm/gone.vmdk"), "parentFileNameHint", "\"" + gone + "\"");
    img = open_chain(p("vm/gone.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message, p("vm/gone.vmdk") + ": delta link: parent '" + gone +
                                       "': not found in the image's directory " + p("vm"));
}

TEST_F(VmdkChain, AParentCidWithoutAHintIsRefused) {
    write_text(p("d.vmdk"), "version=1\nCID=11111111\nparentCID=12345678\n"
                            "createType=\"monolithicSparse\"\nRW 2048 ZERO\n");
    auto img = open_chain(p("d.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::invalid);
    EXPECT_EQ(img.error().message, p("d.vmdk") + ": parentCID 12345678 marks a delta link but no "
                                                 "parentFileNameHint names the parent");
}

TEST_F(VmdkChain, EsxiDeltasStayUnsupported) {
    write_text(p("s.vmdk"), "version=1\nCID=11111111\nparentCID=22222222\n"
                            "createType=\"seSparse\"\nparentFileNameHint=\"b.vmdk\"\n"
                            "RW 2048 SESPARSE \"s-sesparse.vmdk\"\n");
    auto img = open_chain(p("s.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::invalid);
    EXPECT_EQ(img.error().message, p("s.vmdk") + ": line 6: extent type SESPARSE (an ESXi "
                                                 "snapshot delta) is not supported; consolidate "
                                                 "the snapshots on ESXi first");
    write_text(p("v.vmdk"), "version=1\nCID=11111111\nparentCID=22222222\n"
                            "createType=\"vmfsSparse\"\nparentFileNameHint=\"b.vmdk\"\n");
    img = open_chain(p("v.vmdk"));
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().message, p("v.vmdk") + ": createType \"vmfsSparse\" (an ESXi snapshot "
                                                 "delta) is not supported; consolidate the "
                                                 "snapshots on ESXi first");
}

} // namespace
} // namespace ovfkit::disk

namespace ovfkit::test {

namespace {

// A 1 MiB VMDK descriptor of one ZERO extent: CID `id`, and when `parent`
// is set a delta link to it whose parentCID is `parent_id`.
std::string vmdk_descriptor(uint8_t id, const std::string* parent, uint8_t parent_id) {
    std::string out = fmt::format("# Disk DescriptorFile\nversion=1\nCID={:08x}\n", id);
    if (parent != nullptr) {
        out += fmt::format("parentCID={:08x}\ncreateType=\"monolithicSparse\"\n"
                           "parentFileNameHint=\"{}\"\n",
                           parent_id, *parent);
    } else {
        out += "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n";
    }
    return out + "RW 2048 ZERO\n";
}

} // namespace

const ChainKit& vmdk_chain_kit() {
    static const ChainKit kit{
        .format = "vmdk",
        .extension = ".vmdk",
        .has_identity = true,
        .write_base = [](const std::string& path,
                         uint8_t id) { write_text(path, vmdk_descriptor(id, nullptr, 0)); },
        .write_child =
            [](const std::string& path, const std::string& parent, uint8_t id, uint8_t parent_id) {
                write_text(path, vmdk_descriptor(id, &parent, parent_id));
            },
    };
    return kit;
}

} // namespace ovfkit::test
