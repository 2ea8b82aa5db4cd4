// QCOW2 reader and driver entry (qemu docs/interop/qcow2.txt, versions 2 and 3).
//
// Layout: cluster 0 holds the header, header extensions and the backing file
// name. The active L1 table (contiguous, l1_size u64 entries) points to L2
// tables of one cluster each; an L2 entry maps one guest cluster:
//
//   guest offset -> l1_index = off / C / (C/8), l2_index = off / C % (C/8)
//   L2 entry: bit 63 COPIED | bit 62 compressed | bits 9-55 host offset | bit 0 zero (v3)
//   compressed: low (62 - (cluster_bits - 8)) bits are a byte offset, the rest a
//   count of additional 512-byte sectors; the stream is raw deflate (qemu's
//   "zlib" compression type) or, with compression_type 1, one zstd frame,
//   and inflates to exactly one cluster. The range is rounded up to whole
//   sectors, so bytes may follow the stream's end.
//
// Refcount tables do not take part in reading; check() rebuilds references
// from L1/L2 and compares (check.cpp).
//
// Supported: v2 and v3, cluster sizes 512 B..2 MiB, compressed clusters
// (deflate, or zstd through libzstd), zero clusters, preallocated metadata, dirty images (the
// mapping is authoritative; refcounts are never trusted nor written), internal snapshots (ignored:
// only the active state is read), backing files when the policy allows them (single-component name
// in the image's directory, format stated by the backing-format extension, depth and loops
// bounded). Refused: corrupt bit, external data files (CVE-2024-32498), encryption, extended L2
// entries (subclusters), unknown incompatible features. Every refusal names the structure and byte
// offset.
#include <algorithm>
#include <cstring>
#include <optional>

#include <libdeflate.h>
#include <zstd.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/chain.hpp>
#include <ovfkit/disk/formats/qcow2/internal.hpp>
#include <ovfkit/disk/formats/registry.hpp>

namespace ovfkit::disk::formats {

namespace qcow2 {

namespace {

// L2 tables kept in memory: enough for sequential reads to never reload a
// table, bounded to 32 MiB for 2 MiB clusters.
constexpr size_t k_l2_cache_bytes = 32u << 20;
constexpr size_t k_l2_cache_max_slots = 16;

// Everything learned from cluster 0 besides the fixed header.
struct Extensions {
    std::optional<std::string> backing_format;
    std::vector<FeatureNameEntry> feature_names;
    bool has_data_file = false;
    bool has_crypto = false;
    bool has_bitmaps = false;
};

std::string feature_name(const Extensions& ext, uint8_t type, uint32_t bit) {
    for (const auto& e : ext.feature_names) {
        if (e.type == type && e.bit == bit) {
            size_t n = strnlen(e.name, sizeof e.name);
            return printable(std::string_view(e.name, n));
        }
    }
    return {};
}

// Walks the header extensions in [start, end) of cluster 0 the way qemu's
// qcow2_read_extensions() does: every extension header and its data must lie
// before the end of the area.
Result<Extensions> parse_extensions(const std::string& name, std::span<const std::byte> c0,
                                    uint64_t start, uint64_t end) {
    Extensions ext;
    end = std::min<uint64_t>(end, c0.size());
    uint64_t pos = start;
    bool seen_backing = false;
    bool seen_features = false;
    bool seen_bitmaps = false;
    while (pos < end) {
        if (end - pos < sizeof(ExtensionHeader)) {
            return fail(Errc::invalid,
                        "{}: header extension at offset {:#x}: 8-byte extension header runs past "
                        "the end of the extension area at {:#x}",
                        name, pos, end);
        }
        auto eh = load<ExtensionHeader>(c0.data() + pos);
        uint32_t type = eh.type;
        uint64_t len = eh.length;
        uint64_t data = pos + sizeof(ExtensionHeader);
        if (len > end - data) {
            return fail(Errc::invalid,
                        "{}: header extension {:#010x} at offset {:#x}: length {} runs past the "
                        "end of the extension area at {:#x}",
                        name, type, pos, len, end);
        }
        auto bytes = c0.subspan(data, len);
        auto twice = [&](bool& seen) -> Result<void> {
            if (seen) {
                return fail(Errc::invalid,
                            "{}: header extension {:#010x} at offset {:#x} appears twice", name,
                            type, pos);
            }
            seen = true;
            return {};
        };
        switch (type) {
        case k_ext_end:
            return ext;
        case k_ext_backing_format:
            OVFKIT_TRY(twice(seen_backing));
            // qemu keeps the name in a 16-byte buffer.
            if (len == 0 || len > 15) {
                return fail(Errc::invalid,
                            "{}: backing format extension at offset {:#x}: length {} is outside "
                            "1..15",
                            name, pos, len);
            }
            ext.backing_format =
                std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            break;
        case k_ext_feature_table:
            OVFKIT_TRY(twice(seen_features));
            for (uint64_t i = 0; i + sizeof(FeatureNameEntry) <= len;
                 i += sizeof(FeatureNameEntry)) {
                ext.feature_names.push_back(load<FeatureNameEntry>(bytes.data() + i));
            }
            break;
        case k_ext_bitmaps:
            OVFKIT_TRY(twice(seen_bitmaps));
            ext.has_bitmaps = true;
            break;
        case k_ext_crypto:
            ext.has_crypto = true;
            break;
        case k_ext_data_file:
            ext.has_data_file = true;
            break;
        default:
            break; // unknown extensions are skipped, as the spec says
        }
        // Data is padded to a multiple of 8; len <= end - data keeps this in range.
        pos = data + ((len + 7) & ~uint64_t{7});
    }
    return ext;
}

struct Parsed {
    Header header;
    Extensions ext;
    std::optional<std::string> backing_name;
};

// Validates the header field by field, in the order a reader depends on them.
Result<Parsed> parse_header(io::File& file, uint64_t file_size, const OpenPolicy& policy) {
    const std::string& name = file.name();
    if (file_size < k_header_v2_length) {
        return fail(Errc::invalid,
                    "{}: qcow2 header at offset 0: file is {} bytes, shorter than the 72-byte "
                    "header",
                    name, file_size);
    }
    std::byte fixed[sizeof(HeaderV3)] = {};
    OVFKIT_TRY(file.pread(std::span(fixed), 0));
    auto v2 = load<HeaderV2>(fixed);
    if (v2.magic != k_magic) {
        return fail(Errc::invalid, "{}: qcow2 header at offset 0: bad magic {:#010x}", name,
                    uint32_t{v2.magic});
    }
    Parsed p;
    Header& h = p.header;
    h.version = v2.version;
    if (h.version != 2 && h.version != 3) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: version {} (offset 4) is not supported (2 and 3 are)", name,
                    h.version);
    }
    if (h.version == 3 && file_size < k_header_v3_min_length) {
        return fail(Errc::invalid,
                    "{}: qcow2 header at offset 0: file is {} bytes, shorter than the 104-byte "
                    "version 3 header",
                    name, file_size);
    }
    h.cluster_bits = v2.cluster_bits;
    if (h.cluster_bits < k_min_cluster_bits || h.cluster_bits > k_max_cluster_bits) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: cluster_bits {} (offset 20) is outside {}..{}", name,
                    h.cluster_bits, k_min_cluster_bits, k_max_cluster_bits);
    }
    h.cluster_size = uint64_t{1} << h.cluster_bits;
    const uint64_t c = h.cluster_size;
    if (h.version == 3) {
        auto v3 = load<HeaderV3>(fixed);
        h.incompatible = v3.incompatible_features;
        h.compatible = v3.compatible_features;
        h.autoclear = v3.autoclear_features;
        h.refcount_order = v3.refcount_order;
        h.header_length = v3.header_length;
        if (h.header_length < k_header_v3_min_length || h.header_length % 8 != 0) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: header_length {} (offset 100) must be a multiple of 8 "
                        "and at least 104",
                        name, h.header_length);
        }
        if (h.header_length > c) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: header_length {} (offset 100) is larger than the "
                        "cluster size {}",
                        name, h.header_length, c);
        }
        if (h.header_length > file_size) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: header_length {} (offset 100) runs past the end of "
                        "the file ({} bytes)",
                        name, h.header_length, file_size);
        }
        if (h.refcount_order > k_max_refcount_order) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: refcount_order {} (offset 96) is larger than 6", name,
                        h.refcount_order);
        }
    }

    // Cluster 0 holds the extensions and the backing file name.
    std::vector<std::byte> c0(static_cast<size_t>(std::min(c, file_size)));
    OVFKIT_TRY(io::read_exact(file, c0, 0));

    h.backing_file_offset = v2.backing_file_offset;
    h.backing_file_size = v2.backing_file_size;
    uint64_t ext_end = c;
    if (h.backing_file_offset != 0) {
        if (h.backing_file_offset > c) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: backing_file_offset {:#x} (offset 8) lies outside "
                        "cluster 0 ({} bytes)",
                        name, h.backing_file_offset, c);
        }
        if (h.backing_file_size > k_max_backing_name) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: backing_file_size {} (offset 16) is longer than 1023",
                        name, h.backing_file_size);
        }
        if (h.backing_file_offset + h.backing_file_size > c0.size()) {
            return fail(Errc::invalid,
                        "{}: qcow2 header: backing file name at {:#x} ({} bytes) runs past the "
                        "end of cluster 0 or of the file",
                        name, h.backing_file_offset, h.backing_file_size);
        }
        p.backing_name = std::string(
            reinterpret_cast<const char*>(c0.data() + h.backing_file_offset), h.backing_file_size);
        ext_end = h.backing_file_offset;
    }
    OVFKIT_TRY_ASSIGN(p.ext, parse_extensions(name, c0, h.header_length, ext_end));
    h.has_bitmaps_extension = p.ext.has_bitmaps;

    // Incompatible features: each known bit is either understood or refused.
    if (h.incompatible & k_incompat_corrupt) {
        return fail(Errc::refused,
                    "{}: qcow2 header: incompatible feature bit 1 (corrupt, offset 72) is set: "
                    "qemu marked the image corrupt; repair it with 'qemu-img check -r all' first",
                    name);
    }
    if (h.incompatible & k_incompat_data_file) {
        return fail(Errc::refused,
                    "{}: qcow2 header: incompatible feature bit 2 (external data file, offset 72) "
                    "is set: guest data in another file is refused (it can name any host file, "
                    "CVE-2024-32498)",
                    name);
    }
    if (h.incompatible & k_incompat_extl2) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: incompatible feature bit 4 (extended L2 entries, offset "
                    "72) is set: images with subclusters are not supported",
                    name);
    }
    uint8_t compression = k_compression_zlib;
    if (h.header_length > 104) {
        compression = static_cast<uint8_t>(c0[104]);
    }
    if ((h.incompatible & k_incompat_compression) != 0 && compression == k_compression_zlib) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: incompatible feature bit 3 (compression type) is set but "
                    "compression_type (offset 104) is 0",
                    name);
    }
    if ((h.incompatible & k_incompat_compression) == 0 && compression != k_compression_zlib) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: compression_type {} (offset 104) is set without "
                    "incompatible feature bit 3",
                    name, compression);
    }
    if (compression != k_compression_zlib && compression != k_compression_zstd) {
        return fail(Errc::invalid, "{}: qcow2 header: compression_type {} (offset 104) is unknown",
                    name, compression);
    }
    h.compression_type = compression;
    constexpr uint64_t k_known = k_incompat_dirty | k_incompat_compression;
    if (uint64_t unknown = h.incompatible & ~k_known; unknown != 0) {
        auto bit = static_cast<uint32_t>(__builtin_ctzll(unknown));
        std::string fname = feature_name(p.ext, 0, bit);
        return fail(Errc::invalid,
                    "{}: qcow2 header: unknown incompatible feature bit {}{} (offset 72) is set",
                    name, bit, fname.empty() ? std::string() : " '" + fname + "'");
    }

    auto crypt = uint32_t{v2.crypt_method};
    if (crypt != 0 || p.ext.has_crypto) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: crypt_method {} (offset 32): encrypted images are not "
                    "supported",
                    name, crypt);
    }

    h.size = v2.size;
    if (h.size > policy.max_virtual_size) {
        return fail(Errc::refused,
                    "{}: qcow2 header: virtual size {} (offset 24) exceeds the limit of {} bytes",
                    name, h.size, policy.max_virtual_size);
    }

    // Active L1 table: large enough for the virtual size, bounded, inside the file.
    h.l1_size = v2.l1_size;
    h.l1_table_offset = v2.l1_table_offset;
    const uint64_t l2_entries = c / 8;
    const uint64_t needed = div_round_up(div_round_up(h.size, c), l2_entries);
    if (uint64_t{h.l1_size} * 8 > k_max_l1_bytes) {
        return fail(Errc::refused,
                    "{}: qcow2 header: l1_size {} (offset 36) exceeds the 32 MiB L1 table limit",
                    name, h.l1_size);
    }
    if (h.l1_size < needed) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: l1_size {} (offset 36) is too small for virtual size {} "
                    "(needs {})",
                    name, h.l1_size, h.size, needed);
    }
    if (h.l1_table_offset % c != 0) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: l1_table_offset {:#x} (offset 40) is not cluster-aligned",
                    name, h.l1_table_offset);
    }
    if (needed > 0 && (h.l1_table_offset == 0 || h.l1_table_offset > file_size ||
                       needed * 8 > file_size - h.l1_table_offset)) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: L1 table at {:#x} (offset 40, {} entries used) lies "
                    "outside the file ({} bytes)",
                    name, h.l1_table_offset, needed, file_size);
    }

    // Refcount table: only check() reads it, but its geometry must be sane.
    h.refcount_table_offset = v2.refcount_table_offset;
    h.refcount_table_clusters = v2.refcount_table_clusters;
    if (h.refcount_table_offset % c != 0) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: refcount_table_offset {:#x} (offset 48) is not "
                    "cluster-aligned",
                    name, h.refcount_table_offset);
    }
    if (h.refcount_table_clusters == 0) {
        return fail(Errc::invalid, "{}: qcow2 header: refcount_table_clusters (offset 56) is 0",
                    name);
    }
    if (uint64_t{h.refcount_table_clusters} * c > k_max_reftable_bytes) {
        return fail(Errc::refused,
                    "{}: qcow2 header: refcount_table_clusters {} (offset 56) exceeds the 8 MiB "
                    "refcount table limit",
                    name, h.refcount_table_clusters);
    }
    if (h.refcount_table_offset > k_max_host_offset) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: refcount_table_offset {:#x} (offset 48) is beyond 2^56",
                    name, h.refcount_table_offset);
    }

    // Snapshots are never read, but their table must be plausible.
    h.nb_snapshots = v2.nb_snapshots;
    h.snapshots_offset = v2.snapshots_offset;
    if (h.nb_snapshots > k_max_snapshots) {
        return fail(Errc::refused,
                    "{}: qcow2 header: nb_snapshots {} (offset 60) exceeds the limit of 65536",
                    name, h.nb_snapshots);
    }
    if (h.snapshots_offset % c != 0) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: snapshots_offset {:#x} (offset 64) is not cluster-aligned",
                    name, h.snapshots_offset);
    }
    if (h.nb_snapshots > 0 && (h.snapshots_offset == 0 || h.snapshots_offset >= file_size)) {
        return fail(Errc::invalid,
                    "{}: qcow2 header: snapshot table at {:#x} (offset 64, {} snapshots) lies "
                    "outside the file ({} bytes)",
                    name, h.snapshots_offset, h.nb_snapshots, file_size);
    }
    return p;
}

Result<std::unique_ptr<DiskReader>> open_image(OpenContext& ctx);

// Opens the backing file named in the header under the chain policy
// (disk/chain.hpp; SECURITY.md R1, R3, R4, R14), with the stated format.
Result<std::unique_ptr<DiskReader>> open_backing(OpenContext& ctx, const Parsed& p) {
    const std::string& name = ctx.file->name();
    const std::string& bname = *p.backing_name;
    const std::string shown = printable(bname);
    const uint64_t at = p.header.backing_file_offset;
    // Protocol syntax is refused outright, parents allowed or not (R3).
    if (bname.find(':') != std::string::npos) {
        return fail(Errc::refused,
                    "{}: backing file name '{}' at offset {:#x} has ':' (protocol prefixes such "
                    "as json:, nbd:, file: are always refused)",
                    name, shown, at);
    }
    ParentRef ref{ctx.file.get(), "backing file", bname, at, {}};
    OVFKIT_TRY_ASSIGN(OpenContext sub, disk::open_parent(ctx, ref));
    if (!p.ext.backing_format) {
        return fail(Errc::refused,
                    "{}: backing file '{}' has no backing format extension (0xe2792aca); "
                    "probing the format of a backing file is refused",
                    name, shown);
    }
    const std::string& fmt_name = *p.ext.backing_format;
    if (fmt_name == "qcow2") {
        return open_image(sub);
    }
    for (const FormatDriver* d : all()) {
        if (d->family == fmt_name && d->open != nullptr) {
            return d->open(sub);
        }
    }
    return fail(Errc::invalid, "{}: backing file '{}' has format '{}', which is not supported",
                name, shown, printable(fmt_name));
}

Result<std::unique_ptr<DiskReader>> open_image(OpenContext& ctx) {
    if (!ctx.file) {
        return fail(Errc::usage, "qcow2: no file to open");
    }
    OVFKIT_TRY_ASSIGN(uint64_t file_size, ctx.file->size());
    OVFKIT_TRY_ASSIGN(Parsed p, parse_header(*ctx.file, file_size, ctx.policy));
    std::unique_ptr<DiskReader> parent;
    if (p.backing_name) {
        OVFKIT_TRY_ASSIGN(parent, open_backing(ctx, p));
    }
    std::string file_name = ctx.file->name();
    auto reader = std::make_unique<Reader>(std::move(ctx.file), file_size, p.header);
    DiskInfo& info = reader->mutable_info();
    info.format = "qcow2";
    info.virtual_size = p.header.size;
    info.cluster_size = p.header.cluster_size;
    info.dirty = (p.header.incompatible & k_incompat_dirty) != 0;
    info.parent = p.backing_name;
    info.files.push_back(file_name);
    if (info.dirty) {
        reader->add_warning("DISK-QCOW2-DIRTY",
                            fmt::format("{}: qcow2 header: the dirty bit (incompatible_features "
                                        "bit 0, offset 72) is set: the image was not closed "
                                        "cleanly and its refcounts may be stale; data is read "
                                        "through the L1/L2 tables, the file is not changed",
                                        file_name));
    }
    if (parent) {
        for (const auto& f : parent->info().files) {
            info.files.push_back(f);
        }
    }
    reader->set_parent(std::move(parent));
    OVFKIT_TRY(reader->load_l1(ctx.policy.salvage));
    return std::unique_ptr<DiskReader>(std::move(reader));
}

Result<std::unique_ptr<DiskReader>> open(OpenContext& ctx) {
    return open_image(ctx);
}

int probe(const ProbeInput& input) {
    if (input.head.size() < 8) {
        return 0;
    }
    auto v2 = load<be32>(input.head.data());
    auto version = load<be32>(input.head.data() + 4);
    if (v2 != k_magic) {
        return 0;
    }
    return (version == 2u || version == 3u) ? 100 : 60;
}

} // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u >= 0x7f || ch == '\'' || ch == '\\') {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out += ch;
        }
    }
    return out;
}

Reader::Reader(std::unique_ptr<io::File> file, uint64_t file_size, Header header)
    : m_file(std::move(file)), m_file_size(file_size), m_h(header),
      m_cluster_size(header.cluster_size), m_l2_entries(header.cluster_size / 8),
      m_comp(CompressedLayout::for_cluster_bits(header.cluster_bits)) {
    size_t slots = std::clamp<size_t>(k_l2_cache_bytes / m_cluster_size, 2, k_l2_cache_max_slots);
    m_l2_cache.resize(slots);
}

Reader::~Reader() {
    if (m_inflater != nullptr) {
        libdeflate_free_decompressor(m_inflater);
    }
    ZSTD_freeDCtx(m_zstd); // accepts null
}

Result<void> Reader::load_l1(bool salvage) {
    const uint64_t c = m_cluster_size;
    const uint64_t needed = div_round_up(div_round_up(m_h.size, c), m_l2_entries);
    // parse_header() bounded needed * 8 by the file size and by 32 MiB.
    if (needed == 0) {
        return {};
    }
    std::vector<be64> raw(static_cast<size_t>(needed));
    OVFKIT_TRY(
        io::read_exact(*m_file, std::as_writable_bytes(std::span(raw)), m_h.l1_table_offset));
    m_l1.resize(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        m_l1[i] = raw[i];
    }
    const std::string& name = m_file->name();
    auto past_end = [&](uint64_t off) { return off >= m_file_size || c > m_file_size - off; };
    // Tables past the end of the file: the image was cut short. Checked
    // here, where it is cheap (the tables are small), so that a truncated
    // image fails to open instead of part-way through a conversion.
    const uint64_t l1_span = m_l2_entries * c; // guest bytes one L2 table maps
    for (size_t i = 0; i < m_l1.size(); ++i) {
        const uint64_t off = m_l1[i] & k_l1_offset_mask;
        if (off == 0 || (m_l1[i] & k_l1_reserved_mask) != 0 || off % c != 0 || !past_end(off)) {
            continue; // unallocated, or refused with its own message by load_l2()
        }
        const std::string why =
            fmt::format("{}: L1 entry {} at offset {:#x}: L2 table at {:#x} lies outside the file "
                        "({} bytes): the image is truncated",
                        name, i, m_h.l1_table_offset + i * 8, off, m_file_size);
        if (!salvage) {
            return fail(Errc::invalid, "{}", why);
        }
        const uint64_t from = i * l1_span;
        add_missing(from, std::min(l1_span, m_h.size - from), why);
        m_l1[i] = 0;
    }
    const uint64_t rt_bytes = uint64_t{m_h.refcount_table_clusters} * c; // <= 8 MiB
    if (m_h.refcount_table_offset >= m_file_size ||
        rt_bytes > m_file_size - m_h.refcount_table_offset) {
        std::string why = fmt::format("{}: refcount table at {:#x} ({} bytes) lies past the end "
                                      "of the file ({} bytes): the image is truncated",
                                      name, m_h.refcount_table_offset, rt_bytes, m_file_size);
        if (!salvage) {
            return fail(Errc::invalid, "{}", why);
        }
        add_missing(0, 0, std::move(why)); // refcounts hold no guest data
        return {};
    }
    std::vector<be64> rt(static_cast<size_t>(rt_bytes / 8));
    OVFKIT_TRY(
        io::read_exact(*m_file, std::as_writable_bytes(std::span(rt)), m_h.refcount_table_offset));
    for (size_t i = 0; i < rt.size(); ++i) {
        const uint64_t off = uint64_t{rt[i]} & k_reftable_offset_mask;
        if (off != 0 && off % c == 0 && past_end(off)) {
            std::string why = fmt::format(
                "{}: refcount table entry {} at offset {:#x}: refcount block at {:#x} lies past "
                "the end of the file ({} bytes): the image is truncated",
                name, i, m_h.refcount_table_offset + i * 8, off, m_file_size);
            if (!salvage) {
                return fail(Errc::invalid, "{}", why);
            }
            add_missing(0, 0, std::move(why));
        }
    }
    return {};
}

Result<const Reader::L2Slot*> Reader::load_l2(uint64_t l1_index) {
    ++m_use_clock;
    L2Slot* victim = &m_l2_cache[0];
    for (auto& slot : m_l2_cache) {
        if (slot.l1_index == l1_index) {
            slot.last_use = m_use_clock;
            return &slot;
        }
        if (slot.last_use < victim->last_use) {
            victim = &slot;
        }
    }
    const uint64_t e = m_l1[l1_index];
    const uint64_t at = m_h.l1_table_offset + l1_index * 8;
    const uint64_t off = e & k_l1_offset_mask;
    if ((e & k_l1_reserved_mask) != 0) {
        return fail(Errc::invalid,
                    "{}: L1 entry {} at offset {:#x}: reserved bits {:#x} are set (entry "
                    "{:#018x})",
                    m_file->name(), l1_index, at, e & k_l1_reserved_mask, e);
    }
    if (off % m_cluster_size != 0) {
        return fail(Errc::invalid,
                    "{}: L1 entry {} at offset {:#x}: L2 table offset {:#x} is not "
                    "cluster-aligned",
                    m_file->name(), l1_index, at, off);
    }
    if (off >= m_file_size || m_cluster_size > m_file_size - off) {
        return fail(Errc::invalid,
                    "{}: L1 entry {} at offset {:#x}: L2 table at {:#x} lies outside the file ({} "
                    "bytes)",
                    m_file->name(), l1_index, at, off, m_file_size);
    }
    std::vector<be64> raw(static_cast<size_t>(m_l2_entries));
    OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(raw)), off));
    victim->entries.resize(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        victim->entries[i] = raw[i];
    }
    victim->l1_index = l1_index;
    victim->last_use = m_use_clock;
    return victim;
}

Result<ClusterMap> Reader::decode_l2_entry(uint64_t l1_index, uint64_t l2_index, uint64_t l2_offset,
                                           uint64_t e) const {
    const uint64_t at = l2_offset + l2_index * 8;
    const std::string& name = m_file->name();
    ClusterMap m;
    if (e & k_oflag_compressed) {
        // Bit 63 (COPIED) is never set by qemu here; it does not change the
        // meaning of the descriptor, so only check() reports it.
        const uint64_t coff = e & m_comp.offset_mask;
        const uint64_t nsec = ((e >> m_comp.shift) & m_comp.sectors_mask) + 1;
        if (coff > k_max_host_offset || coff >= m_file_size) {
            return fail(Errc::invalid,
                        "{}: L2 entry {} of L1 entry {} at offset {:#x}: compressed cluster at "
                        "{:#x} starts beyond the end of the file ({} bytes)",
                        name, l2_index, l1_index, at, coff, m_file_size);
        }
        m.kind = ClusterKind::compressed;
        m.host = coff;
        m.length = nsec * 512 - (coff & 511);
        return m;
    }
    uint64_t reserved = k_l2_reserved_mask | (m_h.version == 2 ? k_oflag_zero : 0);
    if ((e & reserved) != 0) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: reserved bits {:#x} are set "
                    "(entry {:#018x})",
                    name, l2_index, l1_index, at, e & reserved, e);
    }
    const uint64_t off = e & k_l2_offset_mask;
    if (off % m_cluster_size != 0) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: host offset {:#x} is not "
                    "cluster-aligned",
                    name, l2_index, l1_index, at, off);
    }
    if (e & k_oflag_zero) {
        m.kind = ClusterKind::zero;
        m.host = off;
        return m;
    }
    if (off == 0) {
        m.kind = ClusterKind::unallocated;
        return m;
    }
    if (off >= m_file_size) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: data cluster at {:#x} lies "
                    "beyond the end of the file ({} bytes)",
                    name, l2_index, l1_index, at, off, m_file_size);
    }
    m.kind = ClusterKind::normal;
    m.host = off;
    return m;
}

Result<ClusterMap> Reader::lookup(uint64_t cluster) {
    const uint64_t l1_index = cluster / m_l2_entries;
    const uint64_t l2_index = cluster % m_l2_entries;
    if ((m_l1[l1_index] & ~k_oflag_copied) == 0) {
        ClusterMap m;
        m.run = m_l2_entries - l2_index;
        return m;
    }
    OVFKIT_TRY_ASSIGN(const L2Slot* slot, load_l2(l1_index));
    return decode_l2_entry(l1_index, l2_index, m_l1[l1_index] & k_l1_offset_mask,
                           slot->entries[l2_index]);
}

Result<std::vector<Extent>> Reader::extents(uint64_t offset, uint64_t length) {
    std::vector<Extent> out;
    const uint64_t size = m_h.size;
    if (offset >= size) {
        return out;
    }
    const uint64_t end = offset + std::min(length, size - offset);
    uint64_t pos = offset;
    while (pos < end) {
        const uint64_t cluster = pos / m_cluster_size;
        OVFKIT_TRY_ASSIGN(ClusterMap m, lookup(cluster));
        const uint64_t run_end_u = std::min<uint64_t>((cluster + m.run) * m_cluster_size, end);
        const uint64_t len = run_end_u - pos;
        switch (m.kind) {
        case ClusterKind::normal:
        case ClusterKind::compressed:
            append_extent(out, {pos, len, ExtentKind::data});
            break;
        case ClusterKind::zero:
            append_extent(out, {pos, len, ExtentKind::zero});
            break;
        case ClusterKind::unallocated:
            if (m_parent && pos < m_parent->virtual_size()) {
                uint64_t in_parent = std::min(len, m_parent->virtual_size() - pos);
                OVFKIT_TRY_ASSIGN(auto sub, m_parent->extents(pos, in_parent));
                for (const auto& x : sub) {
                    append_extent(out, x);
                }
                append_extent(out, {pos + in_parent, len - in_parent, ExtentKind::unallocated});
            } else {
                append_extent(out, {pos, len, ExtentKind::unallocated});
            }
            break;
        }
        pos = run_end_u;
    }
    return out;
}

Result<void> Reader::read_host(uint64_t host, std::span<std::byte> out) {
    OVFKIT_TRY_ASSIGN(size_t n, m_file->pread(out, host));
    // A data cluster may end past end-of-file (the last cluster of an image
    // whose tail qemu never wrote); qemu reads those bytes as zeros.
    std::memset(out.data() + n, 0, out.size() - n);
    return {};
}

Result<void> Reader::read_parent(uint64_t offset, std::span<std::byte> out) {
    uint64_t psize = m_parent ? m_parent->virtual_size() : 0;
    uint64_t n = offset < psize ? std::min<uint64_t>(out.size(), psize - offset) : 0;
    if (n > 0) {
        OVFKIT_TRY(m_parent->read_at(offset, out.first(static_cast<size_t>(n))));
    }
    std::memset(out.data() + n, 0, out.size() - static_cast<size_t>(n));
    return {};
}

Result<std::optional<size_t>> Reader::inflate_deflate() {
    if (m_inflater == nullptr) {
        m_inflater = libdeflate_alloc_decompressor();
        if (m_inflater == nullptr) {
            return fail(Errc::io, "{}: out of memory for the deflate decompressor", m_file->name());
        }
    }
    size_t produced = 0;
    auto r = libdeflate_deflate_decompress(m_inflater, m_cin.data(), m_cin.size(), m_cbuf.data(),
                                           m_cbuf.size(), &produced);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        return std::optional<size_t>{m_cbuf.size()};
    }
    if (r != LIBDEFLATE_SUCCESS) {
        return std::optional<size_t>{};
    }
    return std::optional<size_t>{produced};
}

// One frame, as qemu writes it (qcow2-threads.c): decoded until it ends;
// the sector padding after it is not read. A frame that is still going
// when the input runs out is not valid.
Result<std::optional<size_t>> Reader::inflate_zstd() {
    if (m_zstd == nullptr) {
        m_zstd = ZSTD_createDCtx();
        if (m_zstd == nullptr) {
            return fail(Errc::io, "{}: out of memory for the zstd decompressor", m_file->name());
        }
        // A window of at most 8 MiB: a cluster is at most 2 MiB (qemu's
        // frames declare their size, so their window is no larger), and a
        // hostile frame cannot make the decoder allocate more.
        ZSTD_DCtx_setParameter(m_zstd, ZSTD_d_windowLogMax, 23);
    }
    ZSTD_DCtx_reset(m_zstd, ZSTD_reset_session_only);
    ZSTD_inBuffer in{m_cin.data(), m_cin.size(), 0};
    ZSTD_outBuffer out{m_cbuf.data(), m_cbuf.size(), 0};
    while (true) {
        const size_t before_in = in.pos;
        const size_t before_out = out.pos;
        size_t r = ZSTD_decompressStream(m_zstd, &out, &in);
        if (ZSTD_isError(r) != 0U) {
            return std::optional<size_t>{};
        }
        if (r == 0) {
            return std::optional<size_t>{out.pos}; // the frame ended
        }
        if (out.pos == out.size) {
            return std::optional<size_t>{out.pos}; // more than a cluster
        }
        if (in.pos == in.size || (in.pos == before_in && out.pos == before_out)) {
            return std::optional<size_t>{}; // ends early
        }
    }
}

Result<void> Reader::read_compressed(const ClusterMap& m, uint64_t cluster) {
    if (m_cbuf_host == m.host) {
        return {};
    }
    m_cbuf.resize(static_cast<size_t>(m_cluster_size) + 1);
    // m.length <= 2 * cluster size by construction of the descriptor.
    m_cin.resize(static_cast<size_t>(m.length));
    // The range may run past end-of-file for the last stream: zeros, like qemu.
    OVFKIT_TRY(read_host(m.host, m_cin));
    m_cbuf_host = UINT64_MAX;
    const bool zstd = m_h.compression_type == k_compression_zstd;
    OVFKIT_TRY_ASSIGN(std::optional<size_t> produced, zstd ? inflate_zstd() : inflate_deflate());
    const uint64_t l1_index = cluster / m_l2_entries;
    const uint64_t l2_index = cluster % m_l2_entries;
    const uint64_t at = (m_l1[l1_index] & k_l1_offset_mask) + l2_index * 8;
    if (!produced) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: compressed cluster at {:#x} "
                    "({} bytes) is not a valid {} stream",
                    m_file->name(), l2_index, l1_index, at, m.host, m.length,
                    zstd ? "zstd" : "deflate");
    }
    if (*produced > m_cluster_size) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: compressed cluster at {:#x} "
                    "inflates to more than the cluster size {}",
                    m_file->name(), l2_index, l1_index, at, m.host, m_cluster_size);
    }
    if (*produced != m_cluster_size) {
        return fail(Errc::invalid,
                    "{}: L2 entry {} of L1 entry {} at offset {:#x}: compressed cluster at {:#x} "
                    "inflates to {} bytes instead of {}",
                    m_file->name(), l2_index, l1_index, at, m.host, *produced, m_cluster_size);
    }
    m_cbuf_host = m.host;
    return {};
}

Result<void> Reader::read_range(uint64_t offset, std::span<std::byte> out) {
    const uint64_t c = m_cluster_size;
    uint64_t pos = offset;
    size_t done = 0;
    while (done < out.size()) {
        const uint64_t cluster = pos / c;
        const uint64_t in = pos % c;
        OVFKIT_TRY_ASSIGN(ClusterMap m, lookup(cluster));
        uint64_t span_len = std::min<uint64_t>(m.run * c - in, out.size() - done);
        auto dst = out.subspan(done, static_cast<size_t>(span_len));
        switch (m.kind) {
        case ClusterKind::normal: {
            // Extend over following clusters that are host-contiguous, so a
            // sequential image is read with one call per chunk.
            uint64_t len = std::min<uint64_t>(c - in, out.size() - done);
            uint64_t next = cluster + 1;
            while (done + len < out.size() && next % m_l2_entries != 0) {
                OVFKIT_TRY_ASSIGN(ClusterMap nm, lookup(next));
                if (nm.kind != ClusterKind::normal || nm.host != m.host + (next - cluster) * c) {
                    break;
                }
                len += std::min<uint64_t>(c, out.size() - done - len);
                ++next;
            }
            dst = out.subspan(done, static_cast<size_t>(len));
            OVFKIT_TRY(read_host(m.host + in, dst));
            break;
        }
        case ClusterKind::compressed:
            dst = out.subspan(done, static_cast<size_t>(std::min<uint64_t>(c - in, span_len)));
            OVFKIT_TRY(read_compressed(m, cluster));
            std::memcpy(dst.data(), m_cbuf.data() + in, dst.size());
            break;
        case ClusterKind::zero:
            dst = out.subspan(done, static_cast<size_t>(std::min<uint64_t>(c - in, span_len)));
            std::memset(dst.data(), 0, dst.size());
            break;
        case ClusterKind::unallocated:
            OVFKIT_TRY(read_parent(pos, dst));
            break;
        }
        done += dst.size();
        pos += dst.size();
    }
    return {};
}

} // namespace qcow2

extern const FormatDriver k_qcow2_driver;
// OVF disk format URIs: as oVirt/RHV writes it for COW volumes
// (shared formats/ovf-ova.md 3.3).
constexpr std::string_view k_qcow2_uris[] = {
    "http://www.gnome.org/~markmc/qcow-image-format.html",
};

const FormatDriver k_qcow2_driver{
    .name = "qcow2",
    .description = "QCOW2 v3 (reads v2 and v3; compressed clusters; optional compressed output)",
    .family = "qcow2",
    .probe = qcow2::probe,
    .open = qcow2::open,
    .create = qcow2::create_writer,
    .max_virtual_size = 0,
    .supports_compression = true,
    .ovf_uris = k_qcow2_uris,
    .cluster_sizes = {"cluster size", 512, 2 << 20, 64 << 10, true},
};

} // namespace ovfkit::disk::formats
