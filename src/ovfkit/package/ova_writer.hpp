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
#include <span>
#include <string>

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

    // Writes the end-of-archive blocks. Nothing may be added afterwards.
    Result<void> finish();

    uint64_t bytes_written() const { return m_offset; }

private:
    Result<void> header(const std::string& name, uint64_t size);
    Result<void> pad(uint64_t size);

    io::File& m_out;
    uint64_t m_mtime;
    uint64_t m_offset = 0;
    bool m_finished = false;
};

} // namespace ovfkit::package
