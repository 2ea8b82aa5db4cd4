// The body every format reader's fuzz target shares: each driver's probe on
// the input, then one driver opens it from a MemFile with no directory (so
// nothing it names, parents or extents, is ever opened), walks the whole
// allocation map, reads data extents (8 MiB at most in total, plus one
// unaligned read across the middle of the disk) and runs check(). The
// virtual size is capped at 256 MiB so that walking the map stays fast.
// Inputs whose last byte is odd are opened with OpenPolicy::salvage (a
// truncated image reads as far as it goes); the missing ranges it lists
// must lie inside the disk.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

namespace ovfkit::fuzz {

inline int read_image(const char* driver, const uint8_t* data, size_t size) {
    std::span<const std::byte> all(reinterpret_cast<const std::byte*>(data), size);
    disk::ProbeInput probe{all.first(std::min(size, disk::k_probe_head)),
                           all.last(std::min(size, disk::k_probe_tail)), size};
    for (const disk::FormatDriver* d : disk::formats::all()) {
        if (d->probe != nullptr) {
            (void)d->probe(probe);
        }
    }
    const disk::FormatDriver* drv = disk::formats::find(driver);
    if (drv == nullptr) {
        return 0;
    }
    disk::OpenContext ctx{
        std::make_unique<io::MemFile>(std::string("fuzz.") + driver,
                                      std::vector<std::byte>(all.begin(), all.end())),
        nullptr, disk::OpenPolicy{}, 0};
    ctx.policy.max_virtual_size = uint64_t{256} << 20;
    ctx.policy.salvage = size > 0 && (data[size - 1] & 1) != 0;
    auto reader = drv->open(ctx);
    if (!reader) {
        return 0;
    }
    disk::DiskReader& r = **reader;
    for (const auto& m : r.missing()) {
        if (m.offset > r.virtual_size() || m.length > r.virtual_size() - m.offset) {
            __builtin_trap(); // a missing range outside the disk
        }
    }
    if (auto map = r.extents(0, r.virtual_size())) {
        uint64_t budget = uint64_t{8} << 20;
        std::vector<std::byte> buf(64 * 1024);
        for (const auto& e : *map) {
            for (uint64_t off = e.offset; off < e.offset + e.length && budget > 0;) {
                uint64_t n = std::min<uint64_t>({buf.size(), e.offset + e.length - off, budget});
                if (!r.read_at(off, std::span(buf).first(static_cast<size_t>(n)))) {
                    break;
                }
                off += n;
                budget -= n;
            }
        }
    }
    // Unaligned reads across cluster, grain and block boundaries.
    if (r.virtual_size() > 1000) {
        std::vector<std::byte> odd(777);
        (void)r.read_at(r.virtual_size() / 2 - 300, odd);
    }
    Diagnostics diag;
    (void)r.check(diag);
    return 0;
}

} // namespace ovfkit::fuzz
