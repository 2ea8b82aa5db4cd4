// Parallel gzip compression; see gzip_sink.hpp.
#include <algorithm>
#include <array>
#include <thread>

#include <oneapi/tbb/task_group.h>
#include <zlib.h>

#include <ovfkit/io/gzip_sink.hpp>

namespace ovfkit::io {

namespace {

constexpr size_t k_window = size_t{32} << 10;

// RFC 1952 header: deflate, no flags, mtime 0, no extra flags, OS 3 (Unix)
// as gzip -n writes it.
constexpr std::array<uint8_t, 10> k_header{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

} // namespace

struct GzipSink::Block {
    std::vector<std::byte> input;
    std::vector<std::byte> dict;
    std::vector<std::byte> output;
    uint64_t length = 0; // of input, kept after input is freed
    bool last = false;
    int level = 6;
    uint32_t crc = 0;
    bool ok = false;
    std::string error;

    // Raw deflate of `input` primed with `dict`: a sync flush ends every
    // block but the last, which ends the deflate stream.
    void compress() {
        crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(input.data()),
                                          static_cast<uInt>(input.size())));
        z_stream z{};
        if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            error = "cannot set up zlib";
            return;
        }
        if (!dict.empty() && deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                                  static_cast<uInt>(dict.size())) != Z_OK) {
            deflateEnd(&z);
            error = "cannot set the deflate dictionary";
            return;
        }
        output.resize(deflateBound(&z, static_cast<uLong>(input.size())) + 16);
        z.next_in = reinterpret_cast<Bytef*>(input.data());
        z.avail_in = static_cast<uInt>(input.size());
        int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
        for (;;) {
            if (z.total_out == output.size()) {
                output.resize(output.size() * 2);
            }
            z.next_out = reinterpret_cast<Bytef*>(output.data()) + z.total_out;
            z.avail_out = static_cast<uInt>(output.size() - z.total_out);
            int rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) {
                error = "deflate failed";
                break;
            }
            // Done when the stream ended, or the flush completed with room
            // to spare (zlib's rule for knowing a flush is complete).
            if ((last && rc == Z_STREAM_END) || (!last && z.avail_in == 0 && z.avail_out > 0)) {
                ok = true;
                break;
            }
        }
        output.resize(z.total_out);
        deflateEnd(&z);
        input.clear();
        input.shrink_to_fit();
    }
};

struct GzipSink::Pool {
    tbb::task_group group;
    std::vector<std::unique_ptr<Block>> blocks; // in stream order, not yet written
    ~Pool() { group.wait(); }
};

GzipSink::GzipSink(Sink& inner, const GzipOptions& options)
    : m_inner(inner), m_options(options), m_pool(std::make_unique<Pool>()) {
    if (m_options.max_inflight == 0) {
        m_options.max_inflight = 4 * std::max(1u, std::thread::hardware_concurrency());
    }
    m_pending.reserve(m_options.block_size);
}

GzipSink::~GzipSink() = default;

Result<std::unique_ptr<GzipSink>> GzipSink::create(Sink& inner, const GzipOptions& options) {
    if (options.level < 0 || options.level > 9) {
        return fail(Errc::usage, "gzip level {} is outside 0..9", options.level);
    }
    if (options.block_size < 2 * k_window || options.block_size > (size_t{1} << 30)) {
        return fail(Errc::usage, "gzip block size {} is outside 64 KiB..1 GiB", options.block_size);
    }
    return std::unique_ptr<GzipSink>(new GzipSink(inner, options));
}

Result<void> GzipSink::write(std::span<const std::byte> data) {
    if (m_broken || m_finished) {
        return fail(Errc::io, "{}: {}", name(),
                    m_broken ? "an earlier write failed" : "write after the output was finished");
    }
    while (!data.empty()) {
        size_t n = std::min(data.size(), m_options.block_size - m_pending.size());
        m_pending.insert(m_pending.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(n));
        data = data.subspan(n);
        m_count += n;
        if (m_pending.size() == m_options.block_size) {
            if (auto r = submit(false); !r) {
                m_broken = true;
                return r;
            }
        }
    }
    return {};
}

Result<void> GzipSink::submit(bool last) {
    auto block = std::make_unique<Block>();
    block->input.swap(m_pending);
    block->length = block->input.size();
    block->dict = m_dict;
    block->last = last;
    block->level = m_options.level;
    const auto& in = block->input;
    if (in.size() >= k_window) {
        m_dict.assign(in.end() - static_cast<ptrdiff_t>(k_window), in.end());
    } else {
        // Only the last block can be short; it primes nothing.
        m_dict.insert(m_dict.end(), in.begin(), in.end());
    }
    m_pending.clear();
    m_pending.reserve(m_options.block_size);
    Block* raw = block.get();
    m_pool->blocks.push_back(std::move(block));
    m_pool->group.run([raw] { raw->compress(); });
    if (last || m_pool->blocks.size() >= m_options.max_inflight) {
        return drain();
    }
    return {};
}

// Waits for every block in flight and writes them in order.
Result<void> GzipSink::drain() {
    m_pool->group.wait();
    if (!m_header_written) {
        OVFKIT_TRY(m_inner.write(std::as_bytes(std::span(k_header))));
        m_header_written = true;
    }
    auto blocks = std::move(m_pool->blocks);
    m_pool->blocks.clear();
    for (const auto& b : blocks) {
        if (!b->ok) {
            return fail(Errc::io, "{}: gzip: {}", name(), b->error);
        }
        OVFKIT_TRY(m_inner.write(b->output));
        m_crc =
            static_cast<uint32_t>(crc32_combine(m_crc, b->crc, static_cast<z_off_t>(b->length)));
    }
    return {};
}

Result<void> GzipSink::finish() {
    if (m_broken || m_finished) {
        return fail(Errc::io, "{}: {}", name(),
                    m_broken ? "an earlier write failed" : "finish after the output was finished");
    }
    m_finished = true;
    auto r = [&]() -> Result<void> {
        OVFKIT_TRY(submit(true));
        std::array<uint8_t, 8> trailer{};
        for (int i = 0; i < 4; ++i) {
            trailer[i] = static_cast<uint8_t>(m_crc >> (8 * i));
            trailer[4 + i] = static_cast<uint8_t>(m_count >> (8 * i));
        }
        OVFKIT_TRY(m_inner.write(std::as_bytes(std::span(trailer))));
        return m_inner.finish();
    }();
    if (!r) {
        m_broken = true;
    }
    return r;
}

} // namespace ovfkit::io
