// libFuzzer target for the VDI reader: header, block map (free and zero
// entries), the allocation map and check(). The shared body is in
// reader_target.hpp. An input that starts with "VDICHAIN" and a
// little-endian u32 length N is a differencing chain: the N bytes after
// the length are the image opened, the rest its one supplied parent
// (formats/vdi/parents.hpp), so the parent checks and the reads that fall
// through to the parent are fuzzed too.
#include <cstring>

#include "reader_target.hpp"

#include <ovfkit/disk/formats/vdi/parents.hpp>

namespace {

int read_chain(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    constexpr size_t k_head = 12;
    uint32_t n = 0;
    std::memcpy(&n, data + 8, 4); // little-endian hosts only (x86, arm64)
    size_t child = std::min<size_t>(n, size - k_head);
    const auto* at = reinterpret_cast<const std::byte*>(data + k_head);
    disk::OpenContext ctx{
        std::make_unique<io::MemFile>("fuzz.vdi", std::vector<std::byte>(at, at + child)), nullptr,
        disk::OpenPolicy{}, 0};
    ctx.policy.allow_parent = true;
    ctx.policy.max_virtual_size = uint64_t{256} << 20;
    std::vector<std::unique_ptr<io::File>> parents;
    parents.push_back(std::make_unique<io::MemFile>(
        "fuzz-parent.vdi", std::vector<std::byte>(at + child, at + (size - k_head))));
    auto reader = disk::formats::vdi::open_on_parents(ctx, std::move(parents));
    if (!reader) {
        return 0;
    }
    disk::DiskReader& r = **reader;
    auto map = r.extents(0, r.virtual_size());
    if (!map) {
        return 0;
    }
    uint64_t budget = uint64_t{8} << 20;
    std::vector<std::byte> buf(64 * 1024);
    for (const auto& e : *map) {
        if (e.offset + e.length > r.virtual_size()) {
            __builtin_trap(); // an extent outside the disk
        }
        for (uint64_t off = e.offset; off < e.offset + e.length && budget > 0;) {
            uint64_t len = std::min<uint64_t>({buf.size(), e.offset + e.length - off, budget});
            if (!r.read_at(off, std::span(buf).first(static_cast<size_t>(len)))) {
                break;
            }
            off += len;
            budget -= len;
        }
    }
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= 12 && std::memcmp(data, "VDICHAIN", 8) == 0) {
        return read_chain(data, size);
    }
    return ovfkit::fuzz::read_image("vdi", data, size);
}
