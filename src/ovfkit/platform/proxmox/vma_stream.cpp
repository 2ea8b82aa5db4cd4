// Streaming a VMA archive; see vma_stream.hpp.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/platform/proxmox/vma_stream.hpp>

namespace ovfkit::platform::proxmox {

namespace {

// A device being staged: its file, and one bit per cluster seen.
struct Staged {
    const VmaDevice* dev = nullptr;
    int fd = -1;
    std::vector<uint64_t> seen;
};

struct Fds {
    std::vector<Staged>* all;
    ~Fds() {
        for (auto& s : *all) {
            if (s.fd >= 0) {
                ::close(s.fd);
            }
        }
    }
};

} // namespace

Result<VmaHeader> read_vma_header(VmaInput& in) {
    std::vector<std::byte> h(k_vma_fixed_header);
    OVFKIT_TRY_ASSIGN(size_t n, in.read(h));
    if (n < h.size()) {
        return fail(Errc::invalid, "{}: the archive ends at byte {}, inside its header", in.name(),
                    n);
    }
    OVFKIT_TRY_ASSIGN(uint32_t size, vma_header_size(h, in.name()));
    h.resize(size);
    OVFKIT_TRY_ASSIGN(size_t m,
                      in.read(std::span(h).subspan(k_vma_fixed_header, size - k_vma_fixed_header)));
    if (m < size - k_vma_fixed_header) {
        return fail(Errc::invalid, "{}: the archive ends at byte {}, inside its header", in.name(),
                    k_vma_fixed_header + m);
    }
    return parse_vma_header(h, in.name());
}

Result<void> stage_vma(const std::string& path, const std::string& directory,
                       const std::map<unsigned, std::string>& files) {
    OVFKIT_TRY_ASSIGN(auto in, VmaInput::open(path));
    OVFKIT_TRY_ASSIGN(VmaHeader header, read_vma_header(*in));
    const std::string& where = in->name();
    std::vector<Staged> staged(256);
    Fds closer{&staged};
    uint64_t clusters = 0;
    for (const auto& dev : header.devices) {
        Staged& s = staged[dev.id];
        s.dev = &dev;
        s.seen.assign((dev.clusters() + 63) / 64, 0);
        clusters += dev.clusters();
    }
    OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(directory));
    for (const auto& [id, name] : files) {
        Staged& s = staged[id];
        if (s.dev == nullptr) {
            return fail(Errc::usage, "{}: no device {} to stage", where, id);
        }
        s.fd = ::openat(dir.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (s.fd < 0 || ::ftruncate(s.fd, static_cast<off_t>(s.dev->size)) != 0) {
            return fail(Errc::io, "{}/{}: cannot make the staging file: {}", directory, name,
                        std::strerror(errno));
        }
    }
    // Every extent holds at least one cluster but the writer's final
    // flush, which may be empty: more extents than clusters plus a few is
    // a stream that does not end.
    const uint64_t max_extents = clusters + 16;
    uint64_t extents = 0;
    uint64_t offset = header.header_size;
    std::vector<std::byte> head(k_vma_extent_header);
    std::vector<std::byte> data(k_vma_max_blocks * k_vma_block);
    for (;;) {
        OVFKIT_TRY_ASSIGN(size_t n, in->read(head));
        if (n == 0) {
            break;
        }
        if (n < head.size()) {
            return fail(Errc::invalid, "{}: offset {}: the archive ends inside an extent header",
                        where, offset + n);
        }
        if (++extents > max_extents) {
            return fail(Errc::refused, "{}: offset {}: more than {} extents for {} clusters", where,
                        offset, max_extents, clusters);
        }
        OVFKIT_TRY_ASSIGN(VmaExtent ext, parse_vma_extent(head, header, offset, where));
        size_t bytes = ext.block_count * k_vma_block;
        OVFKIT_TRY_ASSIGN(size_t got, in->read(std::span(data).first(bytes)));
        if (got < bytes) {
            return fail(Errc::invalid,
                        "{}: offset {}: the archive ends inside an extent ({} of its {} data "
                        "bytes)",
                        where, offset + k_vma_extent_header + got, got, bytes);
        }
        size_t pos = 0;
        for (const VmaEntry& e : ext.entries) {
            Staged& s = staged[e.dev_id];
            uint64_t& word = s.seen[e.cluster / 64];
            uint64_t bit = uint64_t{1} << (e.cluster % 64);
            if ((word & bit) != 0) {
                return fail(Errc::refused, "{}: offset {}: cluster {} of device \"{}\" again",
                            where, offset, e.cluster, s.dev->name);
            }
            word |= bit;
            for (unsigned j = 0; j < 16; ++j) {
                if (((e.mask >> j) & 1) == 0) {
                    continue;
                }
                if (s.fd >= 0) {
                    uint64_t at = uint64_t{e.cluster} * k_vma_cluster + j * k_vma_block;
                    size_t len = static_cast<size_t>(std::min(k_vma_block, s.dev->size - at));
                    const std::byte* p = data.data() + pos;
                    // All-zero blocks stay holes.
                    bool zero =
                        std::all_of(p, p + len, [](std::byte b) { return b == std::byte{0}; });
                    if (!zero && ::pwrite(s.fd, p, len, static_cast<off_t>(at)) !=
                                     static_cast<ssize_t>(len)) {
                        return fail(Errc::io, "{}: staging device \"{}\": {}", directory,
                                    s.dev->name, std::strerror(errno));
                    }
                }
                pos += k_vma_block;
            }
        }
        offset += k_vma_extent_header + bytes;
    }
    for (const auto& dev : header.devices) {
        const Staged& s = staged[dev.id];
        uint64_t n = dev.clusters();
        for (uint64_t w = 0; w < s.seen.size(); ++w) {
            uint64_t want = n - w * 64 >= 64 ? ~uint64_t{0} : (uint64_t{1} << (n - w * 64)) - 1;
            if (s.seen[w] != want) {
                uint64_t c = w * 64 + static_cast<uint64_t>(std::countr_one(s.seen[w]));
                return fail(Errc::invalid,
                            "{}: offset {}: the archive ends without cluster {} of device \"{}\" "
                            "(truncated or incomplete)",
                            where, offset, c, dev.name);
            }
        }
    }
    return {};
}

} // namespace ovfkit::platform::proxmox
