// monolithicFlat writer: a text descriptor plus one raw extent file.
//
//   disk.vmdk        # Disk DescriptorFile ... createType="monolithicFlat"
//                    RW <sectors> FLAT "disk-flat.vmdk" 0
//   disk-flat.vmdk   the guest bytes, exactly <sectors> x 512 bytes long
//
// The extent is named by a single relative component so the pair can be
// moved together (and so ovfkit's own reader accepts it). Ranges the
// converter reports as zero are not written: the extent file is sized with
// truncate() and keeps them as holes. The descriptor is written by finish().
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

class FlatWriter final : public DiskWriter {
public:
    FlatWriter(io::File& descriptor, io::File& flat, std::string text, uint64_t size)
        : m_descriptor(descriptor), m_flat(flat), m_text(std::move(text)), m_size(size) {}

    WriterCaps capabilities() const override {
        return WriterCaps{.sequential_only = false, .granularity = k_page_granularity};
    }

    Result<void> write(const Chunk& chunk) override {
        if (m_finished) {
            return fail(Errc::usage, "{}: write after finish", m_flat.name());
        }
        if (chunk.offset + chunk.data.size() > m_size) {
            return fail(Errc::usage, "{}: chunk at offset {} lies beyond the disk", m_flat.name(),
                        chunk.offset);
        }
        if (chunk.runs.empty()) {
            return m_flat.pwrite(chunk.data, chunk.offset);
        }
        for (const Extent& run : chunk.runs) {
            if (run.kind != ExtentKind::data || run.offset < chunk.offset ||
                run.offset + run.length > chunk.offset + chunk.data.size()) {
                continue;
            }
            OVFKIT_TRY(m_flat.pwrite(chunk.data.subspan(run.offset - chunk.offset, run.length),
                                     run.offset));
        }
        return {};
    }

    Result<void> finish() override {
        if (m_finished) {
            return fail(Errc::usage, "{}: finish called twice", m_flat.name());
        }
        m_finished = true;
        OVFKIT_TRY(m_flat.truncate(m_size));
        OVFKIT_TRY(m_descriptor.truncate(0));
        return m_descriptor.pwrite(std::as_bytes(std::span(m_text)), 0);
    }

private:
    io::File& m_descriptor;
    io::File& m_flat;
    std::string m_text;
    uint64_t m_size;
    bool m_finished = false;
};

} // namespace

Result<std::unique_ptr<DiskWriter>> create_flat_writer(io::File& descriptor, io::File& flat,
                                                       std::string flat_name,
                                                       const CreateOptions& create,
                                                       const VmdkWriteOptions& vmdk) {
    OVFKIT_TRY(check_write_options(create, vmdk));
    OVFKIT_TRY(check_extent_name(flat_name));
    uint64_t capacity = create.virtual_size / k_sector;
    DescriptorSpec spec;
    spec.cid = vmdk.cid.value_or(0xfffffffe);
    spec.create_type = "monolithicFlat";
    spec.extents.push_back({Access::rw, capacity, ExtentType::flat, std::move(flat_name), 0, 0});
    spec.adapter_type = vmdk.adapter_type;
    spec.hw_version = vmdk.hw_version;
    spec.tools_version = vmdk.tools_version;
    spec.capacity_sectors = capacity;
    return std::unique_ptr<DiskWriter>(std::make_unique<FlatWriter>(
        descriptor, flat, render_descriptor(spec), create.virtual_size));
}

} // namespace ovfkit::disk::formats::vmdk
