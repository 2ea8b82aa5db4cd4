// What every disk format reader offers.
//
// A reader exposes the guest-visible disk: its virtual size, an allocation
// map and positional reads. Reads of unallocated or zero extents return
// zeros; reads never write the input (SECURITY.md R18). Readers are not
// thread-safe unless concurrent_reads() says so: the converter reads from one
// thread, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/extent.hpp>

namespace ovfkit::disk {

struct DiskInfo {
    std::string format;                // a driver name from the registry, e.g. "vmdk-stream"
    uint64_t virtual_size = 0;         // bytes the guest sees
    uint64_t allocated_size = 0;       // bytes of guest data the image stores
    uint64_t cluster_size = 0;         // grain / block / cluster in bytes (0: not applicable)
    bool dirty = false;                // VHDX log to replay, qcow2 dirty bit, ...
    std::optional<std::string> parent; // backing / parent file name, as stored
    std::vector<std::string> files;    // every file the image consists of, the image itself
                                       // first (then extents, parents)
};

// Guest bytes an image promises but does not hold: the structure that would
// hold them (a block, grain, table, the end of a stream) lies past the end of
// the file. Only with OpenPolicy::salvage; they read as zeros.
struct MissingRange {
    uint64_t offset = 0; // guest offset
    uint64_t length = 0; // 0: a structure without guest data is missing
    std::string what;    // "payload block 3 at file offset 7340032 ... past the end ..."
    bool operator==(const MissingRange&) const = default;
};

class DiskReader {
public:
    virtual ~DiskReader() = default;

    virtual const DiskInfo& info() const = 0;
    uint64_t virtual_size() const { return info().virtual_size; }

    // The allocation map of [offset, offset+length), clipped to the virtual
    // size, as contiguous non-overlapping extents in ascending order that
    // cover the whole range.
    virtual Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) = 0;

    // Reads guest bytes at `offset`. A range that does not lie within the
    // virtual size fails with Errc::usage, "<image>: read of N bytes at offset
    // O beyond the virtual size V", before the driver sees it; otherwise the
    // driver's read_range() reads, and fails with an error naming the
    // structure and offset on corrupt metadata. Drivers read their parents
    // through this function too, so every request is checked in one place.
    Result<void> read_at(uint64_t offset, std::span<std::byte> out);

    // True when read_at() may run on several threads at once (positional
    // reads with no shared mutable state); the converter then reads in its
    // parallel stage. Metadata lookups (extents()) stay on one thread.
    virtual bool concurrent_reads() const { return false; }

    // What opening found that the caller should show (severity warning,
    // a stable code documented in docs/disk.md, e.g. DISK-VHD-FOOTER-TORN):
    // a fallback taken, a log replayed in memory, a dirty image. A chain's
    // parents' findings are included.
    const std::vector<Finding>& findings() const { return m_findings; }

    // Structural consistency checks beyond what opening does (tables inside
    // the file, no overlaps, refcounts, checksums). Adds findings; returns an
    // error only when checking itself could not proceed.
    virtual Result<void> check(Diagnostics& diag) {
        (void)diag;
        return {};
    }

    // The guest ranges read as zeros because the file ends before the
    // structures that hold them (OpenPolicy::salvage), in ascending order.
    // Empty without salvage: such an image fails to open. A chain's parents'
    // ranges are not included (a parent is never salvaged).
    const std::vector<MissingRange>& missing() const { return m_missing; }

protected:
    // Reads guest bytes of [offset, offset + out.size()), a non-empty range
    // that read_at() has checked lies within the virtual size.
    virtual Result<void> read_range(uint64_t offset, std::span<std::byte> out) = 0;

    // Records a warning of opening, for findings().
    void add_finding(std::string code, std::string message, std::string file) {
        m_findings.push_back(
            {Severity::warning, std::move(code), std::move(message), std::move(file), 0});
    }
    // Adds a parent's findings after this image's.
    void add_findings(const DiskReader& parent) {
        m_findings.insert(m_findings.end(), parent.m_findings.begin(), parent.m_findings.end());
    }

    // Records a missing guest range (the caller clips it to the virtual
    // size), keeping the list in ascending order. An empty range records a
    // missing structure that holds no guest data (a refcount table): the
    // image is still incomplete.
    void add_missing(uint64_t offset, uint64_t length, std::string what);

private:
    std::vector<Finding> m_findings;
    std::vector<MissingRange> m_missing;
};

} // namespace ovfkit::disk
