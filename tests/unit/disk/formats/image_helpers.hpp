// Helpers shared by the disk format tests: guest patterns, opening images
// through a driver, feeding a writer the way the converter does, and running
// independent readers on trusted output (SECURITY.md R27).
#pragma once

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::test {

constexpr uint64_t k_mib = uint64_t{1} << 20;

// A guest disk with data, all-zero stretches, a partly written block and a
// last sector that holds data, so maps and reads have something to get wrong.
inline std::vector<std::byte> guest_pattern(uint64_t size) {
    std::vector<std::byte> d(size);
    auto fill = [&](uint64_t from, uint64_t len, uint32_t seed) {
        for (uint64_t i = from; i < std::min(size, from + len); ++i) {
            d[i] = static_cast<std::byte>((i * 2654435761u + seed) >> 13);
        }
    };
    fill(0, 4096, 1);               // boot sector area
    fill(3 * k_mib / 2, 512, 2);    // one sector in the middle of a block
    fill(5 * k_mib - 700, 2000, 3); // across a 1 MiB boundary, unaligned
    fill(size - 512, 512, 4);       // the last sector
    return d;
}

// Reads a whole file (the support helper goes through iostreams byte by byte,
// too slow for multi-MiB images in Debug builds).
inline std::vector<std::byte> load_file(const std::string& path) {
    auto f = io::open_read(path);
    EXPECT_TRUE(f) << (f ? "" : f.error().message);
    if (!f) {
        return {};
    }
    std::vector<std::byte> out((*f)->size().value_or(0));
    EXPECT_TRUE(io::read_exact(**f, out, 0));
    return out;
}

inline bool all_zero(std::span<const std::byte> b) {
    return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

// Opens an image file with a named driver and its own directory.
struct OpenedImage {
    std::unique_ptr<io::Directory> dir;
    std::unique_ptr<disk::DiskReader> reader;
};

inline Result<OpenedImage> open_image(const std::string& driver, const std::string& path,
                                      disk::OpenPolicy policy = {}) {
    const disk::FormatDriver* d = disk::formats::find(driver);
    if (d == nullptr) {
        return fail(Errc::usage, "no driver {}", driver);
    }
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OVFKIT_TRY_ASSIGN(auto dir, io::Directory::of_file(path));
    OpenedImage out;
    out.dir = std::make_unique<io::Directory>(std::move(dir));
    disk::OpenContext ctx{std::move(file), out.dir.get(), policy, 0};
    OVFKIT_TRY_ASSIGN(out.reader, d->open(ctx));
    return out;
}

inline Result<std::unique_ptr<disk::DiskReader>>
open_mem(const std::string& driver, std::vector<std::byte> bytes, std::string name = "disk.img") {
    const disk::FormatDriver* d = disk::formats::find(driver);
    disk::OpenContext ctx{
        std::make_unique<io::MemFile>(std::move(name), std::move(bytes)), nullptr, {}, 0};
    return d->open(ctx);
}

inline std::vector<std::byte> read_all(disk::DiskReader& r) {
    std::vector<std::byte> out(r.virtual_size());
    auto ok = r.read_at(0, out);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
    return out;
}

// The guest bytes padded with zeros to `size` (images may be larger than the
// raw source: CHS or MiB rounding).
inline std::vector<std::byte> padded(std::vector<std::byte> v, uint64_t size) {
    v.resize(size);
    return v;
}

// Checks that a map covers [0, size) in order and that every non-data extent
// reads as zeros in `expected`.
inline void expect_map_consistent(disk::DiskReader& r, const std::vector<std::byte>& expected) {
    auto map = r.extents(0, r.virtual_size());
    ASSERT_TRUE(map) << map.error().message;
    uint64_t pos = 0;
    for (const auto& e : *map) {
        ASSERT_EQ(e.offset, pos);
        ASSERT_GT(e.length, 0u);
        if (e.kind != disk::ExtentKind::data) {
            EXPECT_TRUE(all_zero(std::span(expected).subspan(e.offset, e.length)))
                << "non-zero bytes in a " << disk::extent_kind_name(e.kind) << " extent at "
                << e.offset;
        }
        pos += e.length;
    }
    EXPECT_EQ(pos, r.virtual_size());
}

inline disk::ExtentKind kind_at(disk::DiskReader& r, uint64_t offset) {
    auto map = r.extents(offset, 1);
    EXPECT_TRUE(map && map->size() == 1);
    return map && !map->empty() ? map->front().kind : disk::ExtentKind::data;
}

inline Result<std::unique_ptr<io::File>> create_output(const std::string& path) {
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(Errc::io, "cannot create {}", path);
    }
    return io::adopt_fd(fd, path);
}

// Feeds `guest` to a writer the way the converter does: chunks aligned to the
// writer's granularity, all-zero chunks skipped, zero granules marked as zero
// runs; encode() on `threads` threads, write() in ascending order.
inline Result<void> write_image(const std::string& driver, io::File& file, const std::string& path,
                                const std::vector<std::byte>& guest, unsigned threads = 1,
                                uint64_t cluster_size = 0) {
    const disk::FormatDriver* d = disk::formats::find(driver);
    if (d == nullptr || d->create == nullptr) {
        return fail(Errc::usage, "no writable driver {}", driver);
    }
    disk::CreateContext ctx{&file, path, nullptr, {}};
    ctx.options.virtual_size = guest.size();
    ctx.options.cluster_size = cluster_size;
    OVFKIT_TRY_ASSIGN(auto writer, d->create(ctx));
    disk::WriterCaps caps = writer->capabilities();
    uint64_t g = caps.granularity;
    uint64_t chunk_size = std::max<uint64_t>(g, (k_mib / g) * g);
    std::vector<disk::Chunk> chunks;
    for (uint64_t off = 0; off < guest.size(); off += chunk_size) {
        uint64_t len = std::min<uint64_t>(chunk_size, guest.size() - off);
        auto bytes = std::span(guest).subspan(off, len);
        if (all_zero(bytes)) {
            continue;
        }
        disk::Chunk c;
        c.offset = off;
        c.data = bytes;
        for (uint64_t r = 0; r < len; r += g) {
            uint64_t n = std::min(g, len - r);
            bool zero = all_zero(bytes.subspan(r, n));
            disk::append_extent(
                c.runs, {off + r, n, zero ? disk::ExtentKind::zero : disk::ExtentKind::data});
        }
        chunks.push_back(std::move(c));
    }
    // Parallel middle.
    std::vector<std::thread> pool;
    std::vector<Result<void>> results(threads, Result<void>{});
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (size_t i = t; i < chunks.size(); i += threads) {
                auto r = writer->encode(chunks[i]);
                if (!r) {
                    results[t] = r;
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    for (auto& r : results) {
        OVFKIT_TRY(r);
    }
    for (const auto& c : chunks) {
        OVFKIT_TRY(writer->write(c));
    }
    return writer->finish();
}

inline Result<void> write_image_file(const std::string& driver, const std::string& path,
                                     const std::vector<std::byte>& guest, unsigned threads = 1,
                                     uint64_t cluster_size = 0) {
    OVFKIT_TRY_ASSIGN(auto file, create_output(path));
    return write_image(driver, *file, path, guest, threads, cluster_size);
}

inline std::vector<std::byte> write_image_mem(const std::string& driver,
                                              const std::vector<std::byte>& guest,
                                              uint64_t cluster_size = 0) {
    io::MemFile f("disk.img");
    auto ok = write_image(driver, f, "disk.img", guest, 1, cluster_size);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
    return f.data();
}

inline bool have_tool(const std::string& tool) {
    return run("command -v " + tool + " >/dev/null 2>&1") == 0;
}

// Runs an independent reader on trusted output, with a memory and CPU cap.
inline int run_tool(const std::string& command, std::string* out = nullptr) {
    return run("prlimit --as=2000000000 --cpu=60 " + command + " 2>&1", out);
}

inline uint64_t qemu_virtual_size(const std::string& fmt, const std::string& path) {
    std::string out;
    if (run_tool("qemu-img info -f " + fmt + " --output=json '" + path + "'", &out) != 0) {
        ADD_FAILURE() << out;
        return 0;
    }
    auto pos = out.find("\"virtual-size\":");
    if (pos == std::string::npos) {
        ADD_FAILURE() << out;
        return 0;
    }
    return std::stoull(out.substr(pos + 15));
}

} // namespace ovfkit::test
