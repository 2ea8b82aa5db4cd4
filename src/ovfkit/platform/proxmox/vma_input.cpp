// The archive's bytes in order, whatever vzdump compressed it with
// (vma_stream.hpp): none, zstd (libzstd), gzip (zlib) or lzo (an lzop
// container, formats/proxmox-vma-hyperv-vmcx.md 1; blocks through liblzo2).
// Each is told by content, never by the file's name, and each refuses a
// stream that ends inside a frame, member or block: a cut archive is not
// one that happens to end at an extent boundary.
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <ovfkit/platform/proxmox/vma_stream.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr size_t k_chunk = size_t{1} << 17;

class PlainInput final : public VmaInput {
public:
    explicit PlainInput(std::unique_ptr<io::File> file) : m_file(std::move(file)) {
        m_name = m_file->name();
    }
    Result<size_t> read(std::span<std::byte> out) override {
        size_t done = 0;
        while (done < out.size()) {
            OVFKIT_TRY_ASSIGN(size_t n, m_file->pread(out.subspan(done), m_offset));
            if (n == 0) {
                break;
            }
            done += n;
            m_offset += n;
        }
        return done;
    }

private:
    std::unique_ptr<io::File> m_file;
    uint64_t m_offset = 0;
};

class ZstdInput final : public VmaInput {
public:
    explicit ZstdInput(std::unique_ptr<io::File> file)
        : m_file(std::move(file)), m_stream(ZSTD_createDStream()), m_buf(k_chunk) {
        m_name = m_file->name();
    }
    ~ZstdInput() override { ZSTD_freeDStream(m_stream); }
    ZstdInput(const ZstdInput&) = delete;
    ZstdInput& operator=(const ZstdInput&) = delete;

    Result<size_t> read(std::span<std::byte> out) override {
        if (m_stream == nullptr) {
            return fail(Errc::io, "{}: no memory for a zstd stream", m_name);
        }
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        while (o.pos < o.size) {
            if (m_in.pos == m_in.size && !m_eof) {
                OVFKIT_TRY_ASSIGN(size_t n, m_file->pread(m_buf, m_offset));
                m_offset += n;
                m_in = ZSTD_inBuffer{m_buf.data(), n, 0};
                m_eof = n == 0;
            }
            if (m_in.pos == m_in.size && m_eof) {
                // The last frame must be complete: a cut stream is not an
                // archive that ends at an extent boundary.
                if (m_pending != 0) {
                    return fail(Errc::invalid,
                                "{}: byte {}: the zstd stream ends inside a frame (the archive "
                                "is truncated)",
                                m_name, m_offset);
                }
                break;
            }
            size_t r = ZSTD_decompressStream(m_stream, &o, &m_in);
            if (ZSTD_isError(r)) {
                return fail(Errc::invalid, "{}: near byte {}: zstd: {}", m_name, m_offset,
                            ZSTD_getErrorName(r));
            }
            m_pending = r;
        }
        return o.pos;
    }

private:
    std::unique_ptr<io::File> m_file;
    ZSTD_DStream* m_stream;
    std::vector<std::byte> m_buf;
    ZSTD_inBuffer m_in{nullptr, 0, 0};
    uint64_t m_offset = 0;
    bool m_eof = false;
    size_t m_pending = 0;
};

bool zstd_magic(std::span<const std::byte> head) {
    return head.size() >= 4 && head[0] == std::byte{0x28} && head[1] == std::byte{0xB5} &&
           head[2] == std::byte{0x2F} && head[3] == std::byte{0xFD};
}

bool vma_magic(std::span<const std::byte> head) {
    return head.size() >= 4 && std::memcmp(head.data(), "VMA\0", 4) == 0;
}

class GzipInput final : public VmaInput {
public:
    explicit GzipInput(std::unique_ptr<io::File> file) : m_file(std::move(file)), m_buf(k_chunk) {
        m_name = m_file->name();
        m_ok = inflateInit2(&m_z, 16 + MAX_WBITS) == Z_OK;
    }
    ~GzipInput() override {
        if (m_ok) {
            inflateEnd(&m_z);
        }
    }
    GzipInput(const GzipInput&) = delete;
    GzipInput& operator=(const GzipInput&) = delete;

    Result<size_t> read(std::span<std::byte> out) override {
        if (!m_ok) {
            return fail(Errc::io, "{}: no memory for a gzip stream", m_name);
        }
        size_t done = 0;
        while (done < out.size()) {
            if (m_z.avail_in == 0 && !m_eof) {
                OVFKIT_TRY_ASSIGN(size_t n, m_file->pread(m_buf, m_offset));
                m_offset += n;
                m_z.next_in = reinterpret_cast<Bytef*>(m_buf.data());
                m_z.avail_in = static_cast<uInt>(n);
                m_eof = n == 0;
            }
            if (m_z.avail_in == 0 && m_eof) {
                if (m_in_member) {
                    return fail(Errc::invalid,
                                "{}: byte {}: the gzip stream ends inside a member (the archive "
                                "is truncated)",
                                m_name, m_offset);
                }
                break;
            }
            if (!m_in_member) {
                // A further member (pigz and cat write several): start over.
                if (inflateReset(&m_z) != Z_OK) {
                    return fail(Errc::io, "{}: gzip: cannot reset the stream", m_name);
                }
                m_in_member = true;
            }
            const size_t room = std::min<size_t>(out.size() - done, size_t{1} << 30);
            m_z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
            m_z.avail_out = static_cast<uInt>(room);
            int r = inflate(&m_z, Z_NO_FLUSH);
            done += room - m_z.avail_out;
            if (r == Z_STREAM_END) {
                m_in_member = false;
            } else if (r != Z_OK && r != Z_BUF_ERROR) {
                return fail(Errc::invalid, "{}: near byte {}: gzip: {}", m_name, m_offset,
                            m_z.msg != nullptr ? m_z.msg : "damaged data");
            }
        }
        return done;
    }

private:
    std::unique_ptr<io::File> m_file;
    std::vector<std::byte> m_buf;
    z_stream m_z{};
    bool m_ok = false;
    uint64_t m_offset = 0;
    bool m_eof = false;
    bool m_in_member = false;
};

// lzop's container: a header (magic, versions, method, flags, mode, times,
// name, header checksum), then blocks of (uncompressed size, compressed
// size, checksums the flags ask for, data) until an uncompressed size of 0.
// A block whose two sizes are equal is stored; others are LZO1X.
constexpr std::array<uint8_t, 9> k_lzop_magic{0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A};
constexpr uint32_t k_lzo_adler32_d = 0x1;
constexpr uint32_t k_lzo_adler32_c = 0x2;
constexpr uint32_t k_lzo_extra_field = 0x40;
constexpr uint32_t k_lzo_crc32_d = 0x100;
constexpr uint32_t k_lzo_crc32_c = 0x200;
constexpr uint32_t k_lzo_multipart = 0x400;
constexpr uint32_t k_lzo_filter = 0x800;
constexpr uint32_t k_lzo_header_crc32 = 0x1000;
constexpr uint32_t k_lzo_max_block = uint32_t{64} << 20; // lzop's own limit

bool lzop_magic(std::span<const std::byte> head) {
    return head.size() >= k_lzop_magic.size() &&
           std::memcmp(head.data(), k_lzop_magic.data(), k_lzop_magic.size()) == 0;
}

class LzoInput final : public VmaInput {
public:
    explicit LzoInput(std::unique_ptr<io::File> file) : m_file(std::move(file)) {
        m_name = m_file->name();
    }

    Result<size_t> read(std::span<std::byte> out) override {
        if (!m_started) {
            OVFKIT_TRY(header());
            m_started = true;
        }
        size_t done = 0;
        while (done < out.size()) {
            if (m_pos == m_block.size()) {
                if (m_end) {
                    break;
                }
                OVFKIT_TRY(next_block());
                continue;
            }
            size_t n = std::min(out.size() - done, m_block.size() - m_pos);
            std::memcpy(out.data() + done, m_block.data() + m_pos, n);
            m_pos += n;
            done += n;
        }
        return done;
    }

private:
    Result<void> bytes(std::span<std::byte> out, std::string_view what) {
        OVFKIT_TRY_ASSIGN(size_t n, m_file->pread(out, m_offset));
        size_t got = n;
        while (got < out.size() && n != 0) {
            OVFKIT_TRY_ASSIGN(n, m_file->pread(out.subspan(got), m_offset + got));
            got += n;
        }
        if (got < out.size()) {
            return fail(Errc::invalid,
                        "{}: byte {}: the lzo stream ends inside {} (the archive "
                        "is truncated)",
                        m_name, m_offset + got, what);
        }
        if (m_hashing) {
            m_adler = adler32(m_adler, reinterpret_cast<const Bytef*>(out.data()),
                              static_cast<uInt>(out.size()));
            m_crc = crc32(m_crc, reinterpret_cast<const Bytef*>(out.data()),
                          static_cast<uInt>(out.size()));
        }
        m_offset += out.size();
        return {};
    }
    Result<uint32_t> be(size_t width, std::string_view what) {
        std::array<std::byte, 4> b{};
        OVFKIT_TRY(bytes(std::span(b).first(width), what));
        uint32_t v = 0;
        for (size_t i = 0; i < width; ++i) {
            v = (v << 8) | std::to_integer<uint32_t>(b[i]);
        }
        return v;
    }

    Result<void> header() {
        if (lzo_init() != LZO_E_OK) {
            return fail(Errc::io, "{}: liblzo2 does not initialise", m_name);
        }
        std::array<std::byte, 9> magic{};
        OVFKIT_TRY(bytes(magic, "its header"));
        m_hashing = true; // the header checksum covers what follows the magic
        m_adler = adler32(0, nullptr, 0);
        m_crc = crc32(0, nullptr, 0);
        OVFKIT_TRY_ASSIGN(uint32_t version, be(2, "its header"));
        OVFKIT_TRY(be(2, "its header")); // the library version that wrote it
        if (version >= 0x0940) {
            OVFKIT_TRY_ASSIGN(uint32_t needed, be(2, "its header"));
            if (needed > 0x1040) {
                return fail(Errc::invalid, "{}: byte 13: lzop version {:#x} is needed to read it",
                            m_name, needed);
            }
        }
        OVFKIT_TRY_ASSIGN(uint32_t method, be(1, "its header"));
        if (method < 1 || method > 3) {
            return fail(Errc::invalid, "{}: lzop method {} is not LZO1X (1-3)", m_name, method);
        }
        if (version >= 0x0940) {
            OVFKIT_TRY(be(1, "its header")); // level
        }
        OVFKIT_TRY_ASSIGN(m_flags, be(4, "its header"));
        if ((m_flags & (k_lzo_filter | k_lzo_multipart)) != 0) {
            return fail(Errc::invalid,
                        "{}: lzop flags {:#x}: filters and multi-part files are "
                        "not read",
                        m_name, m_flags);
        }
        OVFKIT_TRY(be(4, "its header")); // mode
        OVFKIT_TRY(be(4, "its header")); // mtime
        if (version >= 0x0940) {
            OVFKIT_TRY(be(4, "its header")); // mtime, high bits
        }
        OVFKIT_TRY_ASSIGN(uint32_t name_len, be(1, "its header"));
        std::vector<std::byte> name(name_len);
        OVFKIT_TRY(bytes(name, "its header"));
        const uint32_t want = (m_flags & k_lzo_header_crc32) != 0 ? static_cast<uint32_t>(m_crc)
                                                                  : static_cast<uint32_t>(m_adler);
        m_hashing = false;
        OVFKIT_TRY_ASSIGN(uint32_t stored, be(4, "its header"));
        if (stored != want) {
            return fail(Errc::invalid,
                        "{}: byte {}: the lzop header's checksum is {:08x}, the "
                        "header's is {:08x} (damaged)",
                        m_name, m_offset - 4, stored, want);
        }
        if ((m_flags & k_lzo_extra_field) != 0) {
            OVFKIT_TRY_ASSIGN(uint32_t len, be(4, "its extra field"));
            if (len > (uint32_t{1} << 20)) {
                return fail(Errc::invalid, "{}: lzop extra field of {} bytes", m_name, len);
            }
            std::vector<std::byte> extra(len);
            OVFKIT_TRY(bytes(extra, "its extra field"));
            OVFKIT_TRY(be(4, "its extra field"));
        }
        return {};
    }

    // Checks `data` against the block's stored Adler-32 and CRC-32, each
    // only when the header asked for it.
    Result<void> check_sums(std::span<const std::byte> data, std::optional<uint32_t> adler,
                            std::optional<uint32_t> crc, uint64_t at, std::string_view what) const {
        auto p = reinterpret_cast<const Bytef*>(data.data());
        auto n = static_cast<uInt>(data.size());
        if (adler && *adler != static_cast<uint32_t>(adler32(adler32(0, nullptr, 0), p, n))) {
            return fail(Errc::invalid,
                        "{}: byte {}: the lzop block's {} does not match its Adler-32 (damaged)",
                        m_name, at, what);
        }
        if (crc && *crc != static_cast<uint32_t>(crc32(crc32(0, nullptr, 0), p, n))) {
            return fail(Errc::invalid,
                        "{}: byte {}: the lzop block's {} does not match its CRC-32 (damaged)",
                        m_name, at, what);
        }
        return {};
    }

    Result<void> next_block() {
        const uint64_t at = m_offset;
        OVFKIT_TRY_ASSIGN(uint32_t dst_len, be(4, "a block header"));
        if (dst_len == 0) {
            m_end = true;
            m_block.clear();
            m_pos = 0;
            return {};
        }
        OVFKIT_TRY_ASSIGN(uint32_t src_len, be(4, "a block header"));
        if (dst_len > k_lzo_max_block || src_len == 0 || src_len > dst_len) {
            return fail(Errc::invalid,
                        "{}: byte {}: lzop block of {} bytes stored in {}: not a "
                        "block lzop writes",
                        m_name, at, dst_len, src_len);
        }
        std::optional<uint32_t> d_adler, d_crc, c_adler, c_crc;
        if ((m_flags & k_lzo_adler32_d) != 0) {
            OVFKIT_TRY_ASSIGN(d_adler, be(4, "a block header"));
        }
        if ((m_flags & k_lzo_crc32_d) != 0) {
            OVFKIT_TRY_ASSIGN(d_crc, be(4, "a block header"));
        }
        if (src_len < dst_len) {
            if ((m_flags & k_lzo_adler32_c) != 0) {
                OVFKIT_TRY_ASSIGN(c_adler, be(4, "a block header"));
            }
            if ((m_flags & k_lzo_crc32_c) != 0) {
                OVFKIT_TRY_ASSIGN(c_crc, be(4, "a block header"));
            }
        }
        m_src.resize(src_len);
        OVFKIT_TRY(bytes(m_src, "a block"));
        OVFKIT_TRY(check_sums(m_src, c_adler, c_crc, at, "compressed data"));
        if (src_len == dst_len) {
            m_block.swap(m_src);
        } else {
            m_block.resize(dst_len);
            lzo_uint n = dst_len;
            int r = lzo1x_decompress_safe(reinterpret_cast<const unsigned char*>(m_src.data()),
                                          src_len, reinterpret_cast<unsigned char*>(m_block.data()),
                                          &n, nullptr);
            if (r != LZO_E_OK || n != dst_len) {
                return fail(Errc::invalid,
                            "{}: byte {}: the lzop block does not decompress to "
                            "its {} bytes (lzo error {})",
                            m_name, at, dst_len, r);
            }
        }
        OVFKIT_TRY(check_sums(m_block, d_adler, d_crc, at, "data"));
        m_pos = 0;
        return {};
    }

    std::unique_ptr<io::File> m_file;
    uint64_t m_offset = 0;
    bool m_started = false;
    bool m_end = false;
    uint32_t m_flags = 0;
    bool m_hashing = false;
    uLong m_adler = 0;
    uLong m_crc = 0;
    std::vector<std::byte> m_src;
    std::vector<std::byte> m_block;
    size_t m_pos = 0;
};

bool gzip_magic(std::span<const std::byte> head) {
    return head.size() >= 2 && head[0] == std::byte{0x1F} && head[1] == std::byte{0x8B};
}

} // namespace

Result<std::unique_ptr<VmaInput>> VmaInput::open(const std::string& path) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    return open(std::move(file));
}

Result<std::unique_ptr<VmaInput>> VmaInput::open(std::unique_ptr<io::File> file) {
    const std::string path = file->name();
    std::array<std::byte, 9> head{};
    OVFKIT_TRY_ASSIGN(size_t n, file->pread(head, 0));
    auto got = std::span<const std::byte>(head).first(n);
    if (zstd_magic(got)) {
        return std::unique_ptr<VmaInput>(std::make_unique<ZstdInput>(std::move(file)));
    }
    if (gzip_magic(got)) {
        return std::unique_ptr<VmaInput>(std::make_unique<GzipInput>(std::move(file)));
    }
    if (lzop_magic(got)) {
        return std::unique_ptr<VmaInput>(std::make_unique<LzoInput>(std::move(file)));
    }
    if (vma_magic(got)) {
        return std::unique_ptr<VmaInput>(std::make_unique<PlainInput>(std::move(file)));
    }
    return fail(Errc::invalid,
                "{}: offset 0: not a VMA archive, plain or compressed (zstd, gzip, lzo)", path);
}

bool looks_like_vma(std::span<const std::byte> head) {
    if (vma_magic(head)) {
        return true;
    }
    // An lzop file's first block is larger than any head: told by reading
    // it (read_vma_header checks the magic), as nothing else is lzop.
    if (lzop_magic(head)) {
        return true;
    }
    std::array<std::byte, 4> out{};
    size_t produced = 0;
    if (zstd_magic(head)) {
        ZSTD_DStream* s = ZSTD_createDStream();
        if (s == nullptr) {
            return false;
        }
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        ZSTD_inBuffer in{head.data(), head.size(), 0};
        while (o.pos < o.size && in.pos < in.size) {
            size_t r = ZSTD_decompressStream(s, &o, &in);
            if (ZSTD_isError(r) || r == 0) {
                break;
            }
        }
        ZSTD_freeDStream(s);
        produced = o.pos;
    } else if (gzip_magic(head)) {
        z_stream z{};
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
            return false;
        }
        z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(head.data()));
        z.avail_in = static_cast<uInt>(head.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        (void)inflate(&z, Z_SYNC_FLUSH);
        produced = out.size() - z.avail_out;
        inflateEnd(&z);
    } else {
        return false;
    }
    // A first block larger than the head gives nothing yet: the archive is
    // then told by reading it (read_vma_header checks the magic).
    return produced == 0 || (produced == 4 && vma_magic(out));
}

} // namespace ovfkit::platform::proxmox
