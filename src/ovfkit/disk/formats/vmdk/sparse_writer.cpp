// monolithicSparse writer: the growable single-file VMDK of VMware
// Workstation, Fusion and VirtualBox.
//
// Layout (VMware's and qemu's, technical note "Hosted Sparse Extents"):
//
//   sector 0        header: version 1, flags 0x3 (newline check, redundant GD)
//   1..20           descriptor (createType "monolithicSparse"), NUL padded
//   21              redundant GD, then the redundant GTs (4 sectors each)
//   gdOffset        GD, then the primary GTs
//   overHead        the first grain (overHead rounded up to a grain)
//   ...             grains of 64 KiB, in allocation order
//
// Every GT is preallocated and every GD entry points at its GT, as VMware
// does; a GT without grains is left as a hole in the output file, which reads
// as zeros. Grains are allocated when first written; the converter writes in
// ascending order, so the file is ordered too, but any order works. All-zero
// grains are not allocated (GTE 0). Tables and the header are written by
// finish(): an unfinished file has no magic and cannot be mistaken for a
// complete disk.
#include <algorithm>
#include <array>
#include <cstring>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

constexpr uint64_t k_grain_sectors = 128;
constexpr uint64_t k_grain_bytes = k_grain_sectors * k_sector;
constexpr uint64_t k_gt_sectors = k_gt_bytes / k_sector;

class SparseWriter final : public DiskWriter {
public:
    SparseWriter(io::File& file, const CreateOptions& create)
        : m_file(file), m_capacity(create.virtual_size / k_sector) {
        m_grains = div_round_up(m_capacity, k_grain_sectors);
        m_num_gts = div_round_up(m_grains, k_gtes_per_gt);
        m_gd_sectors = div_round_up(m_num_gts * 4, k_sector);
        m_rgd_offset = 1 + k_descriptor_sectors;
        m_gd_offset = m_rgd_offset + m_gd_sectors + m_num_gts * k_gt_sectors;
        uint64_t end = m_gd_offset + m_gd_sectors + m_num_gts * k_gt_sectors;
        m_overhead = div_round_up(end, k_grain_sectors) * k_grain_sectors;
        m_next_sector = m_overhead;
        m_tables.resize(m_num_gts);
    }

    Result<void> start(const DescriptorSpec& spec) {
        OVFKIT_TRY_ASSIGN(m_descriptor, embedded_descriptor(spec));
        return {};
    }

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = false, .granularity = k_grain_bytes};
    }

    Result<void> write(const Chunk& chunk) override {
        if (m_finished) {
            return fail(Errc::usage, "{}: write after finish", m_file.name());
        }
        if (chunk.offset % k_grain_bytes != 0 ||
            chunk.offset + chunk.data.size() > m_capacity * k_sector) {
            return fail(Errc::usage, "{}: chunk at offset {} is unaligned or beyond the disk",
                        m_file.name(), chunk.offset);
        }
        std::vector<std::byte> padded;
        for (uint64_t in = 0; in < chunk.data.size(); in += k_grain_bytes) {
            uint64_t offset = chunk.offset + in;
            size_t n =
                static_cast<size_t>(std::min<uint64_t>(k_grain_bytes, chunk.data.size() - in));
            auto data = chunk.data.subspan(in, n);
            uint64_t grain = offset / k_grain_bytes;
            uint32_t& entry = gte(grain);
            bool zero = is_zero_grain(chunk, offset, data);
            if (zero && entry == 0) {
                continue; // unallocated already reads as zeros
            }
            if (entry == 0) {
                if (m_next_sector + k_grain_sectors > 0xffffffffu) {
                    return fail(Errc::invalid,
                                "{}: sparse VMDK grows beyond 2 TiB, the limit of its 32-bit "
                                "tables",
                                m_file.name());
                }
                entry = static_cast<uint32_t>(m_next_sector);
                m_next_sector += k_grain_sectors;
            }
            if (zero || n < k_grain_bytes) {
                padded.assign(k_grain_bytes, std::byte{0});
                if (!zero) {
                    std::memcpy(padded.data(), data.data(), n);
                }
                data = padded;
            }
            OVFKIT_TRY(m_file.pwrite(data, uint64_t{entry} * k_sector));
        }
        return {};
    }

    Result<void> finish() override {
        if (m_finished) {
            return fail(Errc::usage, "{}: finish called twice", m_file.name());
        }
        m_finished = true;
        // Both directories point at their preallocated tables.
        for (uint64_t copy = 0; copy < 2; ++copy) {
            uint64_t dir = copy == 0 ? m_rgd_offset : m_gd_offset;
            uint64_t first_gt = dir + m_gd_sectors;
            std::vector<le32> gd(m_gd_sectors * (k_sector / 4));
            for (uint64_t t = 0; t < m_num_gts; ++t) {
                gd[t] = static_cast<uint32_t>(first_gt + t * k_gt_sectors);
            }
            OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(gd)), dir * k_sector));
            for (uint64_t t = 0; t < m_num_gts; ++t) {
                if (!m_tables[t]) {
                    continue; // a hole: reads as an empty table
                }
                std::array<le32, k_gtes_per_gt> gt{};
                std::copy(m_tables[t]->begin(), m_tables[t]->end(), gt.begin());
                OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(gt)),
                                         (first_gt + t * k_gt_sectors) * k_sector));
            }
        }
        OVFKIT_TRY(m_file.pwrite(m_descriptor, k_sector));
        SparseHeader h = new_header(m_capacity, k_grain_sectors);
        h.version = 1;
        h.flags = k_flag_newline_check | k_flag_redundant_gd;
        h.rgd_offset = m_rgd_offset;
        h.gd_offset = m_gd_offset;
        h.overhead = m_overhead;
        // The file ends at the last grain, or at overHead when there is none
        // (qemu refuses sparse files shorter than their metadata).
        OVFKIT_TRY_ASSIGN(uint64_t size, m_file.size());
        if (size < m_next_sector * k_sector) {
            OVFKIT_TRY(m_file.truncate(m_next_sector * k_sector));
        }
        OVFKIT_TRY(m_file.pwrite(std::as_bytes(std::span(&h, 1)), 0));
        return {};
    }

private:
    using Table = std::array<uint32_t, k_gtes_per_gt>;

    uint32_t& gte(uint64_t grain) {
        auto& table = m_tables[grain / k_gtes_per_gt];
        if (!table) {
            table = std::make_unique<Table>();
            table->fill(0);
        }
        return (*table)[grain % k_gtes_per_gt];
    }

    static bool is_zero_grain(const Chunk& chunk, uint64_t offset,
                              std::span<const std::byte> data) {
        if (!chunk.runs.empty()) {
            uint64_t end = offset + data.size();
            bool overlaps_data = false;
            for (const Extent& run : chunk.runs) {
                if (run.kind == ExtentKind::data && run.offset < end &&
                    offset < run.offset + run.length) {
                    overlaps_data = true;
                }
            }
            if (!overlaps_data) {
                return true;
            }
        }
        return data.empty() || (data[0] == std::byte{0} &&
                                std::memcmp(data.data(), data.data() + 1, data.size() - 1) == 0);
    }

    io::File& m_file;
    uint64_t m_capacity; // sectors
    uint64_t m_grains = 0;
    uint64_t m_num_gts = 0;
    uint64_t m_gd_sectors = 0;
    uint64_t m_rgd_offset = 0;
    uint64_t m_gd_offset = 0;
    uint64_t m_overhead = 0;
    uint64_t m_next_sector = 0;
    std::vector<std::unique_ptr<Table>> m_tables;
    std::vector<std::byte> m_descriptor;
    bool m_finished = false;
};

} // namespace

Result<std::unique_ptr<DiskWriter>> create_sparse_writer(io::File& file, std::string file_name,
                                                         const CreateOptions& create,
                                                         const VmdkWriteOptions& vmdk) {
    OVFKIT_TRY(check_write_options(create, vmdk));
    if (create.virtual_size > (uint64_t{2} << 40)) {
        return fail(Errc::usage,
                    "vmdk: virtual size {} is larger than 2 TiB, the monolithicSparse limit",
                    create.virtual_size);
    }
    OVFKIT_TRY(check_extent_name(file_name));
    uint64_t capacity = create.virtual_size / k_sector;
    DescriptorSpec spec;
    spec.cid = vmdk.cid.value_or(0xfffffffe);
    spec.create_type = "monolithicSparse";
    spec.extents.push_back({Access::rw, capacity, ExtentType::sparse, std::move(file_name), 0, 0});
    spec.adapter_type = vmdk.adapter_type;
    spec.hw_version = vmdk.hw_version;
    spec.tools_version = vmdk.tools_version;
    spec.capacity_sectors = capacity;
    auto w = std::make_unique<SparseWriter>(file, create);
    OVFKIT_TRY(w->start(spec));
    return std::unique_ptr<DiskWriter>(std::move(w));
}

} // namespace ovfkit::disk::formats::vmdk
