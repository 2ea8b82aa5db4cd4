// A Sink that hands what it is given to another Sink on its own thread.
//
// Hashing a member while a converter writes it would otherwise run on the
// converter's writer thread and hold up the pipeline behind it; through an
// AsyncSink the digest runs beside the writes. write() copies the bytes into
// one of a fixed number of buffers (bounded memory: `buffers` x `buffer_size`)
// and returns; it waits only when all are in flight. An error of the inner
// sink is returned by the next write() or by finish().
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {

class AsyncSink final : public Sink {
public:
    explicit AsyncSink(Sink& inner, size_t buffers = 4, size_t buffer_size = size_t{4} << 20);
    ~AsyncSink() override;
    AsyncSink(const AsyncSink&) = delete;
    AsyncSink& operator=(const AsyncSink&) = delete;

    const std::string& name() const override { return m_inner.name(); }
    Result<void> write(std::span<const std::byte> data) override;
    // Waits for everything handed over, then finishes the inner sink.
    Result<void> finish() override;
    uint64_t bytes_written() const override { return m_count; }

private:
    void run();
    Result<void> flush_current();
    std::optional<Error> failure();

    Sink& m_inner;
    size_t m_buffer_size;
    size_t m_total = 0; // buffers in all
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::vector<std::byte>> m_free;  // buffers ready to fill
    std::deque<std::vector<std::byte>> m_queued; // filled, for the worker
    std::vector<std::byte> m_current;            // being filled by write()
    std::optional<Error> m_error;
    bool m_closing = false;
    bool m_finished = false;
    uint64_t m_count = 0;
    std::thread m_worker; // last: started once the rest is set up
};

} // namespace ovfkit::io
