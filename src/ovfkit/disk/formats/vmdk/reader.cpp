// VMware VMDK: the reader and the three driver table entries.
//
// A VMDK disk is a text descriptor listing extents, concatenated in order:
//
//   stand-alone descriptor  "x.vmdk" (text) + extent files beside it:
//                           monolithicFlat (x-flat.vmdk), twoGbMaxExtentFlat
//                           (x-f001.vmdk...), twoGbMaxExtentSparse
//                           (x-s001.vmdk...), vmfs* (x-flat.vmdk), ZERO
//   embedded descriptor     one hosted sparse file holding its own
//                           descriptor: monolithicSparse, streamOptimized
//
// Drivers: "vmdk" (monolithicSparse; opens any VMDK when named explicitly),
// "vmdk-stream" (streamOptimized) and "vmdk-flat" (monolithicFlat; opens any
// stand-alone descriptor). Each probe bids only on its own shape, so one file
// never matches two drivers.
//
// Extent files are opened only through the io::Directory of the OpenContext,
// by single-component names; absolute paths, "..", protocol prefixes
// ("nbd:", "json:"), symlinks, the descriptor itself and device extents are
// refused with the descriptor line that named them (SECURITY.md R1, R3). The
// extent name inside an embedded descriptor is never opened: the extent is the
// containing file, whatever it is called now. Reads of a NOACCESS extent fail;
// RDONLY extents read normally.
//
// Delta links (snapshots, "x-000001.vmdk": parentFileNameHint and a parentCID
// other than ffffffff) are followed only through the chain policy
// (disk/chain.hpp): parents allowed, the hint one plain name in the image's
// directory, depth bounded, no loop, and the parent's CID equal to the
// child's parentCID (VMware refuses a chain whose CIDs disagree: the parent
// changed after the snapshot). An unallocated grain of a hosted sparse delta
// reads from the parent; a zeroed grain (GTE 1) reads as zeros. ESXi's delta
// extents (VMFSSPARSE, SESPARSE) are not read (descriptor.cpp).
#include <algorithm>
#include <cstring>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/chain.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/vmdk/descriptor.hpp>
#include <ovfkit/disk/formats/vmdk/layout.hpp>
#include <ovfkit/disk/formats/vmdk/sparse_extent.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk::formats {

namespace vmdk {

namespace {

enum class Shape { none, sparse, stream, descriptor };

Shape shape_of(std::span<const std::byte> head) {
    if (head.size() >= sizeof(SparseHeader)) {
        auto h = load<SparseHeader>(head.data());
        if (h.magic == k_magic) {
            return (h.flags & k_flag_compressed) != 0 ? Shape::stream : Shape::sparse;
        }
    }
    std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    if (looks_like_descriptor(text)) {
        return Shape::descriptor;
    }
    return Shape::none;
}

int probe_sparse(const ProbeInput& in) {
    return shape_of(in.head) == Shape::sparse ? 100 : 0;
}

int probe_stream(const ProbeInput& in) {
    return shape_of(in.head) == Shape::stream ? 100 : 0;
}

int probe_descriptor(const ProbeInput& in) {
    return shape_of(in.head) == Shape::descriptor ? 100 : 0;
}

struct Piece {
    uint64_t start = 0;  // guest byte offset
    uint64_t length = 0; // bytes
    ExtentType type = ExtentType::zero;
    Access access = Access::rw;
    uint32_t line = 0;
    io::File* file = nullptr;           // flat data
    uint64_t file_offset = 0;           // flat data: byte offset of the extent in `file`
    uint64_t file_limit = ~uint64_t{0}; // flat data: the end of a salvaged short file
    SparseExtent* sparse = nullptr;     // sparse data
};

class VmdkReader final : public DiskReader {
public:
    const DiskInfo& info() const override { return m_info; }

    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override {
        std::vector<Extent> out;
        uint64_t end = std::min(m_info.virtual_size, offset + std::min(length, ~offset));
        while (offset < end) {
            const Piece& p = piece_at(offset);
            uint64_t in = offset - p.start;
            uint64_t n = std::min(end - offset, p.length - in);
            if (p.type == ExtentType::zero) {
                append_extent(out, {offset, n, ExtentKind::zero});
            } else if (p.sparse != nullptr && m_parent) {
                std::vector<Extent> own;
                p.sparse->map(in, n, p.start, own);
                for (const Extent& e : own) {
                    OVFKIT_TRY(map_through_parent(e, out));
                }
            } else if (p.sparse != nullptr) {
                p.sparse->map(in, n, p.start, out);
            } else {
                OVFKIT_TRY(map_flat(p, in, n, out));
            }
            offset += n;
        }
        return out;
    }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override {
        while (!out.empty()) {
            const Piece& p = piece_at(offset);
            uint64_t in = offset - p.start;
            size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), p.length - in));
            auto part = out.first(n);
            if (p.access == Access::noaccess) {
                return fail(Errc::invalid, "{}: line {}: guest offset {} lies in a NOACCESS extent",
                            m_name, p.line, offset);
            }
            if (p.type == ExtentType::zero) {
                std::memset(part.data(), 0, n);
            } else if (p.sparse != nullptr && m_parent) {
                OVFKIT_TRY(read_through_parent(p, in, part));
            } else if (p.sparse != nullptr) {
                OVFKIT_TRY(p.sparse->read(in, part));
            } else if (p.file_limit != ~uint64_t{0}) {
                OVFKIT_TRY(io::read_below(*p.file, part, p.file_offset + in, p.file_limit));
            } else {
                OVFKIT_TRY(io::read_exact(*p.file, part, p.file_offset + in));
            }
            out = out.subspan(n);
            offset += n;
        }
        return {};
    }

public:
    void add_parent_findings(const DiskReader& parent) { add_findings(parent); }
    void add_missing_range(uint64_t offset, uint64_t length, std::string what) {
        add_missing(offset, length, std::move(what));
    }
    // The missing ranges of the sparse extent at guest offset `base`.
    void add_missing_of(const SparseExtent& s, uint64_t base) {
        for (const MissingRange& m : s.missing()) {
            add_missing(base + m.offset, m.length, m.what);
        }
    }

    DiskInfo m_info;
    std::string m_name;
    std::optional<uint32_t> m_cid; // the descriptor's CID; none without a descriptor
    std::unique_ptr<DiskReader> m_parent;
    std::unique_ptr<io::File> m_main;
    std::vector<std::unique_ptr<io::File>> m_files;
    std::vector<std::unique_ptr<SparseExtent>> m_sparse;
    std::vector<Piece> m_pieces;

private:
    const Piece& piece_at(uint64_t offset) const {
        auto it = std::upper_bound(m_pieces.begin(), m_pieces.end(), offset,
                                   [](uint64_t o, const Piece& p) { return o < p.start; });
        return *(it - 1);
    }

    // An unallocated extent of a delta reads from the parent, as far as the
    // parent reaches; the rest (and every other kind) is the delta's own.
    Result<void> map_through_parent(const Extent& e, std::vector<Extent>& out) {
        uint64_t psize = m_parent->virtual_size();
        if (e.kind != ExtentKind::unallocated || e.offset >= psize) {
            append_extent(out, e);
            return {};
        }
        uint64_t n = std::min(e.length, psize - e.offset);
        OVFKIT_TRY_ASSIGN(auto sub, m_parent->extents(e.offset, n));
        for (const Extent& x : sub) {
            append_extent(out, x);
        }
        append_extent(out, {e.offset + n, e.length - n, ExtentKind::unallocated});
        return {};
    }

    Result<void> read_through_parent(const Piece& p, uint64_t in, std::span<std::byte> part) {
        std::vector<Extent> own;
        p.sparse->map(in, part.size(), 0, own);
        for (const Extent& e : own) {
            auto dst = part.subspan(e.offset - in, e.length);
            if (e.kind != ExtentKind::unallocated) {
                OVFKIT_TRY(p.sparse->read(e.offset, dst));
                continue;
            }
            uint64_t guest = p.start + e.offset;
            uint64_t psize = m_parent->virtual_size();
            uint64_t from_parent = guest < psize ? std::min(e.length, psize - guest) : 0;
            if (from_parent > 0) {
                OVFKIT_TRY(m_parent->read_at(guest, dst.first(from_parent)));
            }
            std::memset(dst.data() + from_parent, 0, dst.size() - from_parent);
        }
        return {};
    }

    // Holes in a flat extent file (it is usually sparse on the host) are
    // reported as unallocated so that conversions skip them.
    Result<void> map_flat(const Piece& p, uint64_t in, uint64_t n, std::vector<Extent>& out) {
        uint64_t pos = p.file_offset + in;
        uint64_t stop = pos + n;
        if (stop > p.file_limit) {
            // Salvaged: past the end of a short file, the extent reads as zeros.
            uint64_t cut = std::max(pos, p.file_limit);
            OVFKIT_TRY(map_flat(p, in, cut - pos, out));
            append_extent(out, {p.start + (cut - p.file_offset), stop - cut, ExtentKind::zero});
            return {};
        }
        while (pos < stop) {
            OVFKIT_TRY_ASSIGN(uint64_t data, p.file->next_data(pos));
            data = std::min(data, stop);
            if (data > pos) {
                append_extent(
                    out, {p.start + (pos - p.file_offset), data - pos, ExtentKind::unallocated});
                pos = data;
                continue;
            }
            OVFKIT_TRY_ASSIGN(uint64_t hole, p.file->next_hole(pos));
            hole = std::min(std::max(hole, pos + 1), stop);
            append_extent(out, {p.start + (pos - p.file_offset), hole - pos, ExtentKind::data});
            pos = hole;
        }
        return {};
    }
};

bool sparse_create_type(std::string_view t) {
    return t.size() >= 6 && iequals(t.substr(t.size() - 6), "Sparse");
}

bool names_parent(const Descriptor& d) {
    return d.parent_hint ||
           (d.parent_cid && *d.parent_cid != k_no_parent_cid && sparse_create_type(d.create_type));
}

Result<std::unique_ptr<DiskReader>> open_vmdk(OpenContext& ctx, Shape want);

// Opens the parent a delta link names and checks that it is the one the
// delta was taken from (its CID is the delta's parentCID).
Result<void> open_parent(VmdkReader& r, const Descriptor& d, const OpenContext& ctx,
                         const io::File& self, std::string_view where) {
    if (!d.parent_hint) {
        return fail(Errc::invalid,
                    "{}: parentCID {:08x} marks a delta link but no parentFileNameHint names the "
                    "parent",
                    where, *d.parent_cid);
    }
    r.m_info.parent = *d.parent_hint;
    ParentRef ref{&self, "delta link: parent", *d.parent_hint, 0,
                  r.m_cid ? fmt::format("CID {:08x}", *r.m_cid) : std::string()};
    OVFKIT_TRY_ASSIGN(OpenContext pctx, disk::open_parent(ctx, ref));
    // A parent is never salvaged (DiskReader::missing()).
    pctx.policy.salvage = false;
    OVFKIT_TRY_ASSIGN(auto parent, open_vmdk(pctx, Shape::none));
    auto& pr = static_cast<VmdkReader&>(*parent);
    const uint32_t want = d.parent_cid.value_or(k_no_parent_cid);
    if (!pr.m_cid || *pr.m_cid != want) {
        return fail(Errc::refused,
                    "{}: delta link: parent '{}' has CID {}, the delta's parentCID is {:08x}: the "
                    "parent changed after the snapshot was taken",
                    where, ref.name, pr.m_cid ? fmt::format("{:08x}", *pr.m_cid) : "(none)", want);
    }
    OVFKIT_TRY(check_parent_identity(pctx, ref, fmt::format("CID {:08x}", *pr.m_cid)));
    for (const auto& f : pr.info().files) {
        r.m_info.files.push_back(f);
    }
    r.add_parent_findings(pr);
    r.m_parent = std::move(parent);
    return {};
}

Result<void> add_piece(VmdkReader& r, Piece p, std::string_view where) {
    uint64_t start = r.m_pieces.empty() ? 0 : r.m_pieces.back().start + r.m_pieces.back().length;
    auto end = checked_add(start, p.length);
    if (!end) {
        return fail(Errc::invalid, "{}: line {}: total disk size overflows", where, p.line);
    }
    p.start = start;
    r.m_pieces.push_back(p);
    r.m_info.virtual_size = *end;
    return {};
}

// Opens the extents listed by a stand-alone descriptor (or the descriptor
// of a descriptor-only sparse file) through the directory.
Result<void> open_extents(VmdkReader& r, const Descriptor& d, OpenContext& ctx,
                          std::string_view where) {
    if (d.extents.empty()) {
        return fail(Errc::invalid, "{}: descriptor lists no extents", where);
    }
    std::string self(base_name(r.m_name));
    for (const DescriptorExtent& e : d.extents) {
        Piece p;
        p.length = e.sectors * k_sector;
        p.type = e.type;
        p.access = e.access;
        p.line = e.line;
        if (e.type == ExtentType::zero) {
            OVFKIT_TRY(add_piece(r, p, where));
            continue;
        }
        if (ctx.directory == nullptr) {
            return fail(Errc::refused,
                        "{}: line {}: extent file \"{}\" refused: this image may not refer to "
                        "other files",
                        where, e.line, e.file_name);
        }
        if (e.file_name == self) {
            return fail(Errc::refused, "{}: line {}: extent file \"{}\" is the descriptor itself",
                        where, e.line, e.file_name);
        }
        auto opened = ctx.directory->open_read(e.file_name);
        if (!opened) {
            return fail(opened.error().code, "{}: line {}: extent file \"{}\": {}", where, e.line,
                        e.file_name, opened.error().message);
        }
        std::unique_ptr<io::File> file = std::move(*opened);
        r.m_info.files.push_back(file->name());
        if (e.type == ExtentType::sparse) {
            auto sparse = SparseExtent::open(std::move(file), ctx.policy.salvage);
            if (!sparse) {
                return fail(sparse.error().code, "{}: line {}: {}", where, e.line,
                            sparse.error().message);
            }
            SparseExtent& s = **sparse;
            if (s.header().capacity == 0) {
                return fail(Errc::refused,
                            "{}: line {}: extent file \"{}\" is itself a descriptor; nested "
                            "descriptors are refused",
                            where, e.line, e.file_name);
            }
            if (s.header().capacity != e.sectors) {
                return fail(Errc::invalid,
                            "{}: line {}: extent of {} sectors but \"{}\" has a capacity of {} "
                            "sectors",
                            where, e.line, e.sectors, e.file_name, s.header().capacity.get());
            }
            p.sparse = &s;
            r.add_missing_of(
                s, r.m_pieces.empty() ? 0 : r.m_pieces.back().start + r.m_pieces.back().length);
            r.m_info.allocated_size += s.allocated_bytes();
            r.m_info.cluster_size = std::max(r.m_info.cluster_size, s.grain_bytes());
            r.m_sparse.push_back(std::move(*sparse));
        } else {
            OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
            auto need = checked_add(e.offset, e.sectors);
            if (!need || !checked_mul(*need, k_sector)) {
                return fail(Errc::invalid, "{}: line {}: extent offset plus size overflows", where,
                            e.line);
            }
            p.file = file.get();
            p.file_offset = e.offset * k_sector;
            if (size < *need * k_sector) {
                std::string why = fmt::format("{}: line {}: extent file \"{}\" is {} bytes, "
                                              "shorter than the {} bytes the extent needs",
                                              where, e.line, e.file_name, size, *need * k_sector);
                if (!ctx.policy.salvage) {
                    return fail(Errc::invalid, "{}", why);
                }
                // Salvaged: what the file holds is read, the rest reads as zeros.
                p.file_limit = size;
                const uint64_t have = size > p.file_offset ? size - p.file_offset : 0;
                const uint64_t start =
                    r.m_pieces.empty() ? 0 : r.m_pieces.back().start + r.m_pieces.back().length;
                r.add_missing_range(start + have, p.length - have, std::move(why));
            }
            r.m_info.allocated_size += p.length;
            r.m_files.push_back(std::move(file));
        }
        OVFKIT_TRY(add_piece(r, p, where));
    }
    return {};
}

Result<void> check_size(const VmdkReader& r, const OpenContext& ctx) {
    if (r.m_info.virtual_size > ctx.policy.max_virtual_size) {
        return fail(Errc::refused, "{}: virtual size {} bytes is larger than the limit of {} bytes",
                    r.m_name, r.m_info.virtual_size, ctx.policy.max_virtual_size);
    }
    return {};
}

Result<std::unique_ptr<DiskReader>> open_vmdk(OpenContext& ctx, Shape want) {
    if (!ctx.file) {
        return fail(Errc::usage, "vmdk: no file to open");
    }
    auto r = std::make_unique<VmdkReader>();
    r->m_name = ctx.file->name();
    r->m_info.files.push_back(r->m_name);
    OVFKIT_TRY_ASSIGN(uint64_t file_size, ctx.file->size());
    std::array<std::byte, k_sector> head{};
    OVFKIT_TRY_ASSIGN(size_t got, ctx.file->pread(head, 0));
    Shape shape = shape_of(std::span(head).first(got));
    if (got >= 4 && shape == Shape::none) {
        // A file with the magic but a short or damaged header still
        // deserves a precise message from the header checks.
        le32 magic;
        std::memcpy(&magic, head.data(), 4);
        if (magic == k_magic || magic == (k_magic ^ 0x20202020u)) {
            shape = Shape::sparse;
        }
    }
    if (shape == Shape::none) {
        return fail(Errc::invalid,
                    "{}: not a VMDK: no KDMV sparse header and no 'version=' descriptor line",
                    r->m_name);
    }
    if (want != Shape::none && want != shape) {
        const char* names[] = {"", "a monolithicSparse VMDK", "a streamOptimized VMDK",
                               "a VMDK descriptor file"};
        return fail(Errc::invalid, "{}: is {}, not {}", r->m_name, names[static_cast<int>(shape)],
                    names[static_cast<int>(want)]);
    }
    if (shape == Shape::descriptor) {
        if (file_size > k_max_descriptor_bytes) {
            return fail(Errc::refused,
                        "{}: descriptor is {} bytes, more than the limit of {} bytes", r->m_name,
                        file_size, k_max_descriptor_bytes);
        }
        std::string text(file_size, '\0');
        OVFKIT_TRY(io::read_exact(*ctx.file, std::as_writable_bytes(std::span(text)), 0));
        // qemu pads the descriptors it writes with NULs; the text ends at the first.
        text.resize(std::min(text.size(), text.find('\0')));
        r->m_main = std::move(ctx.file);
        OVFKIT_TRY_ASSIGN(Descriptor d, parse_descriptor(text, r->m_name));
        r->m_cid = d.cid;
        OVFKIT_TRY(open_extents(*r, d, ctx, r->m_name));
        r->m_info.format = "vmdk-flat";
        OVFKIT_TRY(check_size(*r, ctx));
        if (names_parent(d)) {
            OVFKIT_TRY(open_parent(*r, d, ctx, *r->m_main, r->m_name));
        }
    } else {
        std::string name = ctx.file->name();
        OVFKIT_TRY_ASSIGN(auto sparse, SparseExtent::open(std::move(ctx.file), ctx.policy.salvage));
        SparseExtent& s = *sparse;
        auto where =
            fmt::format("{}: embedded descriptor at offset {}", name, s.descriptor_file_offset());
        Descriptor d;
        bool have_descriptor = !s.embedded_descriptor().empty();
        if (have_descriptor) {
            OVFKIT_TRY_ASSIGN(d, parse_descriptor(s.embedded_descriptor(), where));
            r->m_cid = d.cid;
        }
        if (s.header().capacity == 0) {
            // qemu reads a capacity-0 sparse file as a plain descriptor, extents
            // and all; the same path rules apply as for a stand-alone one.
            if (!have_descriptor) {
                return fail(Errc::invalid,
                            "{}: sparse header at offset 0: capacity 0 and no embedded descriptor",
                            name);
            }
            OVFKIT_TRY(open_extents(*r, d, ctx, where));
            r->m_sparse.push_back(std::move(sparse));
            r->m_info.format = "vmdk";
        } else {
            if (have_descriptor) {
                // The extent name is informational (renamed files keep their
                // old name in it); only the size must agree.
                uint64_t listed = 0;
                for (const auto& e : d.extents) {
                    listed += e.sectors;
                }
                if (d.extents.size() != 1 || listed != s.header().capacity) {
                    return fail(Errc::invalid,
                                "{}: extents add up to {} sectors, the header's capacity is {}",
                                where, listed, s.header().capacity.get());
                }
            }
            Piece p;
            p.length = s.capacity_bytes();
            p.type = ExtentType::sparse;
            p.sparse = &s;
            p.line = d.extents.empty() ? 0 : d.extents.front().line;
            OVFKIT_TRY(add_piece(*r, p, name));
            r->add_missing_of(s, 0);
            r->m_info.allocated_size = s.allocated_bytes();
            r->m_info.cluster_size = s.grain_bytes();
            r->m_info.format = s.compressed() ? "vmdk-stream" : "vmdk";
            r->m_sparse.push_back(std::move(sparse));
        }
        OVFKIT_TRY(check_size(*r, ctx));
        if (names_parent(d)) {
            OVFKIT_TRY(open_parent(*r, d, ctx, s.file(), where));
        }
    }
    return std::unique_ptr<DiskReader>(std::move(r));
}

Result<std::unique_ptr<DiskReader>> open_any(OpenContext& ctx) {
    return open_vmdk(ctx, Shape::none);
}

Result<std::unique_ptr<DiskReader>> open_stream(OpenContext& ctx) {
    return open_vmdk(ctx, Shape::stream);
}

Result<std::unique_ptr<DiskReader>> open_descriptor(OpenContext& ctx) {
    return open_vmdk(ctx, Shape::descriptor);
}

} // namespace

} // namespace vmdk

// 2 TiB: grain table entries are 32-bit sector numbers.
// OVF disk format URIs (shared formats/ovf-ova.md 3.3, vmdk.md): VMware's
// spellings, old ("specifications/") and new ("interfaces/specifications/"),
// for each subformat. ESXi imports only the full #streamOptimized URI.
constexpr std::string_view k_vmdk_sparse_uris[] = {
    "http://www.vmware.com/interfaces/specifications/vmdk.html#sparse",
    "http://www.vmware.com/specifications/vmdk.html#sparse",
    "http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicSparse",
    "http://www.vmware.com/specifications/vmdk.html#monolithicSparse",
};
constexpr std::string_view k_vmdk_stream_uris[] = {
    "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
    "http://www.vmware.com/specifications/vmdk.html#streamOptimized",
    "http://www.vmware.com/interfaces/specifications/vmdk.html#compressed",
    "http://www.vmware.com/specifications/vmdk.html#compressed",
};
constexpr std::string_view k_vmdk_flat_uris[] = {
    "http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicFlat",
    "http://www.vmware.com/specifications/vmdk.html#monolithicFlat",
};

extern const FormatDriver k_vmdk_driver{
    .name = "vmdk",
    .description = "VMDK monolithicSparse (reads every VMDK variant when named)",
    .family = "vmdk",
    .probe = vmdk::probe_sparse,
    .open = vmdk::open_any,
    .create = vmdk::create_sparse,
    .max_virtual_size = uint64_t{2} << 40,
    .supports_compression = false,
    .ovf_uris = k_vmdk_sparse_uris,
    .cluster_sizes = {"grain size", 65536, 65536, 65536, true},
};

extern const FormatDriver k_vmdk_stream_driver{
    .name = "vmdk-stream",
    .description = "VMDK streamOptimized (compressed grains, for OVF/OVA)",
    .family = "vmdk",
    .probe = vmdk::probe_stream,
    .open = vmdk::open_stream,
    .create = vmdk::create_stream,
    .max_virtual_size = uint64_t{64} << 40,
    .supports_compression = true,
    .ovf_uris = k_vmdk_stream_uris,
    .cluster_sizes = {"grain size", 65536, 65536, 65536, true},
};

extern const FormatDriver k_vmdk_flat_driver{
    .name = "vmdk-flat",
    .description = "VMDK monolithicFlat (descriptor + -flat extent; reads any descriptor file)",
    .family = "vmdk",
    .probe = vmdk::probe_descriptor,
    .open = vmdk::open_descriptor,
    .create = vmdk::create_flat,
    .max_virtual_size = 0,
    .supports_compression = false,
    .ovf_uris = k_vmdk_flat_uris,
    .cluster_sizes = {"grain size", 65536, 65536, 65536, true},
};

} // namespace ovfkit::disk::formats
