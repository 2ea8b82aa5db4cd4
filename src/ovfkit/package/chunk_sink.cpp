#include <algorithm>

#include <ovfkit/package/chunk_sink.hpp>

namespace ovfkit::package {

Result<void> ChunkSink::write(std::span<const std::byte> data) {
    if (m_finished) {
        return fail(Errc::usage, "{}: write after finish", m_name);
    }
    if (m_chunk == 0) {
        return fail(Errc::usage, "{}: a chunk size of 0", m_name);
    }
    while (!data.empty()) {
        if (m_current == nullptr) {
            OVFKIT_TRY_ASSIGN(m_current, m_open(m_index));
            m_in_part = 0;
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), m_chunk - m_in_part));
        OVFKIT_TRY(m_current->pwrite(data.first(n), m_in_part));
        m_in_part += n;
        m_count += n;
        data = data.subspan(n);
        if (m_in_part == m_chunk) {
            m_current = nullptr;
            OVFKIT_TRY(m_close(m_index++, m_chunk));
        }
    }
    return {};
}

Result<void> ChunkSink::finish() {
    if (m_finished) {
        return fail(Errc::usage, "{}: finish called twice", m_name);
    }
    m_finished = true;
    if (m_current != nullptr) {
        m_current = nullptr;
        return m_close(m_index++, m_in_part);
    }
    if (m_index == 0) { // an empty file is one empty chunk
        OVFKIT_TRY(m_open(0));
        return m_close(m_index++, 0);
    }
    return {};
}

} // namespace ovfkit::package
