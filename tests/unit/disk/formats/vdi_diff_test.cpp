// VDI differencing images (type 4) read on top of parents the caller
// supplies (formats/vdi/parents.hpp): images built here byte by byte from the
// layout (qcow2-vdi-raw.md sections 9-10), since qemu-img writes none.
#include <cstring>
#include <map>

#include "support/disk_images.hpp"

#include <ovfkit/disk/formats/vdi/layout.hpp>
#include <ovfkit/disk/formats/vdi/parents.hpp>

namespace ovfkit::disk::formats {
namespace {

using namespace ovfkit::test;
namespace vdi = formats::vdi;

constexpr uint32_t k_free = vdi::k_block_free;
constexpr uint32_t k_zero = vdi::k_block_zero;

struct Ids {
    uint8_t create = 1; // UUIDs are 16 copies of one byte: readable in messages
    uint8_t modify = 2;
    uint8_t linkage = 0; // 0: a base image
    uint8_t parent_modify = 0;
};

// A VDI of `blocks` 1 MiB blocks: `data` maps a guest block to its bytes
// (stored in ascending order), `zero` lists discarded blocks; the rest are
// free. Map at 512, data at 4096 (the 512-aligned layout of older writers).
std::vector<std::byte> make_vdi(uint32_t blocks, const std::map<uint32_t, std::byte>& data,
                                const std::vector<uint32_t>& zero, Ids ids) {
    constexpr uint32_t k_map_at = 512;
    constexpr uint32_t k_data_at = 4096;
    vdi::Start s{};
    std::memcpy(s.pre.file_info, "<<< test >>>\n", 13);
    s.pre.signature = vdi::k_signature;
    s.pre.version = vdi::k_version;
    vdi::Header& h = s.header;
    h.header_size = vdi::k_header_v1plus_size;
    h.image_type = ids.linkage != 0 ? vdi::k_type_diff : vdi::k_type_normal;
    h.blocks_offset = k_map_at;
    h.data_offset = k_data_at;
    h.legacy_geometry.sector_size = 512;
    h.disk_size = uint64_t{blocks} * k_mib;
    h.block_size = static_cast<uint32_t>(k_mib);
    h.blocks = blocks;
    h.blocks_allocated = static_cast<uint32_t>(data.size());
    std::memset(h.uuid_create, ids.create, 16);
    std::memset(h.uuid_modify, ids.modify, 16);
    std::memset(h.uuid_linkage, ids.linkage, 16);
    std::memset(h.uuid_parent_modify, ids.parent_modify, 16);
    h.lchs_geometry.sector_size = 512;
    std::vector<std::byte> out(k_data_at + data.size() * k_mib);
    std::memcpy(out.data(), &s, sizeof s);
    std::vector<uint32_t> map(blocks, k_free);
    for (uint32_t z : zero) {
        map[z] = k_zero;
    }
    uint32_t next = 0;
    for (const auto& [block, fill] : data) {
        map[block] = next;
        std::memset(out.data() + k_data_at + uint64_t{next} * k_mib, static_cast<int>(fill), k_mib);
        ++next;
    }
    for (uint32_t i = 0; i < blocks; ++i) {
        le32 e(map[i]);
        std::memcpy(out.data() + k_map_at + i * 4, &e, 4);
    }
    return out;
}

Result<std::unique_ptr<DiskReader>> open_chain(std::vector<std::byte> top,
                                               std::vector<std::vector<std::byte>> parents,
                                               OpenPolicy policy = {.allow_parent = true}) {
    OpenContext ctx{std::make_unique<io::MemFile>("child.vdi", std::move(top)), nullptr, policy, 0};
    std::vector<std::unique_ptr<io::File>> files;
    for (size_t i = 0; i < parents.size(); ++i) {
        files.push_back(
            std::make_unique<io::MemFile>(fmt::format("parent{}.vdi", i), std::move(parents[i])));
    }
    if (files.empty()) {
        return find("vdi")->open(ctx); // the driver alone, as `ovfkit disk` opens it
    }
    return vdi::open_on_parents(ctx, std::move(files));
}

// The bytes a chain should read: each block from the topmost image that
// stores or discards it.
std::vector<std::byte> expected(uint32_t blocks,
                                const std::vector<std::map<uint32_t, std::byte>>& layers,
                                const std::vector<std::vector<uint32_t>>& zeros) {
    std::vector<std::byte> out(uint64_t{blocks} * k_mib);
    for (uint32_t b = 0; b < blocks; ++b) {
        for (size_t l = 0; l < layers.size(); ++l) { // top first
            if (auto it = layers[l].find(b); it != layers[l].end()) {
                std::memset(out.data() + b * k_mib, static_cast<int>(it->second), k_mib);
                break;
            }
            if (std::find(zeros[l].begin(), zeros[l].end(), b) != zeros[l].end()) {
                break;
            }
        }
    }
    return out;
}

TEST(VdiDiff, ReadsTheOverlayOnItsParent) {
    std::map<uint32_t, std::byte> base_data{
        {0, std::byte{0xB0}}, {1, std::byte{0xB1}}, {2, std::byte{0xB2}}, {4, std::byte{0xB4}}};
    std::map<uint32_t, std::byte> child_data{{1, std::byte{0xC1}}, {3, std::byte{0xC3}}};
    auto base = make_vdi(5, base_data, {}, {.create = 0x11, .modify = 0x12});
    auto child = make_vdi(5, child_data, {2},
                          {.create = 0x21, .modify = 0x22, .linkage = 0x11, .parent_modify = 0x12});
    auto r = open_chain(child, {base});
    ASSERT_TRUE(r) << r.error().message;
    auto want = expected(5, {child_data, base_data}, {{2}, {}});
    EXPECT_TRUE(read_all(**r) == want);
    expect_map_consistent(**r, want);
    EXPECT_EQ(kind_at(**r, 0), ExtentKind::data);             // the parent's
    EXPECT_EQ(kind_at(**r, 2 * k_mib + 1), ExtentKind::zero); // discarded in the child
    EXPECT_EQ(kind_at(**r, 3 * k_mib + 1), ExtentKind::data); // the child's
    EXPECT_EQ((*r)->info().parent, "parent0.vdi");
    EXPECT_EQ((*r)->info().files, (std::vector<std::string>{"child.vdi", "parent0.vdi"}));
    EXPECT_TRUE((*r)->findings().empty());
    // A read across blocks that come from both images.
    std::vector<std::byte> part(k_mib + 10);
    ASSERT_TRUE((*r)->read_at(k_mib / 2, part));
    EXPECT_TRUE(std::equal(part.begin(), part.end(), want.begin() + k_mib / 2));
}

TEST(VdiDiff, ThreeLevelsAndALargerChild) {
    std::map<uint32_t, std::byte> base_data{{0, std::byte{0xA0}}, {1, std::byte{0xA1}}};
    std::map<uint32_t, std::byte> mid_data{{1, std::byte{0xB1}}};
    std::map<uint32_t, std::byte> top_data{{0, std::byte{0xC0}}};
    auto base = make_vdi(2, base_data, {}, {.create = 0x11, .modify = 0x12});
    auto mid = make_vdi(2, mid_data, {},
                        {.create = 0x21, .modify = 0x22, .linkage = 0x11, .parent_modify = 0x12});
    // Grown after the snapshot: block 2 is past the chain's older sizes.
    auto top = make_vdi(3, top_data, {},
                        {.create = 0x31, .modify = 0x32, .linkage = 0x21, .parent_modify = 0x22});
    auto r = open_chain(top, {mid, base});
    ASSERT_TRUE(r) << r.error().message;
    auto want = expected(3, {top_data, mid_data, base_data}, {{}, {}, {}});
    EXPECT_TRUE(read_all(**r) == want);
    expect_map_consistent(**r, want);
    EXPECT_EQ(kind_at(**r, 2 * k_mib), ExtentKind::unallocated);
}

std::string chain_error(std::vector<std::byte> top, std::vector<std::vector<std::byte>> parents,
                        Errc* code, OpenPolicy policy = {.allow_parent = true}) {
    auto r = open_chain(std::move(top), std::move(parents), policy);
    if (r) {
        return "opened";
    }
    *code = r.error().code;
    return r.error().message;
}

TEST(VdiDiff, Refusals) {
    auto base = make_vdi(2, {{0, std::byte{1}}}, {}, {.create = 0x11, .modify = 0x12});
    auto child = make_vdi(2, {{1, std::byte{2}}}, {},
                          {.create = 0x21, .modify = 0x22, .linkage = 0x11, .parent_modify = 0x12});
    Errc code{};
    // Alone: refused as before (the disk engine cannot find its parent).
    EXPECT_EQ(chain_error(child, {}, &code),
              "child.vdi: header at offset 76: image type 4 (differencing) is not supported: its "
              "parent is found through VirtualBox's media registry; merge it in VirtualBox first");
    EXPECT_EQ(code, Errc::invalid);
    // Parents not allowed by the policy.
    EXPECT_EQ(chain_error(child, {base}, &code, {}),
              "child.vdi: differencing disk: parent 'parent0.vdi' (named at offset 0x1a8): not "
              "opened: parent and backing chains are refused unless parents are allowed "
              "(--allow-parent)");
    EXPECT_EQ(code, Errc::refused);
    // The parent's UUID is not the one the child names.
    auto other = make_vdi(2, {}, {}, {.create = 0x44, .modify = 0x45});
    EXPECT_EQ(chain_error(child, {other}, &code),
              "child.vdi: differencing disk: parent 'parent0.vdi' has UUID "
              "44444444-4444-4444-4444-444444444444 (offset 392), the child names "
              "11111111-1111-1111-1111-111111111111 at offset 424");
    EXPECT_EQ(code, Errc::refused);
    // A base image given parents: the registry and the file disagree.
    EXPECT_EQ(chain_error(base, {other}, &code),
              "child.vdi: not a differencing image, but 1 parent image(s) were supplied for it");
    EXPECT_EQ(code, Errc::refused);
    // A chain of differencing images whose last parent is missing.
    auto mid = make_vdi(2, {}, {},
                        {.create = 0x11, .modify = 0x12, .linkage = 0x33, .parent_modify = 0x34});
    EXPECT_EQ(chain_error(child, {mid}, &code),
              "parent0.vdi: differencing disk: parent '' (named at offset 0x1a8): no parent image "
              "was supplied for it");
    EXPECT_EQ(code, Errc::refused);
    // A loop by UUID: A names B names A (copies under other names).
    auto a = make_vdi(2, {}, {}, {.create = 0x21, .modify = 0x22, .linkage = 0x11});
    auto b = make_vdi(2, {}, {}, {.create = 0x11, .modify = 0x12, .linkage = 0x21});
    EXPECT_EQ(chain_error(a, {b, a, b, a}, &code),
              "parent0.vdi: differencing disk: parent 'parent1.vdi' (named at offset 0x1a8): forms "
              "a loop: uuid 21212121-2121-2121-2121-212121212121 is already in the chain "
              "('child.vdi')");
    EXPECT_EQ(code, Errc::refused);
    // Depth: the policy's limit holds for supplied parents too.
    std::vector<std::vector<std::byte>> many;
    for (uint8_t i = 0; i < 4; ++i) {
        many.push_back(make_vdi(2, {}, {},
                                {.create = static_cast<uint8_t>(0x50 + i),
                                 .modify = 0x7F,
                                 .linkage = static_cast<uint8_t>(0x51 + i)}));
    }
    auto top = make_vdi(2, {}, {}, {.create = 0x4F, .modify = 0x7F, .linkage = 0x50});
    EXPECT_EQ(chain_error(top, many, &code, {.allow_parent = true, .max_chain_depth = 2}),
              "parent1.vdi: differencing disk: parent 'parent2.vdi' (named at offset 0x1a8): "
              "would make the chain deeper than the limit of 2");
    EXPECT_EQ(code, Errc::refused);
    // A differencing image naming the nil UUID.
    auto nil = make_vdi(2, {}, {}, {.create = 0x21, .modify = 0x22, .linkage = 0});
    nil[76] = std::byte{4};
    EXPECT_EQ(chain_error(nil, {base}, &code),
              "child.vdi: header at offset 424: a differencing image with a nil parent UUID");
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VdiDiff, ParentModifiedSinceIsAWarning) {
    auto base = make_vdi(1, {{0, std::byte{1}}}, {}, {.create = 0x11, .modify = 0x13});
    auto child = make_vdi(1, {}, {},
                          {.create = 0x21, .modify = 0x22, .linkage = 0x11, .parent_modify = 0x12});
    auto r = open_chain(child, {base});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ((*r)->findings().size(), 1u);
    EXPECT_EQ((*r)->findings()[0].code, "DISK-VDI-PARENT-MODIFIED");
    EXPECT_EQ(read_all(**r), std::vector<std::byte>(k_mib, std::byte{1}));
}

// Files beneath a directory, as the .vbox importer opens them.
TEST(VdiDiff, OpenImageAtWithParents) {
    TempDir dir;
    auto base = make_vdi(2, {{0, std::byte{7}}}, {}, {.create = 0x11, .modify = 0x12});
    auto child = make_vdi(2, {{1, std::byte{8}}}, {},
                          {.create = 0x21, .modify = 0x22, .linkage = 0x11, .parent_modify = 0x12});
    write_file(dir.file("base.vdi"), base);
    write_file(dir.file("child.vdi"), child);
    auto d = io::Directory::open(dir.path());
    ASSERT_TRUE(d);
    std::vector<std::unique_ptr<io::File>> parents;
    auto pf = d->open_read("base.vdi");
    ASSERT_TRUE(pf);
    parents.push_back(std::move(*pf));
    OpenPolicy policy{.allow_parent = true};
    auto img = vdi::open_on_parents(std::move(*d), "child.vdi", std::move(parents), policy);
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->driver->name, "vdi");
    auto want = expected(2, {{{1, std::byte{8}}}, {{0, std::byte{7}}}}, {{}, {}});
    EXPECT_TRUE(read_all(*img->reader) == want);
    // The same file as its own parent is a loop by file identity.
    auto d2 = io::Directory::open(dir.path());
    ASSERT_TRUE(d2);
    std::vector<std::unique_ptr<io::File>> self;
    self.push_back(std::move(*d2->open_read("child.vdi")));
    auto loop = vdi::open_on_parents(std::move(*d2), "child.vdi", std::move(self), policy);
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, Errc::refused);
    EXPECT_NE(loop.error().message.find("forms a loop"), std::string::npos) << loop.error().message;
}

} // namespace
} // namespace ovfkit::disk::formats
