// `ovfkit env`: the OVF environment of one virtual system, as an ISO 9660
// image (or the ovf-env.xml alone), from an appliance and the deployer's
// choices (deploy/properties.hpp, deploy/environment.hpp).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/package/remote.hpp>

namespace ovfkit::ops {

struct EnvironmentOptions {
    std::string source; // any package open_package() reads
    package::RemoteOptions remote;
    std::vector<std::pair<std::string, std::string>> properties; // --prop KEY=VALUE, in order
    std::optional<std::string> deployment_option;
    // The VirtualSystem (or collection) the environment is for; empty: the
    // appliance's only VirtualSystem (Errc::usage when it has several).
    std::string system;
    std::string output; // the ISO (or, with xml_only, the XML); empty only with xml_only
    bool xml_only = false;
    bool force = false;
};

struct EnvironmentReport {
    std::string source;
    std::string descriptor;
    std::string system;            // the id the environment is for
    std::string deployment_option; // "" when the appliance has none
    std::string output;            // "" when the XML is only returned
    std::string format;            // "iso" or "xml"
    std::string xml;               // the ovf-env.xml written (holds password values)
    deploy::ResolvedProperties properties;
    std::vector<Finding> findings; // tolerated deviations met while reading
};

// Reads the appliance, chooses the deployment option, resolves the
// properties and writes the environment. Exit codes are the Errc of the
// error: usage for options, keys and values; invalid for a descriptor that
// does not read; io; refused.
Result<EnvironmentReport> make_environment(const EnvironmentOptions& options,
                                           const JobControl& control = {});

// {"schema", "source", "descriptor", "system", "deployment_option", "output",
//  "format", "properties": [...], "missing": [...], "findings"}; never the XML
// (it would show passwords).
nlohmann::json to_json(const EnvironmentReport& report);

} // namespace ovfkit::ops
