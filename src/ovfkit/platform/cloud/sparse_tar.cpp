// The sparse GNU tar member writer; see sparse_tar.hpp.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include <ovfkit/base/bytes.hpp>
#include <ovfkit/platform/cloud/sparse_tar.hpp>

namespace ovfkit::platform::cloud {

namespace {

constexpr uint64_t k_record = 20 * k_tar_block; // GNU tar's default blocking factor
constexpr uint64_t k_buffer = uint64_t{1} << 20;
constexpr uint64_t k_scan_window = uint64_t{64} << 20;
constexpr size_t k_header_sparse = 4;     // pairs in the oldgnu header
constexpr size_t k_extension_sparse = 21; // pairs in each extension block

// A numeric field of `width` bytes: octal digits and a NUL when the value
// fits width - 1 digits, else GNU's base-256 (0x80, then big-endian).
void put_number(std::byte* field, size_t width, uint64_t value) {
    const unsigned digits = static_cast<unsigned>(width - 1);
    if (digits * 3 >= 64 || value < (uint64_t{1} << (digits * 3))) {
        std::string text = fmt::format("{:0{}o}", value, digits);
        std::memcpy(field, text.data(), digits);
        field[digits] = std::byte{0};
        return;
    }
    std::memset(field, 0, width);
    field[0] = std::byte{0x80};
    for (size_t i = width - 1; i > 0 && value != 0; --i) {
        field[i] = static_cast<std::byte>(value & 0xff);
        value >>= 8;
    }
}

void put_text(std::byte* field, std::string_view text) {
    std::memcpy(field, text.data(), text.size());
}

void put_pair(std::byte* at, const SparseSegment& s) {
    put_number(at, 12, s.offset);
    put_number(at + 12, 12, s.length);
}

void put_checksum(std::byte* header) {
    std::memset(header + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < k_tar_block; ++i) {
        sum += std::to_integer<unsigned>(header[i]);
    }
    std::string text = fmt::format("{:06o}", sum);
    std::memcpy(header + 148, text.data(), 6);
    header[154] = std::byte{0};
    header[155] = std::byte{' '};
}

Result<void> cancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return fail(Errc::io, "cancelled");
    }
    return {};
}

void add_data(std::vector<SparseSegment>& segments, uint64_t offset, uint64_t length) {
    if (!segments.empty() && segments.back().offset + segments.back().length == offset) {
        segments.back().length += length;
        return;
    }
    segments.push_back({offset, length});
}

// Reads [at, at + out.size()) of the guest disk: only its data extents
// (`extents` covers the range); the rest reads as zeros without a read.
Result<void> read_data(disk::DiskReader& reader, uint64_t at, std::span<std::byte> out,
                       const std::vector<disk::Extent>& extents) {
    std::fill(out.begin(), out.end(), std::byte{0});
    const uint64_t end = at + out.size();
    for (const disk::Extent& e : extents) {
        const uint64_t from = std::max(at, e.offset);
        const uint64_t to = std::min(end, e.offset + e.length);
        if (e.kind != disk::ExtentKind::data || from >= to) {
            continue;
        }
        OVFKIT_TRY(reader.read_at(from, out.subspan(from - at, to - from)));
    }
    return {};
}

} // namespace

uint64_t SparseMap::data_bytes() const {
    uint64_t n = 0;
    for (const SparseSegment& s : segments) {
        n += s.length;
    }
    return n;
}

Result<std::vector<std::byte>> sparse_member_header(std::string_view name, const SparseMap& map,
                                                    uint64_t mtime) {
    if (name.empty() || name.size() > 100) {
        return fail(Errc::usage, "tar member name '{}' is not 1-100 bytes", name);
    }
    const size_t pairs = map.segments.size();
    const size_t extensions =
        pairs <= k_header_sparse
            ? 0
            : (pairs - k_header_sparse + k_extension_sparse - 1) / k_extension_sparse;
    std::vector<std::byte> out((1 + extensions) * k_tar_block, std::byte{0});
    std::byte* h = out.data();
    put_text(h, name);
    put_number(h + 100, 8, 0644);
    put_number(h + 108, 8, 0);
    put_number(h + 116, 8, 0);
    put_number(h + 124, 12, map.data_bytes()); // what the member stores
    put_number(h + 136, 12, mtime);
    h[156] = std::byte{'S'};
    put_text(h + 257, std::string_view("ustar  \0", 8)); // oldgnu magic and version
    put_text(h + 265, "root");
    put_text(h + 297, "root");
    for (size_t i = 0; i < std::min(pairs, k_header_sparse); ++i) {
        put_pair(h + 386 + i * 24, map.segments[i]);
    }
    h[482] = std::byte{extensions > 0 ? uint8_t{1} : uint8_t{0}};
    put_number(h + 483, 12, map.real_size);
    put_checksum(h);
    size_t next = k_header_sparse;
    for (size_t e = 0; e < extensions; ++e) {
        std::byte* x = out.data() + (1 + e) * k_tar_block;
        for (size_t i = 0; i < k_extension_sparse && next < pairs; ++i, ++next) {
            put_pair(x + i * 24, map.segments[next]);
        }
        x[504] = std::byte{e + 1 < extensions ? uint8_t{1} : uint8_t{0}};
    }
    return out;
}

Result<SparseMap> scan_sparse_map(disk::DiskReader& reader, uint64_t real_size,
                                  const std::atomic<bool>* cancel) {
    const uint64_t size = reader.virtual_size();
    if (real_size < size) {
        return fail(Errc::usage, "{}: a {}-byte file cannot hold the {}-byte disk",
                    reader.info().files.empty() ? std::string("disk") : reader.info().files[0],
                    real_size, size);
    }
    SparseMap map;
    map.real_size = real_size;
    std::vector<std::byte> buffer(k_buffer);
    for (uint64_t window = 0; window < size; window += k_scan_window) {
        OVFKIT_TRY(cancelled(cancel));
        const uint64_t window_end = std::min(size, window + k_scan_window);
        OVFKIT_TRY_ASSIGN(auto extents, reader.extents(window, window_end - window));
        auto it = extents.begin();
        for (uint64_t at = window; at < window_end; at += k_buffer) {
            const uint64_t end = std::min(window_end, at + k_buffer);
            while (it != extents.end() && it->offset + it->length <= at) {
                ++it;
            }
            bool data = false;
            for (auto e = it; e != extents.end() && e->offset < end; ++e) {
                data = data || e->kind == disk::ExtentKind::data;
            }
            if (!data) {
                continue;
            }
            std::span<std::byte> piece(buffer.data(), end - at);
            OVFKIT_TRY(read_data(reader, at, piece, extents));
            for (uint64_t b = 0; b < piece.size(); b += k_min_hole) {
                const uint64_t n = std::min<uint64_t>(k_min_hole, piece.size() - b);
                if (!is_all_zero(piece.subspan(b, n))) {
                    add_data(map.segments, at + b, n);
                }
            }
        }
    }
    if (map.segments.empty() ||
        map.segments.back().offset + map.segments.back().length < real_size) {
        map.segments.push_back({real_size, 0});
    }
    return map;
}

Result<void> write_sparse_tar(disk::DiskReader& reader, const SparseMap& map, io::Sink& out,
                              const SparseTarOptions& options) {
    OVFKIT_TRY_ASSIGN(auto header, sparse_member_header(options.member, map, options.mtime));
    OVFKIT_TRY(out.write(header));
    uint64_t written = header.size();
    const uint64_t total = map.data_bytes();
    const uint64_t size = reader.virtual_size();
    uint64_t done = 0;
    std::vector<std::byte> buffer(k_buffer);
    for (const SparseSegment& s : map.segments) {
        for (uint64_t at = s.offset; at < s.offset + s.length;) {
            OVFKIT_TRY(cancelled(options.cancel));
            const uint64_t n = std::min(k_buffer, s.offset + s.length - at);
            std::span<std::byte> piece(buffer.data(), n);
            // Past the disk's end (never in a scanned map) the file is zeros.
            const uint64_t readable = at < size ? std::min(n, size - at) : 0;
            std::fill(piece.begin(), piece.end(), std::byte{0});
            if (readable > 0) {
                OVFKIT_TRY_ASSIGN(auto extents, reader.extents(at, readable));
                OVFKIT_TRY(read_data(reader, at, piece.first(readable), extents));
            }
            OVFKIT_TRY(out.write(piece));
            at += n;
            done += n;
            if (options.progress) {
                options.progress(done, total);
            }
        }
    }
    written += total;
    // Padding of the data, two zero blocks, then zeros to a whole record.
    uint64_t tail = (k_tar_block - total % k_tar_block) % k_tar_block + 2 * k_tar_block;
    tail += (k_record - (written + tail) % k_record) % k_record;
    std::fill(buffer.begin(), buffer.end(), std::byte{0});
    while (tail > 0) {
        const uint64_t n = std::min<uint64_t>(tail, buffer.size());
        OVFKIT_TRY(out.write(std::span<const std::byte>(buffer.data(), n)));
        tail -= n;
    }
    return {};
}

} // namespace ovfkit::platform::cloud
