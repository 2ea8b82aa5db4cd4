#include <algorithm>
#include <vector>

#include <ovfkit/io/sink_file.hpp>

namespace ovfkit::io {

Result<void> SinkFile::zeros_to(uint64_t offset) {
    static const std::vector<std::byte> zeros(size_t{1} << 20);
    while (m_end < offset) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(offset - m_end, zeros.size()));
        OVFKIT_TRY(m_sink.write(std::span(zeros).first(n)));
        m_end += n;
    }
    return {};
}

Result<size_t> SinkFile::pread(std::span<std::byte>, uint64_t offset) {
    return fail(Errc::usage, "{}: output to a stream cannot be read back (offset {})", name(),
                offset);
}

Result<void> SinkFile::pwrite(std::span<const std::byte> data, uint64_t offset) {
    if (offset < m_end) {
        return fail(Errc::usage,
                    "{}: a stream is written front to back; a write at offset {} is behind its "
                    "end at {}",
                    name(), offset, m_end);
    }
    OVFKIT_TRY(zeros_to(offset));
    OVFKIT_TRY(m_sink.write(data));
    m_end += data.size();
    return {};
}

Result<void> SinkFile::truncate(uint64_t size) {
    if (size < m_end) {
        return fail(Errc::usage, "{}: a stream cannot be shortened to {} bytes", name(), size);
    }
    return zeros_to(size);
}

Result<void> SinkFile::write_zeroes(uint64_t offset, uint64_t length) {
    if (offset < m_end) {
        return fail(Errc::usage, "{}: a write at offset {} is behind the stream's end at {}",
                    name(), offset, m_end);
    }
    return zeros_to(offset + length);
}

} // namespace ovfkit::io
