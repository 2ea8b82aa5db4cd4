// Parallel gzip compression; see gzip_sink.hpp.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

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
    bool finished = false; // set under Pool::mutex
    std::string error;

    // Raw deflate of `input` primed with `dict`: a sync flush ends every
    // block but the last, which ends the deflate stream. `z` is the worker's
    // stream, reset here (a fresh deflateInit per block costs more than the
    // compression of a small block).
    void compress(z_stream* zp) {
        crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(input.data()),
                                          static_cast<uInt>(input.size())));
        if (zp == nullptr) {
            error = "cannot set up zlib";
            return;
        }
        z_stream& z = *zp;
        if (deflateReset(&z) != Z_OK) {
            error = "cannot reset the deflate stream";
            return;
        }
        if (!dict.empty() && deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                                  static_cast<uInt>(dict.size())) != Z_OK) {
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
        input.clear();
        input.shrink_to_fit();
    }
};

// Worker threads of one sink (pigz's shape: the caller fills and writes
// blocks, `threads` workers only deflate), so a caller waiting for the oldest
// block never takes a compressing thread away.
struct GzipSink::Pool {
    std::mutex mutex;
    std::condition_variable work;
    std::condition_variable done;
    std::deque<Block*> queue;                  // submitted, not yet taken
    std::deque<std::unique_ptr<Block>> blocks; // in stream order, not yet written
    std::vector<std::thread> threads;
    bool stop = false;

    Pool(unsigned count, int level) {
        for (unsigned i = 0; i < count; ++i) {
            threads.emplace_back([this, level] { run(level); });
        }
    }
    ~Pool() {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        work.notify_all();
        for (auto& t : threads) {
            t.join();
        }
    }
    void run(int level) {
        z_stream z{};
        bool ready = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
        for (;;) {
            Block* b = nullptr;
            {
                std::unique_lock lock(mutex);
                work.wait(lock, [&] { return stop || !queue.empty(); });
                if (queue.empty()) {
                    break;
                }
                b = queue.front();
                queue.pop_front();
            }
            b->compress(ready ? &z : nullptr);
            {
                std::lock_guard lock(mutex);
                b->finished = true;
            }
            done.notify_all();
        }
        if (ready) {
            deflateEnd(&z);
        }
    }
    void submit(std::unique_ptr<Block> block) {
        {
            std::lock_guard lock(mutex);
            queue.push_back(block.get());
            blocks.push_back(std::move(block));
        }
        work.notify_one();
    }
    // The oldest block once it is compressed (waiting when `wait`), else null.
    std::unique_ptr<Block> take_front(bool wait) {
        std::unique_lock lock(mutex);
        if (blocks.empty()) {
            return nullptr;
        }
        if (wait) {
            done.wait(lock, [&] { return blocks.front()->finished; });
        } else if (!blocks.front()->finished) {
            return nullptr;
        }
        auto b = std::move(blocks.front());
        blocks.pop_front();
        return b;
    }
    size_t in_flight() {
        std::lock_guard lock(mutex);
        return blocks.size();
    }
};

GzipSink::GzipSink(Sink& inner, const GzipOptions& options) : m_inner(inner), m_options(options) {
    unsigned threads = m_options.threads != 0 ? m_options.threads
                                              : std::max(1u, std::thread::hardware_concurrency());
    if (m_options.max_inflight == 0) {
        m_options.max_inflight = 8 * size_t{threads};
    }
    m_pool = std::make_unique<Pool>(threads, m_options.level);
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
    m_pool->submit(std::move(block));
    // Write what is ready. When too many blocks are held, wait until half of
    // them are written: one wake-up per many blocks, so on a busy machine the
    // workers still have a queue while this thread waits to be scheduled.
    OVFKIT_TRY(drain(false));
    if (last || m_pool->in_flight() >= m_options.max_inflight) {
        size_t target = last ? 0 : m_options.max_inflight / 2;
        while (m_pool->in_flight() > target) {
            OVFKIT_TRY(drain(true));
        }
    }
    return {};
}

// Writes finished blocks in stream order; with `wait`, at least the oldest.
Result<void> GzipSink::drain(bool wait) {
    while (auto b = m_pool->take_front(wait)) {
        wait = false;
        if (!m_header_written) {
            OVFKIT_TRY(m_inner.write(std::as_bytes(std::span(k_header))));
            m_header_written = true;
        }
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
