// VHDX reader, log replay and writers.
//
// Independent producers and readers: images made by qemu-img are read back
// byte for byte; images written by ovfkit are checked with `qemu-img check`,
// `qemu-img compare` and `vhdiinfo` (always with -f/-F, never on hostile
// files, SECURITY.md R27). Hostile images are built here from the bytes of a
// valid image and must be refused with the exact message.
#include <cstring>
#include <thread>

#include "../chain_kit.hpp"
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ovfkit/base/crc32c.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/disk/formats/vhdx/layout.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::disk::formats::vhdx {
namespace {

using test::run;
using test::TempDir;
using Bytes = std::vector<std::byte>;

constexpr uint64_t MiB = k_mib;

// Reads a whole file in one pread (test::read_file goes byte by byte).
Bytes slurp(const std::string& path) {
    auto f = io::open_read(path);
    EXPECT_TRUE(f);
    Bytes out((*f)->size().value_or(0));
    EXPECT_TRUE(io::read_exact(**f, out, 0));
    return out;
}

const FormatDriver& dynamic_driver() {
    return *formats::find("vhdx");
}
const FormatDriver& fixed_driver() {
    return *formats::find("vhdx-fixed");
}

bool have_tool(const char* tool) {
    return run(fmt::format("command -v {} >/dev/null 2>&1", tool)) == 0;
}

// A guest byte that is never zero, different per offset and per sector.
std::byte pattern_byte(uint64_t offset) {
    return std::byte((((offset * 7) ^ ((offset >> 9) * 13)) & 0xff) | 1);
}

// Data ranges of the pattern disk: partial blocks, a run crossing block
// boundaries, a lone sector and the last sector of the disk.
struct Pattern {
    uint64_t size;
    std::vector<std::pair<uint64_t, uint64_t>> data; // offset, length
};

Pattern small_pattern() {
    return {160 * MiB,
            {{0, 1 * MiB + 4096},
             {9 * MiB + 512, 512},
             {31 * MiB, 3 * MiB},
             {50 * MiB, 12 * MiB + 1024},
             {160 * MiB - 4096, 4096}}};
}

// Writes the pattern as a sparse raw file.
void write_raw(const std::string& path, const Pattern& p) {
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(p.size)), 0);
    for (auto [off, len] : p.data) {
        Bytes buf(len);
        for (uint64_t i = 0; i < len; ++i) {
            buf[i] = pattern_byte(off + i);
        }
        ASSERT_EQ(::pwrite(fd, buf.data(), len, static_cast<off_t>(off)),
                  static_cast<ssize_t>(len));
    }
    ::close(fd);
}

Result<std::unique_ptr<DiskReader>> open_path(const std::string& path, OpenPolicy policy = {},
                                              const io::Directory* dir = nullptr) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OpenContext ctx{std::move(file), dir, policy};
    return dynamic_driver().open(ctx);
}

Result<std::unique_ptr<DiskReader>> open_bytes(Bytes bytes, OpenPolicy policy = {},
                                               const io::Directory* dir = nullptr) {
    OpenContext ctx{std::make_unique<io::MemFile>("t.vhdx", std::move(bytes)), dir, policy};
    return dynamic_driver().open(ctx);
}

// The guest bytes of the pattern disk in [off, off+len).
Bytes expected_bytes(const Pattern& p, uint64_t off, uint64_t len) {
    Bytes out(len);
    for (auto [d, l] : p.data) {
        const uint64_t from = std::max(d, off);
        const uint64_t to = std::min(d + l, off + len);
        for (uint64_t x = from; x < to; ++x) {
            out[x - off] = pattern_byte(x);
        }
    }
    return out;
}

// Reads [off, off+len) and checks it against the pattern.
void expect_pattern(DiskReader& r, const Pattern& p, uint64_t off, uint64_t len) {
    Bytes buf(len);
    auto ok = r.read_at(off, buf);
    ASSERT_TRUE(ok) << ok.error().message;
    const Bytes want = expected_bytes(p, off, len);
    if (buf != want) {
        auto [a, b] = std::mismatch(buf.begin(), buf.end(), want.begin());
        FAIL() << "first difference at guest offset " << off + (a - buf.begin());
    }
}

void expect_whole_disk(DiskReader& r, const Pattern& p) {
    ASSERT_EQ(r.virtual_size(), p.size);
    for (uint64_t off = 0; off < p.size; off += 4 * MiB) {
        expect_pattern(r, p, off, std::min<uint64_t>(4 * MiB, p.size - off));
    }
}

// The map must cover the disk, and every data byte of the pattern must lie
// in a data extent.
void expect_map_covers_data(DiskReader& r, const Pattern& p) {
    auto map = r.extents(0, p.size);
    ASSERT_TRUE(map);
    uint64_t pos = 0;
    for (const Extent& e : *map) {
        ASSERT_EQ(e.offset, pos);
        pos += e.length;
    }
    ASSERT_EQ(pos, p.size);
    for (auto [off, len] : p.data) {
        for (uint64_t x : {off, off + len - 1}) {
            bool found = false;
            for (const Extent& e : *map) {
                if (x >= e.offset && x < e.offset + e.length) {
                    EXPECT_EQ(e.kind, ExtentKind::data) << x;
                    found = true;
                }
            }
            EXPECT_TRUE(found) << x;
        }
    }
}

ExtentKind kind_at(DiskReader& r, uint64_t offset) {
    auto map = r.extents(offset, 1);
    EXPECT_TRUE(map && map->size() == 1);
    return map && !map->empty() ? map->front().kind : ExtentKind::data;
}

// ---------------------------------------------------------------------------
// qemu-img made images, read back.

struct QemuCase {
    const char* options;
    const char* format; // expected DiskInfo::format
    uint64_t block_size;
    ExtentKind hole_kind; // how a never-written block maps
};

class VhdxQemuImages : public ::testing::TestWithParam<QemuCase> {};

TEST_P(VhdxQemuImages, ReadBackEqualsTheRawSource) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    const QemuCase& c = GetParam();
    TempDir dir;
    const Pattern p = small_pattern();
    write_raw(dir.file("src.raw"), p);
    ASSERT_EQ(run(fmt::format("qemu-img convert -f raw -O vhdx -o {} {} {}", c.options,
                              dir.file("src.raw"), dir.file("out.vhdx"))),
              0);
    auto r = open_path(dir.file("out.vhdx"));
    ASSERT_TRUE(r) << r.error().message;
    const DiskInfo& info = (*r)->info();
    EXPECT_EQ(info.format, c.format);
    EXPECT_EQ(info.cluster_size, c.block_size);
    EXPECT_FALSE(info.dirty);
    EXPECT_FALSE(info.parent);
    expect_whole_disk(**r, p);
    expect_map_covers_data(**r, p);
    // 96 MiB..128 MiB holds no data in the source.
    EXPECT_EQ(kind_at(**r, 100 * MiB), c.hole_kind);
    if (c.hole_kind != ExtentKind::data) {
        EXPECT_LT(info.allocated_size, p.size);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, VhdxQemuImages,
    ::testing::Values(
        QemuCase{"block_size=1M", "vhdx", 1 * MiB, ExtentKind::zero},
        QemuCase{"block_size=1M,block_state_zero=off", "vhdx", 1 * MiB, ExtentKind::unallocated},
        QemuCase{"block_size=4M,log_size=4M", "vhdx", 4 * MiB, ExtentKind::zero},
        QemuCase{"block_size=32M,block_state_zero=off", "vhdx", 32 * MiB, ExtentKind::unallocated},
        QemuCase{"block_size=256M", "vhdx", 256 * MiB, ExtentKind::data},
        // qemu's fixed files keep untouched blocks at their offsets, but in
        // state ZERO unless block_state_zero=off.
        QemuCase{"subformat=fixed,block_size=2M", "vhdx-fixed", 2 * MiB, ExtentKind::zero},
        QemuCase{"subformat=fixed,block_state_zero=off", "vhdx-fixed", 8 * MiB, ExtentKind::data}));

// With 1 MiB blocks and 512-byte sectors the chunk ratio is 4096: the first
// sector-bitmap entry sits at BAT index 4096, 4 GiB into the disk. Data on
// both sides of it checks the interleave (the FreeBSD mkimg bug).
Pattern big_pattern() {
    const uint64_t g4 = uint64_t{4} << 30;
    return {
        g4 + 8 * MiB,
        {{0, 4096}, {g4 - MiB - 512, MiB + 4096}, {g4 + 3 * MiB, 5000}, {g4 + 8 * MiB - 512, 512}}};
}

void expect_data_ranges(DiskReader& r, const Pattern& p) {
    for (auto [off, len] : p.data) {
        uint64_t from = off >= MiB ? off - MiB : 0;
        uint64_t to = std::min(p.size, off + len + MiB);
        expect_pattern(r, p, from, to - from);
    }
    expect_map_covers_data(r, p);
}

TEST(VhdxQemu, InterleavedBitmapEntriesAbove4GiB) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    const Pattern p = big_pattern();
    write_raw(dir.file("src.raw"), p);
    ASSERT_EQ(run(fmt::format("qemu-img convert -f raw -O vhdx -o block_size=1M {} {}",
                              dir.file("src.raw"), dir.file("out.vhdx"))),
              0);
    auto r = open_path(dir.file("out.vhdx"));
    ASSERT_TRUE(r) << r.error().message;
    expect_data_ranges(**r, p);
    EXPECT_EQ(kind_at(**r, 2 * MiB), ExtentKind::zero);
}

// ---------------------------------------------------------------------------
// ovfkit writers.

// Feeds the pattern to a writer the way the converter does: ~2 MiB chunks in
// ascending order, only for ranges holding data, with zero runs found per
// 512-byte granule. With `threads` > 1, encode() runs on worker threads.
Result<void> feed(DiskWriter& w, const Pattern& p, int threads = 1) {
    const uint64_t chunk = 2 * MiB;
    const uint64_t gran = w.capabilities().granularity;
    std::vector<Chunk> chunks;
    std::vector<Bytes> buffers;
    for (uint64_t off = 0; off < p.size; off += chunk) {
        const uint64_t len = std::min(chunk, p.size - off);
        bool any = false;
        for (auto [d, l] : p.data) {
            any = any || (d < off + len && d + l > off);
        }
        if (!any) {
            continue;
        }
        buffers.push_back(expected_bytes(p, off, len));
        Chunk c;
        c.offset = off;
        for (uint64_t g = 0; g < len; g += gran) {
            const uint64_t n = std::min(gran, len - g);
            bool zero = true;
            for (uint64_t i = 0; i < n && zero; ++i) {
                zero = buffers.back()[g + i] == std::byte{0};
            }
            append_extent(c.runs, {off + g, n, zero ? ExtentKind::zero : ExtentKind::data});
        }
        chunks.push_back(std::move(c));
    }
    for (size_t i = 0; i < chunks.size(); ++i) {
        chunks[i].data = buffers[i];
    }
    if (threads > 1) {
        std::vector<std::thread> pool;
        std::atomic<bool> ok{true};
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                for (size_t i = static_cast<size_t>(t); i < chunks.size(); i += threads) {
                    ok = ok && static_cast<bool>(w.encode(chunks[i]));
                }
            });
        }
        for (auto& th : pool) {
            th.join();
        }
        if (!ok) {
            return fail(Errc::invalid, "encode failed");
        }
    } else {
        for (auto& c : chunks) {
            OVFKIT_TRY(w.encode(c));
        }
    }
    for (auto& c : chunks) {
        OVFKIT_TRY(w.write(c));
    }
    return w.finish();
}

Result<void> write_image(const FormatDriver& driver, const std::string& path, const Pattern& p,
                         uint64_t block_size = 0, int threads = 1) {
    // A plain file: the writer's job ends at finish(); syncing and renaming
    // belong to io::OutputSet, tested elsewhere.
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(Errc::io, "{}: cannot create", path);
    }
    auto file = io::adopt_fd(fd, path);
    CreateContext ctx{file.get(), path, nullptr, {}};
    ctx.options.virtual_size = p.size;
    ctx.options.cluster_size = block_size;
    OVFKIT_TRY_ASSIGN(auto w, driver.create(ctx));
    return feed(*w, p, threads);
}

Bytes write_mem(const FormatDriver& driver, const Pattern& p, uint64_t block_size = 0) {
    io::MemFile file("t.vhdx");
    CreateContext ctx{&file, "t.vhdx", nullptr, {}};
    ctx.options.virtual_size = p.size;
    ctx.options.cluster_size = block_size;
    auto w = driver.create(ctx);
    EXPECT_TRUE(w) << w.error().message;
    auto done = feed(**w, p);
    EXPECT_TRUE(done) << done.error().message;
    return file.data();
}

void check_with_independent_readers(const std::string& raw, const std::string& image,
                                    const std::string& disk_type, uint64_t size) {
    std::string out;
    EXPECT_EQ(
        run(fmt::format("prlimit --as=4000000000 qemu-img check -f vhdx {} 2>&1", image), &out), 0)
        << out;
    EXPECT_EQ(run(fmt::format("qemu-img compare -f raw -F vhdx {} {} 2>&1", raw, image), &out), 0)
        << out;
    if (have_tool("vhdiinfo")) {
        EXPECT_EQ(run(fmt::format("vhdiinfo {} 2>&1", image), &out), 0) << out;
        EXPECT_NE(out.find("Disk type\t\t: " + disk_type), std::string::npos) << out;
        EXPECT_NE(out.find(fmt::format("({} bytes)", size)), std::string::npos) << out;
    }
}

struct WriterCase {
    const char* driver;
    uint64_t block_size;
    const char* vhdi_type;
};

class VhdxWriters : public ::testing::TestWithParam<WriterCase> {};

TEST_P(VhdxWriters, OutputPassesQemuImgAndVhdiinfoAndReadsBack) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    const WriterCase& c = GetParam();
    TempDir dir;
    const Pattern p = small_pattern();
    write_raw(dir.file("src.raw"), p);
    const auto& driver = *formats::find(c.driver);
    auto done = write_image(driver, dir.file("out.vhdx"), p, c.block_size);
    ASSERT_TRUE(done) << done.error().message;
    check_with_independent_readers(dir.file("src.raw"), dir.file("out.vhdx"), c.vhdi_type, p.size);

    auto r = open_path(dir.file("out.vhdx"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().format, c.driver);
    EXPECT_EQ((*r)->info().cluster_size, c.block_size == 0 ? 32 * MiB : c.block_size);
    expect_whole_disk(**r, p);
    expect_map_covers_data(**r, p);
    const bool fixed = std::string_view(c.driver) == "vhdx-fixed";
    // A block the converter never touched stays unallocated in a dynamic file.
    EXPECT_EQ(kind_at(**r, 100 * MiB), fixed ? ExtentKind::data : ExtentKind::unallocated);
    // Blocks are whole in the file: data start + allocated blocks.
    const uint64_t bs = c.block_size == 0 ? 32 * MiB : c.block_size;
    const uint64_t file_size = slurp(dir.file("out.vhdx")).size();
    EXPECT_EQ((file_size - 4 * MiB) % bs, 0u);
}

INSTANTIATE_TEST_SUITE_P(Variants, VhdxWriters,
                         ::testing::Values(WriterCase{"vhdx", 0, "Dynamic"},
                                           WriterCase{"vhdx", 1 * MiB, "Dynamic"},
                                           WriterCase{"vhdx", 8 * MiB, "Dynamic"},
                                           WriterCase{"vhdx-fixed", 0, "Fixed"},
                                           WriterCase{"vhdx-fixed", 2 * MiB, "Fixed"}));

TEST(VhdxWriter, InterleavedBitmapEntriesAbove4GiBAreSkipped) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    const Pattern p = big_pattern();
    write_raw(dir.file("src.raw"), p);
    auto done = write_image(dynamic_driver(), dir.file("out.vhdx"), p, 1 * MiB);
    ASSERT_TRUE(done) << done.error().message;
    check_with_independent_readers(dir.file("src.raw"), dir.file("out.vhdx"), "Dynamic", p.size);
    auto r = open_path(dir.file("out.vhdx"));
    ASSERT_TRUE(r) << r.error().message;
    expect_data_ranges(**r, p);
    // The BAT entry at index 4096 is the first sector bitmap: it stays 0.
    const Bytes img = slurp(dir.file("out.vhdx"));
    EXPECT_EQ(load<le64>(img.data() + 3 * MiB + 4096 * 8).get(), 0u);
    EXPECT_EQ(load<le64>(img.data() + 3 * MiB + 4095 * 8).get() & 7, 6u); // block 4095: data
    EXPECT_EQ(load<le64>(img.data() + 3 * MiB + 4097 * 8).get() & 7, 6u); // block 4096: data
    EXPECT_EQ(load<le64>(img.data() + 3 * MiB + 4098 * 8).get() & 7, 0u); // block 4097: hole
}

// The fields that differ between two runs: GUIDs (fresh per file) and the
// checksums covering them.
Bytes mask_identity(Bytes b) {
    for (uint64_t h : {k_header1_offset, k_header2_offset}) {
        std::memset(b.data() + h + offsetof(Header, checksum), 0, 4);
        std::memset(b.data() + h + offsetof(Header, file_write_guid), 0, 32);
    }
    std::memset(b.data() + 2 * MiB + 64 * 1024 + 16, 0, 16); // page 83 item
    return b;
}

TEST(VhdxWriter, OneAndTwoThreadsProduceIdenticalFiles) {
    const Pattern p = small_pattern();
    TempDir dir;
    for (const char* name : {"vhdx", "vhdx-fixed"}) {
        const auto& driver = *formats::find(name);
        ASSERT_TRUE(write_image(driver, dir.file("one.vhdx"), p, 1 * MiB, 1));
        ASSERT_TRUE(write_image(driver, dir.file("two.vhdx"), p, 1 * MiB, 2));
        const Bytes one = slurp(dir.file("one.vhdx"));
        const Bytes two = slurp(dir.file("two.vhdx"));
        EXPECT_NE(one, two) << "GUIDs must be fresh per file";
        EXPECT_EQ(mask_identity(one), mask_identity(two)) << name;
        ::unlink(dir.file("one.vhdx").c_str());
        ::unlink(dir.file("two.vhdx").c_str());
    }
}

TEST(VhdxWriter, RefusesBadParameters) {
    io::MemFile file("t.vhdx");
    CreateContext ctx{&file, "t.vhdx", nullptr, {}};
    ctx.options.virtual_size = 1000;
    auto w = dynamic_driver().create(ctx);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, Errc::invalid);
    EXPECT_EQ(w.error().message,
              "t.vhdx: vhdx virtual size 1000 is not a non-zero multiple of the 512-byte sector");
    ctx.options.virtual_size = (uint64_t{64} << 40) + 512;
    w = fixed_driver().create(ctx);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().message,
              "t.vhdx: vhdx-fixed virtual size 70368744178176 exceeds the VHDX maximum of 64 TiB");
    ctx.options.virtual_size = MiB;
    ctx.options.cluster_size = 3 * MiB;
    auto c = check_create_options(dynamic_driver(), ctx.options, "t.vhdx");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::usage);
    EXPECT_EQ(c.error().message, "t.vhdx: vhdx block size 3145728 is not a power of two between "
                                 "1048576 and 268435456 bytes");
    ctx.options.cluster_size = 512 * MiB;
    EXPECT_FALSE(check_create_options(fixed_driver(), ctx.options, "t.vhdx"));
    ctx.options.compress = true;
    ctx.options.cluster_size = 0;
    EXPECT_EQ(check_create_options(dynamic_driver(), ctx.options, "t.vhdx").error().message,
              "t.vhdx: vhdx images cannot be compressed");
}

TEST(VhdxWriter, EmptyDiskAndProbe) {
    Pattern p{64 * MiB, {}};
    Bytes img = write_mem(dynamic_driver(), p);
    ProbeInput in{std::span<const std::byte>(img).first(k_probe_head), {}, img.size()};
    EXPECT_EQ(dynamic_driver().probe(in), 100);
    EXPECT_EQ(fixed_driver().probe(in), 0);
    Bytes raw(4096, std::byte{0});
    EXPECT_EQ(dynamic_driver().probe({raw, raw, raw.size()}), 0);
    auto r = open_bytes(img);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().allocated_size, 0u);
    EXPECT_EQ(img.size(), 4 * MiB); // header, log, metadata, BAT; no blocks
    auto map = (*r)->extents(0, p.size);
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, (std::vector<Extent>{{0, p.size, ExtentKind::unallocated}}));
}

// ---------------------------------------------------------------------------
// Byte-level helpers to build dirty and hostile images.

void put32(Bytes& b, uint64_t at, uint32_t v) {
    const le32 x = v;
    std::memcpy(b.data() + at, &x, 4);
}
void put64(Bytes& b, uint64_t at, uint64_t v) {
    const le64 x = v;
    std::memcpy(b.data() + at, &x, 8);
}
uint64_t get64(const Bytes& b, uint64_t at) {
    return load<le64>(b.data() + at);
}
uint32_t crc_with_zero_field(const Bytes& b, uint64_t at, uint64_t length, uint64_t field) {
    Bytes copy(b.begin() + static_cast<ptrdiff_t>(at),
               b.begin() + static_cast<ptrdiff_t>(at + length));
    std::memset(copy.data() + field, 0, 4);
    return crc32c(copy);
}
void fix_headers(Bytes& b) {
    for (uint64_t h : {k_header1_offset, k_header2_offset}) {
        put32(b, h + 4, crc_with_zero_field(b, h, k_header_size, 4));
    }
}
void fix_region_tables(Bytes& b) {
    for (uint64_t t : {k_region1_offset, k_region2_offset}) {
        put32(b, t + 4, crc_with_zero_field(b, t, k_region_table_size, 4));
    }
}
// Region table entry i, in both copies.
void set_region(Bytes& b, int i, uint64_t offset, uint32_t length) {
    for (uint64_t t : {k_region1_offset, k_region2_offset}) {
        put64(b, t + 16 + 32 * i + 16, offset);
        put32(b, t + 16 + 32 * i + 24, length);
    }
    fix_region_tables(b);
}

// ovfkit's own layout: metadata at 2 MiB, items from +64 KiB in the order
// file parameters, size, page 83, logical, physical; BAT at 3 MiB.
constexpr uint64_t k_meta = 2 * MiB;
constexpr uint64_t k_items = k_meta + 64 * 1024;
constexpr uint64_t k_bat = 3 * MiB;

Bytes valid_image() {
    return write_mem(dynamic_driver(), {8 * MiB, {{0, 8192}, {5 * MiB, 4096}}}, 1 * MiB);
}

void expect_refusal(Bytes img, Errc code, const std::string& message, OpenPolicy policy = {},
                    const io::Directory* dir = nullptr) {
    auto r = open_bytes(std::move(img), policy, dir);
    ASSERT_FALSE(r) << "opened, expected: " << message;
    EXPECT_EQ(r.error().message, message);
    EXPECT_EQ(r.error().code, code) << r.error().message;
}

TEST(VhdxHostile, ValidBaseImageOpens) {
    auto r = open_bytes(valid_image());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().allocated_size, 2 * MiB);
    // A base image has no parent to serialise on: the converter may read it
    // from several threads.
    EXPECT_TRUE((*r)->concurrent_reads());
}

TEST(VhdxHostile, Truncated) {
    Bytes img = valid_image();
    img.resize(4096);
    expect_refusal(
        img, Errc::invalid,
        "t.vhdx: file of 4096 bytes is truncated: the VHDX header section alone is 1 MiB");
    img = valid_image();
    img.resize(3 * MiB + 4096); // cuts the BAT region
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: region table at file offset 196608: entry 0 (BAT region) at file "
                   "offset 3145728 length 1048576 lies outside the 3149824-byte file: the image "
                   "is truncated");
}

TEST(VhdxHostile, BothHeadersCorrupt) {
    Bytes img = valid_image();
    img[k_header1_offset + 100] ^= std::byte{1};
    img[k_header2_offset + 100] ^= std::byte{1};
    expect_refusal(img, Errc::refused,
                   "t.vhdx: neither header (file offsets 65536 and 131072) has signature 'head' "
                   "and a matching CRC-32C checksum");
}

TEST(VhdxHostile, OneCorruptHeaderFallsBackToTheOther) {
    Bytes img = valid_image();
    img[k_header2_offset + 100] ^= std::byte{1}; // the current one
    EXPECT_TRUE(open_bytes(img));
}

TEST(VhdxHostile, RegionTableChecksum) {
    Bytes img = valid_image();
    img[k_region1_offset + 1000] = std::byte{1};
    ASSERT_TRUE(open_bytes(img)) << "table 2 is the fallback";
    img[k_region2_offset + 1000] = std::byte{1};
    const uint32_t stored = load<le32>(img.data() + k_region1_offset + 4);
    const uint32_t computed = crc_with_zero_field(img, k_region1_offset, k_region_table_size, 4);
    expect_refusal(img, Errc::refused,
                   fmt::format("t.vhdx: region table at file offset 196608: checksum 0x{:08x} does "
                               "not match the computed 0x{:08x}",
                               stored, computed));
}

TEST(VhdxHostile, RegionOutsideTheFile) {
    Bytes img = valid_image();
    set_region(img, 1, 1024 * MiB, MiB);
    expect_refusal(img, Errc::invalid,
                   fmt::format("t.vhdx: region table at file offset 196608: entry 1 (metadata "
                               "region) at file offset 1073741824 length 1048576 lies outside the "
                               "{}-byte file: the image is truncated",
                               img.size()));
}

TEST(VhdxHostile, OverlappingRegions) {
    Bytes img = valid_image();
    set_region(img, 1, 3 * MiB, MiB); // metadata onto the BAT
    expect_refusal(img, Errc::refused,
                   "t.vhdx: region table at file offset 196608: the metadata region (file offset "
                   "3145728, length 1048576) overlaps the BAT region (file offset 3145728, length "
                   "1048576)");
    img = valid_image();
    set_region(img, 0, 1 * MiB, MiB); // BAT onto the log
    expect_refusal(img, Errc::refused,
                   "t.vhdx: region table at file offset 196608: the BAT region (file offset "
                   "1048576, length 1048576) overlaps the log (file offset 1048576, length "
                   "1048576)");
}

TEST(VhdxHostile, RegionEntryCount2048) {
    Bytes img = valid_image();
    for (uint64_t t : {k_region1_offset, k_region2_offset}) {
        put32(img, t + 8, 2048);
    }
    fix_region_tables(img);
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: region table at file offset 196608: entry_count 2048 exceeds 2047");
}

TEST(VhdxHostile, UnknownRequiredRegion) {
    Bytes img = valid_image();
    for (uint64_t t : {k_region1_offset, k_region2_offset}) {
        put32(img, t + 8, 3);
        const Guid g = guid_from_text("01234567-89AB-CDEF-0123-456789ABCDEF");
        std::memcpy(img.data() + t + 16 + 64, g.bytes.data(), 16);
        put64(img, t + 16 + 64 + 16, 200 * MiB);
        put32(img, t + 16 + 64 + 24, MiB);
        put32(img, t + 16 + 64 + 28, 1);
    }
    fix_region_tables(img);
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: region table at file offset 196608: entry 2 has unknown region type "
                   "{01234567-89ab-cdef-0123-456789abcdef} marked required");
}

TEST(VhdxHostile, BlockSizes) {
    for (uint32_t bs : {0u, 3u << 20, 512u << 20}) {
        Bytes img = valid_image();
        put32(img, k_items, bs);
        expect_refusal(img, Errc::invalid,
                       fmt::format("t.vhdx: metadata: block_size {} is not a power of two between "
                                   "1 MiB and 256 MiB",
                                   bs));
    }
}

TEST(VhdxHostile, LogicalSector1000) {
    Bytes img = valid_image();
    put32(img, k_items + 32, 1000);
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: metadata: logical sector size 1000 is not 512 or 4096");
}

TEST(VhdxHostile, VirtualSizeAbove64TiB) {
    Bytes img = valid_image();
    put64(img, k_items + 8, (uint64_t{64} << 40) + 512);
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: metadata: virtual disk size 70368744178176 exceeds the VHDX maximum "
                   "of 64 TiB");
    OpenPolicy small;
    small.max_virtual_size = 4 * MiB;
    expect_refusal(valid_image(), Errc::refused,
                   "t.vhdx: metadata: virtual disk size 8388608 exceeds the limit of 4194304 bytes",
                   small);
}

TEST(VhdxHostile, BatRegionTooSmall) {
    Bytes img = valid_image();
    // 1 TiB in 1 MiB blocks: 2^20 payload + 255 bitmap entries, 8 MiB of BAT.
    put64(img, k_items + 8, uint64_t{1} << 40);
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT region at file offset 3145728: its 1048576 bytes cannot hold the "
                   "1048831 entries a 1099511627776-byte disk with 1048576-byte blocks needs");
    // The 64 TiB maximum with 1 MiB blocks: 2^26 payload blocks must not be
    // truncated anywhere (qemu issue 4470).
    put64(img, k_items + 8, uint64_t{64} << 40);
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT region at file offset 3145728: its 1048576 bytes cannot hold the "
                   "67125247 entries a 70368744177664-byte disk with 1048576-byte blocks needs");
}

TEST(VhdxHostile, BatEntryOutsideTheFile) {
    Bytes img = valid_image();
    put64(img, k_bat + 8 * 2, (1024 * MiB) | 6);
    expect_refusal(img, Errc::invalid,
                   fmt::format("t.vhdx: BAT entry 2 (payload block 2): the block at file offset "
                               "1073741824 needs 1048576 bytes, up to offset 1074790400, but the "
                               "file ends at {}: the image is truncated",
                               img.size()));
}

TEST(VhdxHostile, BatEntriesSharingABlockOrHittingMetadata) {
    Bytes img = valid_image();
    put64(img, k_bat + 8 * 3, get64(img, k_bat));
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT entry 3 (payload block 3): block at file offset 4194304 overlaps "
                   "the BAT entry 0 (payload block 0) at file offset 4194304");
    img = valid_image();
    put64(img, k_bat + 8 * 3, k_meta | 6);
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT entry 3 (payload block 3): block at file offset 2097152 overlaps "
                   "the metadata region at file offset 2097152");
    img = valid_image();
    put64(img, k_bat + 8 * 3, 4); // reserved state
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT entry 3 (payload block 3): state 4 is reserved");
    img = valid_image();
    put64(img, k_bat + 8 * 3, 7);
    expect_refusal(img, Errc::refused,
                   "t.vhdx: BAT entry 3 (payload block 3): state 7 (partially present) in a file "
                   "without a parent");
}

TEST(VhdxHostile, UnknownRequiredMetadataItem) {
    Bytes img = valid_image();
    put32(img, k_meta + 10, 6); // entry_count (u16) and reserved2 stay zero
    const Guid g = guid_from_text("DEADBEEF-0000-4000-8000-000000000001");
    const uint64_t e = k_meta + 32 + 5 * 32;
    std::memcpy(img.data() + e, g.bytes.data(), 16);
    put32(img, e + 16, 64 * 1024 + 64);
    put32(img, e + 20, 8);
    put32(img, e + 24, k_meta_is_required);
    expect_refusal(img, Errc::invalid,
                   "t.vhdx: metadata table at file offset 2097152: entry 5 has unknown item "
                   "{deadbeef-0000-4000-8000-000000000001} marked required");
    put32(img, e + 24, 0); // not required: ignored
    EXPECT_TRUE(open_bytes(img));
}

// Turns a valid image into a differencing one whose locator holds `keys`.
Bytes with_parent_locator(Bytes img, const std::vector<std::pair<std::string, std::string>>& keys) {
    put32(img, k_items + 4, k_param_has_parent);
    put32(img, k_meta + 10, 6);
    const uint64_t e = k_meta + 32 + 5 * 32;
    std::memcpy(img.data() + e, k_item_parent_locator.bytes.data(), 16);
    const uint32_t item_at = 128 * 1024;
    Bytes item(20 + 12 * keys.size());
    std::memcpy(item.data(), k_locator_vhdx.bytes.data(), 16);
    item[18] = std::byte(keys.size());
    auto utf16 = [](const std::string& s) {
        Bytes b;
        for (char c : s) {
            b.push_back(std::byte(c));
            b.push_back(std::byte{0});
        }
        return b;
    };
    for (size_t i = 0; i < keys.size(); ++i) {
        Bytes k = utf16(keys[i].first);
        Bytes v = utf16(keys[i].second);
        put32(item, 20 + 12 * i, static_cast<uint32_t>(item.size()));
        item.insert(item.end(), k.begin(), k.end());
        put32(item, 20 + 12 * i + 4, static_cast<uint32_t>(item.size()));
        item.insert(item.end(), v.begin(), v.end());
        const le16 kl = static_cast<uint16_t>(k.size());
        const le16 vl = static_cast<uint16_t>(v.size());
        std::memcpy(item.data() + 20 + 12 * i + 8, &kl, 2);
        std::memcpy(item.data() + 20 + 12 * i + 10, &vl, 2);
    }
    put32(img, e + 16, item_at);
    put32(img, e + 20, static_cast<uint32_t>(item.size()));
    put32(img, e + 24, k_meta_is_required);
    std::memcpy(img.data() + k_meta + item_at, item.data(), item.size());
    return img;
}

TEST(VhdxHostile, ParentLocatorNamingEtcPasswd) {
    TempDir dir;
    auto d = io::Directory::open(dir.path());
    ASSERT_TRUE(d);
    OpenPolicy allow;
    allow.allow_parent = true;
    const std::string linkage = "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}";
    expect_refusal(
        with_parent_locator(
            valid_image(), {{"parent_linkage", linkage}, {"relative_path", "..\\..\\etc\\passwd"}}),
        Errc::refused,
        "t.vhdx: metadata: parent locator: relative_path '..\\..\\etc\\passwd' does not name a "
        "file in the image's directory",
        allow, &*d);
    expect_refusal(with_parent_locator(valid_image(), {{"parent_linkage", linkage},
                                                       {"absolute_win32_path", "/etc/passwd"}}),
                   Errc::refused,
                   "t.vhdx: metadata: parent locator: no relative_path; the parent "
                   "'/etc/passwd' is outside "
                   "the image's directory",
                   allow, &*d);
    // A plain name is still only opened when the policy allows parents.
    expect_refusal(
        with_parent_locator(valid_image(),
                            {{"parent_linkage", linkage}, {"relative_path", "p.vhdx"}}),
        Errc::refused,
        "t.vhdx: parent 'p.vhdx': not opened: parent and backing chains are refused unless "
        "parents are allowed (--allow-parent)");
}

// ---------------------------------------------------------------------------
// Logs.

struct LogSector {
    uint64_t file_offset;
    Bytes data; // 4096 bytes
};

// Writes one log entry at log offset `at` of an image whose header gets
// `log_guid`, holding data descriptors for `sectors`.
void add_log_entry(Bytes& img, const Guid& log_guid, uint64_t at, uint64_t seq,
                   const std::vector<LogSector>& sectors, uint32_t count_override = 0) {
    const uint64_t log_offset = get64(img, k_header1_offset + 72);
    for (uint64_t h : {k_header1_offset, k_header2_offset}) {
        std::memcpy(img.data() + h + 48, log_guid.bytes.data(), 16);
    }
    fix_headers(img);
    const uint64_t desc_sectors = (sectors.size() + 2 + 127) / 128;
    const uint64_t length = (desc_sectors + sectors.size()) * 4096;
    Bytes e(length);
    put32(e, 0, k_sig_loge);
    put32(e, 8, static_cast<uint32_t>(length));
    put32(e, 12, static_cast<uint32_t>(at));
    put64(e, 16, seq);
    put32(e, 24, count_override != 0 ? count_override : static_cast<uint32_t>(sectors.size()));
    std::memcpy(e.data() + 32, log_guid.bytes.data(), 16);
    put64(e, 48, img.size());
    put64(e, 56, img.size());
    for (size_t i = 0; i < sectors.size(); ++i) {
        const uint64_t d = 64 + 32 * i;
        const Bytes& s = sectors[i].data;
        put32(e, d, k_sig_desc);
        std::memcpy(e.data() + d + 4, s.data() + 4092, 4);
        std::memcpy(e.data() + d + 8, s.data(), 8);
        put64(e, d + 16, sectors[i].file_offset);
        put64(e, d + 24, seq);
        const uint64_t ds = (desc_sectors + i) * 4096;
        put32(e, ds, k_sig_data);
        put32(e, ds + 4, static_cast<uint32_t>(seq >> 32));
        std::memcpy(e.data() + ds + 8, s.data() + 8, 4084);
        put32(e, ds + 4092, static_cast<uint32_t>(seq));
    }
    put32(e, 4, crc_with_zero_field(e, 0, e.size(), 4));
    std::memcpy(img.data() + log_offset + at, e.data(), e.size());
}

const Guid k_log_guid = guid_from_text("11111111-2222-4333-8444-555555555555");

TEST(VhdxLog, DirtyQemuImageIsReplayedInMemoryOnly) {
    if (!have_tool("qemu-img")) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    const Pattern p = small_pattern();
    write_raw(dir.file("src.raw"), p);
    ASSERT_EQ(run(fmt::format("qemu-img convert -f raw -O vhdx -o block_size=1M {} {}",
                              dir.file("src.raw"), dir.file("q.vhdx"))),
              0);
    Bytes img = slurp(dir.file("q.vhdx"));
    // Find block 0 through qemu's region table: entry whose GUID is the BAT.
    uint64_t bat = 0;
    for (int i = 0; i < 2; ++i) {
        const uint64_t e = k_region1_offset + 16 + 32 * i;
        if (std::memcmp(img.data() + e, k_region_bat.bytes.data(), 16) == 0) {
            bat = get64(img, e + 16);
        }
    }
    ASSERT_NE(bat, 0u);
    const uint64_t block0 = get64(img, bat) & k_bat_offset_mask;
    ASSERT_EQ(get64(img, bat) & 7, 6u);
    // Two new sectors for guest offsets 4096 and 8192; a second entry
    // rewrites 8192 again, so the later entry must win.
    Bytes s1(4096, std::byte{0xA1});
    Bytes s2(4096, std::byte{0xB2});
    Bytes s3(4096, std::byte{0xC3});
    s1[0] = std::byte{0x01};
    s1[4095] = std::byte{0x02};
    add_log_entry(img, k_log_guid, 0, 41, {{block0 + 4096, s1}, {block0 + 8192, s2}});
    // The second entry's tail points at the first: one sequence of two.
    add_log_entry(img, k_log_guid, 3 * 4096, 42, {{block0 + 8192, s3}});
    put32(img, get64(img, k_header1_offset + 72) + 3 * 4096 + 12, 0);
    {
        const uint64_t at = get64(img, k_header1_offset + 72) + 3 * 4096;
        Bytes e(img.begin() + static_cast<ptrdiff_t>(at),
                img.begin() + static_cast<ptrdiff_t>(at + 8192));
        put32(img, at + 4, crc_with_zero_field(e, 0, e.size(), 4));
    }
    test::write_file(dir.file("dirty.vhdx"), img);

    auto r = open_path(dir.file("dirty.vhdx"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE((*r)->info().dirty);
    ASSERT_EQ((*r)->findings().size(), 1u);
    EXPECT_EQ((*r)->findings()[0].code, "DISK-VHDX-LOG-REPLAYED");
    EXPECT_EQ((*r)->findings()[0].message,
              dir.file("dirty.vhdx") +
                  ": header at offset 131072: the log holds pending updates (the image was not "
                  "closed cleanly); they are applied in memory, the file is not changed");
    Bytes got(3 * 4096);
    ASSERT_TRUE((*r)->read_at(0, got));
    for (size_t i = 0; i < 4096; ++i) {
        ASSERT_EQ(got[i], pattern_byte(i)) << i;
    }
    EXPECT_TRUE(std::equal(s1.begin(), s1.end(), got.begin() + 4096));
    EXPECT_TRUE(std::equal(s3.begin(), s3.end(), got.begin() + 8192));
    expect_pattern(**r, p, 3 * 4096, 10 * MiB);
    EXPECT_EQ(slurp(dir.file("dirty.vhdx")), img) << "the input was written";
}

TEST(VhdxLog, ReplayedBatUpdateChangesTheMap) {
    Bytes img = valid_image();
    // Block 3 is unallocated; a logged BAT sector marks it PAYLOAD_BLOCK_ZERO.
    Bytes bat_sector(img.begin() + k_bat, img.begin() + k_bat + 4096);
    put64(bat_sector, 3 * 8, k_payload_zero);
    add_log_entry(img, k_log_guid, 0, 7, {{k_bat, bat_sector}});
    auto before = open_bytes(valid_image());
    ASSERT_TRUE(before);
    EXPECT_EQ(kind_at(**before, 3 * MiB), ExtentKind::unallocated);
    auto r = open_bytes(img);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE((*r)->info().dirty);
    EXPECT_EQ(kind_at(**r, 3 * MiB), ExtentKind::zero);
}

TEST(VhdxLog, TornEntryIsIgnoredButDirtyIsReported) {
    Bytes img = valid_image();
    Bytes s(4096, std::byte{0x55});
    add_log_entry(img, k_log_guid, 0, 9, {{get64(img, k_bat) & k_bat_offset_mask, s}});
    const uint64_t log_offset = get64(img, k_header1_offset + 72);
    img[log_offset + 4096 + 100] ^= std::byte{1}; // data sector content: CRC fails
    auto r = open_bytes(img);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE((*r)->info().dirty);
    Bytes got(4096);
    ASSERT_TRUE((*r)->read_at(0, got));
    EXPECT_EQ(got[0], pattern_byte(0));
}

TEST(VhdxLog, DescriptorCountOverflow) {
    Bytes img = valid_image();
    add_log_entry(img, k_log_guid, 0, 9, {}, 0xFFFFFFFFu);
    expect_refusal(img, Errc::refused,
                   "t.vhdx: log entry at log offset 0: descriptor_count 4294967295 needs "
                   "33554433 descriptor sectors but entry_length 4096 holds 1");
}

TEST(VhdxLog, DescriptorTargetingTheHeaderSection) {
    Bytes img = valid_image();
    Bytes s(4096, std::byte{0x55});
    add_log_entry(img, k_log_guid, 0, 9, {{k_header1_offset, s}});
    expect_refusal(img, Errc::refused,
                   "t.vhdx: log entry at log offset 0: descriptor 0 writes file offset 65536, "
                   "inside the header section");
}

TEST(VhdxLog, TailThatDoesNotLeadToTheHead) {
    Bytes img = valid_image();
    Bytes s(4096, std::byte{0x55});
    add_log_entry(img, k_log_guid, 8192, 9, {{k_bat, s}});
    const uint64_t at = get64(img, k_header1_offset + 72) + 8192;
    put32(img, at + 12, 4096); // tail: nothing valid there
    Bytes e(img.begin() + static_cast<ptrdiff_t>(at),
            img.begin() + static_cast<ptrdiff_t>(at + 8192));
    put32(img, at + 4, crc_with_zero_field(e, 0, e.size(), 4));
    expect_refusal(img, Errc::refused,
                   "t.vhdx: log entry at log offset 8192 (sequence 9) names tail 4096, which does "
                   "not start an unbroken sequence of entries ending with it; open it once in "
                   "Hyper-V or run `qemu-img check -r all -f vhdx` on a copy");
}

} // namespace
} // namespace ovfkit::disk::formats::vhdx

namespace ovfkit::test {

namespace {

// The data_write_guid text of identity `id`.
std::string vhdx_guid_text(uint8_t id) {
    return fmt::format("{:08x}-1111-2222-3333-444444444444", id);
}

// An 8 MiB dynamic VHDX whose data_write_guid is vhdx_guid_text(id).
std::vector<std::byte> vhdx_with_id(uint8_t id) {
    using namespace disk::formats::vhdx;
    auto b = valid_image();
    const Guid g = guid_from_text(vhdx_guid_text(id));
    for (uint64_t h : {k_header1_offset, k_header2_offset}) {
        std::memcpy(b.data() + h + 32, g.bytes.data(), 16);
    }
    fix_headers(b);
    return b;
}

} // namespace

// Differencing chains for chain_test.cpp; the identity is the
// data_write_guid the child's parent_linkage names.
const ChainKit& vhdx_chain_kit() {
    static const ChainKit kit{
        .format = "vhdx",
        .extension = ".vhdx",
        .has_identity = true,
        .write_base = [](const std::string& path,
                         uint8_t id) { write_file(path, vhdx_with_id(id)); },
        .write_child =
            [](const std::string& path, const std::string& parent, uint8_t id, uint8_t parent_id) {
                auto b = disk::formats::vhdx::with_parent_locator(
                    vhdx_with_id(id), {{"parent_linkage", "{" + vhdx_guid_text(parent_id) + "}"},
                                       {"relative_path", parent}});
                write_file(path, b);
            },
    };
    return kit;
}

} // namespace ovfkit::test
