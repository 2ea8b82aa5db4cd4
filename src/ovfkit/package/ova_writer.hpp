// Writes an OVA front to back: each member's tar header, its data and the
// padding, then the end-of-archive blocks (tar_writer.hpp makes the
// headers). Members go in the order added; the caller orders them as
// DSP0243 asks (descriptor, manifest, certificate, then References order).
//
// The writer appends to an io::File at a running offset (an OutputSet's
// temporary file, so the OVA appears whole or not at all). Member data is
// copied in bounded pieces; cancellation is polled between them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <ovfkit/io/file.hpp>
#include <ovfkit/package/tar_writer.hpp>

namespace ovfkit::package {

class OvaWriter {
public:
    // `mtime` is stamped on every member (a fixed value makes the OVA
    // reproducible byte for byte).
    OvaWriter(io::File& out, uint64_t mtime) : m_out(out), m_mtime(mtime) {}

    // A member from memory (descriptor, manifest, certificate).
    Result<void> add(const std::string& name, std::span<const std::byte> data);

    // A member copied from `in` ([0, size)). `each_piece` sees every piece
    // once it is written, with the bytes copied so far (to hash it, report
    // progress); an error it returns stops the copy (cancellation).
    using PieceFn = std::function<Result<void>(std::span<const std::byte> piece, uint64_t copied)>;
    Result<void> add(const std::string& name, io::File& in, uint64_t size,
                     const PieceFn& each_piece = {});

    // A member whose bytes come later (a descriptor or manifest that names
    // digests and sizes not yet known): its header and `size` zero bytes
    // now, fill() with exactly `size` bytes before finish().
    struct Reserved {
        std::string name;
        uint64_t data_offset = 0;
        uint64_t size = 0;
    };
    Result<Reserved> reserve(const std::string& name, uint64_t size);
    Result<void> fill(const Reserved& reserved, std::span<const std::byte> data);

    // A member written in place by the caller (a disk converted on the
    // way): begin_member() writes its header and returns where the data
    // starts; the caller writes the data from there on (an io::WriteWindow),
    // and end_member() pads it. Without `size` the header is size-patchable
    // and end_member() patches the size in (a seekable output); with it
    // (a stream), end_member() checks that exactly that much was written.
    // No other member may be added in between.
    Result<uint64_t> begin_member(const std::string& name,
                                  std::optional<uint64_t> size = std::nullopt);
    Result<void> end_member(uint64_t size);

    // Writes the end-of-archive blocks. Nothing may be added afterwards.
    Result<void> finish();

    uint64_t bytes_written() const { return m_offset; }

private:
    Result<void> header(const std::string& name, uint64_t size);
    Result<void> open_check(const std::string& name) const;
    Result<void> pad(uint64_t size);

    io::File& m_out;
    uint64_t m_mtime;
    uint64_t m_offset = 0;
    bool m_finished = false;
    // The member begun and not yet ended: its header's offset and bytes.
    std::optional<std::pair<uint64_t, std::vector<std::byte>>> m_open;
    std::optional<uint64_t> m_open_size; // its size, when given up front
};

} // namespace ovfkit::package
