// A sink that gzip-compresses what flows through it, on every core.
//
// The input is cut into blocks that are deflated independently and in
// parallel, as pigz does: each block is primed with the last 32 KiB of the
// block before it (deflateSetDictionary), so matches may reach back across
// the cut and the ratio stays close to a single-threaded gzip, and ends with
// a sync flush so the raw deflate outputs concatenate on a byte boundary.
// The blocks' CRC-32s are joined with crc32_combine. The sink's own worker
// threads deflate; the caller's thread fills blocks and writes them in order. The result is one
// gzip member (RFC 1952; no name, mtime 0, so equal input gives equal output whatever the thread
// count) that any gunzip reads.
//
// Memory is bounded: at most `max_inflight` blocks (input and output) are
// held at once, whatever the length of the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {

struct GzipOptions {
    int level = 6;                         // zlib level 1..9 (0 stores)
    size_t block_size = size_t{128} << 10; // input bytes per parallel block
    unsigned threads = 0;                  // compressing threads; 0: one per core
    size_t max_inflight = 0;               // blocks held at once; 0: 8 per thread
};

class GzipSink final : public Sink {
public:
    // Errc::usage for a level outside 0..9 or a block under 64 KiB (the
    // dictionary of the next block is the last 32 KiB of this one).
    static Result<std::unique_ptr<GzipSink>> create(Sink& inner, const GzipOptions& options = {});

    ~GzipSink() override;
    GzipSink(const GzipSink&) = delete;
    GzipSink& operator=(const GzipSink&) = delete;

    const std::string& name() const override { return m_inner.name(); }
    // Buffers `data`; full blocks are compressed in the background and
    // written to the inner sink in order.
    Result<void> write(std::span<const std::byte> data) override;
    // Compresses what is left, writes the trailer, finishes the inner sink.
    Result<void> finish() override;
    // Uncompressed bytes accepted.
    uint64_t bytes_written() const override { return m_count; }
    // Compressed bytes handed to the inner sink.
    uint64_t compressed_bytes() const { return m_inner.bytes_written(); }

    struct Block; // one unit of parallel work (gzip_sink.cpp)

private:
    GzipSink(Sink& inner, const GzipOptions& options);
    Result<void> submit(bool last);
    Result<void> drain(bool wait);

    Sink& m_inner;
    GzipOptions m_options;
    struct Pool;
    std::unique_ptr<Pool> m_pool;
    std::vector<std::byte> m_pending; // the block being filled
    std::vector<std::byte> m_dict;    // last 32 KiB of the previous block
    uint64_t m_count = 0;
    uint32_t m_crc = 0;
    bool m_header_written = false;
    bool m_finished = false;
    bool m_broken = false;
};

} // namespace ovfkit::io
