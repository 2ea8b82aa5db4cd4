#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/stat.h>

#include <ovfkit/base/aligned_buffer.hpp>
#include <ovfkit/base/bytes.hpp>
#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/convert.hpp>

namespace ovfkit::disk {

namespace {

constexpr uint64_t k_default_chunk = 2 * 1024 * 1024;
// Buffers in flight stay within this budget (at least two chunks).
constexpr uint64_t k_buffer_budget = 32 * 1024 * 1024;
constexpr unsigned k_max_tokens = 16;
// Granularities above this would make every buffer huge; no format needs it.
constexpr uint64_t k_max_granularity = uint64_t{256} << 20;
// The allocation map is asked for in windows of this many chunks, so a
// fragmented image never holds its whole map in memory.
constexpr uint64_t k_window_chunks = 32;

// One chunk in flight, with its reusable buffer.
struct Work {
    AlignedBuffer buffer; // page-aligned, so data runs can be written past the page cache
    Chunk chunk;
    uint64_t offset = 0;
    size_t length = 0;
    uint64_t read = 0;          // bytes read from the input
    uint64_t data_bytes = 0;    // bytes in data runs after the zero test
    bool skip = false;          // all zeros: nothing to write
    std::vector<Extent> pieces; // the chunk's map, when the parallel stage reads it
};

// At most `limit` Work objects exist: the chunks in the oneTBB pipeline
// (its tokens) plus those queued for the writer thread. acquire() waits
// while all are in use.
class WorkPool {
public:
    WorkPool(size_t buffer_size, size_t limit) : m_buffer_size(buffer_size), m_limit(limit) {}

    Work* acquire() {
        std::unique_lock lock(m_mutex);
        m_released.wait(lock, [&] { return !m_free.empty() || m_all.size() < m_limit; });
        if (m_free.empty()) {
            m_all.push_back(std::make_unique<Work>());
            m_all.back()->buffer = AlignedBuffer(m_buffer_size);
            m_free.push_back(m_all.back().get());
        }
        Work* w = m_free.back();
        m_free.pop_back();
        w->chunk.runs.clear();
        w->chunk.encoded.reset();
        w->read = 0;
        w->data_bytes = 0;
        w->skip = false;
        return w;
    }

    void release(Work* w) {
        w->chunk.encoded.reset();
        {
            std::lock_guard lock(m_mutex);
            m_free.push_back(w);
        }
        m_released.notify_one();
    }

private:
    size_t m_buffer_size;
    size_t m_limit;
    std::mutex m_mutex;
    std::condition_variable m_released;
    std::vector<std::unique_ptr<Work>> m_all;
    std::vector<Work*> m_free;
};

// Walks the reader's allocation map forward, one window at a time. Windows
// start at chunk boundaries and span whole chunks, so a chunk never straddles
// two windows. Beyond the reader's size (up to the writer's) the disk is
// unallocated.
class MapCursor {
public:
    MapCursor(DiskReader& reader, uint64_t size, uint64_t window)
        : m_reader(reader), m_reader_size(reader.virtual_size()), m_size(size), m_window(window) {}

    // The first offset >= pos (a chunk boundary) inside a data extent.
    Result<std::optional<uint64_t>> next_data(uint64_t pos) {
        while (pos < m_size) {
            if (!m_loaded || pos < m_start || pos >= m_end) {
                OVFKIT_TRY(load(pos));
            }
            while (m_index < m_map.size() && m_map[m_index].offset + m_map[m_index].length <= pos) {
                ++m_index;
            }
            for (size_t i = m_index; i < m_map.size(); ++i) {
                if (m_map[i].kind == ExtentKind::data) {
                    return std::max(m_map[i].offset, pos);
                }
            }
            pos = m_end;
        }
        return std::nullopt;
    }

    // The extents of [b, e), clipped; [b, e) lies in the current window at or
    // after the last next_data() position.
    void pieces(uint64_t b, uint64_t e, std::vector<Extent>& out) const {
        out.clear();
        for (size_t i = m_index; i < m_map.size() && m_map[i].offset < e; ++i) {
            uint64_t lo = std::max(b, m_map[i].offset);
            uint64_t hi = std::min(e, m_map[i].offset + m_map[i].length);
            if (lo < hi) {
                out.push_back({lo, hi - lo, m_map[i].kind});
            }
        }
    }

private:
    Result<void> load(uint64_t at) {
        m_start = at;
        m_end = std::min(m_size, checked_add(at, m_window).value_or(m_size));
        m_index = 0;
        m_map.clear();
        if (at < m_reader_size) {
            uint64_t end = std::min(m_end, m_reader_size);
            OVFKIT_TRY_ASSIGN(m_map, m_reader.extents(at, end - at));
            // The converter relies on the map's contract; a reader that breaks
            // it must not make the output silently wrong.
            uint64_t pos = at;
            for (const Extent& x : m_map) {
                if (x.offset != pos || x.length == 0 || x.length > end - pos) {
                    return fail(Errc::invalid,
                                "{}: the allocation map of [{}, {}) is not contiguous at offset "
                                "{} (extent at {} of {} bytes)",
                                m_reader.info().files.empty() ? m_reader.info().format
                                                              : m_reader.info().files.front(),
                                at, end, pos, x.offset, x.length);
                }
                pos += x.length;
            }
            if (pos != end) {
                return fail(Errc::invalid, "{}: the allocation map of [{}, {}) stops at offset {}",
                            m_reader.info().files.empty() ? m_reader.info().format
                                                          : m_reader.info().files.front(),
                            at, end, pos);
            }
        }
        if (m_end > std::max(at, m_reader_size)) {
            uint64_t from = std::max(at, m_reader_size);
            append_extent(m_map, {from, m_end - from, ExtentKind::unallocated});
        }
        m_loaded = true;
        return {};
    }

    DiskReader& m_reader;
    uint64_t m_reader_size;
    uint64_t m_size;
    uint64_t m_window;
    bool m_loaded = false;
    uint64_t m_start = 0;
    uint64_t m_end = 0;
    size_t m_index = 0;
    std::vector<Extent> m_map;
};

// The first error of any stage; later ones are dropped.
class FirstError {
public:
    void set(Error e) {
        std::lock_guard lock(m_mutex);
        if (!m_error) {
            m_error = std::move(e);
            m_failed.store(true, std::memory_order_release);
        }
    }
    bool failed() const { return m_failed.load(std::memory_order_acquire); }
    std::optional<Error> take() {
        std::lock_guard lock(m_mutex);
        return std::move(m_error);
    }

private:
    std::mutex m_mutex;
    std::optional<Error> m_error;
    std::atomic<bool> m_failed{false};
};

// Chunks on their way from the pipeline to the writer thread, in order.
class WriteQueue {
public:
    void push(Work* w) {
        {
            std::lock_guard lock(m_mutex);
            m_items.push_back(w);
        }
        m_changed.notify_one();
    }
    void close() {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        m_changed.notify_one();
    }
    // The next chunk, or nullptr once closed and drained.
    Work* pop() {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return !m_items.empty() || m_closed; });
        if (m_items.empty()) {
            return nullptr;
        }
        Work* w = m_items.front();
        m_items.pop_front();
        return w;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Work*> m_items;
    bool m_closed = false;
};

} // namespace

Result<ConvertStats> copy_disk(DiskReader& in, DiskWriter& out, const ConvertOptions& options) {
    auto started = std::chrono::steady_clock::now();
    const WriterCaps caps = out.capabilities();
    const uint64_t g = caps.granularity;
    const std::string in_name = in.info().files.empty() ? in.info().format : in.info().files[0];
    if (g == 0 || g > k_max_granularity) {
        return fail(Errc::usage, "writer granularity {} is outside 1..{} bytes", g,
                    k_max_granularity);
    }
    const uint64_t size = options.virtual_size != 0 ? options.virtual_size : in.virtual_size();
    if (size < in.virtual_size()) {
        return fail(Errc::usage, "{}: output size {} is smaller than the input's virtual size {}",
                    in_name, size, in.virtual_size());
    }
    uint64_t target = options.chunk_size != 0 ? options.chunk_size : k_default_chunk;
    const uint64_t chunk = std::max(g, target / g * g);

    ConvertStats stats;
    stats.virtual_size = size;
    stats.chunk_size = chunk;
    stats.threads = options.threads != 0
                        ? options.threads
                        : static_cast<unsigned>(std::max(1, tbb::info::default_concurrency()));
    // Half the buffer budget for chunks in the pipeline, half for chunks
    // waiting at the writer.
    stats.tokens = static_cast<unsigned>(std::clamp<uint64_t>(
        std::min<uint64_t>(uint64_t{2} * stats.threads, k_buffer_budget / 2 / chunk), 2,
        k_max_tokens));

    MapCursor cursor(in, size, chunk * k_window_chunks);
    WorkPool pool(static_cast<size_t>(chunk), size_t{2} * stats.tokens);
    FirstError error;
    uint64_t pos = 0;
    const auto cancelled = [&] {
        return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
    };

    // Fills a chunk's buffer from its map: data extents read, the rest zeros.
    const bool parallel_reads = in.concurrent_reads();
    auto read_pieces = [&in](Work& w) -> Result<void> {
        for (const Extent& p : w.pieces) {
            auto dst = w.buffer.span().subspan(static_cast<size_t>(p.offset - w.offset),
                                               static_cast<size_t>(p.length));
            if (p.kind != ExtentKind::data) {
                std::memset(dst.data(), 0, dst.size());
                continue;
            }
            OVFKIT_TRY(in.read_at(p.offset, dst));
            w.read += p.length;
        }
        return {};
    };

    // Stage 1: the next chunk that holds data, read here unless the reader
    // allows concurrent reads (then stage 2 reads it).
    auto produce = [&](tbb::flow_control& fc) -> Work* {
        if (error.failed()) {
            fc.stop();
            return nullptr;
        }
        if (cancelled()) {
            error.set(Error{Errc::io, fmt::format("{}: conversion interrupted", in_name)});
            fc.stop();
            return nullptr;
        }
        auto next = cursor.next_data(pos);
        if (!next) {
            error.set(std::move(next).error());
            fc.stop();
            return nullptr;
        }
        if (!*next) {
            pos = size;
            fc.stop();
            return nullptr;
        }
        uint64_t start = **next - **next % chunk;
        uint64_t end = std::min(size, start + chunk);
        Work* w = pool.acquire();
        w->offset = start;
        w->length = static_cast<size_t>(end - start);
        cursor.pieces(start, end, w->pieces);
        pos = end;
        if (parallel_reads) {
            return w;
        }
        if (auto r = read_pieces(*w); !r) {
            error.set(std::move(r).error());
            pool.release(w);
            fc.stop();
            return nullptr;
        }
        return w;
    };

    // Stage 2: runs of data and zero granules, then the writer's encoding.
    auto encode = [&](Work* w) -> Work* {
        if (error.failed()) {
            return w;
        }
        if (parallel_reads) {
            if (auto r = read_pieces(*w); !r) {
                error.set(std::move(r).error());
                return w;
            }
        }
        auto bytes = std::span<const std::byte>(w->buffer.span()).first(w->length);
        for (uint64_t r = 0; r < w->length; r += g) {
            uint64_t n = std::min<uint64_t>(g, w->length - r);
            bool zero = is_all_zero(bytes.subspan(static_cast<size_t>(r), static_cast<size_t>(n)));
            append_extent(w->chunk.runs,
                          {w->offset + r, n, zero ? ExtentKind::zero : ExtentKind::data});
            w->data_bytes += zero ? 0 : n;
        }
        if (w->data_bytes == 0) {
            w->skip = true;
            return w;
        }
        w->chunk.offset = w->offset;
        w->chunk.data = bytes;
        if (auto r = out.encode(w->chunk); !r) {
            error.set(std::move(r).error());
        }
        return w;
    };

    // The writer thread: chunks in ascending order into the writer. Writes
    // block on the output device (direct I/O waits for it), so they get a
    // thread of their own and the workers keep reading and encoding ahead.
    WriteQueue queue;
    // An exception must not escape the thread (std::terminate): it becomes
    // the conversion's error, and the queue is still drained so that the
    // input stage never waits for a chunk that will not come back.
    auto write_all = [&] {
        while (Work* w = queue.pop()) {
            stats.bytes_read += w->read;
            try {
                if (!error.failed() && !w->skip) {
                    if (auto r = out.write(w->chunk); !r) {
                        error.set(std::move(r).error());
                    } else {
                        stats.bytes_written += w->data_bytes;
                        stats.chunks += 1;
                    }
                }
                if (options.progress && !error.failed()) {
                    options.progress(w->offset + w->length, size);
                }
            } catch (const std::exception& e) {
                error.set(
                    Error{Errc::io, fmt::format("{}: writing the output: {}", in_name, e.what())});
            }
            stats.zero_bytes += w->read - std::min(w->read, w->data_bytes);
            pool.release(w);
        }
    };

    // Stage 3: hands chunks to the writer thread in ascending order.
    auto consume = [&](Work* w) { queue.push(w); };

    {
        std::optional<tbb::global_control> more_threads;
        if (stats.threads > static_cast<unsigned>(tbb::info::default_concurrency())) {
            more_threads.emplace(tbb::global_control::max_allowed_parallelism, stats.threads);
        }
        std::thread writer(write_all);
        // The writer thread is joined on every way out, exceptions included.
        struct JoinWriter {
            WriteQueue& queue;
            std::thread& thread;
            ~JoinWriter() {
                queue.close();
                thread.join();
            }
        } join_writer{queue, writer};
        tbb::task_arena arena(static_cast<int>(stats.threads));
        arena.execute([&] {
            tbb::parallel_pipeline(
                stats.tokens,
                tbb::make_filter<void, Work*>(tbb::filter_mode::serial_in_order, produce) &
                    tbb::make_filter<Work*, Work*>(tbb::filter_mode::parallel, encode) &
                    tbb::make_filter<Work*, void>(tbb::filter_mode::serial_in_order, consume));
        });
    }
    if (auto e = error.take()) {
        return fail(std::move(*e));
    }
    OVFKIT_TRY(out.finish());
    if (options.progress) {
        options.progress(size, size);
    }
    stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return stats;
}

Result<ConvertSummary> convert_image(const ConvertRequest& request) {
    auto started = std::chrono::steady_clock::now();
    OVFKIT_TRY_ASSIGN(const FormatDriver* out_driver,
                      driver_by_name(request.output_format, request.drivers));
    if (out_driver->create == nullptr) {
        return fail(Errc::usage, "disk format '{}' cannot be written", out_driver->name);
    }
    if (request.compress && !out_driver->supports_compression) {
        std::string with;
        for (const FormatDriver* d : request.drivers) {
            if (d->create != nullptr && d->supports_compression) {
                with += fmt::format("{}{}", with.empty() ? "" : ", ", d->name);
            }
        }
        return fail(Errc::usage, "disk format '{}' has no compression (--compress works with: {})",
                    out_driver->name, with);
    }
    io::OutputSet outputs(request.force, request.direct_io);
    std::optional<io::OutputSet::Device> device;
    if (request.to_device) {
        if (out_driver->name != "raw") {
            return fail(Errc::usage,
                        "{}: --to-device writes only raw output (-O raw): a device holds the "
                        "guest disk byte for byte",
                        request.output);
        }
        // Opened before anything is read: a busy or wrong target fails first.
        OVFKIT_TRY_ASSIGN(device, outputs.open_device(request.output));
    } else if (std::string why = io::unreplaceable_target(request.output); !why.empty()) {
        return fail(Errc::refused, "{}", why);
    }
    struct stat st {};
    if (!request.to_device && !request.force && ::lstat(request.output.c_str(), &st) == 0) {
        return fail(Errc::refused, "{}: already exists; refusing to replace it (use --force)",
                    request.output);
    }

    OpenImageOptions open_options;
    open_options.format = request.input_format;
    open_options.policy = request.policy;
    open_options.drivers = request.drivers;
    OVFKIT_TRY_ASSIGN(Image image, open_image(request.input, open_options));
    DiskReader& reader = *image.reader;

    ConvertSummary summary;
    summary.input_format = reader.info().format;
    summary.output_format = std::string(out_driver->name);
    summary.findings = image.findings;

    // Each format stores whole units (FormatDriver::size_unit): guests address
    // 512-byte sectors, so a partial last sector is padded with zeros (as
    // qemu-img does); vhd-fixed stores whole MiB; raw keeps the exact size.
    // The added bytes read as zeros, and the summary says so.
    uint64_t size = reader.virtual_size();
    const uint64_t unit = std::max<uint64_t>(out_driver->size_unit, 1);
    auto rounded = align_up(size, unit);
    if (!rounded) {
        return fail(Errc::invalid, "{}: virtual size {} cannot be rounded to {} bytes",
                    request.input, size, unit);
    }
    if (*rounded != size) {
        summary.findings.push_back(
            {Severity::warning, "DISK-SIZE-ROUNDED",
             fmt::format("{}: virtual size {} bytes becomes {} bytes in {}, which stores whole "
                         "multiples of {} bytes{}; the added {} bytes read as zeros",
                         request.input, size, *rounded, out_driver->name, unit,
                         unit == 512 ? " (sectors)" : "", *rounded - size),
             request.input, 0});
    }
    size = *rounded;
    if (out_driver->max_virtual_size != 0 && size > out_driver->max_virtual_size) {
        return fail(Errc::invalid,
                    "{}: virtual size {} bytes is larger than the {} maximum of {} bytes",
                    request.input, size, out_driver->name, out_driver->max_virtual_size);
    }

    CreateOptions create;
    create.virtual_size = size;
    create.compress = request.compress;
    create.cluster_size = request.cluster_size;
    std::unique_ptr<DiskWriter> writer;
    if (device) {
        if (device->size < size) {
            return fail(Errc::refused,
                        "{}: the device holds {} bytes, less than the {}-byte disk of {}",
                        request.output, device->size, size, request.input);
        }
        create.dense = true;
        OVFKIT_TRY(check_create_options(*out_driver, create, request.output));
        CreateContext ctx{device->file, request.output, &outputs, create};
        OVFKIT_TRY_ASSIGN(writer, out_driver->create(ctx));
    } else {
        OVFKIT_TRY_ASSIGN(writer, create_image(outputs, request.output, *out_driver, create));
    }
    ConvertOptions pipeline = request.pipeline;
    pipeline.virtual_size = size;
    OVFKIT_TRY_ASSIGN(summary.stats, copy_disk(reader, *writer, pipeline));
    summary.missing = reader.missing();
    writer.reset();
    summary.direct_bytes = outputs.direct_bytes();
    std::vector<std::string> targets = outputs.targets();
    OVFKIT_TRY(outputs.commit());
    for (const std::string& path : targets) {
        OutputFile f;
        f.path = path;
        if (::stat(path.c_str(), &st) == 0) {
            f.size = static_cast<uint64_t>(st.st_size);
            f.allocated = static_cast<uint64_t>(st.st_blocks) * 512;
        }
        summary.output_size += f.size;
        summary.files.push_back(std::move(f));
    }
    summary.stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
}

} // namespace ovfkit::disk
