// `ovfkit version`: the library's version and what it was built with.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/disk/format.hpp>

namespace ovfkit::ops {

struct VersionReport {
    std::string version;
    std::vector<const disk::FormatDriver*> disk_formats; // the registry, in order
};

VersionReport version();

nlohmann::json to_json(const VersionReport& report);

} // namespace ovfkit::ops
