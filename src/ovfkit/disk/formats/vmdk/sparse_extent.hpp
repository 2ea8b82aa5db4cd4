// Reading one hosted sparse extent (`KDMV`): monolithicSparse files, the
// -sNNN.vmdk files of twoGbMaxExtentSparse, and streamOptimized files.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/extent.hpp>
#include <ovfkit/disk/formats/vmdk/layout.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/file.hpp>

struct libdeflate_decompressor;

namespace ovfkit::disk::formats::vmdk {

// Grain tables of all extents of one disk may not need more memory than this.
inline constexpr uint64_t k_max_grain_table_bytes = uint64_t{256} << 20;
// qemu's bound on the grain directory.
inline constexpr uint64_t k_max_grain_tables = uint64_t{32} << 20;
// Largest grain accepted: 2048 sectors = 1 MiB (qemu allows 1 GiB, which
// lets a file force a 1 GiB allocation per grain).
inline constexpr uint64_t k_max_grain_sectors = 2048;
// Largest embedded descriptor area accepted, in sectors (1 MiB).
inline constexpr uint64_t k_max_descriptor_sectors = 2048;

// Checks the fields of a sparse header (or stream footer) read at byte
// `at` of `file_name`, whose size is `file_size`. Fails naming the field.
Result<void> validate_header(const SparseHeader& h, uint64_t at, uint64_t file_size,
                             const std::string& file_name);

class SparseExtent {
public:
    ~SparseExtent();
    SparseExtent(const SparseExtent&) = delete;
    SparseExtent& operator=(const SparseExtent&) = delete;

    // Validates the header, locates the grain directory (for stream files
    // through the footer, or by walking the markers when there is none), and
    // loads every grain table, checking each entry against the file. A
    // stream file without its footer must end with an end-of-stream marker
    // after every grain; one cut short fails, or with `salvage` keeps the
    // grains it holds and lists the rest in missing().
    static Result<std::unique_ptr<SparseExtent>> open(std::unique_ptr<io::File> file,
                                                      bool salvage = false);

    // Extent-relative guest ranges a truncated stream does not hold (salvage).
    const std::vector<MissingRange>& missing() const { return m_missing; }

    // The embedded descriptor text (up to the first NUL), empty when none.
    const std::string& embedded_descriptor() const { return m_descriptor; }
    uint64_t descriptor_file_offset() const { return m_header.descriptor_offset * k_sector; }

    const SparseHeader& header() const { return m_header; }
    uint64_t capacity_bytes() const { return m_capacity_bytes; }
    uint64_t grain_bytes() const { return m_grain_bytes; }
    bool compressed() const { return m_compressed; }
    uint64_t allocated_bytes() const { return m_allocated_bytes; }
    io::File& file() { return *m_file; }

    // Appends the allocation map of extent-relative [offset, offset+length)
    // to `out`, shifted by `base`.
    void map(uint64_t offset, uint64_t length, uint64_t base, std::vector<Extent>& out) const;

    // Reads extent-relative bytes (within the capacity).
    Result<void> read(uint64_t offset, std::span<std::byte> out);

private:
    explicit SparseExtent(std::unique_ptr<io::File> file) : m_file(std::move(file)) {}

    Result<void> load_footer(uint64_t file_size);
    Result<bool> try_footer_at(uint64_t pos, uint64_t file_size);
    Result<void> load_tables(uint64_t file_size);
    Result<void> walk_markers(uint64_t file_size);
    Result<void> check_gte(uint64_t grain, uint32_t gte, uint64_t file_size,
                           const std::string& where);
    uint32_t gte(uint64_t grain) const;
    Result<void> inflate_grain(uint64_t grain, uint32_t gte);
    std::string grain_where(uint64_t grain, uint32_t gte) const;

    std::unique_ptr<io::File> m_file;
    SparseHeader m_header{};
    std::string m_descriptor;
    uint64_t m_capacity_bytes = 0;
    uint64_t m_grain_bytes = 0;
    uint64_t m_grains = 0;
    uint64_t m_num_gts = 0;
    uint64_t m_allocated_bytes = 0;
    bool m_compressed = false;
    bool m_zeroed_gte = false;
    bool m_salvage = false;
    std::vector<MissingRange> m_missing;
    uint64_t m_file_size = 0;            // salvage: grains end here
    std::unordered_set<uint64_t> m_lost; // salvage: compressed grains cut off
    // GT t's entries are m_pool[m_gt_slot[t] * 512 ...]; k_no_gt when absent.
    static constexpr uint32_t k_no_gt = 0xffffffff;
    std::vector<uint32_t> m_gt_slot;
    std::vector<uint32_t> m_pool;
    // The last inflated grain (the converter reads in order, often in pieces
    // smaller than a grain).
    libdeflate_decompressor* m_inflater = nullptr;
    uint64_t m_cached_grain = ~uint64_t{0};
    std::vector<std::byte> m_grain;
    std::vector<std::byte> m_compressed_buf;
};

} // namespace ovfkit::disk::formats::vmdk
