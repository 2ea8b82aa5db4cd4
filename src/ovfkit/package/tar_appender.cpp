#include <algorithm>
#include <cstring>

#include <ovfkit/package/tar_appender.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace ovfkit::package {

TarAppender::TarAppender(io::File& out, size_t buffer_bytes)
    : m_out(out),
      m_buffer(std::max<size_t>(buffer_bytes / AlignedBuffer::k_page, 1) * AlignedBuffer::k_page) {}

Result<void> TarAppender::flush(bool all) {
    size_t n = all ? m_staged : m_staged / AlignedBuffer::k_page * AlignedBuffer::k_page;
    if (n == 0) {
        return {};
    }
    OVFKIT_TRY(m_out.pwrite(std::span<const std::byte>(m_buffer.data(), n), m_written));
    m_written += n;
    std::memmove(m_buffer.data(), m_buffer.data() + n, m_staged - n);
    m_staged -= n;
    return {};
}

Result<void> TarAppender::append(std::span<const std::byte> data) {
    while (!data.empty()) {
        size_t room = m_buffer.size() - m_staged;
        if (room == 0) {
            OVFKIT_TRY(flush(false));
            continue;
        }
        size_t n = std::min(room, data.size());
        std::memcpy(m_buffer.data() + m_staged, data.data(), n);
        m_staged += n;
        data = data.subspan(n);
    }
    return {};
}

Result<void> TarAppender::append_zeros(size_t count) {
    static constexpr std::byte k_zeros[k_tar_block] = {};
    while (count > 0) {
        size_t n = std::min(count, sizeof k_zeros);
        OVFKIT_TRY(append(std::span(k_zeros, n)));
        count -= n;
    }
    return {};
}

Result<void> TarAppender::add(TarEntry entry, std::span<const std::byte> data) {
    if (m_finished) {
        return fail(Errc::usage, "{}: tar member \"{}\" added after the end", m_out.name(),
                    entry.name);
    }
    entry.size = data.size();
    entry.patchable = false;
    OVFKIT_TRY_ASSIGN(std::vector<std::byte> header, tar_header(entry));
    OVFKIT_TRY(append(header));
    OVFKIT_TRY(append(data));
    return append_zeros(tar_padding(data.size()));
}

Result<void> TarAppender::finish() {
    if (m_finished) {
        return {};
    }
    m_finished = true;
    OVFKIT_TRY(append_zeros(k_tar_end_bytes));
    return flush(true);
}

} // namespace ovfkit::package
