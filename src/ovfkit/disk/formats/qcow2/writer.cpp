// QCOW2 v3 writer: a compact, self-contained image that `qemu-img check`
// accepts with no leaks and no errors.
//
// Layout (C = cluster size, default 64 KiB; refcount_order 4):
//
//   cluster 0             header (112 bytes, compat 1.1) + end-of-extensions marker
//   clusters 1..L         L1 table, sized from the virtual size
//   next R clusters       refcount table, sized for the worst case up front
//   ...                   data clusters in guest order; after the last data cluster
//                         of an L2 range, that range's L2 table
//   tail                  refcount blocks, written by finish()
//
// The converter delivers chunks in ascending guest order, so data clusters are
// appended sequentially and only one L2 table is held in memory. The L1 and
// refcount table sizes depend only on the virtual size; the number of L2
// tables and refcount blocks depends on what is allocated, so refcount blocks
// go last and count themselves (a fixed point). Refcounts are kept as runs.
//
// Zero clusters (the converter's zero runs) stay unallocated: there is no
// backing file, so they read as zeros. With CreateOptions::compress, encode()
// deflates each cluster on worker threads (libdeflate, raw deflate, the
// stream framing qemu calls "zlib"); a cluster is kept compressed only when
// the stream is at least one byte shorter than the cluster (qemu's rule).
// write() packs compressed streams byte after byte, across host cluster
// boundaries like qemu's qcow2_alloc_bytes(); several streams may then share
// a host cluster, whose refcount is the number of streams touching it.
// The virtual size is rounded up to a multiple of 512 (qemu ignores a partial
// last sector).
#include <algorithm>
#include <cstring>

#include <libdeflate.h>

#include <ovfkit/base/bytes.hpp>
#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/qcow2/internal.hpp>

namespace ovfkit::disk::formats::qcow2 {

namespace {

constexpr uint32_t k_default_cluster_bits = 16;
constexpr uint32_t k_refcount_order = 4;
constexpr uint64_t k_refcount_max = 0xFFFF;
constexpr int k_deflate_level = 6; // qemu's zlib default; libdeflate's 6 is faster and smaller

struct CompressorDeleter {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// One compressor per worker thread: compressors are not thread-safe, and
// allocating one per cluster would dominate the cost.
libdeflate_compressor* thread_compressor() {
    thread_local std::unique_ptr<libdeflate_compressor, CompressorDeleter> t_compressor(
        libdeflate_alloc_compressor(k_deflate_level));
    return t_compressor.get();
}

// encode() output: per cluster of the chunk, the compressed stream, or empty
// when the cluster is stored as is (or not stored at all).
struct Encoded final : EncodedChunk {
    std::vector<std::vector<std::byte>> streams;
    std::vector<uint8_t> zero; // all-zero cluster found while compressing
};

class Writer final : public DiskWriter {
public:
    Writer(io::File& file, uint32_t cluster_bits, uint64_t size, bool compress)
        : m_file(file), m_cluster_bits(cluster_bits), m_c(uint64_t{1} << cluster_bits),
          m_size(size), m_compress(compress), m_l2_entries(m_c / 8),
          m_comp(CompressedLayout::for_cluster_bits(cluster_bits)) {}

    Result<void> init() {
        const uint64_t data_clusters = div_round_up(m_size, m_c);
        m_l1.assign(static_cast<size_t>(div_round_up(data_clusters, m_l2_entries)), 0);
        m_l1_clusters = div_round_up(m_l1.size() * 8, m_c);
        // Worst case of host clusters: every data cluster stored (compressed
        // packing can add one partial cluster per realignment, bounded by
        // twice the count), every L2 table, the metadata and refcount blocks.
        const uint64_t per_block = m_c * 8 / (uint64_t{1} << k_refcount_order);
        const uint64_t fixed = 1 + m_l1_clusters + m_l1.size() + 2 * data_clusters + 2;
        uint64_t rt = 1;
        uint64_t rb = 0;
        for (;;) {
            uint64_t total = fixed + rt + rb;
            uint64_t need_rb = div_round_up(total, per_block);
            uint64_t need_rt = div_round_up(need_rb * 8, m_c);
            if (need_rb <= rb && need_rt <= rt) {
                break;
            }
            rb = std::max(rb, need_rb);
            rt = std::max(rt, need_rt);
        }
        m_rt_clusters = rt;
        if (uint64_t{m_rt_clusters} * m_c > k_max_reftable_bytes) {
            return fail(Errc::usage,
                        "{}: qcow2: virtual size {} needs a refcount table larger than 8 MiB "
                        "with {}-byte clusters; use larger clusters",
                        m_file.name(), m_size, m_c);
        }
        m_l1_offset = m_c;
        m_rt_offset = (1 + m_l1_clusters) * m_c;
        m_end = (1 + m_l1_clusters + m_rt_clusters) * m_c;
        add_refs(0, m_end >> m_cluster_bits);
        m_l2.assign(static_cast<size_t>(m_l2_entries), 0);
        return {};
    }

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = true, .granularity = m_c};
    }

    Result<void> encode(Chunk& chunk) const override {
        if (!m_compress) {
            return {};
        }
        auto enc = std::make_unique<Encoded>();
        const size_t n = static_cast<size_t>(div_round_up(chunk.data.size(), m_c));
        enc->streams.resize(n);
        enc->zero.assign(n, 0);
        std::vector<std::byte> padded;
        libdeflate_compressor* comp = thread_compressor();
        if (comp == nullptr) {
            return fail(Errc::io, "{}: out of memory for the deflate compressor", m_file.name());
        }
        for (size_t i = 0; i < n; ++i) {
            uint64_t off = i * m_c;
            if (!is_data(chunk, chunk.offset + off)) {
                continue;
            }
            auto src = chunk.data.subspan(
                static_cast<size_t>(off),
                static_cast<size_t>(std::min<uint64_t>(m_c, chunk.data.size() - off)));
            if (is_all_zero(src)) {
                enc->zero[i] = 1;
                continue;
            }
            if (src.size() < m_c) {
                // A partial last cluster is zero-padded before compression.
                padded.assign(static_cast<size_t>(m_c), std::byte{0});
                std::memcpy(padded.data(), src.data(), src.size());
                src = padded;
            }
            std::vector<std::byte> out(static_cast<size_t>(m_c - 1));
            size_t len =
                libdeflate_deflate_compress(comp, src.data(), src.size(), out.data(), out.size());
            if (len > 0) {
                out.resize(len);
                enc->streams[i] = std::move(out);
            }
        }
        chunk.encoded = std::move(enc);
        return {};
    }

    Result<void> write(const Chunk& chunk) override {
        if (chunk.offset % m_c != 0 || chunk.offset < m_next_guest || chunk.offset > m_size ||
            chunk.data.size() > m_size - chunk.offset) {
            return fail(Errc::usage,
                        "{}: qcow2 writer: chunk of {} bytes at {} is unaligned, out of order or "
                        "beyond the virtual size {}",
                        m_file.name(), chunk.data.size(), chunk.offset, m_size);
        }
        const Encoded* enc = dynamic_cast<const Encoded*>(chunk.encoded.get());
        if (m_compress && enc == nullptr) {
            // Called without encode(): compress here, serially.
            Chunk copy{chunk.offset, chunk.data, chunk.runs, nullptr};
            OVFKIT_TRY(encode(copy));
            return write_clusters(copy, dynamic_cast<const Encoded*>(copy.encoded.get()));
        }
        return write_clusters(chunk, enc);
    }

    Result<void> finish() override {
        OVFKIT_TRY(flush_l2());
        m_end = align(m_end);
        // Refcount blocks at the end count themselves: find the fixed point.
        const uint64_t per_block = m_c * 8 / (uint64_t{1} << k_refcount_order);
        const uint64_t data_end = m_end >> m_cluster_bits;
        uint64_t rb = 0;
        while (div_round_up(data_end + rb, per_block) > rb) {
            rb = div_round_up(data_end + rb, per_block);
        }
        if (rb * 8 > uint64_t{m_rt_clusters} * m_c) {
            return fail(Errc::invalid, "{}: qcow2 writer: refcount table too small ({} blocks)",
                        m_file.name(), rb);
        }
        add_refs(data_end, rb);
        const uint64_t rb_offset = m_end;

        // Refcount blocks, from the runs.
        std::vector<be16> block(static_cast<size_t>(per_block));
        size_t run = 0;
        for (uint64_t b = 0; b < rb; ++b) {
            std::fill(block.begin(), block.end(), be16(0));
            const uint64_t first = b * per_block;
            const uint64_t last = first + per_block;
            while (run < m_runs.size() && m_runs[run].first + m_runs[run].count <= first) {
                ++run;
            }
            for (size_t r = run; r < m_runs.size() && m_runs[r].first < last; ++r) {
                uint64_t lo = std::max(first, m_runs[r].first);
                uint64_t hi = std::min(last, m_runs[r].first + m_runs[r].count);
                for (uint64_t k = lo; k < hi; ++k) {
                    block[static_cast<size_t>(k - first)] = static_cast<uint16_t>(m_runs[r].value);
                }
            }
            OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(block)), rb_offset + b * m_c));
        }

        // Refcount table.
        std::vector<be64> rt(static_cast<size_t>(m_rt_clusters * m_c / 8));
        for (uint64_t b = 0; b < rb; ++b) {
            rt[static_cast<size_t>(b)] = rb_offset + b * m_c;
        }
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(rt)), m_rt_offset));

        // L1 table, padded to whole clusters.
        std::vector<be64> l1(static_cast<size_t>(m_l1_clusters * m_c / 8));
        for (size_t i = 0; i < m_l1.size(); ++i) {
            l1[i] = m_l1[i];
        }
        if (!l1.empty()) {
            OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(l1)), m_l1_offset));
        }

        // Header last: until here the file is not a valid image.
        std::vector<std::byte> c0(static_cast<size_t>(std::min<uint64_t>(m_c, 4096)));
        HeaderV3Full h{};
        h.v3.v2.magic = k_magic;
        h.v3.v2.version = 3;
        h.v3.v2.cluster_bits = m_cluster_bits;
        h.v3.v2.size = m_size;
        h.v3.v2.l1_size = static_cast<uint32_t>(m_l1.size());
        h.v3.v2.l1_table_offset = m_l1_offset;
        h.v3.v2.refcount_table_offset = m_rt_offset;
        h.v3.v2.refcount_table_clusters = static_cast<uint32_t>(m_rt_clusters);
        h.v3.refcount_order = k_refcount_order;
        h.v3.header_length = sizeof(HeaderV3Full);
        h.compression_type = k_compression_zlib;
        std::memcpy(c0.data(), &h, sizeof h);
        // The end-of-extensions marker (type 0, length 0) follows: zeros.
        OVFKIT_TRY(m_file.pwrite(c0, 0));
        return {};
    }

private:
    struct RefRun {
        uint64_t first;
        uint64_t count;
        uint64_t value;
    };

    uint64_t align(uint64_t v) const { return (v + m_c - 1) & ~(m_c - 1); }

    bool is_data(const Chunk& chunk, uint64_t cluster_off) const {
        if (chunk.runs.empty()) {
            return true;
        }
        const uint64_t end = cluster_off + m_c;
        for (const auto& r : chunk.runs) {
            if (r.kind == ExtentKind::data && r.offset < end && r.offset + r.length > cluster_off) {
                return true;
            }
        }
        return false;
    }

    // Adds one reference to each of `count` host clusters from `first`, which
    // is never below the last cluster referenced so far.
    void add_refs(uint64_t first, uint64_t count) {
        for (uint64_t c = first; c < first + count;) {
            if (!m_runs.empty()) {
                RefRun& last = m_runs.back();
                uint64_t last_cluster = last.first + last.count - 1;
                if (c == last_cluster) {
                    if (last.count == 1) {
                        ++last.value;
                    } else {
                        --last.count;
                        m_runs.push_back({c, 1, last.value + 1});
                    }
                    ++c;
                    continue;
                }
                if (c == last_cluster + 1 && last.value == 1) {
                    uint64_t n = first + count - c;
                    last.count += n;
                    c += n;
                    continue;
                }
            }
            m_runs.push_back({c, 1, 1});
            ++c;
        }
    }

    uint64_t refcount_of(uint64_t cluster) const {
        if (!m_runs.empty() && m_runs.back().first <= cluster &&
            cluster < m_runs.back().first + m_runs.back().count) {
            return m_runs.back().value;
        }
        return 0;
    }

    // Appends the current L2 table and points its L1 entry at it.
    Result<void> flush_l2() {
        if (m_l2_index == UINT64_MAX) {
            return {};
        }
        m_end = align(m_end);
        std::vector<be64> raw(m_l2.begin(), m_l2.end());
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(raw)), m_end));
        m_l1[static_cast<size_t>(m_l2_index)] = m_end | k_oflag_copied;
        add_refs(m_end >> m_cluster_bits, 1);
        m_end += m_c;
        std::fill(m_l2.begin(), m_l2.end(), 0);
        m_l2_index = UINT64_MAX;
        return {};
    }

    Result<void> select_l2(uint64_t guest_cluster) {
        uint64_t l1_index = guest_cluster / m_l2_entries;
        if (l1_index != m_l2_index) {
            OVFKIT_TRY(flush_l2());
            m_l2_index = l1_index;
        }
        return {};
    }

    // Writes pending normal clusters [m_pending_first, +m_pending_n) in one call.
    Result<void> flush_pending(const Chunk& chunk) {
        if (m_pending_n == 0) {
            return {};
        }
        const uint64_t rel = m_pending_first * m_c - chunk.offset;
        const uint64_t bytes = m_pending_n * m_c;
        const uint64_t avail = std::min<uint64_t>(bytes, chunk.data.size() - rel);
        OVFKIT_TRY(m_file.pwrite(
            chunk.data.subspan(static_cast<size_t>(rel), static_cast<size_t>(avail)), m_end));
        if (avail < bytes) {
            // The partial last cluster of the disk: pad it so that the host
            // cluster is whole (qemu-img check wants no reference past EOF).
            std::vector<std::byte> pad(static_cast<size_t>(bytes - avail));
            OVFKIT_TRY(m_file.pwrite(pad, m_end + avail));
        }
        for (uint64_t i = 0; i < m_pending_n; ++i) {
            uint64_t gc = m_pending_first + i;
            m_l2[static_cast<size_t>(gc % m_l2_entries)] = (m_end + i * m_c) | k_oflag_copied;
        }
        add_refs(m_end >> m_cluster_bits, m_pending_n);
        m_end += bytes;
        m_pending_n = 0;
        return {};
    }

    Result<void> write_compressed(uint64_t guest_cluster, std::span<const std::byte> stream) {
        uint64_t coff = m_end;
        uint64_t first = coff >> m_cluster_bits;
        // A host cluster shared by too many streams would overflow its
        // 16-bit refcount: start a fresh one.
        if (coff % m_c != 0 && refcount_of(first) >= k_refcount_max) {
            coff = align(coff);
            first = coff >> m_cluster_bits;
        }
        const uint64_t len = stream.size();
        const uint64_t nadd = ((coff + len - 1) >> 9) - (coff >> 9);
        if (coff > m_comp.offset_mask || nadd > m_comp.sectors_mask) {
            return fail(Errc::invalid,
                        "{}: qcow2 writer: compressed cluster at {:#x} ({} bytes) cannot be "
                        "described",
                        m_file.name(), coff, len);
        }
        OVFKIT_TRY(m_file.pwrite(stream, coff));
        m_l2[static_cast<size_t>(guest_cluster % m_l2_entries)] =
            k_oflag_compressed | (nadd << m_comp.shift) | coff;
        const uint64_t last = (coff + len - 1) >> m_cluster_bits;
        add_refs(first, last - first + 1);
        m_end = coff + len;
        return {};
    }

    Result<void> write_clusters(const Chunk& chunk, const Encoded* enc) {
        const uint64_t n = div_round_up(chunk.data.size(), m_c);
        m_pending_n = 0;
        for (uint64_t i = 0; i < n; ++i) {
            const uint64_t gc = chunk.offset / m_c + i;
            const bool stored = is_data(chunk, gc * m_c) && !(enc && enc->zero[i] != 0);
            const bool compressed = stored && enc && !enc->streams[i].empty();
            bool contiguous =
                m_pending_n > 0 && m_pending_first + m_pending_n == gc && gc % m_l2_entries != 0;
            if (!stored || compressed || !contiguous) {
                OVFKIT_TRY(flush_pending(chunk));
            }
            if (!stored) {
                continue;
            }
            OVFKIT_TRY(select_l2(gc));
            if (compressed) {
                OVFKIT_TRY(write_compressed(gc, enc->streams[i]));
                continue;
            }
            if (m_pending_n == 0) {
                m_end = align(m_end);
                m_pending_first = gc;
            }
            ++m_pending_n;
        }
        OVFKIT_TRY(flush_pending(chunk));
        m_next_guest = chunk.offset + n * m_c;
        return {};
    }

    io::File& m_file;
    uint32_t m_cluster_bits;
    uint64_t m_c;
    uint64_t m_size;
    bool m_compress;
    uint64_t m_l2_entries;
    CompressedLayout m_comp;
    std::vector<uint64_t> m_l1;
    uint64_t m_l1_clusters = 0;
    uint64_t m_rt_clusters = 0;
    uint64_t m_l1_offset = 0;
    uint64_t m_rt_offset = 0;
    uint64_t m_end = 0; // next free byte of the file
    std::vector<uint64_t> m_l2;
    uint64_t m_l2_index = UINT64_MAX;
    uint64_t m_next_guest = 0;
    uint64_t m_pending_first = 0;
    uint64_t m_pending_n = 0;
    std::vector<RefRun> m_runs;
};

} // namespace

Result<std::unique_ptr<DiskWriter>> create_writer(CreateContext& ctx) {
    if (ctx.file == nullptr) {
        return fail(Errc::usage, "qcow2: no output file");
    }
    const CreateOptions& o = ctx.options;
    uint32_t bits = k_default_cluster_bits;
    if (o.cluster_size != 0) {
        // A power of two from 512 to 2 MiB (k_qcow2_driver.cluster_sizes,
        // checked by create_image).
        bits = static_cast<uint32_t>(__builtin_ctzll(o.cluster_size));
    }
    auto size = align_up(o.virtual_size, 512);
    if (!size || *size > (uint64_t{1} << 62)) {
        return fail(Errc::usage, "{}: qcow2: virtual size {} is too large", ctx.file->name(),
                    o.virtual_size);
    }
    const uint64_t c = uint64_t{1} << bits;
    if (div_round_up(div_round_up(*size, c), c / 8) * 8 > k_max_l1_bytes) {
        return fail(Errc::usage,
                    "{}: qcow2: virtual size {} needs an L1 table larger than 32 MiB with "
                    "{}-byte clusters; use larger clusters",
                    ctx.file->name(), *size, c);
    }
    auto w = std::make_unique<Writer>(*ctx.file, bits, *size, o.compress);
    OVFKIT_TRY(w->init());
    return std::unique_ptr<DiskWriter>(std::move(w));
}

} // namespace ovfkit::disk::formats::qcow2
