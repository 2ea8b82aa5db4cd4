// Guest-visible comparison of two disks.
//
// Two disks are identical when a guest reading them sees the same bytes,
// whatever their formats, allocation or compression. Ranges unallocated (or
// zero) in both are skipped without reading; a range stored in one and not
// the other must read as zeros.
//
// Different virtual sizes (a VHD rounded up to whole MiB, a partial sector
// padded to 512): by default the common part is compared and the rest of the
// larger disk must read as zeros, as `qemu-img compare` does without -s; the
// result says the sizes differ. With `strict`, different sizes are a
// difference at the smaller size.
#pragma once

#include <atomic>
#include <functional>
#include <optional>

#include <ovfkit/disk/reader.hpp>

namespace ovfkit::disk {

struct CompareOptions {
    bool strict = false; // different virtual sizes are a difference
    // Guest bytes of the larger disk done, and its size.
    std::function<void(uint64_t done, uint64_t total)> progress;
    // Polled once per window; when it becomes true the comparison stops with
    // an Errc::io error.
    const std::atomic<bool>* cancel = nullptr;
};

struct CompareResult {
    bool identical = false;
    // The first byte offset at which the guest sees different bytes.
    std::optional<uint64_t> first_difference;
    bool sizes_differ = false;
    bool difference_beyond_common = false; // first_difference lies past the smaller size
    uint64_t size_a = 0;
    uint64_t size_b = 0;
    uint64_t bytes_read = 0; // guest bytes read from both disks
};

Result<CompareResult> compare_disks(DiskReader& a, DiskReader& b,
                                    const CompareOptions& options = {});

} // namespace ovfkit::disk
