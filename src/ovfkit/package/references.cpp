// Chunked and compressed file references; see references.hpp.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/package/references.hpp>

namespace ovfkit::package {

namespace {

constexpr size_t k_index_digits = 9;
constexpr size_t k_read_buffer = size_t{256} << 10;

uint64_t saturating_mul(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

// The parts of a layout read one after the other.
class PartReader {
public:
    PartReader(MemberOpener open, const StoredLayout& layout)
        : m_open(std::move(open)), m_layout(layout) {}

    // Up to out.size() stored bytes; 0 at the end of the last part. A part
    // shorter than its indexed size is an error, never an early end.
    Result<size_t> read(std::span<std::byte> out) {
        while (m_part < m_layout.parts.size()) {
            const StoredPart& part = m_layout.parts[m_part];
            if (m_offset == part.size) {
                ++m_part;
                m_offset = 0;
                m_file.reset();
                continue;
            }
            if (!m_file) {
                OVFKIT_TRY_ASSIGN(m_file, m_open(part.name));
            }
            size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), part.size - m_offset));
            OVFKIT_TRY(io::read_exact(*m_file, out.first(n), m_offset));
            m_offset += n;
            m_total += n;
            return n;
        }
        return size_t{0};
    }
    uint64_t total() const { return m_total; }
    // "disk.vmdk.000000001 byte 4096", for messages.
    std::string where() const {
        if (m_part >= m_layout.parts.size()) {
            return fmt::format("the end of {}", m_layout.parts.empty()
                                                    ? std::string("the file")
                                                    : m_layout.parts.back().name);
        }
        return fmt::format("{} byte {}", m_layout.parts[m_part].name, m_offset);
    }

private:
    MemberOpener m_open;
    const StoredLayout& m_layout;
    size_t m_part = 0;
    uint64_t m_offset = 0;
    uint64_t m_total = 0;
    std::unique_ptr<io::File> m_file;
};

class PlainStream final : public ReferenceStream {
public:
    PlainStream(MemberOpener open, StoredLayout layout)
        : ReferenceStream(std::move(layout)), m_parts(std::move(open), m_layout) {}
    Result<size_t> read(std::span<std::byte> out) override { return m_parts.read(out); }
    uint64_t position() const override { return m_parts.total(); }

private:
    PartReader m_parts;
};

// One gzip member inflated with zlib's streaming API (windowBits 15 + 16:
// gzip framing only, header and trailer checked by zlib; no header callback).
class GzipStream final : public ReferenceStream {
public:
    // `why` says where `bound` comes from, for the refusal.
    GzipStream(MemberOpener open, StoredLayout layout, uint64_t bound, std::string why)
        : ReferenceStream(std::move(layout)), m_parts(std::move(open), m_layout), m_bound(bound),
          m_why(std::move(why)), m_in(k_read_buffer) {}
    ~GzipStream() override {
        if (m_init) {
            inflateEnd(&m_z);
        }
    }
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;

    Result<void> init() {
        m_z = {};
        if (inflateInit2(&m_z, 15 + 16) != Z_OK) {
            return fail(Errc::io, "{}: cannot set up zlib", name());
        }
        m_init = true;
        return {};
    }

    uint64_t position() const override { return m_out; }

    Result<size_t> read(std::span<std::byte> out) override {
        if (m_broken) {
            return fail(Errc::io, "{}: an earlier read failed", name());
        }
        auto r = read_some(out);
        if (!r) {
            m_broken = true;
        }
        return r;
    }

private:
    const std::string& name() const { return m_layout.parts.front().name; }

    Result<size_t> read_some(std::span<std::byte> out) {
        if (m_ended || out.empty()) {
            if (m_ended && !m_checked_tail) {
                OVFKIT_TRY(check_tail());
            }
            return size_t{0};
        }
        for (;;) {
            if (m_z.avail_in == 0 && !m_input_done) {
                OVFKIT_TRY_ASSIGN(size_t n, m_parts.read(m_in));
                m_z.next_in = reinterpret_cast<Bytef*>(m_in.data());
                m_z.avail_in = static_cast<uInt>(n);
                m_input_done = n == 0;
            }
            uInt room = static_cast<uInt>(std::min<size_t>(out.size(), 1u << 30));
            m_z.next_out = reinterpret_cast<Bytef*>(out.data());
            m_z.avail_out = room;
            int rc = inflate(&m_z, Z_NO_FLUSH);
            size_t produced = room - m_z.avail_out;
            m_out += produced;
            if (m_out > m_bound) {
                return fail(Errc::refused,
                            "{}: gzip stream inflates past {} bytes ({} stored bytes; bound: {}); "
                            "refused as a decompression bomb (SECURITY.md R17)",
                            name(), m_bound, m_layout.stored_size, m_why);
            }
            if (rc == Z_STREAM_END) {
                m_ended = true;
                if (produced == 0) {
                    OVFKIT_TRY(check_tail());
                }
                return produced;
            }
            if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR) {
                return fail(Errc::invalid, "{}: damaged gzip stream at compressed byte {}: {}",
                            name(), m_z.total_in, m_z.msg != nullptr ? m_z.msg : "invalid data");
            }
            if (rc == Z_MEM_ERROR) {
                return fail(Errc::io, "{}: zlib is out of memory", name());
            }
            if (produced > 0) {
                return produced;
            }
            if (m_input_done && m_z.avail_in == 0) {
                return fail(Errc::invalid,
                            "{}: gzip stream ends early after {} stored bytes ({} inflated); the "
                            "file is truncated or damaged",
                            name(), m_parts.total(), m_out);
            }
        }
    }

    // One member only (R17): nothing may follow the trailer.
    Result<void> check_tail() {
        m_checked_tail = true;
        uint64_t extra = m_z.avail_in;
        if (extra == 0) {
            OVFKIT_TRY_ASSIGN(size_t n, m_parts.read(m_in));
            extra = n;
        }
        if (extra != 0) {
            return fail(Errc::invalid,
                        "{}: data after the gzip member at compressed byte {}; ovfkit reads one "
                        "gzip member per file",
                        name(), m_z.total_in);
        }
        return {};
    }

    PartReader m_parts;
    uint64_t m_bound;
    std::string m_why;
    std::vector<std::byte> m_in;
    z_stream m_z{};
    bool m_init = false;
    bool m_input_done = false;
    bool m_ended = false;
    bool m_checked_tail = false;
    bool m_broken = false;
    uint64_t m_out = 0;
};

// Random access over the chunks of an uncompressed chunked file.
class ChunkedFile final : public io::File {
public:
    ChunkedFile(std::string name, std::vector<std::unique_ptr<io::File>> parts,
                std::vector<uint64_t> starts, uint64_t size)
        : m_name(std::move(name)), m_parts(std::move(parts)), m_starts(std::move(starts)),
          m_size(size) {}

    const std::string& name() const override { return m_name; }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        size_t done = 0;
        while (done < out.size() && offset < m_size) {
            auto it = std::upper_bound(m_starts.begin(), m_starts.end(), offset);
            size_t i = static_cast<size_t>(it - m_starts.begin()) - 1;
            uint64_t end = i + 1 < m_starts.size() ? m_starts[i + 1] : m_size;
            size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, end - offset));
            OVFKIT_TRY(io::read_exact(*m_parts[i], out.subspan(done, n), offset - m_starts[i]));
            done += n;
            offset += n;
        }
        return done;
    }
    Result<void> pwrite(std::span<const std::byte>, uint64_t) override { return read_only(); }
    Result<uint64_t> size() override { return m_size; }
    Result<void> truncate(uint64_t) override { return read_only(); }
    Result<void> sync() override { return {}; }

private:
    Result<void> read_only() const {
        return fail(Errc::refused, "{}: a chunked package file is read-only", m_name);
    }
    std::string m_name;
    std::vector<std::unique_ptr<io::File>> m_parts;
    std::vector<uint64_t> m_starts;
    uint64_t m_size;
};

// An unnamed file in `dir` that disappears when closed.
Result<std::unique_ptr<io::File>> unnamed_temp(const std::string& dir, const std::string& name) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        std::random_device rd;
        for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
            std::string path = fmt::format("{}/.ovfkit-inflate-{:08x}", dir, rd());
            fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0) {
                ::unlink(path.c_str());
            }
        }
    }
    if (fd < 0) {
        return fail(Errc::io, "{}: cannot create a temporary file to inflate {}: {}", dir, name,
                    std::strerror(errno));
    }
    return io::adopt_fd(fd, name);
}

} // namespace

uint64_t disk_output_bound(uint64_t capacity_bytes) {
    uint64_t slack = std::max<uint64_t>(capacity_bytes / 100, 1 << 20);
    return capacity_bytes > UINT64_MAX - slack ? UINT64_MAX : capacity_bytes + slack;
}

std::string chunk_member_name(std::string_view href, uint64_t index) {
    return fmt::format("{}.{:09}", href, index);
}

std::optional<uint64_t> chunk_index(std::string_view href, std::string_view member) {
    if (member.size() != href.size() + 1 + k_index_digits || !member.starts_with(href) ||
        member[href.size()] != '.') {
        return std::nullopt;
    }
    return parse_decimal(member.substr(href.size() + 1));
}

Result<Compression> parse_compression(const std::optional<std::string>& value,
                                      std::string_view where) {
    if (!value || value->empty() || *value == "identity") {
        return Compression::none;
    }
    if (*value == "gzip") {
        return Compression::gzip;
    }
    return fail(Errc::invalid, "{}: ovf:compression \"{}\" is not supported (only \"gzip\" is)",
                where, *value);
}

Result<MemberLookup> member_lookup(const Source& src) {
    MemberLookup lookup;
    lookup.size = [&src](std::string_view name) { return src.file_size(name); };
    if (const TarIndex* tar = src.tar()) {
        for (const auto& m : tar->members()) {
            lookup.names.push_back(m.name);
        }
        return lookup;
    }
    if (const AssembledFiles* files = src.assembled_files()) {
        lookup.names = files->names();
        return lookup;
    }
    OVFKIT_TRY_ASSIGN(auto dir, src.kind() == SourceKind::directory
                                    ? io::Directory::open(src.path())
                                    : io::Directory::of_file(src.path()));
    auto names = dir.names(io::k_max_directory_entries);
    if (!names) {
        return fail(names.error().code, "{}; too many to look for chunks among",
                    names.error().message);
    }
    lookup.names = std::move(*names);
    return lookup;
}

Result<StoredLayout> stored_layout(const MemberLookup& lookup, const ovf::File& file,
                                   const ReferenceLimits& limits) {
    const std::string& href = file.href;
    StoredLayout layout;
    OVFKIT_TRY_ASSIGN(layout.compression, parse_compression(file.compression, href));
    std::optional<uint64_t> declared;
    if (file.size) {
        declared = parse_decimal(*file.size);
    }
    if (!file.chunk_size) {
        OVFKIT_TRY_ASSIGN(auto size, lookup.size(href));
        if (!size) {
            return fail(Errc::io, "{}: not in the package", href);
        }
        layout.parts.push_back({href, *size});
        layout.stored_size = *size;
    } else {
        auto chunk = parse_decimal(*file.chunk_size);
        if (!chunk || *chunk == 0) {
            return fail(Errc::invalid, "{}: ovf:chunkSize \"{}\" is not a positive byte count",
                        href, *file.chunk_size);
        }
        if (*chunk > limits.max_chunk_size) {
            return fail(Errc::refused, "{}: ovf:chunkSize {} is more than the {} byte limit", href,
                        *chunk, limits.max_chunk_size);
        }
        layout.chunk_size = *chunk;
        // Every member that looks like a chunk of href, by index; anything
        // "<href>.<digits>" with another width is a stray name.
        std::map<uint64_t, std::string> chunks;
        for (const auto& name : lookup.names) {
            if (name == href) {
                return fail(Errc::invalid,
                            "{}: the package holds the whole file beside its chunks "
                            "(ovf:chunkSize {}); which one is meant is ambiguous",
                            href, *chunk);
            }
            if (!name.starts_with(href) || name.size() <= href.size() + 1 ||
                name[href.size()] != '.') {
                continue;
            }
            std::string_view rest = std::string_view(name).substr(href.size() + 1);
            if (!parse_decimal(rest)) {
                continue; // "disk.vmdk.sha256" and the like are not chunks
            }
            auto index = chunk_index(href, name);
            if (!index) {
                return fail(Errc::invalid, "{}: chunk name '{}' does not have a {}-digit index",
                            href, name, k_index_digits);
            }
            if (!chunks.emplace(*index, name).second) {
                return fail(Errc::invalid, "{}: chunk {} is stored twice", href, *index);
            }
            if (chunks.size() > limits.max_chunks) {
                return fail(Errc::refused, "{}: more than {} chunks", href, limits.max_chunks);
            }
        }
        if (chunks.empty()) {
            return fail(Errc::io, "{}: not in the package (no {})", href,
                        chunk_member_name(href, 0));
        }
        uint64_t expect = 0;
        for (const auto& [index, name] : chunks) {
            if (index != expect) {
                return fail(
                    Errc::invalid, "{}: chunk {} is missing ({} follows {})", href, expect, name,
                    expect == 0 ? std::string("nothing") : chunk_member_name(href, expect - 1));
            }
            OVFKIT_TRY_ASSIGN(auto size, lookup.size(name));
            if (!size) {
                return fail(Errc::io, "{}: chunk {} is listed but cannot be found", href, name);
            }
            layout.parts.push_back({name, *size});
            auto total = checked_add(layout.stored_size, *size);
            if (!total) {
                return fail(Errc::invalid, "{}: the chunks' sizes overflow", href);
            }
            layout.stored_size = *total;
            ++expect;
        }
        for (size_t i = 0; i < layout.parts.size(); ++i) {
            const auto& p = layout.parts[i];
            bool last = i + 1 == layout.parts.size();
            if (!last && p.size != *chunk) {
                return fail(Errc::invalid,
                            "{}: chunk {} is {} bytes; every chunk but the last must be exactly "
                            "ovf:chunkSize ({}) bytes",
                            href, p.name, p.size, *chunk);
            }
            if (last && (p.size > *chunk || (p.size == 0 && layout.parts.size() > 1))) {
                return fail(Errc::invalid,
                            "{}: last chunk {} is {} bytes; it must hold 1 to ovf:chunkSize ({}) "
                            "bytes",
                            href, p.name, p.size, *chunk);
            }
        }
    }
    if (declared && *declared != layout.stored_size &&
        (layout.compression == Compression::none || layout.chunk_size)) {
        return fail(Errc::invalid, "{}: ovf:size is {} but the package stores {} bytes for it{}",
                    href, *declared, layout.stored_size,
                    layout.chunk_size ? fmt::format(" in {} chunks", layout.parts.size()) : "");
    }
    return layout;
}

Result<std::unique_ptr<ReferenceStream>>
ReferenceStream::open(const Source& src, StoredLayout layout, const ReferenceLimits& limits) {
    return open([&src](std::string_view name) { return src.open_file(name); }, std::move(layout),
                limits);
}

Result<std::unique_ptr<ReferenceStream>>
ReferenceStream::open(MemberOpener members, StoredLayout layout, const ReferenceLimits& limits) {
    if (layout.parts.empty()) {
        return fail(Errc::invalid, "a file reference with no stored part");
    }
    if (layout.compression == Compression::none) {
        return std::unique_ptr<ReferenceStream>(
            std::make_unique<PlainStream>(std::move(members), std::move(layout)));
    }
    uint64_t ratio_bound =
        saturating_mul(std::max<uint64_t>(layout.stored_size, 1), limits.max_ratio);
    uint64_t bound = std::min(ratio_bound, limits.max_output.value_or(limits.max_unbounded_output));
    std::string why = fmt::format("at most {}:1 expansion", limits.max_ratio);
    if (limits.max_output) {
        why += fmt::format(" and {} bytes for this file", *limits.max_output);
    }
    auto stream =
        std::make_unique<GzipStream>(std::move(members), std::move(layout), bound, std::move(why));
    OVFKIT_TRY(stream->init());
    return std::unique_ptr<ReferenceStream>(std::move(stream));
}

Result<std::unique_ptr<io::File>> open_reference_file(const Source& src, const StoredLayout& layout,
                                                      const ReferenceLimits& limits,
                                                      const std::string& temp_dir) {
    if (layout.parts.empty()) {
        return fail(Errc::invalid, "a file reference with no stored part");
    }
    const std::string& first = layout.parts.front().name;
    if (layout.compression == Compression::none) {
        if (!layout.chunk_size) {
            return src.open_file(first);
        }
        std::vector<std::unique_ptr<io::File>> parts;
        std::vector<uint64_t> starts;
        uint64_t at = 0;
        for (const auto& p : layout.parts) {
            OVFKIT_TRY_ASSIGN(auto f, src.open_file(p.name));
            parts.push_back(std::move(f));
            starts.push_back(at);
            at += p.size;
        }
        std::string name = first.substr(0, first.size() - 1 - k_index_digits);
        return std::unique_ptr<io::File>(
            std::make_unique<ChunkedFile>(name, std::move(parts), std::move(starts), at));
    }
    if (temp_dir.empty()) {
        return fail(Errc::usage,
                    "{}: is gzip-compressed and has no random access; it must be inflated "
                    "into a temporary file first, and no directory for it was given",
                    first);
    }
    OVFKIT_TRY_ASSIGN(auto stream, ReferenceStream::open(src, layout, limits));
    OVFKIT_TRY_ASSIGN(auto out, unnamed_temp(temp_dir, first));
    std::vector<std::byte> buf(k_read_buffer);
    for (uint64_t at = 0;;) {
        OVFKIT_TRY_ASSIGN(size_t n, stream->read(buf));
        if (n == 0) {
            break;
        }
        OVFKIT_TRY(out->pwrite(std::span(buf).first(n), at));
        at += n;
    }
    return out;
}

void describe_stored_file(ovf::File& file, Compression compression,
                          std::optional<uint64_t> chunk_size, uint64_t stored_size) {
    file.compression =
        compression == Compression::gzip ? std::optional<std::string>("gzip") : std::nullopt;
    file.chunk_size =
        chunk_size ? std::optional<std::string>(std::to_string(*chunk_size)) : std::nullopt;
    file.size = std::to_string(stored_size);
}

Result<std::vector<uint64_t>> split_chunks(uint64_t stored_size, uint64_t chunk_size,
                                           const ReferenceLimits& limits) {
    if (chunk_size == 0 || chunk_size > limits.max_chunk_size) {
        return fail(Errc::usage, "chunk size {} is outside 1..{} bytes", chunk_size,
                    limits.max_chunk_size);
    }
    uint64_t count = stored_size == 0 ? 1 : (stored_size - 1) / chunk_size + 1;
    if (count > limits.max_chunks) {
        return fail(Errc::usage,
                    "{} bytes in chunks of {} bytes make {} chunks, more than the {} allowed",
                    stored_size, chunk_size, count, limits.max_chunks);
    }
    std::vector<uint64_t> sizes(static_cast<size_t>(count), chunk_size);
    sizes.back() = stored_size - (count - 1) * chunk_size;
    return sizes;
}

} // namespace ovfkit::package
