// Helpers shared by the disk tests: guest patterns, opening images through a
// driver, and writing a guest disk through a driver with the real converter
// (disk::copy_disk over an in-memory reader).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

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

// Writes `guest` through the driver named `driver` into `file` with the
// converter itself (disk::copy_disk: its chunking, zero detection, parallel
// encode and ordered writes), on `threads` threads.
Result<void> write_image(const std::string& driver, io::File& file, const std::string& path,
                         const std::vector<std::byte>& guest, unsigned threads = 1,
                         uint64_t cluster_size = 0);

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

} // namespace ovfkit::test
