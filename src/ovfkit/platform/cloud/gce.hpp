// The gce target's pieces (target.hpp): the plan mapping and the archive
// writer, formats/clouds.md 4.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::cloud {

// One virtual system, its boot disk only (a Compute Engine image is one
// disk), rounded up to a whole GiB, at most 2048 GiB as a boot disk.
void map_gce(PlanVm& vm, const MapContext& context, PlanNotes& notes);

struct GceArchiveOptions {
    uint64_t real_size = 0; // disk.raw's size (at least the disk's); 0: the disk's
    uint64_t mtime = 0;     // the member's time
    int level = 3;          // gzip level: Google's own exporter's default ([CIT])
    unsigned threads = 0;   // gzip workers; 0: one per core
    bool force = false;     // replace an existing archive
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(uint64_t done, uint64_t total)> progress;
};

struct GceArchiveReport {
    uint64_t real_size = 0;     // disk.raw's size
    uint64_t data_bytes = 0;    // bytes the member stores (its data segments)
    uint64_t segments = 0;      // sparse map entries (the trailing hole's included)
    uint64_t archive_bytes = 0; // the tar stream, before gzip
    uint64_t gzip_bytes = 0;    // the file written
};

// The .tar.gz holding the disk of `reader` as a sparse `disk.raw`, written
// front to back into `out` (empty): the sparse map found first
// (sparse_tar.hpp), then the tar stream through the parallel gzip sink.
Result<GceArchiveReport> write_gce_stream(disk::DiskReader& reader, io::File& out,
                                          const GceArchiveOptions& options = {});

// The same into `path` through an io::OutputSet: the archive appears whole
// or not at all.
Result<GceArchiveReport> write_gce_archive(disk::DiskReader& reader, const std::string& path,
                                           const GceArchiveOptions& options = {});

// The gce target's write_archive: the plan's one disk (map_gce keeps the
// boot disk only) as disk.raw of its planned size.
Result<void> write_gce_job(const ArchiveJob& job);

} // namespace ovfkit::platform::cloud
