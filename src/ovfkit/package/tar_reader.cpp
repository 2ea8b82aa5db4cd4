// The tar walker; see tar_reader.hpp.
//
// Layout: the archive is a sequence of 512-byte blocks. Each entry is one
// header block followed by its data, padded to a block boundary; two zero
// blocks end the archive. Header fields used here (offsets in the block):
//
//   0 name[100]   124 size[12]   148 chksum[8]   156 typeflag
//   157 linkname[100]   257 magic[6] "ustar\0" (POSIX) or "ustar " (GNU)
//   263 version[2]   345 prefix[155] (POSIX only: name = prefix "/" name)
//
// Numbers are ASCII octal terminated by NUL or space; GNU writes sizes of
// 8 GiB and more in base-256 (first byte 0x80, then big-endian bytes). PAX
// 'x' entries carry "LEN key=value\n" records that override the next
// entry's path and size; GNU 'L' entries carry the next entry's long name.
//
// Links, devices, FIFOs, sparse and multi-volume entries are refused, not
// skipped, because another tool might honour them (R6). Not supported: PAX
// global headers that set path or size.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <ovfkit/base/bytes.hpp>
#include <ovfkit/base/checked.hpp>
#include <ovfkit/package/tar_reader.hpp>

namespace ovfkit::package {

namespace {

constexpr size_t k_off_name = 0;
constexpr size_t k_len_name = 100;
constexpr size_t k_off_size = 124;
constexpr size_t k_len_size = 12;
constexpr size_t k_off_chksum = 148;
constexpr size_t k_len_chksum = 8;
constexpr size_t k_off_typeflag = 156;
constexpr size_t k_off_linkname = 157;
constexpr size_t k_off_magic = 257;
constexpr size_t k_off_prefix = 345;
constexpr size_t k_len_prefix = 155;
constexpr uint64_t k_max_value = uint64_t{1} << 63; // sizes must stay below 2^63

using Block = std::array<std::byte, k_tar_block>;

uint8_t byte_at(std::span<const std::byte> block, size_t i) {
    return static_cast<uint8_t>(block[i]);
}

// A NUL-terminated string field.
std::string field_string(std::span<const std::byte> block, size_t off, size_t len) {
    std::string s;
    for (size_t i = 0; i < len && block[off + i] != std::byte{0}; ++i) {
        s += static_cast<char>(block[off + i]);
    }
    return s;
}

// Parses a numeric header field (octal or GNU base-256); nullopt with a
// reason when it is malformed, negative or 2^63 or more.
std::optional<uint64_t> parse_number(std::span<const std::byte> field, std::string* why) {
    uint8_t first = byte_at(field, 0);
    if ((first & 0x80) != 0) {
        if ((first & 0x40) != 0) {
            *why = "negative base-256 number";
            return std::nullopt;
        }
        uint64_t v = first & 0x3f;
        for (size_t i = 1; i < field.size(); ++i) {
            if (v >> 55 != 0) {
                *why = "base-256 number too large";
                return std::nullopt;
            }
            v = (v << 8) | byte_at(field, i);
        }
        if (v >= k_max_value) {
            *why = "base-256 number too large";
            return std::nullopt;
        }
        return v;
    }
    size_t i = 0;
    while (i < field.size() && byte_at(field, i) == ' ') {
        ++i;
    }
    uint64_t v = 0;
    bool digits = false;
    for (; i < field.size(); ++i) {
        uint8_t c = byte_at(field, i);
        if (c < '0' || c > '7') {
            break;
        }
        if (v > (k_max_value - 1) / 8) {
            *why = "octal number too large";
            return std::nullopt;
        }
        v = v * 8 + (c - '0');
        digits = true;
    }
    // Only NUL or space may follow the digits.
    for (; i < field.size(); ++i) {
        uint8_t c = byte_at(field, i);
        if (c != 0 && c != ' ') {
            *why = fmt::format("invalid character 0x{:02x} in an octal number", c);
            return std::nullopt;
        }
    }
    (void)digits; // an empty field is 0, as every tar reads it
    return v;
}

struct Checksums {
    uint64_t stored = 0;
    bool stored_ok = false;
    uint64_t unsigned_sum = 0;
    int64_t signed_sum = 0;
};

Checksums checksums(std::span<const std::byte> block) {
    Checksums c;
    for (size_t i = 0; i < k_tar_block; ++i) {
        bool in_field = i >= k_off_chksum && i < k_off_chksum + k_len_chksum;
        uint8_t b = in_field ? uint8_t{' '} : byte_at(block, i);
        c.unsigned_sum += b;
        c.signed_sum += static_cast<int8_t>(b);
    }
    std::string why;
    auto stored = parse_number(block.subspan(k_off_chksum, k_len_chksum), &why);
    c.stored_ok = stored.has_value();
    c.stored = stored.value_or(0);
    return c;
}

bool checksum_matches(const Checksums& c) {
    // Historic tars summed signed chars; accept both, as GNU tar does.
    return c.stored_ok &&
           (c.stored == c.unsigned_sum || static_cast<int64_t>(c.stored) == c.signed_sum);
}

bool has_ustar_magic(std::span<const std::byte> block) {
    static constexpr char magic[] = "ustar";
    for (size_t i = 0; i < 5; ++i) {
        if (byte_at(block, k_off_magic + i) != static_cast<uint8_t>(magic[i])) {
            return false;
        }
    }
    uint8_t sixth = byte_at(block, k_off_magic + 5);
    return sixth == 0 || sixth == ' ';
}

bool is_posix_magic(std::span<const std::byte> block) {
    return byte_at(block, k_off_magic + 5) == 0;
}

// What PAX records say about the next entry.
struct PaxOverrides {
    std::optional<std::string> path;
    std::optional<uint64_t> size;
    bool linkpath = false;
};

// Parses "LEN key=value\n" records. Fails with the reason.
Result<void> parse_pax(std::string_view data, const TarLimits& limits, PaxOverrides& out) {
    size_t pos = 0;
    while (pos < data.size()) {
        size_t len = 0;
        size_t p = pos;
        while (p < data.size() && data[p] >= '0' && data[p] <= '9' && p - pos < 8) {
            len = len * 10 + static_cast<size_t>(data[p] - '0');
            ++p;
        }
        if (p == pos || p >= data.size() || data[p] != ' ' || len <= p - pos + 1 ||
            len > data.size() - pos) {
            return fail(Errc::refused, "malformed PAX record at byte {}", pos);
        }
        std::string_view record = data.substr(p + 1, len - (p + 1 - pos));
        if (record.empty() || record.back() != '\n') {
            return fail(Errc::refused, "PAX record at byte {} does not end with a newline", pos);
        }
        record.remove_suffix(1);
        auto eq = record.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            return fail(Errc::refused, "PAX record at byte {} has no key", pos);
        }
        std::string_view key = record.substr(0, eq);
        std::string_view value = record.substr(eq + 1);
        if (key == "path") {
            if (value.find('\0') != std::string_view::npos) {
                return fail(Errc::refused, "PAX path has a NUL byte");
            }
            if (value.size() > limits.max_name_record) {
                return fail(Errc::refused, "PAX path of {} bytes is longer than {}", value.size(),
                            limits.max_name_record);
            }
            if (value.empty()) {
                out.path.reset();
            } else {
                out.path = std::string(value);
            }
        } else if (key == "size") {
            if (value.empty() || value.size() > 19 ||
                !std::all_of(value.begin(), value.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                return fail(Errc::refused, "PAX size '{}' is not a decimal number", value);
            }
            uint64_t v = 0;
            for (char c : value) {
                v = v * 10 + static_cast<uint64_t>(c - '0');
            }
            if (v >= k_max_value) {
                return fail(Errc::refused, "PAX size {} is too large", value);
            }
            out.size = v;
        } else if (key == "linkpath") {
            if (value.find('\0') != std::string_view::npos) {
                return fail(Errc::refused, "PAX linkpath has a NUL byte");
            }
            out.linkpath = !value.empty();
        } else if (key.starts_with("GNU.sparse")) {
            return fail(Errc::refused, "PAX record '{}': sparse members are not supported", key);
        }
        // Other keys (mtime, uid, comment, ...) do not change framing.
        pos += len;
    }
    return {};
}

const char* type_description(char type) {
    switch (type) {
    case '1':
        return "a hard link";
    case '2':
        return "a symbolic link";
    case '3':
        return "a character device";
    case '4':
        return "a block device";
    case '6':
        return "a FIFO";
    case '7':
        return "a contiguous file";
    case 'S':
        return "a GNU sparse file";
    case 'M':
    case 'V':
    case 'N':
        return "a GNU multi-volume entry";
    default:
        return nullptr;
    }
}

} // namespace

bool is_tar_header(std::span<const std::byte> block) {
    return block.size() >= k_tar_block && has_ustar_magic(block) &&
           checksum_matches(checksums(block.first(k_tar_block)));
}

Result<TarReader> TarReader::open(io::File& file, const TarLimits& limits, Diagnostics* notes) {
    OVFKIT_TRY_ASSIGN(uint64_t size, file.size());
    return TarReader(file, size, limits, notes);
}

void TarReader::warn(std::string message) const {
    if (m_notes != nullptr) {
        m_notes->warning("OVA-TAR-001", std::move(message), m_file->name());
    }
}

Result<std::optional<TarReader::Entry>> TarReader::next() {
    const std::string& where = m_file->name();
    if (m_done) {
        return std::optional<TarReader::Entry>{};
    }
    PaxOverrides pax;
    std::optional<std::string> gnu_long_name;
    std::optional<uint64_t> entry_start; // first PAX/GNU record of the pending entry
    uint64_t metadata = 0;
    bool pending = false;
    Block block{};

    auto read_record = [&](uint64_t at, uint64_t size) -> Result<std::string> {
        std::string data(size, '\0');
        OVFKIT_TRY(io::read_exact(
            *m_file, std::as_writable_bytes(std::span<char>(data.data(), data.size())), at));
        return data;
    };
    auto finish = [&]() {
        m_done = true;
        return std::optional<TarReader::Entry>{};
    };

    while (true) {
        const uint64_t offset = m_offset;
        if (offset >= m_size) {
            if (pending) {
                return fail(Errc::invalid,
                            "{}: archive ends after an extended header at offset {} without its "
                            "member: it is truncated",
                            where, *entry_start);
            }
            return finish(); // no end-of-archive marker: ended_with_marker() is false
        }
        if (m_size - offset < k_tar_block) {
            return fail(Errc::invalid,
                        "{}: truncated tar header at offset {}: {} bytes left, a header is 512",
                        where, offset, m_size - offset);
        }
        OVFKIT_TRY(io::read_exact(*m_file, block, offset));
        if (is_all_zero(block)) {
            if (pending) {
                return fail(Errc::refused,
                            "{}: zero block at offset {} follows an extended header instead of "
                            "its member",
                            where, offset);
            }
            uint64_t after = offset + k_tar_block;
            m_marker = true;
            if (after >= m_size) {
                warn(fmt::format("archive ends with one zero block at offset {} instead of two",
                                 offset));
                return finish();
            }
            if (m_size - after < k_tar_block) {
                return fail(Errc::invalid, "{}: truncated tar header at offset {}", where, after);
            }
            OVFKIT_TRY(io::read_exact(*m_file, block, after));
            if (!is_all_zero(block)) {
                return fail(Errc::refused,
                            "{}: a single zero block at offset {} is followed by a header; an "
                            "archive ends with two zero blocks",
                            where, offset);
            }
            // Record padding after the marker is zeros; anything else would
            // be seen by a tool that reads past the marker and not by us.
            uint64_t tail = after + k_tar_block;
            uint64_t check = std::min<uint64_t>(m_size - tail, 64 * 1024);
            std::string rest(check, '\0');
            OVFKIT_TRY(io::read_exact(
                *m_file, std::as_writable_bytes(std::span<char>(rest.data(), rest.size())), tail));
            bool zeros = std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; });
            if (!zeros || m_size - tail > check) {
                warn(fmt::format("{} bytes after the end-of-archive marker at offset {} are "
                                 "ignored",
                                 m_size - tail, offset));
            }
            return finish();
        }
        Checksums sums = checksums(block);
        if (!has_ustar_magic(block)) {
            return fail(offset == 0 ? Errc::invalid : Errc::refused,
                        "{}: header at offset {}: no ustar magic (not a tar header)", where,
                        offset);
        }
        if (!checksum_matches(sums)) {
            return fail(Errc::refused,
                        "{}: header at offset {}: checksum mismatch (stored {}, computed {})",
                        where, offset,
                        sums.stored_ok ? fmt::format("{:o}", sums.stored) : std::string("invalid"),
                        fmt::format("{:o}", sums.unsigned_sum));
        }
        if (++m_entries > m_limits.max_members) {
            return fail(Errc::refused, "{}: more than {} entries (limit)", where,
                        m_limits.max_members);
        }
        char type = static_cast<char>(block[k_off_typeflag]);
        std::string why;
        auto header_size = parse_number(std::span(block).subspan(k_off_size, k_len_size), &why);
        if (!header_size) {
            return fail(Errc::refused, "{}: header at offset {}: size field: {}", where, offset,
                        why);
        }
        bool regular = type == '0' || type == '\0';
        uint64_t size = *header_size;
        if (regular && pax.size) {
            size = *pax.size;
        }
        uint64_t data_offset = offset + k_tar_block;
        auto data_end = checked_add(data_offset, size);
        if (!data_end || *data_end > m_size) {
            return fail(Errc::invalid,
                        "{}: entry at offset {}: data of {} bytes runs past the end of the "
                        "archive ({} bytes); the archive is truncated or the size is wrong",
                        where, offset, size, m_size);
        }
        m_offset = std::min(*align_up(*data_end, k_tar_block), m_size);

        auto note_metadata = [&](uint64_t bytes) -> Result<void> {
            if (!entry_start) {
                entry_start = offset;
            }
            metadata += bytes;
            if (metadata > m_limits.max_member_metadata) {
                return fail(Errc::refused,
                            "{}: extended headers before offset {} exceed {} bytes (limit)", where,
                            offset, m_limits.max_member_metadata);
            }
            pending = true;
            return {};
        };

        if (type == 'x' || type == 'g') {
            if (size > m_limits.max_member_metadata) {
                return fail(Errc::refused,
                            "{}: PAX header at offset {} is {} bytes, more than {} (limit)", where,
                            offset, size, m_limits.max_member_metadata);
            }
            OVFKIT_TRY_ASSIGN(std::string data, read_record(data_offset, size));
            if (type == 'g') {
                PaxOverrides global;
                if (auto ok = parse_pax(data, m_limits, global); !ok) {
                    return fail(Errc::refused, "{}: PAX global header at offset {}: {}", where,
                                offset, ok.error().message);
                }
                if (global.path || global.size || global.linkpath) {
                    return fail(Errc::refused,
                                "{}: PAX global header at offset {} sets a path or size for "
                                "every member (not supported)",
                                where, offset);
                }
            } else {
                OVFKIT_TRY(note_metadata(size));
                if (auto ok = parse_pax(data, m_limits, pax); !ok) {
                    return fail(Errc::refused, "{}: PAX header at offset {}: {}", where, offset,
                                ok.error().message);
                }
            }
            continue;
        }
        if (type == 'L') {
            if (size > m_limits.max_name_record) {
                return fail(Errc::refused,
                            "{}: GNU long name at offset {} is {} bytes, more than {} (limit)",
                            where, offset, size, m_limits.max_name_record);
            }
            OVFKIT_TRY(note_metadata(size));
            OVFKIT_TRY_ASSIGN(std::string data, read_record(data_offset, size));
            while (!data.empty() && data.back() == '\0') {
                data.pop_back();
            }
            if (data.find('\0') != std::string::npos) {
                return fail(Errc::refused, "{}: GNU long name at offset {} has a NUL byte", where,
                            offset);
            }
            gnu_long_name = std::move(data);
            continue;
        }
        if (type == 'K') {
            return fail(Errc::refused,
                        "{}: GNU long link name at offset {}: links are not allowed in a package",
                        where, offset);
        }

        // The entry proper: its name comes from PAX, then GNU, then the header.
        Entry entry;
        if (pax.path) {
            entry.name = *pax.path;
        } else if (gnu_long_name) {
            entry.name = *gnu_long_name;
        } else {
            entry.name = field_string(block, k_off_name, k_len_name);
            std::string prefix = field_string(block, k_off_prefix, k_len_prefix);
            if (is_posix_magic(block) && !prefix.empty()) {
                entry.name = prefix + "/" + entry.name;
            }
        }
        entry.header_offset = entry_start.value_or(offset);
        entry.data_offset = data_offset;
        entry.size = size;

        if (type == '5') {
            if (size != 0) {
                return fail(Errc::refused,
                            "{}: directory entry '{}' at offset {} has {} bytes of content", where,
                            entry.name, entry.header_offset, size);
            }
            entry.directory = true;
            return std::optional<TarReader::Entry>{std::move(entry)};
        }
        if (!regular) {
            const char* what = type_description(type);
            std::string link = field_string(block, k_off_linkname, k_len_name);
            if (type == '1' || type == '2') {
                return fail(Errc::refused,
                            "{}: member '{}' at offset {} is {} to '{}': links are not allowed in "
                            "a package",
                            where, entry.name, entry.header_offset, what, link);
            }
            if (what != nullptr) {
                return fail(Errc::refused,
                            "{}: member '{}' at offset {} is {}: only regular files are allowed",
                            where, entry.name, entry.header_offset, what);
            }
            return fail(Errc::refused,
                        "{}: member '{}' at offset {} has unknown entry type 0x{:02x}: only "
                        "regular files are allowed",
                        where, entry.name, entry.header_offset, static_cast<uint8_t>(type));
        }
        return std::optional<TarReader::Entry>{std::move(entry)};
    }
}

} // namespace ovfkit::package
