// `ovfkit disk info`: the format, sizes and files of a disk image.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include <ovfkit/ops/disk_image.hpp>
#include <ovfkit/ops/job.hpp>

namespace ovfkit::ops {

struct DiskInfoOptions {
    ImageRef image;
};

struct DiskInfoReport {
    std::string image; // the first file of the image (its path as given)
    disk::DiskInfo info;
    bool detected = false; // the format came from the content
    // Bytes of guest data stored; nullopt when the map could not be read
    // (a finding says why: the rest is still worth showing).
    std::optional<uint64_t> allocated_size;
    // What a salvaged image lacks (ImageRef::salvage), also as DISK-TRUNCATED
    // findings; without salvage a truncated image fails to open.
    std::vector<disk::MissingRange> missing;
    std::vector<Finding> findings;

    // 0, or 1 when a salvaged image is missing ranges.
    int exit_code() const { return missing.empty() ? 0 : static_cast<int>(Errc::invalid); }
};

Result<DiskInfoReport> disk_info(const DiskInfoOptions& options, const JobControl& control = {});

nlohmann::json to_json(const DiskInfoReport& report);

} // namespace ovfkit::ops
