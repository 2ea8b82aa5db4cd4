// libFuzzer target for reading gzip-compressed, chunked file references
// (package/references.cpp, SECURITY.md R17). The first input byte picks the
// chunk size (1 + byte * 97), the rest is the stored file, cut into chunks
// held in memory. What the reader promises, or the target aborts:
//   - it never returns more than its bounds allow (1 MiB of output and
//     100:1 expansion here), give or take one read buffer;
//   - a stream it reads to the end is one complete gzip member: zlib's
//     one-shot inflate of the same bytes ends exactly there, with the same
//     output length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <zlib.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/references.hpp>

namespace {

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

// zlib's own verdict on `data` as one gzip member: the inflated length, or
// -1 when it is not exactly one complete member within `limit` bytes.
int64_t reference_length(std::span<const std::byte> data, size_t limit) {
    std::vector<Bytef> out(limit + 1);
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        return -1;
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    int64_t n = rc == Z_STREAM_END && z.avail_in == 0 ? static_cast<int64_t>(z.total_out) : -1;
    inflateEnd(&z);
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    if (size < 1 || size > (size_t{1} << 20)) {
        return 0;
    }
    const size_t chunk = 1 + size_t{data[0]} * 97;
    auto stored = std::as_bytes(std::span(data + 1, size - 1));
    package::StoredLayout layout;
    layout.compression = package::Compression::gzip;
    layout.chunk_size = chunk;
    std::vector<std::vector<std::byte>> parts;
    for (size_t at = 0, i = 0; at < stored.size() || i == 0; at += chunk, ++i) {
        auto piece = stored.subspan(at, std::min(chunk, stored.size() - at));
        parts.emplace_back(piece.begin(), piece.end());
        layout.parts.push_back({package::chunk_member_name("f", i), piece.size()});
        if (piece.empty()) {
            break;
        }
    }
    layout.stored_size = stored.size();
    package::ReferenceLimits limits;
    limits.max_output = 1 << 20;
    limits.max_ratio = 100;
    auto open = [&](std::string_view name) -> Result<std::unique_ptr<io::File>> {
        for (size_t i = 0; i < layout.parts.size(); ++i) {
            if (layout.parts[i].name == name) {
                return std::unique_ptr<io::File>(
                    std::make_unique<io::MemFile>(std::string(name), parts[i]));
            }
        }
        return fail(Errc::io, "no member {}", name);
    };
    auto stream = package::ReferenceStream::open(open, layout, limits);
    check(stream.has_value());
    const uint64_t bound =
        std::min<uint64_t>(*limits.max_output, std::max<uint64_t>(stored.size(), 1) * 100);
    std::vector<std::byte> buf(4096);
    for (;;) {
        auto n = (*stream)->read(buf);
        check((*stream)->position() <= bound + buf.size());
        if (!n) {
            check(n.error().code == Errc::invalid || n.error().code == Errc::refused);
            return 0;
        }
        if (*n == 0) {
            break;
        }
    }
    int64_t expect = reference_length(stored, static_cast<size_t>(bound));
    check(expect >= 0 && static_cast<uint64_t>(expect) == (*stream)->position());
    return 0;
}
