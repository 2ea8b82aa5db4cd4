#include <algorithm>

#include <ovfkit/io/async_sink.hpp>

namespace ovfkit::io {

AsyncSink::AsyncSink(Sink& inner, size_t buffers, size_t buffer_size)
    : m_inner(inner), m_buffer_size(std::max<size_t>(buffer_size, 1)) {
    m_total = std::max<size_t>(buffers, 1);
    for (size_t i = 0; i < m_total; ++i) {
        m_free.emplace_back();
        m_free.back().reserve(m_buffer_size);
    }
    m_worker = std::thread([this] { run(); });
}

AsyncSink::~AsyncSink() {
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
        m_queued.clear(); // not finished: what is left is dropped
    }
    m_changed.notify_all();
    m_worker.join();
}

void AsyncSink::run() {
    for (;;) {
        std::vector<std::byte> buf;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return !m_queued.empty() || m_closing; });
            if (m_queued.empty()) {
                return;
            }
            buf = std::move(m_queued.front());
            m_queued.pop_front();
        }
        bool failed = false;
        {
            std::lock_guard lock(m_mutex);
            failed = m_error.has_value();
        }
        if (!failed) {
            auto r = m_inner.write(buf);
            if (!r) {
                std::lock_guard lock(m_mutex);
                m_error = r.error();
            }
        }
        buf.clear();
        {
            std::lock_guard lock(m_mutex);
            m_free.push_back(std::move(buf));
        }
        m_changed.notify_all();
    }
}

std::optional<Error> AsyncSink::failure() {
    std::lock_guard lock(m_mutex);
    return m_error;
}

// Queues the buffer being filled and takes a free one (waiting for one).
Result<void> AsyncSink::flush_current() {
    std::unique_lock lock(m_mutex);
    if (!m_current.empty()) {
        m_queued.push_back(std::move(m_current));
        m_current = {};
        m_changed.notify_all();
    }
    m_changed.wait(lock, [&] { return !m_free.empty() || m_error; });
    if (m_error) {
        return fail(*m_error);
    }
    m_current = std::move(m_free.back());
    m_free.pop_back();
    return {};
}

Result<void> AsyncSink::write(std::span<const std::byte> data) {
    if (m_finished) {
        return fail(Errc::usage, "{}: write after finish", name());
    }
    if (auto e = failure()) {
        return fail(std::move(*e));
    }
    while (!data.empty()) {
        if (m_current.capacity() == 0 || m_current.size() == m_buffer_size) {
            OVFKIT_TRY(flush_current());
        }
        size_t n = std::min(data.size(), m_buffer_size - m_current.size());
        m_current.insert(m_current.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(n));
        data = data.subspan(n);
        m_count += n;
    }
    return {};
}

Result<void> AsyncSink::finish() {
    if (m_finished) {
        return fail(Errc::usage, "{}: finish called twice", name());
    }
    m_finished = true;
    {
        std::unique_lock lock(m_mutex);
        if (!m_current.empty()) {
            m_queued.push_back(std::move(m_current));
            m_changed.notify_all();
        } else if (m_current.capacity() > 0) {
            m_free.push_back(std::move(m_current));
        }
        m_current = {};
        // Every buffer back in the free list: the worker is idle.
        m_changed.wait(lock, [&] { return m_queued.empty() && m_free.size() == m_total; });
    }
    if (auto e = failure()) {
        return fail(std::move(*e));
    }
    return m_inner.finish();
}

} // namespace ovfkit::io
