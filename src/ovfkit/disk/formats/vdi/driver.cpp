// VirtualBox VDI reader and writers: "vdi" (dynamic, type 1) and "vdi-fixed"
// (type 2). Sources: VirtualBox VDICore.h / VDI.cpp, qemu block/vdi.c;
// details and every refusal: docs/disk-formats/vdi.md.
//
// Layout written (the one current VirtualBox creates):
//   0          pre-header + 400-byte header (version 1.1)
//   1 MiB      block map, ceil(size / 1 MiB) entries
//   offData    1 MiB blocks; offData = the map's end rounded up to 1 MiB
// Dynamic images store only blocks that hold data, densely in guest order;
// zero runs inside a stored block stay holes of the output file. Fixed images
// store every block (block i at index i) in a sparse file. Each image gets
// fresh random creation and modification UUIDs (VirtualBox refuses to
// register two media with one UUID), or the creation UUID the caller asks
// for (CreateOptions::uuid: a .vbox names the disk by it).
//
// Reading accepts version 1.1 images of type normal and fixed with 1 MiB
// blocks (every VirtualBox and qemu image), any cbBlockExtra that is a power
// of two up to 1 MiB, 384- and 400-byte headers, and 512- or 1 MiB-aligned
// metadata. Map entries 0xFFFFFFFF (free) and 0xFFFFFFFE (discarded) read
// as zeros. A differencing image (4) names its parent only by UUID
// (uuidLinkage = the parent's uuidCreate), which VirtualBox finds through its
// media registry: it is read only on top of parents the caller supplies
// (parents.hpp, from a .vbox's registry), each checked by UUID and
// through chain.hpp's policy; a free block reads from the parent, a
// discarded one as zeros. Alone it is refused as before. Not supported:
// undo (3) images and the legacy version 0 header.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/disk/chain.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/vdi/layout.hpp>
#include <ovfkit/disk/formats/vdi/parents.hpp>

namespace ovfkit::disk::formats {

namespace {

using namespace vdi;

// The most block map entries read into memory (256 MiB): 64 TiB of disk.
constexpr uint64_t k_max_map_entries = uint64_t{1} << 26;
constexpr uint64_t k_max_header_size = 4096;
constexpr uint64_t k_map_offset = uint64_t{1} << 20;
constexpr uint64_t k_sector = 512;
constexpr uint64_t k_header_at = sizeof(PreHeader);

std::string hex32(uint32_t v) {
    return fmt::format("0x{:08x}", v);
}

class VdiReader final : public DiskReader {
public:
    const DiskInfo& info() const override { return m_info; }
    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override;

    // `parents`: supplied by the caller (parents.hpp), the immediate one
    // first. `as_parent`: the child's reference when this is a supplied
    // parent; its UUID is checked against the chain before its own parent
    // opens.
    static Result<std::unique_ptr<VdiReader>> open(OpenContext& ctx,
                                                   std::vector<std::unique_ptr<io::File>>& parents,
                                                   const ParentRef* as_parent = nullptr);

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override;

private:
    Result<void> open_header(const OpenPolicy& policy, bool parent_supplied);
    Result<void> open_map();
    Result<void> open_parent(const OpenContext& ctx,
                             std::vector<std::unique_ptr<io::File>>& parents);

    std::unique_ptr<io::File> m_file;
    DiskInfo m_info;
    Header m_header{};
    uint64_t m_file_size = 0;
    uint64_t m_extra = 0;
    std::vector<uint32_t> m_map;
    bool m_salvage = false;              // OpenPolicy::salvage: blocks may run past the end
    std::unique_ptr<VdiReader> m_parent; // differencing images only
};

// "8-4-4-4-12" of a UUID stored in the GUID byte order.
std::string vdi_uuid(const unsigned char (&u)[16]) {
    Uuid g{};
    std::memcpy(g.data(), u, 16);
    return uuid_text(as_guid_bytes(g)); // the swap is its own inverse
}

std::string identity_of(const Header& h) {
    return "uuid " + vdi_uuid(h.uuid_create);
}

Result<std::unique_ptr<VdiReader>> VdiReader::open(OpenContext& ctx,
                                                   std::vector<std::unique_ptr<io::File>>& parents,
                                                   const ParentRef* as_parent) {
    auto r = std::unique_ptr<VdiReader>(new VdiReader());
    r->m_file = std::move(ctx.file);
    // A supplied parent is never salvaged (DiskReader::missing).
    r->m_salvage = ctx.policy.salvage && as_parent == nullptr;
    OVFKIT_TRY(r->open_header(ctx.policy, !parents.empty() || as_parent != nullptr));
    if (as_parent != nullptr) {
        OVFKIT_TRY(check_parent_identity(ctx, *as_parent, identity_of(r->m_header)));
    }
    OVFKIT_TRY(r->open_map());
    if (r->m_header.image_type == k_type_diff) {
        OVFKIT_TRY(r->open_parent(ctx, parents));
    } else if (!parents.empty()) {
        return fail(Errc::refused,
                    "{}: not a differencing image, but {} parent image(s) were supplied for it",
                    r->m_file->name(), parents.size());
    }
    return r;
}

Result<void> VdiReader::open_parent(const OpenContext& ctx,
                                    std::vector<std::unique_ptr<io::File>>& parents) {
    const std::string& name = m_file->name();
    const std::string linkage = vdi_uuid(m_header.uuid_linkage);
    std::string parent_name =
        parents.empty() || !parents.front() ? std::string() : parents.front()->name();
    ParentRef ref{m_file.get(), "differencing disk: parent", parent_name, 424,
                  identity_of(m_header)};
    OVFKIT_TRY_ASSIGN(OpenContext pctx, open_supplied_parent(ctx, parents, ref));
    OVFKIT_TRY_ASSIGN(auto parent, VdiReader::open(pctx, parents, &ref));
    if (std::memcmp(parent->m_header.uuid_create, m_header.uuid_linkage, 16) != 0) {
        return fail(Errc::refused,
                    "{}: differencing disk: parent '{}' has UUID {} (offset 392), the child "
                    "names {} at offset 424",
                    name, parent_name, vdi_uuid(parent->m_header.uuid_create), linkage);
    }
    if (std::memcmp(parent->m_header.uuid_modify, m_header.uuid_parent_modify, 16) != 0) {
        add_finding("DISK-VDI-PARENT-MODIFIED",
                    fmt::format("{}: differencing disk: parent '{}' has modification UUID {}, the "
                                "child recorded {} at offset 440; the parent may have changed "
                                "since",
                                name, parent_name, vdi_uuid(parent->m_header.uuid_modify),
                                vdi_uuid(m_header.uuid_parent_modify)),
                    name);
    }
    m_info.parent = parent_name;
    for (auto& f : parent->m_info.files) {
        m_info.files.push_back(f);
    }
    add_findings(*parent);
    m_parent = std::move(parent);
    return {};
}

Result<void> VdiReader::open_header(const OpenPolicy& policy, bool parent_supplied) {
    const std::string& name = m_file->name();
    OVFKIT_TRY_ASSIGN(m_file_size, m_file->size());
    Start start{};
    if (m_file_size < sizeof(Start)) {
        return fail(Errc::invalid, "{}: file of {} bytes is too small for a VDI header ({} bytes)",
                    name, m_file_size, sizeof(Start));
    }
    OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(&start, 1)), 0));
    if (start.pre.signature != k_signature) {
        return fail(Errc::invalid, "{}: pre-header at offset 64: signature {} is not {}", name,
                    hex32(start.pre.signature), hex32(k_signature));
    }
    if (start.pre.version != k_version) {
        return fail(Errc::invalid,
                    "{}: pre-header at offset 68: version {} is not 1.1 (0x00010001)", name,
                    hex32(start.pre.version));
    }
    const Header& h = m_header = start.header;
    uint64_t hsize = h.header_size;
    uint64_t map_at = h.blocks_offset;
    uint64_t data_at = h.data_offset;
    if (hsize < k_header_v1_size || hsize > k_max_header_size || k_header_at + hsize > map_at) {
        return fail(Errc::invalid,
                    "{}: header at offset 72: header size {} is outside {}..{} or reaches past "
                    "the block map at offset {}",
                    name, hsize, k_header_v1_size, k_max_header_size, map_at);
    }
    uint32_t type = h.image_type;
    if ((type == k_type_diff && !parent_supplied) || type == k_type_undo) {
        return fail(Errc::invalid,
                    "{}: header at offset 76: image type {} ({}) is not supported: its parent is "
                    "found through VirtualBox's media registry; merge it in VirtualBox first",
                    name, type, type == k_type_diff ? "differencing" : "undo");
    }
    if (type != k_type_normal && type != k_type_fixed && type != k_type_diff) {
        return fail(Errc::invalid,
                    "{}: header at offset 76: image type {} is not normal (1), fixed (2) or "
                    "differencing (4)",
                    name, type);
    }
    if (h.block_size != k_block_size) {
        return fail(Errc::invalid, "{}: header at offset 376: block size {} is not 1 MiB (1048576)",
                    name, h.block_size.get());
    }
    m_extra = h.block_extra;
    if (m_extra != 0 && (!is_power_of_two(m_extra) || m_extra > k_block_size)) {
        return fail(Errc::invalid,
                    "{}: header at offset 380: block extra size {} is not 0 or a power of two up "
                    "to 1048576",
                    name, m_extra);
    }
    uint64_t size = h.disk_size;
    if (size > policy.max_virtual_size) {
        return fail(Errc::refused,
                    "{}: header at offset 368: disk size {} exceeds the limit of {} bytes", name,
                    size, policy.max_virtual_size);
    }
    uint64_t blocks = h.blocks;
    uint64_t needed = div_round_up(size, k_block_size);
    if (blocks > k_max_blocks) {
        return fail(Errc::refused, "{}: header at offset 384: {} blocks exceed the limit of {}",
                    name, blocks, k_max_blocks);
    }
    if (blocks < needed) {
        return fail(Errc::invalid,
                    "{}: header at offset 384: {} blocks of 1 MiB do not cover the disk size {}",
                    name, blocks, size);
    }
    if (h.blocks_allocated > blocks) {
        return fail(Errc::invalid,
                    "{}: header at offset 388: {} allocated blocks exceed the {} blocks of the "
                    "disk",
                    name, h.blocks_allocated.get(), blocks);
    }
    uint64_t map_end = map_at + blocks * 4; // < 2^32 + 2^32: no overflow
    if (map_end > m_file_size) {
        return fail(Errc::invalid,
                    "{}: header at offset 340: block map at offset {} with {} entries extends "
                    "beyond the end of the file ({} bytes)",
                    name, map_at, blocks, m_file_size);
    }
    if (data_at < map_end) {
        return fail(Errc::invalid,
                    "{}: header at offset 344: data offset {} lies inside the block map "
                    "(offsets {}..{})",
                    name, data_at, map_at, map_end);
    }
    if (needed > k_max_map_entries) {
        return fail(Errc::refused,
                    "{}: header at offset 384: {} block map entries exceed the "
                    "limit of {}",
                    name, needed, k_max_map_entries);
    }
    if (size % k_sector != 0) {
        add_finding("DISK-VDI-SIZE-UNALIGNED",
                    fmt::format("{}: header at offset 368: disk size {} is not a multiple of 512 "
                                "(VirtualBox rounds "
                                "it down, qemu up)",
                                name, size),
                    name);
    }
    static const unsigned char k_nil[16] = {};
    if (std::memcmp(h.uuid_create, k_nil, 16) == 0 || std::memcmp(h.uuid_modify, k_nil, 16) == 0) {
        add_finding("DISK-VDI-UUID-ZERO",
                    fmt::format("{}: header at offset 392: a zero creation or modification UUID; "
                                "VirtualBox refuses "
                                "such images",
                                name),
                    name);
    }
    static const unsigned char k_zero[16] = {};
    if (type == k_type_diff && std::memcmp(h.uuid_linkage, k_zero, 16) == 0) {
        return fail(Errc::invalid,
                    "{}: header at offset 424: a differencing image with a nil parent UUID", name);
    }
    m_info.format = type == k_type_fixed ? "vdi-fixed" : "vdi";
    m_info.virtual_size = size;
    m_info.cluster_size = k_block_size;
    m_info.files.push_back(name);
    return {};
}

Result<void> VdiReader::open_map() {
    const std::string& name = m_file->name();
    uint64_t needed = div_round_up(m_info.virtual_size, k_block_size);
    uint64_t map_at = m_header.blocks_offset;
    uint64_t data_at = m_header.data_offset;
    std::vector<std::byte> raw(needed * 4);
    OVFKIT_TRY(io::read_exact(*m_file, raw, map_at));
    m_map.resize(needed);
    std::vector<std::pair<uint32_t, uint64_t>> used; // (stored index, guest block)
    uint64_t stride = m_extra + k_block_size;
    for (uint64_t i = 0; i < needed; ++i) {
        uint32_t e = m_map[i] = load<le32>(raw.data() + i * 4);
        if (e == k_block_free || e == k_block_zero) {
            continue;
        }
        // data_at < 2^32, e < 2^32, stride <= 2^21: the sum stays below 2^54.
        uint64_t at = data_at + e * stride + m_extra;
        uint64_t in_disk = std::min(k_block_size, m_info.virtual_size - i * k_block_size);
        if (at + in_disk > m_file_size) {
            std::string why = fmt::format("{}: block map entry {} at offset {}: block {} at "
                                          "offset {} extends beyond the end of the file ({} "
                                          "bytes)",
                                          name, i, map_at + i * 4, e, at, m_file_size);
            if (!m_salvage) {
                return fail(Errc::invalid, "{}", why);
            }
            // Salvaged: what the file holds of the block is read, the rest
            // reads as zeros.
            const uint64_t have = at < m_file_size ? std::min(in_disk, m_file_size - at) : 0;
            add_missing(i * k_block_size + have, in_disk - have, std::move(why));
        }
        if (e >= m_header.blocks_allocated) {
            add_finding("DISK-VDI-BLOCK-COUNT",
                        fmt::format("{}: block map entry {} at offset {}: block {} is not below "
                                    "the allocated count "
                                    "{}",
                                    name, i, map_at + i * 4, e, m_header.blocks_allocated.get()),
                        name);
        }
        used.emplace_back(e, i);
        m_info.allocated_size += in_disk;
    }
    std::sort(used.begin(), used.end());
    for (size_t k = 1; k < used.size(); ++k) {
        if (used[k - 1].first == used[k].first) {
            return fail(Errc::invalid, "{}: block map entries {} and {} both point at block {}",
                        name, std::min(used[k - 1].second, used[k].second),
                        std::max(used[k - 1].second, used[k].second), used[k].first);
        }
    }
    return {};
}

Result<std::vector<Extent>> VdiReader::extents(uint64_t offset, uint64_t length) {
    std::vector<Extent> map;
    uint64_t end = std::min(m_info.virtual_size, checked_add(offset, length).value_or(~0ull));
    for (uint64_t pos = offset; pos < end;) {
        uint64_t block = pos / k_block_size;
        uint64_t next = std::min((block + 1) * k_block_size, end);
        uint32_t e = m_map[block];
        ExtentKind kind = e == k_block_free   ? ExtentKind::unallocated
                          : e == k_block_zero ? ExtentKind::zero
                                              : ExtentKind::data;
        uint64_t psize = m_parent ? m_parent->virtual_size() : 0;
        if (kind == ExtentKind::unallocated && pos < psize) {
            uint64_t pend = std::min(next, psize);
            OVFKIT_TRY_ASSIGN(auto sub, m_parent->extents(pos, pend - pos));
            for (const Extent& x : sub) {
                append_extent(map, x);
            }
            if (pend < next) {
                append_extent(map, {pend, next - pend, ExtentKind::unallocated});
            }
        } else {
            append_extent(map, {pos, next - pos, kind});
        }
        pos = next;
    }
    return map;
}

Result<void> VdiReader::read_range(uint64_t offset, std::span<std::byte> out) {
    const uint64_t end = offset + out.size(); // inside the virtual size (read_at)
    uint64_t stride = m_extra + k_block_size;
    for (uint64_t pos = offset; pos < end;) {
        uint64_t block = pos / k_block_size;
        uint64_t next = std::min((block + 1) * k_block_size, end);
        auto dst = out.subspan(pos - offset, next - pos);
        uint32_t e = m_map[block];
        uint64_t psize = m_parent ? m_parent->virtual_size() : 0;
        if (e == k_block_free && pos < psize) {
            // Never written in this image: the parent's bytes (zeros past
            // its end, when the child was made larger).
            uint64_t from_parent = std::min(next, psize) - pos;
            OVFKIT_TRY(m_parent->read_at(pos, dst.first(from_parent)));
            std::memset(dst.data() + from_parent, 0, dst.size() - from_parent);
        } else if (e == k_block_free || e == k_block_zero) {
            std::memset(dst.data(), 0, dst.size());
        } else {
            uint64_t at = m_header.data_offset + e * stride + m_extra + pos % k_block_size;
            OVFKIT_TRY(m_salvage ? io::read_below(*m_file, dst, at, m_file_size)
                                 : io::read_exact(*m_file, dst, at));
        }
        pos = next;
    }
    return {};
}

Result<std::unique_ptr<DiskReader>> open_vdi(OpenContext& ctx) {
    std::vector<std::unique_ptr<io::File>> none;
    OVFKIT_TRY_ASSIGN(auto r, VdiReader::open(ctx, none));
    return std::unique_ptr<DiskReader>(std::move(r));
}

// ---------------------------------------------------------------------------
// Writers

// A fresh random UUID in the GUID byte order VirtualBox stores.
Result<void> fresh_uuid(unsigned char (&u)[16]) {
    OVFKIT_TRY_ASSIGN(Uuid id, random_uuid());
    const Uuid g = as_guid_bytes(id);
    std::memcpy(u, g.data(), g.size());
    return {};
}

class VdiWriter final : public DiskWriter {
public:
    VdiWriter(io::File* file, std::string path, uint64_t size, bool fixed, std::optional<Uuid> uuid)
        : m_file(file), m_path(std::move(path)), m_size(size), m_fixed(fixed), m_uuid(uuid) {
        m_blocks = div_round_up(size, k_block_size);
        m_data_at = *align_up(k_map_offset + m_blocks * 4, k_block_size);
    }

    WriterCaps capabilities() const override {
        // Dynamic images append whole blocks in order; fixed ones take data
        // anywhere.
        if (m_fixed) {
            return WriterCaps{.sequential_only = false, .granularity = k_page_granularity};
        }
        return WriterCaps{.sequential_only = true, .granularity = k_block_size};
    }

    Result<void> write(const Chunk& chunk) override {
        uint64_t chunk_end = chunk.offset + chunk.data.size();
        if (chunk_end > m_size || (!m_fixed && chunk.offset % k_block_size != 0)) {
            return fail(Errc::usage,
                        "{}: chunk at offset {} of {} bytes is not aligned or beyond the virtual "
                        "size {}",
                        m_path, chunk.offset, chunk.data.size(), m_size);
        }
        auto store = [&](uint64_t b, uint64_t e) -> Result<void> {
            auto bytes = chunk.data.subspan(b - chunk.offset, e - b);
            if (m_fixed) {
                return m_file->pwrite(bytes, m_data_at + b);
            }
            while (b < e) {
                uint64_t blk = b / k_block_size;
                if (m_stored.empty() || m_stored.back() != blk) {
                    if (!m_stored.empty() && blk < m_stored.back()) {
                        return fail(Errc::usage, "{}: block {} written out of order", m_path, blk);
                    }
                    m_stored.push_back(static_cast<uint32_t>(blk));
                }
                uint64_t run_end = std::min(e, (blk + 1) * k_block_size);
                uint64_t at = m_data_at + (m_stored.size() - 1) * k_block_size + b % k_block_size;
                OVFKIT_TRY(m_file->pwrite(chunk.data.subspan(b - chunk.offset, run_end - b), at));
                b = run_end;
            }
            return {};
        };
        if (chunk.runs.empty()) {
            return store(chunk.offset, chunk_end);
        }
        for (const Extent& r : chunk.runs) {
            uint64_t b = std::max(r.offset, chunk.offset);
            uint64_t e = std::min(r.offset + r.length, chunk_end);
            if (r.kind == ExtentKind::data && b < e) {
                OVFKIT_TRY(store(b, e));
            }
        }
        return {};
    }

    Result<void> finish() override {
        uint64_t stored = m_fixed ? m_blocks : m_stored.size();
        OVFKIT_TRY(m_file->truncate(m_data_at + stored * k_block_size));

        Start s{};
        static constexpr char k_text[] = "<<< Oracle VM VirtualBox Disk Image >>>\n";
        std::memcpy(s.pre.file_info, k_text, sizeof k_text - 1);
        s.pre.signature = k_signature;
        s.pre.version = k_version;
        Header& h = s.header;
        h.header_size = k_header_v1plus_size;
        h.image_type = m_fixed ? k_type_fixed : k_type_normal;
        h.blocks_offset = static_cast<uint32_t>(k_map_offset);
        h.data_offset = static_cast<uint32_t>(m_data_at);
        h.legacy_geometry.sector_size = 512;
        h.disk_size = m_size;
        h.block_size = static_cast<uint32_t>(k_block_size);
        h.blocks = static_cast<uint32_t>(m_blocks);
        h.blocks_allocated = static_cast<uint32_t>(stored);
        if (m_uuid) {
            const Uuid g = as_guid_bytes(*m_uuid);
            std::memcpy(h.uuid_create, g.data(), g.size());
        } else {
            OVFKIT_TRY(fresh_uuid(h.uuid_create));
        }
        OVFKIT_TRY(fresh_uuid(h.uuid_modify));
        h.lchs_geometry.sector_size = 512;
        OVFKIT_TRY(m_file->pwrite(std::as_bytes(std::span(&s, 1)), 0));

        constexpr uint64_t k_piece = 64 * 1024;
        std::vector<le32> piece;
        size_t next = 0;
        for (uint64_t i = 0; i < m_blocks; i += k_piece) {
            uint64_t n = std::min(k_piece, m_blocks - i);
            piece.assign(n, le32(k_block_free));
            for (uint64_t j = 0; j < n; ++j) {
                if (m_fixed) {
                    piece[j] = static_cast<uint32_t>(i + j);
                } else if (next < m_stored.size() && m_stored[next] == i + j) {
                    piece[j] = static_cast<uint32_t>(next++);
                }
            }
            OVFKIT_TRY(m_file->pwrite(std::as_bytes(std::span(piece)), k_map_offset + i * 4));
        }
        return {};
    }

private:
    io::File* m_file;
    std::string m_path;
    uint64_t m_size;
    bool m_fixed;
    std::optional<Uuid> m_uuid; // the creation UUID asked for
    uint64_t m_blocks = 0;
    uint64_t m_data_at = 0;
    std::vector<uint32_t> m_stored; // guest block numbers, in file order
};

Result<std::unique_ptr<DiskWriter>> create_vdi_common(CreateContext& ctx, bool fixed) {
    auto size = align_up(ctx.options.virtual_size, k_sector);
    if (!size || div_round_up(*size, k_block_size) > k_max_blocks) {
        return fail(Errc::invalid, "{}: virtual size {} exceeds the VDI maximum of {} blocks",
                    ctx.path, ctx.options.virtual_size, k_max_blocks);
    }
    return std::unique_ptr<DiskWriter>(
        std::make_unique<VdiWriter>(ctx.file, ctx.path, *size, fixed, ctx.options.uuid));
}

Result<std::unique_ptr<DiskWriter>> create_vdi(CreateContext& ctx) {
    return create_vdi_common(ctx, false);
}

Result<std::unique_ptr<DiskWriter>> create_vdi_fixed(CreateContext& ctx) {
    return create_vdi_common(ctx, true);
}

// Scores the signature and version; the type decides between the two
// drivers. Types other than fixed go to "vdi", whose open explains them.
int probe_common(const ProbeInput& in, bool fixed) {
    if (in.head.size() < sizeof(Start)) {
        return 0;
    }
    auto s = load<Start>(in.head.data());
    if (s.pre.signature != k_signature) {
        return 0;
    }
    bool is_fixed = s.header.image_type == k_type_fixed;
    if (is_fixed != fixed) {
        return 0;
    }
    return s.pre.version == k_version ? 100 : 50;
}

int probe_vdi(const ProbeInput& in) {
    return probe_common(in, false);
}

int probe_vdi_fixed(const ProbeInput& in) {
    return probe_common(in, true);
}

} // namespace

Result<std::unique_ptr<DiskReader>>
vdi::open_on_parents(OpenContext& ctx, std::vector<std::unique_ptr<io::File>> parents) {
    OVFKIT_TRY_ASSIGN(auto r, VdiReader::open(ctx, parents));
    return std::unique_ptr<DiskReader>(std::move(r));
}

Result<Image> vdi::open_on_parents(io::Directory directory, std::string_view name,
                                   std::vector<std::unique_ptr<io::File>> parents,
                                   const OpenPolicy& policy) {
    OVFKIT_TRY_ASSIGN(auto file, directory.open_read(name));
    Image image;
    image.directory = std::make_unique<io::Directory>(std::move(directory));
    OpenContext ctx{std::move(file), image.directory.get(), policy, 0};
    OVFKIT_TRY_ASSIGN(image.reader, open_on_parents(ctx, std::move(parents)));
    image.driver = find("vdi");
    const auto& found = image.reader->findings();
    image.findings.assign(found.begin(), found.end());
    return image;
}

// OVF disk format URIs: VirtualBox's VDI.
constexpr std::string_view k_vdi_uris[] = {
    "http://www.virtualbox.org/manual/ch05.html#vdidiff",
};

extern const FormatDriver k_vdi_driver{
    .name = "vdi",
    .description = "VirtualBox VDI, dynamic",
    .family = "vdi",
    .probe = probe_vdi,
    .open = open_vdi,
    .create = create_vdi,
    .max_virtual_size = 0,
    .supports_compression = false,
    .ovf_uris = k_vdi_uris,
    .cluster_sizes = {"block size", 1 << 20, 1 << 20, 1 << 20, true},
};

extern const FormatDriver k_vdi_fixed_driver{
    .name = "vdi-fixed",
    .description = "VirtualBox VDI, fixed (preallocated, written sparse)",
    .family = "vdi",
    .probe = probe_vdi_fixed,
    .open = open_vdi,
    .create = create_vdi_fixed,
    .max_virtual_size = 0,
    .supports_compression = false,
    .ovf_uris = k_vdi_uris,
    .cluster_sizes = {"block size", 1 << 20, 1 << 20, 1 << 20, true},
};

} // namespace ovfkit::disk::formats
