// Chunked (ovf:chunkSize) and gzip-compressed (ovf:compression="gzip") file
// references: how a References/File entry maps onto package members, and the
// referenced file's logical bytes.
//
// Stored layout (DSP0243; shared formats/ovf-ova.md 6). A chunked file is
// stored as members href.000000000, href.000000001 ... (a 9-digit decimal
// index from 0, contiguous); every chunk but the last holds exactly
// chunkSize bytes and ovf:size is the sum of the chunks. A compressed file
// is one gzip member (RFC 1952) of the referenced file; ovf:size is the
// compressed size. A chunked file may be compressed: the gzip stream is split
// after compression. Manifests list each chunk by its member name.
//
// Reading. A gzip stream is not randomly accessible, so there are two ways
// in: ReferenceStream reads the logical bytes front to back (hashing,
// copying into a new package), and open_reference_file() gives an io::File
// for random access (disk readers): the member itself, a concatenation of
// chunk windows, or, for a compressed file, the inflated bytes in an unnamed
// temporary file (O_TMPFILE) in a directory the caller names, which vanishes
// when closed. Inflation is bounded (SECURITY.md R17): it stops with
// Errc::refused at a caller-given output bound (a disk's declared capacity
// plus format overhead) and at an expansion ratio; the stream must be one
// complete gzip member whose CRC and length check, else Errc::invalid.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/source.hpp>

namespace ovfkit::package {

struct ReferenceLimits {
    uint32_t max_chunks = 10'000;                       // members per chunked file
    uint64_t max_chunk_size = uint64_t{64} << 30;       // ovf:chunkSize sanity bound
    uint64_t max_ratio = 1000;                          // inflated : stored, at most
    std::optional<uint64_t> max_output;                 // inflated bytes, at most (a disk's bound)
    uint64_t max_unbounded_output = uint64_t{64} << 40; // with no max_output: R16's 64 TiB
};

// The inflation bound for a compressed disk file: its declared capacity plus
// 1 % for the image format's own metadata (SECURITY.md, default limits),
// saturating at UINT64_MAX. Set it as ReferenceLimits::max_output.
uint64_t disk_output_bound(uint64_t capacity_bytes);

// The member that holds chunk `index` of the file `href`: "disk.vmdk.000000007".
std::string chunk_member_name(std::string_view href, uint64_t index);

// The chunk index of `member` if it is "<href>.<9 digits>", else nullopt.
std::optional<uint64_t> chunk_index(std::string_view href, std::string_view member);

enum class Compression { none, gzip };

// Parses ovf:compression: absent, "" and "identity" are none, "gzip" is gzip;
// anything else (bzip2 ...) is Errc::invalid.
Result<Compression> parse_compression(const std::optional<std::string>& value,
                                      std::string_view where);

struct StoredPart {
    std::string name; // package member
    uint64_t size = 0;
};

// Where a File's bytes are in the package.
struct StoredLayout {
    std::vector<StoredPart> parts;      // one member, or the chunks in order
    std::optional<uint64_t> chunk_size; // set for a chunked file
    Compression compression = Compression::none;
    uint64_t stored_size = 0; // sum of the parts
};

// What the layout check needs from a package: the size of a member (nullopt
// when absent) and, to find gaps and stray chunk names, the names of every
// member there is.
struct MemberLookup {
    std::function<Result<std::optional<uint64_t>>(std::string_view name)> size;
    std::vector<std::string> names;
};

// A lookup over `src`: an OVA's tar index, or the directory's listing
// (Errc::refused beyond 100,000 entries).
Result<MemberLookup> member_lookup(const Source& src);

// Finds and checks the members of `file` (its href must be a plain package
// file name; see ovf::href_member). Chunks: contiguous indices from 0, every
// name "<href>.<exactly 9 digits>", all but the last exactly chunkSize bytes,
// the last 1..chunkSize, no whole `href` beside them, at most max_chunks.
// A numeric ovf:size must equal the stored size, except that a compressed
// file may declare its uncompressed size (some producers do; validate warns).
// Errc::io when the file is absent, Errc::invalid for a broken layout,
// Errc::refused for a limit.
Result<StoredLayout> stored_layout(const MemberLookup& lookup, const ovf::File& file,
                                   const ReferenceLimits& limits = {});

// Opens a stored part by member name.
using MemberOpener = std::function<Result<std::unique_ptr<io::File>>(std::string_view name)>;

// The logical bytes of a File, front to back.
class ReferenceStream {
public:
    // `src` must outlive the stream.
    static Result<std::unique_ptr<ReferenceStream>> open(const Source& src, StoredLayout layout,
                                                         const ReferenceLimits& limits = {});
    // The same over any member opener (in-memory parts for tests and the
    // fuzzer).
    static Result<std::unique_ptr<ReferenceStream>> open(MemberOpener members, StoredLayout layout,
                                                         const ReferenceLimits& limits = {});
    virtual ~ReferenceStream() = default;

    // Up to out.size() logical bytes; 0 only at the end, once the stream is
    // known complete (every part read, the gzip trailer checked).
    virtual Result<size_t> read(std::span<std::byte> out) = 0;
    // Logical bytes returned so far.
    virtual uint64_t position() const = 0;
    const StoredLayout& layout() const { return m_layout; }

protected:
    explicit ReferenceStream(StoredLayout layout) : m_layout(std::move(layout)) {}
    StoredLayout m_layout;
};

// The logical bytes of a File with random access. A compressed file is
// inflated (bounded, as ReferenceStream) into an unnamed temporary file in
// `temp_dir`; without a temp_dir it is refused (Errc::usage) rather than
// inflated somewhere the caller did not choose.
Result<std::unique_ptr<io::File>> open_reference_file(const Source& src, const StoredLayout& layout,
                                                      const ReferenceLimits& limits = {},
                                                      const std::string& temp_dir = {});

// The descriptor side of writing a chunked or compressed file: sets
// ovf:compression ("gzip" or removed), ovf:chunkSize (or removed) and
// ovf:size = `stored_size`, the bytes the package stores.
void describe_stored_file(ovf::File& file, Compression compression,
                          std::optional<uint64_t> chunk_size, uint64_t stored_size);

// The member sizes a file of `stored_size` bytes is split into with chunks
// of `chunk_size` (all full, the last 1..chunk_size; one empty chunk for an
// empty file). Errc::usage for chunk_size 0 or more than max_chunks chunks.
Result<std::vector<uint64_t>> split_chunks(uint64_t stored_size, uint64_t chunk_size,
                                           const ReferenceLimits& limits = {});

} // namespace ovfkit::package
