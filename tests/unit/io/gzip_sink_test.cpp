// The parallel gzip sink: its output is one gzip member that zlib and gzip(1)
// read back to the input, whatever the block layout.
#include <gtest/gtest.h>
#include <zlib.h>

#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::io {
namespace {

std::vector<std::byte> pattern(size_t n) {
    std::vector<std::byte> v(n);
    uint32_t x = 7;
    for (size_t i = 0; i < n; ++i) {
        x = x * 1664525 + 1013904223;
        // Words that repeat at distances beyond one block, and noise.
        v[i] = (x >> 28) < 3 ? static_cast<std::byte>(x >> 8)
                             : static_cast<std::byte>("ovfkit"[i % 6]);
    }
    return v;
}

std::vector<std::byte> compress(const std::vector<std::byte>& data, const GzipOptions& options,
                                size_t step) {
    MemFile out("out.gz");
    FileSink file(out);
    auto sink = GzipSink::create(file, options);
    EXPECT_TRUE(sink) << sink.error().message;
    for (size_t at = 0; at < data.size(); at += step) {
        size_t n = std::min(step, data.size() - at);
        EXPECT_TRUE((*sink)->write(std::span(data).subspan(at, n)));
    }
    EXPECT_TRUE((*sink)->finish());
    EXPECT_EQ((*sink)->bytes_written(), data.size());
    std::vector<std::byte> gz(static_cast<size_t>(out.size().value()));
    EXPECT_TRUE(read_exact(out, gz, 0));
    EXPECT_EQ((*sink)->compressed_bytes(), gz.size());
    return gz;
}

// zlib's gunzip of a single member; fails the test on anything else.
std::vector<std::byte> gunzip(const std::vector<std::byte>& gz, size_t expect) {
    std::vector<std::byte> out(expect + 1);
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << (z.msg ? z.msg : "");
    EXPECT_EQ(z.avail_in, 0u) << "data after the member";
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

TEST(GzipSink, RoundTripsThroughZlibAndGzip) {
    auto data = pattern((size_t{5} << 20) + 12345);
    GzipOptions options;
    options.block_size = size_t{128} << 10;
    options.max_inflight = 5; // several drains
    auto gz = compress(data, options, 100'000);
    EXPECT_EQ(gunzip(gz, data.size()), data);
    EXPECT_LT(gz.size(), data.size() / 2);

    test::TempDir dir;
    test::write_file(dir.file("a.gz"), gz);
    test::write_file(dir.file("a"), data);
    EXPECT_EQ(test::run("gzip -t '" + dir.file("a.gz") + "'"), 0);
    EXPECT_EQ(test::run("gzip -dc '" + dir.file("a.gz") + "' | cmp -s - '" + dir.file("a") + "'"),
              0);
}

TEST(GzipSink, OutputDoesNotDependOnHowItIsFed) {
    auto data = pattern(size_t{1} << 20);
    GzipOptions a;
    a.max_inflight = 1;
    GzipOptions b;
    b.max_inflight = 64;
    EXPECT_EQ(compress(data, a, 1), compress(data, b, 65536 * 3 + 7));
}

TEST(GzipSink, DictionaryKeepsTheRatioNearSerialGzip) {
    auto data = pattern(size_t{4} << 20);
    auto gz = compress(data, {}, 1 << 20);
    uLongf bound = compressBound(static_cast<uLong>(data.size()));
    std::vector<Bytef> serial(bound);
    ASSERT_EQ(compress2(serial.data(), &bound, reinterpret_cast<const Bytef*>(data.data()),
                        static_cast<uLong>(data.size()), 6),
              Z_OK);
    // Within 2 % of one zlib stream at the same level.
    EXPECT_LT(static_cast<double>(gz.size()), static_cast<double>(bound) * 1.02);
}

TEST(GzipSink, EmptyAndExactBlocks) {
    EXPECT_TRUE(gunzip(compress({}, {}, 1), 0).empty());
    auto data = pattern(size_t{256} << 10); // exactly two blocks
    EXPECT_EQ(gunzip(compress(data, {}, 4096), data.size()), data);
}

TEST(GzipSink, RefusesBadOptionsAndLateWrites) {
    MemFile out("o");
    FileSink file(out);
    GzipOptions bad;
    bad.level = 10;
    EXPECT_EQ(GzipSink::create(file, bad).error().code, Errc::usage);
    bad = {};
    bad.block_size = 1000;
    EXPECT_EQ(GzipSink::create(file, bad).error().code, Errc::usage);
    auto sink = GzipSink::create(file);
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->finish());
    std::byte b{1};
    EXPECT_FALSE((*sink)->write(std::span(&b, 1)));
    EXPECT_FALSE((*sink)->finish());
}

} // namespace
} // namespace ovfkit::io
