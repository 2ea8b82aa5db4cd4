// The one bounds check every disk read goes through (reader.hpp).
#include <algorithm>

#include <ovfkit/disk/reader.hpp>

namespace ovfkit::disk {

Result<void> DiskReader::read_at(uint64_t offset, std::span<std::byte> out) {
    const uint64_t size = virtual_size();
    // Written so that nothing overflows: offset + out.size() may not fit.
    if (offset > size || out.size() > size - offset) {
        const DiskInfo& i = info();
        std::string_view name = i.files.empty() ? std::string_view("disk") : i.files.front();
        return fail(Errc::usage, "{}: read of {} bytes at offset {} beyond the virtual size {}",
                    name, out.size(), offset, size);
    }
    if (out.empty()) {
        return {};
    }
    return read_range(offset, out);
}

void DiskReader::add_missing(uint64_t offset, uint64_t length, std::string what) {
    MissingRange r{offset, length, std::move(what)};
    auto at = std::upper_bound(m_missing.begin(), m_missing.end(), r,
                               [](const auto& a, const auto& b) { return a.offset < b.offset; });
    m_missing.insert(at, std::move(r));
}

} // namespace ovfkit::disk
