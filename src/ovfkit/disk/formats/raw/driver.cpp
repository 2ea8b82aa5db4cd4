// Raw disk images: the guest disk byte for byte, with no header and no
// metadata. Sources: lseek(2) (SEEK_DATA, SEEK_HOLE), qemu
// block/file-posix.c; details and policy: docs/disk-formats/raw.md.
//
// Reading: the virtual size is the file size, exactly (a size that is not a
// multiple of 512 is kept as is and reported by check(); other tools round it
// up or down). The allocation map comes from the file system's holes
// (File::next_data / File::next_hole): holes are "unallocated", everything
// else "data" (which may still hold zeros; the converter tests them). File
// systems without hole reporting make the whole file data, which is correct,
// only slower. Answers are treated as hints and clamped to the range asked
// for, so a confused file system cannot make a map go backwards or loop.
//
// Writing: the output starts empty; write() stores only the data runs of each
// chunk, so every zero run and every range the converter never delivers stays
// a hole, and finish() sets the exact size with truncate(). Chunks may arrive
// in any order. The granularity is 4 KiB, the block size of common file
// systems: a zero run smaller than a block would not become a hole anyway.
//
// Raw is never detected (probe is null): a raw disk's first sector belongs to
// the guest, which may write any header there (SECURITY.md R14). Opening as
// raw is always the user's explicit choice.
#include <algorithm>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/format.hpp>

namespace ovfkit::disk::formats {

namespace {

constexpr uint64_t k_granularity = k_page_granularity;

class RawReader final : public DiskReader {
public:
    explicit RawReader(std::unique_ptr<io::File> file) : m_file(std::move(file)) {}

    Result<void> open(const OpenPolicy& policy) {
        OVFKIT_TRY_ASSIGN(uint64_t size, m_file->size());
        if (size > policy.max_virtual_size) {
            return fail(Errc::refused, "{}: raw image of {} bytes exceeds the limit of {} bytes",
                        m_file->name(), size, policy.max_virtual_size);
        }
        m_info.format = "raw";
        m_info.virtual_size = size;
        m_info.files.push_back(m_file->name());
        uint64_t allocated = 0;
        for (uint64_t pos = 0; pos < size;) {
            OVFKIT_TRY_ASSIGN(auto run, next_run(pos, size));
            if (run.kind == ExtentKind::data) {
                allocated += run.length;
            }
            pos += run.length;
        }
        m_info.allocated_size = allocated;
        return {};
    }

    const DiskInfo& info() const override { return m_info; }

    Result<std::vector<Extent>> extents(uint64_t offset, uint64_t length) override {
        std::vector<Extent> map;
        uint64_t end = std::min(m_info.virtual_size, checked_add(offset, length).value_or(~0ull));
        for (uint64_t pos = offset; pos < end;) {
            OVFKIT_TRY_ASSIGN(Extent run, next_run(pos, end));
            append_extent(map, run);
            pos += run.length;
        }
        return map;
    }

    // pread on one descriptor, no cache: safe from several threads.
    bool concurrent_reads() const override { return true; }

    Result<void> check(Diagnostics& diag) override {
        if (m_info.virtual_size % 512 != 0) {
            diag.warning("RAW-SIZE",
                         fmt::format("size {} is not a multiple of 512 bytes; qemu rounds such a "
                                     "disk up, some hypervisors down",
                                     m_info.virtual_size),
                         m_file->name());
        }
        OVFKIT_TRY_ASSIGN(uint64_t now, m_file->size());
        if (now != m_info.virtual_size) {
            diag.error("RAW-CHANGED",
                       fmt::format("the file changed size from {} to {} bytes while open",
                                   m_info.virtual_size, now),
                       m_file->name());
        }
        return {};
    }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override {
        // The file may have shrunk since it was opened; read_exact says so.
        return io::read_exact(*m_file, out, offset);
    }

private:
    // The extent that starts at `pos` (< end): a hole up to the next data, or
    // data up to the next hole, clipped to `end`. Always at least one byte
    // long, whatever the file system answers.
    Result<Extent> next_run(uint64_t pos, uint64_t end) {
        OVFKIT_TRY_ASSIGN(uint64_t data, m_file->next_data(pos));
        if (data > pos) {
            return Extent{pos, std::min(data, end) - pos, ExtentKind::unallocated};
        }
        OVFKIT_TRY_ASSIGN(uint64_t hole, m_file->next_hole(pos));
        if (hole <= pos) {
            hole = end; // no usable answer: the rest is data
        }
        return Extent{pos, std::min(hole, end) - pos, ExtentKind::data};
    }

    std::unique_ptr<io::File> m_file;
    DiskInfo m_info;
};

class RawWriter final : public DiskWriter {
public:
    RawWriter(io::File& file, uint64_t size, bool dense)
        : m_file(file), m_size(size), m_dense(dense) {}

    WriterCaps capabilities() const override {
        // A dense output zeroes the gap before each write, so it takes the
        // chunks in order.
        return WriterCaps{.sequential_only = m_dense, .granularity = k_granularity};
    }

    Result<void> write(const Chunk& chunk) override {
        if (m_finished) {
            return fail(Errc::usage, "{}: raw writer: write after finish", m_file.name());
        }
        uint64_t chunk_end = chunk.offset + chunk.data.size();
        if (chunk_end < chunk.offset || chunk_end > m_size) {
            return fail(Errc::usage,
                        "{}: raw writer: chunk of {} bytes at offset {} lies beyond the virtual "
                        "size {}",
                        m_file.name(), chunk.data.size(), chunk.offset, m_size);
        }
        if (chunk.runs.empty()) {
            return put(chunk.data, chunk.offset);
        }
        for (const Extent& run : chunk.runs) {
            uint64_t b = std::max(run.offset, chunk.offset);
            uint64_t e = std::min(run.offset + run.length, chunk_end);
            if (run.kind != ExtentKind::data || b >= e) {
                continue;
            }
            OVFKIT_TRY(put(chunk.data.subspan(b - chunk.offset, e - b), b));
        }
        return {};
    }

    Result<void> finish() override {
        if (m_finished) {
            return fail(Errc::usage, "{}: raw writer: finish called twice", m_file.name());
        }
        m_finished = true;
        if (m_dense) {
            return zero_to(m_size); // a device keeps its size
        }
        return m_file.truncate(m_size);
    }

private:
    // Writes data; a dense output first gets explicit zeros over the gap
    // since the last write (the converter writes in ascending order).
    Result<void> put(std::span<const std::byte> data, uint64_t offset) {
        if (m_dense) {
            if (offset < m_written) {
                return fail(Errc::usage, "{}: raw writer: dense write at {} before offset {}",
                            m_file.name(), offset, m_written);
            }
            OVFKIT_TRY(zero_to(offset));
            m_written = offset + data.size();
        }
        return m_file.pwrite(data, offset);
    }
    // Writes zeros, never punches holes: a discarded range of a device need
    // not read back as zeros.
    Result<void> zero_to(uint64_t end) {
        if (end > m_written) {
            OVFKIT_TRY(m_file.io::File::write_zeroes(m_written, end - m_written));
            m_written = end;
        }
        return {};
    }

    io::File& m_file;
    uint64_t m_size;
    bool m_dense;
    uint64_t m_written = 0; // dense: everything below is written
    bool m_finished = false;
};

Result<std::unique_ptr<DiskReader>> open_raw(OpenContext& ctx) {
    if (!ctx.file) {
        return fail(Errc::usage, "raw: no file to open");
    }
    auto reader = std::make_unique<RawReader>(std::move(ctx.file));
    OVFKIT_TRY(reader->open(ctx.policy));
    return std::unique_ptr<DiskReader>(std::move(reader));
}

Result<std::unique_ptr<DiskWriter>> create_raw(CreateContext& ctx) {
    if (ctx.file == nullptr) {
        return fail(Errc::usage, "{}: raw: no output file", ctx.path);
    }
    // An output that already holds bytes would keep them in the ranges the
    // converter skips; start from an empty file. A dense output (a device)
    // is not truncated: the writer zeroes those ranges instead.
    if (!ctx.options.dense) {
        OVFKIT_TRY(ctx.file->truncate(0));
    }
    return std::unique_ptr<DiskWriter>(
        std::make_unique<RawWriter>(*ctx.file, ctx.options.virtual_size, ctx.options.dense));
}

} // namespace

// OVF disk format URIs: as oVirt/RHV and virt-v2v -o rhv write it
// (shared formats/ovf-ova.md 3.3).
constexpr std::string_view k_raw_uris[] = {
    "http://en.wikipedia.org/wiki/Byte",
};

extern const FormatDriver k_raw_driver{
    .name = "raw",
    .description = "Raw disk image (written sparse; never detected, name it with -f raw)",
    .family = "raw",
    .probe = nullptr,
    .open = open_raw,
    .create = create_raw,
    .max_virtual_size = 0,
    .supports_compression = false,
    .size_unit = 1,
    .ovf_uris = k_raw_uris,
    .cluster_sizes = {},
};

} // namespace ovfkit::disk::formats
