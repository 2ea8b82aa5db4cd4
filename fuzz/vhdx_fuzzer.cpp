// libFuzzer target for the VHDX reader: every driver's probe, then open
// (headers, region tables, log replay in memory, metadata, BAT), the
// allocation map, bounded reads and check(). The input is the whole image in
// a MemFile; parent images are never followed (no directory). The virtual
// size is capped so that walking the map stays fast; reads stop after 8 MiB.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    std::span<const std::byte> all(reinterpret_cast<const std::byte*>(data), size);
    disk::ProbeInput probe{all.first(std::min(size, disk::k_probe_head)),
                           all.last(std::min(size, disk::k_probe_tail)), size};
    for (const disk::FormatDriver* d : disk::formats::all()) {
        if (d->probe != nullptr) {
            (void)d->probe(probe);
        }
    }
    const disk::FormatDriver* drv = disk::formats::find("vhdx");
    if (drv == nullptr) {
        return 0;
    }
    disk::OpenContext ctx{
        std::make_unique<io::MemFile>("fuzz.vhdx", std::vector<std::byte>(all.begin(), all.end())),
        nullptr, disk::OpenPolicy{}, 0};
    ctx.policy.max_virtual_size = uint64_t{256} << 20;
    auto reader = drv->open(ctx);
    if (!reader) {
        return 0;
    }
    disk::DiskReader& r = **reader;
    auto map = r.extents(0, r.virtual_size());
    if (map) {
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
    // Unaligned reads across block boundaries.
    if (r.virtual_size() > 1000) {
        std::vector<std::byte> odd(777);
        (void)r.read_at(r.virtual_size() / 2 - 300, odd);
    }
    Diagnostics diag;
    (void)r.check(diag);
    return 0;
}
