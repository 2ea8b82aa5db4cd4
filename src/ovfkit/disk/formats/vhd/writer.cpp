// VHD writers: dynamic ("vhd") and fixed ("vhd-fixed").
//
// Dynamic layout, the canonical one qemu also writes:
//   0      footer copy (data_offset 512)
//   512    dynamic header (table_offset 1536)
//   1536   BAT: ceil(size / block_size) entries, padded with 0xFF to 512
//   ...    blocks in guest order: [bitmap, all bits set][block_size bytes]
//   end    footer
// Only blocks that hold data are stored; inside a stored block, zero runs are
// left as holes of the output file. The writer's granularity is the block
// size, so every chunk holds whole blocks and each block is written once.
//
// Fixed layout: guest data at its own offset (zero runs stay holes), then the
// footer. The size is rounded up to a whole MiB so Azure accepts the file.
//
// Footer fields for interoperability (docs/disk-formats/vhd.md): creator
// "ovfk" (not "vpc "/"qemu", so readers trust current_size), host "Wi2k",
// timestamps from the VHD epoch, a random unique_id, and the specification's
// CHS geometry when its product equals the size, otherwise 65535/16/255 so
// that every qemu version reads current_size.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string_view>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/formats/vhd/layout.hpp>
#include <ovfkit/disk/formats/vhd/writer.hpp>

namespace ovfkit::disk::formats::vhd {

namespace {

constexpr uint64_t k_default_block_size = uint64_t{2} << 20;
constexpr uint64_t k_max_write_entries = uint64_t{1} << 26;
constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_table_offset = 1536;
constexpr uint64_t k_data_alignment = 4096;

// ovfkit's version as major << 16 | minor.
uint32_t creator_version() {
    std::string_view v = OVFKIT_VERSION;
    uint32_t major = 0;
    uint32_t minor = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), major);
    if (ec == std::errc{} && p < v.data() + v.size() && *p == '.') {
        std::from_chars(p + 1, v.data() + v.size(), minor);
    }
    return (major & 0xFFFF) << 16 | (minor & 0xFFFF);
}

Result<Footer> make_footer(uint64_t size, uint32_t type) {
    Footer f{};
    std::memcpy(f.cookie, "conectix", 8);
    f.features = k_features_reserved;
    f.file_format_version = k_version;
    f.data_offset = type == k_type_fixed ? k_no_data_offset : k_footer_size;
    auto now = static_cast<uint64_t>(std::time(nullptr));
    f.timestamp = static_cast<uint32_t>(now > k_epoch_offset ? now - k_epoch_offset : 0);
    std::memcpy(f.creator_app, "ovfk", 4);
    f.creator_version = creator_version();
    f.creator_host_os = fourcc("Wi2k");
    f.original_size = size;
    f.current_size = size;
    Geometry g = chs_geometry(size / k_sector);
    if (g.bytes() != size) {
        g = Geometry{k_max_cylinders, k_max_heads, k_max_spt};
    }
    f.cylinders = g.cylinders;
    f.heads = g.heads;
    f.sectors_per_track = g.sectors_per_track;
    f.disk_type = type;
    // VHD stores the UUID in RFC byte order, as Virtual PC and qemu do.
    OVFKIT_TRY_ASSIGN(Uuid id, random_uuid());
    std::memcpy(f.unique_id, id.data(), id.size());
    f.unique_id[6] = static_cast<unsigned char>((f.unique_id[6] & 0x0F) | 0x40); // version 4
    f.unique_id[8] = static_cast<unsigned char>((f.unique_id[8] & 0x3F) | 0x80); // RFC 4122
    f.checksum = 0;
    f.checksum = checksum(std::as_bytes(std::span(&f, 1)), k_footer_checksum_at);
    return f;
}

Result<uint64_t> checked_size(const CreateContext& ctx, uint64_t rounding) {
    auto size = align_up(ctx.options.virtual_size, rounding);
    if (!size || *size > k_max_write_size) {
        return fail(Errc::invalid,
                    "{}: virtual size {} exceeds the VHD maximum of {} bytes (2040 GiB)", ctx.path,
                    ctx.options.virtual_size, k_max_write_size);
    }
    return *size;
}

// Visits the data runs of a chunk (the whole chunk when no runs are given).
template <class Fn>
Result<void> for_each_data_run(const Chunk& chunk, Fn&& fn) {
    if (chunk.runs.empty()) {
        return fn(chunk.offset, chunk.offset + chunk.data.size());
    }
    for (const Extent& r : chunk.runs) {
        if (r.kind != ExtentKind::data) {
            continue;
        }
        uint64_t b = std::max(r.offset, chunk.offset);
        uint64_t e = std::min(r.offset + r.length, chunk.offset + chunk.data.size());
        if (b < e) {
            OVFKIT_TRY(fn(b, e));
        }
    }
    return {};
}

class DynamicWriter final : public DiskWriter {
public:
    DynamicWriter(io::File* file, std::string path, uint64_t size, uint64_t block_size,
                  Footer footer)
        : m_file(file), m_path(std::move(path)), m_size(size), m_block_size(block_size),
          m_footer(footer) {
        m_entries = div_round_up(size, block_size);
        m_bitmap_size = *align_up(div_round_up(block_size / k_sector, 8), k_sector);
        m_table_end = k_table_offset + *align_up(m_entries * 4, k_sector);
        // Each block's data starts on a 4 KiB boundary, its bitmap in the
        // sectors just before (as Hyper-V lays blocks out): aligned guest I/O
        // stays aligned on the host, and the data can be written past the
        // page cache. The padding costs at most 3.5 KiB per block.
        m_data_start = *align_up(m_table_end, k_data_alignment);
        m_lead = *align_up(m_bitmap_size, k_data_alignment);
        m_bitmap.assign(m_bitmap_size, std::byte{0xFF});
    }

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = true, .granularity = m_block_size};
    }

    Result<void> write(const Chunk& chunk) override {
        uint64_t end = chunk.offset + chunk.data.size();
        if (chunk.offset % m_block_size != 0 || end > m_size) {
            return fail(Errc::usage,
                        "{}: chunk at offset {} of {} bytes is not block-aligned "
                        "or beyond the virtual size {}",
                        m_path, chunk.offset, chunk.data.size(), m_size);
        }
        uint64_t block = ~uint64_t{0};
        uint64_t block_at = 0;
        return for_each_data_run(chunk, [&](uint64_t b, uint64_t e) -> Result<void> {
            while (b < e) {
                uint64_t blk = b / m_block_size;
                if (blk != block) {
                    if (!m_blocks.empty() && blk <= m_blocks.back()) {
                        return fail(Errc::usage, "{}: block {} written twice or out of order",
                                    m_path, blk);
                    }
                    block = blk;
                    block_at = bitmap_at(m_blocks.size());
                    m_blocks.push_back(static_cast<uint32_t>(blk));
                    OVFKIT_TRY(m_file->pwrite(m_bitmap, block_at));
                }
                uint64_t run_end = std::min(e, (blk + 1) * m_block_size);
                OVFKIT_TRY(m_file->pwrite(chunk.data.subspan(b - chunk.offset, run_end - b),
                                          block_at + m_bitmap_size + b % m_block_size));
                b = run_end;
            }
            return {};
        });
    }

    Result<void> finish() override {
        uint64_t end = m_data_start + m_blocks.size() * (m_lead + m_block_size);
        // The last block may have zero runs at its end: the truncate makes
        // them part of the file before the footer is appended.
        OVFKIT_TRY(m_file->truncate(end));
        auto footer = std::as_bytes(std::span(&m_footer, 1));
        OVFKIT_TRY(m_file->pwrite(footer, 0));

        DynamicHeader h{};
        std::memcpy(h.cookie, "cxsparse", 8);
        h.data_offset = k_no_data_offset;
        h.table_offset = k_table_offset;
        h.header_version = k_version;
        h.max_table_entries = static_cast<uint32_t>(m_entries);
        h.block_size = static_cast<uint32_t>(m_block_size);
        h.checksum = 0;
        h.checksum = checksum(std::as_bytes(std::span(&h, 1)), k_header_checksum_at);
        OVFKIT_TRY(m_file->pwrite(std::as_bytes(std::span(&h, 1)), k_footer_size));

        // The BAT, streamed in pieces; padding entries stay 0xFFFFFFFF.
        uint64_t total = (m_table_end - k_table_offset) / 4;
        constexpr uint64_t k_piece = 64 * 1024;
        std::vector<be32> piece;
        size_t next = 0;
        for (uint64_t i = 0; i < total; i += k_piece) {
            uint64_t n = std::min(k_piece, total - i);
            piece.assign(n, be32(k_unallocated));
            for (uint64_t j = 0; j < n; ++j) {
                if (next < m_blocks.size() && m_blocks[next] == i + j) {
                    piece[j] = static_cast<uint32_t>(bitmap_at(next) / k_sector);
                    ++next;
                }
            }
            OVFKIT_TRY(m_file->pwrite(std::as_bytes(std::span(piece)), k_table_offset + i * 4));
        }
        return m_file->pwrite(footer, end);
    }

private:
    io::File* m_file;
    std::string m_path;
    uint64_t m_size;
    uint64_t m_block_size;
    Footer m_footer;
    uint64_t m_entries = 0;
    // The file offset of the n-th stored block's bitmap; its data follows.
    uint64_t bitmap_at(uint64_t n) const {
        return m_data_start + n * (m_lead + m_block_size) + m_lead - m_bitmap_size;
    }

    uint64_t m_bitmap_size = 0;
    uint64_t m_table_end = 0;        // end of the BAT (sector-aligned)
    uint64_t m_data_start = 0;       // first block slot, 4 KiB-aligned
    uint64_t m_lead = 0;             // bytes before each block's data: padding, then its bitmap
    std::vector<uint32_t> m_blocks;  // guest block numbers, in file order
    std::vector<std::byte> m_bitmap; // every sector present
};

class FixedWriter final : public DiskWriter {
public:
    FixedWriter(io::File* file, std::string path, uint64_t size, Footer footer)
        : m_file(file), m_path(std::move(path)), m_size(size), m_footer(footer) {}

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = false, .granularity = k_page_granularity};
    }

    Result<void> write(const Chunk& chunk) override {
        if (chunk.offset + chunk.data.size() > m_size) {
            return fail(Errc::usage,
                        "{}: chunk at offset {} of {} bytes beyond the virtual size {}", m_path,
                        chunk.offset, chunk.data.size(), m_size);
        }
        return for_each_data_run(chunk, [&](uint64_t b, uint64_t e) {
            return m_file->pwrite(chunk.data.subspan(b - chunk.offset, e - b), b);
        });
    }

    Result<void> finish() override {
        OVFKIT_TRY(m_file->truncate(m_size));
        return m_file->pwrite(std::as_bytes(std::span(&m_footer, 1)), m_size);
    }

private:
    io::File* m_file;
    std::string m_path;
    uint64_t m_size;
    Footer m_footer;
};

} // namespace

Result<std::unique_ptr<DiskWriter>> create_dynamic(CreateContext& ctx) {
    OVFKIT_TRY_ASSIGN(uint64_t size, checked_size(ctx, k_sector));
    uint64_t bs = ctx.options.cluster_size == 0 ? k_default_block_size : ctx.options.cluster_size;
    if (div_round_up(size, bs) > k_max_write_entries) {
        return fail(Errc::invalid, "{}: block size {} needs more than {} BAT entries for {} bytes",
                    ctx.path, bs, k_max_write_entries, size);
    }
    OVFKIT_TRY_ASSIGN(Footer footer, make_footer(size, k_type_dynamic));
    return std::unique_ptr<DiskWriter>(
        std::make_unique<DynamicWriter>(ctx.file, ctx.path, size, bs, footer));
}

Result<std::unique_ptr<DiskWriter>> create_fixed(CreateContext& ctx) {
    OVFKIT_TRY_ASSIGN(uint64_t size, checked_size(ctx, k_mib));
    OVFKIT_TRY_ASSIGN(Footer footer, make_footer(size, k_type_fixed));
    return std::unique_ptr<DiskWriter>(
        std::make_unique<FixedWriter>(ctx.file, ctx.path, size, footer));
}

} // namespace ovfkit::disk::formats::vhd
