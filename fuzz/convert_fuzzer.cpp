// libFuzzer target for detection and the conversion pipeline: the input is
// detected over every registered driver (as `ovfkit disk convert` does
// without -f), opened from memory with no directory (nothing it names is
// followed), converted by copy_disk() on two threads into a writer that
// checks the chunk contract and discards the bytes, and compared with a
// second reader of the same bytes. Virtual sizes are capped so that one input
// stays fast; hostile maps and reads must fail cleanly, never crash or hang.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <ovfkit/disk/compare.hpp>
#include <ovfkit/disk/convert.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/mem_file.hpp>

namespace {

using namespace ovfkit;

class DiscardWriter final : public disk::DiskWriter {
public:
    explicit DiscardWriter(uint64_t size) : m_size(size) {}
    disk::WriterCaps capabilities() const override { return {false, 4096}; }
    Result<void> write(const disk::Chunk& c) override {
        // The converter's contract: aligned, in order, inside the disk,
        // runs covering the chunk.
        uint64_t pos = c.offset;
        bool ok = c.offset % 4096 == 0 && c.offset >= m_next && c.data.size() <= m_size &&
                  c.offset <= m_size - c.data.size();
        for (const auto& r : c.runs) {
            ok = ok && r.offset == pos && r.length > 0;
            pos += r.length;
        }
        if (!ok || pos != c.offset + c.data.size()) {
            std::abort();
        }
        m_next = pos;
        return {};
    }
    Result<void> finish() override { return {}; }

private:
    uint64_t m_size;
    uint64_t m_next = 0;
};

Result<std::unique_ptr<disk::DiskReader>> open_mem(const disk::FormatDriver& d,
                                                   std::span<const std::byte> bytes) {
    disk::OpenContext ctx{std::make_unique<io::MemFile>(
                              "fuzz.img", std::vector<std::byte>(bytes.begin(), bytes.end())),
                          nullptr, disk::OpenPolicy{}, 0};
    ctx.policy.max_virtual_size = uint64_t{64} << 20;
    return d.open(ctx);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const std::byte> all(reinterpret_cast<const std::byte*>(data), size);
    disk::ProbeInput probe{all.first(std::min(size, disk::k_probe_head)),
                           all.last(std::min(size, disk::k_probe_tail)), size};
    auto driver = disk::detect_format(probe, disk::formats::all(), "fuzz.img");
    if (!driver || (*driver)->open == nullptr) {
        return 0;
    }
    auto a = open_mem(**driver, all);
    auto b = open_mem(**driver, all);
    if (!a || !b) {
        return 0;
    }
    DiscardWriter out((*a)->virtual_size());
    disk::ConvertOptions options;
    options.threads = 2;
    options.chunk_size = 64 * 1024;
    (void)disk::copy_disk(**a, out, options);
    (void)disk::compare_disks(**a, **b);
    return 0;
}
