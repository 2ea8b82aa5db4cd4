// QCOW2 driver tests: images made by qemu-img are read back byte for byte
// with the allocation map qemu-img reports; images ovfkit writes pass
// `qemu-img check` and `qemu-img compare`; backing chains obey the policy;
// hostile images built here from bytes are refused with exact messages.
// qemu-img only ever sees images that qemu-img or ovfkit made (SECURITY.md R27).
#include <ovfkit/base/endian.hpp>
#include <ovfkit/disk/formats/qcow2_layout.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

#include <cstring>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <nlohmann/json.hpp>
#include <thread>
#include <fcntl.h>
#include <unistd.h>

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
        "qemu-img convert -f raw -O qcow2 {} -o compat={},cluster_size={} {} {} 2>&1",
        qc.compressed ? "-c" : "", qc.compat, qc.cluster, sh_quote(dir.file("src.raw")),
        sh_quote(dir.file("img.qcow2")));
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
    ::testing::Values(QemuCase{"0.10", 512, false}, QemuCase{"0.10", 4096, false},
                      QemuCase{"0.10", 65536, false}, QemuCase{"0.10", 2u << 20, false},
                      QemuCase{"0.10", 65536, true}, QemuCase{"0.10", 512, true},
                      QemuCase{"1.1", 512, false}, QemuCase{"1.1", 4096, false},
                      QemuCase{"1.1", 65536, false}, QemuCase{"1.1", 2u << 20, false},
                      QemuCase{"1.1", 512, true}, QemuCase{"1.1", 4096, true},
                      QemuCase{"1.1", 65536, true}, QemuCase{"1.1", 2u << 20, true}),
    [](const auto& p) {
        return fmt::format("compat{}_c{}{}", std::string(p.param.compat) == "1.1" ? 3 : 2,
                           p.param.cluster, p.param.compressed ? "_compressed" : "");
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
            bool zero = std::all_of(gr.begin(), gr.end(), [](std::byte b) { return b == std::byte{0}; });
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
        auto out = io::adopt_fd(::open(dir.file("out.qcow2").c_str(),
                                       O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
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
    auto e = driver().create(bad);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message,
              "order.qcow2: qcow2: cluster size 3000 must be a power of two from 512 to 2 MiB");
}

} // namespace
} // namespace ovfkit::disk::formats
