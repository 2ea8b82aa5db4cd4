// XVA reading in place; see xva_archive.hpp.
#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/sink.hpp>
#include <ovfkit/package/tar_reader.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/platform/xenserver/xva_archive.hpp>

namespace ovfkit::platform::xenserver {

namespace {

bool digits_only(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Framing is package::TarReader's (the one tar parser, R7); what an XVA
// may hold beyond that is decided here. An XVA must end with its
// end-of-archive blocks: a file cut at a member boundary would otherwise
// read its missing chunks as zeros.
package::TarLimits xva_limits() {
    package::TarLimits l;
    // Two members per MiB of data: the members' count is bounded by the
    // declared disks' sizes, which the index checks chunk by chunk.
    l.max_members = UINT32_MAX;
    return l;
}

} // namespace

Result<std::string> read_ova_xml(io::File& file) {
    const std::string& path = file.name();
    OVFKIT_TRY_ASSIGN(uint64_t size, file.size());
    if (size >= 4) {
        std::array<std::byte, 4> magic{};
        OVFKIT_TRY(io::read_exact(file, magic, 0));
        auto m = [&](size_t i) { return std::to_integer<unsigned>(magic[i]); };
        if (m(0) == 0x1f && m(1) == 0x8b) {
            return fail(Errc::invalid,
                        "{}: a gzip-compressed XVA; decompress it first (zcat): ovfkit reads an "
                        "XVA in place",
                        path);
        }
        if (m(0) == 0x28 && m(1) == 0xb5 && m(2) == 0x2f && m(3) == 0xfd) {
            return fail(Errc::invalid,
                        "{}: a zstd-compressed XVA; decompress it first (zstdcat): ovfkit reads "
                        "an XVA in place",
                        path);
        }
    }
    if (size < package::k_tar_block) {
        return fail(Errc::invalid, "{}: {} bytes: not an XVA (a tar beginning with ova.xml)", path,
                    size);
    }
    std::array<std::byte, package::k_tar_block> b{};
    OVFKIT_TRY(io::read_exact(file, b, 0));
    if (!package::is_tar_header(b)) {
        return fail(Errc::invalid, "{}: not an XVA: the file does not begin with a tar header",
                    path);
    }
    OVFKIT_TRY_ASSIGN(auto reader, package::TarReader::open(file, xva_limits()));
    OVFKIT_TRY_ASSIGN(auto h, reader.next());
    if (!h || h->directory || h->name != "ova.xml") {
        return fail(Errc::invalid, "{}: the first member is '{}', an XVA begins with ova.xml", path,
                    h ? h->name : std::string());
    }
    if (h->size > k_max_ova_xml) {
        return fail(Errc::refused, "{}: ova.xml of {} bytes; at most {} are read", path, h->size,
                    k_max_ova_xml);
    }
    std::string text(static_cast<size_t>(h->size), '\0');
    OVFKIT_TRY(io::read_exact(file, std::as_writable_bytes(std::span(text.data(), text.size())),
                              h->data_offset));
    return text;
}

Result<XvaIndex> index_xva(io::File& file, const std::string& path,
                           const std::map<std::string, uint64_t>& declared,
                           bool checksums_required) {
    XvaIndex index;
    index.path = path;
    for (const auto& [ref, size] : declared) {
        index.vdis[ref] = XvaVdi{ref, size, {}};
    }
    // Per VDI: the last member number and the running guest offset (xapi's
    // arithmetic, 6.1: gaps are counted in first-chunk lengths).
    struct State {
        int64_t last = -1;
        uint64_t offset = 0;
        uint64_t first_length = 0;
    };
    std::map<std::string, State> states;
    // The data member whose checksum member must come next.
    XvaVdi* pending_vdi = nullptr;
    std::optional<XvaChunk> pending;
    uint32_t pending_index = 0;

    auto settle = [&](uint64_t at) -> Result<void> {
        if (pending_vdi == nullptr) {
            return {};
        }
        if (checksums_required) {
            return fail(Errc::refused,
                        "{}: chunk {}/{:08}: no .checksum or .xxhash member follows it (byte {})",
                        path, pending_vdi->ref, pending_index, at);
        }
        if (pending && pending->length > 0) {
            pending_vdi->chunks.push_back(*pending);
        }
        pending_vdi = nullptr;
        pending.reset();
        return {};
    };

    OVFKIT_TRY_ASSIGN(auto reader, package::TarReader::open(file, xva_limits()));
    OVFKIT_TRY_ASSIGN(auto first, reader.next());
    if (!first || first->directory || first->name != "ova.xml") {
        return fail(Errc::invalid, "{}: not an XVA: no ova.xml member", path);
    }
    while (true) {
        OVFKIT_TRY_ASSIGN(auto h, reader.next());
        if (!h) {
            if (!reader.ended_with_marker()) {
                return fail(Errc::invalid,
                            "{}: the archive ends at byte {} without its end-of-archive blocks: "
                            "it is truncated",
                            path, reader.offset());
            }
            OVFKIT_TRY(settle(reader.offset()));
            break;
        }
        const uint64_t at = h->header_offset;
        const std::string& name = h->name;
        if (h->directory) {
            // A directory entry ("Ref:3/"): xapi writes none, tar may.
            std::string dir = name.ends_with('/') ? name.substr(0, name.size() - 1) : name;
            if (!dir.starts_with("Ref:") || !digits_only(std::string_view(dir).substr(4))) {
                return fail(Errc::refused, "{}: byte {}: directory '{}' is not an XVA's", path, at,
                            name);
            }
            continue;
        }
        if (name.starts_with('/')) {
            return fail(Errc::refused, "{}: byte {}: member '{}': an absolute path", path, at,
                        name);
        }
        auto slash = name.find('/');
        std::string_view dir = std::string_view(name).substr(0, slash);
        std::string_view leaf = slash == std::string::npos
                                    ? std::string_view()
                                    : std::string_view(name).substr(slash + 1);
        for (std::string_view part : {dir, leaf}) {
            if (part == ".." || part == ".") {
                return fail(Errc::refused, "{}: byte {}: member '{}' escapes the archive ('{}')",
                            path, at, name, part);
            }
        }
        if (name.find("/../") != std::string::npos || name.ends_with("/..") ||
            name.find("/./") != std::string::npos) {
            return fail(Errc::refused, "{}: byte {}: member '{}' escapes the archive ('..')", path,
                        at, name);
        }
        if (name == "ova.xml") {
            return fail(Errc::refused, "{}: byte {}: a second ova.xml", path, at);
        }
        bool dir_ok = dir.starts_with("Ref:") && dir.size() <= 24 && digits_only(dir.substr(4));
        std::string_view number = leaf.substr(0, std::min<size_t>(leaf.size(), 8));
        std::string_view suffix = leaf.size() > 8 ? leaf.substr(8) : std::string_view();
        if (slash == std::string::npos || !dir_ok || leaf.size() < 8 || !digits_only(number) ||
            (!suffix.empty() && suffix != ".checksum" && suffix != ".xxhash")) {
            return fail(Errc::refused,
                        "{}: byte {}: member '{}' is not an XVA's (ova.xml, Ref:N/NNNNNNNN and "
                        "its .checksum or .xxhash)",
                        path, at, name);
        }
        auto vdi = index.vdis.find(std::string(dir));
        if (vdi == index.vdis.end()) {
            return fail(Errc::refused,
                        "{}: byte {}: member '{}' belongs to {}, which ova.xml declares as no VDI",
                        path, at, name, dir);
        }
        const auto chunk_index = static_cast<uint32_t>(*parse_decimal(number));
        XvaVdi& v = vdi->second;
        if (!suffix.empty()) {
            if (pending_vdi != &v || pending_index != chunk_index) {
                return fail(Errc::refused,
                            "{}: byte {}: checksum member '{}' does not follow its chunk", path, at,
                            name);
            }
            const BlockSum sum =
                suffix == block_sum_suffix(BlockSum::sha1) ? BlockSum::sha1 : BlockSum::xxhash;
            if (h->size != block_sum_digits(sum)) {
                return fail(Errc::refused,
                            "{}: byte {}: '{}' holds {} bytes, a {} is {} hex digits", path, at,
                            name, h->size, block_sum_label(sum), block_sum_digits(sum));
            }
            if (pending && pending->length > 0) {
                pending->sum = sum;
                pending->sum_at = h->data_offset;
                v.chunks.push_back(*pending);
            }
            pending_vdi = nullptr;
            pending.reset();
            continue;
        }
        OVFKIT_TRY(settle(at));
        State& s = states[v.ref];
        if (static_cast<int64_t>(chunk_index) == s.last) {
            return fail(Errc::refused, "{}: byte {}: chunk {}/{:08} appears twice", path, at, v.ref,
                        chunk_index);
        }
        if (static_cast<int64_t>(chunk_index) < s.last) {
            return fail(Errc::refused,
                        "{}: byte {}: chunk {}/{:08} comes after chunk {:08}; an XVA's chunks are "
                        "in increasing order",
                        path, at, v.ref, chunk_index, s.last);
        }
        if (h->size > k_block) {
            return fail(Errc::refused, "{}: byte {}: chunk {}/{:08} of {} bytes; chunks are 1 MiB",
                        path, at, v.ref, chunk_index, h->size);
        }
        if (s.first_length == 0 && h->size > 0) {
            s.first_length = h->size;
        }
        const uint64_t gap = static_cast<uint64_t>(static_cast<int64_t>(chunk_index) - s.last - 1);
        const uint64_t unit = s.first_length == 0 ? k_block : s.first_length;
        // Both factors are bounded (8 digits, 1 MiB): no overflow.
        const uint64_t place = s.offset + gap * unit;
        if (place > v.virtual_size || h->size > v.virtual_size - place) {
            return fail(Errc::refused,
                        "{}: byte {}: chunk {}/{:08} ({} bytes at disk offset {}) lies past the "
                        "disk's virtual size, {} bytes",
                        path, at, v.ref, chunk_index, h->size, place, v.virtual_size);
        }
        if (h->size != 0 && h->size != s.first_length && place + h->size != v.virtual_size) {
            return fail(Errc::invalid,
                        "{}: byte {}: chunk {}/{:08} of {} bytes is neither as long as the first "
                        "({}) nor the disk's last",
                        path, at, v.ref, chunk_index, h->size, s.first_length);
        }
        s.last = chunk_index;
        // A zero-length member is xapi's keep-alive: it takes a number but
        // no place.
        s.offset = place + h->size;
        pending_vdi = &v;
        pending_index = chunk_index;
        XvaChunk c;
        c.guest_offset = place;
        c.data_at = h->data_offset;
        c.length = static_cast<uint32_t>(h->size);
        c.index = chunk_index;
        pending = c;
    }
    return index;
}

namespace {

class ChunkReader final : public disk::DiskReader {
public:
    ChunkReader(std::shared_ptr<io::File> file, std::shared_ptr<const XvaIndex> index,
                const XvaVdi& vdi)
        : m_file(std::move(file)), m_index(std::move(index)), m_vdi(vdi) {
        m_info.format = "raw";
        m_info.virtual_size = vdi.virtual_size;
        for (const XvaChunk& c : vdi.chunks) {
            m_info.allocated_size += c.length;
        }
        m_info.cluster_size = k_block;
        m_info.files = {m_index->path};
    }

    const disk::DiskInfo& info() const override { return m_info; }
    bool concurrent_reads() const override { return true; }

    Result<std::vector<disk::Extent>> extents(uint64_t offset, uint64_t length) override {
        std::vector<disk::Extent> out;
        const uint64_t end = std::min(m_info.virtual_size, offset + length);
        uint64_t at = offset;
        for (auto it = first_at(offset); it != m_vdi.chunks.end() && it->guest_offset < end; ++it) {
            uint64_t s = std::max(at, it->guest_offset);
            uint64_t e = std::min(end, it->guest_offset + it->length);
            if (e <= s) {
                continue;
            }
            disk::append_extent(out, {at, s - at, disk::ExtentKind::unallocated});
            disk::append_extent(out, {s, e - s, disk::ExtentKind::data});
            at = e;
        }
        if (at < end) {
            disk::append_extent(out, {at, end - at, disk::ExtentKind::unallocated});
        }
        return out;
    }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override {
        const uint64_t end = offset + out.size();
        uint64_t at = offset;
        std::vector<std::byte> buffer;
        for (auto it = first_at(offset); it != m_vdi.chunks.end() && it->guest_offset < end; ++it) {
            const XvaChunk& c = *it;
            uint64_t s = std::max(at, c.guest_offset);
            uint64_t e = std::min(end, c.guest_offset + c.length);
            if (e <= s) {
                continue;
            }
            std::fill(out.begin() + static_cast<ptrdiff_t>(at - offset),
                      out.begin() + static_cast<ptrdiff_t>(s - offset), std::byte{0});
            std::span<std::byte> whole;
            if (c.guest_offset >= offset && c.guest_offset + c.length <= end) {
                whole = out.subspan(c.guest_offset - offset, c.length); // read in place
            } else {
                buffer.resize(c.length);
                whole = buffer;
            }
            OVFKIT_TRY(io::read_exact(*m_file, whole, c.data_at));
            OVFKIT_TRY(verify(c, whole));
            if (whole.data() == buffer.data()) {
                std::memcpy(out.data() + (s - offset), buffer.data() + (s - c.guest_offset), e - s);
            }
            at = e;
        }
        std::fill(out.begin() + static_cast<ptrdiff_t>(at - offset), out.end(), std::byte{0});
        return {};
    }

private:
    std::vector<XvaChunk>::const_iterator first_at(uint64_t offset) const {
        // The first chunk ending after `offset`.
        return std::upper_bound(
            m_vdi.chunks.begin(), m_vdi.chunks.end(), offset,
            [](uint64_t o, const XvaChunk& c) { return o < c.guest_offset + c.length; });
    }

    Result<void> verify(const XvaChunk& c, std::span<const std::byte> data) const {
        if (!c.sum) {
            return {};
        }
        const size_t digits = block_sum_digits(*c.sum);
        std::array<char, 40> stored{};
        auto text = std::as_writable_bytes(std::span(stored.data(), digits));
        OVFKIT_TRY(io::read_exact(*m_file, text, c.sum_at));
        std::string expect(stored.data(), digits);
        OVFKIT_TRY_ASSIGN(std::string actual, block_sum(*c.sum, data));
        if (ascii_lower(expect) != ascii_lower(actual)) {
            return fail(Errc::refused,
                        "{}: chunk {}/{:08} (archive byte {}): its {} is {}, the member says {}: "
                        "the chunk is damaged or altered",
                        m_index->path, m_vdi.ref, c.index, c.data_at, block_sum_label(*c.sum),
                        actual, expect);
        }
        return {};
    }

    std::shared_ptr<io::File> m_file;
    std::shared_ptr<const XvaIndex> m_index;
    const XvaVdi& m_vdi;
    disk::DiskInfo m_info;
};

} // namespace

std::unique_ptr<disk::DiskReader> xva_disk_reader(std::shared_ptr<io::File> file,
                                                  std::shared_ptr<const XvaIndex> index,
                                                  const std::string& ref) {
    const XvaVdi& vdi = index->vdis.at(ref);
    return std::make_unique<ChunkReader>(std::move(file), std::move(index), vdi);
}

} // namespace ovfkit::platform::xenserver
