#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/package/tar_index.hpp>
#include <ovfkit/package/tar_writer.hpp>

namespace ovfkit::package {

namespace {

constexpr size_t k_name_field = 100;
constexpr uint64_t k_octal_size_limit = uint64_t{1} << 33; // 11 octal digits
// A patchable size is a "size" record followed by a "comment" record that
// pads the pair to this many bytes whatever the size's digits (no reader has
// to accept leading zeros).
constexpr size_t k_patch_bytes = 48;

// ustar field offsets and lengths.
struct Field {
    size_t offset;
    size_t length;
};
constexpr Field k_name{0, 100};
constexpr Field k_mode{100, 8};
constexpr Field k_uid{108, 8};
constexpr Field k_gid{116, 8};
constexpr Field k_size{124, 12};
constexpr Field k_mtime{136, 12};
constexpr Field k_chksum{148, 8};
constexpr size_t k_typeflag = 156;
constexpr Field k_magic{257, 6};
constexpr Field k_version{263, 2};

void put(std::span<std::byte> block, Field f, std::string_view text) {
    std::memcpy(block.data() + f.offset, text.data(), std::min(text.size(), f.length));
}

// Zero-padded octal filling the field but its last byte (NUL).
void put_octal(std::span<std::byte> block, Field f, uint64_t value) {
    put(block, f, fmt::format("{:0{}o}", value, f.length - 1));
}

void put_checksum(std::span<std::byte> block) {
    std::memset(block.data() + k_chksum.offset, ' ', k_chksum.length);
    uint32_t sum = 0;
    for (size_t i = 0; i < k_tar_block; ++i) {
        sum += static_cast<uint8_t>(block[i]);
    }
    // Six octal digits, NUL, space: what GNU tar writes.
    put(block, {k_chksum.offset, 7}, fmt::format("{:06o}", sum));
    block[k_chksum.offset + 6] = std::byte{0};
    block[k_chksum.offset + 7] = std::byte{' '};
}

void ustar_block(std::span<std::byte> block, std::string_view name, uint64_t size,
                 const TarEntry& e, char type) {
    put(block, k_name, name.substr(0, k_name_field));
    put_octal(block, k_mode, e.mode);
    put_octal(block, k_uid, 0);
    put_octal(block, k_gid, 0);
    put_octal(block, k_size, size < k_octal_size_limit ? size : 0);
    put_octal(block, k_mtime, std::min<uint64_t>(e.mtime, (uint64_t{1} << 33) - 1));
    block[k_typeflag] = std::byte(type);
    put(block, k_magic, std::string_view("ustar\0", 6));
    put(block, k_version, "00");
    put_checksum(block);
}

// One pax record: "<len> <key>=<value>\n", where <len> counts itself.
std::string pax_record(std::string_view key, std::string_view value) {
    size_t body = 1 + key.size() + 1 + value.size() + 1;
    size_t len = body + 1;
    while (std::to_string(len).size() + body != len) {
        ++len;
    }
    return fmt::format("{} {}={}\n", len, key, value);
}

// A "comment" record of exactly `total` bytes (at least 12).
std::string pax_filler(size_t total) {
    // "<total> comment=<x...>\n": digits, space, "comment=", filler, newline.
    size_t digits = std::to_string(total).size();
    return fmt::format("{} comment={}\n", total, std::string(total - digits - 10, 'x'));
}

// The size record and its filler, k_patch_bytes together.
std::string patchable_size(uint64_t size) {
    std::string record = pax_record("size", std::to_string(size));
    return record + pax_filler(k_patch_bytes - record.size());
}

bool needs_pax_name(std::string_view name) {
    return name.size() > k_name_field ||
           std::any_of(name.begin(), name.end(), [](char c) { return (c & 0x80) != 0; });
}

// A generated name: a relative path of printable ASCII that fits the
// ustar name field.
bool generated_name_ok(std::string_view name) {
    if (name.empty() || name.size() > k_name_field || name.front() == '/') {
        return false;
    }
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
        return false;
    }
    size_t at = 0;
    while (at <= name.size()) {
        size_t slash = std::min(name.find('/', at), name.size());
        std::string_view part = name.substr(at, slash - at);
        if (part.empty() || part == "." || part == "..") {
            return false;
        }
        at = slash + 1;
    }
    return true;
}

} // namespace

Result<std::vector<std::byte>> tar_header(const TarEntry& e) {
    if (e.generated) {
        if (!generated_name_ok(e.name)) {
            return fail(Errc::refused,
                        "tar member \"{}\": not a relative ASCII path of at most {} "
                        "bytes",
                        e.name, k_name_field);
        }
    } else if (auto ok = io::check_member_name(e.name); !ok) {
        return fail(Errc::refused, "tar member \"{}\": {}", e.name, ok.error().message);
    }
    std::string records;
    if (needs_pax_name(e.name)) {
        records += pax_record("path", e.name);
    }
    if (e.patchable) {
        records += patchable_size(e.size);
    } else if (e.size >= k_octal_size_limit) {
        records += pax_record("size", std::to_string(e.size));
    }
    std::vector<std::byte> out;
    if (!records.empty()) {
        size_t data_blocks = (records.size() + k_tar_block - 1) / k_tar_block;
        out.resize((2 + data_blocks) * k_tar_block);
        // The pax header's own name: a recognisable single name, as GNU
        // tar's "PaxHeaders" convention, cut to the field.
        std::string pax_name = "PaxHeader." + e.name.substr(0, 80);
        for (auto& c : pax_name) {
            c = (c & 0x80) != 0 ? '_' : c;
        }
        TarEntry pax = e;
        ustar_block(std::span(out).first(k_tar_block), pax_name, records.size(), pax, 'x');
        std::memcpy(out.data() + k_tar_block, records.data(), records.size());
    } else {
        out.resize(k_tar_block);
    }
    std::string short_name = e.name;
    if (needs_pax_name(e.name)) {
        // The ustar name is a fallback for readers without pax: ASCII, cut.
        short_name = e.name.substr(0, k_name_field);
        for (auto& c : short_name) {
            c = (c & 0x80) != 0 ? '_' : c;
        }
    }
    ustar_block(std::span(out).last(k_tar_block), short_name, e.size, e, '0');
    return out;
}

Result<void> patch_tar_size(std::span<std::byte> header, uint64_t size) {
    if (header.size() < 3 * k_tar_block || header.size() % k_tar_block != 0 ||
        static_cast<char>(header[k_typeflag]) != 'x') {
        return fail(Errc::usage, "tar header of {} bytes was not made patchable", header.size());
    }
    std::string_view records(reinterpret_cast<const char*>(header.data()) + k_tar_block,
                             header.size() - 2 * k_tar_block);
    // The size record starts a record: at the start or after a newline.
    size_t at = 0;
    while (at < records.size()) {
        size_t space = records.find(' ', at);
        if (space == std::string_view::npos) {
            break;
        }
        if (records.substr(space + 1).starts_with("size=")) {
            break;
        }
        size_t len = 0;
        for (size_t i = at; i < space; ++i) {
            len = len * 10 + static_cast<size_t>(records[i] - '0');
        }
        at += len == 0 ? records.size() : len;
    }
    if (at + k_patch_bytes > records.size()) {
        return fail(Errc::usage, "tar header has no patchable size record");
    }
    std::string pair = patchable_size(size);
    std::memcpy(header.data() + k_tar_block + at, pair.data(), k_patch_bytes);
    auto ustar = header.last(k_tar_block);
    std::memset(ustar.data() + k_size.offset, 0, k_size.length);
    put_octal(ustar, k_size, size < k_octal_size_limit ? size : 0);
    put_checksum(ustar);
    return {};
}

size_t tar_padding(uint64_t size) {
    return static_cast<size_t>((k_tar_block - size % k_tar_block) % k_tar_block);
}

} // namespace ovfkit::package
