// `ovfkit info`: what an appliance holds, for its default deployment option.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::ops {

struct InspectOptions {
    std::string source; // an .ovf, a directory holding one, or an .ova; "-" or an http(s) URL
    package::RemoteOptions remote{};
    platform::ImportOptions import{}; // when `source` is a hypervisor's VM (open_package)
};

struct InspectReport {
    std::string source;
    package::SourceKind kind = package::SourceKind::descriptor;
    package::SourceOrigin origin = package::SourceOrigin::local;
    bool spooled = false;
    std::string descriptor; // the descriptor's file or member name
    ovf::Summary summary;
    // Per summary.files entry: the bytes the package stores for it; nullopt
    // when absent (or when the source is a descriptor alone and it is not
    // beside it, or its href is unsafe).
    std::vector<std::optional<uint64_t>> stored_sizes;
    std::vector<Finding> findings; // reader notes (warnings)
    // The manifest and signature checked as `ovfkit verify` checks them
    // (without a trust store of the user's: the system's).
    VerifyReport integrity;
};

// Opens the package, summarises its descriptor and checks its manifest and
// signature when it has them (progress phase "hashing"). Fails with the package's
// or the descriptor's error (Errc::io, invalid, refused), or Errc::usage for
// a disk image given instead of a package.
Result<InspectReport> inspect_appliance(const InspectOptions& options,
                                        const JobControl& control = {});

nlohmann::json to_json(const InspectReport& report);

// A short name for an OVF disk-format URI ("vmdk streamOptimized", "vhd",
// "qcow2"); the URI itself when unknown, "format not stated" when absent.
std::string disk_format_label(const std::optional<std::string>& uri);

} // namespace ovfkit::ops
