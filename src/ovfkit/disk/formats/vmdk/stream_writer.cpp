// streamOptimized writer: the disk format of OVF/OVA packages for vSphere.
//
// Layout (technical note "Stream-Optimized Compressed Sparse Extents",
// docs/disk-formats/vmdk.md "Layout of a stream file"), written strictly
// front to back so it can go straight into a tar stream:
//
//   sector 0      header: version 3, flags 0x30001, gdOffset = GD_AT_END
//   1..20         descriptor (createType "streamOptimized"), NUL padded
//   21..127       zeros; overHead = 128, the first grain marker
//   per grain     marker {lba, size} + one zlib stream + zero padding to a
//                 sector; all-zero grains are not written (GTE 0)
//   per GT        after the last grain it covers: GT marker (4 sectors,
//                 type 1) + 512 GTEs; GTs without grains are left out
//   GD            GD marker (type 2) + numGTs entries, zero padded
//   footer        footer marker (type 3) + the header with the real gdOffset
//   EOS           one zero sector
//
// Each grain is a zlib (RFC 1950) stream: the technical note says RFC 1951,
// but VMware, qemu, VirtualBox and open-vmdk all read and write zlib framing.
// A short last grain is compressed padded to a whole grain. Compression runs
// in encode() on worker threads with one libdeflate compressor per thread;
// write() only appends, so the output is byte-identical for any thread count.
#include <algorithm>
#include <cstring>

#include <libdeflate.h>

#include <ovfkit/base/bytes.hpp>
#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

constexpr uint64_t k_grain_sectors = 128;
constexpr uint64_t k_grain_bytes = k_grain_sectors * k_sector;
constexpr uint64_t k_overhead_sectors = 128;

// One compressor per worker thread: libdeflate compressors are not
// thread-safe, and allocating one per grain would dominate the cost.
class ThreadCompressor {
public:
    ~ThreadCompressor() {
        if (m_c != nullptr) {
            libdeflate_free_compressor(m_c);
        }
    }
    libdeflate_compressor* get(int level) {
        if (m_c == nullptr || m_level != level) {
            if (m_c != nullptr) {
                libdeflate_free_compressor(m_c);
            }
            m_c = libdeflate_alloc_compressor(level);
            m_level = level;
        }
        return m_c;
    }

private:
    libdeflate_compressor* m_c = nullptr;
    int m_level = 0;
};

thread_local ThreadCompressor t_compressor;

struct StreamGrains final : EncodedChunk {
    // Marker-framed, sector-padded grains, back to back.
    std::vector<std::byte> bytes;
    // (grain index, byte offset of its marker in `bytes`)
    std::vector<std::pair<uint64_t, uint64_t>> grains;
};

// True when [offset, offset+length) (guest bytes) lies in zero runs only.
bool covered_by_zero_runs(const Chunk& chunk, uint64_t offset, uint64_t length) {
    uint64_t end = offset + length;
    for (const Extent& run : chunk.runs) {
        if (run.kind == ExtentKind::data && run.offset < end && offset < run.offset + run.length) {
            return false;
        }
    }
    return !chunk.runs.empty();
}

class StreamWriter final : public DiskWriter {
public:
    StreamWriter(io::File& file, const CreateOptions& create, const VmdkWriteOptions& vmdk)
        : m_file(file), m_capacity(create.virtual_size / k_sector),
          m_level(vmdk.compression_level) {
        m_grains = div_round_up(m_capacity, k_grain_sectors);
        m_num_gts = div_round_up(m_grains, k_gtes_per_gt);
        m_gd.assign(m_num_gts, 0);
        m_gt.assign(k_gtes_per_gt, 0);
    }

    Result<void> start(const DescriptorSpec& spec) {
        OVFKIT_TRY_ASSIGN(auto area, embedded_descriptor(spec));
        std::vector<std::byte> head(k_overhead_sectors * k_sector);
        SparseHeader h = header(k_gd_at_end);
        std::memcpy(head.data(), &h, sizeof h);
        std::memcpy(head.data() + k_sector, area.data(), area.size());
        OVFKIT_TRY(m_file.pwrite(head, 0));
        m_pos = head.size();
        return {};
    }

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = true, .granularity = k_grain_bytes};
    }

    Result<void> encode(Chunk& chunk) const override {
        auto out = std::make_unique<StreamGrains>();
        libdeflate_compressor* c = t_compressor.get(m_level);
        if (c == nullptr) {
            return fail(Errc::io, "{}: out of memory allocating a compressor", m_file.name());
        }
        std::vector<std::byte> padded;
        size_t bound = libdeflate_zlib_compress_bound(c, k_grain_bytes);
        for (uint64_t in = 0; in < chunk.data.size(); in += k_grain_bytes) {
            uint64_t offset = chunk.offset + in;
            size_t n =
                static_cast<size_t>(std::min<uint64_t>(k_grain_bytes, chunk.data.size() - in));
            auto data = chunk.data.subspan(in, n);
            if (covered_by_zero_runs(chunk, offset, n) || is_all_zero(data)) {
                continue;
            }
            if (n < k_grain_bytes) {
                padded.assign(k_grain_bytes, std::byte{0});
                std::memcpy(padded.data(), data.data(), n);
                data = padded;
            }
            uint64_t at = out->bytes.size();
            out->bytes.resize(at + sizeof(GrainMarker) + bound);
            size_t size = libdeflate_zlib_compress(
                c, data.data(), data.size(), out->bytes.data() + at + sizeof(GrainMarker), bound);
            if (size == 0) {
                return fail(Errc::io, "{}: compressing the grain at guest offset {} failed",
                            m_file.name(), offset);
            }
            GrainMarker marker{};
            marker.lba = offset / k_sector;
            marker.size = static_cast<uint32_t>(size);
            std::memcpy(out->bytes.data() + at, &marker, sizeof marker);
            uint64_t framed = div_round_up(sizeof(GrainMarker) + size, k_sector) * k_sector;
            out->bytes.resize(at + framed); // padding bytes are zero: resize value-initialises
            std::fill(out->bytes.begin() + static_cast<ptrdiff_t>(at + sizeof(GrainMarker) + size),
                      out->bytes.end(), std::byte{0});
            out->grains.emplace_back(offset / k_grain_bytes, at);
        }
        chunk.encoded = std::move(out);
        return {};
    }

    Result<void> write(const Chunk& chunk) override {
        if (m_finished) {
            return fail(Errc::usage, "{}: write after finish", m_file.name());
        }
        if (chunk.offset < m_next || chunk.offset % k_grain_bytes != 0 ||
            chunk.offset + chunk.data.size() > m_capacity * k_sector) {
            return fail(Errc::usage,
                        "{}: stream VMDK chunk at offset {} is out of order, unaligned or beyond "
                        "the disk",
                        m_file.name(), chunk.offset);
        }
        const StreamGrains* grains = dynamic_cast<const StreamGrains*>(chunk.encoded.get());
        Chunk local;
        if (grains == nullptr) {
            // Called without encode() (tests, single-threaded callers).
            local.offset = chunk.offset;
            local.data = chunk.data;
            local.runs = chunk.runs;
            OVFKIT_TRY(encode(local));
            grains = static_cast<const StreamGrains*>(local.encoded.get());
        }
        m_next = chunk.offset + chunk.data.size();
        for (size_t i = 0; i < grains->grains.size(); ++i) {
            auto [grain, at] = grains->grains[i];
            uint64_t end =
                i + 1 < grains->grains.size() ? grains->grains[i + 1].second : grains->bytes.size();
            uint64_t t = grain / k_gtes_per_gt;
            if (static_cast<int64_t>(t) != m_current_gt) {
                OVFKIT_TRY(flush_gt());
                m_current_gt = static_cast<int64_t>(t);
            }
            OVFKIT_TRY_ASSIGN(uint32_t sector, sector_of(m_pos));
            m_gt[grain % k_gtes_per_gt] = sector;
            OVFKIT_TRY(m_file.pwrite(std::span(grains->bytes).subspan(at, end - at), m_pos));
            m_pos += end - at;
        }
        return {};
    }

    Result<void> finish() override {
        if (m_finished) {
            return fail(Errc::usage, "{}: finish called twice", m_file.name());
        }
        m_finished = true;
        OVFKIT_TRY(flush_gt());
        uint64_t gd_sectors = div_round_up(m_num_gts * 4, k_sector);
        OVFKIT_TRY(put_marker(gd_sectors, MarkerType::gd));
        uint64_t gd_sector = m_pos / k_sector;
        std::vector<le32> gd(gd_sectors * (k_sector / 4));
        std::copy(m_gd.begin(), m_gd.end(), gd.begin());
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(gd)), m_pos));
        m_pos += gd_sectors * k_sector;
        OVFKIT_TRY(put_marker(1, MarkerType::footer));
        SparseHeader footer = header(gd_sector);
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(&footer, 1)), m_pos));
        m_pos += k_sector;
        OVFKIT_TRY(put_marker(0, MarkerType::eos));
        return {};
    }

private:
    SparseHeader header(uint64_t gd_offset) const {
        SparseHeader h = new_header(m_capacity, k_grain_sectors);
        h.version = 3;
        h.flags = k_flag_newline_check | k_flag_compressed | k_flag_markers;
        h.gd_offset = gd_offset;
        h.overhead = k_overhead_sectors;
        h.compress_algorithm = k_compress_deflate;
        return h;
    }

    Result<uint32_t> sector_of(uint64_t pos) const {
        if (pos / k_sector > 0xffffffffu) {
            return fail(Errc::invalid,
                        "{}: stream VMDK grows beyond 2 TiB, the limit of its 32-bit tables",
                        m_file.name());
        }
        return static_cast<uint32_t>(pos / k_sector);
    }

    Result<void> put_marker(uint64_t num_sectors, MarkerType type) {
        MetadataMarker m{};
        m.num_sectors = num_sectors;
        m.type = static_cast<uint32_t>(type);
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(&m, 1)), m_pos));
        m_pos += k_sector;
        return {};
    }

    // Writes the grain table of m_current_gt if it has any grain.
    Result<void> flush_gt() {
        if (m_current_gt < 0) {
            return {};
        }
        if (std::any_of(m_gt.begin(), m_gt.end(), [](uint32_t v) { return v != 0; })) {
            OVFKIT_TRY(put_marker(k_gt_bytes / k_sector, MarkerType::gt));
            OVFKIT_TRY_ASSIGN(uint32_t sector, sector_of(m_pos));
            m_gd[static_cast<uint64_t>(m_current_gt)] = sector;
            std::vector<le32> gt(m_gt.begin(), m_gt.end());
            OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(gt)), m_pos));
            m_pos += k_gt_bytes;
        }
        std::fill(m_gt.begin(), m_gt.end(), 0);
        m_current_gt = -1;
        return {};
    }

    io::File& m_file;
    uint64_t m_capacity; // sectors
    int m_level;
    uint64_t m_grains = 0;
    uint64_t m_num_gts = 0;
    uint64_t m_pos = 0;  // where the next block goes
    uint64_t m_next = 0; // lowest guest offset the next chunk may have
    int64_t m_current_gt = -1;
    std::vector<uint32_t> m_gt;
    std::vector<uint32_t> m_gd;
    bool m_finished = false;
};

} // namespace

Result<std::unique_ptr<DiskWriter>> create_stream_writer(io::File& file, std::string file_name,
                                                         const CreateOptions& create,
                                                         const VmdkWriteOptions& vmdk) {
    OVFKIT_TRY(check_write_options(create, vmdk));
    uint64_t capacity = create.virtual_size / k_sector;
    DescriptorSpec spec;
    spec.cid = vmdk.cid.value_or(0xfffffffe);
    spec.create_type = "streamOptimized";
    spec.extents.push_back({Access::rw, capacity, ExtentType::sparse, std::move(file_name), 0, 0});
    spec.adapter_type = vmdk.adapter_type;
    spec.hw_version = vmdk.hw_version;
    spec.tools_version = vmdk.tools_version;
    spec.capacity_sectors = capacity;
    OVFKIT_TRY(check_extent_name(spec.extents.front().file_name));
    auto w = std::make_unique<StreamWriter>(file, create, vmdk);
    OVFKIT_TRY(w->start(spec));
    return std::unique_ptr<DiskWriter>(std::move(w));
}

} // namespace ovfkit::disk::formats::vmdk
