// `ovfkit disk convert`: any readable image into a new image of any writable
// format.
#pragma once

#include <nlohmann/json.hpp>

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/ops/disk_image.hpp>
#include <ovfkit/ops/job.hpp>

namespace ovfkit::ops {

struct DiskConvertOptions {
    ImageRef input;
    std::string output;
    std::string output_format; // a driver name; empty: from the output's extension
    bool compress = false;
    uint64_t cluster_size = 0; // 0: the format's default
    unsigned threads = 0;      // 0: all cores
    bool force = false;        // replace an existing output
    bool to_device = false;    // write raw output onto an existing block device in place
    bool direct_io = true;     // whole aligned pages with O_DIRECT where allowed
};

struct DiskConvertReport {
    std::string input;
    std::string output;
    disk::ConvertSummary summary;
    // The summary's findings, then a DISK-TRUNCATED error per missing range.
    std::vector<Finding> findings;
    // 0, or 1 when a salvaged input was missing ranges (the output was
    // still written, with zeros there).
    int exit_code() const { return summary.missing.empty() ? 0 : static_cast<int>(Errc::invalid); }
};

// The output format an output name implies, for names whose extension
// names exactly one writable format (.qcow2, .vhdx, .vdi, .vhd -> dynamic).
// Errc::usage otherwise, saying why the format must be named (.vmdk has
// four subformats, .raw/.img could be any format's data).
Result<std::string> output_format_for(std::string_view path);

// Progress phase "converting", in guest bytes. Cancelling stops the
// pipeline between chunks; the output's temporary files are removed and
// nothing appears at `output`.
Result<DiskConvertReport> convert_disk(const DiskConvertOptions& options,
                                       const JobControl& control = {});

nlohmann::json to_json(const DiskConvertReport& report);

} // namespace ovfkit::ops
