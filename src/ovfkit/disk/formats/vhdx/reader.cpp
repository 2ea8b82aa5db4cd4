// VHDX reader and driver table entries ([MS-VHDX], Microsoft Open
// Specifications, v20160714 and later).
//
// A VHDX file is a 1 MiB header section (identifier, two checksummed headers,
// two copies of a checksummed region table), a log, and regions located by
// the region table: the BAT and the metadata region. The metadata region
// holds the block size, virtual size, sector sizes, disk identity and, for a
// differencing file, the parent locator. The BAT maps each payload block
// (1..256 MiB) to a 1 MiB-aligned file offset; after every `chunk_ratio`
// payload entries comes one sector-bitmap entry, used only by differencing
// files (bit per logical sector, LSB first: 1 = in this file, 0 = in the
// parent). See layout.hpp for the byte layout.
//
// Supported: dynamic and fixed files (512 or 4096-byte logical sectors);
// differencing files whose parent is a VHDX named by `relative_path` inside
// the image's directory, only when OpenPolicy.allow_parent is set; pending
// logs, replayed in memory (log.cpp). Not supported: parents named
// only by absolute or volume paths.
//
// Producer quirks handled: qemu marks unwritten blocks PAYLOAD_BLOCK_ZERO
// (block_state_zero=on); pre-1.0 writers used state 5 for unmapped; Disk2vhd
// writes two identical headers with equal sequence numbers; older qemu left
// the last block of the file short (the missing tail reads as zeros); qemu
// reads only region table 1, this reader falls back to table 2 when table 1
// fails its checksum.
//
// Every field is validated before use, with 64-bit checked arithmetic and
// table sizes checked against the file size before anything is allocated
// (CVE-2014-0148, qemu issue 4470). Errors: Errc::refused for integrity
// failures (checksums, overlaps, log and parent-path problems),
// Errc::invalid for values outside the format and for a file that ends
// before a structure it promises (truncated: "the image is truncated").
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/crc32c.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/base/utf16.hpp>
#include <ovfkit/disk/chain.hpp>
#include <ovfkit/disk/formats/vhdx/internal.hpp>

namespace ovfkit::disk::formats::vhdx {

namespace {

std::string guid_text(const Guid& g);

// The identity of an image in a chain (disk/chain.hpp).
std::string data_write_identity(const Guid& g) {
    return "data_write_guid {" + guid_text(g) + "}";
}

std::string guid_text(const Guid& g) {
    const auto& b = g.bytes;
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                       "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                       b[12], b[13], b[14], b[15]);
}

// Decodes UTF-16LE (no NULs, no unpaired surrogates) to UTF-8.
std::optional<std::string> utf16le_to_utf8(std::span<const std::byte> in) {
    if (in.size() % 2 != 0) {
        return std::nullopt;
    }
    return utf16_to_utf8(in, std::endian::little, Utf16Nul::refused);
}

// The file's bytes as the image describes them: the log overlay applied, and
// bytes between the end of the file and the replayed end of file as zeros.
class ImageBytes {
public:
    ImageBytes(io::File& file, uint64_t file_size) : m_file(file), m_file_size(file_size) {}

    void set_overlay(LogOverlay overlay) {
        m_size = std::max(m_file_size, overlay.end_offset);
        m_overlay = std::move(overlay);
    }
    uint64_t size() const { return m_size; }
    uint64_t file_size() const { return m_file_size; }

    // Reads [offset, offset + out.size()); bytes past the end of the file
    // read as zeros (callers have checked the range against size()).
    Result<void> read(uint64_t offset, std::span<std::byte> out) {
        size_t have = 0;
        if (offset < m_file_size) {
            have = static_cast<size_t>(std::min<uint64_t>(out.size(), m_file_size - offset));
            OVFKIT_TRY(io::read_exact(m_file, out.first(have), offset));
        }
        std::memset(out.data() + have, 0, out.size() - have);
        if (!m_overlay.empty()) {
            m_overlay.apply(offset, out);
        }
        return {};
    }

private:
    io::File& m_file;
    uint64_t m_file_size;
    uint64_t m_size = m_file_size;
    LogOverlay m_overlay;
};

struct Span {
    uint64_t offset = 0;
    uint64_t length = 0;
    std::string what;
};

// Finds the first pair of overlapping spans (sorted by offset).
const Span* find_overlap(std::vector<Span>& spans, const Span** other) {
    // Stable, so that of two spans at the same offset the one listed later
    // is reported as the intruder.
    std::stable_sort(spans.begin(), spans.end(),
                     [](const Span& a, const Span& b) { return a.offset < b.offset; });
    for (size_t i = 1; i < spans.size(); ++i) {
        if (spans[i - 1].offset + spans[i - 1].length > spans[i].offset) {
            *other = &spans[i - 1];
            return &spans[i];
        }
    }
    return nullptr;
}

struct Metadata {
    uint32_t block_size = 0;
    uint32_t flags = 0;
    uint64_t virtual_size = 0;
    uint32_t logical_sector = 0;
    uint32_t physical_sector = 0;
    Guid page83;
    std::optional<std::vector<std::byte>> parent_locator;
};

struct ParentLocator {
    std::string linkage;  // "{guid}" of the parent's data_write_guid
    std::string linkage2; // alternate accepted identity, may be empty
    std::optional<std::string> relative_path;
    std::optional<std::string> other_path; // volume_path or absolute_win32_path
};

class VhdxReader final : public DiskReader {
public:
    explicit VhdxReader(OpenContext& ctx)
        : m_file(std::move(ctx.file)), m_directory(ctx.directory), m_policy(ctx.policy),
          m_depth(ctx.depth), m_chain(ctx.chain) {}

    Result<void> open();

    const DiskInfo& info() const override { return m_info; }
    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override;
    // After open() the BAT, metadata and log overlay are read-only and reads
    // are positional, so workers may read side by side (parents permitting).
    bool concurrent_reads() const override { return !m_parent || m_parent->concurrent_reads(); }

    const Guid& data_write_guid() const { return m_header.data_write_guid; }
    uint32_t logical_sector() const { return m_meta.logical_sector; }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override;

private:
    const std::string& name() const { return m_file->name(); }

    Result<void> read_headers();
    Result<std::vector<RegionTableEntry>> read_region_table(uint64_t offset, bool* checksum_ok);
    Result<void> read_regions();
    Result<void> read_metadata();
    Result<void> check_values();
    Result<void> read_bat();
    Result<ParentLocator> parse_parent_locator(std::span<const std::byte> item);
    Result<void> open_parent();

    uint64_t bat_index(uint64_t block) const { return block + block / m_chunk_ratio; }
    uint64_t bitmap_index(uint64_t block) const {
        return (block / m_chunk_ratio) * (m_chunk_ratio + 1) + m_chunk_ratio;
    }
    // Reads `out` for guest range starting at `offset` inside one partially
    // present block, sector by sector from this file or the parent.
    Result<void> read_partial(uint64_t block, uint64_t offset, std::span<std::byte> out);

    std::unique_ptr<io::File> m_file;
    const io::Directory* m_directory;
    OpenPolicy m_policy;
    uint32_t m_depth;
    std::vector<ChainLink> m_chain;
    std::optional<ImageBytes> m_bytes;
    DiskInfo m_info;
    Header m_header{};
    uint64_t m_header_offset = 0;
    uint64_t m_region_table_offset = k_region1_offset;
    Span m_bat_region;
    Span m_metadata_region;
    Metadata m_meta;
    uint64_t m_chunk_ratio = 1;
    uint64_t m_payload_blocks = 0;
    std::vector<uint64_t> m_bat;
    std::unique_ptr<DiskReader> m_parent;
};

Result<void> VhdxReader::read_headers() {
    std::array<Header, 2> h{};
    std::array<bool, 2> valid{};
    const std::array<uint64_t, 2> offsets{k_header1_offset, k_header2_offset};
    for (size_t i = 0; i < 2; ++i) {
        std::array<std::byte, k_header_size> raw;
        OVFKIT_TRY(io::read_exact(*m_file, raw, offsets[i]));
        h[i] = load<Header>(raw.data());
        valid[i] = h[i].signature == k_sig_head &&
                   h[i].checksum == checksum_with_field_zeroed(raw, offsetof(Header, checksum));
    }
    size_t cur = 0;
    if (!valid[0] && !valid[1]) {
        return fail(Errc::refused,
                    "{}: neither header (file offsets 65536 and 131072) has signature 'head' "
                    "and a matching CRC-32C checksum",
                    name());
    }
    if (valid[0] && valid[1]) {
        if (h[0].sequence_number == h[1].sequence_number) {
            // Disk2vhd writes two identical headers; anything else is ambiguous.
            if (std::memcmp(&h[0], &h[1], sizeof(Header)) != 0) {
                return fail(Errc::refused,
                            "{}: headers at file offsets 65536 and 131072 have the same "
                            "sequence_number {} but different contents",
                            name(), uint64_t{h[0].sequence_number});
            }
        }
        cur = h[1].sequence_number > h[0].sequence_number ? 1 : 0;
    } else {
        cur = valid[0] ? 0 : 1;
    }
    m_header = h[cur];
    m_header_offset = offsets[cur];
    const auto where = fmt::format("{}: header at file offset {}", name(), m_header_offset);
    if (m_header.version != 1) {
        return fail(Errc::invalid, "{}: version {} is not 1", where, uint32_t{m_header.version});
    }
    if (m_header.log_version != 0) {
        return fail(Errc::invalid, "{}: log_version {} is not 0", where,
                    uint32_t{m_header.log_version});
    }
    const uint64_t log_offset = m_header.log_offset;
    const uint64_t log_length = m_header.log_length;
    if (log_offset % k_mib != 0 || log_offset < k_header_section_size || log_length % k_mib != 0) {
        return fail(Errc::invalid,
                    "{}: log_offset {} and log_length {} are not 1 MiB multiples beyond the "
                    "header section",
                    where, log_offset, log_length);
    }
    auto log_end = checked_add(log_offset, log_length);
    if (!log_end || *log_end > m_bytes->file_size()) {
        return fail(Errc::invalid,
                    "{}: log at file offset {} length {} lies outside the {}-byte file: the image "
                    "is truncated",
                    where, log_offset, log_length, m_bytes->file_size());
    }
    return {};
}

Result<std::vector<RegionTableEntry>> VhdxReader::read_region_table(uint64_t offset,
                                                                    bool* checksum_ok) {
    *checksum_ok = false;
    std::vector<std::byte> raw(k_region_table_size);
    OVFKIT_TRY(io::read_exact(*m_file, raw, offset));
    const auto where = fmt::format("{}: region table at file offset {}", name(), offset);
    const auto hdr = load<RegionTableHeader>(raw.data());
    if (hdr.signature != k_sig_regi) {
        return fail(Errc::refused, "{}: signature is not 'regi'", where);
    }
    const uint32_t sum = checksum_with_field_zeroed(raw, offsetof(RegionTableHeader, checksum));
    if (sum != hdr.checksum) {
        return fail(Errc::refused, "{}: checksum 0x{:08x} does not match the computed 0x{:08x}",
                    where, uint32_t{hdr.checksum}, sum);
    }
    *checksum_ok = true;
    if (hdr.entry_count > k_max_table_entries) {
        return fail(Errc::invalid, "{}: entry_count {} exceeds {}", where,
                    uint32_t{hdr.entry_count}, k_max_table_entries);
    }
    std::vector<RegionTableEntry> entries(hdr.entry_count);
    std::memcpy(entries.data(), raw.data() + sizeof(RegionTableHeader),
                entries.size() * sizeof(RegionTableEntry));
    return entries;
}

Result<void> VhdxReader::read_regions() {
    bool checksum_ok = false;
    auto table = read_region_table(k_region1_offset, &checksum_ok);
    if (!table && !checksum_ok) {
        // Table 1 was torn or damaged; the copy is there for this.
        bool ok2 = false;
        auto table2 = read_region_table(k_region2_offset, &ok2);
        if (table2) {
            table = std::move(table2);
            m_region_table_offset = k_region2_offset;
        } else if (ok2) {
            return fail(table2.error());
        }
    }
    if (!table) {
        return fail(table.error());
    }
    const auto where =
        fmt::format("{}: region table at file offset {}", name(), m_region_table_offset);
    std::vector<Span> spans{{0, k_header_section_size, "header section"},
                            {m_header.log_offset, m_header.log_length, "log"}};
    bool have_bat = false;
    bool have_meta = false;
    for (size_t i = 0; i < table->size(); ++i) {
        const auto& e = (*table)[i];
        const bool is_bat = e.guid == k_region_bat;
        const bool is_meta = e.guid == k_region_metadata;
        const std::string what = is_bat    ? "BAT region"
                                 : is_meta ? "metadata region"
                                           : fmt::format("region {{{}}}", guid_text(e.guid));
        if (!is_bat && !is_meta) {
            if ((e.required & 1) != 0) {
                return fail(Errc::invalid,
                            "{}: entry {} has unknown region type {{{}}} marked required", where, i,
                            guid_text(e.guid));
            }
        }
        if ((is_bat && have_bat) || (is_meta && have_meta)) {
            return fail(Errc::invalid, "{}: entry {}: the {} appears twice", where, i, what);
        }
        const uint64_t offset = e.file_offset;
        const uint64_t length = e.length;
        if (offset % k_mib != 0 || offset < k_header_section_size || length % k_mib != 0 ||
            ((is_bat || is_meta) && length == 0)) {
            return fail(Errc::invalid,
                        "{}: entry {} ({}): file offset {} and length {} are not non-zero 1 MiB "
                        "multiples beyond the header section",
                        where, i, what, offset, length);
        }
        auto end = checked_add(offset, length);
        if (!end || *end > m_bytes->file_size()) {
            return fail(Errc::invalid,
                        "{}: entry {} ({}) at file offset {} length {} lies outside the {}-byte "
                        "file: the image is truncated",
                        where, i, what, offset, length, m_bytes->file_size());
        }
        Span s{offset, length, what};
        if (is_bat) {
            m_bat_region = s;
            have_bat = true;
        } else if (is_meta) {
            m_metadata_region = s;
            have_meta = true;
        }
        spans.push_back(std::move(s));
    }
    if (!have_bat || !have_meta) {
        return fail(Errc::invalid, "{}: the {} region is missing", where,
                    have_bat ? "metadata" : "BAT");
    }
    const Span* other = nullptr;
    if (const Span* s = find_overlap(spans, &other)) {
        return fail(Errc::refused,
                    "{}: the {} (file offset {}, length {}) overlaps the {} (file offset {}, "
                    "length {})",
                    where, s->what, s->offset, s->length, other->what, other->offset,
                    other->length);
    }
    return {};
}

Result<void> VhdxReader::read_metadata() {
    const uint64_t base = m_metadata_region.offset;
    const uint64_t region_length = m_metadata_region.length;
    const auto where = fmt::format("{}: metadata table at file offset {}", name(), base);
    std::vector<std::byte> table(k_metadata_table_size);
    OVFKIT_TRY(m_bytes->read(base, table));
    const auto hdr = load<MetadataTableHeader>(table.data());
    if (hdr.signature != k_sig_metadata) {
        return fail(Errc::refused, "{}: signature is not 'metadata'", where);
    }
    if (hdr.entry_count > k_max_table_entries) {
        return fail(Errc::invalid, "{}: entry_count {} exceeds {}", where,
                    uint32_t{hdr.entry_count}, k_max_table_entries);
    }
    struct Known {
        const Guid* id;
        const char* name;
        uint32_t length; // 0: variable
        bool seen = false;
    };
    std::array<Known, 6> known{{{&k_item_file_parameters, "file parameters", 8},
                                {&k_item_virtual_disk_size, "virtual disk size", 8},
                                {&k_item_page83, "virtual disk id (page 83 data)", 16},
                                {&k_item_logical_sector_size, "logical sector size", 4},
                                {&k_item_physical_sector_size, "physical sector size", 4},
                                {&k_item_parent_locator, "parent locator", 0}}};
    std::vector<Span> spans;
    for (size_t i = 0; i < hdr.entry_count; ++i) {
        const auto e = load<MetadataTableEntry>(table.data() + sizeof(MetadataTableHeader) +
                                                i * sizeof(MetadataTableEntry));
        const uint64_t offset = e.offset;
        const uint64_t length = e.length;
        Known* k = nullptr;
        for (auto& kk : known) {
            if (*kk.id == e.item_id && (e.flags & k_meta_is_user) == 0) {
                k = &kk;
            }
        }
        const std::string what =
            k != nullptr ? k->name : fmt::format("item {{{}}}", guid_text(e.item_id));
        if (k == nullptr) {
            if ((e.flags & k_meta_is_required) != 0) {
                return fail(Errc::invalid, "{}: entry {} has unknown item {{{}}} marked required",
                            where, i, guid_text(e.item_id));
            }
        } else if (k->seen) {
            return fail(Errc::invalid, "{}: entry {}: the {} item appears twice", where, i, what);
        }
        if (length == 0) {
            if (k != nullptr) {
                return fail(Errc::invalid, "{}: entry {}: the {} item is empty", where, i, what);
            }
            continue;
        }
        auto end = checked_add(offset, length);
        if (offset < k_metadata_table_size || length > k_mib || !end || *end > region_length) {
            return fail(Errc::refused,
                        "{}: entry {} ({}) at region offset {} length {} lies outside the "
                        "{}-byte metadata region (or before its first 64 KiB)",
                        where, i, what, offset, length, region_length);
        }
        spans.push_back({offset, length, what});
        if (k == nullptr) {
            continue;
        }
        k->seen = true;
        if (k->length != 0 && length != k->length) {
            return fail(Errc::invalid, "{}: entry {}: the {} item is {} bytes, expected {}", where,
                        i, what, length, k->length);
        }
        std::vector<std::byte> data(length);
        OVFKIT_TRY(m_bytes->read(base + offset, data));
        if (k->id == &k_item_file_parameters) {
            const auto p = load<FileParameters>(data.data());
            m_meta.block_size = p.block_size;
            m_meta.flags = p.flags;
        } else if (k->id == &k_item_virtual_disk_size) {
            m_meta.virtual_size = load<le64>(data.data());
        } else if (k->id == &k_item_page83) {
            m_meta.page83 = load<Guid>(data.data());
        } else if (k->id == &k_item_logical_sector_size) {
            m_meta.logical_sector = load<le32>(data.data());
        } else if (k->id == &k_item_physical_sector_size) {
            m_meta.physical_sector = load<le32>(data.data());
        } else {
            m_meta.parent_locator = std::move(data);
        }
    }
    const Span* other = nullptr;
    if (const Span* s = find_overlap(spans, &other)) {
        return fail(Errc::refused,
                    "{}: the {} (region offset {}) overlaps the {} (region offset {})", where,
                    s->what, s->offset, other->what, other->offset);
    }
    for (size_t i = 0; i < 5; ++i) {
        if (!known[i].seen) {
            return fail(Errc::invalid, "{}: the required {} item is missing", where, known[i].name);
        }
    }
    return {};
}

Result<void> VhdxReader::check_values() {
    const auto where = fmt::format("{}: metadata", name());
    const uint64_t bs = m_meta.block_size;
    if (!is_power_of_two(bs) || bs < k_min_block_size || bs > k_max_block_size) {
        return fail(Errc::invalid,
                    "{}: block_size {} is not a power of two between 1 MiB and 256 MiB", where, bs);
    }
    if (m_meta.logical_sector != 512 && m_meta.logical_sector != 4096) {
        return fail(Errc::invalid, "{}: logical sector size {} is not 512 or 4096", where,
                    m_meta.logical_sector);
    }
    if (m_meta.physical_sector != 512 && m_meta.physical_sector != 4096) {
        return fail(Errc::invalid, "{}: physical sector size {} is not 512 or 4096", where,
                    m_meta.physical_sector);
    }
    const uint64_t size = m_meta.virtual_size;
    if (size == 0 || size % m_meta.logical_sector != 0) {
        return fail(Errc::invalid,
                    "{}: virtual disk size {} is not a non-zero multiple of the {}-byte logical "
                    "sector",
                    where, size, m_meta.logical_sector);
    }
    if (size > k_max_virtual_size) {
        return fail(Errc::invalid, "{}: virtual disk size {} exceeds the VHDX maximum of 64 TiB",
                    where, size);
    }
    if (size > m_policy.max_virtual_size) {
        return fail(Errc::refused, "{}: virtual disk size {} exceeds the limit of {} bytes", where,
                    size, m_policy.max_virtual_size);
    }
    if ((m_meta.flags & k_param_has_parent) != 0 && !m_meta.parent_locator) {
        return fail(Errc::invalid, "{}: a differencing file (has_parent) without a parent locator",
                    where);
    }
    return {};
}

Result<void> VhdxReader::read_bat() {
    const uint64_t bs = m_meta.block_size;
    const bool has_parent = (m_meta.flags & k_param_has_parent) != 0;
    // All of this is 64-bit: with 1 MiB blocks a 64 TiB disk has 2^26
    // payload blocks, and nothing here may be truncated (qemu issue 4470).
    m_chunk_ratio = (k_sectors_per_chunk * m_meta.logical_sector) / bs;
    m_payload_blocks = div_round_up(m_meta.virtual_size, bs);
    const uint64_t bitmap_blocks = div_round_up(m_payload_blocks, m_chunk_ratio);
    std::optional<uint64_t> entries =
        has_parent ? checked_mul(bitmap_blocks, m_chunk_ratio + 1)
                   : checked_add(m_payload_blocks, (m_payload_blocks - 1) / m_chunk_ratio);
    std::optional<uint64_t> bytes = entries ? checked_mul(*entries, 8) : std::nullopt;
    if (!bytes || *bytes > m_bat_region.length) {
        return fail(Errc::refused,
                    "{}: BAT region at file offset {}: its {} bytes cannot hold the {} entries a "
                    "{}-byte disk with {}-byte blocks needs",
                    name(), m_bat_region.offset, m_bat_region.length, entries.value_or(0),
                    m_meta.virtual_size, bs);
    }
    // The region lies inside the file (read_regions), so this allocation is
    // bounded by the file size.
    std::vector<std::byte> raw(*bytes);
    OVFKIT_TRY(m_bytes->read(m_bat_region.offset, raw));
    m_bat.resize(*entries);
    for (size_t i = 0; i < m_bat.size(); ++i) {
        m_bat[i] = load<le64>(raw.data() + 8 * i);
    }
    raw = {};

    std::vector<Span> spans{{0, k_header_section_size, "header section"},
                            {m_header.log_offset, m_header.log_length, "log"},
                            m_bat_region,
                            m_metadata_region};
    const uint64_t size = m_bytes->size();
    for (uint64_t i = 0; i < m_bat.size(); ++i) {
        const bool bitmap = (i + 1) % (m_chunk_ratio + 1) == 0;
        const uint64_t state = m_bat[i] & k_bat_state_mask;
        const uint64_t offset = m_bat[i] & k_bat_offset_mask;
        const std::string what =
            bitmap ? fmt::format("BAT entry {} (sector bitmap {})", i, i / (m_chunk_ratio + 1))
                   : fmt::format("BAT entry {} (payload block {})", i, i - i / (m_chunk_ratio + 1));
        if (!bitmap && i - i / (m_chunk_ratio + 1) >= m_payload_blocks) {
            continue; // padding entries of the last chunk of a differencing file
        }
        uint64_t length = 0;
        if (bitmap) {
            if (state == k_sb_present && has_parent) {
                length = k_mib;
            } else if (state != k_sb_not_present) {
                return fail(Errc::refused, "{}: {}: state {} is not valid for a sector bitmap{}",
                            name(), what, state, has_parent ? "" : " of a file without a parent");
            }
        } else if (state == k_payload_fully_present ||
                   (state == k_payload_partially_present && has_parent)) {
            length = m_meta.block_size;
        } else if (state == k_payload_partially_present) {
            return fail(Errc::refused,
                        "{}: {}: state 7 (partially present) in a file without a parent", name(),
                        what);
        } else if (state == 4) {
            return fail(Errc::refused, "{}: {}: state {} is reserved", name(), what, state);
        }
        if (length == 0) {
            continue;
        }
        if (offset < k_header_section_size) {
            return fail(Errc::refused,
                        "{}: {}: block at file offset {} is inside the header section", name(),
                        what, offset);
        }
        // Every byte of a block the disk uses must be in the file: only the
        // part of the last payload block past the virtual size may be
        // missing (qemu-img also refuses a block cut short).
        const uint64_t guest = bitmap ? 0 : (i - i / (m_chunk_ratio + 1)) * bs;
        const uint64_t needed =
            bitmap ? length : std::min<uint64_t>(length, m_meta.virtual_size - guest);
        if (offset > size || needed > size - offset) {
            const std::string why = fmt::format(
                "{}: {}: the block at file offset {} needs {} bytes, up to offset {}, but the file "
                "ends at {}: the image is truncated",
                name(), what, offset, needed, offset + needed, size);
            if (!m_policy.salvage || bitmap) {
                return fail(Errc::invalid, "{}", why);
            }
            const uint64_t have = offset < size ? size - offset : 0;
            add_missing(guest + have, needed - have, why);
        }
        spans.push_back({offset, length, what});
        if (state == k_payload_partially_present) {
            const uint64_t sb = m_bat[bitmap_index(i - i / (m_chunk_ratio + 1))];
            if ((sb & k_bat_state_mask) != k_sb_present) {
                return fail(Errc::refused,
                            "{}: {}: partially present, but its chunk has no sector bitmap", name(),
                            what);
            }
        }
    }
    const Span* other = nullptr;
    if (const Span* s = find_overlap(spans, &other)) {
        return fail(Errc::refused,
                    "{}: {}: block at file offset {} overlaps the {} at file offset {}", name(),
                    s->what, s->offset, other->what, other->offset);
    }
    return {};
}

Result<ParentLocator> VhdxReader::parse_parent_locator(std::span<const std::byte> item) {
    const auto where = fmt::format("{}: metadata: parent locator", name());
    if (item.size() < sizeof(ParentLocatorHeader)) {
        return fail(Errc::invalid, "{}: {} bytes are too short", where, item.size());
    }
    const auto h = load<ParentLocatorHeader>(item.data());
    if (h.locator_type != k_locator_vhdx) {
        return fail(Errc::invalid, "{}: unknown locator type {{{}}}", where,
                    guid_text(h.locator_type));
    }
    const uint64_t count = h.key_value_count;
    if (sizeof(ParentLocatorHeader) + count * sizeof(ParentLocatorEntry) > item.size()) {
        return fail(Errc::refused, "{}: key_value_count {} does not fit in the {}-byte item", where,
                    count, item.size());
    }
    ParentLocator loc;
    for (uint64_t i = 0; i < count; ++i) {
        const auto e = load<ParentLocatorEntry>(item.data() + sizeof(ParentLocatorHeader) +
                                                i * sizeof(ParentLocatorEntry));
        const uint64_t ko = e.key_offset;
        const uint64_t vo = e.value_offset;
        const uint64_t kl = e.key_length;
        const uint64_t vl = e.value_length;
        if (ko == 0 || vo == 0 || kl == 0 || vl == 0 || ko + kl > item.size() ||
            vo + vl > item.size()) {
            return fail(Errc::refused, "{}: entry {}: key or value lies outside the {}-byte item",
                        where, i, item.size());
        }
        auto key = utf16le_to_utf8(item.subspan(ko, kl));
        auto value = utf16le_to_utf8(item.subspan(vo, vl));
        if (!key || !value) {
            return fail(Errc::refused, "{}: entry {}: key or value is not valid UTF-16LE text",
                        where, i);
        }
        if (*key == "parent_linkage") {
            loc.linkage = *value;
        } else if (*key == "parent_linkage2") {
            loc.linkage2 = *value;
        } else if (*key == "relative_path") {
            loc.relative_path = *value;
        } else if (*key == "volume_path" || *key == "absolute_win32_path") {
            if (!loc.other_path) {
                loc.other_path = *value;
            }
        }
    }
    if (loc.linkage.empty()) {
        return fail(Errc::invalid, "{}: parent_linkage is missing", where);
    }
    return loc;
}

Result<void> VhdxReader::open_parent() {
    OVFKIT_TRY_ASSIGN(ParentLocator loc, parse_parent_locator(*m_meta.parent_locator));
    const auto where = fmt::format("{}: metadata: parent locator", name());
    if (!loc.relative_path) {
        return fail(Errc::refused,
                    "{}: no relative_path; the parent '{}' is outside the image's directory", where,
                    loc.other_path.value_or(""));
    }
    // Hyper-V writes Windows separators; a parent must be a plain file name
    // beside the child (SECURITY.md R1, R4).
    std::string rel = *loc.relative_path;
    std::replace(rel.begin(), rel.end(), '\\', '/');
    if (rel.starts_with("./")) {
        rel.erase(0, 2);
    }
    m_info.parent = rel;
    if (rel.find('/') != std::string::npos) {
        return fail(Errc::refused,
                    "{}: relative_path '{}' does not name a file in the image's directory", where,
                    *loc.relative_path);
    }
    ParentRef ref{m_file.get(), "parent", rel, 0, data_write_identity(m_header.data_write_guid)};
    const OpenContext ctx{nullptr, m_directory, m_policy, m_depth, m_chain};
    OVFKIT_TRY_ASSIGN(OpenContext pctx, disk::open_parent(ctx, ref));
    std::array<std::byte, 8> sig{};
    OVFKIT_TRY_ASSIGN(size_t n, pctx.file->pread(sig, 0));
    if (n != 8 || load<le64>(sig.data()) != k_sig_file) {
        return fail(Errc::refused, "{}: parent '{}' is not a VHDX file", name(), rel);
    }
    auto parent = std::make_unique<VhdxReader>(pctx);
    OVFKIT_TRY(parent->open());
    OVFKIT_TRY(check_parent_identity(pctx, ref, data_write_identity(parent->data_write_guid())));
    const std::string guid = "{" + guid_text(parent->data_write_guid()) + "}";
    auto same = [&](const std::string& s) { return iequals(s, guid); };
    if (!same(loc.linkage) && !same(loc.linkage2)) {
        return fail(Errc::refused,
                    "{}: parent '{}' has data_write_guid {}, but parent_linkage is '{}' (the "
                    "parent changed after the child was created)",
                    name(), rel, guid, loc.linkage);
    }
    if (parent->virtual_size() != m_meta.virtual_size ||
        parent->logical_sector() != m_meta.logical_sector) {
        return fail(Errc::refused,
                    "{}: parent '{}' has virtual size {} and {}-byte sectors, the child {} and {}",
                    name(), rel, parent->virtual_size(), parent->logical_sector(),
                    m_meta.virtual_size, m_meta.logical_sector);
    }
    for (const auto& f : parent->info().files) {
        m_info.files.push_back(f);
    }
    add_findings(*parent);
    m_parent = std::move(parent);
    return {};
}

Result<void> VhdxReader::open() {
    OVFKIT_TRY_ASSIGN(uint64_t file_size, m_file->size());
    m_bytes.emplace(*m_file, file_size);
    // The smallest possible file: header section, log-free, 1 MiB metadata
    // and 1 MiB BAT.
    if (file_size < k_header_section_size) {
        return fail(Errc::invalid,
                    "{}: file of {} bytes is truncated: the VHDX header section alone is 1 MiB",
                    name(), file_size);
    }
    std::array<std::byte, 8> sig;
    OVFKIT_TRY(io::read_exact(*m_file, sig, 0));
    if (load<le64>(sig.data()) != k_sig_file) {
        return fail(Errc::invalid, "{}: file type identifier: signature is not 'vhdxfile'", name());
    }
    OVFKIT_TRY(read_headers());
    OVFKIT_TRY(read_regions());
    if (!m_header.log_guid.is_zero()) {
        // Pending updates: the BAT and metadata are interpreted as they will
        // be after replay, without writing the file.
        m_info.dirty = true;
        OVFKIT_TRY_ASSIGN(LogOverlay overlay, replay_log(*m_file, m_header, file_size));
        m_bytes->set_overlay(std::move(overlay));
        add_finding("DISK-VHDX-LOG-REPLAYED",
                    fmt::format("{}: header at offset {}: the log holds pending updates (the "
                                "image was not closed cleanly); they are applied in memory, the "
                                "file is not changed",
                                name(), m_header_offset),
                    name());
    }
    OVFKIT_TRY(read_metadata());
    OVFKIT_TRY(check_values());
    OVFKIT_TRY(read_bat());

    const bool fixed = (m_meta.flags & k_param_leave_blocks_allocated) != 0 &&
                       (m_meta.flags & k_param_has_parent) == 0;
    m_info.format = fixed ? "vhdx-fixed" : "vhdx";
    m_info.virtual_size = m_meta.virtual_size;
    m_info.cluster_size = m_meta.block_size;
    m_info.files.push_back(name());
    for (uint64_t b = 0; b < m_payload_blocks; ++b) {
        const uint64_t state = m_bat[bat_index(b)] & k_bat_state_mask;
        if (state == k_payload_fully_present || state == k_payload_partially_present) {
            m_info.allocated_size +=
                std::min<uint64_t>(m_meta.block_size, m_meta.virtual_size - b * m_meta.block_size);
        }
    }
    if ((m_meta.flags & k_param_has_parent) != 0) {
        OVFKIT_TRY(open_parent());
    }
    return {};
}

Result<std::vector<Extent>> VhdxReader::extents(uint64_t offset, uint64_t length) {
    std::vector<Extent> map;
    if (offset >= m_meta.virtual_size) {
        return map;
    }
    const uint64_t end = offset + std::min(length, m_meta.virtual_size - offset);
    const uint64_t bs = m_meta.block_size;
    for (uint64_t pos = offset; pos < end;) {
        const uint64_t block = pos / bs;
        const uint64_t next = std::min(end, (block + 1) * bs);
        const uint64_t state = m_bat[bat_index(block)] & k_bat_state_mask;
        if (state == k_payload_fully_present || state == k_payload_partially_present) {
            append_extent(map, {pos, next - pos, ExtentKind::data});
        } else if (state == k_payload_not_present && m_parent) {
            OVFKIT_TRY_ASSIGN(auto sub, m_parent->extents(pos, next - pos));
            for (const auto& e : sub) {
                append_extent(map, e);
            }
        } else if (state == k_payload_zero) {
            append_extent(map, {pos, next - pos, ExtentKind::zero});
        } else {
            append_extent(map, {pos, next - pos, ExtentKind::unallocated});
        }
        pos = next;
    }
    return map;
}

Result<void> VhdxReader::read_partial(uint64_t block, uint64_t offset, std::span<std::byte> out) {
    const uint64_t ls = m_meta.logical_sector;
    const uint64_t sb_offset = m_bat[bitmap_index(block)] & k_bat_offset_mask;
    const uint64_t block_file = m_bat[bat_index(block)] & k_bat_offset_mask;
    // Sector number within the chunk (the bitmap covers 2^23 sectors).
    const uint64_t first = offset / ls;
    const uint64_t count = out.size() / ls;
    const uint64_t chunk_sector = first % k_sectors_per_chunk;
    std::vector<std::byte> bits(div_round_up(chunk_sector % 8 + count, 8));
    OVFKIT_TRY(m_bytes->read(sb_offset + chunk_sector / 8, bits));
    auto bit = [&](uint64_t i) {
        uint64_t b = chunk_sector % 8 + i;
        return (std::to_integer<unsigned>(bits[b / 8]) >> (b % 8) & 1) != 0;
    };
    const uint64_t bs = m_meta.block_size;
    for (uint64_t i = 0; i < count;) {
        uint64_t j = i;
        const bool here = bit(i);
        while (j < count && bit(j) == here) {
            ++j;
        }
        auto piece = out.subspan(i * ls, (j - i) * ls);
        const uint64_t guest = offset + i * ls;
        if (here) {
            OVFKIT_TRY(m_bytes->read(block_file + guest % bs, piece));
        } else {
            OVFKIT_TRY(m_parent->read_at(guest, piece));
        }
        i = j;
    }
    return {};
}

Result<void> VhdxReader::read_range(uint64_t offset, std::span<std::byte> out) {
    const uint64_t end = offset + out.size(); // inside the virtual size (read_at)
    const uint64_t bs = m_meta.block_size;
    for (uint64_t pos = offset; pos < end;) {
        const uint64_t block = pos / bs;
        const uint64_t next = std::min(end, (block + 1) * bs);
        auto piece = out.subspan(pos - offset, next - pos);
        const uint64_t entry = m_bat[bat_index(block)];
        const uint64_t state = entry & k_bat_state_mask;
        if (state == k_payload_fully_present) {
            OVFKIT_TRY(m_bytes->read((entry & k_bat_offset_mask) + pos % bs, piece));
        } else if (state == k_payload_partially_present) {
            if (pos % m_meta.logical_sector != 0 || piece.size() % m_meta.logical_sector != 0) {
                return fail(Errc::invalid,
                            "{}: read at offset {} is not aligned to the {}-byte sector", name(),
                            pos, m_meta.logical_sector);
            }
            OVFKIT_TRY(read_partial(block, pos, piece));
        } else if (state == k_payload_not_present && m_parent) {
            OVFKIT_TRY(m_parent->read_at(pos, piece));
        } else {
            std::memset(piece.data(), 0, piece.size());
        }
        pos = next;
    }
    return {};
}

int probe(const ProbeInput& input) {
    if (input.head.size() >= 8 && load<le64>(input.head.data()) == k_sig_file) {
        return 100;
    }
    return 0;
}

// Detection reports the family driver "vhdx", whose reader also opens fixed
// files; bidding twice on the same bytes would look like a polyglot.
int probe_never(const ProbeInput&) {
    return 0;
}

} // namespace

Result<std::unique_ptr<DiskReader>> open(OpenContext& ctx) {
    auto reader = std::make_unique<VhdxReader>(ctx);
    OVFKIT_TRY(reader->open());
    return std::unique_ptr<DiskReader>(std::move(reader));
}

} // namespace ovfkit::disk::formats::vhdx

namespace ovfkit::disk::formats {

extern const FormatDriver k_vhdx_driver{
    .name = "vhdx",
    .description = "Hyper-V VHDX, dynamic (also reads fixed and differencing)",
    .family = "vhdx",
    .probe = vhdx::probe,
    .open = vhdx::open,
    .create = vhdx::create_dynamic,
    .max_virtual_size = vhdx::k_max_virtual_size,
    .cluster_sizes = {"block size", vhdx::k_min_block_size, vhdx::k_max_block_size, 32 << 20, true},
};

extern const FormatDriver k_vhdx_fixed_driver{
    .name = "vhdx-fixed",
    .description = "Hyper-V VHDX, fixed (all blocks allocated)",
    .family = "vhdx",
    .probe = vhdx::probe_never,
    .open = vhdx::open,
    .create = vhdx::create_fixed,
    .max_virtual_size = vhdx::k_max_virtual_size,
    .cluster_sizes = {"block size", vhdx::k_min_block_size, vhdx::k_max_block_size, 32 << 20, true},
};

} // namespace ovfkit::disk::formats
