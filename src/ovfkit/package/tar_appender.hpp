// A tar archive written front to back into a File, member after member,
// through a page-aligned staging buffer: whatever the member sizes (a
// 512-byte header in front of each), the file only ever gets whole pages at
// page-aligned offsets until the end, so an output opened for direct I/O
// (io::adopt_fd_direct) is written past the page cache.
//
// For archives a target lays out itself (an XVA: ova.xml, then 1 MiB data
// members each followed by its checksum). One thread appends; the caller
// syncs the file (an io::OutputSet does on commit).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <ovfkit/base/aligned_buffer.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/package/tar_writer.hpp>

namespace ovfkit::package {

class TarAppender {
public:
    // Appends to `out` from offset 0; `out` is borrowed.
    explicit TarAppender(io::File& out, size_t buffer_bytes = size_t{4} << 20);

    // One whole member: header, data, padding. `entry.size` is set from
    // `data`.
    Result<void> add(TarEntry entry, std::span<const std::byte> data);

    // The end-of-archive marker, then everything still staged. No add()
    // afterwards.
    Result<void> finish();

    // Bytes of the archive so far (staged or written).
    uint64_t size() const { return m_written + m_staged; }

private:
    Result<void> append(std::span<const std::byte> data);
    Result<void> append_zeros(size_t count);
    // Writes the staged whole pages (all staged bytes when `all`).
    Result<void> flush(bool all);

    io::File& m_out;
    AlignedBuffer m_buffer;
    size_t m_staged = 0;    // bytes in m_buffer
    uint64_t m_written = 0; // bytes in the file, a multiple of the page size until finish()
    bool m_finished = false;
};

} // namespace ovfkit::package
