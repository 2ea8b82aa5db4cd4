// Declarations shared by the VHDX reader (reader.cpp), the log replay
// (log.cpp) and the writer (writer.cpp). Not a public interface.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/vhdx/layout.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::disk::formats::vhdx {

// CRC-32C of `bytes` computed as if the 4-byte checksum field at
// `field_offset` were zero (headers, region tables, log entries).
uint32_t checksum_with_field_zeroed(std::span<const std::byte> bytes, size_t field_offset);

// The effect of replaying a log, kept in memory so the input file is never
// written (SECURITY.md R18): 4 KiB sectors written by data descriptors and
// ranges cleared by zero descriptors, in their final state after all entries.
class LogOverlay {
public:
    // Records a zero descriptor: [offset, end) reads as zeros from now on.
    void zero(uint64_t offset, uint64_t end);
    // Records a data descriptor: the 4 KiB sector at `offset` reads as `sector`.
    void put(uint64_t offset, const std::array<std::byte, k_log_sector_size>& sector);
    // Patches `out`, the file's bytes at `offset`, with the replayed state.
    void apply(uint64_t offset, std::span<std::byte> out) const;

    bool empty() const { return m_sectors.empty() && m_zeros.empty(); }
    size_t sector_count() const { return m_sectors.size(); }

    // The file size after replay: the largest last_file_offset of the
    // replayed entries (0 when nothing was replayed).
    uint64_t end_offset = 0;
    // Number of log entries replayed and the sequence number of the last.
    uint64_t entries = 0;
    uint64_t last_sequence = 0;

private:
    // Invariant: a sector in m_sectors is newer than any zero range covering
    // it, because zero() erases the sectors it covers.
    std::map<uint64_t, std::array<std::byte, k_log_sector_size>> m_sectors;
    std::map<uint64_t, uint64_t> m_zeros; // start -> end, disjoint, not adjacent
};

// The largest log replayed in memory; larger pending logs are refused.
inline constexpr uint64_t k_max_replay_log = 64 * k_mib;

// Finds the active sequence of a non-empty log (header.log_guid not zero) and
// replays it into an overlay. Fails with Errc::refused, naming the entry and
// its log offset, when an entry is structurally impossible or its effects
// would reach the header section or the log; with a hint to replay the log
// in Hyper-V or qemu-img when the log is too large to replay in memory.
Result<LogOverlay> replay_log(io::File& file, const Header& header, uint64_t file_size);

// The hint appended to refusals of a pending log.
inline constexpr std::string_view k_log_hint =
    "open it once in Hyper-V or run `qemu-img check -r all -f vhdx` on a copy";

// Reader entry point (reader.cpp).
Result<std::unique_ptr<DiskReader>> open(OpenContext& ctx);

// Writer entry points (writer.cpp).
Result<std::unique_ptr<DiskWriter>> create_dynamic(CreateContext& ctx);
Result<std::unique_ptr<DiskWriter>> create_fixed(CreateContext& ctx);

} // namespace ovfkit::disk::formats::vhdx
