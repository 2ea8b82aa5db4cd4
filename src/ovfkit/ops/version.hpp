// `ovfkit version`: the library's version and what it was built with.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/disk/format.hpp>

namespace ovfkit::platform {
struct Platform;
struct ExportTarget;
} // namespace ovfkit::platform

namespace ovfkit::platform {
struct ImportSource;
}

namespace ovfkit::ops {

struct VersionReport {
    std::string version;
    std::vector<const disk::FormatDriver*> disk_formats; // the registry, in order
    std::vector<const platform::Platform*> platforms;    // platform::all(), in order
    std::vector<const platform::ExportTarget*> export_targets;
    std::vector<const platform::ImportSource*> import_sources;
};

VersionReport version();

nlohmann::json to_json(const VersionReport& report);

} // namespace ovfkit::ops
