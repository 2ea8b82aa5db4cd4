// QCOW2 driver tests: images made by qemu-img are read back byte for byte
// with the allocation map qemu-img reports; images ovfkit writes pass
// `qemu-img check` and `qemu-img compare`; backing chains obey the policy;
// hostile images built here from bytes are refused with exact messages.
// qemu-img only ever sees images that qemu-img or ovfkit made (SECURITY.md R27).
#include <cstring>
#include <optional>
#include <thread>

#include "../chain_kit.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <zstd.h>

#include <ovfkit/base/endian.hpp>
#include <ovfkit/disk/formats/qcow2/layout.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::disk::formats {
namespace {

using test::TempDir;
namespace q = qcow2;

const FormatDriver& driver() {
    const FormatDriver* d = find("qcow2");
    EXPECT_NE(d, nullptr);
    return *d;
}

bool have_qemu() {
    return test::run("qemu-img --version >/dev/null 2>&1") == 0;
}

// A deterministic guest disk: text, noise, zero gaps, a non-zero last sector.
std::vector<std::byte> pattern(uint64_t size) {
    std::vector<std::byte> d(size);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (uint64_t i = 0; i < size; ++i) {
        uint64_t block = i / 4096;
        if (block % 7 == 3 || block % 11 == 5 || (i >= size / 3 && i < size / 2)) {
            continue; // zero regions of several sizes
        }
        if (block % 5 == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            d[i] = static_cast<std::byte>(x); // incompressible
        } else {
            d[i] = static_cast<std::byte>("ovfkit qcow2 test pattern "[i % 26]);
        }
    }
    if (size > 0) {
        d[size - 1] = std::byte{0x5a};
    }
    return d;
}

struct Opened {
    std::unique_ptr<DiskReader> reader;
    std::unique_ptr<io::Directory> dir;
};

Result<std::unique_ptr<DiskReader>> open_path(const std::string& path, OpenPolicy policy = {},
                                              const io::Directory* dir = nullptr) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OpenContext ctx{std::move(file), dir, policy, 0};
    return driver().open(ctx);
}

Result<std::unique_ptr<DiskReader>> open_bytes(std::vector<std::byte> bytes,
                                               OpenPolicy policy = {}) {
    OpenContext ctx{std::make_unique<io::MemFile>("hostile.qcow2", std::move(bytes)), nullptr,
                    policy, 0};
    return driver().open(ctx);
}

std::vector<std::byte> read_all(DiskReader& r) {
    std::vector<std::byte> out(r.virtual_size());
    // Odd-sized reads cross cluster and L2 boundaries.
    const size_t step = 3 * 65536 + 4096 + 512;
    for (size_t off = 0; off < out.size(); off += step) {
        size_t n = std::min(step, out.size() - off);
        auto ok = r.read_at(off, std::span(out).subspan(off, n));
        EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
        if (!ok) {
            break;
        }
    }
    return out;
}

// qemu-img's allocation map in ovfkit's terms, merged.
std::vector<Extent> qemu_map(const std::string& path) {
    std::string out;
    EXPECT_EQ(test::run("qemu-img map -f qcow2 --output=json '" + path + "'", &out), 0);
    std::vector<Extent> map;
    for (const auto& e : nlohmann::json::parse(out)) {
        ExtentKind k = ExtentKind::unallocated;
        if (e["data"].get<bool>()) {
            k = ExtentKind::data;
        } else if (e["zero"].get<bool>() && e["present"].get<bool>() &&
                   e["depth"].get<int>() == 0) {
            k = ExtentKind::zero;
        }
        append_extent(map, {e["start"].get<uint64_t>(), e["length"].get<uint64_t>(), k});
    }
    return map;
}

std::string sh_quote(const std::string& s) {
    return "'" + s + "'";
}

// ---------------------------------------------------------------------------
// Reading images qemu-img made.

struct QemuCase {
    const char* compat;
    uint64_t cluster;
    bool compressed;
    bool zstd; // compression_type=zstd (qemu 5.1+, v3 only)
};

class QemuImages : public ::testing::TestWithParam<QemuCase> {};

TEST_P(QemuImages, ReadBackEqualsSourceWithQemuMap) {
    if (!have_qemu()) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    const QemuCase& qc = GetParam();
    TempDir dir;
    // Not a multiple of any cluster size above 512, with a 2 MiB zero tail region.
    const uint64_t size = (5u << 20) + 3 * 512;
    auto raw = pattern(size);
    test::write_file(dir.file("src.raw"), raw);
    std::string cmd = fmt::format(
        "qemu-img convert -f raw -O qcow2 {} -o compat={},cluster_size={}{} {} {} 2>&1",
        qc.compressed ? "-c" : "", qc.compat, qc.cluster, qc.zstd ? ",compression_type=zstd" : "",
        sh_quote(dir.file("src.raw")), sh_quote(dir.file("img.qcow2")));
    std::string out;
    ASSERT_EQ(test::run(cmd, &out), 0) << out;

    auto r = open_path(dir.file("img.qcow2"));
    ASSERT_TRUE(r) << r.error().message;
    DiskReader& reader = **r;
    EXPECT_EQ(reader.info().format, "qcow2");
    EXPECT_EQ(reader.virtual_size(), size);
    EXPECT_EQ(reader.info().cluster_size, qc.cluster);
    EXPECT_FALSE(reader.info().dirty);
    EXPECT_TRUE(read_all(reader) == raw);
    auto map = reader.extents(0, size);
    ASSERT_TRUE(map) << map.error().message;
    EXPECT_EQ(*map, qemu_map(dir.file("img.qcow2")));

    Diagnostics diag;
    ASSERT_TRUE(reader.check(diag));
    for (const auto& f : diag.findings()) {
        ADD_FAILURE() << f.code << ": " << f.message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Qcow2, QemuImages,
    ::testing::Values(QemuCase{"0.10", 512, false, false}, QemuCase{"0.10", 4096, false, false},
                      QemuCase{"0.10", 65536, false, false},
                      QemuCase{"0.10", 2u << 20, false, false},
                      QemuCase{"0.10", 65536, true, false}, QemuCase{"0.10", 512, true, false},
                      QemuCase{"1.1", 512, false, false}, QemuCase{"1.1", 4096, false, false},
                      QemuCase{"1.1", 65536, false, false}, QemuCase{"1.1", 2u << 20, false, false},
                      QemuCase{"1.1", 512, true, false}, QemuCase{"1.1", 4096, true, false},
                      QemuCase{"1.1", 65536, true, false}, QemuCase{"1.1", 2u << 20, true, false},
                      QemuCase{"1.1", 512, true, true}, QemuCase{"1.1", 65536, true, true},
                      QemuCase{"1.1", 2u << 20, true, true}),
    [](const auto& p) {
        return fmt::format("compat{}_c{}{}{}", std::string(p.param.compat) == "1.1" ? 3 : 2,
                           p.param.cluster, p.param.compressed ? "_compressed" : "",
                           p.param.zstd ? "_zstd" : "");
    });

TEST(Qcow2, PreallocatedMetadataReadsBack) {
    if (!have_qemu()) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    TempDir dir;
    const uint64_t size = 3u << 20;
    auto raw = pattern(size);
    test::write_file(dir.file("src.raw"), raw);
    std::string out;
    ASSERT_EQ(test::run("qemu-img create -q -f qcow2 -o preallocation=metadata " +
                            sh_quote(dir.file("img.qcow2")) + " 3M 2>&1",
                        &out),
              0)
        << out;
    // Overwrite the first half; the rest stays preallocated-but-unwritten.
    ASSERT_EQ(test::run("qemu-io -f qcow2 -c 'write -P 0x61 0 1M' " +
                        sh_quote(dir.file("img.qcow2")) + " >/dev/null 2>&1"),
              0);
    auto r = open_path(dir.file("img.qcow2"));
    ASSERT_TRUE(r) << r.error().message;
    auto data = read_all(**r);
    std::vector<std::byte> expect(size);
    std::memset(expect.data(), 0x61, 1u << 20);
    EXPECT_TRUE(data == expect);
    auto map = (*r)->extents(0, size);
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, qemu_map(dir.file("img.qcow2")));
    // qemu 7.2 preallocates normal clusters (over a sparse file region):
    // they are data to ovfkit, and the converter's zero test skips them.
    EXPECT_EQ(*map, (std::vector<Extent>{{0, size, ExtentKind::data}}));
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    EXPECT_TRUE(diag.empty()) << diag.findings().front().message;
}

TEST(Qcow2, ZeroFlagClustersAreZeroExtents) {
    if (!have_qemu() || test::run("qemu-io --version >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "qemu-io not installed";
    }
    TempDir dir;
    const uint64_t size = 2u << 20;
    auto raw = pattern(size);
    test::write_file(dir.file("src.raw"), raw);
    std::string out;
    ASSERT_EQ(test::run("qemu-img convert -f raw -O qcow2 -o compat=1.1 " +
                            sh_quote(dir.file("src.raw")) + " " + sh_quote(dir.file("img.qcow2")) +
                            " 2>&1",
                        &out),
              0)
        << out;
    // One allocated cluster zeroed in place (ZERO_ALLOC) and one unmapped (ZERO_PLAIN).
    ASSERT_EQ(test::run("qemu-io -f qcow2 -c 'write -z 0 64k' -c 'write -z -u 1M 128k' " +
                        sh_quote(dir.file("img.qcow2")) + " >/dev/null 2>&1"),
              0);
    std::memset(raw.data(), 0, 65536);
    std::memset(raw.data() + (1u << 20), 0, 131072);
    auto r = open_path(dir.file("img.qcow2"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(read_all(**r) == raw);
    auto map = (*r)->extents(0, size);
    ASSERT_TRUE(map);
    EXPECT_EQ(map->front(), (Extent{0, 65536, ExtentKind::zero}));
    EXPECT_EQ(*map, qemu_map(dir.file("img.qcow2")));
}

// ---------------------------------------------------------------------------
// Writing: drive the writer the way the converter does.

// Cuts `raw` into chunks of the writer's granularity, marks all-zero granules
// as zero runs, skips all-zero chunks, encodes `threads` chunks at a time in
// parallel and writes them in order.
Result<void> write_image(const std::vector<std::byte>& raw, CreateOptions opt, io::File& out,
                         unsigned threads) {
    opt.virtual_size = opt.virtual_size ? opt.virtual_size : raw.size();
    CreateContext ctx{&out, out.name(), nullptr, opt};
    OVFKIT_TRY_ASSIGN(auto writer, driver().create(ctx));
    const uint64_t g = writer->capabilities().granularity;
    const uint64_t chunk_size = std::max<uint64_t>(g, 1u << 20) / g * g;
    std::vector<Chunk> batch;
    auto flush = [&]() -> Result<void> {
        std::vector<std::thread> workers;
        std::vector<Result<void>> results(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) {
            workers.emplace_back([&, i] { results[i] = writer->encode(batch[i]); });
        }
        for (auto& t : workers) {
            t.join();
        }
        for (size_t i = 0; i < batch.size(); ++i) {
            OVFKIT_TRY(results[i]);
            OVFKIT_TRY(writer->write(batch[i]));
        }
        batch.clear();
        return {};
    };
    for (uint64_t off = 0; off < raw.size(); off += chunk_size) {
        Chunk c;
        c.offset = off;
        c.data = std::span(raw).subspan(off, std::min<uint64_t>(chunk_size, raw.size() - off));
        bool any = false;
        for (uint64_t r = 0; r < c.data.size(); r += g) {
            auto gr = c.data.subspan(r, std::min<uint64_t>(g, c.data.size() - r));
            bool zero =
                std::all_of(gr.begin(), gr.end(), [](std::byte b) { return b == std::byte{0}; });
            any = any || !zero;
            append_extent(c.runs, {off + r, gr.size(), zero ? ExtentKind::zero : ExtentKind::data});
        }
        if (!any) {
            continue;
        }
        batch.push_back(std::move(c));
        if (batch.size() == threads) {
            OVFKIT_TRY(flush());
        }
    }
    OVFKIT_TRY(flush());
    return writer->finish();
}

struct WriteCase {
    uint64_t cluster;
    bool compress;
};

class WrittenImages : public ::testing::TestWithParam<WriteCase> {};

TEST_P(WrittenImages, PassQemuCheckAndCompare) {
    const WriteCase& wc = GetParam();
    TempDir dir;
    const uint64_t size = (6u << 20) + 7 * 512;
    auto raw = pattern(size);
    test::write_file(dir.file("src.raw"), raw);
    {
        auto out = io::adopt_fd(
            ::open(dir.file("out.qcow2").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
            dir.file("out.qcow2"));
        CreateOptions opt;
        opt.cluster_size = wc.cluster;
        opt.compress = wc.compress;
        auto ok = write_image(raw, opt, *out, 2);
        ASSERT_TRUE(ok) << ok.error().message;
    }
    // ovfkit reads its own output back, with a clean check.
    auto r = open_path(dir.file("out.qcow2"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->virtual_size(), size);
    EXPECT_TRUE(read_all(**r) == raw);
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    for (const auto& f : diag.findings()) {
        ADD_FAILURE() << f.code << ": " << f.message;
    }
    auto map = (*r)->extents(0, size);
    ASSERT_TRUE(map);
    for (const auto& e : *map) {
        EXPECT_NE(e.kind, ExtentKind::zero);
    }
    if (!have_qemu()) {
        GTEST_SKIP() << "qemu-img not installed";
    }
    std::string out;
    EXPECT_EQ(test::run("prlimit --as=2000000000 qemu-img check -f qcow2 " +
                            sh_quote(dir.file("out.qcow2")) + " 2>&1",
                        &out),
              0)
        << out;
    EXPECT_NE(out.find("No errors were found on the image."), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(test::run("prlimit --as=2000000000 qemu-img compare -f raw -F qcow2 " +
                            sh_quote(dir.file("src.raw")) + " " + sh_quote(dir.file("out.qcow2")) +
                            " 2>&1",
                        &out),
              0)
        << out;
    EXPECT_EQ(qemu_map(dir.file("out.qcow2")), *map);
}

INSTANTIATE_TEST_SUITE_P(Qcow2, WrittenImages,
                         ::testing::Values(WriteCase{512, false}, WriteCase{4096, false},
                                           WriteCase{65536, false}, WriteCase{2u << 20, false},
                                           WriteCase{512, true}, WriteCase{4096, true},
                                           WriteCase{65536, true}, WriteCase{2u << 20, true}),
                         [](const auto& p) {
                             return fmt::format("c{}{}", p.param.cluster,
                                                p.param.compress ? "_compressed" : "");
                         });

TEST(Qcow2, ThreadCountDoesNotChangeOutput) {
    const uint64_t size = 9u << 20;
    auto raw = pattern(size);
    for (bool compress : {false, true}) {
        io::MemFile one("one.qcow2");
        io::MemFile four("four.qcow2");
        CreateOptions opt;
        opt.compress = compress;
        ASSERT_TRUE(write_image(raw, opt, one, 1));
        ASSERT_TRUE(write_image(raw, opt, four, 4));
        EXPECT_TRUE(one.data() == four.data()) << "compress=" << compress;
        // Compression must actually have shrunk the text regions.
        if (compress) {
            io::MemFile plain("plain.qcow2");
            opt.compress = false;
            ASSERT_TRUE(write_image(raw, opt, plain, 1));
            EXPECT_LT(one.data().size(), plain.data().size() * 3 / 4);
        }
    }
}

TEST(Qcow2, EmptyAndTinyDisks) {
    for (uint64_t size : {uint64_t{0}, uint64_t{512}, uint64_t{1000}}) {
        io::MemFile out("tiny.qcow2");
        CreateOptions opt;
        opt.virtual_size = size;
        std::vector<std::byte> raw(size, std::byte{0x11});
        ASSERT_TRUE(write_image(raw, opt, out, 1));
        auto r = open_bytes(out.data());
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ((*r)->virtual_size(), (size + 511) / 512 * 512);
        std::vector<std::byte> back(size);
        ASSERT_TRUE((*r)->read_at(0, back));
        EXPECT_TRUE(back == raw);
    }
}

TEST(Qcow2, WriterRejectsOutOfOrderChunks) {
    io::MemFile out("order.qcow2");
    CreateContext ctx{&out, "order.qcow2", nullptr, CreateOptions{.virtual_size = 1u << 20}};
    auto w = driver().create(ctx);
    ASSERT_TRUE(w);
    std::vector<std::byte> data(65536, std::byte{1});
    Chunk a{65536, data, {}, nullptr};
    Chunk b{0, data, {}, nullptr};
    ASSERT_TRUE((*w)->write(a));
    auto r = (*w)->write(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "order.qcow2: qcow2 writer: chunk of 65536 bytes at 0 is unaligned, out of order or "
              "beyond the virtual size 1048576");
    CreateContext bad{&out, "order.qcow2", nullptr,
                      CreateOptions{.virtual_size = 1u << 20, .cluster_size = 3000}};
    auto e = check_create_options(driver(), bad.options, "order.qcow2");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message, "order.qcow2: qcow2 cluster size 3000 is not a power of two "
                                 "between 512 and 2097152 bytes");
    bad.options.cluster_size = 4u << 20;
    EXPECT_FALSE(check_create_options(driver(), bad.options, "order.qcow2"));
    bad.options.cluster_size = 256;
    EXPECT_FALSE(check_create_options(driver(), bad.options, "order.qcow2"));
    bad.options.cluster_size = 2u << 20;
    bad.options.compress = true;
    EXPECT_TRUE(check_create_options(driver(), bad.options, "order.qcow2"));
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::disk::formats {
namespace {

// ---------------------------------------------------------------------------
// Hostile images, built from bytes. The base image is valid:
//   C = 4 KiB, virtual size 8 MiB (4 L1 entries of 2 MiB each)
//   0x0000 header v3 (112 bytes)   0x1000 L1   0x2000 refcount table
//   0x3000 refcount block          0x4000 L2 of L1 entry 0
//   0x5000 data of guest cluster 0 (0xab)

constexpr uint64_t k_c = 4096;

struct Image {
    std::vector<std::byte> b = std::vector<std::byte>(6 * k_c);

    Image() {
        be32_at(0, q::k_magic);
        be32_at(4, 3);
        be32_at(20, 12);
        be64_at(24, 8u << 20);
        be32_at(36, 4);
        be64_at(40, 0x1000);
        be64_at(48, 0x2000);
        be32_at(56, 1);
        be32_at(96, 4);
        be32_at(100, 112);
        be64_at(0x1000, 0x4000 | q::k_oflag_copied);
        be64_at(0x2000, 0x3000);
        for (uint64_t c = 0; c < 6; ++c) {
            be16_at(0x3000 + 2 * c, 1);
        }
        be64_at(0x4000, 0x5000 | q::k_oflag_copied);
        std::memset(b.data() + 0x5000, 0xab, k_c);
    }
    void be16_at(uint64_t off, uint16_t v) { store(off, be16(v)); }
    void be32_at(uint64_t off, uint32_t v) { store(off, be32(v)); }
    void be64_at(uint64_t off, uint64_t v) { store(off, be64(v)); }
    template <class T>
    void store(uint64_t off, T v) {
        if (off + sizeof v > b.size()) {
            b.resize(off + sizeof v);
        }
        std::memcpy(b.data() + off, &v, sizeof v);
    }
    void bytes_at(uint64_t off, std::span<const std::byte> d) {
        if (off + d.size() > b.size()) {
            b.resize(off + d.size());
        }
        std::memcpy(b.data() + off, d.data(), d.size());
    }
    // Appends a compressed stream of `plain` at the end of the file and maps
    // guest cluster `l2_index` of L1 entry 0 to it.
    void compressed_cluster(uint64_t l2_index, std::span<const std::byte> plain) {
        auto* comp = libdeflate_alloc_compressor(6);
        std::vector<std::byte> out(plain.size() + 64);
        size_t n =
            libdeflate_deflate_compress(comp, plain.data(), plain.size(), out.data(), out.size());
        libdeflate_free_compressor(comp);
        out.resize(n);
        compressed_stream(l2_index, out);
    }
    // The same as one zstd frame; the header then says compression_type 1.
    void zstd_cluster(uint64_t l2_index, std::span<const std::byte> plain) {
        be64_at(72, q::k_incompat_compression);
        b[104] = std::byte{1};
        std::vector<std::byte> out(ZSTD_compressBound(plain.size()));
        size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
        EXPECT_EQ(ZSTD_isError(n), 0u);
        out.resize(n);
        compressed_stream(l2_index, out);
    }
    void compressed_stream(uint64_t l2_index, std::span<const std::byte> stream) {
        uint64_t off = b.size();
        bytes_at(off, stream);
        auto layout = q::CompressedLayout::for_cluster_bits(12);
        uint64_t nadd = ((off + stream.size() - 1) >> 9) - (off >> 9);
        be64_at(0x4000 + 8 * l2_index, q::k_oflag_compressed | (nadd << layout.shift) | off);
    }
};

// Opens the bytes and, when that works, reads the whole disk: returns the
// first error.
Error first_error(const Image& img, OpenPolicy policy = {}) {
    auto r = open_bytes(img.b, policy);
    if (!r) {
        return r.error();
    }
    std::vector<std::byte> all((*r)->virtual_size());
    auto ok = (*r)->read_at(0, all);
    if (!ok) {
        return ok.error();
    }
    return Error{Errc::ok, "no error"};
}

void expect_error(const Image& img, Errc code, const std::string& message) {
    Error e = first_error(img);
    EXPECT_EQ(e.message, message);
    EXPECT_EQ(e.code, code) << e.message;
}

TEST(Qcow2Hostile, BaseImageIsValid) {
    Image img;
    auto r = open_bytes(img.b);
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::byte> first(k_c);
    ASSERT_TRUE((*r)->read_at(0, first));
    EXPECT_EQ(first, std::vector<std::byte>(k_c, std::byte{0xab}));
    auto map = (*r)->extents(0, 8u << 20);
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, (std::vector<Extent>{{0, k_c, ExtentKind::data},
                                         {k_c, (8u << 20) - k_c, ExtentKind::unallocated}}));
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    EXPECT_TRUE(diag.empty()) << diag.findings().front().message;
}

TEST(Qcow2Hostile, HeaderFields) {
    {
        Image img;
        img.b.resize(50);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header at offset 0: file is 50 bytes, shorter than the "
                     "72-byte header");
    }
    {
        Image img;
        img.b.resize(100);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header at offset 0: file is 100 bytes, shorter than "
                     "the 104-byte version 3 header");
    }
    {
        Image img;
        img.be32_at(0, 0x514649fa);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header at offset 0: bad magic 0x514649fa");
    }
    {
        Image img;
        img.be32_at(4, 4);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: version 4 (offset 4) is not supported (2 and "
                     "3 are)");
    }
    for (uint32_t bits : {8u, 22u, 63u, 64u, 0xffffffffu}) {
        Image img;
        img.be32_at(20, bits);
        expect_error(img, Errc::invalid,
                     fmt::format("hostile.qcow2: qcow2 header: cluster_bits {} (offset 20) is "
                                 "outside 9..21",
                                 bits));
    }
    for (uint32_t len : {106u, 96u, 0u}) {
        Image img;
        img.be32_at(100, len);
        expect_error(img, Errc::invalid,
                     fmt::format("hostile.qcow2: qcow2 header: header_length {} (offset 100) must "
                                 "be a multiple of 8 and at least 104",
                                 len));
    }
    {
        Image img;
        img.be32_at(100, 8192);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: header_length 8192 (offset 100) is larger than "
                     "the cluster size 4096");
    }
    {
        Image img;
        img.be32_at(96, 7);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: refcount_order 7 (offset 96) is larger than 6");
    }
    {
        Image img;
        img.be64_at(24, (uint64_t{64} << 40) + 512);
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: virtual size 70368744178176 (offset 24) "
                     "exceeds the limit of 70368744177664 bytes");
    }
    {
        Image img;
        img.be32_at(32, 1);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: crypt_method 1 (offset 32): encrypted images "
                     "are not supported");
    }
}

TEST(Qcow2Hostile, TablesAreBoundedBeforeAllocation) {
    {
        Image img;
        img.be32_at(36, 0x500000); // 40 MiB of L1 entries in a 24 KiB file
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: l1_size 5242880 (offset 36) exceeds the 32 MiB "
                     "L1 table limit");
    }
    {
        Image img;
        img.be32_at(36, 3);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: l1_size 3 (offset 36) is too small for virtual "
                     "size 8388608 (needs 4)");
    }
    {
        Image img;
        img.be64_at(40, 0x100000);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: L1 table at 0x100000 (offset 40, 4 entries "
                     "used) lies outside the file (24576 bytes)");
    }
    {
        Image img;
        img.be64_at(40, 0x1008);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: l1_table_offset 0x1008 (offset 40) is not "
                     "cluster-aligned");
    }
    {
        Image img;
        img.be32_at(56, 4096); // 16 MiB refcount table
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: refcount_table_clusters 4096 (offset 56) "
                     "exceeds the 8 MiB refcount table limit");
    }
    {
        Image img;
        img.be32_at(56, 0);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: refcount_table_clusters (offset 56) is 0");
    }
    {
        Image img;
        img.be32_at(60, 70000);
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: nb_snapshots 70000 (offset 60) exceeds the "
                     "limit of 65536");
    }
    {
        Image img;
        img.be32_at(60, 1);
        img.be64_at(64, 0x40000);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: snapshot table at 0x40000 (offset 64, 1 "
                     "snapshots) lies outside the file (24576 bytes)");
    }
}

TEST(Qcow2Hostile, IncompatibleFeatures) {
    {
        Image img;
        img.be64_at(72, q::k_incompat_dirty);
        auto r = open_bytes(img.b);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_TRUE((*r)->info().dirty);
        ASSERT_EQ((*r)->findings().size(), 1u);
        EXPECT_EQ((*r)->findings()[0].code, "DISK-QCOW2-DIRTY");
        EXPECT_EQ((*r)->findings()[0].message,
                  "hostile.qcow2: qcow2 header: the dirty bit (incompatible_features bit 0, "
                  "offset 72) is set: the image was not closed cleanly and its refcounts may be "
                  "stale; data is read through the L1/L2 tables, the file is not changed");
    }
    {
        Image img;
        img.be64_at(72, q::k_incompat_corrupt);
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: incompatible feature bit 1 (corrupt, offset "
                     "72) is set: qemu marked the image corrupt; repair it with 'qemu-img check "
                     "-r all' first");
    }
    {
        Image img;
        img.be64_at(72, q::k_incompat_data_file);
        expect_error(img, Errc::refused,
                     "hostile.qcow2: qcow2 header: incompatible feature bit 2 (external data "
                     "file, offset 72) is set: guest data in another file is refused (it can "
                     "name any host file, CVE-2024-32498)");
    }
    {
        Image img;
        img.be64_at(72, q::k_incompat_compression);
        img.b[104] = std::byte{2};
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: compression_type 2 (offset 104) is unknown");
    }
    {
        Image img;
        img.b[104] = std::byte{1};
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: compression_type 1 (offset 104) is set without "
                     "incompatible feature bit 3");
    }
    {
        Image img;
        img.be64_at(72, q::k_incompat_extl2);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: incompatible feature bit 4 (extended L2 "
                     "entries, offset 72) is set: images with subclusters are not supported");
    }
    {
        Image img;
        img.be64_at(72, uint64_t{1} << 7);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: unknown incompatible feature bit 7 (offset 72) "
                     "is set");
    }
    {
        // The name comes from the feature name table when there is one.
        Image img;
        img.be64_at(72, uint64_t{1} << 40);
        img.be32_at(112, q::k_ext_feature_table);
        img.be32_at(116, 48);
        img.b[120] = std::byte{0};
        img.b[121] = std::byte{40};
        std::memcpy(img.b.data() + 122, "future\nfeature", 14);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: unknown incompatible feature bit 40 "
                     "'future\\x0afeature' (offset 72) is set");
    }
}

TEST(Qcow2Hostile, HeaderExtensions) {
    {
        Image img;
        img.be32_at(112, 0x12345678);
        img.be32_at(116, 0xfffffff0);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: header extension 0x12345678 at offset 0x70: length "
                     "4294967280 runs past the end of the extension area at 0x1000");
    }
    {
        // An extension chain that runs into the end of cluster 0 without a marker.
        Image img;
        img.be32_at(112, 0x0badf00d); // length 0: the next one starts at 120
        for (uint64_t pos = 120; pos + 16 <= k_c; pos += 16) {
            img.be32_at(pos, 0x0badf00d);
            img.be32_at(pos + 4, 8);
            img.be64_at(pos + 8, ~uint64_t{0});
        }
        img.be32_at(k_c - 8, 0x0badf00d);
        img.be32_at(k_c - 4, 1);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: header extension 0x0badf00d at offset 0xff8: length 1 runs "
                     "past the end of the extension area at 0x1000");
    }
    {
        Image img;
        img.be32_at(112, q::k_ext_backing_format);
        img.be32_at(116, 4);
        std::memcpy(img.b.data() + 120, "raw\0", 4);
        img.be32_at(128, q::k_ext_backing_format);
        img.be32_at(132, 4);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: header extension 0xe2792aca at offset 0x80 appears twice");
    }
    {
        Image img;
        img.be64_at(8, 0x2000);
        img.be32_at(16, 10);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: backing_file_offset 0x2000 (offset 8) lies "
                     "outside cluster 0 (4096 bytes)");
    }
    {
        Image img;
        img.be64_at(8, 0x800);
        img.be32_at(16, 2000);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: backing_file_size 2000 (offset 16) is longer "
                     "than 1023");
    }
    {
        Image img;
        img.be64_at(8, 0xf00);
        img.be32_at(16, 1000);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: qcow2 header: backing file name at 0xf00 (1000 bytes) runs "
                     "past the end of cluster 0 or of the file");
    }
}

TEST(Qcow2Hostile, MappingEntries) {
    {
        Image img;
        img.be64_at(0x1000, 0x4200 | q::k_oflag_copied);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L1 entry 0 at offset 0x1000: L2 table offset 0x4200 is not "
                     "cluster-aligned");
    }
    {
        Image img;
        img.be64_at(0x1008, 0x100000 | q::k_oflag_copied);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L1 entry 1 at offset 0x1008: L2 table at 0x100000 lies "
                     "outside the file (24576 bytes): the image is truncated");
    }
    {
        Image img;
        img.be64_at(0x1010, 0x4000 | (uint64_t{1} << 60));
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L1 entry 2 at offset 0x1010: reserved bits 0x1000000000000000 "
                     "are set (entry 0x1000000000004000)");
    }
    {
        Image img;
        img.be64_at(0x4000 + 17 * 8, 0x5200 | q::k_oflag_copied);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 17 of L1 entry 0 at offset 0x4088: host offset "
                     "0x5200 is not cluster-aligned");
    }
    {
        Image img;
        img.be64_at(0x4000 + 3 * 8, 0x100000 | q::k_oflag_copied);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 3 of L1 entry 0 at offset 0x4018: data cluster at "
                     "0x100000 lies beyond the end of the file (24576 bytes)");
    }
    {
        Image img;
        img.be64_at(0x4000 + 5 * 8, 0x5000 | 2);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 5 of L1 entry 0 at offset 0x4028: reserved bits 0x2 "
                     "are set (entry 0x0000000000005002)");
    }
    {
        // Version 2 has no zero flag: bit 0 is reserved there.
        Image img;
        img.be32_at(4, 2);
        img.be64_at(0x4000 + 5 * 8, 1);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 5 of L1 entry 0 at offset 0x4028: reserved bits 0x1 "
                     "are set (entry 0x0000000000000001)");
    }
}

TEST(Qcow2Hostile, CompressedClusters) {
    // The same rules for both compression types: deflate (type 0) and one
    // zstd frame (type 1).
    for (bool zstd : {false, true}) {
        SCOPED_TRACE(zstd ? "zstd" : "deflate");
        auto compressed = [zstd](Image& img, std::span<const std::byte> plain) {
            if (zstd) {
                img.zstd_cluster(1, plain);
            } else {
                img.compressed_cluster(1, plain);
            }
        };
        {
            // A valid stream reads back, shares nothing and checks clean;
            // the sector padding after it is not read.
            Image img;
            std::vector<std::byte> plain(k_c);
            for (size_t i = 0; i < plain.size(); ++i) {
                plain[i] = static_cast<std::byte>(i % 13);
            }
            compressed(img, plain);
            auto r = open_bytes(img.b);
            ASSERT_TRUE(r) << r.error().message;
            std::vector<std::byte> back(k_c);
            ASSERT_TRUE((*r)->read_at(k_c, back));
            EXPECT_EQ(back, plain);
        }
        {
            Image img;
            compressed(img, std::vector<std::byte>(4 * k_c, std::byte{'A'}));
            expect_error(img, Errc::invalid,
                         "hostile.qcow2: L2 entry 1 of L1 entry 0 at offset 0x4008: compressed "
                         "cluster at 0x6000 inflates to more than the cluster size 4096");
        }
        {
            Image img;
            compressed(img, std::vector<std::byte>(100, std::byte{'A'}));
            expect_error(img, Errc::invalid,
                         "hostile.qcow2: L2 entry 1 of L1 entry 0 at offset 0x4008: compressed "
                         "cluster at 0x6000 inflates to 100 bytes instead of 4096");
        }
    }
    {
        Image img;
        std::vector<std::byte> junk(40, std::byte{0xff});
        img.compressed_stream(1, junk);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 1 of L1 entry 0 at offset 0x4008: compressed "
                     "cluster at 0x6000 (512 bytes) is not a valid deflate stream");
    }
    {
        Image img;
        img.be64_at(0x4000 + 2 * 8, q::k_oflag_compressed | 0x10000);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 2 of L1 entry 0 at offset 0x4010: compressed "
                     "cluster at 0x10000 starts beyond the end of the file (24576 bytes)");
    }
}

TEST(Qcow2Hostile, ZstdCompressedClusters) {
    // What only zstd has (the rules both types share: CompressedClusters).
    {
        // A frame cut short: the first 1024 bytes of one that is longer
        // (random-looking data does not compress).
        Image img;
        img.be64_at(72, q::k_incompat_compression);
        img.b[104] = std::byte{1};
        std::vector<std::byte> noise(k_c);
        uint32_t x = 12345;
        for (auto& c : noise) {
            x = x * 1103515245 + 12345;
            c = static_cast<std::byte>(x >> 24);
        }
        std::vector<std::byte> frame(ZSTD_compressBound(noise.size()));
        size_t n = ZSTD_compress(frame.data(), frame.size(), noise.data(), noise.size(), 3);
        ASSERT_EQ(ZSTD_isError(n), 0u);
        ASSERT_GT(n, 1024u);
        img.compressed_stream(1, std::span(frame).first(1024));
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 1 of L1 entry 0 at offset 0x4008: compressed "
                     "cluster at 0x6000 (1024 bytes) is not a valid zstd stream");
    }
    {
        Image img;
        img.be64_at(72, q::k_incompat_compression);
        img.b[104] = std::byte{1};
        std::vector<std::byte> junk(40, std::byte{0xff});
        img.compressed_stream(1, junk);
        expect_error(img, Errc::invalid,
                     "hostile.qcow2: L2 entry 1 of L1 entry 0 at offset 0x4008: compressed "
                     "cluster at 0x6000 (512 bytes) is not a valid zstd stream");
    }
}

TEST(Qcow2Hostile, CheckReportsLeaksAndOverlaps) {
    Image img;
    img.b.resize(7 * k_c);
    img.be16_at(0x3000 + 2 * 6, 1);                      // cluster 6 counted, referenced by nothing
    img.be64_at(0x4000 + 8, 0x2000 | q::k_oflag_copied); // guest cluster 1 -> refcount table
    auto r = open_bytes(img.b);
    ASSERT_TRUE(r);
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    std::vector<std::string> got;
    for (const auto& f : diag.findings()) {
        got.push_back(fmt::format("{} {} {}", severity_name(f.severity), f.code, f.message));
    }
    EXPECT_EQ(got, (std::vector<std::string>{
                       "error QCOW2-OVERLAP host cluster 2 at 0x2000: used by a data cluster (L2 "
                       "entry 1 of L1 entry 0) and already by the refcount table",
                       "error QCOW2-REFCOUNT cluster 2 at 0x2000 (used by a data cluster): "
                       "refcount 1 is lower than its 2 references",
                       "warning QCOW2-LEAK leaked cluster 6 at 0x6000: refcount 1, references 0",
                   }));
}

TEST(Qcow2Hostile, CheckReportsCopiedFlags) {
    Image img;
    img.be64_at(0x1000, 0x4000);    // L2 table: refcount 1 but COPIED clear
    img.be16_at(0x3000 + 2 * 5, 2); // data cluster: COPIED set but refcount 2
    auto r = open_bytes(img.b);
    ASSERT_TRUE(r);
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    std::vector<std::string> got;
    for (const auto& f : diag.findings()) {
        got.push_back(fmt::format("{} {}", f.code, f.message));
    }
    EXPECT_EQ(got, (std::vector<std::string>{
                       "QCOW2-COPIED L2 entry 0 of L1 entry 0 at offset 0x4000: COPIED flag is "
                       "set but the data cluster's refcount is 2",
                       "QCOW2-COPIED L1 entry 0 at offset 0x1000: COPIED flag is clear but the L2 "
                       "table's refcount is 1",
                       "QCOW2-LEAK leaked cluster 5 at 0x5000: refcount 2, references 1",
                   }));
}

TEST(Qcow2Hostile, ProbeNeedsMagicAndVersion) {
    Image img;
    ProbeInput in{std::span(img.b).first(512), {}, img.b.size()};
    EXPECT_EQ(driver().probe(in), 100);
    img.be32_at(0, 0);
    in.head = std::span(img.b).first(512);
    EXPECT_EQ(driver().probe(in), 0);
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::disk::formats {
namespace {

// ---------------------------------------------------------------------------
// Backing chains.

// Writes a small ovfkit image (64 KiB clusters, 1 MiB of `fill`) whose header
// names `backing` (and, when given, its format) in cluster 0.
void write_with_backing(const std::string& path, const std::string& backing,
                        const std::optional<std::string>& format, uint8_t fill = 0x42) {
    io::MemFile out("tmp.qcow2");
    std::vector<std::byte> raw(1u << 20);
    // Allocate only the second half, so the first reads through to the parent.
    std::memset(raw.data() + (512u << 10), fill, 512u << 10);
    ASSERT_TRUE(write_image(raw, CreateOptions{}, out, 1));
    auto& b = out.data();
    uint64_t pos = 112;
    auto put32 = [&](uint64_t off, uint32_t v) {
        be32 x(v);
        std::memcpy(b.data() + off, &x, 4);
    };
    if (format) {
        put32(pos, q::k_ext_backing_format);
        put32(pos + 4, static_cast<uint32_t>(format->size()));
        std::memcpy(b.data() + pos + 8, format->data(), format->size());
        pos += 8 + (format->size() + 7) / 8 * 8;
    }
    put32(pos, 0);
    put32(pos + 4, 0);
    be64 off(0x200);
    std::memcpy(b.data() + 8, &off, 8);
    put32(16, static_cast<uint32_t>(backing.size()));
    std::memcpy(b.data() + 0x200, backing.data(), backing.size());
    test::write_file(path, b);
}

Error open_error(const std::string& path, OpenPolicy policy) {
    auto dir = io::Directory::of_file(path);
    EXPECT_TRUE(dir);
    auto r = open_path(path, policy, &*dir);
    return r ? Error{Errc::ok, "opened"} : r.error();
}

TEST(Qcow2Backing, QemuChainGivesTheMergedView) {
    if (!have_qemu() || test::run("qemu-io --version >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "qemu-img or qemu-io not installed";
    }
    TempDir dir;
    const uint64_t size = 3u << 20;
    auto raw = pattern(size);
    test::write_file(dir.file("base.raw"), raw);
    std::string out;
    ASSERT_EQ(test::run("cd " + sh_quote(dir.path()) +
                            " && qemu-img convert -f raw -O qcow2 base.raw base.qcow2"
                            " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 child.qcow2"
                            " && qemu-io -f qcow2 -c 'write -P 0x77 64k 64k'"
                            " -c 'write -z 1M 128k' child.qcow2 >/dev/null 2>&1",
                        &out),
              0)
        << out;
    std::memset(raw.data() + 65536, 0x77, 65536);
    std::memset(raw.data() + (1u << 20), 0, 131072);

    auto d = io::Directory::open(dir.path());
    ASSERT_TRUE(d);
    OpenPolicy allow;
    allow.allow_parent = true;
    auto r = open_path(dir.file("child.qcow2"), allow, &*d);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->info().parent, "base.qcow2");
    EXPECT_EQ((*r)->info().files.size(), 2u);
    EXPECT_TRUE(read_all(**r) == raw);
    auto map = (*r)->extents(0, size);
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, qemu_map(dir.file("child.qcow2")));
    Diagnostics diag;
    ASSERT_TRUE((*r)->check(diag));
    EXPECT_TRUE(diag.empty()) << diag.findings().front().message;

    // Without the policy the backing file is refused, naming it.
    Error e = open_error(dir.file("child.qcow2"), OpenPolicy{});
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_TRUE(e.message.starts_with(dir.file("child.qcow2") +
                                      ": backing file 'base.qcow2' (named at offset 0x"))
        << e.message;
    EXPECT_TRUE(e.message.ends_with("): not opened: parent and backing chains are refused unless "
                                    "parents are allowed (--allow-parent)"))
        << e.message;
}

TEST(Qcow2Backing, OvfkitChainReadsThroughToTheParent) {
    TempDir dir;
    write_with_backing(dir.file("child.qcow2"), "base.qcow2", "qcow2", 0x42);
    {
        io::MemFile base("base.qcow2");
        std::vector<std::byte> raw(2u << 20, std::byte{0x17});
        ASSERT_TRUE(write_image(raw, CreateOptions{}, base, 1));
        test::write_file(dir.file("base.qcow2"), base.data());
    }
    OpenPolicy allow;
    allow.allow_parent = true;
    auto d = io::Directory::open(dir.path());
    ASSERT_TRUE(d);
    auto r = open_path(dir.file("child.qcow2"), allow, &*d);
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::byte> expect(1u << 20, std::byte{0x17});
    std::memset(expect.data() + (512u << 10), 0x42, 512u << 10);
    EXPECT_TRUE(read_all(**r) == expect);
    auto map = (*r)->extents(0, 1u << 20);
    ASSERT_TRUE(map);
    EXPECT_EQ(*map, (std::vector<Extent>{{0, 1u << 20, ExtentKind::data}}));
}

TEST(Qcow2Backing, HostileNamesAreRefused) {
    TempDir dir;
    OpenPolicy allow;
    allow.allow_parent = true;
    struct Case {
        std::string name;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"/etc/passwd",
         "backing file '/etc/passwd' (named at offset 0x200): not a plain file name beside the "
         "image: file name '/etc/passwd' has a path separator (only names inside the package are "
         "allowed)"},
        {"../x",
         "backing file '../x' (named at offset 0x200): not a plain file name beside the image: "
         "file name '../x' has a path separator (only names inside the package are allowed)"},
        {"json:{\"file\":{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}}",
         "backing file name 'json:{\"file\":{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}}' "
         "at offset 0x200 has ':' (protocol prefixes such as json:, nbd:, file: are always "
         "refused)"},
        {"nbd:localhost:10809",
         "backing file name 'nbd:localhost:10809' at offset 0x200 has ':' (protocol prefixes "
         "such as json:, nbd:, file: are always refused)"},
        {"file:base.qcow2",
         "backing file name 'file:base.qcow2' at offset 0x200 has ':' (protocol prefixes such as "
         "json:, nbd:, file: are always refused)"},
        {"-base.qcow2",
         "backing file '-base.qcow2' (named at offset 0x200): not a plain file name beside the "
         "image: file name '-base.qcow2' starts with '-'"},
    };
    for (const auto& c : cases) {
        write_with_backing(dir.file("img.qcow2"), c.name, "qcow2");
        Error e = open_error(dir.file("img.qcow2"), allow);
        EXPECT_EQ(e.message, dir.file("img.qcow2") + ": " + c.message);
        EXPECT_EQ(e.code, Errc::refused);
        // Protocol names are refused even before the policy is consulted.
        if (c.name.find(':') != std::string::npos) {
            EXPECT_EQ(open_error(dir.file("img.qcow2"), OpenPolicy{}).message, e.message);
        }
    }
}

TEST(Qcow2Backing, FormatMustBeStated) {
    TempDir dir;
    OpenPolicy allow;
    allow.allow_parent = true;
    write_with_backing(dir.file("base.qcow2"), "none.qcow2", "qcow2");
    write_with_backing(dir.file("img.qcow2"), "base.qcow2", std::nullopt);
    Error e = open_error(dir.file("img.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("img.qcow2") +
                             ": backing file 'base.qcow2' has no backing format extension "
                             "(0xe2792aca); probing the format of a backing file is refused");
    EXPECT_EQ(e.code, Errc::refused);

    write_with_backing(dir.file("img.qcow2"), "base.qcow2", "vvfat");
    e = open_error(dir.file("img.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("img.qcow2") +
                             ": backing file 'base.qcow2' has format 'vvfat', which is not "
                             "supported");
    EXPECT_EQ(e.code, Errc::invalid);
}

// The chain travels with the OpenContext across formats: a qcow2 backed by
// a VHD whose parent is the qcow2 again is a loop.
TEST(Qcow2Backing, ALoopThroughAnotherFormatIsRefused) {
    TempDir dir;
    OpenPolicy allow;
    allow.allow_parent = true;
    write_with_backing(dir.file("a.qcow2"), "b.vhd", "vpc");
    test::vhd_chain_kit().write_child(dir.file("b.vhd"), "a.qcow2", 1, 2);
    Error e = open_error(dir.file("a.qcow2"), allow);
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, dir.file("b.vhd") + ": differencing disk: parent 'a.qcow2': forms a "
                                             "loop: that name is already in the chain");
}

TEST(Qcow2Backing, SymlinksLoopsAndDepthAreRefused) {
    TempDir dir;
    OpenPolicy allow;
    allow.allow_parent = true;
    write_with_backing(dir.file("a.qcow2"), "b.qcow2", "qcow2");
    write_with_backing(dir.file("b.qcow2"), "a.qcow2", "qcow2");
    Error e = open_error(dir.file("a.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("b.qcow2") + ": backing file 'a.qcow2' (named at offset 0x200): "
                                               "forms a loop: that name is already in the chain");
    EXPECT_EQ(e.code, Errc::refused);

    write_with_backing(dir.file("self.qcow2"), "self.qcow2", "qcow2");
    e = open_error(dir.file("self.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("self.qcow2") +
                             ": backing file 'self.qcow2' (named at offset 0x200): forms a loop: "
                             "that name is already in the chain");

    ASSERT_EQ(::symlink("a.qcow2", dir.file("link.qcow2").c_str()), 0);
    write_with_backing(dir.file("c.qcow2"), "link.qcow2", "qcow2");
    e = open_error(dir.file("c.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("c.qcow2") +
                             ": backing file 'link.qcow2' (named at offset "
                             "0x200): " +
                             dir.file("link.qcow2") +
                             ": refused: a symbolic link (links are not followed)");
    EXPECT_EQ(e.code, Errc::refused);

    // d0 -> d1 -> d2 -> d3 with a depth limit of 2.
    for (int i = 0; i < 3; ++i) {
        write_with_backing(dir.file(fmt::format("d{}.qcow2", i)), fmt::format("d{}.qcow2", i + 1),
                           "qcow2");
    }
    write_with_backing(dir.file("d3.qcow2"), "missing.qcow2", "qcow2");
    allow.max_chain_depth = 2;
    e = open_error(dir.file("d0.qcow2"), allow);
    EXPECT_EQ(e.message, dir.file("d2.qcow2") +
                             ": backing file 'd3.qcow2' (named at offset 0x200): would make the "
                             "chain deeper than the limit of 2");
    EXPECT_EQ(e.code, Errc::refused);

    // With no directory to open names in, nothing is followed.
    auto r = open_path(dir.file("d2.qcow2"), allow, nullptr);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, dir.file("d2.qcow2") +
                                     ": backing file 'd3.qcow2' (named at offset 0x200): cannot "
                                     "be opened: the image may not refer to other files here");
}

} // namespace
} // namespace ovfkit::disk::formats

namespace ovfkit::test {

// Backing chains for chain_test.cpp. qcow2 images carry no identity.
const ChainKit& qcow2_chain_kit() {
    static const ChainKit kit{
        .format = "qcow2",
        .extension = ".qcow2",
        .has_identity = false,
        .write_base =
            [](const std::string& path, uint8_t) {
                io::MemFile out("base.qcow2");
                std::vector<std::byte> raw(1u << 20, std::byte{0x17});
                ASSERT_TRUE(disk::formats::write_image(raw, disk::CreateOptions{}, out, 1));
                write_file(path, out.data());
            },
        .write_child = [](const std::string& path, const std::string& parent, uint8_t,
                          uint8_t) { disk::formats::write_with_backing(path, parent, "qcow2"); },
    };
    return kit;
}

} // namespace ovfkit::test
