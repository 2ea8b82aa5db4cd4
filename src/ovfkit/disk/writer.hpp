// What every disk format writer offers.
//
// The converter cuts the guest disk into chunks (aligned to the writer's
// granularity), runs encode() on worker threads and write() on one thread in
// ascending offset order. Chunks are only produced for ranges that hold data:
// anything never written reads as zeros in every output format, so writers
// leave it unallocated (or as a hole). finish() writes trailing metadata
// (footers, tables, the end-of-stream marker).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/extent.hpp>

namespace ovfkit::disk {

// Format-specific output of encode() (compressed grains, ...).
struct EncodedChunk {
    virtual ~EncodedChunk() = default;
};

struct Chunk {
    uint64_t offset = 0;                   // guest offset, a multiple of the writer's granularity
    std::span<const std::byte> data;       // guest bytes; size is a multiple of the granularity,
                                           // except for the last chunk of the disk
    std::vector<Extent> runs;              // covers the chunk: `data` runs to store, `zero` runs
                                           // (all-zero granules found by the converter) to skip
    std::unique_ptr<EncodedChunk> encoded; // set by DiskWriter::encode, may stay null
};

// The granularity of formats that store data at any sector: all-zero runs
// are found per 4 KiB (qemu-img's default -S 4k), which keeps outputs sparse
// and keeps data writes in whole pages, so they can go past the page cache.
inline constexpr uint64_t k_page_granularity = 4096;

struct WriterCaps {
    bool sequential_only = false; // write() must see strictly ascending offsets
    uint64_t granularity = 512;   // chunk and run boundaries are multiples of this
};

class DiskWriter {
public:
    virtual ~DiskWriter() = default;

    virtual WriterCaps capabilities() const = 0;

    // Runs on worker threads, concurrently for different chunks. Must only
    // read immutable writer configuration.
    virtual Result<void> encode(Chunk& chunk) const {
        (void)chunk;
        return {};
    }

    // Runs on one thread, chunks in ascending offset order.
    virtual Result<void> write(const Chunk& chunk) = 0;

    // Completes the image. The writer must not be used afterwards.
    virtual Result<void> finish() = 0;
};

struct CreateOptions {
    uint64_t virtual_size = 0;
    bool compress = false;     // compressed clusters/grains where the format has them
    uint64_t cluster_size = 0; // grain / cluster / block size; 0 picks the format default
    // The output cannot hold holes and must not be truncated (a block device,
    // --to-device): every byte of the virtual size is written, zeros where
    // the disk has none. Only raw supports it.
    bool dense = false;
    // The image's own identity, where the format stamps one (VDI's creation
    // UUID); nullopt: a fresh random one. Set when a config names the disk
    // by it (a .vbox media registry entry must equal the VDI header's).
    std::optional<Uuid> uuid = std::nullopt;
};

} // namespace ovfkit::disk
