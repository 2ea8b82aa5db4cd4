// The conversion pipeline: any reader into any writer.
//
//   oneTBB pipeline                                              writer thread
//   serial, in order      parallel                    serial     in order
//   walk the map, read ─► zero test per granule, ───► queue ───► writer.write()
//   data extents          writer.encode() (compress)
//
// The input stage walks the reader's allocation map window by window and cuts
// the guest disk into chunks aligned to the writer's granularity. Chunks that
// hold no data extent are never produced, and unallocated or zero extents
// inside a chunk are never read (their bytes are zero-filled in the buffer).
// Readers that allow concurrent reads are read in the parallel stage instead.
// The middle stage splits each chunk into runs of data and all-zero granules
// (the writer's granularity) and runs encode(); a chunk that turns out to be
// all zeros is dropped. The last stage queues chunks, in ascending offset
// order, for one writer thread: writes wait on the output device, and on
// their own thread they do not hold up a worker. A fixed number of chunks
// exists (oneTBB tokens plus as many waiting at the writer, each with one
// reusable page-aligned buffer), so memory is bounded by the chunk size, not
// by the disk size.
//
// The chunking depends only on the disk and the writer, never on the number
// of threads or on timing, so the output is byte for byte the same whatever
// `threads` is (tested with compressed outputs).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk {

struct ConvertOptions {
    unsigned threads = 0;    // worker threads; 0: the cores oneTBB sees
    uint64_t chunk_size = 0; // 0: 2 MiB rounded down to the writer's granularity (at least one)
    // The virtual size the writer was created with, when larger than the
    // reader's (a partial last sector padded to 512); 0: the reader's.
    uint64_t virtual_size = 0;
    // Called after each chunk (and at the end) with the guest bytes done and
    // the total, on one thread at a time, not necessarily the caller's.
    std::function<void(uint64_t done, uint64_t total)> progress;
    // Polled between chunks; when it becomes true the conversion stops with
    // an Errc::io error and the writer is left unfinished.
    const std::atomic<bool>* cancel = nullptr;
};

struct ConvertStats {
    uint64_t virtual_size = 0;  // guest bytes covered (the writer's virtual size)
    uint64_t bytes_read = 0;    // guest bytes read from the input (data extents only)
    uint64_t bytes_written = 0; // guest bytes handed to the writer as data runs
    uint64_t zero_bytes = 0;    // bytes read that were all-zero granules, not written
    uint64_t chunks = 0;        // chunks handed to the writer
    uint64_t chunk_size = 0;
    unsigned threads = 0;
    unsigned tokens = 0; // chunks in flight at most
    double seconds = 0;
};

// Copies the guest disk of `in` into `out` and calls out.finish(). On error
// the writer is left unfinished; the caller drops its outputs.
Result<ConvertStats> copy_disk(DiskReader& in, DiskWriter& out, const ConvertOptions& options = {});

struct ConvertRequest {
    std::string input;
    std::string input_format; // empty: detect
    std::string output;
    std::string output_format;
    bool compress = false;
    uint64_t cluster_size = 0; // 0: the format's default
    bool force = false;        // replace an existing output
    // `output` is an existing block device, written in place with raw output
    // (io::OutputSet::open_device); refused for any other output format and
    // when the device is smaller than the disk.
    bool to_device = false;
    // Write whole aligned pages of the output with O_DIRECT, past the page
    // cache, where the file system allows it (io::adopt_fd_direct).
    bool direct_io = true;
    OpenPolicy policy;
    ConvertOptions pipeline;
    DriverList drivers = formats::all();
};

struct OutputFile {
    std::string path;
    uint64_t size = 0;      // bytes (st_size)
    uint64_t allocated = 0; // bytes the file system stores (st_blocks x 512)
};

struct ConvertSummary {
    std::string input_format;  // as opened: the reader's best match
    std::string output_format; // the driver written
    ConvertStats stats;
    std::vector<OutputFile> files; // the main output first
    uint64_t output_size = 0;      // sum of the files' sizes
    uint64_t direct_bytes = 0;     // bytes written with O_DIRECT, past the page cache
    // The input's findings (Image::findings) and the conversion's own
    // (DISK-SIZE-ROUNDED); codes in docs/disk.md.
    std::vector<Finding> findings;
    // What a salvaged input (OpenPolicy::salvage) lacks: written as zeros.
    // Not empty means the output is not a complete copy.
    std::vector<MissingRange> missing;
};

// Converts the image at `input` into a new image at `output`, through an
// io::OutputSet: the output appears whole on success and not at all on error.
// An existing output is refused (Errc::refused) unless `force`; --compress
// for a format without compression and unknown or read-only formats are
// Errc::usage.
Result<ConvertSummary> convert_image(const ConvertRequest& request);

} // namespace ovfkit::disk
