// VMDK drivers: images made by qemu-img read back exactly, ovfkit's output
// checked by qemu-img and vmdkinfo, and hostile images built here from bytes.
// qemu-img and vmdkinfo only ever see trusted files (SECURITY.md R27).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <unistd.h>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/disk/formats/vmdk/descriptor.hpp>
#include <ovfkit/disk/formats/vmdk/layout.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::disk::formats::vmdk {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr uint64_t k_grain = 65536;

// A disk of 70 MiB + 4.5 KiB: compressible, incompressible and all-zero
// grains in the first grain table, an empty second grain table, a few grains
// in the third, and a short last grain.
std::vector<std::byte> pattern(uint64_t size = (uint64_t{70} << 20) + 4608) {
    std::vector<std::byte> d(size);
    uint32_t rng = 12345;
    for (uint64_t g = 0; g * k_grain < size; ++g) {
        bool in_first = g < 80;
        bool in_third = g >= 1024 && g < 1030;
        bool last = (g + 1) * k_grain >= size;
        if (!(in_first || in_third || last) || g % 7 == 3) {
            continue;
        }
        uint64_t end = std::min(size, (g + 1) * k_grain);
        uint64_t start = g * k_grain + (g % 4 == 0 ? k_grain / 2 : 0);
        for (uint64_t i = start; i < end; ++i) {
            if (g % 5 == 1) {
                rng = rng * 1103515245 + 12345;
                d[i] = static_cast<std::byte>(rng >> 16);
            } else {
                d[i] = static_cast<std::byte>((i * 31 + g) % 251 < 40 ? 'a' + g % 26 : 0);
            }
        }
        if (last) {
            d[size - 1] = std::byte{0x5a};
        }
    }
    return d;
}

bool all_zero(std::span<const std::byte> b) {
    return b.empty() ||
           (b[0] == std::byte{0} && std::memcmp(b.data(), b.data() + 1, b.size() - 1) == 0);
}

// Grain-granular map: data where the raw grain has a non-zero byte.
std::vector<Extent> grain_map(const std::vector<std::byte>& raw) {
    std::vector<Extent> map;
    for (uint64_t off = 0; off < raw.size(); off += k_grain) {
        uint64_t n = std::min<uint64_t>(k_grain, raw.size() - off);
        bool zero = all_zero(std::span(raw).subspan(off, n));
        append_extent(map, {off, n, zero ? ExtentKind::unallocated : ExtentKind::data});
    }
    return map;
}

std::vector<std::byte> read_all(const std::string& path) {
    auto f = io::open_read(path);
    EXPECT_TRUE(f);
    std::vector<std::byte> out(fs::file_size(path));
    EXPECT_TRUE(io::read_exact(**f, out, 0));
    return out;
}

std::string sh_quote(const std::string& s) {
    return "'" + s + "'";
}

// Runs an independent reader under resource limits (SECURITY.md R27).
int tool(const std::string& command, std::string* out = nullptr) {
    return test::run("prlimit --as=4294967296 --cpu=120 " + command + " 2>&1", out);
}

struct Opened {
    std::unique_ptr<io::Directory> dir;
    std::unique_ptr<DiskReader> reader;
};

Result<Opened> open_path(const std::string& path, std::string_view driver = "vmdk") {
    const FormatDriver* d = formats::find(driver);
    if (d == nullptr) {
        return fail(Errc::usage, "no driver {}", driver);
    }
    OVFKIT_TRY_ASSIGN(auto dir, io::Directory::of_file(path));
    Opened o;
    o.dir = std::make_unique<io::Directory>(std::move(dir));
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OpenContext ctx{std::move(file), o.dir.get(), OpenPolicy{}, 0};
    OVFKIT_TRY_ASSIGN(o.reader, d->open(ctx));
    return o;
}

Result<std::unique_ptr<DiskReader>> open_mem(std::vector<std::byte> bytes,
                                             std::string_view driver = "vmdk") {
    OpenContext ctx{std::make_unique<io::MemFile>("disk.vmdk", std::move(bytes)), nullptr,
                    OpenPolicy{}, 0};
    return formats::find(driver)->open(ctx);
}

std::string open_error(std::vector<std::byte> bytes, Errc* code = nullptr) {
    auto r = open_mem(std::move(bytes));
    if (r) {
        return "(opened)";
    }
    if (code != nullptr) {
        *code = r.error().code;
    }
    return r.error().message;
}

void expect_reads_as(DiskReader& reader, const std::vector<std::byte>& raw) {
    ASSERT_EQ(reader.virtual_size(), raw.size());
    std::vector<std::byte> buf(1 << 20);
    // Odd-sized reads cross grain boundaries.
    uint64_t step = (1 << 20) - 4096 * 3;
    for (uint64_t off = 0; off < raw.size(); off += step) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(step, raw.size() - off));
        auto r = reader.read_at(off, std::span(buf).first(n));
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(std::memcmp(buf.data(), raw.data() + off, n), 0) << "at offset " << off;
    }
}

void expect_data_covers_nonzero(DiskReader& reader, const std::vector<std::byte>& raw) {
    auto map = reader.extents(0, raw.size());
    ASSERT_TRUE(map);
    uint64_t pos = 0;
    for (const Extent& e : *map) {
        EXPECT_EQ(e.offset, pos);
        if (e.kind != ExtentKind::data) {
            EXPECT_TRUE(all_zero(std::span(raw).subspan(e.offset, e.length)))
                << "non-zero bytes in a " << extent_kind_name(e.kind) << " extent at " << e.offset;
        }
        pos = e.offset + e.length;
    }
    EXPECT_EQ(pos, raw.size());
}

// Feeds `raw` to a writer the way the converter does: chunks of `chunk`
// bytes with zero runs marked, encode() on `threads` threads, write() in order.
void drive(DiskWriter& w, const std::vector<std::byte>& raw, size_t threads,
           uint64_t chunk = 1 << 20) {
    uint64_t gran = w.capabilities().granularity;
    std::vector<Chunk> batch;
    auto flush = [&] {
        std::vector<std::thread> pool;
        for (size_t t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                for (size_t i = t; i < batch.size(); i += threads) {
                    auto r = w.encode(batch[i]);
                    EXPECT_TRUE(r) << r.error().message;
                }
            });
        }
        for (auto& th : pool) {
            th.join();
        }
        for (auto& c : batch) {
            auto r = w.write(c);
            ASSERT_TRUE(r) << r.error().message;
        }
        batch.clear();
    };
    for (uint64_t off = 0; off < raw.size(); off += chunk) {
        uint64_t n = std::min<uint64_t>(chunk, raw.size() - off);
        Chunk c;
        c.offset = off;
        c.data = std::span(raw).subspan(off, n);
        for (uint64_t g = 0; g < n; g += gran) {
            uint64_t m = std::min<uint64_t>(gran, n - g);
            bool zero = all_zero(c.data.subspan(g, m));
            append_extent(c.runs, {off + g, m, zero ? ExtentKind::zero : ExtentKind::data});
        }
        if (std::all_of(c.runs.begin(), c.runs.end(),
                        [](const Extent& e) { return e.kind == ExtentKind::zero; })) {
            continue; // the converter produces no chunk for all-zero ranges
        }
        batch.push_back(std::move(c));
        if (batch.size() == 8) {
            flush();
        }
    }
    flush();
    auto r = w.finish();
    ASSERT_TRUE(r) << r.error().message;
}

std::unique_ptr<io::File> create_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0) << path;
    return io::adopt_fd(fd, path);
}

VmdkWriteOptions fixed_options() {
    VmdkWriteOptions o;
    o.cid = 0x1234abcd;
    return o;
}

// ---------------------------------------------------------------------------
// Images made by qemu-img

struct QemuCase {
    const char* name;
    const char* options;
    bool grain_map; // qemu leaves all-zero grains unallocated
};

class VmdkQemuImages : public ::testing::TestWithParam<QemuCase> {};

TEST_P(VmdkQemuImages, ReadBackExactlyWithAllocationMap) {
    const QemuCase& c = GetParam();
    TempDir dir;
    auto raw = pattern();
    test::write_file(dir.file("src.raw"), raw);
    std::string out = dir.file("disk.vmdk");
    ASSERT_EQ(tool(fmt::format("qemu-img convert -f raw -O vmdk -o {} {} {}", c.options,
                               sh_quote(dir.file("src.raw")), sh_quote(out))),
              0);
    auto opened = open_path(out);
    ASSERT_TRUE(opened) << opened.error().message;
    DiskReader& r = *opened->reader;
    expect_reads_as(r, raw);
    if (c.grain_map) {
        auto map = r.extents(0, raw.size());
        ASSERT_TRUE(map);
        EXPECT_EQ(*map, grain_map(raw));
        uint64_t data_bytes = 0;
        for (const auto& e : grain_map(raw)) {
            data_bytes += e.kind == ExtentKind::data ? e.length : 0;
        }
        EXPECT_EQ(r.info().allocated_size, data_bytes);
        EXPECT_EQ(r.info().cluster_size, k_grain);
    } else {
        expect_data_covers_nonzero(r, raw);
    }
    // A sub-range map is clipped and starts where asked.
    auto part = r.extents(k_grain + 100, 3 * k_grain);
    ASSERT_TRUE(part);
    ASSERT_FALSE(part->empty());
    EXPECT_EQ(part->front().offset, k_grain + 100);
    EXPECT_EQ(part->back().offset + part->back().length, 4 * k_grain + 100);
}

INSTANTIATE_TEST_SUITE_P(
    Vmdk, VmdkQemuImages,
    ::testing::Values(QemuCase{"monolithicSparse", "subformat=monolithicSparse", true},
                      QemuCase{"monolithicSparseLsi",
                               "subformat=monolithicSparse,adapter_type=lsilogic", true},
                      QemuCase{"compat6", "subformat=monolithicSparse,compat6=on", true},
                      QemuCase{"zeroedGrain", "subformat=monolithicSparse,zeroed_grain=on", true},
                      QemuCase{"monolithicFlat", "subformat=monolithicFlat", false},
                      QemuCase{"twoGbMaxExtentSparse", "subformat=twoGbMaxExtentSparse", true},
                      QemuCase{"twoGbMaxExtentFlat", "subformat=twoGbMaxExtentFlat", false},
                      QemuCase{"streamOptimized", "subformat=streamOptimized", true},
                      QemuCase{"streamOptimizedBuslogic",
                               "subformat=streamOptimized,adapter_type=buslogic", true}),
    [](const auto& p) { return std::string(p.param.name); });

// Several 2 GiB extents: the split points must line up.
TEST(VmdkQemuSplit, TwoGbExtentsConcatenate) {
    for (const char* sub : {"twoGbMaxExtentSparse", "twoGbMaxExtentFlat"}) {
        TempDir dir;
        uint64_t size = (uint64_t{5} << 30) + 512 * 3;
        std::string src = dir.file("src.raw");
        // A sparse raw file with data on both sides of each split point.
        auto f = create_file(src);
        ASSERT_TRUE(f->truncate(size));
        std::vector<std::pair<uint64_t, char>> marks = {{0, 'A'},
                                                        {(uint64_t{2} << 30) - 512, 'B'},
                                                        {uint64_t{2} << 30, 'C'},
                                                        {(uint64_t{4} << 30) + 4096, 'D'},
                                                        {size - 512, 'E'}};
        for (auto [off, ch] : marks) {
            std::vector<std::byte> block(512, static_cast<std::byte>(ch));
            ASSERT_TRUE(f->pwrite(block, off));
        }
        f.reset();
        std::string out = dir.file("big.vmdk");
        ASSERT_EQ(tool(fmt::format("qemu-img convert -f raw -O vmdk -o subformat={} {} {}", sub,
                                   sh_quote(src), sh_quote(out))),
                  0);
        auto opened = open_path(out);
        ASSERT_TRUE(opened) << opened.error().message;
        DiskReader& r = *opened->reader;
        EXPECT_EQ(r.virtual_size(), size);
        EXPECT_EQ(r.info().files.size(), 4u); // descriptor + 3 extents
        for (auto [off, ch] : marks) {
            std::vector<std::byte> got(1024);
            uint64_t at = off >= 512 ? off - 512 : 0;
            size_t n = static_cast<size_t>(std::min<uint64_t>(1024, size - at));
            ASSERT_TRUE(r.read_at(at, std::span(got).first(n)));
            std::vector<std::byte> want(n);
            for (auto [o, c] : marks) {
                for (uint64_t i = 0; i < n; ++i) {
                    if (at + i >= o && at + i < o + 512) {
                        want[i] = static_cast<std::byte>(c);
                    }
                }
            }
            EXPECT_EQ(std::memcmp(got.data(), want.data(), n), 0) << sub << " at " << off;
        }
        auto map = r.extents(0, size);
        ASSERT_TRUE(map);
        uint64_t data = 0;
        for (const auto& e : *map) {
            data += e.kind == ExtentKind::data ? e.length : 0;
        }
        EXPECT_LT(data, uint64_t{64} << 20) << sub; // holes stay holes
    }
}

// ---------------------------------------------------------------------------
// Images made by ovfkit

struct WriterCase {
    const char* name;
    const char* driver;
};

std::vector<std::byte> write_to_memory(const char* kind, const std::vector<std::byte>& raw,
                                       size_t threads, VmdkWriteOptions o = fixed_options()) {
    io::MemFile file("out.vmdk");
    CreateOptions c;
    c.virtual_size = raw.size();
    auto w = std::string(kind) == "stream" ? create_stream_writer(file, "out.vmdk", c, o)
                                           : create_sparse_writer(file, "out.vmdk", c, o);
    EXPECT_TRUE(w) << w.error().message;
    drive(**w, raw, threads);
    return file.data();
}

TEST(VmdkWriter, StreamOutputIsIndependentOfThreadCount) {
    auto raw = pattern();
    auto one = write_to_memory("stream", raw, 1);
    auto two = write_to_memory("stream", raw, 2);
    auto four = write_to_memory("stream", raw, 4);
    EXPECT_EQ(one, two);
    EXPECT_EQ(one, four);
    auto sparse_one = write_to_memory("sparse", raw, 1);
    auto sparse_two = write_to_memory("sparse", raw, 2);
    EXPECT_EQ(sparse_one, sparse_two);
}

TEST(VmdkWriter, StreamLayoutMatchesTheTechnicalNote) {
    auto raw = pattern();
    auto bytes = write_to_memory("stream", raw, 2);
    auto h = load<SparseHeader>(bytes.data());
    EXPECT_EQ(h.magic, k_magic);
    EXPECT_EQ(h.version, 3u);
    EXPECT_EQ(h.flags, 0x30001u);
    EXPECT_EQ(h.gd_offset, k_gd_at_end);
    EXPECT_EQ(h.overhead, 128u);
    EXPECT_EQ(h.compress_algorithm, 1u);
    EXPECT_EQ(h.capacity, raw.size() / 512);
    // Last three sectors: footer marker, footer, EOS.
    size_t n = bytes.size();
    ASSERT_EQ(n % 512, 0u);
    auto marker = load<MetadataMarker>(bytes.data() + n - 1536);
    EXPECT_EQ(marker.type, 3u);
    EXPECT_EQ(marker.num_sectors, 1u);
    auto footer = load<SparseHeader>(bytes.data() + n - 1024);
    EXPECT_EQ(footer.magic, k_magic);
    EXPECT_NE(footer.gd_offset, k_gd_at_end);
    EXPECT_TRUE(all_zero(std::span(bytes).subspan(n - 512)));
    // The first grain marker sits at overHead and its data is a zlib stream.
    auto grain = load<GrainMarker>(bytes.data() + 128 * 512);
    EXPECT_EQ(grain.lba, 0u);
    EXPECT_EQ(bytes[128 * 512 + 12], std::byte{0x78});
    // The descriptor says what ESXi looks for.
    std::string text(reinterpret_cast<const char*>(bytes.data()) + 512);
    EXPECT_NE(text.find("createType=\"streamOptimized\"\n"), std::string::npos) << text;
    EXPECT_NE(text.find(fmt::format("RW {} SPARSE \"out.vmdk\"\n", raw.size() / 512)),
              std::string::npos);
    EXPECT_NE(text.find("CID=1234abcd\n"), std::string::npos);
    EXPECT_NE(text.find("ddb.adapterType = \"lsilogic\"\n"), std::string::npos);
    EXPECT_NE(text.find("ddb.virtualHWVersion = \"4\"\n"), std::string::npos);
    EXPECT_NE(text.find("ddb.geometry.heads = \"255\"\n"), std::string::npos);
    EXPECT_NE(text.find("ddb.toolsVersion = \"2147483647\"\n"), std::string::npos);
    EXPECT_NE(text.find("ddb.longContentID = \""), std::string::npos);
    // Read back by ovfkit.
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message;
    expect_reads_as(**r, raw);
    auto map = (*r)->extents(0, raw.size());
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, grain_map(raw));
    EXPECT_EQ((*r)->info().format, "vmdk-stream");
}

TEST(VmdkWriter, EmptyStreamDiskIsComplete) {
    std::vector<std::byte> raw(uint64_t{3} << 20);
    auto bytes = write_to_memory("stream", raw, 1);
    // header + descriptor + padding, GD marker + GD, footer marker + footer, EOS.
    EXPECT_EQ(bytes.size(), (128 + 2 + 2 + 1) * 512u);
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message;
    expect_reads_as(**r, raw);
}

class VmdkWrittenImages : public ::testing::TestWithParam<WriterCase> {};

TEST_P(VmdkWrittenImages, IndependentReadersAgree) {
    const WriterCase& c = GetParam();
    TempDir dir;
    auto raw = pattern();
    test::write_file(dir.file("src.raw"), raw);
    std::string out = dir.file("disk.vmdk");
    {
        io::OutputSet outputs;
        auto file = outputs.create(out);
        ASSERT_TRUE(file);
        CreateContext ctx{*file, out, &outputs, CreateOptions{}};
        ctx.options.virtual_size = raw.size();
        auto w = formats::find(c.driver)->create(ctx);
        ASSERT_TRUE(w) << w.error().message;
        drive(**w, raw, 2);
        ASSERT_TRUE(outputs.commit());
    }
    std::string text;
    EXPECT_EQ(tool(fmt::format("qemu-img compare -f raw -F vmdk {} {}",
                               sh_quote(dir.file("src.raw")), sh_quote(out)),
                   &text),
              0)
        << text;
    EXPECT_EQ(tool(fmt::format("qemu-img check -f vmdk {}", sh_quote(out)), &text), 0) << text;
    if (std::string(c.driver) != "vmdk-flat") {
        EXPECT_NE(text.find("No errors were found"), std::string::npos) << text;
    }
    EXPECT_EQ(tool(fmt::format("vmdkinfo {}", sh_quote(out)), &text), 0) << text;
    EXPECT_NE(text.find(fmt::format("Media size:\t\t\t70 MiB ({} bytes)", raw.size())),
              std::string::npos)
        << text;
    auto opened = open_path(out, c.driver);
    ASSERT_TRUE(opened) << opened.error().message;
    expect_reads_as(*opened->reader, raw);
    expect_data_covers_nonzero(*opened->reader, raw);
    // qemu reads it back byte for byte too.
    ASSERT_EQ(tool(fmt::format("qemu-img convert -f vmdk -O raw {} {}", sh_quote(out),
                               sh_quote(dir.file("back.raw")))),
              0);
    EXPECT_EQ(read_all(dir.file("back.raw")), raw);
}

INSTANTIATE_TEST_SUITE_P(Vmdk, VmdkWrittenImages,
                         ::testing::Values(WriterCase{"stream", "vmdk-stream"},
                                           WriterCase{"sparse", "vmdk"},
                                           WriterCase{"flat", "vmdk-flat"}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(VmdkWriter, FlatWritesDescriptorAndSparseExtent) {
    TempDir dir;
    std::vector<std::byte> raw(uint64_t{4} << 20);
    std::fill(raw.begin() + 1000, raw.begin() + 3000, std::byte{0x11});
    std::string out = dir.file("vm.vmdk");
    {
        io::OutputSet outputs;
        auto file = outputs.create(out);
        ASSERT_TRUE(file);
        CreateContext ctx{*file, out, &outputs, CreateOptions{}};
        ctx.options.virtual_size = raw.size();
        auto w = formats::find("vmdk-flat")->create(ctx);
        ASSERT_TRUE(w) << w.error().message;
        drive(**w, raw, 1);
        ASSERT_TRUE(outputs.commit());
    }
    std::string text = test::read_text(out);
    EXPECT_NE(text.find("createType=\"monolithicFlat\"\n"), std::string::npos) << text;
    EXPECT_NE(text.find("RW 8192 FLAT \"vm-flat.vmdk\" 0\n"), std::string::npos) << text;
    EXPECT_EQ(fs::file_size(dir.file("vm-flat.vmdk")), raw.size());
    EXPECT_EQ(read_all(dir.file("vm-flat.vmdk")), raw);
}

TEST(VmdkWriter, RefusesBadOptions) {
    io::MemFile file("x.vmdk");
    CreateOptions c;
    c.virtual_size = 1000;
    auto r = create_stream_writer(file, "x.vmdk", c, fixed_options());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "vmdk: virtual size 1000 is not a positive multiple of 512 bytes");
    c.virtual_size = 1 << 20;
    VmdkWriteOptions o = fixed_options();
    o.adapter_type = "nvme";
    r = create_stream_writer(file, "x.vmdk", c, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "vmdk: adapter type 'nvme' is not ide, buslogic, lsilogic or legacyESX");
    r = create_stream_writer(file, "a\"b.vmdk", c, fixed_options());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "vmdk: extent file name 'a\"b.vmdk' contains '\"'");
}

TEST(VmdkWriter, IdeGeometry) {
    Geometry g = geometry_for(20971520, "ide");
    EXPECT_EQ(g.cylinders, 16383u);
    EXPECT_EQ(g.heads, 16u);
    g = geometry_for(20971520, "lsilogic");
    EXPECT_EQ(g.cylinders, 1305u);
    EXPECT_EQ(g.heads, 255u);
    EXPECT_EQ(g.sectors, 63u);
}

// ---------------------------------------------------------------------------
// Valid variants built from bytes

std::vector<std::byte> small_sparse(const std::vector<std::byte>& raw) {
    return write_to_memory("sparse", raw, 1);
}

std::vector<std::byte> small_raw() {
    std::vector<std::byte> raw(uint64_t{1} << 20);
    for (size_t i = 0; i < raw.size(); i += 4096) {
        raw[i] = static_cast<std::byte>(1 + i / 4096);
    }
    return raw;
}

template <class T>
void poke(std::vector<std::byte>& b, uint64_t offset, T value) {
    std::memcpy(b.data() + offset, &value, sizeof value);
}

TEST(VmdkSparse, ZeroedGrainEntriesReadAsZeroExtents) {
    auto raw = small_raw();
    auto bytes = small_sparse(raw);
    auto h = load<SparseHeader>(bytes.data());
    h.version = 2;
    h.flags = h.flags | k_flag_zeroed_gte;
    std::memcpy(bytes.data(), &h, sizeof h);
    auto gd = load<le32>(bytes.data() + h.gd_offset * 512);
    poke<uint32_t>(bytes, uint64_t{gd} * 512 + 4, 1); // grain 1 -> zeroed
    auto r = open_mem(bytes);
    ASSERT_TRUE(r) << r.error().message;
    auto map = (*r)->extents(0, 3 * k_grain);
    ASSERT_TRUE(map);
    std::vector<Extent> want{{0, k_grain, ExtentKind::data},
                             {k_grain, k_grain, ExtentKind::zero},
                             {2 * k_grain, k_grain, ExtentKind::data}};
    EXPECT_EQ(*map, want);
    std::fill(raw.begin() + k_grain, raw.begin() + 2 * k_grain, std::byte{0});
    expect_reads_as(**r, raw);
}

TEST(VmdkSparse, RenamedFileStillOpens) {
    // The extent name inside an embedded descriptor is informational.
    auto raw = small_raw();
    auto bytes = small_sparse(raw);
    OpenContext ctx{std::make_unique<io::MemFile>("renamed.vmdk", bytes), nullptr, OpenPolicy{}, 0};
    auto r = formats::find("vmdk")->open(ctx);
    ASSERT_TRUE(r) << r.error().message;
    expect_reads_as(**r, raw);
}

TEST(VmdkSparse, ProbesAreExclusive) {
    auto raw = small_raw();
    auto sparse = small_sparse(raw);
    auto stream = write_to_memory("stream", raw, 1);
    std::string text = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n";
    auto desc = std::as_bytes(std::span(text));
    auto score = [](std::string_view driver, std::span<const std::byte> head) {
        return formats::find(driver)->probe(
            ProbeInput{head.first(std::min<size_t>(head.size(), 65536)), {}, head.size()});
    };
    EXPECT_EQ(score("vmdk", sparse), 100);
    EXPECT_EQ(score("vmdk-stream", sparse), 0);
    EXPECT_EQ(score("vmdk-flat", sparse), 0);
    EXPECT_EQ(score("vmdk", stream), 0);
    EXPECT_EQ(score("vmdk-stream", stream), 100);
    EXPECT_EQ(score("vmdk-flat", desc), 100);
    EXPECT_EQ(score("vmdk", desc), 0);
    std::vector<std::byte> zeros(4096);
    EXPECT_EQ(score("vmdk", zeros), 0);
    EXPECT_EQ(score("vmdk-flat", zeros), 0);
}

TEST(VmdkStream, ReadsWithoutFooterByWalkingMarkers) {
    auto raw = pattern();
    auto bytes = write_to_memory("stream", raw, 1);
    // Damage the footer marker: the reader falls back to the marker walk.
    bytes.resize(bytes.size() - 1536);
    bytes.resize(bytes.size() + 512); // an EOS
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message;
    expect_reads_as(**r, raw);
    auto map = (*r)->extents(0, raw.size());
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, grain_map(raw));
}

TEST(VmdkStream, FindsFooterBeforeTrailingPadding) {
    auto raw = small_raw();
    auto bytes = write_to_memory("stream", raw, 1);
    bytes.resize(bytes.size() + 8192);
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message;
    expect_reads_as(**r, raw);
}

// A descriptor directory with extents of every kind.
TEST(VmdkDescriptor, ZeroRdonlyAndNoaccessExtents) {
    TempDir dir;
    std::vector<std::byte> flat(4096, std::byte{0x42});
    test::write_file(dir.file("a.bin"), flat);
    test::write_text(dir.file("d.vmdk"), "# Disk DescriptorFile\n"
                                         "version=1\n"
                                         "CID=fffffffe\n"
                                         "parentCID=ffffffff\n"
                                         "createType=\"custom\"\n"
                                         "RW 4 FLAT \"a.bin\" 2\n"
                                         "RW 8 ZERO\n"
                                         "RDONLY 2 FLAT \"a.bin\"\n"
                                         "NOACCESS 2 FLAT \"a.bin\" 0\n");
    auto o = open_path(dir.file("d.vmdk"), "vmdk-flat");
    ASSERT_TRUE(o) << o.error().message;
    DiskReader& r = *o->reader;
    EXPECT_EQ(r.virtual_size(), 16u * 512);
    std::vector<std::byte> buf(14 * 512);
    ASSERT_TRUE(r.read_at(0, buf));
    std::vector<std::byte> want(14 * 512);
    std::fill(want.begin(), want.begin() + 2048, std::byte{0x42});
    std::fill(want.begin() + 12 * 512, want.end(), std::byte{0x42});
    EXPECT_EQ(buf, want);
    auto map = r.extents(0, r.virtual_size());
    ASSERT_TRUE(map);
    EXPECT_EQ((*map)[1], (Extent{2048, 4096, ExtentKind::zero}));
    std::vector<std::byte> one(512);
    auto bad = r.read_at(15 * 512, one);
    ASSERT_FALSE(bad);
    EXPECT_EQ(
        bad.error().message,
        fmt::format("{}: line 9: guest offset 7680 lies in a NOACCESS extent", dir.file("d.vmdk")));
}

// ---------------------------------------------------------------------------
// Hostile images

TEST(VmdkHostile, TruncatedHeader) {
    auto bytes = small_sparse(small_raw());
    bytes.resize(300);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vmdk: sparse header at offset 0: file is 300 bytes, shorter than the 512-byte "
              "header");
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VmdkHostile, TruncatedGrains) {
    auto bytes = small_sparse(small_raw());
    auto h = load<SparseHeader>(bytes.data());
    bytes.resize(h.overhead * 512 + 4 * k_grain + 100);
    auto gd = load<le32>(bytes.data() + h.gd_offset * 512);
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vmdk: grain table 0 at offset {}: entry 4 (grain at guest offset "
                          "262144) points to sector {}, beyond the end of the file ({} bytes)",
                          uint64_t{gd} * 512, h.overhead + 4 * 128, bytes.size()));
}

TEST(VmdkHostile, GrainDirectoryOutsideTheFile) {
    auto bytes = small_sparse(small_raw());
    poke<uint64_t>(bytes, 56, 0x100000000ull);
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vmdk: sparse header at offset 0: gdOffset 4294967296 points "
                          "outside the file ({} bytes)",
                          bytes.size()));
}

TEST(VmdkHostile, GrainTableOutsideTheFile) {
    auto bytes = small_sparse(small_raw());
    auto h = load<SparseHeader>(bytes.data());
    poke<uint32_t>(bytes, h.gd_offset * 512, 0x7fffffff);
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vmdk: grain directory at offset {}: entry 0 points to a grain "
                          "table at offset {}, beyond the end of the file ({} bytes)",
                          h.gd_offset * 512, uint64_t{0x7fffffff} * 512, bytes.size()));
}

TEST(VmdkHostile, GrainSize) {
    auto bytes = small_sparse(small_raw());
    for (uint64_t g : {uint64_t{0}, uint64_t{3}, uint64_t{4096}, ~uint64_t{0}}) {
        poke<uint64_t>(bytes, 20, g);
        EXPECT_EQ(open_error(bytes),
                  fmt::format("disk.vmdk: sparse header at offset 0: grainSize {} is not a power "
                              "of two between 1 and 2048 sectors",
                              g));
    }
}

TEST(VmdkHostile, CapacityOverflow) {
    auto bytes = small_sparse(small_raw());
    poke<uint64_t>(bytes, 12, 0x0080000000000001ull);
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vmdk: sparse header at offset 0: capacity 36028797018963969 sectors is "
              "larger than 2^40 sectors");
    EXPECT_EQ(code, Errc::invalid);
}

TEST(VmdkHostile, CapacityBeyondPolicy) {
    auto bytes = small_sparse(small_raw());
    // A capacity of 2^40 sectors passes the header checks, but its grain
    // directory (16 Mi tables, 64 MiB) does not fit in this small file.
    poke<uint64_t>(bytes, 12, uint64_t{1} << 40);
    auto h = load<SparseHeader>(bytes.data());
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vmdk: grain directory at offset {} (16777216 entries) extends "
                          "beyond the end of the file ({} bytes)",
                          h.gd_offset * 512, bytes.size()));
}

TEST(VmdkHostile, GtesPerGt) {
    auto bytes = small_sparse(small_raw());
    poke<uint32_t>(bytes, 44, 256);
    EXPECT_EQ(open_error(bytes),
              "disk.vmdk: sparse header at offset 0: numGTEsPerGT 256 is not 512");
}

TEST(VmdkHostile, UnfinishedAndTextModeDamage) {
    auto bytes = small_sparse(small_raw());
    auto copy = bytes;
    std::memcpy(copy.data(), "kdmv", 4);
    EXPECT_EQ(open_error(copy),
              "disk.vmdk: sparse header at offset 0: magic 'kdmv': the file was not finished by "
              "its writer");
    copy = bytes;
    copy[75] = std::byte{'\n'};
    EXPECT_EQ(open_error(copy),
              "disk.vmdk: sparse header at offset 0: newline check bytes at offset 73 are "
              "damaged: the file was transferred in text mode");
    copy = bytes;
    poke<uint32_t>(copy, 8, 0x00040003);
    EXPECT_EQ(open_error(copy),
              "disk.vmdk: sparse header at offset 0: unknown incompatible flags 0x00040000");
}

// A streamOptimized file in layout A, built by hand so that single grains
// can be made hostile.
struct HandStream {
    uint64_t capacity = 2048;                                        // 1 MiB, one grain table
    std::vector<std::pair<uint64_t, std::vector<std::byte>>> grains; // lba, zlib data
    uint32_t size_override = 0;

    std::vector<std::byte> build() const {
        std::vector<std::byte> out(128 * 512);
        SparseHeader h = new_header(capacity, 128);
        h.version = 3;
        h.flags = 0x30001;
        h.gd_offset = k_gd_at_end;
        h.overhead = 128;
        h.compress_algorithm = 1;
        std::memcpy(out.data(), &h, sizeof h);
        std::string d = fmt::format("# Disk DescriptorFile\nversion=1\nCID=11111111\n"
                                    "parentCID=ffffffff\ncreateType=\"streamOptimized\"\n"
                                    "RW {} SPARSE \"disk.vmdk\"\n",
                                    capacity);
        std::memcpy(out.data() + 512, d.data(), d.size());
        std::vector<le32> gt(512);
        for (const auto& [lba, data] : grains) {
            gt[lba / 128] = static_cast<uint32_t>(out.size() / 512);
            GrainMarker m{};
            m.lba = lba;
            m.size = size_override != 0 ? size_override : static_cast<uint32_t>(data.size());
            size_t at = out.size();
            out.resize(at + (12 + data.size() + 511) / 512 * 512);
            std::memcpy(out.data() + at, &m, sizeof m);
            std::memcpy(out.data() + at + 12, data.data(), data.size());
        }
        auto marker = [&](uint64_t n, uint32_t type) {
            MetadataMarker m{};
            m.num_sectors = n;
            m.type = type;
            size_t at = out.size();
            out.resize(at + 512);
            std::memcpy(out.data() + at, &m, sizeof m);
        };
        marker(4, 1);
        uint32_t gt_sector = static_cast<uint32_t>(out.size() / 512);
        size_t at = out.size();
        out.resize(at + 2048);
        std::memcpy(out.data() + at, gt.data(), 2048);
        marker(1, 2);
        uint64_t gd_sector = out.size() / 512;
        at = out.size();
        out.resize(at + 512);
        std::memcpy(out.data() + at, &gt_sector, 4);
        marker(1, 3);
        h.gd_offset = gd_sector;
        at = out.size();
        out.resize(at + 512);
        std::memcpy(out.data() + at, &h, sizeof h);
        out.resize(out.size() + 512); // EOS
        return out;
    }
};

std::vector<std::byte> zlib(const std::vector<std::byte>& in) {
    auto* c = libdeflate_alloc_compressor(6);
    std::vector<std::byte> out(libdeflate_zlib_compress_bound(c, in.size()));
    out.resize(libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size()));
    libdeflate_free_compressor(c);
    return out;
}

TEST(VmdkHostile, HandBuiltStreamIsValid) {
    HandStream s;
    std::vector<std::byte> grain(k_grain, std::byte{7});
    s.grains.emplace_back(256, zlib(grain));
    auto r = open_mem(s.build(), "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::byte> buf(k_grain);
    ASSERT_TRUE((*r)->read_at(2 * k_grain, buf));
    EXPECT_EQ(buf, grain);
}

TEST(VmdkHostile, CompressedGrainBomb) {
    HandStream s;
    s.grains.emplace_back(256, zlib(std::vector<std::byte>(4 * k_grain)));
    auto r = open_mem(s.build(), "vmdk-stream");
    ASSERT_TRUE(r) << r.error().message; // the grain is only inflated when read
    std::vector<std::byte> buf(512);
    auto read = (*r)->read_at(2 * k_grain, buf);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "disk.vmdk: grain at guest offset 131072 (LBA 256, file offset 65536): compressed "
              "data inflates to more than the grain size 65536");
    EXPECT_EQ(read.error().code, Errc::invalid);
}

TEST(VmdkHostile, CompressedGrainShortOrCorrupt) {
    HandStream s;
    s.grains.emplace_back(0, zlib(std::vector<std::byte>(1000, std::byte{1})));
    auto r = open_mem(s.build(), "vmdk-stream");
    ASSERT_TRUE(r);
    std::vector<std::byte> buf(512);
    auto read = (*r)->read_at(0, buf);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "disk.vmdk: grain at guest offset 0 (LBA 0, file offset 65536): compressed data "
              "inflates to 1000 bytes instead of 65536");
    HandStream bad;
    auto data = zlib(std::vector<std::byte>(k_grain, std::byte{1}));
    data[data.size() - 1] ^= std::byte{0xff}; // Adler-32
    bad.grains.emplace_back(0, data);
    r = open_mem(bad.build(), "vmdk-stream");
    ASSERT_TRUE(r);
    read = (*r)->read_at(0, buf);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "disk.vmdk: grain at guest offset 0 (LBA 0, file offset 65536): compressed data is "
              "not a valid zlib stream");
}

TEST(VmdkHostile, CompressedGrainClaimsHugeSize) {
    HandStream s;
    s.grains.emplace_back(0, zlib(std::vector<std::byte>(k_grain)));
    s.size_override = 0x7fffffff;
    auto r = open_mem(s.build(), "vmdk-stream");
    ASSERT_TRUE(r);
    std::vector<std::byte> buf(512);
    auto read = (*r)->read_at(0, buf);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "disk.vmdk: grain at guest offset 0 (LBA 0, file offset 65536): compressed size "
              "2147483647 is not between 1 and twice the grain size (131072)");
}

TEST(VmdkHostile, GrainMarkerNamesAnotherLba) {
    HandStream s;
    s.grains.emplace_back(0, zlib(std::vector<std::byte>(k_grain)));
    auto bytes = s.build();
    poke<uint64_t>(bytes, 65536, 128);
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_TRUE(r);
    std::vector<std::byte> buf(512);
    auto read = (*r)->read_at(0, buf);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "disk.vmdk: grain at guest offset 0 (LBA 0, file offset 65536): grain marker says "
              "LBA 128");
}

TEST(VmdkHostile, MarkerWalkRefusesDuplicatesAndRunaways) {
    HandStream s;
    auto data = zlib(std::vector<std::byte>(k_grain, std::byte{3}));
    s.grains.emplace_back(0, data);
    s.grains.emplace_back(128, data);
    auto bytes = s.build();
    bytes.resize(bytes.size() - 1536);     // no footer: walk
    poke<uint64_t>(bytes, 65536 + 512, 0); // second marker also says LBA 0
    EXPECT_EQ(open_error(bytes), "disk.vmdk: grain marker at offset 66048: LBA 0 was already "
                                 "stored at offset 65536");
    auto copy = s.build();
    copy.resize(copy.size() - 1536);
    // The GT marker claims more sectors than the file has.
    poke<uint64_t>(copy, 65536 + 1024, 0x10000000);
    EXPECT_EQ(open_error(copy),
              fmt::format("disk.vmdk: marker at offset 66560: 268435456 sectors of metadata run "
                          "beyond the end of the file ({} bytes): the image is truncated",
                          copy.size()));
}

TEST(VmdkHostile, FooterDisagreesWithHeader) {
    HandStream s;
    auto bytes = s.build();
    poke<uint64_t>(bytes, bytes.size() - 1024 + 12, 4096); // footer capacity
    EXPECT_EQ(open_error(bytes),
              fmt::format("disk.vmdk: footer at offset {}: capacity, grainSize, numGTEsPerGT or "
                          "flags differ from the header",
                          bytes.size() - 1024));
}

TEST(VmdkHostile, DescriptorOnlySparseFileFollowsPathRules) {
    // capacity 0 + embedded descriptor: qemu reads the text as a full
    // descriptor. Without a directory nothing may be opened.
    auto bytes = small_sparse(small_raw());
    poke<uint64_t>(bytes, 12, 0);
    std::string d = "# Disk DescriptorFile\nversion=1\nCID=11111111\nparentCID=ffffffff\n"
                    "createType=\"monolithicFlat\"\nRW 2048 FLAT \"/etc/passwd\" 0\n";
    std::fill(bytes.begin() + 512, bytes.begin() + 512 * 21, std::byte{0});
    std::memcpy(bytes.data() + 512, d.data(), d.size());
    Errc code{};
    EXPECT_EQ(open_error(bytes, &code),
              "disk.vmdk: embedded descriptor at offset 512: line 6: extent file \"/etc/passwd\" "
              "refused: this image may not refer to other files");
    EXPECT_EQ(code, Errc::refused);
}

TEST(VmdkHostile, EmbeddedDescriptorDisagreesWithCapacity) {
    auto bytes = small_sparse(small_raw());
    poke<uint64_t>(bytes, 12, 4096);
    EXPECT_EQ(open_error(bytes), "disk.vmdk: embedded descriptor at offset 512: extents add up "
                                 "to 2048 sectors, the header's capacity is 4096");
}

class VmdkHostileDescriptor : public ::testing::Test {
protected:
    std::string open_descriptor(const std::string& body, Errc* code = nullptr) {
        test::write_text(m_dir.file("d.vmdk"), "# Disk DescriptorFile\nversion=1\nCID=11111111\n"
                                               "parentCID=ffffffff\n" +
                                                   body);
        auto o = open_path(m_dir.file("d.vmdk"));
        if (o) {
            return "(opened)";
        }
        if (code != nullptr) {
            *code = o.error().code;
        }
        return o.error().message;
    }
    std::string d() const { return m_dir.file("d.vmdk"); }
    TempDir m_dir;
};

TEST_F(VmdkHostileDescriptor, ExtentNamesOutsideTheDirectory) {
    struct Case {
        const char* name;
        const char* why;
    };
    const Case cases[] = {
        {"/etc/passwd",
         "file name '/etc/passwd' has a path separator (only names inside the package are "
         "allowed)"},
        {"../x", "file name '../x' has a path separator (only names inside the package are "
                 "allowed)"},
        {"nbd:x", "file name 'nbd:x' has ':' (URLs and protocols are refused)"},
        {"json:{}", "file name 'json:{}' has ':' (URLs and protocols are refused)"},
        {"..", "file name '..' is not a file"},
    };
    for (const Case& c : cases) {
        Errc code{};
        EXPECT_EQ(open_descriptor(fmt::format("createType=\"monolithicFlat\"\n\n"
                                              "RW 2048 FLAT \"{}\" 0\n",
                                              c.name),
                                  &code),
                  fmt::format("{}: line 7: extent file \"{}\": {}: refused: {}", d(), c.name,
                              m_dir.path(), c.why));
        EXPECT_EQ(code, Errc::refused) << c.name;
    }
}

TEST_F(VmdkHostileDescriptor, SymlinkExtent) {
    fs::create_symlink("/etc/passwd", m_dir.file("link.vmdk"));
    Errc code{};
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nRW 1 FLAT \"link.vmdk\" 0\n", &code),
              fmt::format("{}: line 6: extent file \"link.vmdk\": {}: refused: a symbolic link "
                          "(links are not followed)",
                          d(), m_dir.file("link.vmdk")));
    EXPECT_EQ(code, Errc::refused);
}

TEST_F(VmdkHostileDescriptor, DescriptorNamesItself) {
    Errc code{};
    EXPECT_EQ(
        open_descriptor("createType=\"twoGbMaxExtentSparse\"\nRW 2048 SPARSE \"d.vmdk\"\n", &code),
        fmt::format("{}: line 6: extent file \"d.vmdk\" is the descriptor itself", d()));
    EXPECT_EQ(code, Errc::refused);
}

TEST_F(VmdkHostileDescriptor, SparseExtentThatIsADescriptor) {
    test::write_text(m_dir.file("other.vmdk"), "version=1\ncreateType=\"monolithicFlat\"\n");
    EXPECT_EQ(open_descriptor("createType=\"twoGbMaxExtentSparse\"\nRW 2048 SPARSE "
                              "\"other.vmdk\"\n"),
              fmt::format("{}: line 6: {}: sparse header at offset 0: file is 38 bytes, shorter "
                          "than the 512-byte header",
                          d(), m_dir.file("other.vmdk")));
}

// Delta links are followed only when parents are allowed (vmdk_chain_test.cpp).
TEST_F(VmdkHostileDescriptor, ParentLinks) {
    Errc code{};
    EXPECT_EQ(open_descriptor("createType=\"monolithicSparse\"\n"
                              "parentFileNameHint=\"base.vmdk\"\nRW 2048 ZERO\n",
                              &code),
              fmt::format("{}: delta link: parent 'base.vmdk': not opened: parent and backing "
                          "chains are refused unless parents are allowed (--allow-parent)",
                          d()));
    EXPECT_EQ(code, Errc::refused);
    test::write_text(d(), "version=1\nCID=11111111\nparentCID=12345678\n"
                          "createType=\"twoGbMaxExtentSparse\"\nRW 2048 ZERO\n");
    auto o = open_path(d());
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().message, fmt::format("{}: parentCID 12345678 marks a delta link but no "
                                             "parentFileNameHint names the parent",
                                             d()));
}

TEST_F(VmdkHostileDescriptor, DeviceTypes) {
    Errc code{};
    EXPECT_EQ(open_descriptor("createType=\"fullDevice\"\nRW 2048 FLAT \"sda\" 0\n", &code),
              fmt::format("{}: createType \"fullDevice\" maps a host device; device disks are "
                          "refused",
                          d()));
    EXPECT_EQ(code, Errc::refused);
    EXPECT_EQ(open_descriptor("createType=\"custom\"\nRW 2048 VMFSRDM \"x-rdm.vmdk\"\n", &code),
              fmt::format("{}: line 6: extent type VMFSRDM maps a host device; device extents "
                          "are refused",
                          d()));
    EXPECT_EQ(code, Errc::refused);
}

TEST_F(VmdkHostileDescriptor, MalformedLines) {
    EXPECT_EQ(
        open_descriptor("createType=\"monolithicFlat\"\nRW 0 FLAT \"a\" 0\n"),
        fmt::format("{}: line 6: extent size '0' is not a sector count between 1 and 2^40", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nRW 1 FLAT a 0\n"),
              fmt::format("{}: line 6: extent file name must be double-quoted", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nRW 1 FLAT \"a\x01\" 0\n"),
              fmt::format("{}: line 6: control character 0x01", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nhello world\n"),
              fmt::format("{}: line 6: not a key=value, extent or ddb line", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\n" + std::string(5000, '#') + "\n"),
              fmt::format("{}: line 6: longer than 4096 bytes", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\n"),
              fmt::format("{}: descriptor lists no extents", d()));
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nRW 4 FLAT \"short.bin\" 0\n"),
              fmt::format("{}: line 6: extent file \"short.bin\": {}: cannot open: No such file "
                          "or directory",
                          d(), m_dir.file("short.bin")));
    test::write_text(m_dir.file("short.bin"), "abc");
    EXPECT_EQ(open_descriptor("createType=\"monolithicFlat\"\nRW 4 FLAT \"short.bin\" 0\n"),
              fmt::format("{}: line 6: extent file \"short.bin\" is 3 bytes, shorter than the "
                          "2048 bytes the extent needs",
                          d()));
}

TEST_F(VmdkHostileDescriptor, DescriptorLargerThanOneMiB) {
    std::string big = "createType=\"monolithicFlat\"\n";
    while (big.size() < (1u << 20)) {
        big += "# padding padding padding padding padding padding padding padding\n";
    }
    Errc code{};
    std::string msg = open_descriptor(big, &code);
    EXPECT_EQ(msg, fmt::format("{}: descriptor is {} bytes, more than the limit of 1048575 bytes",
                               d(), fs::file_size(d())));
    EXPECT_EQ(code, Errc::refused);
}

TEST_F(VmdkHostileDescriptor, NoDirectoryMeansNoExtents) {
    std::string text = "version=1\ncreateType=\"monolithicFlat\"\nRW 1 FLAT \"a.bin\" 0\n";
    OpenContext ctx{
        std::make_unique<io::MemFile>(
            "d.vmdk",
            std::vector<std::byte>(reinterpret_cast<const std::byte*>(text.data()),
                                   reinterpret_cast<const std::byte*>(text.data()) + text.size())),
        nullptr, OpenPolicy{}, 0};
    auto r = formats::find("vmdk-flat")->open(ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "d.vmdk: line 3: extent file \"a.bin\" refused: this image may "
                                 "not refer to other files");
}

TEST(VmdkHostile, WrongDriverNamed) {
    auto bytes = small_sparse(small_raw());
    auto r = open_mem(bytes, "vmdk-stream");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "disk.vmdk: is a monolithicSparse VMDK, not a streamOptimized VMDK");
    std::vector<std::byte> junk(4096, std::byte{0x33});
    r = open_mem(junk);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "disk.vmdk: not a VMDK: no KDMV sparse header and no 'version=' descriptor line");
}

} // namespace
} // namespace ovfkit::disk::formats::vmdk
