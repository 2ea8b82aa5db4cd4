#include <algorithm>
#include <cstring>

#include <ovfkit/io/mem_file.hpp>

namespace ovfkit::io {

Result<size_t> MemFile::pread(std::span<std::byte> out, uint64_t offset) {
    if (offset >= m_data.size() || out.empty()) {
        return size_t{0};
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), m_data.size() - offset));
    std::memcpy(out.data(), m_data.data() + offset, n);
    return n;
}

Result<void> MemFile::pwrite(std::span<const std::byte> data, uint64_t offset) {
    if (data.empty()) {
        return {}; // like pwrite(2): nothing written, the file does not grow
    }
    if (offset > m_limit || data.size() > m_limit - offset) {
        return fail(Errc::io, "{}: write beyond the {}-byte limit of the in-memory file", m_name,
                    m_limit);
    }
    if (offset + data.size() > m_data.size()) {
        m_data.resize(offset + data.size());
    }
    std::memcpy(m_data.data() + offset, data.data(), data.size());
    return {};
}

Result<void> MemFile::truncate(uint64_t size) {
    if (size > m_limit) {
        return fail(Errc::io, "{}: size {} beyond the {}-byte limit of the in-memory file", m_name,
                    size, m_limit);
    }
    m_data.resize(size);
    return {};
}

} // namespace ovfkit::io
