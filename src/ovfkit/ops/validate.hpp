// `ovfkit validate`: every finding about a package (descriptor, directory or
// OVA), and the verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::ops {

struct ValidateOptions {
    std::string source;  // a path, "-" (stdin) or an http(s) URL
    bool schema = false; // also check against the bundled DMTF schemas
    bool strict = false; // warnings fail too
    package::RemoteOptions remote{};
    platform::ImportOptions import{}; // when `source` is a hypervisor's VM (open_package)
};

struct ValidateReport {
    std::string source;
    // Set when the package opened; a refusal before that leaves it empty.
    std::optional<package::SourceKind> kind;
    std::string descriptor;
    std::optional<std::string> ovf_version; // when the descriptor read as a model
    bool strict = false;
    bool schema_requested = false; // --schema
    bool schema_checked = false;   // a DMTF schema applied (none exists for OVF 0.9, oVirt)
    std::vector<Finding> findings;
    size_t errors = 0;
    size_t warnings = 0;
    bool valid = false;
    // The package or its descriptor was refused or could not be read
    // (hostile XML, unsafe archive, I/O): nothing of it was looked at beyond
    // the notes already in `findings`.
    std::optional<Error> refusal;
    // The manifest and signature, checked as `ovfkit verify` checks them;
    // set when the descriptor read. Their findings (but an absent manifest)
    // are among `findings`.
    std::optional<VerifyReport> integrity;

    // 0 valid, 1 invalid, or the refusal's code.
    int exit_code() const;
};

// Never fails: refusals are part of the report. The Result is for
// cancellation.
Result<ValidateReport> validate_package(const ValidateOptions& options,
                                        const JobControl& control = {});

nlohmann::json to_json(const ValidateReport& report);

} // namespace ovfkit::ops
