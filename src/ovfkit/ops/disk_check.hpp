// `ovfkit disk check`: the consistency of a disk image's metadata.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include <ovfkit/ops/disk_image.hpp>
#include <ovfkit/ops/job.hpp>

namespace ovfkit::ops {

struct DiskCheckOptions {
    ImageRef image;
};

struct DiskCheckReport {
    std::string image;
    std::optional<std::string> format; // absent when the image did not open
    std::vector<Finding> findings;
    size_t errors = 0;
    size_t warnings = 0;
    bool clean = false; // no error findings

    int exit_code() const { return clean ? 0 : static_cast<int>(Errc::invalid); }
};

// An image too damaged to open is the strongest finding a check can make
// (DISK-OPEN); anything else that stops opening it (a missing file, a
// refusal) is the operation's error.
Result<DiskCheckReport> check_disk(const DiskCheckOptions& options, const JobControl& control = {});

nlohmann::json to_json(const DiskCheckReport& report);

} // namespace ovfkit::ops
