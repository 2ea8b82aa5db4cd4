// Reading a vzdump archive (.vma, or .vma.zst, .vma.gz, .vma.lzo decompressed
// as a stream, vma_input.cpp) front to back, as it must be: compressed archives have no
// random access, and clusters arrive out of order and interleaved across
// devices (formats/proxmox-vma-hyperv-vmcx.md §1.1).
//
// A disk reader needs random access, so the devices wanted are staged: one
// forward pass writes each wanted device's present blocks into a sparse raw
// file of its own (absent blocks stay holes), with every structure checked
// (vma.hpp) and, at the end, every cluster of every device seen exactly
// once; the disks are then read from those files. Memory is constant (one
// extent, at most 3.7 MiB, and one bit per cluster); the staging space is
// the devices' data, sparse. A pass per disk would decompress the whole
// archive once per disk, for the same result.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/proxmox/vma.hpp>

namespace ovfkit::platform::proxmox {

// The archive's bytes in order: the file itself, or it decompressed
// (vma_input.cpp; detected by content: zstd 28 B5 2F FD, gzip 1F 8B, the
// lzop magic). A stream cut inside a frame, member or block is
// Errc::invalid.
class VmaInput {
public:
    static Result<std::unique_ptr<VmaInput>> open(const std::string& path);
    // The same over an open file (its name names it in messages).
    static Result<std::unique_ptr<VmaInput>> open(std::unique_ptr<io::File> file);
    virtual ~VmaInput() = default;
    // Fills `out` unless the archive ends first; returns the bytes read.
    virtual Result<size_t> read(std::span<std::byte> out) = 0;
    const std::string& name() const { return m_name; }

protected:
    std::string m_name;
};

// Whether `head` (a file's first bytes) starts an archive: VMA\0, or a zstd
// frame or gzip member whose first bytes decompress to VMA\0 (or to nothing
// yet: its first block is longer than the head), or an lzop file.
bool looks_like_vma(std::span<const std::byte> head);

// Reads and checks the header (VmaInput left at the first extent).
Result<VmaHeader> read_vma_header(VmaInput& in);

// One forward pass over the archive at `path`: writes each device of
// `wanted` (ids) as `files[id]` (a new file beneath `directory`, made
// exclusively, sparse, sized to the device), checks every extent and, at
// the end, that every cluster of every device came exactly once.
// Errc::invalid when the archive is damaged or ends early (exit 1),
// Errc::refused for an entry naming an undeclared device or a cluster out
// of one, or a cluster twice (exit 4).
Result<void> stage_vma(const std::string& path, const std::string& directory,
                       const std::map<unsigned, std::string>& files);

} // namespace ovfkit::platform::proxmox
