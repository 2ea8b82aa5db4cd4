// Microsoft VHD reader (fixed, dynamic, differencing) and the driver table
// entries "vhd" (dynamic) and "vhd-fixed". Spec: Virtual Hard Disk Image
// Format Specification v1.0 (2006); producer quirks: docs/disk-formats/vhd.md.
//
// Layout (big-endian, 512-byte sectors):
//   fixed:        [guest data][footer]
//   dynamic/diff: [footer copy][dynamic header][BAT][bitmap|block]...[footer]
//
// Footer selection: the last 512 bytes are the footer. When they are not a
// valid footer and the file is dynamic or differencing, the copy at offset 0
// is used with a warning (a torn append after a crash leaves exactly this). A
// fixed disk has no second copy, so a bad footer there is a refusal.
//
// Virtual size: current_size, except for images made by Virtual PC ("vpc ")
// and qemu without force_size ("qemu") whose geometry is not the maximum:
// those are sized by cylinders x heads x sectors, as qemu reads them.
//
// Allocation: a BAT entry is the sector of a block's bitmap. The bitmap is
// honoured per sector for every dynamic and differencing image: set sectors
// are data, clear sectors are unallocated (zeros, or the parent's bytes in a
// differencing disk). Writers normally set whole bitmaps, so the map stays
// one extent per block.
//
// Differencing disks are followed only when OpenPolicy.allow_parent is set:
// the parent is the last path component of the header's parent name (or, when
// that is empty, of the W2ru / W2ku / MacX locator), opened through the
// image's io::Directory (no symlinks, no other directory), and must carry the
// unique id the child records. Depth is bounded and loops are refused.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/utf16.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/chain.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/vhd/layout.hpp>
#include <ovfkit/disk/formats/vhd/writer.hpp>

namespace ovfkit::disk::formats {

namespace {

using namespace vhd;

// The most BAT entries read into memory (256 MiB of table): 2 TiB with
// 32 KiB blocks, 128 TiB with the usual 2 MiB blocks.
constexpr uint64_t k_max_bat_entries = uint64_t{1} << 26;
constexpr uint64_t k_min_block_size = 512;
constexpr uint64_t k_max_block_size = uint64_t{256} << 20;
// Parent locator data is a path; anything longer is not a path.
constexpr uint64_t k_max_locator_length = 64 * 1024;

std::string hex32(uint32_t v) {
    return fmt::format("0x{:08x}", v);
}

std::string uuid_text(const unsigned char* u) {
    Uuid x;
    std::memcpy(x.data(), u, x.size());
    return ovfkit::uuid_text(x);
}

// The identity of an image in a chain (disk/chain.hpp).
std::string unique_id_text(const Footer& f) {
    return "unique_id " + uuid_text(f.unique_id);
}

// Printable creator application for messages: non-printing bytes as '.'.
std::string creator_text(const Footer& f) {
    std::string s;
    for (char c : f.creator_app) {
        s += (c >= 0x20 && c < 0x7f) ? c : '.';
    }
    return s;
}

bool has_cookie(std::span<const std::byte> b, const char* cookie) {
    return b.size() >= 8 && std::memcmp(b.data(), cookie, 8) == 0;
}

// A footer is usable when its cookie and checksum are right.
bool footer_ok(std::span<const std::byte> b) {
    if (b.size() < k_footer_size || !has_cookie(b, "conectix")) {
        return false;
    }
    auto f = load<Footer>(b.data());
    return f.checksum.get() == checksum(b.first(k_footer_size), k_footer_checksum_at);
}

// The guest-visible size (see the file comment): CHS for Virtual PC and
// plain qemu images, current_size for everyone else.
uint64_t footer_virtual_size(const Footer& f) {
    Geometry g{f.cylinders, f.heads, f.sectors_per_track};
    bool chs_creator =
        std::memcmp(f.creator_app, "vpc ", 4) == 0 || std::memcmp(f.creator_app, "qemu", 4) == 0;
    if (chs_creator && !g.is_max()) {
        return g.bytes();
    }
    return f.current_size;
}

// The last component of a Windows path, a POSIX path or a file URL.
std::string last_component(const std::string& path) {
    auto pos = path.find_last_of("\\/");
    return pos == std::string::npos ? path : path.substr(pos + 1);
}

class VhdReader final : public DiskReader {
public:
    const DiskInfo& info() const override { return m_info; }
    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override;

    static Result<std::unique_ptr<VhdReader>> open(OpenContext& ctx);

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override;

private:
    Result<void> open_footer();
    Result<void> open_dynamic(const OpenPolicy& policy);
    Result<void> open_parent(const OpenContext& ctx);
    Result<std::string> parent_name();
    Result<void> load_bitmap(uint64_t block);
    // Calls fn(begin, end, present) for the runs of [begin, end): present
    // runs are stored in this file, absent ones are not.
    template <class Fn>
    Result<void> for_each_run(uint64_t begin, uint64_t end, Fn&& fn);
    uint64_t data_offset_of(uint64_t pos) const {
        uint64_t block = pos / m_block_size;
        return uint64_t{m_bat[block]} * k_sector + m_bitmap_size + pos % m_block_size;
    }
    void warn(std::string code, std::string message) {
        add_finding(std::move(code), std::move(message), m_file->name());
    }

    std::unique_ptr<io::File> m_file;
    DiskInfo m_info;
    Footer m_footer{};
    DynamicHeader m_header{};
    uint64_t m_file_size = 0;
    uint64_t m_footer_offset = 0;
    bool m_tail_cookie = false; // the last sector starts with 'conectix'
    uint64_t m_limit = 0;       // end of the region blocks may occupy
    uint32_t m_type = 0;
    uint64_t m_block_size = 0;
    uint64_t m_bitmap_size = 0;
    std::vector<uint32_t> m_bat;
    uint64_t m_cached_block = ~uint64_t{0};
    bool m_bitmap_full = false;
    std::vector<std::byte> m_bitmap;
    std::unique_ptr<DiskReader> m_parent;
    // Salvaged (OpenPolicy::salvage): blocks may run past m_limit, and these
    // have no sector bitmap in the file.
    bool m_salvage = false;
    std::unordered_set<uint64_t> m_no_bitmap;
};

Result<std::unique_ptr<VhdReader>> VhdReader::open(OpenContext& ctx) {
    const OpenPolicy& policy = ctx.policy;
    auto r = std::unique_ptr<VhdReader>(new VhdReader());
    r->m_file = std::move(ctx.file);
    OVFKIT_TRY(r->open_footer());
    const std::string& name = r->m_file->name();
    uint64_t size = footer_virtual_size(r->m_footer);
    if (size > policy.max_virtual_size) {
        return fail(Errc::refused,
                    "{}: footer at offset {}: virtual size {} exceeds the limit of {} bytes", name,
                    r->m_footer_offset, size, policy.max_virtual_size);
    }
    r->m_info.virtual_size = size;
    r->m_info.files.push_back(name);
    if (r->m_type == k_type_fixed) {
        r->m_info.format = "vhd-fixed";
        r->m_info.allocated_size = size;
        return r;
    }
    r->m_info.format = "vhd";
    OVFKIT_TRY(r->open_dynamic(policy));
    if (r->m_type == k_type_differencing) {
        OVFKIT_TRY(r->open_parent(ctx));
    }
    return r;
}

Result<void> VhdReader::open_footer() {
    const std::string& name = m_file->name();
    OVFKIT_TRY_ASSIGN(m_file_size, m_file->size());
    if (m_file_size < k_footer_size) {
        return fail(Errc::invalid, "{}: file of {} bytes is too small for a VHD footer (512 bytes)",
                    name, m_file_size);
    }
    std::array<std::byte, k_footer_size> tail{};
    std::array<std::byte, k_footer_size> head{};
    uint64_t tail_at = m_file_size - k_footer_size;
    OVFKIT_TRY(io::read_exact(*m_file, tail, tail_at));
    OVFKIT_TRY(io::read_exact(*m_file, head, 0));
    bool tail_ok = footer_ok(tail);
    bool head_ok = footer_ok(head);
    m_tail_cookie = has_cookie(tail, "conectix");
    auto head_dynamic = [&] {
        uint32_t t = load<Footer>(head.data()).disk_type;
        return head_ok && (t == k_type_dynamic || t == k_type_differencing);
    };
    auto bad_checksum = [&](std::span<const std::byte> b, uint64_t at) {
        auto f = load<Footer>(b.data());
        return fail(Errc::invalid,
                    "{}: footer at offset {}: checksum {} does not match the computed {}", name, at,
                    hex32(f.checksum), hex32(checksum(b, k_footer_checksum_at)));
    };
    if (tail_ok) {
        m_footer = load<Footer>(tail.data());
        m_footer_offset = tail_at;
        m_limit = tail_at;
        uint32_t t = m_footer.disk_type;
        if ((t == k_type_dynamic || t == k_type_differencing) && tail_at != 0 &&
            std::memcmp(head.data(), tail.data(), k_footer_size) != 0) {
            warn("DISK-VHD-FOOTER-MISMATCH",
                 fmt::format("{}: the footer copy at offset 0 differs from the footer at offset "
                             "{}; the footer at the end is used",
                             name, tail_at));
        }
    } else if (head_dynamic()) {
        // The copy at offset 0 exists only in dynamic and differencing disks;
        // blocks may then reach the end of the file.
        m_footer = load<Footer>(head.data());
        m_footer_offset = 0;
        m_limit = m_file_size;
        warn("DISK-VHD-FOOTER-TORN",
             fmt::format("{}: {} at offset {}; the footer copy at offset 0 is used", name,
                         has_cookie(tail, "conectix") ? "bad footer checksum" : "no footer",
                         tail_at));
    } else if (has_cookie(tail, "conectix")) {
        return bad_checksum(tail, tail_at);
    } else if (has_cookie(head, "conectix")) {
        return bad_checksum(head, 0);
    } else {
        return fail(Errc::invalid,
                    "{}: no VHD footer: neither offset {} nor offset 0 starts with 'conectix' "
                    "(not a VHD, or a fixed VHD truncated: its only footer is its last 512 "
                    "bytes)",
                    name, tail_at);
    }

    const Footer& f = m_footer;
    uint64_t at = m_footer_offset;
    if ((f.file_format_version.get() >> 16) != 1) {
        return fail(Errc::invalid, "{}: footer at offset {}: file_format_version {} is not 1.x",
                    name, at, hex32(f.file_format_version));
    }
    m_type = f.disk_type;
    if (m_type != k_type_fixed && m_type != k_type_dynamic && m_type != k_type_differencing) {
        return fail(Errc::invalid,
                    "{}: footer at offset {}: disk_type {} is not fixed (2), dynamic (3) or "
                    "differencing (4)",
                    name, at, m_type);
    }
    if (f.current_size % k_sector != 0) {
        return fail(Errc::invalid,
                    "{}: footer at offset {}: current_size {} is not a multiple of 512", name, at,
                    f.current_size.get());
    }
    uint64_t size = footer_virtual_size(f);
    if (size != f.current_size) {
        uint64_t cylinder = uint64_t{f.heads} * f.sectors_per_track * k_sector;
        uint64_t diff = size > f.current_size ? size - f.current_size : f.current_size - size;
        if (diff > cylinder) {
            warn("DISK-VHD-SIZE-GEOMETRY",
                 fmt::format("{}: footer at offset {}: creator '{}' sizes the disk by its "
                             "geometry ({} bytes), which differs from current_size {} by more "
                             "than one cylinder",
                             name, at, creator_text(f), size, f.current_size.get()));
        }
    }
    if (m_type == k_type_fixed) {
        if (at != m_file_size - k_footer_size) {
            return fail(Errc::invalid, "{}: fixed disk without a footer at the end", name);
        }
        if (f.current_size.get() != m_file_size - k_footer_size) {
            return fail(Errc::invalid,
                        "{}: footer at offset {}: fixed disk of current_size {} needs a file of "
                        "{} bytes, the file has {}",
                        name, at, f.current_size.get(), f.current_size.get() + k_footer_size,
                        m_file_size);
        }
        if (size > f.current_size) {
            return fail(Errc::invalid,
                        "{}: footer at offset {}: geometry size {} exceeds current_size {}", name,
                        at, size, f.current_size.get());
        }
    }
    if (f.saved_state != 0) {
        warn("DISK-VHD-SAVED-STATE",
             fmt::format("{}: footer at offset {}: the disk belongs to a virtual machine in "
                         "saved state; its file systems may be inconsistent",
                         name, at));
    }
    return {};
}

Result<void> VhdReader::open_dynamic(const OpenPolicy& policy) {
    (void)policy;
    const std::string& name = m_file->name();
    uint64_t hdr_at = m_footer.data_offset;
    auto hdr_end = checked_add(hdr_at, k_header_size);
    if (hdr_at < k_footer_size || hdr_at % k_sector != 0 || !hdr_end || *hdr_end > m_limit) {
        return fail(Errc::invalid,
                    "{}: footer at offset {}: data_offset {} does not point at a 512-aligned "
                    "dynamic header inside the file ({} bytes)",
                    name, m_footer_offset, hdr_at, m_file_size);
    }
    std::array<std::byte, k_header_size> raw{};
    OVFKIT_TRY(io::read_exact(*m_file, raw, hdr_at));
    m_header = load<DynamicHeader>(raw.data());
    const DynamicHeader& h = m_header;
    if (!has_cookie(raw, "cxsparse")) {
        return fail(Errc::invalid, "{}: dynamic header at offset {}: cookie is not 'cxsparse'",
                    name, hdr_at);
    }
    uint32_t sum = checksum(raw, k_header_checksum_at);
    if (h.checksum.get() != sum) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: checksum {} does not match the computed {}",
                    name, hdr_at, hex32(h.checksum), hex32(sum));
    }
    if ((h.header_version.get() >> 16) != 1) {
        return fail(Errc::invalid, "{}: dynamic header at offset {}: header_version {} is not 1.x",
                    name, hdr_at, hex32(h.header_version));
    }
    uint64_t bs = h.block_size;
    if (!is_power_of_two(bs)) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: block_size {} is not a power of two", name,
                    hdr_at, bs);
    }
    if (bs < k_min_block_size || bs > k_max_block_size) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: block_size {} is outside {}..{}", name,
                    hdr_at, bs, k_min_block_size, k_max_block_size);
    }
    m_block_size = bs;
    m_bitmap_size = *align_up(div_round_up(bs / k_sector, 8), k_sector);
    m_info.cluster_size = bs;

    uint64_t entries = h.max_table_entries;
    uint64_t needed = div_round_up(m_info.virtual_size, bs);
    if (entries < needed) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: max_table_entries {} with block_size {} "
                    "covers less than the virtual size {}",
                    name, hdr_at, entries, bs, m_info.virtual_size);
    }
    uint64_t bat_at = h.table_offset;
    uint64_t bat_bytes = entries * 4; // entries < 2^32: cannot overflow
    auto bat_end = checked_add(bat_at, bat_bytes);
    if (bat_at % k_sector != 0) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: table_offset {} is not "
                    "a multiple of 512",
                    name, hdr_at, bat_at);
    }
    if (!bat_end || *bat_end > m_limit) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: BAT at offset {} with {} entries extends "
                    "beyond the end of the file ({} bytes)",
                    name, hdr_at, bat_at, entries, m_file_size);
    }
    if (bat_at < k_footer_size || (bat_at<*hdr_end&& * bat_end> hdr_at)) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: BAT at offset {} overlaps the footer copy "
                    "or the dynamic header",
                    name, hdr_at, bat_at);
    }
    if (needed > k_max_bat_entries) {
        return fail(Errc::refused,
                    "{}: dynamic header at offset {}: {} BAT entries exceed the limit of {}", name,
                    hdr_at, needed, k_max_bat_entries);
    }

    // Read and validate the entries the virtual size needs.
    std::vector<std::byte> raw_bat(needed * 4);
    OVFKIT_TRY(io::read_exact(*m_file, raw_bat, bat_at));
    m_bat.resize(needed);
    std::vector<std::pair<uint64_t, uint64_t>> blocks; // (file offset, block index)
    for (uint64_t i = 0; i < needed; ++i) {
        m_bat[i] = load<be32>(raw_bat.data() + i * 4);
        if (m_bat[i] == k_unallocated) {
            continue;
        }
        uint64_t at = uint64_t{m_bat[i]} * k_sector;
        uint64_t in_disk = std::min(bs, m_info.virtual_size - i * bs);
        uint64_t end = at + m_bitmap_size + in_disk; // < 2^41 + 2^29: no overflow
        if (end > m_limit) {
            std::string why = fmt::format("{}: BAT entry {} at offset {}: block at offset {} "
                                          "extends beyond the end of the file ({} bytes)",
                                          name, i, bat_at + i * 4, at, m_file_size);
            if (!policy.salvage) {
                return fail(Errc::invalid, "{}", why);
            }
            // Salvaged: the block's bytes in the file are read, the rest are
            // zeros; without its whole sector bitmap no sector is known.
            const uint64_t data_at = at + m_bitmap_size;
            const uint64_t have = data_at < m_limit ? std::min(in_disk, m_limit - data_at) : 0;
            if (data_at > m_limit) {
                m_no_bitmap.insert(i);
            }
            add_missing(i * bs + have, in_disk - have, std::move(why));
        }
        uint64_t span_end = at + m_bitmap_size + bs;
        if (at < k_footer_size || (at < *hdr_end && span_end > hdr_at) ||
            (at < *bat_end && span_end > bat_at)) {
            return fail(Errc::invalid,
                        "{}: BAT entry {} at offset {}: block at offset {} overlaps the footer "
                        "copy, the dynamic header or the BAT",
                        name, i, bat_at + i * 4, at);
        }
        blocks.emplace_back(at, i);
    }
    std::sort(blocks.begin(), blocks.end());
    for (size_t k = 1; k < blocks.size(); ++k) {
        if (blocks[k - 1].first + m_bitmap_size + bs > blocks[k].first) {
            return fail(Errc::invalid,
                        "{}: BAT entries {} and {} overlap (blocks at offsets {} and {})", name,
                        std::min(blocks[k - 1].second, blocks[k].second),
                        std::max(blocks[k - 1].second, blocks[k].second), blocks[k - 1].first,
                        blocks[k].first);
        }
    }
    m_info.allocated_size = 0;
    uint64_t used_end = std::max(*hdr_end, *bat_end);
    for (auto& b : blocks) {
        m_info.allocated_size += std::min(bs, m_info.virtual_size - b.second * bs);
        used_end = std::max(used_end, b.first + m_bitmap_size +
                                          std::min(bs, m_info.virtual_size - b.second * bs));
    }
    // The footer follows the last block. A torn footer (a sector that is
    // there but damaged) falls back to the copy at offset 0; a file that
    // ends before a whole footer fits after its blocks was cut short.
    if (m_footer_offset == 0 && !m_tail_cookie && m_file_size < used_end + k_footer_size) {
        std::string why = fmt::format(
            "{}: the footer (512 bytes after the last block or table, which ends at offset {}) "
            "is missing: the file ends at {}: the image is truncated",
            name, used_end, m_file_size);
        if (!policy.salvage) {
            return fail(Errc::invalid, "{}", why);
        }
        add_missing(0, 0, std::move(why)); // the footer holds no guest data
    }
    m_salvage = policy.salvage;
    m_bitmap.resize(m_bitmap_size);
    return {};
}

Result<std::string> VhdReader::parent_name() {
    const std::string& name = m_file->name();
    auto stored = utf16_to_utf8(std::as_bytes(std::span(m_header.parent_unicode_name)),
                                std::endian::big, Utf16Nul::ends);
    if (!stored) {
        return fail(Errc::invalid,
                    "{}: dynamic header at offset {}: parent_unicode_name is not valid UTF-16",
                    name, m_footer.data_offset.get());
    }
    if (!stored->empty()) {
        return *stored;
    }
    // No stored name: fall back to the locators, relative one first.
    for (uint32_t code : {k_locator_w2ru, k_locator_w2ku, k_locator_macx}) {
        for (size_t i = 0; i < 8; ++i) {
            const ParentLocator& loc = m_header.parent_locators[i];
            if (loc.platform_code != code) {
                continue;
            }
            uint64_t at = loc.platform_data_offset;
            uint64_t len = loc.platform_data_length;
            auto end = checked_add(at, len);
            if (len == 0 || len > k_max_locator_length || !end || *end > m_file_size) {
                return fail(Errc::invalid,
                            "{}: parent locator {}: {} bytes at offset {} lie outside the file "
                            "or exceed {} bytes",
                            name, i, len, at, k_max_locator_length);
            }
            std::vector<std::byte> data(len);
            OVFKIT_TRY(io::read_exact(*m_file, data, at));
            std::optional<std::string> text;
            if (code == k_locator_macx) {
                text = std::string(reinterpret_cast<const char*>(data.data()), data.size());
                text = text->substr(0, text->find('\0'));
            } else {
                text = utf16_to_utf8(data, std::endian::little, Utf16Nul::ends);
            }
            if (!text || text->empty()) {
                return fail(Errc::invalid, "{}: parent locator {} at offset {}: not a path", name,
                            i, at);
            }
            return *text;
        }
    }
    return fail(Errc::invalid,
                "{}: differencing disk names no parent (empty parent name, no W2ru, W2ku or MacX "
                "locator)",
                name);
}

Result<void> VhdReader::open_parent(const OpenContext& ctx) {
    const std::string& name = m_file->name();
    OVFKIT_TRY_ASSIGN(std::string stored, parent_name());
    m_info.parent = stored;
    // Locators hold Windows paths (".\\base.vhd", "C:\\VMs\\base.vhd"): the
    // parent is looked for beside the child under its last component.
    ParentRef ref{m_file.get(), "differencing disk: parent", last_component(stored), 0,
                  unique_id_text(m_footer)};
    OVFKIT_TRY_ASSIGN(OpenContext pctx, disk::open_parent(ctx, ref));
    const std::string& parent = ref.name;
    OVFKIT_TRY_ASSIGN(auto reader, VhdReader::open(pctx));
    if (std::memcmp(reader->m_footer.unique_id, m_header.parent_unique_id, 16) != 0) {
        return fail(Errc::refused,
                    "{}: differencing disk: parent '{}' has unique_id {}, the child expects {}",
                    name, parent, uuid_text(reader->m_footer.unique_id),
                    uuid_text(m_header.parent_unique_id));
    }
    OVFKIT_TRY(check_parent_identity(pctx, ref, unique_id_text(reader->m_footer)));
    if (reader->m_footer.timestamp.get() != m_header.parent_timestamp.get()) {
        warn("DISK-VHD-PARENT-TIMESTAMP",
             fmt::format("{}: differencing disk: parent '{}' has timestamp {}, the child "
                         "recorded {}; the parent may have changed since",
                         name, parent, reader->m_footer.timestamp.get(),
                         m_header.parent_timestamp.get()));
    }
    for (auto& f : reader->m_info.files) {
        m_info.files.push_back(f);
    }
    add_findings(*reader);
    m_parent = std::move(reader);
    return {};
}

Result<void> VhdReader::load_bitmap(uint64_t block) {
    if (block == m_cached_block) {
        return {};
    }
    m_cached_block = ~uint64_t{0};
    if (m_no_bitmap.contains(block)) {
        // Salvaged, bitmap cut off: the block reads from the file (zeros).
        m_bitmap_full = true;
        m_cached_block = block;
        return {};
    }
    OVFKIT_TRY(io::read_exact(*m_file, m_bitmap, uint64_t{m_bat[block]} * k_sector));
    uint64_t sectors = m_block_size / k_sector;
    m_bitmap_full = true;
    for (uint64_t s = 0; s < sectors; s += 8) {
        auto byte = static_cast<uint8_t>(m_bitmap[s / 8]);
        uint8_t want = sectors - s >= 8 ? 0xFF : static_cast<uint8_t>(0xFF00 >> (sectors - s));
        if ((byte & want) != want) {
            m_bitmap_full = false;
            break;
        }
    }
    m_cached_block = block;
    return {};
}

template <class Fn>
Result<void> VhdReader::for_each_run(uint64_t begin, uint64_t end, Fn&& fn) {
    uint64_t pos = begin;
    while (pos < end) {
        uint64_t block = pos / m_block_size;
        uint64_t block_end = std::min((block + 1) * m_block_size, end);
        if (m_bat[block] == k_unallocated) {
            OVFKIT_TRY(fn(pos, block_end, false));
            pos = block_end;
            continue;
        }
        OVFKIT_TRY(load_bitmap(block));
        if (m_bitmap_full) {
            OVFKIT_TRY(fn(pos, block_end, true));
            pos = block_end;
            continue;
        }
        // Sector bits, most significant bit first.
        auto bit = [&](uint64_t p) {
            uint64_t s = (p % m_block_size) / k_sector;
            return (static_cast<uint8_t>(m_bitmap[s / 8]) >> (7 - s % 8) & 1) != 0;
        };
        while (pos < block_end) {
            bool present = bit(pos);
            uint64_t run_end = (pos / k_sector + 1) * k_sector;
            while (run_end < block_end && bit(run_end) == present) {
                run_end += k_sector;
            }
            run_end = std::min(run_end, block_end);
            OVFKIT_TRY(fn(pos, run_end, present));
            pos = run_end;
        }
    }
    return {};
}

Result<std::vector<Extent>> VhdReader::extents(uint64_t offset, uint64_t length) {
    std::vector<Extent> map;
    uint64_t end = std::min(m_info.virtual_size, checked_add(offset, length).value_or(~0ull));
    if (offset >= end) {
        return map;
    }
    if (m_type == k_type_fixed) {
        // Holes in a sparse fixed image read as zeros and need not be copied.
        uint64_t pos = offset;
        while (pos < end) {
            OVFKIT_TRY_ASSIGN(uint64_t data, m_file->next_data(pos));
            data = std::min(data, end);
            append_extent(map, {pos, data - pos, ExtentKind::unallocated});
            if (data >= end) {
                break;
            }
            OVFKIT_TRY_ASSIGN(uint64_t hole, m_file->next_hole(data));
            hole = std::max(std::min(hole, end), data + 1);
            append_extent(map, {data, hole - data, ExtentKind::data});
            pos = hole;
        }
        return map;
    }
    OVFKIT_TRY(for_each_run(offset, end, [&](uint64_t b, uint64_t e, bool present) -> Result<void> {
        if (present) {
            append_extent(map, {b, e - b, ExtentKind::data});
            return {};
        }
        if (!m_parent) {
            append_extent(map, {b, e - b, ExtentKind::unallocated});
            return {};
        }
        uint64_t psize = m_parent->virtual_size();
        if (b < psize) {
            OVFKIT_TRY_ASSIGN(auto sub, m_parent->extents(b, std::min(e, psize) - b));
            for (auto& x : sub) {
                append_extent(map, x);
            }
        }
        if (e > psize) {
            uint64_t from = std::max(b, psize);
            append_extent(map, {from, e - from, ExtentKind::unallocated});
        }
        return {};
    }));
    return map;
}

Result<void> VhdReader::read_range(uint64_t offset, std::span<std::byte> out) {
    const uint64_t end = offset + out.size(); // inside the virtual size (read_at)
    if (m_type == k_type_fixed) {
        return io::read_exact(*m_file, out, offset);
    }
    return for_each_run(offset, end, [&](uint64_t b, uint64_t e, bool present) -> Result<void> {
        auto dst = out.subspan(b - offset, e - b);
        if (present) {
            return m_salvage ? io::read_below(*m_file, dst, data_offset_of(b), m_limit)
                             : io::read_exact(*m_file, dst, data_offset_of(b));
        }
        uint64_t psize = m_parent ? m_parent->virtual_size() : 0;
        uint64_t from_parent = b < psize ? std::min(e, psize) - b : 0;
        if (from_parent > 0) {
            OVFKIT_TRY(m_parent->read_at(b, dst.first(from_parent)));
        }
        std::memset(dst.data() + from_parent, 0, dst.size() - from_parent);
        return {};
    });
}

Result<std::unique_ptr<DiskReader>> open_vhd(OpenContext& ctx) {
    OVFKIT_TRY_ASSIGN(auto r, VhdReader::open(ctx));
    return std::unique_ptr<DiskReader>(std::move(r));
}

// Dynamic and differencing disks: a footer copy at offset 0, unless the tail
// holds a valid fixed footer (then the head is guest data that happens to
// look like a VHD, e.g. a VHD stored inside a fixed VHD).
int probe_vhd(const ProbeInput& in) {
    if (in.head.size() < k_footer_size || !has_cookie(in.head, "conectix")) {
        return 0;
    }
    if (in.tail.size() >= k_footer_size) {
        auto tail = in.tail.last(k_footer_size);
        if (footer_ok(tail) && load<Footer>(tail.data()).disk_type == k_type_fixed) {
            return 0;
        }
    }
    if (!footer_ok(in.head)) {
        return 50; // the open reports the checksum
    }
    uint32_t t = load<Footer>(in.head.data()).disk_type;
    return t == k_type_dynamic || t == k_type_differencing ? 100 : 0;
}

// Fixed disks: only the footer at the end identifies them. A raw disk whose
// last sector merely starts with "conectix" is not enough: the checksum, the
// type and current_size + 512 == file size must all agree.
int probe_vhd_fixed(const ProbeInput& in) {
    if (in.tail.size() < k_footer_size || in.file_size < k_footer_size) {
        return 0;
    }
    auto tail = in.tail.last(k_footer_size);
    if (!footer_ok(tail)) {
        return 0;
    }
    auto f = load<Footer>(tail.data());
    if (f.disk_type != k_type_fixed || f.current_size.get() != in.file_size - k_footer_size) {
        return 0;
    }
    return 100;
}

} // namespace

// OVF disk format URIs: Microsoft's VHD specification links (VirtualBox and
// Hyper-V tools write the fwlink, XenServer the vhdspec.mspx one) and
// OpenXT's bare word (shared formats/ovf-ova.md 3.3). The driver "vhd" reads
// fixed disks too, so a lookup finds it first.
constexpr std::string_view k_vhd_uris[] = {
    "http://go.microsoft.com/fwlink/?LinkId=137171",
    "http://technet.microsoft.com/en-us/virtualserver/bb676673.aspx",
    "http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx",
    "vhd",
};

extern const FormatDriver k_vhd_driver{
    .name = "vhd",
    .description = "Microsoft VHD, dynamic (reads differencing disks too)",
    .family = "vpc",
    .probe = probe_vhd,
    .open = open_vhd,
    .create = vhd::create_dynamic,
    .max_virtual_size = k_max_write_size,
    .supports_compression = false,
    .ovf_uris = k_vhd_uris,
    // Blocks from 4 KiB to 16 MiB: qemu and Hyper-V read them; 2 MiB is what
    // Virtual PC, Hyper-V and qemu write.
    .cluster_sizes = {"block size", 4096, 16 << 20, 2 << 20, true},
};

extern const FormatDriver k_vhd_fixed_driver{
    .name = "vhd-fixed",
    .description = "Microsoft VHD, fixed (size rounded up to a whole MiB, as Azure requires)",
    .family = "vpc",
    .probe = probe_vhd_fixed,
    .open = open_vhd,
    .create = vhd::create_fixed,
    .max_virtual_size = k_max_write_size,
    .supports_compression = false,
    .size_unit = uint64_t{1} << 20,
    .ovf_uris = k_vhd_uris,
    // A fixed disk has no blocks: a block size is accepted and has no effect,
    // as before the options were declared.
    .cluster_sizes = {"block size", 0, UINT64_MAX, 0, false},
};

} // namespace ovfkit::disk::formats
