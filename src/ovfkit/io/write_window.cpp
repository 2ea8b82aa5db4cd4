#include <algorithm>
#include <vector>

#include <ovfkit/io/write_window.hpp>

namespace ovfkit::io {

namespace {

constexpr size_t k_zero_piece = size_t{1} << 20;
constexpr size_t k_reread_piece = size_t{4} << 20;

const std::vector<std::byte>& zero_piece() {
    static const std::vector<std::byte> zeros(k_zero_piece);
    return zeros;
}

} // namespace

Result<std::unique_ptr<WriteWindow>> WriteWindow::create(File& under, uint64_t base,
                                                         std::string name,
                                                         std::optional<DigestAlgorithm> algorithm) {
    std::unique_ptr<WriteWindow> w(new WriteWindow(under, base, std::move(name)));
    w->m_algorithm = algorithm;
    if (algorithm) {
        w->m_nowhere = std::make_unique<NullSink>(w->m_name);
        OVFKIT_TRY_ASSIGN(w->m_digest, DigestSink::create(*w->m_nowhere, *algorithm));
        w->m_async = std::make_unique<AsyncSink>(*w->m_digest);
    }
    return w;
}

Result<size_t> WriteWindow::pread(std::span<std::byte> out, uint64_t offset) {
    if (offset >= m_end) {
        return size_t{0};
    }
    uint64_t n = std::min<uint64_t>(out.size(), m_end - offset);
    return m_under.pread(out.first(static_cast<size_t>(n)), m_base + offset);
}

Result<void> WriteWindow::hash_zeros(uint64_t count) {
    const auto& zeros = zero_piece();
    while (count > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(count, zeros.size()));
        OVFKIT_TRY(m_async->write(std::span(zeros).first(n)));
        count -= n;
    }
    return {};
}

Result<void> WriteWindow::hash(std::span<const std::byte> data, uint64_t offset) {
    if (!m_digest || m_out_of_order) {
        return {};
    }
    if (offset < m_hashed) {
        // A table patched behind the data: the digest is taken from the
        // stored bytes at the end instead.
        m_out_of_order = true;
        return {};
    }
    OVFKIT_TRY(hash_zeros(offset - m_hashed));
    OVFKIT_TRY(m_async->write(data));
    m_hashed = offset + data.size();
    return {};
}

Result<void> WriteWindow::pwrite(std::span<const std::byte> data, uint64_t offset) {
    OVFKIT_TRY(m_under.pwrite(data, m_base + offset));
    OVFKIT_TRY(hash(data, offset));
    m_end = std::max(m_end, offset + data.size());
    return {};
}

Result<void> WriteWindow::write_zeroes(uint64_t offset, uint64_t length) {
    OVFKIT_TRY(m_under.write_zeroes(m_base + offset, length));
    if (m_digest && !m_out_of_order) {
        if (offset < m_hashed) {
            m_out_of_order = true;
        } else {
            OVFKIT_TRY(hash_zeros(offset + length - m_hashed));
            m_hashed = offset + length;
        }
    }
    m_end = std::max(m_end, offset + length);
    return {};
}

Result<void> WriteWindow::truncate(uint64_t size) {
    OVFKIT_TRY(m_under.truncate(m_base + size));
    if (size < m_hashed) {
        m_out_of_order = true;
    }
    m_end = size;
    return {};
}

Result<uint64_t> WriteWindow::next_data(uint64_t offset) {
    if (offset >= m_end) {
        return m_end;
    }
    OVFKIT_TRY_ASSIGN(uint64_t at, m_under.next_data(m_base + offset));
    return std::min(at - m_base, m_end);
}

Result<uint64_t> WriteWindow::next_hole(uint64_t offset) {
    if (offset >= m_end) {
        return m_end;
    }
    OVFKIT_TRY_ASSIGN(uint64_t at, m_under.next_hole(m_base + offset));
    return std::min(at - m_base, m_end);
}

Result<std::string> WriteWindow::finish_digest() {
    if (!m_algorithm) {
        return std::string{};
    }
    if (!m_out_of_order) {
        // Bytes the writer never wrote at the end (a raw image's trailing
        // hole, set by truncate) read as zeros.
        OVFKIT_TRY(hash_zeros(m_end - m_hashed));
        m_hashed = m_end;
        OVFKIT_TRY(m_async->finish()); // finishes m_digest
        return m_digest->hex_digest();
    }
    m_reread = true;
    m_async.reset(); // the in-order digest is abandoned
    NullSink nowhere(m_name);
    OVFKIT_TRY_ASSIGN(auto digest, DigestSink::create(nowhere, *m_algorithm));
    std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(k_reread_piece, m_end)));
    for (uint64_t pos = 0; pos < m_end;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), m_end - pos));
        OVFKIT_TRY(read_exact(m_under, std::span(buf).first(n), m_base + pos));
        OVFKIT_TRY(digest->write(std::span(buf).first(n)));
        pos += n;
    }
    OVFKIT_TRY(digest->finish());
    return digest->hex_digest();
}

} // namespace ovfkit::io
