// libFuzzer target for the VMDK reader: descriptor parsing, sparse header and
// footer checks, grain directory and tables, the stream marker walk,
// compressed-grain inflation and the allocation map. The input is the whole
// file, held in a MemFile; there is no directory, so extent files and parents
// are never opened. The virtual size is capped so that walking the map stays
// fast; reads cover the first data extents only, bounded in total.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    // "vmdk" opens every VMDK variant: sparse, stream and descriptor files.
    const disk::FormatDriver* drv = disk::formats::find("vmdk");
    if (drv == nullptr) {
        return 0;
    }
    std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                                 reinterpret_cast<const std::byte*>(data) + size);
    disk::OpenContext ctx{std::make_unique<io::MemFile>("fuzz.vmdk", std::move(bytes)), nullptr,
                          disk::OpenPolicy{}, 0};
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
    Diagnostics diag;
    (void)r.check(diag);
    return 0;
}
