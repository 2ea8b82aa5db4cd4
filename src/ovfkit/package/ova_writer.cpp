#include <algorithm>
#include <vector>

#include <ovfkit/package/ova_writer.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace ovfkit::package {

namespace {

constexpr size_t k_copy_piece = size_t{4} << 20;

} // namespace

Result<void> OvaWriter::open_check(const std::string& name) const {
    if (m_finished) {
        return fail(Errc::usage, "{}: member {} added after the end of the archive", m_out.name(),
                    name);
    }
    if (m_open) {
        return fail(Errc::usage, "{}: member {} added while another is being written", m_out.name(),
                    name);
    }
    return {};
}

Result<void> OvaWriter::header(const std::string& name, uint64_t size) {
    OVFKIT_TRY(open_check(name));
    OVFKIT_TRY_ASSIGN(auto h, tar_header({name, size, m_mtime, 0644, false}));
    OVFKIT_TRY(m_out.pwrite(h, m_offset));
    m_offset += h.size();
    return {};
}

Result<void> OvaWriter::pad(uint64_t size) {
    static const std::vector<std::byte> k_zeros(k_tar_block);
    size_t n = tar_padding(size);
    if (n > 0) {
        OVFKIT_TRY(m_out.pwrite(std::span(k_zeros).first(n), m_offset));
        m_offset += n;
    }
    return {};
}

Result<void> OvaWriter::add(const std::string& name, std::span<const std::byte> data) {
    OVFKIT_TRY(header(name, data.size()));
    if (!data.empty()) {
        OVFKIT_TRY(m_out.pwrite(data, m_offset));
        m_offset += data.size();
    }
    return pad(data.size());
}

Result<void> OvaWriter::add(const std::string& name, io::File& in, uint64_t size,
                            const PieceFn& each_piece) {
    OVFKIT_TRY(header(name, size));
    std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(k_copy_piece, size)));
    for (uint64_t pos = 0; pos < size;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos));
        auto piece = std::span(buf).first(n);
        OVFKIT_TRY(io::read_exact(in, piece, pos));
        OVFKIT_TRY(m_out.pwrite(piece, m_offset));
        m_offset += n;
        pos += n;
        if (each_piece) {
            OVFKIT_TRY(each_piece(piece, pos));
        }
    }
    return pad(size);
}

Result<OvaWriter::Reserved> OvaWriter::reserve(const std::string& name, uint64_t size) {
    OVFKIT_TRY(header(name, size));
    Reserved r{name, m_offset, size};
    // Zeros now, so the archive is well formed even before fill().
    OVFKIT_TRY(m_out.write_zeroes(m_offset, size));
    m_offset += size;
    OVFKIT_TRY(pad(size));
    return r;
}

Result<void> OvaWriter::fill(const Reserved& reserved, std::span<const std::byte> data) {
    if (data.size() != reserved.size) {
        return fail(Errc::usage, "{}: member {} was reserved for {} bytes, not {}", m_out.name(),
                    reserved.name, reserved.size, data.size());
    }
    return m_out.pwrite(data, reserved.data_offset);
}

Result<uint64_t> OvaWriter::begin_member(const std::string& name, std::optional<uint64_t> size) {
    OVFKIT_TRY(open_check(name));
    OVFKIT_TRY_ASSIGN(auto h, tar_header({name, size.value_or(0), m_mtime, 0644, !size}));
    OVFKIT_TRY(m_out.pwrite(h, m_offset));
    m_open_size = size;
    m_open.emplace(m_offset, std::move(h));
    m_offset += m_open->second.size();
    return m_offset;
}

Result<void> OvaWriter::end_member(uint64_t size) {
    if (!m_open) {
        return fail(Errc::usage, "{}: no member is being written", m_out.name());
    }
    auto [at, h] = std::move(*m_open);
    m_open.reset();
    if (m_open_size) {
        if (*m_open_size != size) {
            return fail(Errc::io,
                        "{}: the member at offset {} was announced as {} bytes but {} were written",
                        m_out.name(), at, *m_open_size, size);
        }
    } else {
        OVFKIT_TRY(patch_tar_size(h, size));
        OVFKIT_TRY(m_out.pwrite(h, at));
    }
    m_offset += size;
    return pad(size);
}

Result<void> OvaWriter::finish() {
    if (m_open) {
        return fail(Errc::usage, "{}: the archive ends inside a member", m_out.name());
    }
    if (m_finished) {
        return fail(Errc::usage, "{}: the archive is already finished", m_out.name());
    }
    m_finished = true;
    static const std::vector<std::byte> k_end(k_tar_end_bytes);
    OVFKIT_TRY(m_out.pwrite(k_end, m_offset));
    m_offset += k_end.size();
    return {};
}

} // namespace ovfkit::package
