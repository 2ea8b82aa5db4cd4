// The VMDK writers: streamOptimized, monolithicSparse and monolithicFlat.
//
// The drivers in reader.cpp create them with default options; tests and the
// OVF exporter may create them directly to set the descriptor's adapter
// type, hardware version or a fixed CID (for reproducible output).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/vmdk/descriptor.hpp>
#include <ovfkit/disk/formats/vmdk/layout.hpp>
#include <ovfkit/disk/writer.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::disk::formats::vmdk {

struct VmdkWriteOptions {
    std::string adapter_type = "lsilogic"; // ddb.adapterType: ide, buslogic, lsilogic, legacyESX
    std::string hw_version = "4";          // ddb.virtualHWVersion ("4" is accepted everywhere)
    std::optional<std::string> tools_version = "2147483647"; // nullopt: omit the tools keys
    std::optional<uint32_t> cid;                             // content ID; random when unset
    int compression_level = 4; // libdeflate level for stream grains (1..12); docs explain 4
};

// Checks options shared by all writers (virtual size a multiple of 512,
// adapter type known, ...).
Result<void> check_write_options(const CreateOptions& create, const VmdkWriteOptions& vmdk);

// A header with the fields every writer sets the same way (magic, check
// bytes, 512 GTEs per GT, descriptor at sectors 1..20).
SparseHeader new_header(uint64_t capacity_sectors, uint64_t grain_sectors);
inline constexpr uint64_t k_descriptor_sectors = 20;

// Renders the descriptor and pads it with NULs to the 20-sector area.
Result<std::vector<std::byte>> embedded_descriptor(const DescriptorSpec& spec);

// Checks a name to be written into an extent line: one path component,
// nothing the descriptor grammar cannot carry ('"', control characters).
Result<void> check_extent_name(std::string_view name);

// streamOptimized, written front to back (layout A of the technical note:
// grains, then each grain table, the directory, the footer and EOS). The
// descriptor names `file_name`.
Result<std::unique_ptr<DiskWriter>> create_stream_writer(io::File& file, std::string file_name,
                                                         const CreateOptions& create,
                                                         const VmdkWriteOptions& vmdk);

// monolithicSparse in VMware's layout: header, descriptor, redundant and
// primary directories and tables, then grains in allocation order.
Result<std::unique_ptr<DiskWriter>> create_sparse_writer(io::File& file, std::string file_name,
                                                         const CreateOptions& create,
                                                         const VmdkWriteOptions& vmdk);

// monolithicFlat: the descriptor goes to `descriptor`, the data to `flat`,
// which the descriptor names as `flat_name` (one path component).
Result<std::unique_ptr<DiskWriter>> create_flat_writer(io::File& descriptor, io::File& flat,
                                                       std::string flat_name,
                                                       const CreateOptions& create,
                                                       const VmdkWriteOptions& vmdk);

// The driver entry points (CreateContext based).
Result<std::unique_ptr<DiskWriter>> create_stream(CreateContext& ctx);
Result<std::unique_ptr<DiskWriter>> create_sparse(CreateContext& ctx);
Result<std::unique_ptr<DiskWriter>> create_flat(CreateContext& ctx);

} // namespace ovfkit::disk::formats::vmdk
