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
    std::vector<Finding> findings;
};

Result<DiskInfoReport> disk_info(const DiskInfoOptions& options, const JobControl& control = {});

nlohmann::json to_json(const DiskInfoReport& report);

} // namespace ovfkit::ops
