// Creation of VHD images (dynamic and fixed); the reader lives in reader.cpp.
#pragma once

#include <ovfkit/disk/format.hpp>

namespace ovfkit::disk::formats::vhd {

// A dynamic VHD writer: 2 MiB blocks (or CreateOptions.cluster_size), blocks
// appended in guest order, BAT and footers written by finish(). Fails with
// Errc::invalid when the size or block size cannot be expressed.
Result<std::unique_ptr<DiskWriter>> create_dynamic(CreateContext& ctx);

// A fixed VHD writer: a sparse file of the guest data followed by the
// footer. The virtual size is rounded up to a whole MiB (Azure's rule).
Result<std::unique_ptr<DiskWriter>> create_fixed(CreateContext& ctx);

} // namespace ovfkit::disk::formats::vhd
