// What the three VMDK writers share: option checks, file naming, and the
// driver entry points that turn a CreateContext into a writer.
#include <cstring>
#include <random>

#include <ovfkit/disk/formats/vmdk/descriptor.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

// CIDs ffffffff and fffffffe have special meanings (no parent / never
// written); draw again when they come up, as open-vmdk does.
uint32_t random_cid() {
    std::random_device rd;
    uint32_t cid = 0;
    do {
        cid = rd();
    } while (cid >= 0xfffffffe);
    return cid;
}

VmdkWriteOptions defaults() {
    VmdkWriteOptions o;
    o.cid = random_cid();
    return o;
}

} // namespace

SparseHeader new_header(uint64_t capacity_sectors, uint64_t grain_sectors) {
    SparseHeader h{};
    h.magic = k_magic;
    h.capacity = capacity_sectors;
    h.grain_size = grain_sectors;
    h.descriptor_offset = 1;
    h.descriptor_size = k_descriptor_sectors;
    h.num_gtes_per_gt = k_gtes_per_gt;
    h.single_end_line_char = '\n';
    h.non_end_line_char = ' ';
    h.double_end_line_char1 = '\r';
    h.double_end_line_char2 = '\n';
    return h;
}

Result<std::vector<std::byte>> embedded_descriptor(const DescriptorSpec& spec) {
    std::string text = render_descriptor(spec);
    // At least one NUL must follow the text inside the area.
    if (text.size() >= k_descriptor_sectors * k_sector) {
        return fail(Errc::usage, "vmdk: descriptor of {} bytes does not fit in {} sectors",
                    text.size(), k_descriptor_sectors);
    }
    std::vector<std::byte> area(k_descriptor_sectors * k_sector);
    std::memcpy(area.data(), text.data(), text.size());
    return area;
}

Result<void> check_extent_name(std::string_view name) {
    if (auto ok = io::check_member_name(name); !ok) {
        return fail(Errc::usage, "vmdk: cannot name the extent in the descriptor: {}",
                    ok.error().message);
    }
    if (name.find('"') != std::string_view::npos) {
        return fail(Errc::usage, "vmdk: extent file name '{}' contains '\"'", name);
    }
    return {};
}

Result<void> check_write_options(const CreateOptions& create, const VmdkWriteOptions& vmdk) {
    if (create.virtual_size == 0 || create.virtual_size % 512 != 0) {
        return fail(Errc::usage, "vmdk: virtual size {} is not a positive multiple of 512 bytes",
                    create.virtual_size);
    }
    if (create.virtual_size > (uint64_t{1} << 49)) {
        return fail(Errc::usage, "vmdk: virtual size {} is larger than 512 TiB",
                    create.virtual_size);
    }
    const char* adapters[] = {"ide", "buslogic", "lsilogic", "legacyESX"};
    bool known = false;
    for (const char* a : adapters) {
        known = known || vmdk.adapter_type == a;
    }
    if (!known) {
        return fail(Errc::usage,
                    "vmdk: adapter type '{}' is not ide, buslogic, lsilogic or legacyESX",
                    vmdk.adapter_type);
    }
    if (vmdk.compression_level < 1 || vmdk.compression_level > 12) {
        return fail(Errc::usage, "vmdk: compression level {} is not between 1 and 12",
                    vmdk.compression_level);
    }
    return {};
}

Result<std::unique_ptr<DiskWriter>> create_stream(CreateContext& ctx) {
    return create_stream_writer(*ctx.file, std::string(base_name(ctx.path)), ctx.options,
                                defaults());
}

Result<std::unique_ptr<DiskWriter>> create_sparse(CreateContext& ctx) {
    return create_sparse_writer(*ctx.file, std::string(base_name(ctx.path)), ctx.options,
                                defaults());
}

Result<std::unique_ptr<DiskWriter>> create_flat(CreateContext& ctx) {
    if (ctx.outputs == nullptr) {
        return fail(Errc::usage, "{}: vmdk-flat needs a second output for its -flat extent",
                    ctx.path);
    }
    // "dir/disk.vmdk" -> extent "disk-flat.vmdk" beside it.
    std::string name = std::string(base_name(ctx.path));
    std::string stem = name;
    if (stem.size() > 5 && iequals(stem.substr(stem.size() - 5), ".vmdk")) {
        stem.resize(stem.size() - 5);
    }
    std::string flat_name = stem + "-flat.vmdk";
    std::string flat_path = ctx.path.substr(0, ctx.path.size() - name.size()) + flat_name;
    OVFKIT_TRY_ASSIGN(io::File * flat, ctx.outputs->create(flat_path));
    return create_flat_writer(*ctx.file, *flat, flat_name, ctx.options, defaults());
}

} // namespace ovfkit::disk::formats::vmdk
