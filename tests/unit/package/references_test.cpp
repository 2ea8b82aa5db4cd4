// Chunked and gzip-compressed file references: the layout rules, the bounded
// inflation, and the random-access view, over packages built here with GNU
// tar and gzip.
#include <numeric>

#include <gtest/gtest.h>
#include <zlib.h>

#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/references.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::package {
namespace {

using test::TempDir;

std::vector<std::byte> pattern(size_t n) {
    std::vector<std::byte> v(n);
    uint32_t x = 12345;
    for (auto& b : v) {
        x = x * 1103515245 + 12345;
        b = static_cast<std::byte>((x >> 16) % 7 + 'a'); // compressible, not trivially
    }
    return v;
}

ovf::File file_ref(std::string href, std::optional<uint64_t> size,
                   std::optional<uint64_t> chunk = std::nullopt, bool gzip = false) {
    ovf::File f;
    f.id = "file1";
    f.href = std::move(href);
    if (size) {
        f.size = std::to_string(*size);
    }
    if (chunk) {
        f.chunk_size = std::to_string(*chunk);
    }
    if (gzip) {
        f.compression = "gzip";
    }
    return f;
}

// A directory package holding vm.ovf and `parts` (name -> bytes).
struct Package {
    TempDir dir;
    explicit Package(const std::vector<std::pair<std::string, std::vector<std::byte>>>& parts) {
        test::write_text(dir.file("vm.ovf"), "<Envelope/>");
        for (const auto& [name, data] : parts) {
            test::write_file(dir.file(name), data);
        }
    }
    Source open() const {
        auto src = Source::open(dir.path());
        EXPECT_TRUE(src) << src.error().message;
        return std::move(*src);
    }
};

std::vector<std::pair<std::string, std::vector<std::byte>>>
chunks_of(const std::string& href, const std::vector<std::byte>& data, size_t chunk) {
    std::vector<std::pair<std::string, std::vector<std::byte>>> out;
    for (size_t at = 0, i = 0; at < data.size(); at += chunk, ++i) {
        size_t n = std::min(chunk, data.size() - at);
        out.emplace_back(chunk_member_name(href, i),
                         std::vector<std::byte>(data.begin() + static_cast<ptrdiff_t>(at),
                                                data.begin() + static_cast<ptrdiff_t>(at + n)));
    }
    return out;
}

std::vector<std::byte> read_all(ReferenceStream& s, size_t step = 4096) {
    std::vector<std::byte> out;
    std::vector<std::byte> buf(step);
    for (;;) {
        auto n = s.read(buf);
        EXPECT_TRUE(n) << n.error().message;
        if (!n || *n == 0) {
            return out;
        }
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
    }
}

// The error a full read ends with (or an empty one when it reads through).
Error read_error(ReferenceStream& s) {
    std::vector<std::byte> buf(1 << 16);
    for (;;) {
        auto n = s.read(buf);
        if (!n) {
            return n.error();
        }
        if (*n == 0) {
            return {Errc::ok, {}};
        }
    }
}

std::vector<std::byte> gzip_bytes(const TempDir& dir, const std::vector<std::byte>& data) {
    test::write_file(dir.file("raw.tmp"), data);
    EXPECT_EQ(test::run("gzip -n -c '" + dir.file("raw.tmp") + "' > '" + dir.file("gz.tmp") + "'"),
              0);
    auto gz = test::read_file(dir.file("gz.tmp"));
    std::remove(dir.file("raw.tmp").c_str());
    std::remove(dir.file("gz.tmp").c_str());
    return gz;
}

TEST(References, ChunkNames) {
    EXPECT_EQ(chunk_member_name("disk1.vmdk", 0), "disk1.vmdk.000000000");
    EXPECT_EQ(chunk_member_name("disk1.vmdk", 12), "disk1.vmdk.000000012");
    EXPECT_EQ(chunk_index("disk1.vmdk", "disk1.vmdk.000000012"), 12u);
    EXPECT_EQ(chunk_index("disk1.vmdk", "disk1.vmdk.12"), std::nullopt);
    EXPECT_EQ(chunk_index("disk1.vmdk", "disk1.vmdk.0000000012"), std::nullopt);
    EXPECT_EQ(chunk_index("disk1.vmdk", "disk2.vmdk.000000000"), std::nullopt);
    EXPECT_EQ(chunk_index("disk1.vmdk", "disk1.vmdk.00000001x"), std::nullopt);
}

TEST(References, DiskOutputBound) {
    EXPECT_EQ(disk_output_bound(uint64_t{100} << 30), (uint64_t{100} << 30) + (uint64_t{1} << 30));
    EXPECT_EQ(disk_output_bound(1000), 1000u + (1u << 20)); // small disks: 1 MiB of slack
    EXPECT_EQ(disk_output_bound(UINT64_MAX - 5), UINT64_MAX);
}

TEST(References, SplitAndDescribe) {
    EXPECT_EQ(split_chunks(10, 4).value(), (std::vector<uint64_t>{4, 4, 2}));
    EXPECT_EQ(split_chunks(8, 4).value(), (std::vector<uint64_t>{4, 4}));
    EXPECT_EQ(split_chunks(0, 4).value(), (std::vector<uint64_t>{0}));
    EXPECT_EQ(split_chunks(10, 0).error().code, Errc::usage);
    ReferenceLimits few;
    few.max_chunks = 2;
    EXPECT_EQ(split_chunks(10, 4, few).error().code, Errc::usage);

    ovf::File f = file_ref("disk.vmdk", 100);
    describe_stored_file(f, Compression::gzip, 4096, 9000);
    EXPECT_EQ(f.compression, "gzip");
    EXPECT_EQ(f.chunk_size, "4096");
    EXPECT_EQ(f.size, "9000");
    describe_stored_file(f, Compression::none, std::nullopt, 100);
    EXPECT_EQ(f.compression, std::nullopt);
    EXPECT_EQ(f.chunk_size, std::nullopt);
    EXPECT_EQ(f.size, "100");
}

TEST(References, ChunkedFileReadsWholeAndAtRandom) {
    auto data = pattern(10'000);
    Package pkg(chunks_of("disk.img", data, 4096));
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    ASSERT_TRUE(lookup) << lookup.error().message;
    auto layout = stored_layout(*lookup, file_ref("disk.img", 10'000, 4096));
    ASSERT_TRUE(layout) << layout.error().message;
    ASSERT_EQ(layout->parts.size(), 3u);
    EXPECT_EQ(layout->parts[2].name, "disk.img.000000002");
    EXPECT_EQ(layout->stored_size, 10'000u);

    auto stream = ReferenceStream::open(src, *layout);
    ASSERT_TRUE(stream);
    EXPECT_EQ(read_all(**stream, 1000), data);

    auto file = open_reference_file(src, *layout);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->size().value(), 10'000u);
    std::vector<std::byte> mid(300);
    ASSERT_EQ((*file)->pread(mid, 4000).value(), 300u); // across the first cut
    EXPECT_TRUE(std::equal(mid.begin(), mid.end(), data.begin() + 4000));
    std::vector<std::byte> tail(100);
    EXPECT_EQ((*file)->pread(tail, 9950).value(), 50u);
}

TEST(References, ChunkLayoutErrors) {
    auto data = pattern(10'000);
    auto parts = chunks_of("disk.img", data, 4096);
    auto check = [&](const std::vector<std::pair<std::string, std::vector<std::byte>>>& p,
                     const ovf::File& f, Errc code, const std::string& needle) {
        Package pkg(p);
        Source src = pkg.open();
        auto lookup = member_lookup(src);
        ASSERT_TRUE(lookup);
        auto layout = stored_layout(*lookup, f);
        ASSERT_FALSE(layout) << needle;
        EXPECT_EQ(layout.error().code, code) << layout.error().message;
        EXPECT_NE(layout.error().message.find(needle), std::string::npos) << layout.error().message;
    };
    ovf::File f = file_ref("disk.img", 10'000, 4096);
    // A gap: chunk 1 missing.
    check({parts[0], parts[2]}, f, Errc::invalid, "chunk 1 is missing");
    // A first chunk shorter than chunkSize.
    auto shortp = parts;
    shortp[0].second.resize(4000);
    check(shortp, file_ref("disk.img", 9'904, 4096), Errc::invalid,
          "every chunk but the last must be exactly");
    // The total does not match ovf:size.
    check(parts, file_ref("disk.img", 10'001, 4096), Errc::invalid, "ovf:size is 10001");
    // A chunk index of the wrong width is not silently skipped.
    auto odd = parts;
    odd.emplace_back("disk.img.3", parts[2].second);
    check(odd, f, Errc::invalid, "does not have a 9-digit index");
    // The whole file beside its chunks.
    auto both = parts;
    both.emplace_back("disk.img", data);
    check(both, f, Errc::invalid, "ambiguous");
    // No chunk at all.
    check({}, f, Errc::io, "disk.img.000000000");
    // chunkSize 0, and beyond the sanity bound.
    check(parts, file_ref("disk.img", 10'000, 0), Errc::invalid, "not a positive byte count");
    check(parts, file_ref("disk.img", 10'000, uint64_t{1} << 40), Errc::refused, "limit");
}

TEST(References, ChunkCountOverTheLimit) {
    auto data = pattern(64);
    Package pkg(chunks_of("x.img", data, 4));
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    ASSERT_TRUE(lookup);
    ReferenceLimits limits;
    limits.max_chunks = 10;
    auto layout = stored_layout(*lookup, file_ref("x.img", 64, 4), limits);
    ASSERT_FALSE(layout);
    EXPECT_EQ(layout.error().code, Errc::refused);
    EXPECT_NE(layout.error().message.find("more than 10 chunks"), std::string::npos);
    EXPECT_TRUE(stored_layout(*lookup, file_ref("x.img", 64, 4)));
}

TEST(References, ChunkedOvaFromGnuTar) {
    auto data = pattern(5000);
    Package pkg(chunks_of("d.img", data, 2048));
    ASSERT_EQ(test::run("cd '" + pkg.dir.path() +
                        "' && tar --format=ustar -cf p.ova vm.ovf d.img.000000000 "
                        "d.img.000000001 d.img.000000002"),
              0);
    auto src = Source::open(pkg.dir.file("p.ova"));
    ASSERT_TRUE(src) << src.error().message;
    ASSERT_EQ(src->kind(), SourceKind::ova);
    auto lookup = member_lookup(*src);
    ASSERT_TRUE(lookup);
    auto layout = stored_layout(*lookup, file_ref("d.img", 5000, 2048));
    ASSERT_TRUE(layout) << layout.error().message;
    auto stream = ReferenceStream::open(*src, *layout);
    ASSERT_TRUE(stream);
    EXPECT_EQ(read_all(**stream), data);
}

TEST(References, GzipFileInflates) {
    TempDir tmp;
    auto data = pattern(300'000);
    auto gz = gzip_bytes(tmp, data);
    Package pkg({{"disk.img", gz}});
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    ASSERT_TRUE(lookup);
    // ovf:size is the stored (compressed) size; the uncompressed one is accepted too.
    for (uint64_t declared : {uint64_t{gz.size()}, uint64_t{data.size()}}) {
        auto layout = stored_layout(*lookup, file_ref("disk.img", declared, std::nullopt, true));
        ASSERT_TRUE(layout) << layout.error().message;
        EXPECT_EQ(layout->compression, Compression::gzip);
        EXPECT_EQ(layout->stored_size, gz.size());
        auto stream = ReferenceStream::open(src, *layout);
        ASSERT_TRUE(stream);
        EXPECT_EQ(read_all(**stream, 777), data);
        EXPECT_EQ((*stream)->position(), data.size());
    }
    // Random access goes through an unnamed temporary file, or is refused.
    auto layout = stored_layout(*lookup, file_ref("disk.img", gz.size(), std::nullopt, true));
    auto refused = open_reference_file(src, *layout);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::usage);
    auto file = open_reference_file(src, *layout, {}, tmp.path());
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->size().value(), data.size());
    std::vector<std::byte> back(data.size());
    ASSERT_TRUE(io::read_exact(**file, back, 0));
    EXPECT_EQ(back, data);
    EXPECT_EQ(test::run("ls -A '" + tmp.path() + "' | grep -q ."), 1) << "a named temporary";
}

TEST(References, ChunkedGzipSplitsAfterCompression) {
    TempDir tmp;
    auto data = pattern(200'000);
    auto gz = gzip_bytes(tmp, data);
    Package pkg(chunks_of("disk.img", gz, 10'000));
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    auto layout = stored_layout(*lookup, file_ref("disk.img", gz.size(), 10'000, true));
    ASSERT_TRUE(layout) << layout.error().message;
    auto stream = ReferenceStream::open(src, *layout);
    ASSERT_TRUE(stream);
    EXPECT_EQ(read_all(**stream), data);
}

TEST(References, GzipBombIsRefused) {
    TempDir tmp;
    std::vector<std::byte> zeros(size_t{64} << 20); // deflates about 1030:1
    auto gz = gzip_bytes(tmp, zeros);
    Package pkg({{"bomb.img", gz}});
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    auto layout = stored_layout(*lookup, file_ref("bomb.img", gz.size(), std::nullopt, true));
    ASSERT_TRUE(layout);
    auto stream = ReferenceStream::open(src, *layout);
    ASSERT_TRUE(stream);
    Error e = read_error(**stream);
    EXPECT_EQ(e.code, Errc::refused) << e.message;
    EXPECT_NE(e.message.find("decompression bomb"), std::string::npos) << e.message;
    EXPECT_LE((*stream)->position(), gz.size() * 1000 + (1 << 16));

    // A declared output bound (a disk's capacity) stops it sooner.
    ReferenceLimits disk;
    disk.max_output = 1 << 20;
    auto bounded = ReferenceStream::open(src, *layout, disk);
    e = read_error(**bounded);
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_LE((*bounded)->position(), (1u << 20) + (1u << 16));
    // The same stream under an output bound it fits is read in full.
    disk.max_output = zeros.size();
    disk.max_ratio = 2000;
    auto fits = ReferenceStream::open(src, *layout, disk);
    EXPECT_EQ(read_error(**fits).code, Errc::ok);
    EXPECT_EQ((*fits)->position(), zeros.size());
}

TEST(References, DamagedGzipIsNeverComplete) {
    TempDir tmp;
    auto data = pattern(100'000);
    auto gz = gzip_bytes(tmp, data);
    auto run = [&](const std::vector<std::byte>& stored) {
        Package pkg({{"d.img", stored}});
        Source src = pkg.open();
        auto lookup = member_lookup(src);
        auto layout = stored_layout(*lookup, file_ref("d.img", stored.size(), std::nullopt, true));
        EXPECT_TRUE(layout);
        auto stream = ReferenceStream::open(src, *layout);
        return read_error(**stream);
    };
    ASSERT_EQ(run(gz).code, Errc::ok);
    // Truncated: in the data, and inside the 8-byte trailer.
    for (size_t cut : {gz.size() / 2, gz.size() - 3}) {
        auto t = gz;
        t.resize(cut);
        Error e = run(t);
        EXPECT_EQ(e.code, Errc::invalid) << cut << ": " << e.message;
        EXPECT_NE(e.message.find("ends early"), std::string::npos) << e.message;
    }
    // A flipped CRC byte.
    auto crc = gz;
    crc[gz.size() - 6] ^= std::byte{1};
    EXPECT_EQ(run(crc).code, Errc::invalid);
    // Garbage in the deflate data.
    auto bad = gz;
    for (size_t i = 20; i < 60; ++i) {
        bad[i] = std::byte{0xff};
    }
    EXPECT_EQ(run(bad).code, Errc::invalid);
    // A second member after the first (R17: one member only).
    auto two = gz;
    two.insert(two.end(), gz.begin(), gz.end());
    Error e = run(two);
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_NE(e.message.find("one gzip member"), std::string::npos) << e.message;
    // Not gzip at all.
    EXPECT_EQ(run(data).code, Errc::invalid);
}

// The writer's side end to end: GzipSink output split with split_chunks()
// into chunk_member_name() members, the File described with
// describe_stored_file(), read back by stored_layout() and ReferenceStream.
TEST(References, WriterHelpersRoundTripThroughTheReader) {
    auto data = pattern(700'000);
    io::MemFile gz_file("disk.img");
    io::FileSink file_sink(gz_file);
    auto gz = io::GzipSink::create(file_sink);
    ASSERT_TRUE(gz);
    ASSERT_TRUE((*gz)->write(data));
    ASSERT_TRUE((*gz)->finish());
    std::vector<std::byte> stored(static_cast<size_t>(gz_file.size().value()));
    ASSERT_TRUE(io::read_exact(gz_file, stored, 0));

    constexpr uint64_t chunk = 65'536;
    auto sizes = split_chunks(stored.size(), chunk);
    ASSERT_TRUE(sizes);
    std::vector<std::pair<std::string, std::vector<std::byte>>> parts;
    uint64_t at = 0;
    for (size_t i = 0; i < sizes->size(); ++i) {
        auto first = stored.begin() + static_cast<ptrdiff_t>(at);
        parts.emplace_back(
            chunk_member_name("disk.img", i),
            std::vector<std::byte>(first, first + static_cast<ptrdiff_t>((*sizes)[i])));
        at += (*sizes)[i];
    }
    ovf::File f = file_ref("disk.img", data.size());
    describe_stored_file(f, Compression::gzip, chunk, stored.size());
    Package pkg(parts);
    Source src = pkg.open();
    auto lookup = member_lookup(src);
    ASSERT_TRUE(lookup);
    auto layout = stored_layout(*lookup, f);
    ASSERT_TRUE(layout) << layout.error().message;
    EXPECT_EQ(layout->parts.size(), sizes->size());
    auto stream = ReferenceStream::open(src, *layout);
    ASSERT_TRUE(stream);
    EXPECT_EQ(read_all(**stream, 50'000), data);
}

TEST(References, UnsupportedCompression) {
    auto c = parse_compression(std::string("bzip2"), "d.img");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::invalid);
    EXPECT_EQ(parse_compression(std::nullopt, "d.img").value(), Compression::none);
    EXPECT_EQ(parse_compression(std::string("identity"), "d.img").value(), Compression::none);
}

} // namespace
} // namespace ovfkit::package
