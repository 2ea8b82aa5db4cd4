// `ovfkit validate`: every finding about a package (descriptor, directory or
// OVA), and the verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/package/source.hpp>

namespace ovfkit::ops {

struct ValidateOptions {
    std::string source;
    bool schema = false; // also check against the bundled DMTF schemas
    bool strict = false; // warnings fail too
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

    // 0 valid, 1 invalid, or the refusal's code.
    int exit_code() const;
};

// Never fails: refusals are part of the report. The Result is for
// cancellation.
Result<ValidateReport> validate_package(const ValidateOptions& options,
                                        const JobControl& control = {});

nlohmann::json to_json(const ValidateReport& report);

} // namespace ovfkit::ops
