// Hosted sparse extent reader (VMware "Virtual Disk Format 5.0": "Hosted
// Sparse Extents", "Stream-Optimized Compressed Sparse Extents").
//
//   sector 0            SparseHeader (magic KDMV)
//   descriptorOffset    embedded descriptor text, NUL padded
//   rgdOffset/gdOffset  grain directory: u32 sector of each grain table
//   GT                  512 x u32: sector of each grain; 0 unallocated,
//                       1 zeroed grain (flags bit 2)
//   overHead ...        grains: raw, or (stream) a 12-byte marker + zlib data
//
// Stream files written front to back put gdOffset = GD_AT_END in the leading
// header and a copy with the real value in a footer three sectors from the
// end (footer marker, footer, EOS). Files without a usable footer are read
// by walking the grain markers from overHead on, which is what a pipe reader
// would do anyway.
//
// Everything is validated before use: header fields (docs/disk-formats/vmdk.md
// lists the bounds), the directory against the file size before it is
// allocated, every table entry against the file when the tables are loaded,
// and every compressed grain when it is inflated: the output buffer is
// exactly one grain, so a grain that inflates to more is an error, never an
// allocation. Unsupported: compressed grains without markers (no known
// producer), version 3 change-tracking metadata (ignored, it does not affect
// the data).
#include <algorithm>
#include <cstring>

#include <libdeflate.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/vmdk/sparse_extent.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

constexpr uint64_t k_footer_scan_bytes = uint64_t{1} << 20;

std::string magic_text(uint32_t magic) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        auto c = static_cast<char>((magic >> (8 * i)) & 0xff);
        s += (c >= 0x20 && c < 0x7f) ? c : '.';
    }
    return s;
}

} // namespace

Result<void> validate_header(const SparseHeader& h, uint64_t at, uint64_t file_size,
                             const std::string& file_name) {
    auto where = fmt::format("{}: sparse header at offset {}", file_name, at);
    if (h.magic != k_magic) {
        if (h.magic == (k_magic ^ 0x20202020u)) {
            return fail(Errc::invalid, "{}: magic 'kdmv': the file was not finished by its writer",
                        where);
        }
        return fail(Errc::invalid, "{}: magic '{}' is not 'KDMV'", where, magic_text(h.magic));
    }
    if (h.version < 1 || h.version > 3) {
        return fail(Errc::invalid, "{}: version {} is not supported (1 to 3)", where,
                    h.version.get());
    }
    uint32_t flags = h.flags;
    if ((flags & k_incompatible_mask & ~k_known_incompatible) != 0) {
        return fail(Errc::invalid, "{}: unknown incompatible flags 0x{:08x}", where,
                    flags & k_incompatible_mask & ~k_known_incompatible);
    }
    bool compressed = (flags & k_flag_compressed) != 0;
    bool markers = (flags & k_flag_markers) != 0;
    if (markers && !compressed) {
        return fail(Errc::invalid, "{}: flags 0x{:08x} set markers without compression", where,
                    flags);
    }
    if (compressed && !markers) {
        return fail(Errc::invalid,
                    "{}: flags 0x{:08x}: compressed grains without markers are not supported",
                    where, flags);
    }
    if (compressed && h.compress_algorithm != k_compress_deflate) {
        return fail(Errc::invalid, "{}: compressAlgorithm {} is not 1 (deflate)", where,
                    h.compress_algorithm.get());
    }
    if ((flags & k_flag_newline_check) != 0 &&
        (h.single_end_line_char != '\n' || h.non_end_line_char != ' ' ||
         h.double_end_line_char1 != '\r' || h.double_end_line_char2 != '\n')) {
        return fail(Errc::invalid,
                    "{}: newline check bytes at offset {} are damaged: the file was transferred "
                    "in text mode",
                    where, at + 73);
    }
    uint64_t grain = h.grain_size;
    if (!is_power_of_two(grain) || grain > k_max_grain_sectors) {
        return fail(Errc::invalid,
                    "{}: grainSize {} is not a power of two between 1 and {} sectors", where, grain,
                    k_max_grain_sectors);
    }
    if (h.num_gtes_per_gt != k_gtes_per_gt) {
        return fail(Errc::invalid, "{}: numGTEsPerGT {} is not 512", where,
                    h.num_gtes_per_gt.get());
    }
    if (!checked_mul(h.capacity, k_sector) || h.capacity > (uint64_t{1} << 40)) {
        return fail(Errc::invalid, "{}: capacity {} sectors is larger than 2^40 sectors", where,
                    h.capacity.get());
    }
    if (h.descriptor_offset != 0) {
        if (h.descriptor_size == 0 || h.descriptor_size > k_max_descriptor_sectors) {
            return fail(Errc::invalid, "{}: descriptorSize {} is not between 1 and {} sectors",
                        where, h.descriptor_size.get(), k_max_descriptor_sectors);
        }
        auto end = checked_add(h.descriptor_offset, h.descriptor_size);
        if (!end || !checked_mul(*end, k_sector) || *end * k_sector > file_size) {
            return fail(Errc::invalid,
                        "{}: descriptor at sector {} ({} sectors) lies beyond the end of the file "
                        "({} bytes)",
                        where, h.descriptor_offset.get(), h.descriptor_size.get(), file_size);
        }
    }
    if (h.gd_offset != k_gd_at_end) {
        auto gd = checked_mul(h.gd_offset, k_sector);
        if (h.gd_offset == 0 || !gd || *gd >= file_size) {
            return fail(Errc::invalid, "{}: gdOffset {} points outside the file ({} bytes)", where,
                        h.gd_offset.get(), file_size);
        }
    } else if (!compressed) {
        return fail(Errc::invalid, "{}: gdOffset is GD_AT_END but the grains are not compressed",
                    where);
    }
    if (!checked_mul(h.overhead, k_sector)) {
        return fail(Errc::invalid, "{}: overHead {} overflows", where, h.overhead.get());
    }
    return {};
}

SparseExtent::~SparseExtent() {
    if (m_inflater != nullptr) {
        libdeflate_free_decompressor(m_inflater);
    }
}

Result<std::unique_ptr<SparseExtent>> SparseExtent::open(std::unique_ptr<io::File> file,
                                                         bool salvage) {
    std::unique_ptr<SparseExtent> x(new SparseExtent(std::move(file)));
    x->m_salvage = salvage;
    io::File& f = *x->m_file;
    OVFKIT_TRY_ASSIGN(uint64_t file_size, f.size());
    if (file_size < k_sector) {
        return fail(Errc::invalid,
                    "{}: sparse header at offset 0: file is {} bytes, shorter than the 512-byte "
                    "header",
                    f.name(), file_size);
    }
    std::array<std::byte, k_sector> sector{};
    OVFKIT_TRY(io::read_exact(f, sector, 0));
    x->m_header = load<SparseHeader>(sector.data());
    OVFKIT_TRY(validate_header(x->m_header, 0, file_size, f.name()));
    const SparseHeader& h = x->m_header;

    if (h.descriptor_offset != 0) {
        std::string text(h.descriptor_size * k_sector, '\0');
        OVFKIT_TRY(io::read_exact(f, std::as_writable_bytes(std::span(text.data(), text.size())),
                                  h.descriptor_offset * k_sector));
        text.resize(std::min(text.size(), text.find('\0')));
        x->m_descriptor = std::move(text);
    }
    x->m_compressed = (h.flags & k_flag_compressed) != 0;
    x->m_zeroed_gte = (h.flags & k_flag_zeroed_gte) != 0;
    x->m_capacity_bytes = h.capacity * k_sector;
    x->m_grain_bytes = h.grain_size * k_sector;
    x->m_grains = div_round_up(h.capacity, h.grain_size);
    x->m_num_gts = div_round_up(x->m_grains, k_gtes_per_gt);
    if (x->m_num_gts > k_max_grain_tables) {
        return fail(Errc::invalid,
                    "{}: sparse header at offset 0: capacity {} sectors needs {} grain tables, "
                    "more than {}",
                    f.name(), h.capacity.get(), x->m_num_gts, k_max_grain_tables);
    }
    if (h.capacity == 0) {
        return x; // a descriptor-only file; the caller decides what to do with it
    }
    if (h.gd_offset == k_gd_at_end) {
        OVFKIT_TRY(x->load_footer(file_size));
    } else {
        OVFKIT_TRY(x->load_tables(file_size));
    }
    if (x->m_compressed) {
        x->m_inflater = libdeflate_alloc_decompressor();
        if (x->m_inflater == nullptr) {
            return fail(Errc::io, "{}: out of memory allocating a decompressor", f.name());
        }
    }
    return x;
}

// The footer is a copy of the header with the real gdOffset, preceded by a
// footer marker and followed by an EOS marker (3 sectors at the end).
Result<bool> SparseExtent::try_footer_at(uint64_t pos, uint64_t file_size) {
    std::array<std::byte, 3 * k_sector> tail{};
    OVFKIT_TRY(io::read_exact(*m_file, tail, pos));
    auto marker = load<MetadataMarker>(tail.data());
    if (marker.size != 0 || marker.type != static_cast<uint32_t>(MarkerType::footer) ||
        marker.num_sectors != 1) {
        return false;
    }
    auto footer = load<SparseHeader>(tail.data() + k_sector);
    if (footer.magic != k_magic) {
        return false;
    }
    uint64_t at = pos + k_sector;
    OVFKIT_TRY(validate_header(footer, at, file_size, m_file->name()));
    if (footer.capacity != m_header.capacity || footer.grain_size != m_header.grain_size ||
        footer.num_gtes_per_gt != m_header.num_gtes_per_gt || footer.flags != m_header.flags) {
        return fail(Errc::invalid,
                    "{}: footer at offset {}: capacity, grainSize, numGTEsPerGT or flags differ "
                    "from the header",
                    m_file->name(), at);
    }
    if (footer.gd_offset == k_gd_at_end) {
        return fail(Errc::invalid, "{}: footer at offset {}: gdOffset is GD_AT_END", m_file->name(),
                    at);
    }
    m_header.gd_offset = footer.gd_offset.get();
    return true;
}

Result<void> SparseExtent::load_footer(uint64_t file_size) {
    uint64_t end = file_size & ~(k_sector - 1);
    // The footer normally occupies the last three sectors; copy tools
    // sometimes pad the file, so look back up to 1 MiB for it.
    uint64_t lowest = end > k_footer_scan_bytes ? end - k_footer_scan_bytes : 0;
    uint64_t first_grain = std::max<uint64_t>(
        k_sector, (m_header.descriptor_offset + m_header.descriptor_size) * k_sector);
    for (uint64_t pos = end; pos >= lowest + 3 * k_sector && pos - 3 * k_sector >= first_grain;
         pos -= k_sector) {
        OVFKIT_TRY_ASSIGN(bool found, try_footer_at(pos - 3 * k_sector, file_size));
        if (found) {
            return load_tables(file_size);
        }
    }
    return walk_markers(file_size);
}

std::string SparseExtent::grain_where(uint64_t grain, uint32_t gte) const {
    return fmt::format("{}: grain at guest offset {} (LBA {}, file offset {})", m_file->name(),
                       grain * m_grain_bytes, grain * m_header.grain_size,
                       uint64_t{gte} * k_sector);
}

Result<void> SparseExtent::check_gte(uint64_t grain, uint32_t gte, uint64_t file_size,
                                     const std::string& where) {
    if (gte == 0) {
        return {};
    }
    if (gte == 1 && m_zeroed_gte) {
        return {};
    }
    uint64_t start = uint64_t{gte} * k_sector;
    uint64_t need =
        m_compressed ? k_sector : std::min(m_grain_bytes, m_capacity_bytes - grain * m_grain_bytes);
    uint64_t descriptor_end = (m_header.descriptor_offset + m_header.descriptor_size) * k_sector;
    if (start < k_sector || (m_header.descriptor_offset != 0 && start < descriptor_end &&
                             start + need > m_header.descriptor_offset * k_sector)) {
        return fail(Errc::invalid,
                    "{}: entry {} (grain at guest offset {}) points to sector {}, inside the "
                    "header or descriptor",
                    where, grain % k_gtes_per_gt, grain * m_grain_bytes, gte);
    }
    if (start + need > file_size) {
        std::string why =
            fmt::format("{}: entry {} (grain at guest offset {}) points to sector "
                        "{}, beyond the end of the file ({} bytes)",
                        where, grain % k_gtes_per_gt, grain * m_grain_bytes, gte, file_size);
        if (!m_salvage) {
            return fail(Errc::invalid, "{}", why);
        }
        // Salvaged: an uncompressed grain keeps the bytes the file holds; a
        // compressed one cut short cannot be inflated and reads as zeros.
        const uint64_t valid = std::min(m_grain_bytes, m_capacity_bytes - grain * m_grain_bytes);
        uint64_t have = 0;
        if (!m_compressed && start < file_size) {
            have = std::min(valid, file_size - start);
        }
        if (m_compressed) {
            m_lost.insert(grain);
        }
        m_missing.push_back({grain * m_grain_bytes + have, valid - have, std::move(why)});
    }
    return {};
}

Result<void> SparseExtent::load_tables(uint64_t file_size) {
    const std::string& name = m_file->name();
    m_file_size = file_size;
    uint64_t gd_pos = m_header.gd_offset * k_sector;
    uint64_t gd_bytes = m_num_gts * 4;
    // The directory must lie in the file before anything is allocated for it.
    if (gd_pos + gd_bytes > file_size) {
        return fail(Errc::invalid,
                    "{}: grain directory at offset {} ({} entries) extends beyond the end of the "
                    "file ({} bytes)",
                    name, gd_pos, m_num_gts, file_size);
    }
    std::vector<le32> gd(m_num_gts);
    OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(gd)), gd_pos));
    uint64_t present = 0;
    for (uint64_t t = 0; t < m_num_gts; ++t) {
        if (gd[t] != 0) {
            ++present;
        }
    }
    if (present * k_gt_bytes > k_max_grain_table_bytes) {
        return fail(Errc::refused,
                    "{}: grain directory at offset {}: {} grain tables need {} MiB, more than the "
                    "limit of {} MiB",
                    name, gd_pos, present, present * k_gt_bytes >> 20,
                    k_max_grain_table_bytes >> 20);
    }
    m_gt_slot.assign(m_num_gts, k_no_gt);
    m_pool.resize(present * k_gtes_per_gt);
    std::vector<le32> gt(k_gtes_per_gt);
    uint32_t slot = 0;
    for (uint64_t t = 0; t < m_num_gts; ++t) {
        uint64_t gt_pos = uint64_t{gd[t]} * k_sector;
        if (gd[t] == 0) {
            continue;
        }
        if (gt_pos + k_gt_bytes > file_size) {
            std::string why = fmt::format("{}: grain directory at offset {}: entry {} points to "
                                          "a grain table at offset {}, beyond the end of the "
                                          "file ({} bytes)",
                                          name, gd_pos, t, gt_pos, file_size);
            if (!m_salvage) {
                return fail(Errc::invalid, "{}", why);
            }
            // Salvaged: the table's grains are unknown and read as zeros.
            const uint64_t from = t * k_gtes_per_gt * m_grain_bytes;
            if (from < m_capacity_bytes) {
                const uint64_t span =
                    std::min(k_gtes_per_gt * m_grain_bytes, m_capacity_bytes - from);
                m_missing.push_back({from, span, std::move(why)});
            }
            continue;
        }
        OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(gt)), gt_pos));
        auto where = fmt::format("{}: grain table {} at offset {}", name, t, gt_pos);
        for (uint64_t i = 0; i < k_gtes_per_gt; ++i) {
            uint64_t grain = t * k_gtes_per_gt + i;
            uint32_t v = gt[i];
            if (grain >= m_grains) {
                v = 0; // beyond the capacity: ignored
            }
            OVFKIT_TRY(check_gte(grain, v, file_size, where));
            m_pool[uint64_t{slot} * k_gtes_per_gt + i] = v;
            if (v > 1 || (v == 1 && !m_zeroed_gte)) {
                m_allocated_bytes +=
                    std::min(m_grain_bytes, m_capacity_bytes - grain * m_grain_bytes);
            }
        }
        m_gt_slot[t] = slot++;
    }
    return {};
}

// Rebuilds the grain tables of a stream file from its grain markers, from
// overHead to the EOS marker (or the end of the file).
Result<void> SparseExtent::walk_markers(uint64_t file_size) {
    const std::string& name = m_file->name();
    uint64_t descriptor_end = (m_header.descriptor_offset + m_header.descriptor_size) * k_sector;
    uint64_t pos = std::max({m_header.overhead * k_sector, descriptor_end, k_sector});
    // Every complete stream file holds a grain directory for its capacity,
    // so a capacity whose directory could not fit in the file is corrupt;
    // checking it bounds the table index allocated here.
    if (m_num_gts * 4 > file_size) {
        return fail(Errc::invalid,
                    "{}: capacity {} sectors needs a grain directory of {} bytes, more than the "
                    "file holds ({} bytes)",
                    name, m_header.capacity.get(), m_num_gts * 4, file_size);
    }
    m_gt_slot.assign(m_num_gts, k_no_gt);
    uint32_t slots = 0;
    std::array<std::byte, k_sector> sector{};
    bool eos = false;
    bool footer = false;
    uint64_t guest_end = 0; // the end of the highest grain read
    // A cut stream: fails, or with salvage keeps what was read and lists the
    // guest bytes from `from` on as missing (stream writers write grains in
    // ascending order, so nothing after the cut was stored before it).
    auto truncated = [&](uint64_t from, std::string why) -> Result<void> {
        if (!m_salvage) {
            return fail(Errc::invalid, "{}", why);
        }
        from = std::min(from, m_capacity_bytes);
        m_missing.push_back({from, m_capacity_bytes - from, std::move(why)});
        return {};
    };
    while (pos + k_sector <= file_size) {
        OVFKIT_TRY(io::read_exact(*m_file, sector, pos));
        auto grain_marker = load<GrainMarker>(sector.data());
        if (grain_marker.size == 0) {
            auto marker = load<MetadataMarker>(sector.data());
            if (marker.type == static_cast<uint32_t>(MarkerType::eos)) {
                eos = true;
                break;
            }
            footer = footer || marker.type == static_cast<uint32_t>(MarkerType::footer);
            auto skip = checked_mul(marker.num_sectors, k_sector);
            if (!skip || *skip > file_size - pos - k_sector) {
                return truncated(
                    guest_end,
                    fmt::format("{}: marker at offset {}: {} sectors of metadata run beyond the "
                                "end of the file ({} bytes): the image is truncated",
                                name, pos, marker.num_sectors.get(), file_size));
            }
            pos += k_sector + *skip;
            continue;
        }
        uint64_t lba = grain_marker.lba;
        if (lba % m_header.grain_size != 0 || lba >= m_header.capacity) {
            return fail(Errc::invalid,
                        "{}: grain marker at offset {}: LBA {} is not a grain start below the "
                        "capacity ({} sectors)",
                        name, pos, lba, m_header.capacity.get());
        }
        if (grain_marker.size > 2 * m_grain_bytes) {
            return fail(Errc::invalid,
                        "{}: grain marker at offset {}: compressed size {} is larger than twice "
                        "the grain size",
                        name, pos, grain_marker.size.get());
        }
        uint64_t blocks = div_round_up(sizeof(GrainMarker) + grain_marker.size, k_sector);
        if (pos / k_sector > 0xffffffffu) {
            return fail(Errc::invalid,
                        "{}: grain marker at offset {}: beyond the 2 TiB a grain table entry can "
                        "address",
                        name, pos);
        }
        if (pos + sizeof(GrainMarker) + grain_marker.size > file_size) {
            return truncated(std::min(guest_end, lba * k_sector),
                             fmt::format("{}: grain marker at offset {}: {} bytes of data run "
                                         "beyond the end of the file ({} bytes): the image is "
                                         "truncated",
                                         name, pos, grain_marker.size.get(), file_size));
        }
        uint64_t grain = lba / m_header.grain_size;
        uint64_t t = grain / k_gtes_per_gt;
        if (m_gt_slot[t] == k_no_gt) {
            if ((uint64_t{slots} + 1) * k_gt_bytes > k_max_grain_table_bytes) {
                return fail(Errc::refused, "{}: grain tables need more than {} MiB", name,
                            k_max_grain_table_bytes >> 20);
            }
            m_gt_slot[t] = slots++;
            m_pool.resize(uint64_t{slots} * k_gtes_per_gt);
        }
        uint32_t& entry = m_pool[uint64_t{m_gt_slot[t]} * k_gtes_per_gt + grain % k_gtes_per_gt];
        if (entry != 0) {
            return fail(Errc::invalid,
                        "{}: grain marker at offset {}: LBA {} was already stored at offset {}",
                        name, pos, lba, uint64_t{entry} * k_sector);
        }
        entry = static_cast<uint32_t>(pos / k_sector);
        m_allocated_bytes += std::min(m_grain_bytes, m_capacity_bytes - grain * m_grain_bytes);
        guest_end = std::max(guest_end, std::min(m_capacity_bytes, (grain + 1) * m_grain_bytes));
        pos += blocks * k_sector;
    }
    // A stream whose grain directory is at the end ends with its footer and
    // an end-of-stream marker, the EOS last: a file that stops before the
    // EOS was cut short, even when it stops at a grain boundary where every
    // grain read is whole. (An EOS without a footer before it is damaged,
    // not short: the grains are all there and are read.)
    if (!eos) {
        return truncated(guest_end,
                         fmt::format("{}: the stream ends at offset {} without its {}end-of-stream "
                                     "marker: the image is truncated (the last grain read ends at "
                                     "guest offset {})",
                                     name, std::min(pos, file_size), footer ? "" : "footer and ",
                                     guest_end));
    }
    return {};
}

uint32_t SparseExtent::gte(uint64_t grain) const {
    uint32_t slot = m_gt_slot[grain / k_gtes_per_gt];
    if (slot == k_no_gt) {
        return 0;
    }
    return m_pool[uint64_t{slot} * k_gtes_per_gt + grain % k_gtes_per_gt];
}

void SparseExtent::map(uint64_t offset, uint64_t length, uint64_t base,
                       std::vector<Extent>& out) const {
    uint64_t end = std::min(offset + length, m_capacity_bytes);
    uint64_t gt_bytes = m_grain_bytes * k_gtes_per_gt;
    while (offset < end) {
        uint64_t grain = offset / m_grain_bytes;
        uint64_t t = grain / k_gtes_per_gt;
        if (m_gt_slot[t] == k_no_gt) {
            uint64_t stop = std::min(end, (t + 1) * gt_bytes);
            append_extent(out, {base + offset, stop - offset, ExtentKind::unallocated});
            offset = stop;
            continue;
        }
        uint32_t v = gte(grain);
        ExtentKind kind = v == 0                     ? ExtentKind::unallocated
                          : (v == 1 && m_zeroed_gte) ? ExtentKind::zero
                                                     : ExtentKind::data;
        uint64_t stop = std::min(end, (grain + 1) * m_grain_bytes);
        append_extent(out, {base + offset, stop - offset, kind});
        offset = stop;
    }
}

Result<void> SparseExtent::inflate_grain(uint64_t grain, uint32_t gte) {
    auto where = grain_where(grain, gte);
    uint64_t pos = uint64_t{gte} * k_sector;
    OVFKIT_TRY_ASSIGN(uint64_t file_size, m_file->size());
    std::array<std::byte, sizeof(GrainMarker)> head{};
    OVFKIT_TRY(io::read_exact(*m_file, head, pos));
    auto marker = load<GrainMarker>(head.data());
    uint64_t lba = grain * m_header.grain_size;
    if (marker.lba != lba) {
        return fail(Errc::invalid, "{}: grain marker says LBA {}", where, marker.lba.get());
    }
    if (marker.size == 0 || marker.size > 2 * m_grain_bytes) {
        return fail(Errc::invalid,
                    "{}: compressed size {} is not between 1 and twice the grain size ({})", where,
                    marker.size.get(), 2 * m_grain_bytes);
    }
    if (pos + sizeof(GrainMarker) + marker.size > file_size) {
        return fail(Errc::invalid,
                    "{}: {} bytes of compressed data run beyond the end of the file ({} bytes)",
                    where, marker.size.get(), file_size);
    }
    m_compressed_buf.resize(marker.size);
    OVFKIT_TRY(io::read_exact(*m_file, m_compressed_buf, pos + sizeof(GrainMarker)));
    m_grain.resize(m_grain_bytes);
    m_cached_grain = ~uint64_t{0};
    size_t produced = 0;
    // The output buffer is exactly one grain: a stream that wants more is
    // reported as LIBDEFLATE_INSUFFICIENT_SPACE, never allowed to grow.
    auto r =
        libdeflate_zlib_decompress(m_inflater, m_compressed_buf.data(), m_compressed_buf.size(),
                                   m_grain.data(), m_grain.size(), &produced);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        return fail(Errc::invalid, "{}: compressed data inflates to more than the grain size {}",
                    where, m_grain_bytes);
    }
    if (r != LIBDEFLATE_SUCCESS) {
        return fail(Errc::invalid, "{}: compressed data is not a valid zlib stream", where);
    }
    // The last grain of a disk whose capacity is not a grain multiple may
    // be stored short (qemu does) or padded to a whole grain.
    uint64_t valid = std::min(m_grain_bytes, m_capacity_bytes - grain * m_grain_bytes);
    if (produced != m_grain_bytes && produced != valid) {
        return fail(Errc::invalid, "{}: compressed data inflates to {} bytes instead of {}", where,
                    produced, valid);
    }
    std::fill(m_grain.begin() + static_cast<ptrdiff_t>(produced), m_grain.end(), std::byte{0});
    m_cached_grain = grain;
    return {};
}

Result<void> SparseExtent::read(uint64_t offset, std::span<std::byte> out) {
    while (!out.empty()) {
        uint64_t grain = offset / m_grain_bytes;
        uint64_t in_grain = offset % m_grain_bytes;
        size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), m_grain_bytes - in_grain));
        uint32_t v = gte(grain);
        if (v == 0 || (v == 1 && m_zeroed_gte)) {
            std::memset(out.data(), 0, n);
        } else if (m_lost.contains(grain)) {
            std::memset(out.data(), 0, n);
        } else if (m_compressed) {
            if (m_cached_grain != grain) {
                OVFKIT_TRY(inflate_grain(grain, v));
            }
            std::memcpy(out.data(), m_grain.data() + in_grain, n);
        } else {
            const uint64_t at = uint64_t{v} * k_sector + in_grain;
            OVFKIT_TRY(m_salvage ? io::read_below(*m_file, out.first(n), at, m_file_size)
                                 : io::read_exact(*m_file, out.first(n), at));
        }
        out = out.subspan(n);
        offset += n;
    }
    return {};
}

} // namespace ovfkit::disk::formats::vmdk
