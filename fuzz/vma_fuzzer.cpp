// libFuzzer target for the VMA structures (platform/proxmox/vma.cpp): the
// input is an archive in memory; its header is parsed and its extents
// walked as stage_vma walks them. What parses keeps the format's promises
// (devices 1-254 with a name and a size within the cap, entries inside
// their device, block counts that match the data); an error is one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include <ovfkit/platform/proxmox/vma.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    using namespace ovfkit::platform::proxmox;
    auto bytes = std::as_bytes(std::span(data, size));
    auto one_line = [](const Error& e) {
        if (e.message.empty() || e.message.find('\n') != std::string::npos) {
            std::abort();
        }
    };
    auto hsize = vma_header_size(bytes, "fuzz.vma");
    if (!hsize) {
        one_line(hsize.error());
        return 0;
    }
    if (*hsize > size) {
        return 0;
    }
    auto header = parse_vma_header(bytes.first(*hsize), "fuzz.vma");
    if (!header) {
        one_line(header.error());
        return 0;
    }
    uint64_t total = 0;
    for (const auto& d : header->devices) {
        if (d.id == 0 || d.id > 254 || d.name.empty() || d.size == 0) {
            std::abort();
        }
        total += d.size;
    }
    if (total > k_vma_max_device) {
        std::abort();
    }
    size_t offset = *hsize;
    while (offset + k_vma_extent_header <= size) {
        auto ext = parse_vma_extent(bytes.subspan(offset, k_vma_extent_header), *header, offset,
                                    "fuzz.vma");
        if (!ext) {
            one_line(ext.error());
            return 0;
        }
        unsigned blocks = 0;
        for (const auto& e : ext->entries) {
            const VmaDevice* dev = header->device(e.dev_id);
            if (dev == nullptr || e.cluster >= dev->clusters()) {
                std::abort();
            }
            blocks += static_cast<unsigned>(__builtin_popcount(e.mask));
        }
        if (blocks != ext->block_count || blocks > k_vma_max_blocks) {
            std::abort();
        }
        offset += k_vma_extent_header + size_t{blocks} * k_vma_block;
    }
    return 0;
}
