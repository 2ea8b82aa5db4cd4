// The VMA structures; see vma.hpp.
#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/proxmox/vma.hpp>

namespace ovfkit::platform::proxmox {

namespace {

uint64_t be(std::span<const std::byte> b, size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v = (v << 8) | static_cast<uint8_t>(b[at + i]);
    }
    return v;
}

// Names are data, never paths: what a file name and a config carry.
bool safe_name(std::string_view s) {
    if (s.empty() || s.size() > 255 || s == "." || s == "..") {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

constexpr size_t k_md5_header = 32;
constexpr size_t k_md5_extent = 24;
constexpr size_t k_config_names = 2044;
constexpr size_t k_config_data = 3068;
constexpr size_t k_dev_info = 4096;
constexpr unsigned k_slots = 256;

} // namespace

const VmaDevice* VmaHeader::device(unsigned id) const {
    for (const auto& d : devices) {
        if (d.id == id) {
            return &d;
        }
    }
    return nullptr;
}

const VmaDevice* VmaHeader::device(std::string_view name) const {
    for (const auto& d : devices) {
        if (d.name == name) {
            return &d;
        }
    }
    return nullptr;
}

const VmaConfig* VmaHeader::config(std::string_view name) const {
    for (const auto& c : configs) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

std::array<uint8_t, 16> vma_md5(std::span<const std::byte> data, size_t field_offset) {
    std::array<uint8_t, 16> out{};
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    static const std::array<std::byte, 16> zero{};
    unsigned len = 0;
    if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
        EVP_DigestUpdate(ctx, data.data(), field_offset) == 1 &&
        EVP_DigestUpdate(ctx, zero.data(), zero.size()) == 1 &&
        EVP_DigestUpdate(ctx, data.data() + field_offset + 16, data.size() - field_offset - 16) ==
            1) {
        EVP_DigestFinal_ex(ctx, out.data(), &len);
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

Result<uint32_t> vma_header_size(std::span<const std::byte> fixed, std::string_view where) {
    if (fixed.size() < k_vma_fixed_header) {
        return fail(Errc::invalid, "{}: {} bytes; a VMA header is at least {}", where, fixed.size(),
                    k_vma_fixed_header);
    }
    if (be(fixed, 0, 4) != 0x564D4100) {
        return fail(Errc::invalid, "{}: offset 0: no VMA magic (VMA\\0)", where);
    }
    if (uint64_t v = be(fixed, 4, 4); v != 1) {
        return fail(Errc::invalid, "{}: offset 4: VMA version {}; ovfkit reads version 1", where,
                    v);
    }
    uint64_t size = be(fixed, 56, 4);
    if (size < k_vma_fixed_header || size % 512 != 0) {
        return fail(Errc::invalid,
                    "{}: offset 56: header_size {}: not a multiple of 512 from {} on", where, size,
                    k_vma_fixed_header);
    }
    if (size > k_vma_max_header) {
        return fail(Errc::refused, "{}: offset 56: header_size {}: ovfkit reads at most {}", where,
                    size, k_vma_max_header);
    }
    return static_cast<uint32_t>(size);
}

Result<VmaHeader> parse_vma_header(std::span<const std::byte> h, std::string_view where) {
    OVFKIT_TRY_ASSIGN(uint32_t size, vma_header_size(h, where));
    if (h.size() != size) {
        return fail(Errc::invalid, "{}: the header has {} bytes; header_size says {}", where,
                    h.size(), size);
    }
    VmaHeader out;
    out.header_size = size;
    auto stored = h.subspan(k_md5_header, 16);
    auto md5 = vma_md5(h, k_md5_header);
    if (std::memcmp(stored.data(), md5.data(), 16) != 0) {
        return fail(Errc::invalid, "{}: offset 32: the header's MD5 does not match its bytes",
                    where);
    }
    std::memcpy(out.uuid.data(), h.data() + 8, 16);
    out.ctime = static_cast<int64_t>(be(h, 24, 8));
    uint64_t blob_off = be(h, 48, 4);
    uint64_t blob_size = be(h, 52, 4);
    if (blob_off < k_vma_fixed_header || blob_off + blob_size > size) {
        return fail(Errc::invalid,
                    "{}: offset 48: blob buffer [{}, +{}) is not inside the header of {} bytes",
                    where, blob_off, blob_size, size);
    }
    // Every blob start (relative to the buffer); pointers resolve by
    // exact match only. Position 0 is the writer's pad byte.
    std::map<uint64_t, std::span<const std::byte>> blobs;
    uint64_t p = 1;
    while (p < blob_size) {
        if (p + 2 > blob_size) {
            return fail(Errc::invalid, "{}: offset {}: a blob length runs past the blob buffer",
                        where, blob_off + p);
        }
        uint64_t len = static_cast<uint8_t>(h[blob_off + p]) |
                       (uint64_t{static_cast<uint8_t>(h[blob_off + p + 1])} << 8);
        if (p + 2 + len > blob_size) {
            return fail(Errc::invalid,
                        "{}: offset {}: a blob of {} bytes runs past the blob buffer", where,
                        blob_off + p, len);
        }
        blobs[p] = h.subspan(blob_off + p + 2, len);
        p += 2 + len;
    }
    auto blob = [&](uint64_t ptr) -> const std::span<const std::byte>* {
        auto it = blobs.find(ptr);
        return it == blobs.end() ? nullptr : &it->second;
    };
    auto string_blob = [&](uint64_t ptr, size_t field) -> Result<std::string> {
        const auto* b = blob(ptr);
        if (b == nullptr) {
            return fail(Errc::invalid, "{}: offset {}: pointer {} is no blob's start", where, field,
                        ptr);
        }
        if (b->empty() || (*b)[b->size() - 1] != std::byte{0}) {
            return fail(Errc::invalid, "{}: offset {}: a name without its NUL", where, field);
        }
        std::string s(reinterpret_cast<const char*>(b->data()), b->size() - 1);
        if (s.find('\0') != std::string::npos) {
            return fail(Errc::invalid, "{}: offset {}: a name with a NUL inside", where, field);
        }
        return s;
    };
    for (unsigned i = 0; i < k_slots; ++i) {
        size_t nf = k_config_names + 4 * i;
        size_t df = k_config_data + 4 * i;
        uint64_t np = be(h, nf, 4);
        uint64_t dp = be(h, df, 4);
        if (np == 0 && dp == 0) {
            continue;
        }
        if (np == 0 || dp == 0) {
            return fail(Errc::invalid, "{}: offset {}: config slot {} has only one pointer", where,
                        np == 0 ? nf : df, i);
        }
        OVFKIT_TRY_ASSIGN(std::string name, string_blob(np, nf));
        const auto* data = blob(dp);
        if (data == nullptr) {
            return fail(Errc::invalid, "{}: offset {}: pointer {} is no blob's start", where, df,
                        dp);
        }
        if (!safe_name(name)) {
            return fail(Errc::refused, "{}: offset {}: config name \"{}\" is not a plain file name",
                        where, nf, shown(name));
        }
        if (out.config(name) != nullptr) {
            return fail(Errc::refused, "{}: offset {}: config \"{}\" is there twice", where, nf,
                        name);
        }
        out.configs.push_back(
            {name, std::string(reinterpret_cast<const char*>(data->data()), data->size())});
    }
    uint64_t total = 0;
    for (unsigned id = 0; id < k_slots; ++id) {
        size_t f = k_dev_info + 32 * id;
        uint64_t np = be(h, f, 4);
        uint64_t dsize = be(h, f + 8, 8);
        if (np == 0 && dsize == 0) {
            continue;
        }
        if (id == 0 || id == 255) {
            return fail(Errc::invalid, "{}: offset {}: device slot {} is reserved", where, f, id);
        }
        if (np == 0 || dsize == 0) {
            return fail(Errc::invalid, "{}: offset {}: device {} has {}", where, f, id,
                        np == 0 ? "a size but no name" : "a name but no size");
        }
        OVFKIT_TRY_ASSIGN(std::string name, string_blob(np, f));
        if (!safe_name(name)) {
            return fail(Errc::refused, "{}: offset {}: device name \"{}\" is not a plain name",
                        where, f, shown(name));
        }
        if (out.device(name) != nullptr) {
            return fail(Errc::refused, "{}: offset {}: device \"{}\" is there twice", where, f,
                        name);
        }
        if (dsize > k_vma_max_device || total + dsize > k_vma_max_device) {
            return fail(Errc::refused,
                        "{}: offset {}: device \"{}\" of {} bytes: ovfkit reads at most {} bytes "
                        "of devices",
                        where, f + 8, name, dsize, k_vma_max_device);
        }
        total += dsize;
        out.devices.push_back({id, name, dsize});
    }
    return out;
}

Result<VmaExtent> parse_vma_extent(std::span<const std::byte> e, const VmaHeader& header,
                                   uint64_t offset, std::string_view where) {
    if (e.size() != k_vma_extent_header) {
        return fail(Errc::invalid, "{}: offset {}: an extent header of {} bytes", where, offset,
                    e.size());
    }
    if (be(e, 0, 4) != 0x564D4145) {
        return fail(Errc::invalid, "{}: offset {}: no extent magic (VMAE)", where, offset);
    }
    if (be(e, 4, 2) != 0) {
        return fail(Errc::invalid, "{}: offset {}: the extent's reserved field is not zero", where,
                    offset + 4);
    }
    if (std::memcmp(e.data() + 8, header.uuid.data(), 16) != 0) {
        return fail(Errc::invalid, "{}: offset {}: the extent's UUID is not the archive's", where,
                    offset + 8);
    }
    auto md5 = vma_md5(e, k_md5_extent);
    if (std::memcmp(e.data() + k_md5_extent, md5.data(), 16) != 0) {
        return fail(Errc::invalid, "{}: offset {}: the extent header's MD5 does not match", where,
                    offset + k_md5_extent);
    }
    VmaExtent out;
    out.block_count = static_cast<unsigned>(be(e, 6, 2));
    if (out.block_count > k_vma_max_blocks) {
        return fail(Errc::invalid, "{}: offset {}: {} blocks; an extent holds at most {}", where,
                    offset + 6, out.block_count, k_vma_max_blocks);
    }
    unsigned present = 0;
    for (unsigned i = 0; i < k_vma_entries; ++i) {
        size_t at = 40 + 8 * i;
        uint64_t v = be(e, at, 8);
        if (v == 0) {
            continue;
        }
        VmaEntry entry;
        entry.mask = static_cast<uint16_t>(v >> 48);
        entry.dev_id = static_cast<unsigned>((v >> 32) & 0xFF);
        entry.cluster = static_cast<uint32_t>(v);
        if (((v >> 40) & 0xFF) != 0) {
            return fail(Errc::invalid, "{}: offset {}: entry {} has reserved bits set", where,
                        offset + at, i);
        }
        const VmaDevice* dev = header.device(entry.dev_id);
        if (dev == nullptr) {
            return fail(Errc::refused,
                        "{}: offset {}: entry {} names device {}, which the header does not "
                        "declare",
                        where, offset + at, i, entry.dev_id);
        }
        if (entry.cluster >= dev->clusters()) {
            return fail(Errc::refused,
                        "{}: offset {}: entry {} names cluster {} of device {} \"{}\", which has "
                        "{} clusters",
                        where, offset + at, i, entry.cluster, dev->id, dev->name, dev->clusters());
        }
        uint64_t base = uint64_t{entry.cluster} * k_vma_cluster;
        for (unsigned j = 0; j < 16; ++j) {
            if (((entry.mask >> j) & 1) != 0 && base + j * k_vma_block >= dev->size) {
                return fail(Errc::refused,
                            "{}: offset {}: entry {} has block {} of cluster {} past the end of "
                            "device \"{}\" ({} bytes)",
                            where, offset + at, i, j, entry.cluster, dev->name, dev->size);
            }
        }
        present += static_cast<unsigned>(std::popcount(entry.mask));
        out.entries.push_back(entry);
    }
    if (present != out.block_count) {
        return fail(Errc::invalid,
                    "{}: offset {}: block_count {} but the entries have {} present blocks", where,
                    offset + 6, out.block_count, present);
    }
    return out;
}

} // namespace ovfkit::platform::proxmox
