// How a disk operation names an input image, and what every disk report
// shares.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/disk/image.hpp>

namespace ovfkit::ops {

struct ImageRef {
    std::string path;
    std::string format;        // a driver name; empty: detect from the content
    bool allow_parent = false; // follow backing/parent images (only with `format`)
    // Read what a truncated image holds, the missing ranges as zeros
    // (OpenPolicy::salvage); the operation lists them and fails.
    bool salvage = false;
};

// Opens the image read-only as `ref` names it.
Result<disk::Image> open_disk(const ImageRef& ref);

// The warnings opening found (a raw image that looks like another format,
// a torn footer, a dirty log replayed in memory), as findings on `path`.
std::vector<Finding> image_findings(const disk::Image& image, const std::string& path);

// The guest ranges a salvaged image is missing (DiskReader::missing()), as
// DISK-TRUNCATED error findings on `path`.
std::vector<Finding> missing_findings(const std::vector<disk::MissingRange>& missing,
                                      const std::string& path);

// The missing ranges as JSON: [{"offset", "length", "what"}].
nlohmann::json missing_json(const std::vector<disk::MissingRange>& missing);

} // namespace ovfkit::ops
