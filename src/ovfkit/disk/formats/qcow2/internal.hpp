// QCOW2 driver internals shared by reader.cpp (reader, driver entry),
// check.cpp (refcount verification) and writer.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/qcow2/layout.hpp>

struct libdeflate_decompressor;
struct ZSTD_DCtx_s;

namespace ovfkit::disk::formats::qcow2 {

// How one guest cluster is stored.
enum class ClusterKind { unallocated, zero, normal, compressed };

struct ClusterMap {
    ClusterKind kind = ClusterKind::unallocated;
    uint64_t host = 0;   // normal: cluster offset; compressed: stream byte offset
    uint64_t length = 0; // compressed: bytes from `host` the descriptor covers
    uint64_t run = 1;    // this many clusters from here map the same way (whole
                         // unallocated L2 ranges), for fast allocation maps
};

// The parsed, validated header (version 2 fields default as the spec says).
struct Header {
    uint32_t version = 0;
    uint32_t cluster_bits = 0;
    uint64_t cluster_size = 0;
    uint64_t size = 0;
    uint32_t l1_size = 0;
    uint64_t l1_table_offset = 0;
    uint64_t refcount_table_offset = 0;
    uint32_t refcount_table_clusters = 0;
    uint32_t nb_snapshots = 0;
    uint64_t snapshots_offset = 0;
    uint64_t incompatible = 0;
    uint64_t compatible = 0;
    uint64_t autoclear = 0;
    uint32_t refcount_order = 4;
    uint32_t header_length = k_header_v2_length;
    uint64_t backing_file_offset = 0;
    uint32_t backing_file_size = 0;
    bool has_bitmaps_extension = false;
    uint8_t compression_type = 0; // k_compression_zlib or k_compression_zstd
};

// A read-only QCOW2 image: the active L1/L2 mapping, compressed clusters and
// an optional backing reader for unallocated clusters.
class Reader final : public DiskReader {
public:
    Reader(std::unique_ptr<io::File> file, uint64_t file_size, Header header);
    ~Reader() override;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    const DiskInfo& info() const override { return m_info; }
    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override;
    // Rebuilds every reference from the active L1/L2 tables and compares it
    // with the stored refcounts (check.cpp).
    Result<void> check(Diagnostics& diag) override;

    // Reads and validates the active L1 table; part of opening. Every L2
    // table it names, the refcount table and every refcount block must lie
    // inside the file (a truncated image); with `salvage`, an L2 table past
    // the end makes its guest range missing instead (read as zeros).
    Result<void> load_l1(bool salvage = false);
    // Takes the backing image, and its findings after this image's.
    void set_parent(std::unique_ptr<DiskReader> parent) {
        if (parent) {
            add_findings(*parent);
        }
        m_parent = std::move(parent);
    }
    void add_warning(std::string code, std::string message) {
        add_finding(std::move(code), std::move(message), m_file->name());
    }
    DiskInfo& mutable_info() { return m_info; }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override;

private:
    struct L2Slot {
        uint64_t l1_index = UINT64_MAX;
        uint64_t last_use = 0;
        std::vector<uint64_t> entries;
    };

    // The mapping of guest cluster `cluster` (index, not offset).
    Result<ClusterMap> lookup(uint64_t cluster);
    Result<const L2Slot*> load_l2(uint64_t l1_index);
    Result<ClusterMap> decode_l2_entry(uint64_t l1_index, uint64_t l2_index, uint64_t l2_offset,
                                       uint64_t entry) const;
    Result<void> read_compressed(const ClusterMap& map, uint64_t cluster);
    Result<void> read_parent(uint64_t offset, std::span<std::byte> out);
    Result<void> read_host(uint64_t host, std::span<std::byte> out);

    // Helpers of check() (check.cpp).
    struct CheckState;
    Result<void> check_references(CheckState& st, Diagnostics& diag);
    Result<void> check_refcounts(CheckState& st, Diagnostics& diag);

    std::unique_ptr<io::File> m_file;
    uint64_t m_file_size;
    Header m_h;
    uint64_t m_cluster_size;
    uint64_t m_l2_entries;
    CompressedLayout m_comp;
    std::vector<uint64_t> m_l1; // the entries that cover the virtual size
    std::vector<L2Slot> m_l2_cache;
    uint64_t m_use_clock = 0;
    std::unique_ptr<DiskReader> m_parent;
    DiskInfo m_info;

    // The last decompressed cluster, keyed by its stream offset.
    uint64_t m_cbuf_host = UINT64_MAX;
    std::vector<std::byte> m_cbuf;
    std::vector<std::byte> m_cin;
    libdeflate_decompressor* m_inflater = nullptr;
    ZSTD_DCtx_s* m_zstd = nullptr;

    // Decompress m_cin into m_cbuf (a cluster and one byte, so that a
    // stream longer than a cluster shows): the bytes produced, nullopt when
    // the stream is not valid.
    Result<std::optional<size_t>> inflate_deflate();
    Result<std::optional<size_t>> inflate_zstd();
};

// Renders untrusted text (names from the image) for one-line messages:
// control characters and non-ASCII bytes become \xNN.
std::string printable(std::string_view text);

// The writer (writer.cpp).
Result<std::unique_ptr<DiskWriter>> create_writer(CreateContext& ctx);

} // namespace ovfkit::disk::formats::qcow2
