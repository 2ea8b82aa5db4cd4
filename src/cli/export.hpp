// The export half of `ovfkit convert` (--to PLATFORM): its options, and
// the run that renders ops::export_appliance's plan and result.
#pragma once

#include <string>
#include <vector>

#include <ovfkit/ops/convert.hpp>
#include <ovfkit/ops/export.hpp>

#include <cli/command.hpp>

namespace ovfkit::cli {

struct ExportCliOptions {
    std::string to;
    std::vector<std::string> props; // KEY=VALUE
    std::vector<std::string> nets;  // OVF=TARGET
    std::string memory;             // a size: 4G, 4096M
    std::string memory_min;         // --memory-min, a size
    std::string memory_max;         // --memory-max, a size
    ops::ExportOptions op;
};

void add_export_options(CLI::App& sub, ExportCliOptions& o);

// Runs the export; `package` holds the package options convert parsed
// (manifest, signing, compression ...), `common` the output options.
int run_export(ExportCliOptions& o, const ops::ConvertOptions& package,
               const CommonOptions& common);

} // namespace ovfkit::cli
