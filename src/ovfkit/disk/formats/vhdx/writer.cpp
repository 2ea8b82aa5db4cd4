// VHDX writers: dynamic ("vhdx") and fixed ("vhdx-fixed").
//
// Layout, 1 MiB-aligned like the files Hyper-V creates:
//   0        header section: identifier, header 1, header 2, region table x2
//   1 MiB    log (1 MiB, empty: log_guid stays zero, nothing to replay)
//   2 MiB    metadata region (1 MiB): table, then the five required items
//   3 MiB    BAT region, rounded up to 1 MiB, sized for the virtual size
//   ...      payload blocks
//
// Dynamic: a payload block is allocated on the first write that touches it,
// appended after the last one (the converter writes in ascending order, so
// blocks land in guest order); blocks never written stay NOT_PRESENT and read
// as zeros. Every allocated block is whole in the file, even the last one.
// Fixed: every block is FULLY_PRESENT at data_start + index * block_size and
// the file is extended to its full size up front (sparse where the file
// system allows); LeaveBlocksAllocated is set.
//
// The BAT, metadata, region tables and headers are written by finish(),
// headers last, so an interrupted conversion never leaves a file that opens.
// The log is not used: an offline writer has no crash to recover from.
// Interleaved sector-bitmap BAT entries stay SB_BLOCK_NOT_PRESENT; their
// positions follow the chunk ratio exactly (the FreeBSD mkimg bug above
// 4 GiB was writing payload entries there).
//
// Defaults: 32 MiB blocks (Hyper-V's default for dynamic disks), 512-byte
// logical and physical sectors (what converted guests were installed on).
#include <algorithm>
#include <cstring>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/formats/vhdx/internal.hpp>

#ifndef OVFKIT_VERSION
#define OVFKIT_VERSION "0"
#endif

namespace ovfkit::disk::formats::vhdx {

namespace {

constexpr uint64_t k_default_block_size = 32 * k_mib;
constexpr uint32_t k_sector_size = 512;
constexpr uint64_t k_log_offset = k_mib;
constexpr uint64_t k_log_length = k_mib;
constexpr uint64_t k_metadata_offset = 2 * k_mib;
constexpr uint64_t k_metadata_length = k_mib;
constexpr uint64_t k_bat_offset = 3 * k_mib;

// A fresh random GUID, in the byte order VHDX stores.
Result<Guid> random_guid() {
    OVFKIT_TRY_ASSIGN(Uuid id, random_uuid());
    const Uuid g = as_guid_bytes(id);
    Guid out;
    std::memcpy(out.bytes.data(), g.data(), g.size());
    return out;
}

template <class T>
std::span<const std::byte> bytes_of(const T& v) {
    return {reinterpret_cast<const std::byte*>(&v), sizeof(T)};
}

class VhdxWriter final : public DiskWriter {
public:
    VhdxWriter(io::File& file, uint64_t virtual_size, uint64_t block_size, bool fixed)
        : m_file(file), m_virtual_size(virtual_size), m_block_size(block_size), m_fixed(fixed) {
        m_chunk_ratio = (k_sectors_per_chunk * k_sector_size) / m_block_size;
        m_payload_blocks = div_round_up(m_virtual_size, m_block_size);
        const uint64_t entries = m_payload_blocks + (m_payload_blocks - 1) / m_chunk_ratio;
        m_bat.assign(entries, 0);
        m_bat_length = div_round_up(entries * 8, k_mib) * k_mib;
        m_data_start = k_bat_offset + m_bat_length;
        m_next_free = m_data_start;
    }

    Result<void> init() {
        if (m_fixed) {
            for (uint64_t b = 0; b < m_payload_blocks; ++b) {
                m_bat[bat_index(b)] = (m_data_start + b * m_block_size) | k_payload_fully_present;
            }
            m_next_free = m_data_start + m_payload_blocks * m_block_size;
            OVFKIT_TRY(m_file.truncate(m_next_free));
        }
        return {};
    }

    WriterCaps capabilities() const override {
        return {.sequential_only = false, .granularity = k_page_granularity};
    }

    Result<void> write(const Chunk& chunk) override {
        if (chunk.runs.empty()) {
            return write_range(chunk.offset, chunk.data);
        }
        for (const Extent& run : chunk.runs) {
            if (run.kind != ExtentKind::data) {
                continue; // zeros: the block stays unallocated or a hole
            }
            if (run.offset < chunk.offset ||
                run.offset - chunk.offset + run.length > chunk.data.size()) {
                return fail(Errc::invalid,
                            "{}: run at offset {} length {} is outside the chunk at offset {}",
                            m_file.name(), run.offset, run.length, chunk.offset);
            }
            OVFKIT_TRY(
                write_range(run.offset, chunk.data.subspan(run.offset - chunk.offset, run.length)));
        }
        return {};
    }

    Result<void> finish() override;

private:
    uint64_t bat_index(uint64_t block) const { return block + block / m_chunk_ratio; }

    Result<void> write_range(uint64_t offset, std::span<const std::byte> data) {
        auto end = checked_add(offset, data.size());
        if (!end || *end > m_virtual_size) {
            return fail(Errc::invalid, "{}: write of {} bytes at offset {} beyond the {}-byte disk",
                        m_file.name(), data.size(), offset, m_virtual_size);
        }
        while (!data.empty()) {
            const uint64_t block = offset / m_block_size;
            const uint64_t in_block = offset % m_block_size;
            const size_t n =
                static_cast<size_t>(std::min<uint64_t>(data.size(), m_block_size - in_block));
            uint64_t& entry = m_bat[bat_index(block)];
            if ((entry & k_bat_state_mask) != k_payload_fully_present) {
                entry = m_next_free | k_payload_fully_present;
                m_next_free += m_block_size;
            }
            OVFKIT_TRY(m_file.pwrite(data.first(n), (entry & k_bat_offset_mask) + in_block));
            data = data.subspan(n);
            offset += n;
        }
        return {};
    }

    Result<void> write_metadata();
    Result<void> write_header_section();

    io::File& m_file;
    uint64_t m_virtual_size;
    uint64_t m_block_size;
    bool m_fixed;
    uint64_t m_chunk_ratio = 1;
    uint64_t m_payload_blocks = 0;
    std::vector<uint64_t> m_bat;
    uint64_t m_bat_length = 0;
    uint64_t m_data_start = 0;
    uint64_t m_next_free = 0;
};

Result<void> VhdxWriter::write_metadata() {
    std::vector<std::byte> region(k_metadata_table_size + 64);
    MetadataTableHeader hdr{};
    hdr.signature = k_sig_metadata;
    hdr.entry_count = 5;
    std::memcpy(region.data(), &hdr, sizeof(hdr));

    FileParameters params{};
    params.block_size = static_cast<uint32_t>(m_block_size);
    params.flags = m_fixed ? k_param_leave_blocks_allocated : 0;
    const le64 size = m_virtual_size;
    OVFKIT_TRY_ASSIGN(const Guid page83, random_guid());
    const le32 sector = k_sector_size;
    struct Item {
        const Guid& id;
        uint32_t flags;
        std::span<const std::byte> data;
    };
    const std::array<Item, 5> items{{
        {k_item_file_parameters, k_meta_is_required, bytes_of(params)},
        {k_item_virtual_disk_size, k_meta_is_virtual_disk | k_meta_is_required, bytes_of(size)},
        {k_item_page83, k_meta_is_virtual_disk | k_meta_is_required, bytes_of(page83)},
        {k_item_logical_sector_size, k_meta_is_virtual_disk | k_meta_is_required, bytes_of(sector)},
        {k_item_physical_sector_size, k_meta_is_virtual_disk | k_meta_is_required,
         bytes_of(sector)},
    }};
    uint32_t at = k_metadata_table_size;
    for (size_t i = 0; i < items.size(); ++i) {
        MetadataTableEntry e{};
        e.item_id = items[i].id;
        e.offset = at;
        e.length = static_cast<uint32_t>(items[i].data.size());
        e.flags = items[i].flags;
        std::memcpy(region.data() + sizeof(hdr) + i * sizeof(e), &e, sizeof(e));
        std::memcpy(region.data() + at, items[i].data.data(), items[i].data.size());
        at += static_cast<uint32_t>(items[i].data.size());
    }
    return m_file.pwrite(region, k_metadata_offset);
}

Result<void> VhdxWriter::write_header_section() {
    // File type identifier with the creator string.
    FileIdentifier id{};
    id.signature = k_sig_file;
    const std::string_view creator = "ovfkit " OVFKIT_VERSION;
    for (size_t i = 0; i < creator.size() && i + 1 < id.creator.size(); ++i) {
        id.creator[i] = static_cast<uint16_t>(static_cast<unsigned char>(creator[i]));
    }
    OVFKIT_TRY(m_file.pwrite(bytes_of(id), 0));

    // Two identical region tables.
    std::vector<std::byte> table(k_region_table_size);
    RegionTableHeader rh{};
    rh.signature = k_sig_regi;
    rh.entry_count = 2;
    const std::array<RegionTableEntry, 2> entries{{
        {k_region_bat, k_bat_offset, static_cast<uint32_t>(m_bat_length), 1},
        {k_region_metadata, k_metadata_offset, static_cast<uint32_t>(k_metadata_length), 1},
    }};
    std::memcpy(table.data(), &rh, sizeof(rh));
    std::memcpy(table.data() + sizeof(rh), entries.data(), sizeof(entries));
    rh.checksum = checksum_with_field_zeroed(table, offsetof(RegionTableHeader, checksum));
    std::memcpy(table.data(), &rh, sizeof(rh));
    OVFKIT_TRY(m_file.pwrite(table, k_region1_offset));
    OVFKIT_TRY(m_file.pwrite(table, k_region2_offset));

    // Headers last: they are what makes the file a VHDX. Both are valid;
    // header 2 has the higher sequence number and is current.
    Header h{};
    h.signature = k_sig_head;
    OVFKIT_TRY_ASSIGN(h.file_write_guid, random_guid());
    OVFKIT_TRY_ASSIGN(h.data_write_guid, random_guid());
    h.log_version = 0;
    h.version = 1;
    h.log_length = static_cast<uint32_t>(k_log_length);
    h.log_offset = k_log_offset;
    for (uint64_t seq : {uint64_t{1}, uint64_t{2}}) {
        h.sequence_number = seq;
        h.checksum = 0;
        h.checksum = checksum_with_field_zeroed(bytes_of(h), offsetof(Header, checksum));
        OVFKIT_TRY(m_file.pwrite(bytes_of(h), seq == 1 ? k_header1_offset : k_header2_offset));
    }
    return {};
}

Result<void> VhdxWriter::finish() {
    // Whole blocks only, also for the last one (older qemu did otherwise and
    // readers had to learn to tolerate it).
    OVFKIT_TRY(m_file.truncate(m_next_free));
    std::vector<std::byte> bat(m_bat.size() * 8);
    for (size_t i = 0; i < m_bat.size(); ++i) {
        const le64 v = m_bat[i];
        std::memcpy(bat.data() + 8 * i, &v, 8);
    }
    OVFKIT_TRY(m_file.pwrite(bat, k_bat_offset));
    OVFKIT_TRY(write_metadata());
    return write_header_section();
}

Result<std::unique_ptr<DiskWriter>> create(CreateContext& ctx, bool fixed) {
    const uint64_t size = ctx.options.virtual_size;
    const char* kind = fixed ? "vhdx-fixed" : "vhdx";
    if (size == 0 || size % k_sector_size != 0) {
        return fail(Errc::invalid,
                    "{}: {} virtual size {} is not a non-zero multiple of the 512-byte sector",
                    ctx.file->name(), kind, size);
    }
    if (size > k_max_virtual_size) {
        return fail(Errc::invalid, "{}: {} virtual size {} exceeds the VHDX maximum of 64 TiB",
                    ctx.file->name(), kind, size);
    }
    uint64_t bs = ctx.options.cluster_size == 0 ? k_default_block_size : ctx.options.cluster_size;
    auto w = std::make_unique<VhdxWriter>(*ctx.file, size, bs, fixed);
    OVFKIT_TRY(w->init());
    return std::unique_ptr<DiskWriter>(std::move(w));
}

} // namespace

Result<std::unique_ptr<DiskWriter>> create_dynamic(CreateContext& ctx) {
    return create(ctx, false);
}

Result<std::unique_ptr<DiskWriter>> create_fixed(CreateContext& ctx) {
    return create(ctx, true);
}

} // namespace ovfkit::disk::formats::vhdx
