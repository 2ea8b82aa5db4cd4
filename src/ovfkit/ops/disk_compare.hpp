// `ovfkit disk compare`: do two images hold the same guest bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <ovfkit/disk/compare.hpp>
#include <ovfkit/ops/disk_image.hpp>
#include <ovfkit/ops/job.hpp>

namespace ovfkit::ops {

struct DiskCompareOptions {
    ImageRef a;
    ImageRef b;
    bool strict = false; // different virtual sizes are a difference
};

struct DiskCompareReport {
    disk::CompareResult result;
    std::string format_a;
    std::string format_b;
    bool strict = false;
    // What salvaged images lack (ImageRef::salvage), each also a
    // DISK-TRUNCATED finding: the comparison read those ranges as zeros.
    std::vector<disk::MissingRange> missing_a;
    std::vector<disk::MissingRange> missing_b;
    std::vector<Finding> findings; // from opening either image

    // 1 when the images differ or either is missing ranges.
    int exit_code() const {
        return result.identical && missing_a.empty() && missing_b.empty()
                   ? 0
                   : static_cast<int>(Errc::invalid);
    }
};

// Progress phase "comparing", in guest bytes of the larger disk.
Result<DiskCompareReport> compare_disks(const DiskCompareOptions& options,
                                        const JobControl& control = {});

nlohmann::json to_json(const DiskCompareReport& report);

} // namespace ovfkit::ops
